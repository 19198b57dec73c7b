//! The S1G transmitter: PSDU → samples at the format's native rate (1× oversampling).
//!
//! Chain per 802.11-2020 clause 23: SERVICE + PSDU + pad + tail → scrambler → BCC (K = 7) →
//! puncturing → (MCS10: 2× repetition) → interleaver → constellation → tones + pilots → IFFT
//! → guard interval. Preamble: STF, LTF1, SIG. Use [`crate::resample::Resampler`] for other
//! output rates.

use crate::ampdu;
use crate::bcc;
use crate::frame::{LengthMode, TxRequest};
use crate::interleaver::Interleaver;
use crate::mapping;
use crate::ofdm::OfdmModulator;
use crate::params::{
    Format, Gi, Mcs, MAX_PSDU_LEN, MAX_SIG_LENGTH, SERVICE_BITS, SIG_DATA_TONES_2M, TAIL_BITS,
};
use crate::pilots::{pilot_values, Field};
use crate::preamble;
use crate::scrambler::Scrambler;
use crate::sig::{Sig, MAX_SIG_BITS, REPETITION_MASK};
use num_complex::Complex32;
use std::fmt;

/// Why a request cannot be transmitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxError {
    /// The MCS does not exist in the format (e.g. MCS10 at 2 MHz, MCS8 at 1 MHz).
    UnsupportedMcs {
        /// Requested format.
        format: Format,
        /// Requested MCS.
        mcs: Mcs,
    },
    /// The PSDU is longer than 511 bytes and than a 511-symbol A-MPDU at this MCS (or than
    /// 4095 bytes).
    PsduTooLong {
        /// Requested PSDU length, bytes.
        len: usize,
        /// Largest length at this format and MCS.
        max: usize,
        /// Requested format.
        format: Format,
        /// Requested MCS.
        mcs: Mcs,
    },
    /// `LengthMode::Bytes` was asked for a PSDU over 511 bytes.
    TooLongForByteLength {
        /// Requested PSDU length, bytes.
        len: usize,
    },
    /// Scrambler seed 0 (or above 127).
    BadScramblerSeed(u8),
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxError::UnsupportedMcs { format, mcs } => {
                write!(f, "{mcs} is not defined for {format} (1 MHz: MCS0-7 and 10; 2 MHz: MCS0-8)")
            }
            TxError::PsduTooLong { len, max, format, mcs } => write!(
                f,
                "PSDU of {len} bytes does not fit {format} {mcs}: at most {max} bytes (LENGTH is 9 bits: 511 bytes, or 511 symbols as an A-MPDU)"
            ),
            TxError::TooLongForByteLength { len } => write!(
                f,
                "PSDU of {len} bytes needs an A-MPDU: LENGTH in bytes is 9 bits (at most 511)"
            ),
            TxError::BadScramblerSeed(s) => write!(f, "scrambler seed {s} must be 1..=127"),
        }
    }
}

impl std::error::Error for TxError {}

/// What the data field of a request turns into, before modulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataLayout {
    /// The SIG the frame will carry.
    pub sig: Sig,
    /// Number of data symbols.
    pub n_sym: usize,
    /// Octets between SERVICE and pad bits (PSDU, or the whole A-MPDU).
    pub n_octets: usize,
}

/// Works out the SIG and data-field size of a request, or why it cannot be sent.
pub fn layout(req: &TxRequest) -> Result<DataLayout, TxError> {
    let (format, mcs, len) = (req.format, req.mcs, req.psdu.len());
    if !format.supports(mcs) {
        return Err(TxError::UnsupportedMcs { format, mcs });
    }
    if req.scrambler_seed == 0 || req.scrambler_seed > 127 {
        return Err(TxError::BadScramblerSeed(req.scrambler_seed));
    }
    let max = format.max_psdu_len(mcs);
    let aggregate = match req.length_mode {
        LengthMode::Bytes if len > MAX_SIG_LENGTH => {
            return Err(TxError::TooLongForByteLength { len })
        }
        LengthMode::Bytes => false,
        LengthMode::Auto => len > MAX_SIG_LENGTH,
        LengthMode::Ampdu => true,
    };
    let limit = if aggregate {
        format.max_ampdu_psdu_len(mcs)
    } else {
        MAX_SIG_LENGTH
    };
    if len > limit.min(MAX_PSDU_LEN) {
        return Err(TxError::PsduTooLong {
            len,
            max,
            format,
            mcs,
        });
    }
    let sig = |aggregation, length| Sig {
        mcs,
        gi: req.gi,
        aggregation,
        length,
        smoothing: true,
        uplink: false,
        id: 0,
    };
    if aggregate {
        let n_sym = format.n_sym(mcs, ampdu::DELIMITER_LEN + len);
        let n_octets = (n_sym * format.n_dbps(mcs) - SERVICE_BITS - TAIL_BITS) / 8;
        Ok(DataLayout {
            sig: sig(true, n_sym as u16),
            n_sym,
            n_octets,
        })
    } else {
        let n_sym = format.n_sym(mcs, len);
        Ok(DataLayout {
            sig: sig(false, len as u16),
            n_sym,
            n_octets: len,
        })
    }
}

/// Reusable transmitter: FFT plans and bit buffers are made once and grown only when a
/// longer frame than any before is sent.
pub struct Transmitter {
    mod32: OfdmModulator,
    mod64: OfdmModulator,
    bits: Vec<u8>,
    coded: Vec<u8>,
    punct: Vec<u8>,
    octets: Vec<u8>,
    sym_bits: Vec<u8>,
    il_bits: Vec<u8>,
    points: Vec<Complex32>,
}

impl Default for Transmitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Transmitter {
    /// A transmitter for both formats.
    pub fn new() -> Self {
        Transmitter {
            mod32: OfdmModulator::new(32),
            mod64: OfdmModulator::new(64),
            bits: Vec::new(),
            coded: Vec::new(),
            punct: Vec::new(),
            octets: Vec::new(),
            sym_bits: vec![0; crate::params::MAX_CBPS],
            il_bits: vec![0; crate::params::MAX_CBPS],
            points: vec![Complex32::new(0.0, 0.0); crate::params::MAX_DATA_TONES],
        }
    }

    /// Number of samples [`Transmitter::modulate`] will append for `req`.
    pub fn ppdu_len(req: &TxRequest) -> Result<usize, TxError> {
        let l = layout(req)?;
        Ok(req.format.ppdu_len(req.gi, l.n_sym))
    }

    /// Appends the PPDU of `req` to `out` at the native rate; returns the samples added.
    pub fn modulate(
        &mut self,
        req: &TxRequest,
        out: &mut Vec<Complex32>,
    ) -> Result<usize, TxError> {
        let lay = layout(req)?;
        let start = out.len();
        let format = req.format;
        let boost = if req.mcs.is_repetition() {
            std::f32::consts::SQRT_2
        } else {
            1.0
        };
        out.extend(preamble::stf_time(format, boost));
        out.extend(preamble::ltf1_time(format));
        self.sig(format, &lay.sig, out);
        self.data(req, &lay, out);
        Ok(out.len() - start)
    }

    fn modulator(&mut self, format: Format) -> &mut OfdmModulator {
        match format {
            Format::S1g1M => &mut self.mod32,
            Format::S1gShort2M => &mut self.mod64,
        }
    }

    fn sig(&mut self, format: Format, sig: &Sig, out: &mut Vec<Complex32>) {
        let mut bits = [0u8; MAX_SIG_BITS];
        let n = Sig::n_bits(format);
        sig.to_bits(format, &mut bits);
        let mut coded = [0u8; 2 * MAX_SIG_BITS];
        bcc::encode(&bits[..n], &mut coded[..2 * n]);
        let cp = format.gi_len(Gi::Long);
        let mut pil = [0f32; 4];
        match format {
            Format::S1g1M => {
                let il = Interleaver::for_sig(format);
                let scale = 1.0 / 26f32.sqrt();
                for (s, block) in coded[..72].chunks_exact(12).enumerate() {
                    let mut ilv = [0u8; 48];
                    sig_symbol_bits(format, &il, block, &mut ilv);
                    pilot_values(format, Field::Sig, s, &mut pil);
                    let m = self.modulator(format);
                    for (&k, &b) in format.data_tones().iter().zip(&ilv) {
                        m.set(k, Complex32::new(2.0 * b as f32 - 1.0, 0.0));
                    }
                    for (&k, &p) in format.pilot_tones().iter().zip(&pil) {
                        m.set(k, Complex32::new(p, 0.0));
                    }
                    m.emit(scale, cp, out);
                }
            }
            Format::S1gShort2M => {
                let il = Interleaver::for_sig(format);
                let scale = 1.0 / 52f32.sqrt();
                for (s, block) in coded[..96].chunks_exact(48).enumerate() {
                    let mut ilv = [0u8; 48];
                    sig_symbol_bits(format, &il, block, &mut ilv);
                    pilot_values(format, Field::Sig, s, &mut pil);
                    let m = self.modulator(format);
                    // QBPSK: the data tones ride on the imaginary axis.
                    for (&k, &b) in SIG_DATA_TONES_2M.iter().zip(&ilv) {
                        m.set(k, Complex32::new(0.0, 2.0 * b as f32 - 1.0));
                    }
                    for (&k, &p) in format.pilot_tones().iter().zip(&pil) {
                        m.set(k, Complex32::new(p, 0.0));
                    }
                    m.emit(scale, cp, out);
                }
            }
        }
    }

    fn data(&mut self, req: &TxRequest, lay: &DataLayout, out: &mut Vec<Complex32>) {
        let format = req.format;
        let mcs = req.mcs;
        let n_dbps = format.n_dbps(mcs);
        let total = lay.n_sym * n_dbps;
        // octets of the data field (PSDU or A-MPDU)
        self.octets.clear();
        if lay.sig.aggregation {
            self.octets.resize(lay.n_octets, 0);
            ampdu::frame_single(&req.psdu, &mut self.octets);
        } else {
            self.octets.extend_from_slice(&req.psdu);
        }
        // SERVICE (zeros) + octets LSB first + pad zeros + tail
        self.bits.clear();
        self.bits.resize(total, 0);
        for (i, &o) in self.octets.iter().enumerate() {
            for b in 0..8 {
                self.bits[SERVICE_BITS + 8 * i + b] = (o >> b) & 1;
            }
        }
        Scrambler::new(req.scrambler_seed).apply(&mut self.bits);
        // 802.11ac-style: the tail sits after the pad bits and is sent as zeros (not scrambled).
        self.bits[total - TAIL_BITS..].fill(0);
        self.coded.resize(2 * total, 0);
        bcc::encode(&self.bits, &mut self.coded);
        let rate = mcs.code_rate();
        self.punct.resize(2 * total, 0);
        let n_punct = bcc::puncture(rate, &self.coded, &mut self.punct);
        let per_sym = format.n_encoded_per_symbol(mcs);
        debug_assert_eq!(n_punct, per_sym * lay.n_sym);
        let il = Interleaver::for_data(format, mcs);
        let scale = 1.0 / ((format.n_data_tones() + format.pilot_tones().len()) as f32).sqrt();
        let mut pil = [0f32; 4];
        for s in 0..lay.n_sym {
            let src = &self.punct[s * per_sym..(s + 1) * per_sym];
            let nd = format.n_data_tones();
            map_data_symbol(
                format,
                mcs,
                &il,
                src,
                &mut self.sym_bits,
                &mut self.il_bits,
                &mut self.points[..nd],
            );
            pilot_values(format, Field::Data, s, &mut pil);
            let gi = if s == 0 { Gi::Long } else { req.gi };
            let cp = format.gi_len(gi);
            let (points, m) = match format {
                Format::S1g1M => (&self.points, &mut self.mod32),
                Format::S1gShort2M => (&self.points, &mut self.mod64),
            };
            let points = &points[..nd];
            for (&k, &v) in format.data_tones().iter().zip(points.iter()) {
                m.set(k, v);
            }
            for (&k, &p) in format.pilot_tones().iter().zip(&pil) {
                m.set(k, Complex32::new(p, 0.0));
            }
            m.emit(scale, cp, out);
        }
    }
}

/// The interleaved bits of one SIG symbol from its block of coded bits (1 MHz: 12 bits,
/// repeated to 24 as MCS10 does; 2 MHz: 48 bits); returns how many of `out` it filled.
/// Shared by the transmitter and the receiver's data-aided SIG pass.
pub fn sig_symbol_bits(
    format: Format,
    il: &Interleaver,
    block: &[u8],
    out: &mut [u8; 48],
) -> usize {
    match format {
        Format::S1g1M => {
            let mut rep = [0u8; 24];
            repeat(block, &mut rep);
            il.interleave(&rep, &mut out[..24]);
            24
        }
        Format::S1gShort2M => {
            il.interleave(block, &mut out[..48]);
            48
        }
    }
}

/// One data symbol's constellation points from its encoder output bits `src`
/// (`format.n_encoded_per_symbol(mcs)` of them): MCS10 repetition, interleaving, mapping.
/// The transmitter and the receiver's data-aided pass both use it, so the reference the
/// receiver rebuilds is exactly what was sent. `sym_bits`/`il_bits` are scratch of at least
/// N_CBPS bits; `points` holds the data tones.
pub fn map_data_symbol(
    format: Format,
    mcs: Mcs,
    il: &Interleaver,
    src: &[u8],
    sym_bits: &mut [u8],
    il_bits: &mut [u8],
    points: &mut [Complex32],
) {
    let n_cbps = format.n_cbps(mcs);
    if mcs.is_repetition() {
        repeat(src, &mut sym_bits[..n_cbps]);
    } else {
        sym_bits[..n_cbps].copy_from_slice(src);
    }
    il.interleave(&sym_bits[..n_cbps], &mut il_bits[..n_cbps]);
    mapping::map(mcs.modulation(), &il_bits[..n_cbps], points);
}

/// MCS10 / 1 MHz SIG repetition: 12 coded bits `c` → `[c, c ⊕ s]`.
pub fn repeat(block: &[u8], out: &mut [u8]) {
    out[..12].copy_from_slice(&block[..12]);
    for j in 0..12 {
        out[12 + j] = block[j] ^ REPETITION_MASK[j];
    }
}

/// Convenience: modulate one request into a fresh vector.
pub fn modulate(req: &TxRequest) -> Result<Vec<Complex32>, TxError> {
    let mut out = Vec::with_capacity(Transmitter::ppdu_len(req)?);
    Transmitter::new().modulate(req, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_the_txtime_formula() {
        // TXTIME S1G_1M = 560 + 40·Nsym µs; S1G_SHORT = 240 + 40·Nsym µs (long GI).
        let req = TxRequest::new(vec![0x11; 100], Format::S1g1M, Mcs(0));
        let n_sym = Format::S1g1M.n_sym(Mcs(0), 100);
        assert_eq!(n_sym, (800 + 14usize).div_ceil(12));
        assert_eq!(modulate(&req).map(|v| v.len()), Ok(560 + 40 * n_sym));
        let req = TxRequest::new(vec![0x11; 100], Format::S1gShort2M, Mcs(3));
        let n_sym = Format::S1gShort2M.n_sym(Mcs(3), 100);
        assert_eq!(modulate(&req).map(|v| v.len()), Ok(2 * (240 + 40 * n_sym)));
    }

    #[test]
    fn refuses_what_cannot_be_sent() {
        let r = TxRequest::new(vec![0; 10], Format::S1gShort2M, Mcs(10));
        assert!(matches!(layout(&r), Err(TxError::UnsupportedMcs { .. })));
        let r = TxRequest::new(vec![0; 4095], Format::S1g1M, Mcs(0));
        assert!(matches!(
            layout(&r),
            Err(TxError::PsduTooLong { max: 760, .. })
        ));
        let mut r = TxRequest::new(vec![0; 600], Format::S1g1M, Mcs(7));
        r.length_mode = LengthMode::Bytes;
        assert!(matches!(
            layout(&r),
            Err(TxError::TooLongForByteLength { len: 600 })
        ));
        let mut r = TxRequest::new(vec![0; 6], Format::S1g1M, Mcs(7));
        r.scrambler_seed = 0;
        assert!(matches!(layout(&r), Err(TxError::BadScramblerSeed(0))));
    }

    #[test]
    fn aggregation_switches_on_above_511_bytes() {
        let r = TxRequest::new(vec![0; 511], Format::S1g1M, Mcs(7));
        assert_eq!(layout(&r).map(|l| l.sig.aggregation), Ok(false));
        let r = TxRequest::new(vec![0; 512], Format::S1g1M, Mcs(7));
        let l = layout(&r);
        assert!(matches!(
            l,
            Ok(DataLayout {
                sig: Sig {
                    aggregation: true,
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn data_symbols_have_unit_power() {
        let req = TxRequest::new((0..200u8).collect(), Format::S1gShort2M, Mcs(8));
        let v = modulate(&req).unwrap_or_default();
        let data = &v[Format::S1gShort2M.preamble_len()..];
        let p = data.iter().map(|c| c.norm_sqr()).sum::<f32>() / data.len() as f32;
        assert!((p - 1.0).abs() < 0.05, "power {p}");
    }
}
