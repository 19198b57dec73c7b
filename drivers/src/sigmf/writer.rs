//! Writing a SigMF recording: samples stream to the data file as they come, the metadata
//! (with annotations) is written once at the end.
//!
//! # Usage
//! ```no_run
//! use num_complex::Complex32;
//! use subgate_drivers::sigmf::{Annotation, Datatype, Writer};
//!
//! let mut w = Writer::create("out/capture", Datatype::Ci16Le, 2.0e6, Some(915.0e6), "test")?;
//! w.write(&[Complex32::new(0.25, -0.25); 1000])?;
//! w.annotate(Annotation::new(100, 200));
//! let summary = w.finish()?;
//! assert_eq!(summary.samples, 1000);
//! # Ok::<(), subgate_drivers::sigmf::SigmfError>(())
//! ```

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use num_complex::Complex32;

use super::error::{Result, SigmfError};
use super::meta::{check_annotations, paths, Annotation, Meta};
use super::Datatype;

/// Bytes converted at a time before handing them to the `BufWriter` (a whole number of
/// samples of every datatype).
const SCRATCH_BYTES: usize = 4096;

/// Streams samples into a new `.sigmf-data` file and writes the `.sigmf-meta` on
/// [`Writer::finish`]. Dropping it without `finish` leaves a data file with no metadata.
#[derive(Debug)]
pub struct Writer {
    meta_path: PathBuf,
    data_path: PathBuf,
    out: BufWriter<fs::File>,
    meta: Meta,
    samples: u64,
    clipped: u64,
    scratch: Box<[u8; SCRATCH_BYTES]>,
}

/// What [`Writer::finish`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteSummary {
    /// The metadata file.
    pub meta_path: PathBuf,
    /// The data file.
    pub data_path: PathBuf,
    /// Samples written.
    pub samples: u64,
    /// Samples with a component clipped to the integer range (always 0 for `cf32_le`).
    pub clipped: u64,
}

impl Writer {
    /// Creates (or truncates) `<base>.sigmf-data`; the metadata goes to
    /// `<base>.sigmf-meta` on [`Writer::finish`]. `base_path` may also be given with
    /// either extension.
    pub fn create(
        base_path: impl AsRef<Path>,
        datatype: Datatype,
        sample_rate: f64,
        center_frequency: Option<f64>,
        description: &str,
    ) -> Result<Writer> {
        let (meta_path, data_path) = paths(base_path.as_ref());
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(SigmfError::BadSampleRate {
                file: meta_path,
                rate: sample_rate,
            });
        }
        if let Some(f) = center_frequency.filter(|f| !f.is_finite()) {
            return Err(SigmfError::InvalidField {
                file: meta_path,
                field: "captures[0].core:frequency".into(),
                problem: format!("is {f}; it must be a finite number of Hz"),
            });
        }
        let file = fs::File::create(&data_path).map_err(|source| SigmfError::Io {
            file: data_path.clone(),
            source,
        })?;
        Ok(Writer {
            meta: Meta::new(datatype, sample_rate, center_frequency, description),
            meta_path,
            data_path,
            out: BufWriter::new(file),
            samples: 0,
            clipped: 0,
            scratch: Box::new([0; SCRATCH_BYTES]),
        })
    }

    /// Appends samples; integer formats round to nearest and clip to their range (counted
    /// in [`Self::clipped`]).
    pub fn write(&mut self, samples: &[Complex32]) -> Result<()> {
        let dt = self.meta.datatype;
        let size = dt.sample_size();
        for block in samples.chunks(SCRATCH_BYTES / size) {
            let bytes = &mut self.scratch[..block.len() * size];
            for (x, b) in block.iter().zip(bytes.chunks_exact_mut(size)) {
                if dt.encode(*x, b) {
                    self.clipped += 1;
                }
            }
            self.out.write_all(bytes).map_err(|source| SigmfError::Io {
                file: self.data_path.clone(),
                source,
            })?;
        }
        self.samples += samples.len() as u64;
        Ok(())
    }

    /// Adds an annotation; it must end inside the samples written by [`Self::finish`].
    pub fn annotate(&mut self, annotation: Annotation) {
        self.meta.annotations.push(annotation);
    }

    /// Samples written so far.
    pub fn samples_written(&self) -> u64 {
        self.samples
    }

    /// Samples clipped so far.
    pub fn clipped(&self) -> u64 {
        self.clipped
    }

    /// Flushes the data and writes the metadata. Refuses (writing no metadata) when an
    /// annotation reaches past the last sample.
    pub fn finish(mut self) -> Result<WriteSummary> {
        let io_err = |file: &Path| {
            let file = file.to_path_buf();
            move |source: io::Error| SigmfError::Io { file, source }
        };
        self.out.flush().map_err(io_err(&self.data_path))?;
        self.out
            .get_ref()
            .sync_all()
            .map_err(io_err(&self.data_path))?;
        check_annotations(&self.data_path, &self.meta.annotations, self.samples)?;
        self.meta.write_atomic(&self.meta_path)?;
        if self.clipped > 0 {
            tracing::warn!(
                file = %self.data_path.display(),
                clipped = self.clipped,
                samples = self.samples,
                datatype = %self.meta.datatype,
                "samples clipped to the integer range while writing"
            );
        }
        Ok(WriteSummary {
            meta_path: self.meta_path,
            data_path: self.data_path,
            samples: self.samples,
            clipped: self.clipped,
        })
    }
}
