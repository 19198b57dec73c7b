//! Classic pcap files of received frames with radiotap headers, for Wireshark.
//!
//! Each record is subgate's radiotap header ([`crate::radiotap`]) followed by the PSDU as
//! received, FCS included (radiotap Flags say so, and flag a bad FCS). The format is the
//! original libpcap one: little endian, microsecond timestamps, link type 127.
//!
//! # Usage
//! ```no_run
//! # fn frames() -> Vec<subgate_dsp::RxFrame> { Vec::new() }
//! use subgate_drivers::pcap::PcapWriter;
//!
//! let mut pcap = PcapWriter::create("frames.pcap")?;
//! for f in frames() {
//!     pcap.write_frame(f.info.time_s, &f.psdu, &f.info)?;
//! }
//! pcap.finish()?;
//! # Ok::<(), subgate_drivers::pcap::PcapError>(())
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use subgate_dsp::frame::RxInfo;

use crate::radiotap;

/// Magic number of a microsecond-resolution pcap file.
pub const PCAP_MAGIC: u32 = 0xa1b2_c3d4;
/// pcap format major version.
pub const PCAP_VERSION_MAJOR: u16 = 2;
/// pcap format minor version.
pub const PCAP_VERSION_MINOR: u16 = 4;
/// Largest record (radiotap header + frame) we write and announce.
pub const SNAPLEN: u32 = 65_535;
/// LINKTYPE_IEEE802_11_RADIOTAP.
pub const LINKTYPE_IEEE802_11_RADIOTAP: u32 = 127;
/// Length of the file header.
pub const FILE_HEADER_LEN: usize = 24;
/// Length of each record header.
pub const RECORD_HEADER_LEN: usize = 16;
/// Largest timestamp a record can hold, seconds (32-bit seconds field).
pub const MAX_TIMESTAMP_S: f64 = u32::MAX as f64;

const MICROS_PER_S: f64 = 1.0e6;
const MICROS_PER_S_U32: u32 = 1_000_000;

/// Writing a pcap file failed.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    /// Creating or writing the file failed.
    #[error("{}: {source}", .file.display())]
    Io {
        /// The pcap file (or `(stream)` for [`PcapWriter::new`]).
        file: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Radiotap header plus frame exceed the snap length.
    #[error("{}: frame of {len} bytes does not fit a pcap record (at most {max} bytes after the radiotap header)", .file.display())]
    FrameTooLong {
        /// The pcap file.
        file: PathBuf,
        /// PSDU length.
        len: usize,
        /// Largest PSDU that fits.
        max: usize,
    },
    /// The timestamp is negative, not finite, or beyond 2106.
    #[error("{}: timestamp {value} s cannot be stored (0 ..= {MAX_TIMESTAMP_S} s)", .file.display())]
    BadTimestamp {
        /// The pcap file.
        file: PathBuf,
        /// The timestamp given.
        value: f64,
    },
}

/// Writes received frames to a pcap stream, one record per frame.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    file: PathBuf,
    frames: u64,
    header: [u8; RECORD_HEADER_LEN + radiotap::HEADER_LEN],
}

impl PcapWriter<BufWriter<File>> {
    /// Creates (or truncates) the pcap file at `path` and writes its file header.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, PcapError> {
        let file = path.as_ref().to_path_buf();
        let f = File::create(&file).map_err(|source| PcapError::Io {
            file: file.clone(),
            source,
        })?;
        Self::with_name(BufWriter::new(f), file)
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes a pcap stream to any writer (a socket, a pipe to Wireshark, a `Vec<u8>`).
    pub fn new(out: W) -> Result<Self, PcapError> {
        Self::with_name(out, PathBuf::from("(stream)"))
    }

    fn with_name(out: W, file: PathBuf) -> Result<Self, PcapError> {
        let mut w = PcapWriter {
            out,
            file,
            frames: 0,
            header: [0; RECORD_HEADER_LEN + radiotap::HEADER_LEN],
        };
        let mut h = [0u8; FILE_HEADER_LEN];
        h[0..4].copy_from_slice(&PCAP_MAGIC.to_le_bytes());
        h[4..6].copy_from_slice(&PCAP_VERSION_MAJOR.to_le_bytes());
        h[6..8].copy_from_slice(&PCAP_VERSION_MINOR.to_le_bytes());
        // 8..12 thiszone = 0 (UTC), 12..16 sigfigs = 0
        h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        h[20..24].copy_from_slice(&LINKTYPE_IEEE802_11_RADIOTAP.to_le_bytes());
        w.write_all(&h)?;
        Ok(w)
    }

    /// Appends one frame: `psdu` is the MPDU with its FCS, `timestamp_s` seconds since
    /// the Unix epoch (or since the start of a recording: Wireshark will show 1970).
    pub fn write_frame(
        &mut self,
        timestamp_s: f64,
        psdu: &[u8],
        info: &RxInfo,
    ) -> Result<(), PcapError> {
        let max = SNAPLEN as usize - radiotap::HEADER_LEN;
        if psdu.len() > max {
            return Err(PcapError::FrameTooLong {
                file: self.file.clone(),
                len: psdu.len(),
                max,
            });
        }
        if !(timestamp_s.is_finite() && (0.0..=MAX_TIMESTAMP_S).contains(&timestamp_s)) {
            return Err(PcapError::BadTimestamp {
                file: self.file.clone(),
                value: timestamp_s,
            });
        }
        // In range (checked above), so the casts are exact truncations.
        let mut secs = timestamp_s.trunc() as u32;
        let mut micros = ((timestamp_s - timestamp_s.trunc()) * MICROS_PER_S).round() as u32;
        if micros >= MICROS_PER_S_U32 {
            micros -= MICROS_PER_S_U32;
            secs = secs.saturating_add(1);
        }
        // Fits: psdu.len() <= SNAPLEN - HEADER_LEN.
        let record_len = (radiotap::HEADER_LEN + psdu.len()) as u32;

        let h = &mut self.header;
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&micros.to_le_bytes());
        h[8..12].copy_from_slice(&record_len.to_le_bytes()); // captured length
        h[12..16].copy_from_slice(&record_len.to_le_bytes()); // original length
        radiotap::emit(info, &mut h[RECORD_HEADER_LEN..]);
        let header = self.header;
        self.write_all(&header)?;
        self.write_all(psdu)?;
        self.frames += 1;
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, PcapError> {
        let file = self.file.clone();
        self.out
            .flush()
            .map_err(|source| PcapError::Io { file, source })?;
        Ok(self.out)
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), PcapError> {
        self.out.write_all(bytes).map_err(|source| PcapError::Io {
            file: self.file.clone(),
            source,
        })
    }
}
