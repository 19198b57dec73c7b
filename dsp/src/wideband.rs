//! The whole-band receiver: one wideband stream in, every configured channel decoded at
//! once, frames out in time order with their channel number.
//!
//! Channels of one width share a [`Channelizer`] (1 MHz channels one bank, 2 MHz channels
//! another), shifted so that the band plan's channel centres fall on the bank's bins. Each
//! channel has its own streaming [`Receiver`]; the banks' windows and the receivers run on
//! rayon's pool. A frame is handed out only once no channel can still return one that
//! started earlier ([`Receiver::horizon`]), so the output is sorted by start time across
//! channels (ties by channel number).
//!
//! Sample indices and times in the frames' [`RxInfo`](crate::RxInfo) are the wideband
//! stream's, corrected for the bank's group delay.

use crate::channelizer::{Channelizer, ChannelizerConfig, ChannelizerError, Oversampling};
use crate::frame::RxFrame;
use crate::params::Format;
use crate::rx::{Receiver, ReceiverConfig, RxStats};
use num_complex::Complex32;
use rayon::prelude::*;

/// One channel to decode.
#[derive(Debug, Clone, PartialEq)]
pub struct BandChannel {
    /// Channel number (the band plan's), written into every frame's `RxInfo::channel`.
    pub number: u16,
    /// PPDU format: `S1g1M` on 1 MHz channels, `S1gShort2M` on 2 MHz channels.
    pub format: Format,
    /// Centre of the channel relative to the stream's centre frequency, Hz.
    pub offset_hz: f64,
}

/// What the wideband receiver decodes.
#[derive(Debug, Clone, PartialEq)]
pub struct WidebandConfig {
    /// Input rate, samples/s: a whole multiple of every channel width used.
    pub sample_rate: f64,
    /// The channels.
    pub channels: Vec<BandChannel>,
    /// The receivers' STF detection threshold (see [`ReceiverConfig::threshold`]).
    pub threshold: f32,
    /// Taps per polyphase branch of the banks.
    pub taps_per_branch: usize,
}

impl WidebandConfig {
    /// Defaults: threshold 0.3, the prototype's default taps.
    pub fn new(sample_rate: f64, channels: Vec<BandChannel>) -> Self {
        WidebandConfig {
            sample_rate,
            channels,
            threshold: 0.3,
            taps_per_branch: crate::channelizer::prototype::DEFAULT_TAPS_PER_BRANCH,
        }
    }
}

/// Why a [`WidebandConfig`] cannot be received.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WidebandError {
    /// No channel to decode.
    #[error("no channel to decode")]
    NoChannels,
    /// The same channel number twice.
    #[error("channel {0} is listed twice")]
    Duplicate(u16),
    /// A channel whose band reaches past the stream's edge.
    #[error("channel {number} at {offset_hz} Hz from the centre does not fit in a stream of {rate} samples/s (its edges must lie within ±{half} Hz)", half = rate / 2.0)]
    OutsideStream {
        /// Channel number.
        number: u16,
        /// Its offset.
        offset_hz: f64,
        /// The stream's rate.
        rate: f64,
    },
    /// Channels of one width that are not on one grid of that width.
    #[error(
        "channel {number} at {offset_hz} Hz is not on the grid of the other {width} MHz channels"
    )]
    OffGrid {
        /// Channel number.
        number: u16,
        /// Its offset.
        offset_hz: f64,
        /// Channel width, MHz.
        width: u8,
    },
    /// The bank refused the rate.
    #[error("{0}")]
    Channelizer(#[from] ChannelizerError),
}

/// One channel's counters.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelStats {
    /// The channel.
    pub channel: BandChannel,
    /// Its receiver's counters (samples at the channel's rate).
    pub rx: RxStats,
}

/// Counters of the whole receiver.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WidebandStats {
    /// Wideband samples consumed.
    pub samples: u64,
    /// Frames handed out.
    pub frames: u64,
    /// Per channel, in configuration order.
    pub channels: Vec<ChannelStats>,
}

struct ChannelRx {
    /// Position in the configuration.
    index: usize,
    spec: BandChannel,
    rx: Receiver,
    frames: Vec<RxFrame>,
}

/// The channels of one width: one bank, a receiver per bin used.
struct Grid {
    bank: Channelizer,
    rxs: Vec<ChannelRx>,
    /// The bank's outputs being filled from the current block, per receiver.
    outs: Vec<Vec<Complex32>>,
    /// The previous block's outputs, decoded while the bank works on the current one.
    ready: Vec<Vec<Complex32>>,
}

/// The whole-band receiver (see the module documentation).
pub struct WidebandReceiver {
    cfg: WidebandConfig,
    grids: Vec<Grid>,
    /// Decoded frames not yet handed out (indices already wideband).
    held: Vec<RxFrame>,
    samples: u64,
    frames: u64,
}

impl WidebandReceiver {
    /// Sets up the banks and receivers.
    pub fn new(cfg: WidebandConfig) -> Result<Self, WidebandError> {
        if cfg.channels.is_empty() {
            return Err(WidebandError::NoChannels);
        }
        for (i, c) in cfg.channels.iter().enumerate() {
            if cfg.channels[..i].iter().any(|o| o.number == c.number) {
                return Err(WidebandError::Duplicate(c.number));
            }
            let half = c.format.sample_rate() / 2.0;
            if !(c.offset_hz.is_finite()
                && c.offset_hz.abs() + half <= cfg.sample_rate / 2.0 + 1e-3)
            {
                return Err(WidebandError::OutsideStream {
                    number: c.number,
                    offset_hz: c.offset_hz,
                    rate: cfg.sample_rate,
                });
            }
        }
        let mut grids = Vec::new();
        for format in Format::ALL {
            let members: Vec<usize> = (0..cfg.channels.len())
                .filter(|&i| cfg.channels[i].format == format)
                .collect();
            let Some(&first) = members.first() else {
                continue;
            };
            let spacing = format.sample_rate();
            // shift the first channel onto the nearest bin; the others must follow
            let off = cfg.channels[first].offset_hz;
            let shift_hz = (off / spacing).round() * spacing - off;
            let mut bank_cfg = ChannelizerConfig {
                sample_rate: cfg.sample_rate,
                spacing_hz: spacing,
                oversampling: Oversampling::X1,
                taps_per_branch: cfg.taps_per_branch,
                shift_hz,
                bins: Vec::new(),
            };
            bank_cfg.channels()?;
            for &i in &members {
                let c = &cfg.channels[i];
                let bin = bank_cfg.bin_of(c.offset_hz).ok_or(WidebandError::OffGrid {
                    number: c.number,
                    offset_hz: c.offset_hz,
                    width: format.bandwidth_mhz(),
                })?;
                bank_cfg.bins.push(bin);
            }
            let bank = Channelizer::new(&bank_cfg)?;
            let rxs = members
                .iter()
                .map(|&i| {
                    let c = &cfg.channels[i];
                    let mut rc = ReceiverConfig::new(format);
                    rc.channel = c.number;
                    rc.threshold = cfg.threshold;
                    ChannelRx {
                        index: i,
                        spec: c.clone(),
                        rx: Receiver::new(rc),
                        frames: Vec::new(),
                    }
                })
                .collect();
            grids.push(Grid {
                bank,
                rxs,
                outs: vec![Vec::new(); members.len()],
                ready: vec![Vec::new(); members.len()],
            });
        }
        Ok(WidebandReceiver {
            cfg,
            grids,
            held: Vec::new(),
            samples: 0,
            frames: 0,
        })
    }

    /// Forgets the stream (sample indices restart at 0) and every frame not handed out,
    /// keeping the banks, receivers and buffers; the per-channel receivers' counters go on.
    pub fn reset(&mut self) {
        for g in &mut self.grids {
            g.bank.reset();
            for c in &mut g.rxs {
                c.rx.reset();
                c.frames.clear();
            }
            g.outs.iter_mut().for_each(Vec::clear);
            g.ready.iter_mut().for_each(Vec::clear);
        }
        self.held.clear();
        self.samples = 0;
    }

    /// The configuration.
    pub fn config(&self) -> &WidebandConfig {
        &self.cfg
    }

    /// Consumes a block of the wideband stream; appends to `out` every frame that can be
    /// handed out in time order. The banks split this block while the receivers decode the
    /// previous one (both on rayon's pool), so frames come out a block later than their
    /// samples went in.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<RxFrame>) {
        self.samples += input.len() as u64;
        self.step(Some(input));
        self.release(false, out);
    }

    /// Ends the stream: pushes the banks' last outputs through (with a filter length of
    /// zeros), decodes everything, hands out every frame still held and returns the
    /// counters.
    pub fn finish(&mut self, out: &mut Vec<RxFrame>) -> WidebandStats {
        let zeros = vec![
            Complex32::new(0.0, 0.0);
            self.grids
                .iter()
                .map(|g| g.bank.filter_len())
                .max()
                .unwrap_or(0)
        ];
        self.step(Some(&zeros));
        self.step(None);
        for g in &mut self.grids {
            for c in &mut g.rxs {
                c.rx.finish();
            }
        }
        self.release(true, out);
        self.stats()
    }
    /// Counters so far.
    pub fn stats(&self) -> WidebandStats {
        let mut channels: Vec<(usize, ChannelStats)> = self
            .grids
            .iter()
            .flat_map(|g| &g.rxs)
            .map(|c| {
                (
                    c.index,
                    ChannelStats {
                        channel: c.spec.clone(),
                        rx: c.rx.stats(),
                    },
                )
            })
            .collect();
        channels.sort_by_key(|(i, _)| *i);
        WidebandStats {
            samples: self.samples,
            frames: self.frames,
            channels: channels.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// One pipeline step: the banks split `input` (if any) while every receiver decodes the
    /// previous block's samples; then the filled outputs become the next ready ones.
    fn step(&mut self, input: Option<&[Complex32]>) {
        let mut banks = Vec::new();
        let mut decoders = Vec::new();
        for g in &mut self.grids {
            banks.push((&mut g.bank, &mut g.outs));
            decoders.extend(g.rxs.iter_mut().zip(g.ready.iter_mut()));
        }
        rayon::join(
            || {
                if let Some(x) = input {
                    for (bank, outs) in banks {
                        bank.process(x, outs);
                    }
                }
            },
            || {
                decoders
                    .into_par_iter()
                    .with_max_len(1)
                    .for_each(|(c, samples)| {
                        c.rx.process(samples, &mut c.frames);
                        samples.clear();
                    });
            },
        );
        let rate = self.cfg.sample_rate;
        for g in &mut self.grids {
            std::mem::swap(&mut g.outs, &mut g.ready);
            for c in &mut g.rxs {
                for mut f in c.frames.drain(..) {
                    let idx = g.bank.input_index(f.info.sample_index);
                    f.info.sample_index = idx;
                    f.info.time_s = idx as f64 / rate;
                    self.held.push(f);
                }
            }
        }
    }

    /// Hands out the held frames that no channel can precede any more (all of them at the
    /// end), sorted by start and channel.
    fn release(&mut self, all: bool, out: &mut Vec<RxFrame>) {
        let horizon = if all {
            u64::MAX
        } else {
            self.grids
                .iter()
                .flat_map(|g| {
                    g.rxs
                        .iter()
                        .map(move |c| g.bank.input_index(c.rx.horizon()))
                })
                .min()
                .unwrap_or(u64::MAX)
        };
        self.held
            .sort_by_key(|f| (f.info.sample_index, f.info.channel));
        let n = self.held.partition_point(|f| f.info.sample_index < horizon);
        self.frames += n as u64;
        out.extend(self.held.drain(..n));
    }
}
