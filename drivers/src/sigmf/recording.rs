//! Reading a SigMF recording: validate the metadata against the data, map the data file,
//! and convert sample ranges into caller buffers without allocating.
//!
//! # Usage
//! ```no_run
//! use num_complex::Complex32;
//! use subgate_drivers::sigmf::Recording;
//!
//! let rec = Recording::open("capture.sigmf-meta")?;
//! rec.check_rate(1.0e6)?;
//! let mut reader = rec.reader();
//! let mut buf = vec![Complex32::default(); 4096];
//! loop {
//!     let n = reader.next_block(&mut buf);
//!     if n == 0 {
//!         break;
//!     }
//!     // feed &buf[..n] to the receiver
//! }
//! # Ok::<(), subgate_drivers::sigmf::SigmfError>(())
//! ```

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use num_complex::Complex32;
use serde_json::{Map, Value};

use super::error::{Result, SigmfError};
use super::meta::{check_annotations, paths, Annotation, Capture, Meta};
use super::Datatype;

/// An open SigMF recording: parsed metadata plus the memory-mapped data file.
///
/// Opening checks everything that could later make a read lie: datatype, rate, a data
/// length that is a whole number of samples, captures and annotations inside the data.
/// After that no method fails or panics.
#[derive(Debug)]
pub struct Recording {
    meta_path: PathBuf,
    data_path: PathBuf,
    meta: Meta,
    map: Mmap,
    len: usize,
}

impl Recording {
    /// Opens a recording from its base path, its `.sigmf-meta` or its `.sigmf-data` path.
    pub fn open(path: impl AsRef<Path>) -> Result<Recording> {
        let (meta_path, data_path) = paths(path.as_ref());
        let meta = read_meta(&meta_path)?;

        let file = fs::File::open(&data_path).map_err(|e| data_open_error(&data_path, e))?;
        let bytes = file
            .metadata()
            .map_err(|source| SigmfError::Io {
                file: data_path.clone(),
                source,
            })?
            .len();
        let len = sample_count(&data_path, bytes, meta.datatype)?;
        meta.check_extent(&data_path, len)?;

        // SAFETY: the file is opened read-only and the map is never written through. The
        // remaining hazard, another process truncating or rewriting the file while it is
        // mapped, is memmap2's documented caveat: it can change the samples we read or
        // raise SIGBUS, and no safe API can rule it out. Recordings are treated as
        // immutable while open (documented on `Recording`'s module).
        let map = unsafe { Mmap::map(&file) }.map_err(|source| SigmfError::Io {
            file: data_path.clone(),
            source,
        })?;
        let sample_size = meta.datatype.sample_size();
        // Trust the map, not the earlier stat, should the file have changed in between.
        let len = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(map.len() / sample_size);
        tracing::debug!(
            file = %data_path.display(),
            datatype = %meta.datatype,
            sample_rate = meta.sample_rate,
            samples = len,
            annotations = meta.annotations.len(),
            "opened SigMF recording"
        );
        Ok(Recording {
            meta_path,
            data_path,
            meta,
            map,
            len,
        })
    }

    /// Path of the `.sigmf-meta` file, for messages.
    pub fn meta_path(&self) -> &Path {
        &self.meta_path
    }

    /// Path of the `.sigmf-data` file, for messages.
    pub fn data_path(&self) -> &Path {
        &self.data_path
    }

    /// On-disk sample format.
    pub fn datatype(&self) -> Datatype {
        self.meta.datatype
    }

    /// Sample rate, samples/s (finite and > 0, checked on open).
    pub fn sample_rate(&self) -> f64 {
        self.meta.sample_rate
    }

    /// Centre frequency of the first capture, Hz, when the file gives one.
    pub fn center_frequency(&self) -> Option<f64> {
        self.meta.captures.first().and_then(|c| c.frequency)
    }

    /// Number of complex samples in the data file.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the recording holds no samples (never true: empty data is refused on open).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Duration in seconds, `len / sample_rate`.
    pub fn duration_s(&self) -> f64 {
        self.len as f64 / self.meta.sample_rate
    }

    /// `global.core:description`, if any.
    pub fn description(&self) -> Option<&str> {
        self.meta.description.as_deref()
    }

    /// `global.core:version`, if any.
    pub fn version(&self) -> Option<&str> {
        self.meta.version.as_deref()
    }

    /// The whole `global` object, for keys this type does not model.
    pub fn global(&self) -> &Map<String, Value> {
        &self.meta.global
    }

    /// Capture segments in file order.
    pub fn captures(&self) -> &[Capture] {
        &self.meta.captures
    }

    /// Annotations in file order (as of opening; see [`Self::update_annotations`]).
    pub fn annotations(&self) -> &[Annotation] {
        &self.meta.annotations
    }

    /// Fails with [`SigmfError::SampleRateTooLow`] when the recording's rate is below
    /// `min_rate`, so a caller can refuse a file it cannot decode with a clear message.
    pub fn check_rate(&self, min_rate: f64) -> Result<()> {
        // Written so a NaN `min_rate` passes rather than rejecting every file.
        if self.meta.sample_rate < min_rate {
            return Err(SigmfError::SampleRateTooLow {
                file: self.meta_path.clone(),
                rate: self.meta.sample_rate,
                needed: min_rate,
            });
        }
        Ok(())
    }

    /// Converts samples `start..` into `out`; returns how many were written
    /// (`min(out.len(), len - start)`, 0 at or past the end). Never allocates.
    pub fn read(&self, start: usize, out: &mut [Complex32]) -> usize {
        let n = out.len().min(self.len.saturating_sub(start));
        if n == 0 {
            return 0;
        }
        let size = self.meta.datatype.sample_size();
        // start < len and start + n <= len, and len * size <= map.len() (checked on open).
        let bytes = &self.map[start * size..(start + n) * size];
        self.meta.datatype.decode(bytes, &mut out[..n])
    }

    /// The samples themselves, without copying, when the file is `cf32_le`, the host is
    /// little-endian and the map is suitably aligned (it always is: maps start on a page).
    pub fn as_cf32(&self) -> Option<&[Complex32]> {
        if self.meta.datatype != Datatype::Cf32Le || cfg!(target_endian = "big") {
            return None;
        }
        let bytes = &self.map[..self.len * Datatype::Cf32Le.sample_size()];
        if bytes
            .as_ptr()
            .align_offset(std::mem::align_of::<Complex32>())
            != 0
        {
            return None;
        }
        // SAFETY: `Complex32` is `#[repr(C)] { re: f32, im: f32 }` (documented by
        // num-complex): 8 bytes, no padding, and every bit pattern is a valid f32, so any 8
        // initialised bytes are a valid value. The pointer is aligned (checked above), the
        // range `len * 8` bytes lies inside the map (checked on open), the host is
        // little-endian like `cf32_le`, and the slice borrows `self`, which owns the
        // read-only map for at least as long. External modification of the file is the
        // same caveat as the map itself (see `open`).
        Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<Complex32>(), self.len) })
    }

    /// A cursor that hands out consecutive blocks from sample 0.
    pub fn reader(&self) -> Reader<'_> {
        Reader { rec: self, pos: 0 }
    }

    /// Replaces the annotations of the recording at `path` (any of its three path forms),
    /// rewriting the metadata atomically (temporary file + rename). Every other key is
    /// kept. An annotation reaching past the data is refused and nothing is written.
    ///
    /// An already open [`Recording`] keeps the annotations it was opened with.
    pub fn update_annotations(path: impl AsRef<Path>, annotations: Vec<Annotation>) -> Result<()> {
        rewrite_annotations(path.as_ref(), annotations, false)
    }

    /// Like [`Self::update_annotations`] but keeps the existing annotations and adds
    /// `annotations` to them (the file ends up sorted by `core:sample_start`).
    pub fn append_annotations(path: impl AsRef<Path>, annotations: Vec<Annotation>) -> Result<()> {
        rewrite_annotations(path.as_ref(), annotations, true)
    }
}

/// A position in a [`Recording`], handing out consecutive blocks without allocating.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rec: &'a Recording,
    pos: usize,
}

impl Reader<'_> {
    /// Fills `buf` with the next samples; returns how many (0 at the end).
    pub fn next_block(&mut self, buf: &mut [Complex32]) -> usize {
        let n = self.rec.read(self.pos, buf);
        self.pos += n;
        n
    }

    /// Index of the next sample to be read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves to sample `pos` (clamped to the end).
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.rec.len);
    }

    /// Samples left to read.
    pub fn remaining(&self) -> usize {
        self.rec.len - self.pos
    }
}

fn read_meta(meta_path: &Path) -> Result<Meta> {
    let bytes = fs::read(meta_path).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            SigmfError::MissingMeta {
                file: meta_path.to_path_buf(),
                source,
            }
        } else {
            SigmfError::Io {
                file: meta_path.to_path_buf(),
                source,
            }
        }
    })?;
    Meta::parse(meta_path, &bytes)
}

fn data_open_error(data_path: &Path, source: io::Error) -> SigmfError {
    if source.kind() == io::ErrorKind::NotFound {
        SigmfError::MissingData {
            file: data_path.to_path_buf(),
            source,
        }
    } else {
        SigmfError::Io {
            file: data_path.to_path_buf(),
            source,
        }
    }
}

/// Samples in a data file of `bytes` bytes, refusing empty files and partial samples.
fn sample_count(data_path: &Path, bytes: u64, datatype: Datatype) -> Result<u64> {
    if bytes == 0 {
        return Err(SigmfError::EmptyData {
            file: data_path.to_path_buf(),
        });
    }
    let size = datatype.sample_size() as u64;
    let leftover = bytes % size;
    if leftover != 0 {
        return Err(SigmfError::PartialSample {
            file: data_path.to_path_buf(),
            bytes,
            datatype,
            sample_size: datatype.sample_size(),
            // leftover < sample_size <= 8
            leftover: leftover as usize,
        });
    }
    Ok(bytes / size)
}

fn rewrite_annotations(path: &Path, annotations: Vec<Annotation>, append: bool) -> Result<()> {
    let (meta_path, data_path) = paths(path);
    let mut meta = read_meta(&meta_path)?;
    let bytes = fs::metadata(&data_path)
        .map_err(|e| data_open_error(&data_path, e))?
        .len();
    let len = sample_count(&data_path, bytes, meta.datatype)?;
    check_annotations(&data_path, &annotations, len)?;
    if append {
        meta.annotations.extend(annotations);
    } else {
        meta.annotations = annotations;
    }
    meta.write_atomic(&meta_path)?;
    tracing::debug!(
        file = %meta_path.display(),
        annotations = meta.annotations.len(),
        "rewrote SigMF annotations"
    );
    Ok(())
}
