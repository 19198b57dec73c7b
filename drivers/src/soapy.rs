//! A SoapySDR radio as a sample source (cargo feature `soapy`): HackRF, USRP, LimeSDR or
//! any other device SoapySDR has a module for, opened by its device string.
//!
//! # Stream output
//! Blocks of `Complex32` samples, full scale |x| = 1 (SoapySDR's CF32 format).
//!
//! # Counters
//! Overflows (the device's `SOAPY_SDR_OVERFLOW`: the host fell behind and the device
//! dropped samples), samples dropped (from the jump in the device's timestamps, when it has
//! them), timeouts. A gap is handed to the caller with the next samples, so the receiver
//! can keep its time base ([`SourceRead::Samples`]'s `gap`).
//!
//! [`SoapySink`] is the transmit side: samples written go out of the radio's transmitter.
//!
//! # Usage
//! ```no_run
//! use subgate_drivers::soapy::{SoapyConfig, SoapySource};
//! use subgate_drivers::source::SourceRead;
//! let mut radio = SoapySource::open(&SoapyConfig::new("driver=hackrf", 20e6, 910e6))?;
//! let mut buf = vec![num_complex::Complex32::new(0.0, 0.0); 1 << 16];
//! if let SourceRead::Samples { n, gap } = radio.read(&mut buf)? {
//!     println!("{n} samples after a gap of {gap}");
//! }
//! # Ok::<(), subgate_drivers::soapy::SoapyError>(())
//! ```

use crate::source::{Sink, Source, SourceCounters, SourceRead, StreamError};
use num_complex::Complex32;
use soapysdr::{Device, Direction, ErrorCode, RxStream, TxStream};

/// How to open and tune a radio.
#[derive(Debug, Clone, PartialEq)]
pub struct SoapyConfig {
    /// SoapySDR device string (`driver=hackrf`, `driver=uhd,type=b200`, …).
    pub device: String,
    /// Sample rate, samples/s.
    pub rate_hz: f64,
    /// Centre frequency, Hz.
    pub centre_hz: f64,
    /// Overall gain, dB (`None`: the device's automatic gain if it has one, else left as is).
    pub gain_db: Option<f64>,
    /// Analogue filter bandwidth, Hz (`None`: left to the driver).
    pub bandwidth_hz: Option<f64>,
    /// How long one read waits for samples, µs.
    pub timeout_us: i64,
}

impl SoapyConfig {
    /// A configuration with automatic gain, the driver's filter and 100 ms reads.
    pub fn new(device: &str, rate_hz: f64, centre_hz: f64) -> Self {
        SoapyConfig {
            device: device.to_string(),
            rate_hz,
            centre_hz,
            gain_db: None,
            bandwidth_hz: None,
            timeout_us: 100_000,
        }
    }
}

/// What went wrong with a radio.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SoapyError {
    /// SoapySDR found no device for the string.
    #[error("no SoapySDR device matches {device:?} (is the radio plugged in and its SoapySDR module installed? `SoapySDRUtil --find` lists what SoapySDR sees)")]
    NotFound {
        /// The device string.
        device: String,
    },
    /// The device would not open.
    #[error("opening SoapySDR device {device:?}: {message}")]
    Open {
        /// The device string.
        device: String,
        /// SoapySDR's message.
        message: String,
    },
    /// A setting was refused.
    #[error("setting the {what} of {device:?}: {message}")]
    Setting {
        /// The device string.
        device: String,
        /// Which setting.
        what: &'static str,
        /// SoapySDR's message.
        message: String,
    },
    /// The stream failed.
    #[error("streaming from {device:?}: {message}")]
    Stream {
        /// The device string.
        device: String,
        /// SoapySDR's message.
        message: String,
    },
}

/// An open, streaming radio.
pub struct SoapySource {
    cfg: SoapyConfig,
    // the stream holds its own handle on the device; the device is kept for settings
    _device: Device,
    stream: RxStream<Complex32>,
    /// Time of the next expected sample, ns (from the device's timestamps).
    next_ns: Option<i64>,
    counters: SourceCounters,
}

impl SoapySource {
    /// Finds and opens the device, sets rate, frequency, gain and bandwidth, and starts the
    /// stream.
    pub fn open(cfg: &SoapyConfig) -> Result<Self, SoapyError> {
        let device = cfg.device.clone();
        let dev = open_tuned(cfg, Direction::Rx)?;
        let mut stream = dev
            .rx_stream::<Complex32>(&[0])
            .map_err(|e| SoapyError::Stream {
                device: device.clone(),
                message: e.message.clone(),
            })?;
        stream.activate(None).map_err(|e| SoapyError::Stream {
            device: device.clone(),
            message: e.message,
        })?;
        tracing::info!(device = %cfg.device, rate = cfg.rate_hz, centre = cfg.centre_hz, "radio streaming");
        Ok(SoapySource {
            cfg: cfg.clone(),
            _device: dev,
            stream,
            next_ns: None,
            counters: SourceCounters::default(),
        })
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &SoapyConfig {
        &self.cfg
    }

    /// Reads up to `buf.len()` samples.
    pub fn read(&mut self, buf: &mut [Complex32]) -> Result<SourceRead, SoapyError> {
        match self.stream.read(&mut [buf], self.cfg.timeout_us) {
            Ok(n) => {
                let t = self.stream.time_ns();
                let mut gap = 0;
                if let Some(expected) = self.next_ns {
                    let late_ns = t - expected;
                    // more than half a sample later than the last read ended: lost samples
                    let lost = (late_ns as f64 * self.cfg.rate_hz / 1e9).round();
                    if lost >= 1.0 {
                        gap = lost as u64;
                        self.counters.dropped += gap;
                        tracing::warn!(gap, "samples lost before this read");
                    }
                }
                if t != 0 || self.next_ns.is_some() {
                    self.next_ns = Some(t + (n as f64 * 1e9 / self.cfg.rate_hz).round() as i64);
                }
                self.counters.samples += n as u64;
                Ok(SourceRead::Samples { n, gap })
            }
            Err(e) if e.code == ErrorCode::Timeout => {
                self.counters.timeouts += 1;
                Ok(SourceRead::Timeout)
            }
            Err(e) if e.code == ErrorCode::Overflow => {
                self.counters.overflows += 1;
                tracing::warn!(device = %self.cfg.device, "overflow: the device dropped samples");
                Ok(SourceRead::Overflow)
            }
            Err(e) => Err(SoapyError::Stream {
                device: self.cfg.device.clone(),
                message: e.to_string(),
            }),
        }
    }
}

/// Finds and opens `cfg.device` and sets its rate, frequency, bandwidth and gain in
/// `direction`; checks the rate it really runs at.
fn open_tuned(cfg: &SoapyConfig, direction: Direction) -> Result<Device, SoapyError> {
    let device = cfg.device.clone();
    let found = soapysdr::enumerate(cfg.device.as_str()).map_err(|e| SoapyError::Open {
        device: device.clone(),
        message: e.message.clone(),
    })?;
    if found.is_empty() {
        return Err(SoapyError::NotFound { device });
    }
    let dev = Device::new(cfg.device.as_str()).map_err(|e| SoapyError::Open {
        device: device.clone(),
        message: e.message.clone(),
    })?;
    let setting = |what: &'static str| {
        let device = device.clone();
        move |e: soapysdr::Error| SoapyError::Setting {
            device,
            what,
            message: e.message,
        }
    };
    dev.set_sample_rate(direction, 0, cfg.rate_hz)
        .map_err(setting("sample rate"))?;
    dev.set_frequency(direction, 0, cfg.centre_hz, ())
        .map_err(setting("centre frequency"))?;
    if let Some(bw) = cfg.bandwidth_hz {
        dev.set_bandwidth(direction, 0, bw)
            .map_err(setting("bandwidth"))?;
    }
    match cfg.gain_db {
        Some(g) => dev.set_gain(direction, 0, g).map_err(setting("gain"))?,
        None => {
            if direction == Direction::Rx && dev.has_gain_mode(direction, 0).unwrap_or(false) {
                dev.set_gain_mode(direction, 0, true)
                    .map_err(setting("automatic gain"))?;
            }
        }
    }
    let rate = dev
        .sample_rate(direction, 0)
        .map_err(setting("sample rate"))?;
    if (rate - cfg.rate_hz).abs() > 1.0 {
        return Err(SoapyError::Setting {
            device,
            what: "sample rate",
            message: format!(
                "asked for {} samples/s, the device runs at {rate}",
                cfg.rate_hz
            ),
        });
    }
    Ok(dev)
}

impl Source for SoapySource {
    fn sample_rate(&self) -> f64 {
        self.cfg.rate_hz
    }

    fn centre_hz(&self) -> Option<f64> {
        Some(self.cfg.centre_hz)
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<SourceRead, StreamError> {
        Ok(SoapySource::read(self, buf)?)
    }

    fn counters(&self) -> SourceCounters {
        self.counters
    }
}

/// A radio's transmitter as a sample sink: rate, frequency and gain set as for receiving
/// (the gain is the transmit gain; without one the device's default is kept).
pub struct SoapySink {
    cfg: SoapyConfig,
    _device: Device,
    stream: TxStream<Complex32>,
    written: u64,
}

impl SoapySink {
    /// Opens and tunes the device's transmitter and starts its stream.
    pub fn open(cfg: &SoapyConfig) -> Result<Self, SoapyError> {
        let dev = open_tuned(cfg, Direction::Tx)?;
        let stream_error = |e: soapysdr::Error| SoapyError::Stream {
            device: cfg.device.clone(),
            message: e.message,
        };
        let mut stream = dev.tx_stream::<Complex32>(&[0]).map_err(stream_error)?;
        stream.activate(None).map_err(stream_error)?;
        tracing::info!(device = %cfg.device, rate = cfg.rate_hz, centre = cfg.centre_hz, "transmitting");
        Ok(SoapySink {
            cfg: cfg.clone(),
            _device: dev,
            stream,
            written: 0,
        })
    }

    /// Samples sent so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Sends the end-of-burst flag after the last samples; returns how many were sent.
    pub fn finish(mut self) -> Result<u64, SoapyError> {
        let last: &[Complex32] = &[];
        self.stream
            .write(&[last], None, true, self.cfg.timeout_us)
            .map_err(|e| SoapyError::Stream {
                device: self.cfg.device.clone(),
                message: e.to_string(),
            })?;
        Ok(self.written)
    }
}

impl Sink for SoapySink {
    fn write_samples(&mut self, samples: &[Complex32]) -> Result<(), StreamError> {
        self.stream
            .write_all(&[samples], None, false, self.cfg.timeout_us)
            .map_err(|e| SoapyError::Stream {
                device: self.cfg.device.clone(),
                message: e.to_string(),
            })?;
        self.written += samples.len() as u64;
        Ok(())
    }
}
