//! The types that cross from the PHY to the MAC and back (DESIGN §2): a PSDU with its
//! reception facts, and a request to transmit one. Nothing else leaves `dsp`.

use crate::params::{Format, Gi, Mcs};

/// PHY service data unit: the bytes of one MPDU as the MAC sees them, FCS included.
pub type Psdu = Vec<u8>;

/// How the SIG LENGTH field carries the PSDU size.
///
/// S1G's LENGTH is 9 bits: bytes when aggregation is off (so at most 511 bytes), data
/// symbols when it is on, and then the PSDU travels inside an A-MPDU (one delimiter,
/// padding delimiters up to the symbol boundary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LengthMode {
    /// Bytes when the PSDU fits in 511 bytes, otherwise an A-MPDU (what a MAC would do).
    #[default]
    Auto,
    /// Always LENGTH in bytes; PSDUs over 511 bytes are refused.
    Bytes,
    /// Always an A-MPDU with LENGTH in symbols, as real S1G radios send even single frames.
    Ampdu,
}

/// Everything the transmitter needs to send one PSDU.
#[derive(Debug, Clone, PartialEq)]
pub struct TxRequest {
    /// Bytes to send; the FCS is the caller's (see [`crate::crc::append_fcs`]).
    pub psdu: Psdu,
    /// 1 MHz (S1G_1M) or 2 MHz (S1G_SHORT) PPDU format.
    pub format: Format,
    /// Modulation and coding scheme; must be valid for `format`.
    pub mcs: Mcs,
    /// Guard interval of the data symbols (the first data symbol always uses the long GI).
    pub gi: Gi,
    /// How LENGTH is carried.
    pub length_mode: LengthMode,
    /// Initial scrambler state, 1..=127 (0 is not allowed: the scrambler would stay at 0).
    pub scrambler_seed: u8,
}

impl TxRequest {
    /// A request with the defaults a MAC would use: long GI, automatic length mode, seed 0x5D.
    pub fn new(psdu: Psdu, format: Format, mcs: Mcs) -> Self {
        TxRequest {
            psdu,
            format,
            mcs,
            gi: Gi::Long,
            length_mode: LengthMode::Auto,
            scrambler_seed: 0x5D,
        }
    }
}

/// What the receiver knows about a decoded frame besides its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct RxInfo {
    /// Index of the first STF sample in the receiver's input stream (counted from 0 at the
    /// receiver's creation or last `reset`), at the receiver's input rate.
    pub sample_index: u64,
    /// `sample_index` divided by the input sample rate, in seconds.
    pub time_s: f64,
    /// Channel number the frame came in on (0 for a single-channel receiver).
    pub channel: u16,
    /// PPDU format.
    pub format: Format,
    /// MCS from the SIG field.
    pub mcs: Mcs,
    /// PSDU length in bytes (after A-MPDU de-framing when aggregation was on).
    pub length: usize,
    /// Data-field guard interval from the SIG field.
    pub gi: Gi,
    /// Whether the SIG's aggregation bit was set (PSDU carried in an A-MPDU).
    pub aggregated: bool,
    /// Mean power of the preamble in dB relative to full scale (|x| = 1).
    pub rssi_dbfs: f32,
    /// SNR estimated from the LTF repetitions, dB.
    pub snr_db: f32,
    /// Estimated carrier frequency offset, Hz (positive: received carrier above nominal).
    pub cfo_hz: f32,
    /// Whether the last four bytes are a correct CRC-32 FCS over the rest.
    pub fcs_ok: bool,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct RxFrame {
    /// The PSDU bytes.
    pub psdu: Psdu,
    /// How and when it was received.
    pub info: RxInfo,
}
