//! SigMF recordings (SigMF 1.x): a `.sigmf-meta` JSON file describing a `.sigmf-data`
//! file of raw complex samples.
//!
//! Reading maps the data file (zero-copy) and converts ranges into caller buffers;
//! writing streams samples and writes the metadata at the end; annotations can carry
//! what the receiver decoded ([`annotation_for_frame`]) and be rewritten in place
//! ([`Recording::update_annotations`]). Supported datatypes: `cf32_le`, `ci16_le`, `ci8`.
//!
//! A recording must not be modified by another process while it is open: the data is
//! memory-mapped (memmap2's caveat).
//!
//! # Stream Outputs
//! `Complex32` samples at [`Recording::sample_rate`], full scale |x| = 1.

mod datatype;
mod error;
mod frame;
mod meta;
mod recording;
mod writer;

pub use datatype::Datatype;
pub use error::{Result, SigmfError};
pub use frame::annotation_for_frame;
pub use meta::{paths, Annotation, Capture, DATA_EXT, META_EXT, SIGMF_VERSION, SUBGATE_NS};
pub use recording::{Reader, Recording};
pub use writer::{WriteSummary, Writer};

/// Parses SigMF metadata bytes exactly as [`Recording::open`] does (`file` only names them
/// in errors), without a data file: what the `sigmf_meta` fuzz target drives.
pub fn check_meta(file: &std::path::Path, bytes: &[u8]) -> Result<()> {
    meta::Meta::parse(file, bytes).map(|_| ())
}
