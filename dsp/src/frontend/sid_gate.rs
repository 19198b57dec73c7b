//! The SID-filtered channel's burst gate: the SID filter's drop decisions applied to the
//! burst gate ([`super::burst`]), so a frame the matcher drops never leaves the board — what
//! the rust-hdl block `subgate_gateware::sid_gate::SidGate` does, record for record.
//!
//! - The channel's samples and the detector's evaluations go to the SID filter with its
//!   synchronisation ([`super::sid_rx`]) as they come, and into a delay line of [`LINE`]
//!   samples (with each sample's detection bit) in front of an ordinary burst gate.
//! - A frame the filter drops becomes a *veto* over its samples: from its start to its last
//!   sample, `start + ` [`frame_len`]` − 1` (the SIG's LENGTH and MCS give its symbols).
//!   Detections inside a veto do not reach the gate: the frame's burst is not opened (its
//!   samples still go out when another burst's `pre`/`hold` window covers them — the gate
//!   never cuts a burst it opened).
//! - The filter decides a frame at most `DELAY + MAX_SAMPLES + FINISH` = 4671 samples after
//!   its start ([`super::sid_rx`]'s hold-off), and its first detection is at least 25
//!   samples after the start, so with [`LINE`] = 8192 every veto is known before its
//!   first detection leaves the line (checked below). At most [`VETOES`] wait at once.
//!
//! The gate's sample indices are the channel's own (the line only delays them); the last
//! [`LINE`] samples of a stream stay in the line.

use super::burst::{BurstGate, BurstOutput};
use super::detect::Output;
use super::ltf_match::{LAST, START_BACK};
use super::sid_filter::MAX_SAMPLES;
use super::sid_match::{Decision, SidTable};
use super::sid_rx::{run as rx_run, Rx, DELAY, FINISH};
use crate::params::{Format, Gi, Mcs};

/// Samples (with their detection bits) in the delay line before the gate: one 8192 × 33
/// memory (16 block RAMs).
pub const LINE: usize = 8192;
/// Vetoes that may wait for the line at once (a frame decided per 4280 samples or more).
pub const VETOES: usize = 4;

const _: () = assert!(LINE >= DELAY + MAX_SAMPLES + 1 + FINISH - (START_BACK - LAST));

/// Samples of a 1 MHz frame of `length` PSDU bytes at `mcs` (0 or 10, the SIG's fields),
/// from its first STF sample.
pub fn frame_len(mcs: u8, length: usize) -> usize {
    let n = Format::S1g1M.n_sym(Mcs(mcs), length);
    Format::S1g1M.ppdu_len(Gi::Long, n)
}

/// The samples a dropped frame covers: `(first, last)`.
pub type Veto = (usize, usize);

/// What the block does with a stream.
#[derive(Debug, Clone, Default)]
pub struct GateRun {
    /// The SID filter's searches and decisions.
    pub rx: Rx,
    /// The vetoes, in order.
    pub vetoes: Vec<Veto>,
    /// Detections kept from the gate.
    pub vetoed: usize,
    /// The gate's records.
    pub out: Vec<BurstOutput>,
}

/// Runs the block's model over the samples `x` and their detector evaluations `det` with
/// the SID table `table`, a gate of `pre` samples before a detection and `hold` after.
///
/// # Panics
/// If `x` and `det` differ in length, or `pre` is out of the gate's range.
pub fn run(x: &[(i16, i16)], det: &[Output], table: &SidTable, pre: usize, hold: u16) -> GateRun {
    let rx = rx_run(x, det, table);
    let vetoes: Vec<Veto> = rx
        .reads
        .iter()
        .filter_map(|r| {
            let f = r.frame?;
            (f.decision == Decision::Drop).then(|| {
                let len = frame_len(f.sig.mcs, usize::from(f.sig.length));
                (r.found.start, r.found.start + len - 1)
            })
        })
        .collect();
    let mut gate = BurstGate::new(pre, hold);
    let mut out = Vec::new();
    let mut vetoed = 0;
    let mut v = vetoes.iter().peekable();
    for (t, (&s, o)) in x
        .iter()
        .zip(det)
        .take(x.len().saturating_sub(LINE))
        .enumerate()
    {
        while v.peek().is_some_and(|w| w.1 < t) {
            v.next();
        }
        let inside = v.peek().is_some_and(|w| w.0 <= t);
        vetoed += usize::from(o.detect && inside);
        out.extend(gate.step(s, o.detect && !inside));
    }
    GateRun {
        rx,
        vetoes,
        vetoed,
        out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::sid_rx::{scene, scene_table, truth};

    /// A frame's length is the PHY's: preamble 560 samples, 40 a data symbol.
    #[test]
    fn frame_len_is_the_phys() {
        // 8 · 40 + 14 = 334 bits, 28 symbols of 12
        assert_eq!(frame_len(0, 40), 560 + 28 * 40);
        assert_eq!(frame_len(10, 40), 560 + 56 * 40);
    }

    /// Frames through the channel model: a dropped frame's samples do not leave the gate,
    /// every other frame's do, whole (its start to its end).
    #[test]
    fn drops_the_frames_the_filter_drops() {
        let table = scene_table();
        // a hold over the longest frame, the frames farther apart than it, so no burst
        // covers a neighbour
        let sc = scene(60, 9.0, 24_000, 51);
        let longest = sc
            .frames
            .iter()
            .map(|f| frame_len(f.2, f.1.len()))
            .max()
            .unwrap_or(0);
        assert!(longest < 11_000, "{longest}");
        let mut x = sc.fixed.clone();
        let mut det = sc.det.clone();
        x.extend(std::iter::repeat_n((0, 0), LINE));
        det.extend(std::iter::repeat_n(Output::default(), LINE));
        let g = run(&x, &det, &table, 256, 11_000);
        let sent: std::collections::BTreeSet<u32> = g
            .out
            .iter()
            .filter_map(|o| match o {
                BurstOutput::Sample { index, .. } => Some(*index),
                BurstOutput::End { .. } => None,
            })
            .collect();
        let (mut dropped, mut kept) = (0, 0);
        for (start, p, mcs) in &sc.frames {
            let end = start + frame_len(*mcs, p.len());
            let all = (*start..end).all(|k| sent.contains(&(k as u32)));
            let none = (*start..end).all(|k| !sent.contains(&(k as u32)));
            if truth(p, *mcs, &table) == Decision::Drop {
                assert!(none, "a dropped frame at {start} went out");
                dropped += 1;
            } else {
                assert!(all, "a frame at {start} ({mcs}) did not go out whole");
                kept += 1;
            }
        }
        assert_eq!(g.vetoes.len(), dropped);
        assert!(dropped > 5 && kept > 30, "{dropped} dropped, {kept} kept");
        println!(
            "sid_gate: {} frames: {dropped} dropped (none of their samples sent), {kept} sent whole; \
             {} detections vetoed; {} of {} samples sent",
            sc.frames.len(),
            g.vetoed,
            sent.len(),
            sc.fixed.len()
        );
    }
}
