//! The streaming S1G receiver: samples in (blocks of any size), frames out.
//!
//! One stage per file: [`detect`] (STF autocorrelation), [`sync`] (timing, CFO, channel),
//! [`tracking`] (pilot loops), [`decode`] (SIG and data). This module keeps the sample
//! history between calls, so frames straddling blocks, back-to-back frames and frames at a
//! buffer's very edge all decode. Buffers are sized at construction and reused; the only
//! allocation per frame is the PSDU handed out.

pub mod decode;
pub mod detect;
pub mod sync;
pub mod tracking;

use crate::crc::fcs_ok;
use crate::frame::{RxFrame, RxInfo};
use crate::params::Format;
use crate::preamble::STF_LEN;
use crate::sig::SigError;
use decode::{DecodeError, FrameDecoder, PhaseSource};
use detect::{Detection, StfDetector};
use num_complex::Complex32;
use rustfft::FftPlanner;
use sync::Synchronizer;

/// Receiver settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverConfig {
    /// PPDU format on this channel.
    pub format: Format,
    /// Input sample rate; must be the format's native rate (resample first otherwise).
    /// Used for `RxInfo::time_s` and `cfo_hz`.
    pub sample_rate: f64,
    /// Channel number written into `RxInfo`.
    pub channel: u16,
    /// Normalised STF correlation threshold (0..1); lower finds weaker frames and costs
    /// more false starts. Default 0.3.
    pub threshold: f32,
    /// Smooth the channel estimate over adjacent tones. Default on.
    pub smoothing: bool,
    /// Also return frames whose FCS fails, with `RxInfo::fcs_ok = false` (for monitoring
    /// and PHY tests; PSDUs shorter than an FCS always fail it). Default off: such frames
    /// are only counted.
    pub deliver_bad_fcs: bool,
    /// Keep up to this many equalised data points of every decoded frame (constellation
    /// plots: [`Receiver::take_constellations`]). Default 0: nothing is kept.
    pub keep_points: usize,
}

impl ReceiverConfig {
    /// Defaults for `format` at its native rate.
    pub fn new(format: Format) -> Self {
        ReceiverConfig {
            format,
            sample_rate: format.sample_rate(),
            channel: 0,
            threshold: 0.3,
            smoothing: true,
            deliver_bad_fcs: false,
            keep_points: 0,
        }
    }
}

/// Counters of what the receiver saw. Frames that fail are counted, never returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RxStats {
    /// Samples consumed.
    pub samples: u64,
    /// STF detections.
    pub detections: u64,
    /// Detections with no LTF where one should be.
    pub sync_failures: u64,
    /// SIG CRC failures.
    pub sig_crc_errors: u64,
    /// Valid SIGs announcing something this PHY does not receive (MIMO, LDPC, NDP, …).
    pub sig_unsupported: u64,
    /// Data decoded but the A-MPDU delimiter was bad or the length impossible.
    pub data_errors: u64,
    /// PSDUs whose FCS failed (not returned).
    pub fcs_errors: u64,
    /// PSDUs with a correct FCS.
    pub frames: u64,
    /// Frames cut off by the end of the stream.
    pub truncated: u64,
}

/// Input is consumed in chunks of at most this many samples so the history buffer stays small.
const CHUNK: usize = 1 << 14;
/// Samples after a synchronised STF start where scanning resumes when its SIG fails.
const RESUME_AFTER_BAD_SIG: usize = STF_LEN - 24;
/// Where to resume scanning after a detection that led nowhere.
const SKIP_AFTER_FAILURE: u64 = 80;

#[derive(Debug, Clone, Copy)]
struct Pending {
    det: Detection,
    need: u64,
}

enum Attempt {
    /// More samples needed, up to this absolute index.
    Need(u64),
    /// Finished with this detection; continue scanning here.
    Done(u64),
}

/// Streaming receiver of one channel.
pub struct Receiver {
    cfg: ReceiverConfig,
    detector: StfDetector,
    sync: Synchronizer,
    dec: FrameDecoder,
    buf: Vec<Complex32>,
    base: u64,
    scan_from: u64,
    pending: Option<Pending>,
    stats: RxStats,
    constellations: Vec<Constellation>,
}

/// The equalised data points of one decoded frame (`ReceiverConfig::keep_points`).
#[derive(Debug, Clone, PartialEq)]
pub struct Constellation {
    /// The frame's `RxInfo::sample_index`.
    pub sample_index: u64,
    /// Its MCS.
    pub mcs: crate::params::Mcs,
    /// Equalised data-tone points, symbol after symbol, from the decoding pass whose bits
    /// were kept (unit mean power on the ideal constellation).
    pub points: Vec<Complex32>,
}

impl Receiver {
    /// A receiver with FFT plans and buffers made once.
    pub fn new(cfg: ReceiverConfig) -> Self {
        let f = cfg.format;
        let fft = FftPlanner::new().plan_fft_forward(f.fft_len());
        let mut sync = Synchronizer::new(f, fft.clone());
        sync.smoothing = cfg.smoothing;
        let max_frame = f.ppdu_len(crate::params::Gi::Long, crate::params::MAX_DATA_SYMBOLS);
        let mut dec = FrameDecoder::new(f, fft);
        dec.keep_points = cfg.keep_points;
        Receiver {
            detector: StfDetector::new(f.fft_len() / 4, cfg.threshold),
            sync,
            dec,
            buf: Vec::with_capacity(2 * max_frame + 2 * CHUNK),
            base: 0,
            scan_from: 0,
            pending: None,
            stats: RxStats::default(),
            constellations: Vec::new(),
            cfg,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.cfg
    }

    /// Counters so far.
    pub fn stats(&self) -> RxStats {
        self.stats
    }

    /// The constellations of the frames decoded since the last call, oldest first (empty
    /// unless `ReceiverConfig::keep_points` > 0).
    pub fn take_constellations(&mut self) -> Vec<Constellation> {
        std::mem::take(&mut self.constellations)
    }

    /// Forgets the stream (sample indices restart at 0); counters are kept.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.base = 0;
        self.scan_from = 0;
        self.pending = None;
        self.detector.reset();
    }

    /// Consumes `input`, appending decoded frames (FCS correct) to `out`.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<RxFrame>) {
        for chunk in input.chunks(CHUNK) {
            self.buf.extend_from_slice(chunk);
            self.stats.samples += chunk.len() as u64;
            self.run(out);
            self.compact();
        }
    }

    /// Ends the stream: a frame still waiting for samples is counted as truncated.
    pub fn finish(&mut self) -> RxStats {
        if self.pending.take().is_some() {
            self.stats.truncated += 1;
        }
        self.stats
    }

    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    fn run(&mut self, out: &mut Vec<RxFrame>) {
        loop {
            if let Some(p) = self.pending {
                if self.end() < p.need {
                    return;
                }
                match self.attempt(p.det, out) {
                    Attempt::Need(need) => {
                        self.pending = Some(Pending { det: p.det, need });
                        return;
                    }
                    Attempt::Done(next) => {
                        self.pending = None;
                        self.scan_from = next.max(self.base);
                        self.detector.reset();
                    }
                }
                continue;
            }
            let (det, next) = self.detector.scan(&self.buf, self.base, self.scan_from);
            self.scan_from = next;
            match det {
                Some(d) => {
                    self.stats.detections += 1;
                    let need = d.index + self.sync.needs_after_detection() as u64;
                    self.pending = Some(Pending { det: d, need });
                }
                None => return,
            }
        }
    }

    fn attempt(&mut self, det: Detection, out: &mut Vec<RxFrame>) -> Attempt {
        let rel = (det.index - self.base) as usize;
        let skip = det.index + SKIP_AFTER_FAILURE;
        let Some(sync) = self.sync.sync(&self.buf, rel, det.corr) else {
            self.stats.sync_failures += 1;
            return Attempt::Done(skip);
        };
        let sig_end = sync.start + self.dec.preamble_len();
        if sig_end > self.buf.len() {
            return Attempt::Need(self.base + sig_end as u64);
        }
        // After a failed SIG resume 136 samples into the STF: a window starting there keeps
        // under 30 % of its products inside the STF, so the same STF is not detected and
        // counted again — yet a false lock in noise just before a real frame (whose LTF
        // search ran into that frame's STF) does not skip the real preamble.
        let past_ltf = self.base + (sync.start + RESUME_AFTER_BAD_SIG) as u64;
        let sig = match self.dec.decode_sig(&self.buf, &sync, &PhaseSource::Pilots) {
            Ok(s) => s,
            Err(SigError::Crc) => {
                self.stats.sig_crc_errors += 1;
                return Attempt::Done(past_ltf);
            }
            Err(SigError::Unsupported(_)) => {
                self.stats.sig_unsupported += 1;
                return Attempt::Done(past_ltf);
            }
        };
        let end = self.dec.end(&sync, &sig);
        if end > self.buf.len() {
            return Attempt::Need(self.base + end as u64);
        }
        let start_abs = self.base + sync.start as u64;
        match self
            .dec
            .decode_data(&self.buf, &sync, &sig, &PhaseSource::Pilots)
        {
            Ok(d) => {
                let ok = fcs_ok(&d.psdu);
                if ok {
                    self.stats.frames += 1;
                } else {
                    self.stats.fcs_errors += 1;
                }
                if ok || self.cfg.deliver_bad_fcs {
                    let mut info = self.info(start_abs, &sync, &d);
                    info.fcs_ok = ok;
                    if self.cfg.keep_points > 0 {
                        self.constellations.push(Constellation {
                            sample_index: start_abs,
                            mcs: d.sig.mcs,
                            points: self.dec.kept_points().to_vec(),
                        });
                    }
                    out.push(RxFrame { info, psdu: d.psdu });
                }
                // resume a little before the end: a back-to-back STF may start right there
                Attempt::Done(self.base + d.end as u64 - 16)
            }
            Err(DecodeError::TooLong) | Err(DecodeError::Ampdu(_)) | Err(DecodeError::Sig(_)) => {
                self.stats.data_errors += 1;
                Attempt::Done(self.base + end as u64 - 16)
            }
        }
    }

    fn info(&self, start_abs: u64, sync: &sync::FrameSync, d: &decode::Decoded) -> RxInfo {
        RxInfo {
            sample_index: start_abs,
            time_s: start_abs as f64 / self.cfg.sample_rate,
            channel: self.cfg.channel,
            format: self.cfg.format,
            mcs: d.sig.mcs,
            length: d.psdu.len(),
            gi: d.sig.gi,
            aggregated: d.sig.aggregation,
            rssi_dbfs: sync.rssi_dbfs,
            snr_db: sync.snr_db,
            cfo_hz: (sync.cfo * self.cfg.sample_rate) as f32,
            fcs_ok: true,
        }
    }

    /// The earliest input sample index at which a frame not yet returned may start: every
    /// frame a later `process` returns has `sample_index ≥ horizon()`. A detection (pending,
    /// or completing at or after `scan_from` in a later block) may read back to its STF
    /// start, up to `needs_before_detection` earlier. The wideband receiver merges its
    /// channels in time order with it.
    pub fn horizon(&self) -> u64 {
        let back = self.sync.needs_before_detection() as u64;
        match self.pending {
            Some(p) => p.det.index.saturating_sub(back),
            None => self.scan_from.saturating_sub(1 + back),
        }
    }

    /// Drops samples no state refers to any more.
    fn compact(&mut self) {
        let keep_from = self.horizon();
        let dead = keep_from.saturating_sub(self.base) as usize;
        if dead > 0 && (dead >= self.buf.len() / 2 || dead >= CHUNK) {
            let dead = dead.min(self.buf.len());
            self.buf.drain(..dead);
            self.base += dead as u64;
        }
    }

    /// Genie decoding for benchmarks: timing, CFO, channel and per-symbol phase are measured
    /// on `clean` (the same channel without noise) and applied to `noisy`. Returns the PSDU
    /// if its FCS is correct.
    pub fn decode_genie(&mut self, noisy: &[Complex32], clean: &[Complex32]) -> Option<Vec<u8>> {
        let mut det = StfDetector::new(self.cfg.format.fft_len() / 4, 0.5);
        let (d, _) = det.scan(clean, 0, 0);
        let d = d?;
        // the genie's channel is exact: never smoothed
        let smoothing = std::mem::replace(&mut self.sync.smoothing, false);
        let sync = self.sync.sync(clean, d.index as usize, d.corr);
        self.sync.smoothing = smoothing;
        let sync = sync?;
        let sig = self.dec.decode_sig(clean, &sync, &PhaseSource::Raw).ok()?;
        if self.dec.end(&sync, &sig) > clean.len().min(noisy.len()) {
            return None;
        }
        self.dec
            .decode_data(clean, &sync, &sig, &PhaseSource::Raw)
            .ok()?;
        let known = PhaseSource::Known(self.dec.corrections.clone());
        let sig_noisy = self.dec.decode_sig(noisy, &sync, &known).ok()?;
        if sig_noisy != sig {
            return None;
        }
        let d = self.dec.decode_data(noisy, &sync, &sig, &known).ok()?;
        fcs_ok(&d.psdu).then_some(d.psdu)
    }
}

/// Decodes every frame in `samples` (a whole recording or test vector) with a fresh receiver.
pub fn receive_all(cfg: ReceiverConfig, samples: &[Complex32]) -> (Vec<RxFrame>, RxStats) {
    let mut rx = Receiver::new(cfg);
    let mut out = Vec::new();
    rx.process(samples, &mut out);
    let stats = rx.finish();
    (out, stats)
}
