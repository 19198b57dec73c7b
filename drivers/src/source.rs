//! Sample sources and sinks: what the whole-band receiver reads from and what a transmitter
//! or a capture writes to, behind two small traits so a recording and a radio are used the
//! same way.
//!
//! # Sources ([`Source`])
//! - [`RecordingSource`]: a SigMF recording (memory-mapped), then [`SourceRead::End`].
//! - `soapy::SoapySource` (feature `soapy`): a SoapySDR radio; overflows and samples lost
//!   (measured from the device's timestamps) come with the next samples as a gap.
//!
//! # Sinks ([`Sink`])
//! - [`crate::sigmf::Writer`]: a SigMF recording.
//! - `soapy::SoapySink` (feature `soapy`): a SoapySDR radio's transmitter.
//!
//! Samples are `Complex32` with full scale |x| = 1.

use crate::sigmf::{Recording, SigmfError, Writer};
use num_complex::Complex32;

/// What one read gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRead {
    /// `n` samples; `gap` samples were lost just before them (0 when none, or when the
    /// source cannot tell).
    Samples {
        /// Samples written to the buffer.
        n: usize,
        /// Samples lost before them.
        gap: u64,
    },
    /// No samples within the source's timeout (a radio); try again.
    Timeout,
    /// The device reported an overflow; the samples after it carry the gap.
    Overflow,
    /// The stream has ended (a recording).
    End,
}

/// What a source has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceCounters {
    /// Samples delivered.
    pub samples: u64,
    /// Overflows reported by the device.
    pub overflows: u64,
    /// Samples lost, measured from the device's timestamps.
    pub dropped: u64,
    /// Reads that timed out.
    pub timeouts: u64,
}

/// Why a source or sink failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// A SigMF recording failed.
    #[error(transparent)]
    Sigmf(#[from] SigmfError),
    /// A SoapySDR device failed.
    #[cfg(feature = "soapy")]
    #[error(transparent)]
    Soapy(#[from] crate::soapy::SoapyError),
}

/// A stream of samples at a fixed rate.
pub trait Source: Send {
    /// Samples per second.
    fn sample_rate(&self) -> f64;
    /// Centre frequency, Hz, when known.
    fn centre_hz(&self) -> Option<f64>;
    /// Reads up to `buf.len()` samples.
    fn read(&mut self, buf: &mut [Complex32]) -> Result<SourceRead, StreamError>;
    /// Counters so far.
    fn counters(&self) -> SourceCounters;
}

/// Somewhere samples go.
pub trait Sink {
    /// Writes all of `samples`.
    fn write_samples(&mut self, samples: &[Complex32]) -> Result<(), StreamError>;
}

/// A SigMF recording read from its first sample to its end.
#[derive(Debug)]
pub struct RecordingSource {
    rec: Recording,
    pos: usize,
    counters: SourceCounters,
}

impl RecordingSource {
    /// Reads `rec` from its start.
    pub fn new(rec: Recording) -> Self {
        RecordingSource {
            rec,
            pos: 0,
            counters: SourceCounters::default(),
        }
    }

    /// The recording.
    pub fn recording(&self) -> &Recording {
        &self.rec
    }
}

impl Source for RecordingSource {
    fn sample_rate(&self) -> f64 {
        self.rec.sample_rate()
    }

    fn centre_hz(&self) -> Option<f64> {
        self.rec.center_frequency()
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<SourceRead, StreamError> {
        let n = self.rec.read(self.pos, buf);
        if n == 0 {
            return Ok(SourceRead::End);
        }
        self.pos += n;
        self.counters.samples += n as u64;
        Ok(SourceRead::Samples { n, gap: 0 })
    }

    fn counters(&self) -> SourceCounters {
        self.counters
    }
}

impl Sink for Writer {
    fn write_samples(&mut self, samples: &[Complex32]) -> Result<(), StreamError> {
        Ok(self.write(samples)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigmf::Datatype;

    #[test]
    fn a_recording_written_through_the_sink_reads_back_through_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("x");
        let x: Vec<Complex32> = (0..10_000)
            .map(|i| {
                Complex32::new(
                    (i as f32 * 0.01).sin() * 0.5,
                    (i as f32 * 0.013).cos() * 0.5,
                )
            })
            .collect();
        let mut w = Writer::create(&base, Datatype::Cf32Le, 2e6, Some(866e6), "test").unwrap();
        for chunk in x.chunks(777) {
            w.write_samples(chunk).unwrap();
        }
        w.finish().unwrap();
        let mut src = RecordingSource::new(Recording::open(&base).unwrap());
        assert_eq!((src.sample_rate(), src.centre_hz()), (2e6, Some(866e6)));
        let mut back = Vec::new();
        let mut buf = vec![Complex32::new(0.0, 0.0); 4096];
        loop {
            match src.read(&mut buf).unwrap() {
                SourceRead::Samples { n, gap } => {
                    assert_eq!(gap, 0);
                    back.extend_from_slice(&buf[..n]);
                }
                SourceRead::End => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(back, x);
        assert_eq!(src.counters().samples, 10_000);
        // the end stays the end
        assert_eq!(src.read(&mut buf).unwrap(), SourceRead::End);
    }
}
