//! The SID filter with its synchronisation in front: a channel's samples and the STF
//! detector's evaluations in, one decision per frame out — what the rust-hdl block
//! `subgate_gateware::sid_rx::SidRx` does, sample for sample. Its parts are each
//! clock-exact with their own models ([`super::cfo`], [`super::ddc`],
//! [`super::ltf_match`], [`super::sid_filter`]); this model is the wiring, and the block's
//! check is every search's result and every decision, in order.
//!
//! - A detection at sample `m` ([`super::detect::Output::detect`]) is *taken* when `m ≥`
//!   [`DELAY`] and the filter is free: no detection taken in the [`HOLDOFF`] samples
//!   before, or the last frame's SIG was no candidate and [`RELEASE`] samples have passed
//!   since its start. The others are ignored (counted).
//! - A taken detection's correlation becomes the derotating word ([`super::cfo::word`]);
//!   the channel's NCO and mixer ([`super::ddc::Ddc`]) use it from sample `m + 1` on, the
//!   phase running on from the last word's (no jump). Before the first, the word is 0.
//! - The derotated samples `y` go to the LTF matched filter, armed at `m`
//!   ([`super::ltf_match`]): candidate `u` wins, the frame starts at `m + u − 178`.
//! - `y` also goes through a delay line of [`DELAY`] samples (one block RAM) into the SID
//!   filter, so the start, found `LAST + SCORE_AT` = 296 samples after `m`, is still ahead
//!   of the filter's input: it is given to the filter with `y[start]`
//!   ([`super::sid_filter::decide`] on `y`). The last [`DELAY`] samples of a stream stay
//!   in the line.
//! - The hold-off makes the filter free at every start it is given: a start is at most
//!   `178 − FIRST` = 145 samples before its detection and at least `178 − LAST` = 25
//!   before, and the filter reads at most [`MAX_SAMPLES`] samples of a frame, so a start
//!   from a detection [`HOLDOFF`] samples later comes at least 64 samples (6 400 clocks at
//!   100 clocks per sample) after the filter's last sample of the frame before — time to
//!   finish its decoding. A frame whose SIG is no candidate (a false detection's noise, a
//!   CRC error, another MCS) frees the filter sooner, [`RELEASE`] samples after its start:
//!   the SIG ended [`SIG_END`] samples in, [`DELAY`] later the filter had it, and
//!   [`SIG_LAG`] samples (5 760 clocks at the tests' slowest 45) are its time to read it.
//!   The cost: the filter decides at most one MCS 0/10 frame per 4 280 samples (4.3 ms at
//!   1 MHz); the frames in between go to software undecided.

use super::cfo::word;
use super::ddc::Ddc;
use super::demap::chain::{read_frame, SIG_SYMBOLS};
use super::detect::Output;
use super::ltf_match::{FIRST, LAST, SCORE_AT, START_BACK};
use super::ltf_sync::{ltf_sign_ref, metric};
use super::sid_filter::{decide, FrameResult, FIELD_AT, MAX_SAMPLES, SYMBOL};
use super::sid_match::SidTable;

/// Samples in the delay line in front of the SID filter (a 512 × 36 block RAM).
pub const DELAY: usize = 512;
/// Samples after a taken detection before the next can be taken.
pub const HOLDOFF: usize = 4280;
/// Samples the filter is given to finish its decoding after its last sample of a frame.
pub const FINISH: usize = 64;
/// Samples from a frame's start to the end of its SIG.
pub const SIG_END: usize = FIELD_AT + SIG_SYMBOLS * SYMBOL;
/// Samples the filter is given to read the SIG after its last sample.
pub const SIG_LAG: usize = 128;
/// A frame the filter does not decode (its SIG no candidate) frees the filter this many
/// samples after its start (live samples: the filter reads `DELAY` behind).
pub const RELEASE: usize = SIG_END + DELAY + SIG_LAG;

const _: () = assert!(
    HOLDOFF == (START_BACK - FIRST) + MAX_SAMPLES + 1 + FINISH - (START_BACK - LAST)
        && DELAY > LAST + SCORE_AT + (START_BACK - FIRST)
        && RELEASE < HOLDOFF - (START_BACK - LAST)
);

/// One search: where the synchronisation put a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The detection's sample.
    pub arm: usize,
    /// The derotating word from it.
    pub word: i32,
    /// The winning candidate (the first LTF copy, samples after `arm`).
    pub u: u8,
    /// Its metric.
    pub metric: i64,
    /// The frame's first sample.
    pub start: usize,
}

/// One search and what the filter made of the frame (`None` when the stream ended first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// The search.
    pub found: Found,
    /// The filter's SIG and decision.
    pub frame: Option<FrameResult>,
}

/// What the block does with a stream.
#[derive(Debug, Clone, Default)]
pub struct Rx {
    /// The searches that completed, in order, with the filter's results.
    pub reads: Vec<Read>,
    /// Detections seen.
    pub detections: usize,
    /// Detections ignored (before the delay line filled, or in a hold-off).
    pub ignored: usize,
    /// The derotated samples.
    pub y: Vec<(i16, i16)>,
}

/// Runs the block's model over the samples `x` and their detector evaluations `det`
/// (`det[n]` is `x[n]`'s) with the SID table `table`.
///
/// # Panics
/// If `x` and `det` differ in length.
pub fn run(x: &[(i16, i16)], det: &[Output], table: &SidTable) -> Rx {
    assert_eq!(
        x.len(),
        det.len(),
        "sid_rx: a detector evaluation per sample"
    );
    let s = ltf_sign_ref();
    let mut ddc = Ddc::new(0);
    let mut y = Vec::with_capacity(x.len());
    let (mut detections, mut ignored) = (0, 0);
    // detections are taken from `free_at` on; the search armed at `armed`; the frame found
    // whose SIG may free the filter early
    let mut free_at = DELAY;
    let mut armed: Option<(usize, i32)> = None;
    let mut found: Vec<Found> = Vec::new();
    let mut sig_check: Option<usize> = None;
    for (n, &v) in x.iter().enumerate() {
        y.push(ddc.step(v));
        if det[n].detect {
            detections += 1;
            if n >= free_at {
                let w = word(det[n].corr.0, det[n].corr.1);
                ddc.set_word(w as u32);
                armed = Some((n, w));
                free_at = n + HOLDOFF;
            } else {
                ignored += 1;
            }
        }
        if let Some((m, w)) = armed {
            if n == m + LAST + SCORE_AT {
                let mut best: Option<(usize, i64)> = None;
                for u in FIRST..=LAST {
                    let v = metric(&y, m + u, &s).unwrap_or(0);
                    if best.is_none_or(|b| v > b.1) {
                        best = Some((u, v));
                    }
                }
                if let Some((u, metric)) = best {
                    let start = m + u - START_BACK;
                    found.push(Found {
                        arm: m,
                        word: w,
                        u: u as u8,
                        metric,
                        start,
                    });
                    sig_check = Some(start);
                }
                armed = None;
            }
        }
        if let Some(start) = sig_check {
            if n + 1 == start + RELEASE {
                // the SIG is read by now: a frame the filter does not decode frees it
                if let Some(r) = read_frame(&y[..start + SIG_END], start) {
                    if !r.sig.candidate {
                        free_at = start + RELEASE;
                    }
                }
                sig_check = None;
            }
        }
    }
    // the filter sees the samples that have left the delay line
    let seen = &y[..y.len().saturating_sub(DELAY)];
    let reads = found
        .into_iter()
        .map(|f| Read {
            found: f,
            frame: decide(seen, f.start, table),
        })
        .collect();
    Rx {
        reads,
        detections,
        ignored,
        y,
    }
}

/// The SID table of the scenes (the gateware tests' too).
pub fn scene_table() -> SidTable {
    use super::sid_match::tlv;
    SidTable::new(
        &[
            tlv(6, b"metering"),
            tlv(2, &[10, 0, 0, 7]),
            tlv(1, b"water-utility"),
            tlv(5, &[2, 0, 0, 0, 0, 1]),
        ],
        0xA5,
    )
}

/// A channel's stream with frames in it, as the board would see it.
#[derive(Debug, Clone)]
pub struct Scene {
    /// The samples (floating point, unit power frames).
    pub x: Vec<crate::Complex32>,
    /// The same as 16-bit samples (×4000).
    pub fixed: Vec<(i16, i16)>,
    /// The detector's evaluations of `fixed` (lag 8, threshold 0.3).
    pub det: Vec<Output>,
    /// Each frame's true start, PSDU and MCS.
    pub frames: Vec<(usize, Vec<u8>, u8)>,
}

/// `count` frames from [`super::sid_match::frames`] (probe requests, beacons, others) at
/// MCS 0, 10, 0, 10, 2 in turn, each through the channel model at `snr_db` with its own
/// offset (uniform in ±37 kHz) and fractional timing, `gap` + 0..400 samples of noise
/// between them (half of it before the first, half after the last).
pub fn scene(count: usize, snr_db: f64, gap: usize, seed: u64) -> Scene {
    use crate::channel::{apply, Channel, ChannelConfig};
    use crate::frame::TxRequest;
    use crate::params::{Format, Mcs};
    let mut rng = crate::rng::Rng::new(seed);
    let psdus = super::sid_match::frames(count, &mut rng);
    let (mut x, mut frames) = (Vec::new(), Vec::new());
    for (k, p) in psdus.into_iter().enumerate() {
        let mcs = [0u8, 10, 0, 10, 2][k % 5];
        let mut req = TxRequest::new(p.clone(), Format::S1g1M, Mcs(mcs));
        req.scrambler_seed = 1 + rng.below(127) as u8;
        let Ok(f) = crate::tx::modulate(&req) else {
            continue;
        };
        let cfg = ChannelConfig {
            snr_db: Some(snr_db),
            cfo_hz: (rng.uniform() * 2.0 - 1.0) * 37e3,
            delay: rng.uniform(),
            seed: rng.next_u64(),
            ..Default::default()
        };
        let pad = (gap + rng.below(400) as usize) / 2;
        let truth = x.len() + pad + Channel::new(cfg.clone()).filter_delay();
        x.extend(apply(&cfg, &f, pad));
        frames.push((truth, p, mcs));
    }
    let mut fixed = Vec::new();
    super::to_fixed(&x, 4000.0, &mut fixed);
    let mut sc = Scene {
        x,
        fixed,
        det: Vec::new(),
        frames,
    };
    sc.detect();
    sc
}

impl Scene {
    /// The detector's evaluations of `fixed` made again (after samples were added).
    pub fn detect(&mut self) {
        let mut d = super::detect::Detector::new(8, super::detect::threshold_word(0.3));
        self.det.clear();
        d.process(&self.fixed, &mut self.det);
    }
}

/// `first`, then [`scene`]s of `chunk` frames spaced by the hold-off (at 9 dB until there
/// are 120 frames, then at 4 dB; seeds `seed` plus the frames so far) until the stream has
/// `samples` samples; the detector run over the whole.
pub fn scenes_until(mut first: Scene, chunk: usize, seed: u64, samples: usize) -> Scene {
    while first.fixed.len() < samples {
        let snr = if first.frames.len() < 120 { 9.0 } else { 4.0 };
        let more = scene(chunk, snr, HOLDOFF, seed + first.frames.len() as u64);
        let base = first.fixed.len();
        first.x.extend(&more.x);
        first.fixed.extend(&more.fixed);
        first
            .frames
            .extend(more.frames.into_iter().map(|(s, p, m)| (s + base, p, m)));
    }
    first.detect();
    first
}

/// The decision a frame calls for: the matcher's on its head when the filter decodes its
/// MCS (0 or 10), pass otherwise.
pub fn truth(psdu: &[u8], mcs: u8, table: &SidTable) -> super::sid_match::Decision {
    if mcs == 0 || mcs == 10 {
        super::sid_match::classify(&psdu[..psdu.len().min(super::psdu_head::HEAD_BYTES)], table)
    } else {
        super::sid_match::Decision::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::sid_match::{classify, Decision};
    use crate::rx::{receive_all, ReceiverConfig};

    fn det_at(n: usize, hits: &[usize]) -> Vec<Output> {
        let mut d = vec![Output::default(); n];
        for &h in hits {
            d[h].detect = true;
            d[h].corr = (1000, h as i16);
        }
        d
    }

    /// Detections before the delay line is full and in a hold-off are ignored; a frame
    /// whose SIG is no candidate (here: silence) frees the filter `RELEASE` samples after
    /// its start.
    #[test]
    fn takes_detections_after_the_line_fills_and_the_holdoff() {
        let x = vec![(0i16, 0i16); 20_000];
        let hits = [3, 511, 512, 513, 1000, 5000, 9000];
        let r = run(&x, &det_at(x.len(), &hits), &SidTable::new(&[], 0));
        let arms: Vec<usize> = r.reads.iter().map(|r| r.found.arm).collect();
        // silence: every metric 0, the first candidate wins, start = arm + 33 − 178
        let release = 512 + FIRST - START_BACK + RELEASE;
        assert_eq!(release, 1567);
        assert_eq!(arms, [512, 5000, 9000]);
        assert_eq!((r.detections, r.ignored), (7, 4));
        let r = run(
            &x,
            &det_at(x.len(), &[512, 1566, 1567]),
            &SidTable::new(&[], 0),
        );
        let arms: Vec<usize> = r.reads.iter().map(|r| r.found.arm).collect();
        assert_eq!(arms, [512, 1567]);
        assert!(r
            .reads
            .iter()
            .all(|r| r.frame.is_some_and(|f| !f.sig.candidate)));
    }

    /// The word comes in from the sample after the detection; before, the mixer runs at
    /// the old word; the filter sees nothing of the last `DELAY` samples.
    #[test]
    fn derotates_from_the_sample_after_a_detection() {
        let x = vec![(1000i16, 0i16); 1200];
        let d = det_at(x.len(), &[600]);
        let r = run(&x, &d, &SidTable::new(&[], 0));
        assert_eq!(r.detections, 1);
        assert_eq!(r.ignored, 0);
        let mut ddc = Ddc::new(0);
        let mut want: Vec<(i16, i16)> = x[..601].iter().map(|&v| ddc.step(v)).collect();
        ddc.set_word(word(1000, 600) as u32);
        want.extend(x[601..].iter().map(|&v| ddc.step(v)));
        assert_eq!(r.y, want);
        // the search ends at 600 + 296 < 1200, the frame cannot be read
        assert_eq!(r.reads.len(), 1);
        assert_eq!(r.reads[0].frame, None);
    }

    /// Frames through the channel model (offset ±37 kHz, fractional timing, 9, 6 and 3 dB):
    /// the frames found at their start (−3..0), and the filter's decisions against the
    /// frames' own and the software receiver's (its decoded PSDU through the matcher).
    #[test]
    fn decides_frames_through_the_channel() {
        let table = scene_table();
        let mut line = String::new();
        for (snr, seed) in [(9.0, 41), (6.0, 42), (3.0, 43)] {
            let sc = scene(60, snr, HOLDOFF, seed);
            let rx = run(&sc.fixed, &sc.det, &table);
            let mut cfg = ReceiverConfig::new(crate::params::Format::S1g1M);
            cfg.deliver_bad_fcs = true;
            let (sw, _) = receive_all(cfg, &sc.x);
            let (mut found, mut right, mut as_sw, mut sw_decoded) = (0, 0, 0, 0);
            for (start, p, mcs) in &sc.frames {
                let want = truth(p, *mcs, &table);
                let read = rx
                    .reads
                    .iter()
                    .find(|r| (start.saturating_sub(3)..=*start).contains(&r.found.start));
                let sw_frame = sw
                    .iter()
                    .find(|f| (f.info.sample_index as usize).abs_diff(*start) <= 8);
                let sw_dec = sw_frame.map(|f| {
                    if (f.info.mcs.0 == 0 || f.info.mcs.0 == 10) && !f.info.aggregated {
                        let head =
                            &f.psdu[..f.psdu.len().min(crate::frontend::psdu_head::HEAD_BYTES)];
                        classify(head, &table)
                    } else {
                        Decision::Pass
                    }
                });
                sw_decoded += usize::from(sw_frame.is_some());
                let Some(r) = read else { continue };
                found += 1;
                let got = r.frame.map(|f| f.decision);
                right += usize::from(got == Some(want));
                as_sw += usize::from(sw_dec.is_some() && got == sw_dec);
            }
            let n = sc.frames.len();
            // from 6 dB every frame found and synchronised, decisions as the frames' own and
            // the software receiver's for nearly all
            if snr >= 6.0 {
                assert_eq!(found, n, "{snr} dB: frames found");
                assert!(right + n / 20 >= n, "{snr} dB: {right} of {n} right");
                assert!(
                    as_sw + n / 20 >= sw_decoded,
                    "{snr} dB: {as_sw} as software's {sw_decoded}"
                );
            }
            line += &format!(
                "\n  {snr} dB: {n} frames, {} detections ({} ignored), {} searches; found {found}, \
                 decision as the frame's own {right}, as the software receiver's {as_sw} \
                 (software decoded {sw_decoded})",
                rx.detections,
                rx.ignored,
                rx.reads.len()
            );
        }
        println!("sid_rx:{line}");
    }
}
