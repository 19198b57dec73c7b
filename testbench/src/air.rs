//! The medium at IQ level (issue 9): whether a receiver decodes a frame is decided by the
//! real PHY, not by a rule. Every reception is rendered — the frame with its path loss,
//! shadowing and carrier offset at that receiver, every frame overlapping it on the channel
//! with theirs, and thermal noise — through `dsp::tx` and the channel model
//! (`dsp::scene::render`), and handed to a `dsp::rx::Receiver`; the frame counts as received
//! when the receiver decodes the same PSDU at its start. So collisions may or may not be
//! captured, far terminals fade out at the MCS they picked, and nothing else decides.
//!
//! IQ is made only around transmissions: silence between them is not synthesised (the
//! receiver starts afresh for each reception), which is what lets a simulated day of
//! thousands of meters run in minutes.
//!
//! The gateway may receive through the whole-band receiver instead
//! ([`Air::use_wideband`]): its receptions are then rendered as one stream spanning all its
//! channels — the frame, and every meter's frame overlapping it in time on any of them, each
//! on its channel's offset — and decoded by `dsp::wideband` (channelizer plus a receiver per
//! channel), as a gateway with one wideband radio hears them.

use std::collections::{BTreeMap, HashMap};

use subgate_dsp::channel::Multipath;
use subgate_dsp::rng::Rng;
use subgate_dsp::rx::{Receiver, ReceiverConfig};
use subgate_dsp::scene::{render, SceneFrame};
use subgate_dsp::wideband::{BandChannel, WidebandConfig, WidebandError, WidebandReceiver};
use subgate_dsp::{Complex32, Format, Gi, Mcs, TxRequest};

use crate::link::LinkBudget;

/// Carrier frequency used for crystal offsets, Hz.
const CARRIER_HZ: f64 = 915e6;
/// Samples of noise rendered before and after the frame of interest.
const PAD: usize = 200;

/// Where a node is and how its crystal is off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// Position, m (the gateway is at the origin).
    pub x_m: f64,
    /// Position, m.
    pub y_m: f64,
    /// Crystal offset, ppm.
    pub ppm: f64,
}

impl Node {
    /// Distance to `o`, m.
    pub fn distance_m(&self, o: &Node) -> f64 {
        (self.x_m - o.x_m).hypot(self.y_m - o.y_m)
    }
}

/// One frame on the channel, as the air sees it.
#[derive(Debug, Clone, Copy)]
pub struct Emission<'a> {
    /// Sender: `None` the gateway, `Some(i)` terminal `i`.
    pub from: Option<usize>,
    /// Channel number.
    pub channel: u8,
    /// Start, µs.
    pub start_us: u64,
    /// The PSDU (FCS included).
    pub psdu: &'a [u8],
    /// Its MCS.
    pub mcs: Mcs,
}

/// What the air did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AirStats {
    /// Receptions rendered and decoded.
    pub receptions: u64,
    /// Receptions with another frame overlapping.
    pub overlapped: u64,
    /// Overlapped receptions the receiver still decoded (capture).
    pub captured: u64,
    /// Receptions lost.
    pub lost: u64,
    /// Samples rendered.
    pub samples: u64,
}

/// The deployment: link budget, the gateway and every terminal.
pub struct Air {
    budget: LinkBudget,
    format: Format,
    gateway: Node,
    terminals: Vec<Node>,
    /// Shadowing of terminal i's link to the gateway, dB (terminal-to-terminal links draw
    /// theirs from the pair, on demand).
    shadow: Vec<f64>,
    pair_shadow: HashMap<(usize, usize), f64>,
    seed: u64,
    rx: Receiver,
    renders: u64,
    stats: AirStats,
    /// Equalised points of frames the gateway decoded, per MCS, up to `keep_per_mcs` each.
    constellations: BTreeMap<u8, Vec<Complex32>>,
    keep_per_mcs: usize,
    /// The gateway's whole-band receiver, when it uses one.
    wide: Option<Wide>,
}

/// The span of the gateway's channels as one stream.
struct Wide {
    /// The stream's rate.
    rate: f64,
    /// Per channel, the whole-band receiver's bank over the full span with only that
    /// channel's receiver attached — a reception's outcome depends on its own channel's
    /// receiver alone, so the others' decoding is skipped. Made once, reset between
    /// receptions.
    rxs: HashMap<u8, WidebandReceiver>,
    /// Channel number → centre offset from the stream's centre, Hz.
    offsets: HashMap<u8, f64>,
}

impl std::fmt::Debug for Air {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Air")
            .field("budget", &self.budget)
            .field("terminals", &self.terminals.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Air {
    /// A deployment of `terminals` around a gateway at the origin; shadowing drawn from
    /// `seed`.
    pub fn new(budget: LinkBudget, format: Format, terminals: Vec<Node>, seed: u64) -> Air {
        let mut rng = Rng::new(seed ^ 0xA1B2_C3D4);
        let shadow = terminals
            .iter()
            .map(|_| rng.normal() * budget.shadowing_db)
            .collect();
        Air {
            budget,
            format,
            gateway: Node {
                x_m: 0.0,
                y_m: 0.0,
                ppm: 0.0,
            },
            terminals,
            shadow,
            pair_shadow: HashMap::new(),
            seed,
            rx: Receiver::new(ReceiverConfig::new(format)),
            renders: 0,
            stats: AirStats::default(),
            constellations: BTreeMap::new(),
            keep_per_mcs: 0,
            wide: None,
        }
    }

    /// Makes the gateway receive through the whole-band receiver over `channels` (S1G
    /// channel numbers: centres 0.5 MHz × number apart, in any band): one stream at the
    /// lowest rate, a whole number of channel widths, that carries them all.
    pub fn use_wideband(&mut self, channels: &[u8]) -> Result<(), WidebandError> {
        let width = self.format.sample_rate();
        let centre = |n: u8| 0.5e6 * f64::from(n);
        let lo = channels
            .iter()
            .map(|&n| centre(n) - width / 2.0)
            .fold(f64::INFINITY, f64::min);
        let hi = channels
            .iter()
            .map(|&n| centre(n) + width / 2.0)
            .fold(f64::NEG_INFINITY, f64::max);
        if channels.is_empty() {
            return Err(WidebandError::NoChannels);
        }
        let rate = ((hi - lo) / width).ceil() * width;
        let mid = (lo + hi) / 2.0;
        let offsets: HashMap<u8, f64> = channels.iter().map(|&n| (n, centre(n) - mid)).collect();
        // The whole span checks as one configuration first (grid, edges, duplicates).
        let all: Vec<BandChannel> = channels
            .iter()
            .map(|&n| BandChannel {
                number: u16::from(n),
                format: self.format,
                offset_hz: centre(n) - mid,
            })
            .collect();
        WidebandReceiver::new(WidebandConfig::new(rate, all.clone()))?;
        let mut rxs = HashMap::new();
        for c in all {
            let n = c.number as u8;
            rxs.insert(
                n,
                WidebandReceiver::new(WidebandConfig::new(rate, vec![c]))?,
            );
        }
        self.wide = Some(Wide { rate, rxs, offsets });
        Ok(())
    }

    /// Whether the gateway receives through the whole-band receiver.
    pub fn is_wideband(&self) -> bool {
        self.wide.is_some()
    }

    /// Keeps up to `points` equalised data points per MCS of the frames the gateway decodes
    /// (for constellation plots; 0 keeps none).
    pub fn keep_constellations(&mut self, points: usize) {
        self.keep_per_mcs = points;
        self.rx = Receiver::new(ReceiverConfig {
            keep_points: points.min(4096),
            ..ReceiverConfig::new(self.format)
        });
    }

    /// The kept points per MCS, in the order the frames came.
    pub fn constellations(&self) -> &BTreeMap<u8, Vec<Complex32>> {
        &self.constellations
    }

    /// The link budget.
    pub fn budget(&self) -> &LinkBudget {
        &self.budget
    }

    /// Terminal `i`'s place.
    pub fn terminal(&self, i: usize) -> Option<&Node> {
        self.terminals.get(i)
    }

    /// Counters so far.
    pub fn stats(&self) -> AirStats {
        self.stats
    }

    fn node(&self, n: Option<usize>) -> Option<&Node> {
        match n {
            None => Some(&self.gateway),
            Some(i) => self.terminals.get(i),
        }
    }

    fn shadow_db(&mut self, a: Option<usize>, b: Option<usize>) -> f64 {
        match (a, b) {
            (None, None) => 0.0,
            (None, Some(i)) | (Some(i), None) => self.shadow.get(i).copied().unwrap_or(0.0),
            (Some(i), Some(j)) => {
                let key = (i.min(j), i.max(j));
                let sd = self.budget.shadowing_db;
                let seed = self.seed;
                *self.pair_shadow.entry(key).or_insert_with(|| {
                    let mut r = Rng::new(seed ^ ((key.0 as u64) << 32 | key.1 as u64));
                    r.normal() * sd
                })
            }
        }
    }

    /// SNR of a frame from `from` at `to`, dB.
    pub fn snr_db(&mut self, from: Option<usize>, to: Option<usize>) -> f64 {
        let (Some(a), Some(b)) = (self.node(from).copied(), self.node(to).copied()) else {
            return f64::NEG_INFINITY;
        };
        let tx = if from.is_none() {
            self.budget.gateway_dbm
        } else {
            self.budget.terminal_dbm
        };
        let shadow = self.shadow_db(from, to);
        self.budget
            .snr_db(self.format, tx, a.distance_m(&b), shadow)
    }

    /// Carrier offset of `from`'s frames at `to`, Hz.
    pub fn cfo_hz(&self, from: Option<usize>, to: Option<usize>) -> f64 {
        let ppm = |n| self.node(n).map_or(0.0, |x| x.ppm);
        (ppm(from) - ppm(to)) * CARRIER_HZ * 1e-6
    }

    /// Whether receiver `to` (`None`: the gateway) decodes `target`, with `others`
    /// overlapping it in time (a narrowband receiver hears those on the target's channel;
    /// the gateway's whole-band receiver all of them).
    pub fn decodes(
        &mut self,
        to: Option<usize>,
        target: &Emission<'_>,
        others: &[Emission<'_>],
    ) -> bool {
        if to.is_none() && self.wide.is_some() {
            return self.decodes_wideband(target, others);
        }
        let same: Vec<Emission<'_>> = others
            .iter()
            .filter(|o| o.channel == target.channel)
            .copied()
            .collect();
        let others = &same[..];
        let fs = self.format.sample_rate();
        let samples_per_us = fs / 1e6;
        let origin = others
            .iter()
            .map(|o| o.start_us)
            .chain([target.start_us])
            .min()
            .unwrap_or(target.start_us);
        let mut frames = Vec::with_capacity(1 + others.len());
        let mut total = 0usize;
        for (k, e) in std::iter::once(target).chain(others.iter()).enumerate() {
            let snr = self.snr_db(e.from, to);
            let start = PAD + ((e.start_us - origin) as f64 * samples_per_us).round() as usize;
            let req = TxRequest::new(e.psdu.to_vec(), self.format, e.mcs);
            let len = self
                .format
                .ppdu_len(Gi::Long, self.format.n_sym(e.mcs, e.psdu.len()));
            total = total.max(start + len + PAD);
            self.renders += 1;
            frames.push(SceneFrame {
                req,
                start,
                snr_db: snr,
                cfo_hz: self.cfo_hz(e.from, to),
                sco_ppm: 0.0,
                multipath: Multipath::None,
                delay_frac: 0.0,
                seed: self.seed ^ self.renders ^ (k as u64) << 48,
            });
        }
        self.stats.receptions += 1;
        if !others.is_empty() {
            self.stats.overlapped += 1;
        }
        let Ok((samples, truth)) = render(&frames, total, fs, self.seed ^ self.renders) else {
            self.stats.lost += 1;
            return false;
        };
        self.stats.samples += samples.len() as u64;
        self.rx.reset();
        let mut out = Vec::new();
        self.rx.process(&samples, &mut out);
        self.rx.finish();
        let at = truth.first().map_or(0, |t| t.start) as u64;
        let ok = out
            .iter()
            .any(|f| f.psdu == target.psdu && f.info.sample_index.abs_diff(at) < 64);
        if ok && !others.is_empty() {
            self.stats.captured += 1;
        }
        if !ok {
            self.stats.lost += 1;
        }
        if self.keep_per_mcs > 0 {
            for c in self.rx.take_constellations() {
                if to.is_none() && c.sample_index.abs_diff(at) < 64 {
                    let kept = self.constellations.entry(c.mcs.0).or_default();
                    let room = self.keep_per_mcs.saturating_sub(kept.len());
                    kept.extend(c.points.into_iter().take(room));
                }
            }
        }
        ok
    }

    /// The gateway's reception through its whole-band receiver: `target` and the meters'
    /// frames overlapping it on any channel, rendered in one stream of the channels' span.
    fn decodes_wideband(&mut self, target: &Emission<'_>, others: &[Emission<'_>]) -> bool {
        let Some(wide) = self.wide.as_ref() else {
            return false;
        };
        let rate = wide.rate;
        let fs = self.format.sample_rate();
        let per_us = rate / 1e6;
        let pad = (PAD as f64 * rate / fs) as usize;
        // The gateway does not hear its own frames (it is half duplex; the superframe keeps
        // them apart from the meters' anyway).
        let heard: Vec<&Emission<'_>> = std::iter::once(target)
            .chain(others.iter().filter(|o| o.from.is_some()))
            .filter(|e| wide.offsets.contains_key(&e.channel))
            .collect();
        let origin = heard
            .iter()
            .map(|e| e.start_us)
            .min()
            .unwrap_or(target.start_us);
        let mut frames = Vec::with_capacity(heard.len());
        let mut total = 0usize;
        for (k, e) in heard.iter().enumerate() {
            let offset = wide.offsets.get(&e.channel).copied().unwrap_or(0.0);
            let start = pad + ((e.start_us - origin) as f64 * per_us).round() as usize;
            let len = self
                .format
                .ppdu_len(Gi::Long, self.format.n_sym(e.mcs, e.psdu.len()));
            total = total.max(start + (len as f64 * rate / fs).ceil() as usize + pad);
            self.renders += 1;
            frames.push(SceneFrame {
                req: TxRequest::new(e.psdu.to_vec(), self.format, e.mcs),
                start,
                snr_db: 0.0,
                cfo_hz: offset,
                sco_ppm: 0.0,
                multipath: Multipath::None,
                delay_frac: 0.0,
                seed: self.seed ^ self.renders ^ (k as u64) << 48,
            });
        }
        for (f, e) in frames.iter_mut().zip(&heard) {
            f.snr_db = self.snr_db(e.from, None);
            f.cfo_hz += self.cfo_hz(e.from, None);
        }
        self.stats.receptions += 1;
        let overlapped = heard.len() > 1;
        if overlapped {
            self.stats.overlapped += 1;
        }
        let Ok((samples, truth)) = render(&frames, total, rate, self.seed ^ self.renders) else {
            self.stats.lost += 1;
            return false;
        };
        let Some(rx) = self
            .wide
            .as_mut()
            .and_then(|w| w.rxs.get_mut(&target.channel))
        else {
            return false;
        };
        self.stats.samples += samples.len() as u64;
        let mut out = Vec::new();
        rx.reset();
        for block in samples.chunks(1 << 15) {
            rx.process(block, &mut out);
        }
        rx.finish(&mut out);
        let at = truth.first().map_or(0, |t| t.start) as u64;
        let tolerance = (64.0 * rate / fs) as u64;
        let ok = out.iter().any(|f| {
            f.info.channel == u16::from(target.channel)
                && f.psdu == target.psdu
                && f.info.sample_index.abs_diff(at) < tolerance
        });
        if ok && overlapped {
            self.stats.captured += 1;
        }
        if !ok {
            self.stats.lost += 1;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::PathLossModel;

    fn fcs(body: &[u8]) -> Vec<u8> {
        let mut p = body.to_vec();
        subgate_dsp::crc::append_fcs(&mut p);
        p
    }

    fn air(distances: &[f64]) -> Air {
        let budget = LinkBudget {
            shadowing_db: 0.0,
            ..LinkBudget::default()
        };
        let nodes = distances
            .iter()
            .map(|&d| Node {
                x_m: d,
                y_m: 0.0,
                ppm: 10.0,
            })
            .collect();
        Air::new(budget, Format::S1g1M, nodes, 7)
    }

    #[test]
    fn near_frames_decode_and_far_ones_do_not() {
        let psdu = fcs(&[0x5Au8; 60]);
        let b = LinkBudget::default();
        let far = PathLossModel::Macro.distance_m(
            b.terminal_dbm - crate::link::noise_floor_dbm(Format::S1g1M, b.noise_figure_db) + 8.0,
        );
        let mut a = air(&[300.0, far]);
        let e = |from| Emission {
            from: Some(from),
            channel: 1,
            start_us: 1_000,
            psdu: &psdu,
            mcs: Mcs(10),
        };
        assert!(a.decodes(None, &e(0), &[]), "300 m at MCS10");
        assert!(
            !a.decodes(None, &e(1), &[]),
            "{far:.0} m: 8 dB under the noise"
        );
        assert_eq!(a.stats().receptions, 2);
        assert_eq!(a.stats().lost, 1);
    }

    #[test]
    fn a_strong_frame_survives_a_weak_overlap_and_equal_ones_do_not() {
        let p1 = fcs(&[0x11u8; 40]);
        let p2 = fcs(&[0x22u8; 40]);
        // 100 m and 1500 m: about 44 dB apart at the gateway. At MCS4 (16-QAM, 11.6 dB at
        // 10 % PER) an equal-power overlap is fatal; the strong frame is captured over the
        // weak one.
        let mut a = air(&[100.0, 1500.0, 100.0]);
        let e = |from, psdu, start_us| Emission {
            from: Some(from),
            channel: 1,
            start_us,
            psdu,
            mcs: Mcs(4),
        };
        assert!(a.decodes(None, &e(0, &p1, 1_000), &[e(1, &p2, 1_500)]));
        assert!(!a.decodes(None, &e(1, &p2, 1_500), &[e(0, &p1, 1_000)]));
        assert!(!a.decodes(None, &e(0, &p1, 1_000), &[e(2, &p2, 1_300)]));
        assert_eq!(a.stats().captured, 1);
    }
}
