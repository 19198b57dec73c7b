//! Everything that can be wrong with a SigMF recording, each case naming the file and the
//! field, so a user can fix the file from the message alone.

use std::io;
use std::path::PathBuf;

use super::Datatype;

/// A SigMF recording could not be opened, read, written or updated.
///
/// Every variant carries the path it is about; metadata problems name the `.sigmf-meta`
/// file and the JSON field (`global.core:sample_rate`, `annotations[3].core:sample_count`),
/// data problems name the `.sigmf-data` file.
#[derive(Debug, thiserror::Error)]
pub enum SigmfError {
    /// The `.sigmf-meta` file does not exist.
    #[error("{}: SigMF metadata file not found ({source}); give the base path, the .sigmf-meta or the .sigmf-data path", .file.display())]
    MissingMeta {
        /// The metadata path that was tried.
        file: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The `.sigmf-data` file does not exist.
    #[error("{}: SigMF data file not found ({source})", .file.display())]
    MissingData {
        /// The data path that was tried.
        file: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The data file exists but holds no bytes.
    #[error("{}: SigMF data file is empty (0 samples)", .file.display())]
    EmptyData {
        /// The data file.
        file: PathBuf,
    },
    /// Any other I/O failure (permissions, disk full, mapping failed).
    #[error("{}: {source}", .file.display())]
    Io {
        /// The file being read or written.
        file: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The metadata is not valid JSON.
    #[error("{}: malformed JSON at line {line}, column {column}: {message}", .file.display())]
    MalformedJson {
        /// The metadata file.
        file: PathBuf,
        /// 1-based line of the error (serde_json's).
        line: usize,
        /// 1-based column of the error (serde_json's).
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// A required field is absent.
    #[error("{}: required field {field} is missing", .file.display())]
    MissingField {
        /// The metadata file.
        file: PathBuf,
        /// JSON path of the field, e.g. `global.core:datatype`.
        field: String,
    },
    /// A field is present but has the wrong type or an unsupported value.
    #[error("{}: field {field} {problem}", .file.display())]
    InvalidField {
        /// The metadata file.
        file: PathBuf,
        /// JSON path of the field.
        field: String,
        /// What is wrong, phrased to follow the field name.
        problem: String,
    },
    /// `core:sample_rate` is zero, negative or not finite.
    #[error("{}: field global.core:sample_rate is {rate}; it must be a finite number of samples/s above 0", .file.display())]
    BadSampleRate {
        /// The metadata file (or the base path given to the writer).
        file: PathBuf,
        /// The offending value.
        rate: f64,
    },
    /// `core:datatype` names a format subgate does not read.
    #[error("{}: field global.core:datatype is {value:?}; supported: cf32_le, ci16_le, ci8", .file.display())]
    UnknownDatatype {
        /// The metadata file.
        file: PathBuf,
        /// The datatype string found.
        value: String,
    },
    /// The data file's length is not a whole number of samples.
    #[error("{}: data length {bytes} bytes is not a whole number of {datatype} samples ({sample_size} bytes each): {leftover} bytes left over (truncated file or wrong global.core:datatype?)", .file.display())]
    PartialSample {
        /// The data file.
        file: PathBuf,
        /// Its length in bytes.
        bytes: u64,
        /// The datatype from the metadata.
        datatype: Datatype,
        /// Bytes per sample of that datatype.
        sample_size: usize,
        /// Bytes after the last whole sample.
        leftover: usize,
    },
    /// A capture or annotation reaches past the end of the data (truncated recording).
    #[error("{}: field {field} reaches sample {end} but the data holds only {len} samples (truncated recording?)", .file.display())]
    Truncated {
        /// The data file.
        file: PathBuf,
        /// JSON path of the capture or annotation.
        field: String,
        /// First sample index past the segment (or the start index of a capture).
        end: u64,
        /// Samples in the data file.
        len: u64,
    },
    /// The recording's rate is below what the caller needs ([`super::Recording::check_rate`]).
    #[error("{}: field global.core:sample_rate is {rate} samples/s but at least {needed} samples/s are needed", .file.display())]
    SampleRateTooLow {
        /// The metadata file.
        file: PathBuf,
        /// The recording's rate.
        rate: f64,
        /// The rate the caller needs.
        needed: f64,
    },
}

impl SigmfError {
    /// The file the error is about.
    pub fn file(&self) -> &std::path::Path {
        match self {
            SigmfError::MissingMeta { file, .. }
            | SigmfError::MissingData { file, .. }
            | SigmfError::EmptyData { file }
            | SigmfError::Io { file, .. }
            | SigmfError::MalformedJson { file, .. }
            | SigmfError::MissingField { file, .. }
            | SigmfError::InvalidField { file, .. }
            | SigmfError::BadSampleRate { file, .. }
            | SigmfError::UnknownDatatype { file, .. }
            | SigmfError::PartialSample { file, .. }
            | SigmfError::Truncated { file, .. }
            | SigmfError::SampleRateTooLow { file, .. } => file,
        }
    }
}

/// Result alias of the SigMF module.
pub type Result<T> = std::result::Result<T, SigmfError>;
