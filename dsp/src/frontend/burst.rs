//! Fixed-point model of the front end's burst gate, bit-exact with
//! `subgate_gateware::burst::BurstGate`: of the channel's sample stream it forwards only the
//! samples around detected packets — from `pre` samples before each STF detection (the
//! pre-trigger FIFO) to `hold` samples after the last one — so the board's link carries bursts
//! instead of the whole stream.
//!
//! # Behaviour
//! - Input: the decimation chain's signed 16-bit I/Q samples `x[k]`, `k` counted from 0
//!   after configuration (32 bits, wrapping), each with a trigger bit — the STF detector's
//!   detection for the window ending at that sample ([`super::detect`]). The board's top level
//!   holds each sample until the detector's evaluation of it comes out and presents both
//!   together.
//! - Pre-trigger FIFO: every sample goes through a delay line of `pre` samples (a ring of
//!   [`RING`] = 512 slots in one block RAM, `1 ≤ pre ≤` [`MAX_PRE`]); when sample `k` arrives,
//!   sample `j = k − pre` comes out of the FIFO and is *forwarded* when some trigger `m` lies in
//!   `[j − hold, j + pre]` — all such triggers have arrived by then, so the decision needs no
//!   look-ahead and no buffering beyond the FIFO. Equivalently: with `since` = samples since
//!   the last trigger (after counting sample `k`'s), `j` is forwarded when `since ≤ pre + hold`.
//!   `since` saturates at [`SINCE_MAX`] (2¹⁷ − 1 > [`MAX_PRE`] + 2¹⁶), and nothing is forwarded
//!   before the first trigger or for `j < 0`.
//! - Bursts: a forwarded sample whose predecessor was not forwarded starts a burst
//!   ([`BurstOutput::Sample::start`]); the first sample not forwarded after a burst produces
//!   [`BurstOutput::End`] with its own index, one past the burst's last sample (the host can
//!   process the burst without waiting for the next one). Overlapping trigger windows merge
//!   into one burst. The index of every forwarded sample is given (32 bits, wrapping), so the host keeps
//!   absolute time.
//! - Sizing: the receiver's synchroniser reads back to 72 samples before the detector's window
//!   start, which is `span − 1` (71 at 1 MHz, 79 at 2 MHz) before the trigger sample; with
//!   [`DEFAULT_PRE`] = 256 a burst starts about 180 samples before the window start at
//!   either format. `hold` must cover the longest PPDU after its STF (27 920 samples at
//!   1 MHz MCS0 with 511 symbols); it is a 16-bit run-time setting (the gateware's `hold`
//!   input, read with each sample).
//! - Timing in the gateware: one output record (or none) per input sample, [`LATENCY`] clocks
//!   after its valid; inputs may come on every clock. The last `pre` samples of a stream stay
//!   in the FIFO.

/// Slots in the pre-trigger ring (one 512 × 36 block RAM; 32 bits used).
pub const RING: usize = 512;
/// Largest pre-trigger length.
pub const MAX_PRE: usize = RING - 1;
/// Pre-trigger length that covers the receiver's look-back at both formats with margin.
pub const DEFAULT_PRE: usize = 256;
/// Saturation value of the samples-since-trigger counter (17 bits).
pub const SINCE_MAX: u32 = (1 << 17) - 1;
/// Clocks from a valid input to its output record's strobe in the gateware.
pub const LATENCY: usize = 2;

const _: () = assert!(RING.is_power_of_two() && SINCE_MAX as usize > MAX_PRE + (1 << 16));

/// What the gate puts out for one input sample (besides nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurstOutput {
    /// A forwarded sample.
    Sample {
        /// Its index in the input stream (wrapping at 2³²).
        index: u32,
        /// The sample.
        x: (i16, i16),
        /// First sample of a burst.
        start: bool,
    },
    /// The burst ended before sample `next`.
    End {
        /// Index one past the burst's last sample (wrapping at 2³²).
        next: u32,
    },
}

/// Streaming burst gate for one channel; all state carries over between calls.
#[derive(Debug, Clone)]
pub struct BurstGate {
    pre: usize,
    hold: u16,
    ring: Vec<(i16, i16)>,
    /// Index of the next input sample.
    k: u32,
    /// At least `pre` samples have come in (`j = k − pre ≥ 0`).
    filled: bool,
    /// A trigger has been seen.
    armed: bool,
    /// Samples since the last trigger, saturating.
    since: u32,
    /// The previous FIFO output was forwarded.
    open: bool,
}

impl BurstGate {
    /// A gate with a pre-trigger FIFO of `pre` samples and `hold` samples after the last
    /// trigger, closed, as after configuration.
    ///
    /// # Panics
    /// If `pre` is 0 or above [`MAX_PRE`].
    pub fn new(pre: usize, hold: u16) -> Self {
        assert!(
            (1..=MAX_PRE).contains(&pre),
            "pre {pre} out of 1..={MAX_PRE}"
        );
        BurstGate {
            pre,
            hold,
            ring: vec![(0, 0); RING],
            k: 0,
            filled: false,
            armed: false,
            since: SINCE_MAX,
            open: false,
        }
    }

    /// The pre-trigger length.
    pub fn pre(&self) -> usize {
        self.pre
    }

    /// Changes the hold length from the next sample on (the gateware reads its `hold` input
    /// with each sample).
    pub fn set_hold(&mut self, hold: u16) {
        self.hold = hold;
    }

    /// One input sample with its trigger bit; returns what comes out for it.
    pub fn step(&mut self, x: (i16, i16), trigger: bool) -> Option<BurstOutput> {
        let k = self.k;
        let j = k.wrapping_sub(self.pre as u32);
        let slot = |i: u32| i as usize % RING;
        // the FIFO's output is read before the new sample is written (different slots)
        let y = self.ring[slot(j)];
        self.ring[slot(k)] = x;
        self.k = k.wrapping_add(1);
        self.since = if trigger {
            0
        } else {
            (self.since + 1).min(SINCE_MAX)
        };
        self.armed |= trigger;
        let was_filled = self.filled;
        if k == self.pre as u32 - 1 {
            self.filled = true;
        }
        if !was_filled {
            return None;
        }
        let forward = self.armed && self.since <= self.pre as u32 + u32::from(self.hold);
        let was_open = std::mem::replace(&mut self.open, forward);
        match (forward, was_open) {
            (true, _) => Some(BurstOutput::Sample {
                index: j,
                x: y,
                start: !was_open,
            }),
            (false, true) => Some(BurstOutput::End { next: j }),
            (false, false) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Multipath;
    use crate::crc::append_fcs;
    use crate::frontend::detect::{threshold_word, Detector};
    use crate::frontend::to_fixed;
    use crate::rng::Rng;
    use crate::rx::{receive_all, ReceiverConfig};
    use crate::scene::{render, SceneFrame};
    use crate::{Complex32, Format, Mcs, TxRequest};

    /// The gate's output written out from its definition, over a whole stream: sample `j` is
    /// forwarded when `j + pre` has come in and a trigger `m` lies in `[j − hold, j + pre]`,
    /// `hold` being the value in force when sample `j + pre` came in; bursts start and end
    /// where forwarding starts and stops.
    fn direct(x: &[(i16, i16)], trig: &[bool], hold: &[u16], pre: usize) -> Vec<BurstOutput> {
        let mut out = Vec::new();
        let mut last_trigger: Option<usize> = None;
        let mut open = false;
        for k in 0..x.len() {
            if trig[k] {
                last_trigger = Some(k);
            }
            let Some(j) = k.checked_sub(pre) else {
                continue;
            };
            let forward = last_trigger.is_some_and(|m| m + usize::from(hold[k]) >= j);
            if forward {
                out.push(BurstOutput::Sample {
                    index: j as u32,
                    x: x[j],
                    start: !open,
                });
            } else if open {
                out.push(BurstOutput::End { next: j as u32 });
            }
            open = forward;
        }
        out
    }

    /// Random samples and triggers — sparse, in clusters, in the first `pre` samples, after
    /// a silence longer than the saturating counter's range — with the hold changed now and
    /// then (0, 1, short, long), for FIFO lengths 1, 8, 256 and 511: every output record as
    /// the definition says.
    #[test]
    fn matches_the_definition() {
        for (pre, seed) in [(1, 1), (8, 2), (DEFAULT_PRE, 3), (MAX_PRE, 4)] {
            let mut rng = Rng::new(seed);
            let n = 200_000 + 2 * SINCE_MAX as usize;
            let x: Vec<(i16, i16)> = (0..n)
                .map(|_| {
                    let r = rng.next_u64();
                    (r as i16, (r >> 16) as i16)
                })
                .collect();
            let trig: Vec<bool> = (0..n)
                .map(|k| match k {
                    // early triggers, before the FIFO has filled
                    3 | 5 => true,
                    // a long silence: the counter saturates
                    120_000..=260_000 => false,
                    _ => match (k / 5000) % 4 {
                        0 => rng.below(3000) == 0,
                        1 => rng.below(40) == 0,
                        2 => false,
                        _ => rng.below(400) == 0,
                    },
                })
                .collect();
            let hold: Vec<u16> = (0..n)
                .map(|k| match (k / 7919) % 5 {
                    0 => 0,
                    1 => 1,
                    2 => 37,
                    3 => 3000,
                    _ => u16::MAX,
                })
                .collect();
            let mut gate = BurstGate::new(pre, hold[0]);
            let mut got = Vec::new();
            for k in 0..n {
                gate.set_hold(hold[k]);
                got.extend(gate.step(x[k], trig[k]));
            }
            let want = direct(&x, &trig, &hold, pre);
            assert_eq!(got.len(), want.len(), "pre {pre}");
            for (r, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "pre {pre}, record {r}");
            }
            let bursts = got
                .iter()
                .filter(|o| matches!(o, BurstOutput::Sample { start: true, .. }))
                .count();
            let ends = got
                .iter()
                .filter(|o| matches!(o, BurstOutput::End { .. }))
                .count();
            println!(
                "pre {pre}: {} records equal to the definition, {bursts} bursts, {ends} ends",
                got.len()
            );
            // every burst but possibly the last one ends
            assert!(
                bursts > 50 && (ends == bursts || ends + 1 == bursts),
                "{bursts} bursts, {ends} ends"
            );
        }
    }

    /// Frames from the transmitter through the channel model (1 MHz, 10–25 dB, 5000–15 000
    /// samples apart), the detector model's triggers at the receiver's threshold, the gate
    /// with [`DEFAULT_PRE`] and `hold` = the longest frame: each burst decoded on its own by
    /// the software receiver gives the same frames as the whole stream. Also the share of the
    /// stream the gate forwards, with frames and on noise alone.
    #[test]
    fn bursts_carry_whole_frames() {
        let format = Format::S1g1M;
        let lag = format.fft_len() / 4;
        let scale = 64.0;
        let mut rng = Rng::new(77);
        let mut frames = Vec::new();
        let mut start = 3000;
        let mut longest = 0;
        for k in 0..40 {
            let mut psdu = vec![0u8; 20 + rng.below(60) as usize];
            rng.fill_bytes(&mut psdu);
            append_fcs(&mut psdu);
            let mcs = if k % 2 == 0 {
                Mcs(10)
            } else {
                Mcs(rng.below(3) as u8)
            };
            let req = TxRequest::new(psdu, format, mcs);
            let len = crate::tx::Transmitter::ppdu_len(&req).unwrap_or(0);
            longest = longest.max(len);
            frames.push(SceneFrame {
                req,
                start,
                snr_db: 10.0 + rng.uniform() * 15.0,
                cfo_hz: (rng.uniform() - 0.5) * 40e3,
                sco_ppm: (rng.uniform() - 0.5) * 40.0,
                multipath: [Multipath::None, Multipath::TgnB][k % 2],
                delay_frac: rng.uniform(),
                seed: rng.next_u64(),
            });
            start += len + 5000 + rng.below(10_000) as usize;
        }
        let (x, _truth) = match render(&frames, start + 3000, format.sample_rate(), 5) {
            Ok(r) => r,
            Err(e) => panic!("scene: {e}"),
        };
        let mut q = Vec::with_capacity(x.len());
        assert_eq!(to_fixed(&x, scale, &mut q), 0);
        let to_float = |s: &[(i16, i16)]| -> Vec<Complex32> {
            s.iter()
                .map(|&(i, q)| Complex32::new(f32::from(i) / scale, f32::from(q) / scale))
                .collect()
        };
        let cfg = ReceiverConfig::new(format);
        let (whole, _) = receive_all(cfg.clone(), &to_float(&q));

        let hold = u16::try_from(longest).unwrap_or(u16::MAX);
        let gated = |q: &[(i16, i16)]| -> (Vec<Vec<(i16, i16)>>, usize) {
            let mut det = Detector::new(lag, threshold_word(cfg.threshold));
            let mut gate = BurstGate::new(DEFAULT_PRE, hold);
            let (mut bursts, mut forwarded) = (Vec::new(), 0);
            let mut cur: Vec<(i16, i16)> = Vec::new();
            for &v in q {
                match gate.step(v, det.step(v).detect) {
                    Some(BurstOutput::Sample { x, start, .. }) => {
                        if start && !cur.is_empty() {
                            bursts.push(std::mem::take(&mut cur));
                        }
                        cur.push(x);
                        forwarded += 1;
                    }
                    Some(BurstOutput::End { .. }) => bursts.push(std::mem::take(&mut cur)),
                    None => {}
                }
            }
            if !cur.is_empty() {
                bursts.push(cur);
            }
            (bursts, forwarded)
        };
        let (bursts, forwarded) = gated(&q);
        let mut from_bursts = Vec::new();
        for b in &bursts {
            from_bursts.extend(receive_all(cfg.clone(), &to_float(b)).0);
        }
        let psdus =
            |f: &[crate::RxFrame]| -> Vec<Vec<u8>> { f.iter().map(|f| f.psdu.clone()).collect() };

        // noise alone: the bursts false alarms open
        let mut noise_rng = Rng::new(9);
        let noise: Vec<Complex32> = (0..1 << 22)
            .map(|_| {
                let s = std::f64::consts::FRAC_1_SQRT_2;
                Complex32::new(
                    (noise_rng.normal() * s) as f32,
                    (noise_rng.normal() * s) as f32,
                )
            })
            .collect();
        let mut nq = Vec::with_capacity(noise.len());
        assert_eq!(to_fixed(&noise, scale, &mut nq), 0);
        let (noise_bursts, noise_forwarded) = gated(&nq);
        println!(
            "{} frames (longest {longest} samples, hold {hold}): whole stream decodes {}, the \
             gate's {} bursts decode {}; forwarded {forwarded} of {} samples ({:.1} %). Noise \
             alone: {} bursts, {noise_forwarded} of {} samples forwarded ({:.2} %)",
            frames.len(),
            whole.len(),
            bursts.len(),
            from_bursts.len(),
            q.len(),
            100.0 * forwarded as f64 / q.len() as f64,
            noise_bursts.len(),
            nq.len(),
            100.0 * noise_forwarded as f64 / nq.len() as f64
        );
        assert!(
            whole.len() >= frames.len() * 9 / 10,
            "whole stream: {}",
            whole.len()
        );
        assert_eq!(psdus(&from_bursts), psdus(&whole));
        assert!(
            forwarded < q.len() * 3 / 4,
            "the gate forwards {forwarded} of {}",
            q.len()
        );
        assert!(
            noise_bursts.len() <= 10,
            "{} bursts on noise",
            noise_bursts.len()
        );
    }
}
