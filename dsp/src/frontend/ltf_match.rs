//! The SID filter's LTF matched filter: the timing half of the synchronisation
//! ([`super::ltf_sync`]) as a streaming block, clock for clock the rust-hdl block
//! `subgate_gateware::ltf_match::LtfMatch`.
//!
//! - every (derotated) sample is correlated with the LTF signs over the window of the last
//!   32 samples ([`super::ltf_sync::correlate`]), and the window's energy kept
//!   ([`super::ltf_sync::energy`]);
//! - `arm` with a sample (the detector's detection sample, taken when not searching) makes
//!   it sample 0; the candidates are the first LTF copy starting at samples [`FIRST`] ..=
//!   [`LAST`] after it (the software receiver's search window around the nominal place,
//!   the detector's window starting 71 samples before its detection sample), candidate `u`
//!   scored when sample `u + 143` completes its fourth copy ([`super::ltf_sync::metric`]);
//!   the first largest wins;
//! - the frame's start is `u − 178` after the arming sample ([`START_BACK`]);
//! - timing: samples at least [`SPACING`] clocks apart (a sample's schedule: 32 reads of the
//!   window, two products, the energy, three reads of earlier energies, the compare); the
//!   result and `done` at `c + `[`DONE`], `c` the clock of sample `LAST + 143`.

use super::ltf_sync::{ltf_sign_ref, metric};

/// First candidate, samples after the arming sample.
pub const FIRST: usize = 33;
/// Last candidate.
pub const LAST: usize = 153;
/// The sample whose window completes candidate `u` is `u + SCORE_AT`.
pub const SCORE_AT: usize = 143;
/// Clocks from a sample to the next one the block can take.
pub const SPACING: u64 = 42;
/// Clocks from the last candidate's sample to `done`.
pub const DONE: u64 = 41;
/// The frame starts this many samples before the winning candidate (the LTF's place in
/// the frame, 176, and the synchronisation's backoff, 2).
pub const START_BACK: usize = 178;

/// One clock of the block's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchClock {
    /// No sample (junk on the inputs).
    Idle,
    /// A sample, arming the search with `arm` (ignored while searching).
    Sample {
        /// In-phase.
        i: i16,
        /// Quadrature.
        q: i16,
        /// Arm.
        arm: bool,
    },
}

/// One search's result: `done`'s clock, the winning candidate and its metric.
pub type Found = (u64, u8, i64);

/// What the block gives for `clocks`.
pub fn expected(clocks: &[MatchClock]) -> Vec<Found> {
    let s = ltf_sign_ref();
    let mut x = Vec::new();
    let mut armed: Option<usize> = None;
    let mut out = Vec::new();
    for (c, m) in clocks.iter().enumerate() {
        let MatchClock::Sample { i, q, arm } = *m else {
            continue;
        };
        x.push((i, q));
        let idx = x.len() - 1;
        match armed {
            None if arm => armed = Some(idx),
            Some(a) if idx - a == LAST + SCORE_AT => {
                let mut best: Option<(usize, i64)> = None;
                for u in FIRST..=LAST {
                    // the last candidate's fourth copy ends at this sample: all are in `x`
                    let m = metric(&x, a + u, &s).unwrap_or(0);
                    if best.is_none_or(|b| m > b.1) {
                        best = Some((u, m));
                    }
                }
                if let Some((u, metric)) = best {
                    out.push((c as u64 + DONE, u as u8, metric));
                }
                armed = None;
            }
            _ => {}
        }
    }
    out
}

/// Test stimulus: the samples `x` (frames in noise, say), armed at the samples `arms`
/// (and with `stray`, now and then at a random sample, ignored while searching), `SPACING`
/// to `SPACING + 40` clocks apart.
pub fn stimulus(x: &[(i16, i16)], arms: &[usize], stray: bool, seed: u64) -> Vec<MatchClock> {
    let mut rng = crate::rng::Rng::new(seed);
    let mut clocks = Vec::new();
    for (k, &(i, q)) in x.iter().enumerate() {
        let arm = arms.contains(&k) || (stray && rng.below(400) == 0);
        clocks.push(MatchClock::Sample { i, q, arm });
        for _ in 1..SPACING + rng.below(41) {
            clocks.push(MatchClock::Idle);
        }
    }
    clocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::ltf_sync::{sync, SEARCH_EARLY, SEARCH_LATE};
    use crate::params::Format;
    use crate::preamble::{ltf1_symbol_offsets, STF_LEN};

    /// The block's window is the synchronisation's: armed at the detection sample `m`, the
    /// detector's window start is `m − 71`, and the candidates are `sync`'s.
    #[test]
    fn candidates_are_the_synchronisations() {
        let span = crate::frontend::detect::Detector::new(8, 0).span();
        let offs = ltf1_symbol_offsets(Format::S1g1M);
        let nominal_from_m = STF_LEN + offs[0] + 1 - span; // det = m + 1 − span
        assert_eq!(FIRST, nominal_from_m - SEARCH_EARLY);
        assert_eq!(LAST, nominal_from_m + SEARCH_LATE);
        assert_eq!(SCORE_AT, offs[3] - offs[0] + 31);
        assert_eq!(
            START_BACK,
            STF_LEN + offs[0] + super::super::ltf_sync::BACKOFF
        );
        // and the same winner as `sync` on a frame
        let mut rng = crate::rng::Rng::new(3);
        let mut req = crate::frame::TxRequest::new(vec![7u8; 20], Format::S1g1M, crate::Mcs(0));
        req.scrambler_seed = 9;
        let f = crate::tx::modulate(&req).expect("a valid request");
        let mut xs = Vec::new();
        for _ in 0..150 {
            xs.push(crate::Complex32::new(
                (rng.normal() * 0.1) as f32,
                (rng.normal() * 0.1) as f32,
            ));
        }
        xs.extend(&f);
        let mut x = Vec::new();
        crate::frontend::to_fixed(&xs, 4000.0, &mut x);
        let m = 150 + 40; // a detection 40 samples into the STF
        let want = sync(&x, m + 1 - span, (1000, 0)).expect("the frame is there");
        // the block sees the samples `sync` derotates
        let y = crate::frontend::ltf_sync::derotate(&x, crate::frontend::cfo::word(1000, 0));
        let clocks = stimulus(&y, &[m], false, 4);
        let got = expected(&clocks);
        let first = got.first().expect("a search");
        assert_eq!(m - START_BACK + usize::from(first.1), want.start);
        assert_eq!(first.2, want.metric);
    }
}
