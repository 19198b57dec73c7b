//! subgate's sample sources and sinks (DESIGN §2, `drivers/`).
//!
//! - [`burst_stream`]: the front end's burst-stream protocol (docs/burst-stream.md): segment
//!   codec, a resynchronising deframer and burst reassembly.
//! - [`sigmf`]: SigMF recordings: memory-mapped reading, streaming writing, annotations
//!   from decoded frames.
//! - [`pcap`]: pcap files of received frames with radiotap S1G headers, for Wireshark.
//! - [`radiotap`]: the radiotap header itself.
//! - [`source`]: the `Source` and `Sink` traits, with a recording as a source.
//! - `soapy` (cargo feature `soapy`): SoapySDR radios as sources and sinks.
//!
//! Samples are `num_complex::Complex32` with full scale |x| = 1.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod burst_stream;
pub mod pcap;
pub mod radiotap;
pub mod sigmf;
#[cfg(feature = "soapy")]
pub mod soapy;
pub mod source;

pub use pcap::{PcapError, PcapWriter};
pub use sigmf::{annotation_for_frame, Annotation, Datatype, Recording, SigmfError, Writer};
