//! S1G PHY parameters: formats, MCS table, guard intervals and tone plans (DESIGN §3).
//!
//! Every table is an exhaustive `match`, so adding a format or MCS fails to compile until
//! each table knows it. Buffers elsewhere are sized from the `MAX_*` constants here.

use std::fmt;
use std::str::FromStr;

/// Largest FFT of any format (2 MHz).
pub const MAX_FFT: usize = 64;
/// Largest number of data tones of any format (2 MHz).
pub const MAX_DATA_TONES: usize = 52;
/// Largest coded bits per symbol (2 MHz, 256-QAM).
pub const MAX_CBPS: usize = 52 * 8;
/// Largest SIG LENGTH value (9 bits): bytes, or data symbols for an A-MPDU.
pub const MAX_SIG_LENGTH: usize = 511;
/// Largest LENGTH in symbols (aggregation on).
pub const MAX_AMPDU_SYMBOLS: usize = MAX_SIG_LENGTH;
/// Largest number of data symbols in any PPDU: 511 bytes at 1 MHz MCS10 (6 bits/symbol)
/// need ceil((8·511 + 14) / 6) = 684 symbols, more than an A-MPDU's 511.
pub const MAX_DATA_SYMBOLS: usize = (8 * MAX_SIG_LENGTH + SERVICE_BITS + TAIL_BITS).div_ceil(6);
/// Largest PSDU accepted by the transmitter (the 0..=4095 range; each MCS has a
/// smaller limit from [`Format::max_psdu_len`]).
pub const MAX_PSDU_LEN: usize = 4095;
/// Subcarrier spacing of every S1G format, Hz.
pub const SUBCARRIER_SPACING_HZ: f64 = 31_250.0;
/// SERVICE field length in bits (S1G: 7 scrambler-init bits + 1 reserved).
pub const SERVICE_BITS: usize = 8;
/// BCC tail bits per encoder.
pub const TAIL_BITS: usize = 6;

/// PPDU format: which bandwidth and preamble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// S1G_1M: 1 MHz, 32-point FFT, 1 Msps, long preamble with 6-symbol SIG; MCS0–7 and 10.
    S1g1M,
    /// S1G_SHORT at 2 MHz: 64-point FFT, 2 Msps, 2-symbol SIG; MCS0–8 (9 only on wider channels).
    S1gShort2M,
}

impl Format {
    /// Every format, for sweeps.
    pub const ALL: [Format; 2] = [Format::S1g1M, Format::S1gShort2M];

    /// FFT size.
    pub const fn fft_len(self) -> usize {
        match self {
            Format::S1g1M => 32,
            Format::S1gShort2M => 64,
        }
    }

    /// Native sample rate (1× oversampling), samples/s.
    pub const fn sample_rate(self) -> f64 {
        match self {
            Format::S1g1M => 1.0e6,
            Format::S1gShort2M => 2.0e6,
        }
    }

    /// Channel bandwidth in MHz.
    pub const fn bandwidth_mhz(self) -> u8 {
        match self {
            Format::S1g1M => 1,
            Format::S1gShort2M => 2,
        }
    }

    /// Long guard interval, samples (8 µs).
    pub const fn gi_len(self, gi: Gi) -> usize {
        let n = self.fft_len();
        match gi {
            Gi::Long => n / 4,
            Gi::Short => n / 8,
        }
    }

    /// Number of data tones per data symbol.
    pub const fn n_data_tones(self) -> usize {
        match self {
            Format::S1g1M => 24,
            Format::S1gShort2M => 52,
        }
    }

    /// Pilot subcarrier indices, ascending.
    pub const fn pilot_tones(self) -> &'static [i32] {
        match self {
            Format::S1g1M => &[-7, 7],
            Format::S1gShort2M => &[-21, -7, 7, 21],
        }
    }

    /// Largest |k| of a data or pilot tone in the data field.
    pub const fn max_tone(self) -> i32 {
        match self {
            Format::S1g1M => 13,
            Format::S1gShort2M => 28,
        }
    }

    /// Data subcarrier indices of the data field, ascending (the order coded bits fill them).
    pub fn data_tones(self) -> &'static [i32] {
        match self {
            Format::S1g1M => &DATA_TONES_1M,
            Format::S1gShort2M => &DATA_TONES_2M,
        }
    }

    /// Whether `mcs` exists in this format.
    pub const fn supports(self, mcs: Mcs) -> bool {
        match self {
            Format::S1g1M => matches!(mcs.0, 0..=7 | 10),
            Format::S1gShort2M => mcs.0 <= 8,
        }
    }

    /// Data bits per OFDM symbol for `mcs` in this format.
    pub const fn n_dbps(self, mcs: Mcs) -> usize {
        let cbps = self.n_cbps(mcs);
        let (num, den) = mcs.code_rate().fraction();
        let dbps = cbps * num / den;
        if mcs.is_repetition() {
            dbps / 2
        } else {
            dbps
        }
    }

    /// Coded bits per OFDM symbol (after repetition for MCS10).
    pub const fn n_cbps(self, mcs: Mcs) -> usize {
        self.n_data_tones() * mcs.modulation().bits_per_symbol()
    }

    /// Samples before the first data symbol: STF + LTF1 + SIG at 1×.
    pub const fn preamble_len(self) -> usize {
        match self {
            // STF 160 µs + LTF1 160 µs + SIG 6 × 40 µs
            Format::S1g1M => 160 + 160 + 6 * 40,
            // STF 80 µs + LTF1 80 µs + SIG 2 × 40 µs, at 2 Msps
            Format::S1gShort2M => 2 * (80 + 80 + 2 * 40),
        }
    }

    /// Encoder output bits per OFDM symbol: N_CBPS, or half of it for MCS10, whose
    /// repetition doubles the bits after the encoder.
    pub const fn n_encoded_per_symbol(self, mcs: Mcs) -> usize {
        if mcs.is_repetition() {
            self.n_cbps(mcs) / 2
        } else {
            self.n_cbps(mcs)
        }
    }

    /// Number of data symbols for a data field of `psdu_bytes` bytes.
    pub const fn n_sym(self, mcs: Mcs, psdu_bytes: usize) -> usize {
        let bits = 8 * psdu_bytes + SERVICE_BITS + TAIL_BITS;
        bits.div_ceil(self.n_dbps(mcs))
    }

    /// Total samples of a PPDU at 1× with `n_sym` data symbols.
    pub const fn ppdu_len(self, gi: Gi, n_sym: usize) -> usize {
        if n_sym == 0 {
            return self.preamble_len();
        }
        let n = self.fft_len();
        // The first data symbol always carries the long GI.
        self.preamble_len() + (n + self.gi_len(Gi::Long)) + (n_sym - 1) * (n + self.gi_len(gi))
    }

    /// Largest PSDU this format can carry at `mcs`: the larger of 511 bytes (LENGTH in
    /// bytes) and 511 symbols' worth of A-MPDU less one delimiter, capped at [`MAX_PSDU_LEN`].
    pub const fn max_psdu_len(self, mcs: Mcs) -> usize {
        let max = self.max_ampdu_psdu_len(mcs);
        let max = if max < MAX_SIG_LENGTH {
            MAX_SIG_LENGTH
        } else {
            max
        };
        if max > MAX_PSDU_LEN {
            MAX_PSDU_LEN
        } else {
            max
        }
    }

    /// Largest PSDU inside a single-MPDU A-MPDU of 511 data symbols.
    pub const fn max_ampdu_psdu_len(self, mcs: Mcs) -> usize {
        let bits = MAX_AMPDU_SYMBOLS * self.n_dbps(mcs) - SERVICE_BITS - TAIL_BITS;
        // one 4-byte delimiter before the MPDU
        bits / 8 - 4
    }

    /// Short lowercase name used on the CLI and in files.
    pub const fn name(self) -> &'static str {
        match self {
            Format::S1g1M => "1m",
            Format::S1gShort2M => "2m",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::S1g1M => "S1G_1M",
            Format::S1gShort2M => "S1G_SHORT_2M",
        })
    }
}

/// Error for text that names no format, MCS or GI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseParamError(pub String);

impl fmt::Display for ParseParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseParamError {}

impl FromStr for Format {
    type Err = ParseParamError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "1m" | "1" | "1mhz" | "s1g_1m" => Ok(Format::S1g1M),
            "2m" | "2" | "2mhz" | "s1g_short" | "s1g_short_2m" => Ok(Format::S1gShort2M),
            _ => Err(ParseParamError(format!(
                "unknown format {s:?}: use 1m (S1G_1M, 1 MHz) or 2m (S1G_SHORT, 2 MHz)"
            ))),
        }
    }
}

const DATA_TONES_1M: [i32; 24] = [
    -13, -12, -11, -10, -9, -8, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13,
];

const DATA_TONES_2M: [i32; 52] = [
    -28, -27, -26, -25, -24, -23, -22, -20, -19, -18, -17, -16, -15, -14, -13, -12, -11, -10, -9,
    -8, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    22, 23, 24, 25, 26, 27, 28,
];

/// Data tones of the S1G_SHORT SIG field: the 802.11a 48-tone layout (±1..±26 minus pilots).
pub const SIG_DATA_TONES_2M: [i32; 48] = [
    -26, -25, -24, -23, -22, -20, -19, -18, -17, -16, -15, -14, -13, -12, -11, -10, -9, -8, -6, -5,
    -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 23, 24,
    25, 26,
];

/// Guard interval of the data symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gi {
    /// 8 µs.
    Long,
    /// 4 µs (the first data symbol still uses the long GI).
    Short,
}

impl FromStr for Gi {
    type Err = ParseParamError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "long" | "lgi" | "l" => Ok(Gi::Long),
            "short" | "sgi" | "s" => Ok(Gi::Short),
            _ => Err(ParseParamError(format!(
                "unknown guard interval {s:?}: use long or short"
            ))),
        }
    }
}

impl fmt::Display for Gi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Gi::Long => "long",
            Gi::Short => "short",
        })
    }
}

/// Constellation of a data symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modulation {
    /// 1 bit per tone.
    Bpsk,
    /// 2 bits per tone.
    Qpsk,
    /// 4 bits per tone.
    Qam16,
    /// 6 bits per tone.
    Qam64,
    /// 8 bits per tone.
    Qam256,
}

impl Modulation {
    /// Coded bits carried by one tone (N_BPSCS).
    pub const fn bits_per_symbol(self) -> usize {
        match self {
            Modulation::Bpsk => 1,
            Modulation::Qpsk => 2,
            Modulation::Qam16 => 4,
            Modulation::Qam64 => 6,
            Modulation::Qam256 => 8,
        }
    }
}

/// Convolutional code rate after puncturing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRate {
    /// 1/2, no puncturing.
    R1_2,
    /// 2/3.
    R2_3,
    /// 3/4.
    R3_4,
    /// 5/6.
    R5_6,
}

impl CodeRate {
    /// (numerator, denominator).
    pub const fn fraction(self) -> (usize, usize) {
        match self {
            CodeRate::R1_2 => (1, 2),
            CodeRate::R2_3 => (2, 3),
            CodeRate::R3_4 => (3, 4),
            CodeRate::R5_6 => (5, 6),
        }
    }

    /// Which of the mother code's output bits (A0 B0 A1 B1 …) are sent, one period.
    pub const fn puncture_pattern(self) -> &'static [bool] {
        match self {
            CodeRate::R1_2 => &[true, true],
            CodeRate::R2_3 => &[true, true, true, false],
            CodeRate::R3_4 => &[true, true, true, false, false, true],
            CodeRate::R5_6 => &[
                true, true, true, false, false, true, true, false, false, true,
            ],
        }
    }
}

/// Modulation and coding scheme index (single spatial stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mcs(pub u8);

impl Mcs {
    /// MCS10: BPSK 1/2 with 2× repetition (1 MHz only).
    pub const MCS10: Mcs = Mcs(10);

    /// Whether this index names an S1G MCS at all (0–10).
    pub const fn is_defined(self) -> bool {
        self.0 <= 10
    }

    /// Whether this is the repetition MCS.
    pub const fn is_repetition(self) -> bool {
        self.0 == 10
    }

    /// Constellation.
    pub const fn modulation(self) -> Modulation {
        match self.0 {
            0 | 10 => Modulation::Bpsk,
            1 | 2 => Modulation::Qpsk,
            3 | 4 => Modulation::Qam16,
            5..=7 => Modulation::Qam64,
            _ => Modulation::Qam256,
        }
    }

    /// Code rate.
    pub const fn code_rate(self) -> CodeRate {
        match self.0 {
            0 | 1 | 3 | 10 => CodeRate::R1_2,
            5 => CodeRate::R2_3,
            2 | 4 | 6 | 8 => CodeRate::R3_4,
            _ => CodeRate::R5_6,
        }
    }

    /// Data rate in bits/s with the given format and guard interval.
    pub fn data_rate(self, format: Format, gi: Gi) -> f64 {
        let sym_us = match gi {
            Gi::Long => 40.0,
            Gi::Short => 36.0,
        };
        format.n_dbps(self) as f64 / (sym_us * 1e-6)
    }
}

impl fmt::Display for Mcs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MCS{}", self.0)
    }
}

impl FromStr for Mcs {
    type Err = ParseParamError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let t = t.strip_prefix("mcs").unwrap_or(&t);
        match t.parse::<u8>() {
            Ok(n) if n <= 10 => Ok(Mcs(n)),
            _ => Err(ParseParamError(format!("unknown MCS {s:?}: use 0..=10"))),
        }
    }
}

/// Index of subcarrier `k` in an FFT of length `n` (negative tones wrap to the top half).
#[inline]
pub const fn bin(k: i32, n: usize) -> usize {
    if k < 0 {
        (n as i32 + k) as usize
    } else {
        k as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_match_the_standard_table() {
        // 802.11ah rate table, long GI: 1 MHz MCS0 300 kb/s, MCS10 150 kb/s, MCS7 3 Mb/s;
        // 2 MHz MCS0 650 kb/s, MCS8 7.8 Mb/s.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b;
        assert!(close(Mcs(0).data_rate(Format::S1g1M, Gi::Long), 300e3));
        assert!(close(Mcs(10).data_rate(Format::S1g1M, Gi::Long), 150e3));
        assert!(close(Mcs(7).data_rate(Format::S1g1M, Gi::Long), 3000e3));
        assert!(close(Mcs(0).data_rate(Format::S1gShort2M, Gi::Long), 650e3));
        assert!(close(
            Mcs(8).data_rate(Format::S1gShort2M, Gi::Long),
            7800e3
        ));
        assert!(close(
            Mcs(7).data_rate(Format::S1g1M, Gi::Short),
            120.0 / 36e-6
        ));
    }

    #[test]
    fn tone_plans_are_consistent() {
        for f in Format::ALL {
            let d = f.data_tones();
            assert_eq!(d.len(), f.n_data_tones());
            assert!(d.windows(2).all(|w| w[0] < w[1]));
            for p in f.pilot_tones() {
                assert!(!d.contains(p));
            }
            assert!(!d.contains(&0));
            assert_eq!(d.len() + f.pilot_tones().len(), 2 * f.max_tone() as usize);
        }
    }

    #[test]
    fn max_psdu_follows_from_511_symbols() {
        assert_eq!(Format::S1g1M.max_psdu_len(Mcs(0)), (511 * 12 - 14) / 8 - 4);
        assert_eq!(
            Format::S1g1M.max_ampdu_psdu_len(Mcs(10)),
            (511 * 6 - 14) / 8 - 4
        );
        // MCS10 carries more in byte mode (511 bytes in 684 symbols) than as an A-MPDU.
        assert_eq!(Format::S1g1M.max_psdu_len(Mcs(10)), 511);
        assert_eq!(MAX_DATA_SYMBOLS, 684);
        assert_eq!(Format::S1gShort2M.max_psdu_len(Mcs(8)), MAX_PSDU_LEN);
    }

    #[test]
    fn parse_names() {
        assert_eq!("mcs10".parse::<Mcs>(), Ok(Mcs(10)));
        assert!("11".parse::<Mcs>().is_err());
        assert_eq!("2m".parse::<Format>(), Ok(Format::S1gShort2M));
        assert!("5m".parse::<Format>().is_err());
    }
}
