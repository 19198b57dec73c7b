//! Fixed-point models of the FPGA receive front end (`subgate-gateware`): the same arithmetic,
//! bit for bit, as the rust-hdl blocks, so the host pipeline can process a recording "as the
//! board would" without a board, and the gateware tests have a reference to compare against.
//!
//! - [`ddc`]: NCO + complex mixer (digital down-converter).
//! - [`decim`]: decimation chain (CIC ×8 + half-band ×2 + droop compensator) to one
//!   channel's rate.
//! - [`detect`]: STF packet detector (delay-and-correlate, normalised threshold) on the
//!   decimation chain's output.
//! - [`burst`]: burst gate with a pre-trigger FIFO: forwards only the samples around
//!   detections.
//! - [`cfo`]: the SID filter's coarse frequency-offset word: the detector's correlation
//!   angle by CORDIC, as a derotating NCO's frequency word.
//! - [`channel`]: one channel as the board wires the four: DDC → decimation → detector →
//!   burst gate.
//! - [`demap`]: the SID filter's demapper: LTF channel estimate, pilot phase, BPSK soft
//!   pairs (MCS 10 / SIG repetition combined) for the decoder; and the front's models in a row.
//! - [`fft32`]: the SID filter's 32-point FFT (radix 2, in place, halved every stage).
//! - [`framer`]: the burst-stream framer: the records as the byte stream the host reads
//!   (docs/burst-stream.md).
//! - [`inloop`]: the models in the receive loop: a channel's samples as the board would
//!   forward them, for PER sweeps.
//! - [`ltf_est`]: the SID filter's LTF channel estimator (the demapper's first block).
//! - [`ltf_match`]: the SID filter's LTF matched filter, the synchronisation's timing as a
//!   streaming block.
//! - [`ltf_sync`]: the SID filter's frame synchronisation model (coarse offset, LTF matched
//!   filter): from a detection to a frame's start and derotating word.
//! - [`lml`]: the LMS7002M's receive port (LimeSDR Mini v2, SISO DDR): words paired into
//!   samples.
//! - [`psdu_head`]: the SID filter's PSDU head: decoded bits back in order, descrambled, as bytes.
//! - [`sid_filter`]: the SID filter as one block from a frame's start: what it reads and
//!   decides (the front's and back half's models in a row).
//! - [`sid_gate`]: the SID-filtered channel's burst gate: dropped frames kept from the gate.
//! - [`sid_match`]: the SID filter's matcher: a frame's SIDs against a table, a decision per frame.
//! - [`sid_rx`]: the SID filter with its synchronisation in front: samples and detections
//!   in, a decision per frame out.
//! - [`sig_parse`]: the SID filter's SIG reader: a decoded 1 MHz SIG checked and read, MCS 0/10 frames picked.
//! - [`soft`]: the SID filter's soft-value block: a symbol's bins and the LTF estimate into
//!   the decoder's soft pairs, serial (the demapper's arithmetic, clock by clock).
//! - [`top`]: the four channels, control/status registers and output signature.
//! - [`stream`]: the four channels with the framer: the bytes the board sends.
//! - [`viterbi`]: the SID filter's serial soft-decision Viterbi decoder (K = 7, rate 1/2).

pub mod burst;
pub mod cfo;
pub mod channel;
pub mod ddc;
pub mod decim;
pub mod demap;
pub mod detect;
pub mod fft32;
pub mod framer;
pub mod inloop;
pub mod lml;
pub mod ltf_est;
pub mod ltf_match;
pub mod ltf_sync;
pub mod psdu_head;
pub mod sid_filter;
pub mod sid_gate;
pub mod sid_match;
pub mod sid_rx;
pub mod sig_parse;
pub mod soft;
pub mod stream;
pub mod top;
pub mod viterbi;

use num_complex::Complex32;

/// Floating-point samples in the front end's sample format: `round(x · scale)` per component,
/// saturated to signed 16 bits, appended to `out`. Returns how many components saturated.
pub fn to_fixed(x: &[Complex32], scale: f32, out: &mut Vec<(i16, i16)>) -> usize {
    let mut saturated = 0;
    let mut q = |v: f32| {
        let r = (v * scale).round();
        if r > f32::from(i16::MAX) || r < f32::from(i16::MIN) {
            saturated += 1;
        }
        // `as` saturates (and maps NaN to 0)
        r as i16
    };
    out.extend(x.iter().map(|c| (q(c.re), q(c.im))));
    saturated
}
