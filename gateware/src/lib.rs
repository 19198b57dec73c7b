//! subgate's receive front end for the ECP5 FPGA, written in rust-hdl (../shared/DESIGN.md §5).
//!
//! Each block has a fixed-point model in [`subgate_dsp::frontend`] with the same arithmetic, bit
//! for bit; the tests run the rust-hdl simulation and the generated Verilog (Verilator) against
//! the model's vectors, and synthesise the Verilog with yosys `synth_ecp5`.
//!
//! - [`ddc`]: NCO + complex mixer (digital down-converter).
//! - [`decim`]: decimation chain (CIC ×8 + half-band ×2 + droop compensator) to one
//!   channel's rate.
//! - [`detect`]: STF packet detector (delay-and-correlate, normalised threshold, the software
//!   receiver's decision rule) on the decimation chain's output.
//! - [`burst`]: burst gate with a pre-trigger FIFO: forwards only the samples around
//!   detections.
//! - [`cfo`]: the SID filter's coarse frequency-offset word (CORDIC on the detector's
//!   correlation).
//! - [`channel`]: one channel as the board wires it: DDC → decimation → detector → gate.
//! - [`frontend`]: four channels, control/status registers, output arbiter and signature.
//! - [`framer`]: the burst-stream framer: the records as the byte stream of
//!   docs/burst-stream.md, with back-pressure.
//! - [`stream`]: the front end with its framer: the byte stream the board sends.
//! - [`lml`]: the LMS7002M receive port's word pairing (LimeSDR Mini v2, SISO DDR).
//! - [`lml_rx`]: the port with its crossing from the receive clock into the fabric clock.
//! - [`fft32`]: the SID filter's 32-point FFT (radix 2, one butterfly per clock).
//! - [`ltf_est`]: the SID filter's LTF channel estimator (the demapper's first block).
//! - [`ltf_match`]: the SID filter's LTF matched filter (the synchronisation's timing).
//! - [`mul18`]: a registered signed 18 × 18 multiplier (one `MULT18X18D`), in Verilog itself.
//! - [`soft`]: the SID filter's soft-value block: a symbol's bins and the LTF estimate into
//!   the decoder's soft pairs (pilot phase, deinterleaving, repetition, quantiser).
//! - [`viterbi`]: the SID filter's serial soft-decision Viterbi decoder (K = 7, rate 1/2).
//! - [`psdu_head`]: the SID filter's PSDU head: the decoded bits in order, descrambled, as bytes.
//! - [`sid_gate`]: the SID-filtered channel's burst gate: the filter's drops kept from the
//!   gate (a delay line, vetoes over dropped frames).
//! - [`sid_rx`]: the SID filter with its synchronisation in front (offset word, mixer, LTF
//!   matched filter, delay line): samples and detections in, a decision per frame out.
//! - [`sid_match`]: the SID filter's matcher: SID list of a probe or beacon against a table, a decision per frame.
//! - [`sid_back`]: the SID filter's back half: decoder → PSDU head → matcher.
//! - [`sid_filter`]: the SID filter as one block from a frame's start: FFT, channel estimate,
//!   soft values, decoder, SIG reader, PSDU head and matcher, wired by a sequencer.
//! - [`sig_parse`]: the SID filter's SIG reader: CRC, features, MCS 0/10 frames, data-field steps.
//! - [`spi`]: SPI target bridging a host to the front end's register bus.
//! - [`vectors`]: test vectors shared by the rust-hdl and Verilator runs, checked against the model.
//! - [`tools`]: Verilator (lint, simulation) and yosys (`synth_ecp5`) on generated Verilog.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod burst;
pub mod cfo;
pub mod channel;
pub mod ddc;
pub mod decim;
pub mod detect;
pub mod fft32;
pub mod framer;
pub mod frontend;
pub mod lml;
pub mod lml_rx;
pub mod ltf_est;
pub mod ltf_match;
pub mod mul18;
pub mod psdu_head;
pub mod sid_back;
pub mod sid_filter;
pub mod sid_gate;
pub mod sid_match;
pub mod sid_rx;
pub mod sig_parse;
pub mod soft;
pub mod spi;
pub mod stream;
pub mod tools;
pub mod vectors;
pub mod viterbi;
