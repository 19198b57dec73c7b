//! The host radios subgate receives with through SoapySDR: one TOML file each under
//! `boards/radios/`, compiled in, and how much of a band each covers at which rate.

use crate::band::{BandPlan, PlanChannel, Widths};
use serde::Deserialize;

/// One radio (fields as in its TOML file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Radio {
    /// Name used on the command line (`subgate radios`, `--radio`).
    pub name: String,
    /// What it is.
    pub description: String,
    /// Where the figures come from.
    pub sources: Vec<String>,
    /// The SoapySDR device string that opens it (`driver=hackrf`).
    pub device: String,
    /// ADC resolution, bits.
    pub adc_bits: u8,
    /// Highest sample rate the host can stream without loss, Msps.
    pub max_rate_msps: f64,
    /// Tuning range, MHz.
    pub min_freq_mhz: f64,
    /// Tuning range, MHz.
    pub max_freq_mhz: f64,
    /// Fraction of the sample rate that the analogue filters leave flat enough to use.
    pub usable_fraction: f64,
}

/// How a radio covers a band: the rate and centre frequency to tune, the channels that fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Sample rate, samples/s (a whole multiple of every channel width used).
    pub rate_hz: f64,
    /// Centre frequency to tune, Hz (on a channel boundary, so the radio's DC spur falls
    /// between channels).
    pub centre_hz: f64,
    /// Channels inside the usable part of the stream.
    pub channels: Vec<PlanChannel>,
    /// Channels of the plan left out.
    pub missed: Vec<PlanChannel>,
}

/// Why a radio cannot receive a band.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoverageError {
    /// The band lies outside the radio's tuning range.
    #[error(
        "{radio} tunes {min}–{max} MHz, which does not include the {band} band ({low}–{high} MHz)"
    )]
    OutOfTuningRange {
        /// Radio name.
        radio: String,
        /// Band name.
        band: String,
        /// Tuning range.
        min: f64,
        /// Tuning range.
        max: f64,
        /// Band edges.
        low: f64,
        /// Band edges.
        high: f64,
    },
    /// Not even one channel fits the usable part of the radio's fastest rate.
    #[error("{radio} at {rate_msps} Msps covers no whole channel of the {band} band")]
    TooNarrow {
        /// Radio name.
        radio: String,
        /// Band name.
        band: String,
        /// The rate tried.
        rate_msps: f64,
    },
}

impl Radio {
    /// The rate, centre and channels for receiving `band` (channels of `widths`): the whole
    /// band at the lowest rate whose usable part holds it, or, when the radio is too slow,
    /// as many channels from the band's low edge as its fastest rate holds.
    pub fn coverage(&self, band: &BandPlan, widths: Widths) -> Result<Coverage, CoverageError> {
        if band.low_mhz < self.min_freq_mhz || band.high_mhz > self.max_freq_mhz {
            return Err(CoverageError::OutOfTuningRange {
                radio: self.name.clone(),
                band: band.name.clone(),
                min: self.min_freq_mhz,
                max: self.max_freq_mhz,
                low: band.low_mhz,
                high: band.high_mhz,
            });
        }
        let all = band.channels(widths);
        // the grid every rate must be a multiple of: 2 MHz when 2 MHz channels are used
        let grid = if all.iter().any(|c| c.width_mhz == 2) {
            2.0
        } else {
            1.0
        };
        let max_rate = (self.max_rate_msps / grid).floor() * grid;
        let (lo, hi) = all
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), c| {
                (l.min(c.low_hz()), h.max(c.high_hz()))
            });
        // the whole span, centred on a 1 MHz boundary of the channels' grid (so the radio's DC
        // spur falls between channels): the half-width it needs on the wider side
        let on_grid = |f: f64| lo + ((f - lo) / 1e6).round() * 1e6;
        let whole_centre = on_grid((lo + hi) / 2.0);
        let half = (whole_centre - lo).max(hi - whole_centre);
        let need = (2.0 * half / 1e6 / self.usable_fraction / grid).ceil() * grid;
        let rate = need.min(max_rate).max(grid);
        let usable_hz = rate * 1e6 * self.usable_fraction;
        // too slow for the whole span: as far as the usable part reaches from the low edge
        let centre_hz = if need <= max_rate {
            whole_centre
        } else {
            on_grid(lo + usable_hz / 2.0)
        };
        let channels: Vec<PlanChannel> = all
            .iter()
            .copied()
            .filter(|c| {
                c.low_hz() >= centre_hz - usable_hz / 2.0 - 1.0
                    && c.high_hz() <= centre_hz + usable_hz / 2.0 + 1.0
            })
            .collect();
        if channels.is_empty() {
            return Err(CoverageError::TooNarrow {
                radio: self.name.clone(),
                band: band.name.clone(),
                rate_msps: rate,
            });
        }
        let missed = all
            .iter()
            .copied()
            .filter(|c| !channels.contains(c))
            .collect();
        Ok(Coverage {
            rate_hz: rate * 1e6,
            centre_hz,
            channels,
            missed,
        })
    }
}

/// The radios' TOML files, as compiled in.
const FILES: [&str; 4] = [
    include_str!("../radios/hackrf.toml"),
    include_str!("../radios/usrp-b200.toml"),
    include_str!("../radios/usrp-b210.toml"),
    include_str!("../radios/limesdr-mini-v2.toml"),
];

/// A radio file that does not parse (a bug in `boards/`, caught by the tests).
pub type RadioFileError = crate::files::TomlFileError;

/// Every radio, in the order `subgate radios` lists them.
pub fn radios() -> Result<Vec<Radio>, RadioFileError> {
    crate::files::parse_all("radio", FILES)
}

/// The radio a SoapySDR device string opens: the one whose own device string's `key=value`
/// pairs all appear in `device` (`driver=hackrf,serial=…` is the HackRF; `driver=uhd`
/// alone is no particular USRP).
pub fn for_device(device: &str) -> Result<Option<Radio>, RadioFileError> {
    let given: Vec<&str> = device.split(',').map(str::trim).collect();
    Ok(radios()?.into_iter().find(|r| {
        r.device
            .split(',')
            .map(str::trim)
            .all(|pair| given.contains(&pair))
    }))
}

/// The radio called `name` (case-insensitive), if there is one.
pub fn find(name: &str) -> Result<Option<Radio>, RadioFileError> {
    Ok(radios()?
        .into_iter()
        .find(|r| r.name.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::band;

    #[test]
    fn every_radio_parses() {
        let all = radios().unwrap();
        assert_eq!(all.len(), FILES.len());
        for r in &all {
            assert!(!r.sources.is_empty(), "{}", r.name);
            assert!(
                r.usable_fraction > 0.0 && r.usable_fraction <= 1.0,
                "{}",
                r.name
            );
            assert!(r.device.starts_with("driver="), "{}", r.name);
        }
    }

    #[test]
    fn coverage_of_the_us_band() {
        let us = band::find("us").unwrap().unwrap();
        // the B200 takes the whole band: 26 MHz / 0.8 → 33 Msps, centre 915 MHz
        let b200 = find("usrp-b200").unwrap().unwrap();
        let c = b200.coverage(&us, Widths::One).unwrap();
        assert_eq!(c.channels.len(), 26);
        assert!(c.missed.is_empty());
        assert_eq!(c.centre_hz, 915e6);
        assert!(
            c.rate_hz >= 26e6 / b200.usable_fraction && c.rate_hz <= 56e6,
            "{c:?}"
        );
        assert_eq!(c.rate_hz % 1e6, 0.0);
        // the HackRF does not: 20 Msps, 15 MHz usable from the band's low edge, centred on a
        // channel boundary (902 + 8 MHz), so 14 whole channels fit
        let hackrf = find("hackrf").unwrap().unwrap();
        let c = hackrf.coverage(&us, Widths::One).unwrap();
        assert_eq!(c.rate_hz, 20e6);
        assert_eq!(c.centre_hz, 910e6);
        assert_eq!(c.channels.len(), 14, "{c:?}");
        assert_eq!(c.channels[0].number, 3);
        assert_eq!(c.missed.len(), 12);
        // every covered channel lies inside the usable part around the centre
        for ch in &c.channels {
            assert!(
                (ch.centre_hz - c.centre_hz).abs() + 0.5e6
                    <= c.rate_hz * hackrf.usable_fraction / 2.0 + 1.0
            );
        }
        // an odd span (JP: 920.5-927.5 MHz) still centres on a channel boundary and keeps
        // every channel
        let jp = band::find("jp").unwrap().unwrap();
        let lime = find("limesdr-mini-v2").unwrap().unwrap();
        let c = lime.coverage(&jp, Widths::One).unwrap();
        assert!(c.missed.is_empty(), "{c:?}");
        assert_eq!((c.centre_hz - 920.5e6) % 1e6, 0.0);
        // 2 MHz channels: the rate is a multiple of 2 MHz
        let c = b200.coverage(&us, Widths::Both).unwrap();
        assert_eq!(c.rate_hz % 2e6, 0.0);
        assert_eq!(c.channels.len(), 39);
    }

    #[test]
    fn radios_are_found_by_device_string() {
        let name = |d: &str| for_device(d).unwrap().map(|r| r.name);
        assert_eq!(name("driver=hackrf").as_deref(), Some("hackrf"));
        assert_eq!(
            name("driver=hackrf,serial=0000abcd").as_deref(),
            Some("hackrf")
        );
        assert_eq!(name("type=b210,driver=uhd").as_deref(), Some("usrp-b210"));
        assert_eq!(name("driver=uhd"), None);
        assert_eq!(name("driver=replay,file=x"), None);
    }

    #[test]
    fn a_band_outside_the_tuning_range_is_refused() {
        let cn = band::find("cn").unwrap().unwrap();
        let mut r = find("hackrf").unwrap().unwrap();
        r.min_freq_mhz = 800.0;
        assert!(matches!(
            r.coverage(&cn, Widths::One),
            Err(CoverageError::OutOfTuningRange { .. })
        ));
        r.min_freq_mhz = 1.0;
        r.max_rate_msps = 1.0;
        r.usable_fraction = 0.5;
        assert!(matches!(
            r.coverage(&cn, Widths::One),
            Err(CoverageError::TooNarrow { .. })
        ));
    }
}
