//! S1G band plans: one TOML file per regulatory region under `boards/bands/`, compiled in.
//!
//! A plan numbers its channels from a starting frequency, as IEEE 802.11-2020 Annex E does
//! for S1G: channel `n` is centred at `start_mhz + 0.5 · n` MHz. Each file cites where its
//! channel lists come from.

use serde::Deserialize;
use subgate_dsp::wideband::BandChannel;
use subgate_dsp::Format;

/// One region's S1G channels (fields as in its TOML file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandPlan {
    /// Name used on the command line (`--band us`).
    pub name: String,
    /// Region and rules.
    pub description: String,
    /// Where the channel lists were checked.
    pub sources: Vec<String>,
    /// Channel starting frequency, MHz: channel `n` is centred at `start_mhz + 0.5·n`.
    pub start_mhz: f64,
    /// Lower edge of the band, MHz.
    pub low_mhz: f64,
    /// Upper edge of the band, MHz.
    pub high_mhz: f64,
    /// 1 MHz channel numbers.
    pub channels_1mhz: Vec<u16>,
    /// 2 MHz channel numbers.
    #[serde(default)]
    pub channels_2mhz: Vec<u16>,
    /// The transmit-rule profile used by default (`regulatory.profile`).
    #[serde(default)]
    pub default_profile: String,
    /// Transmit rules per profile and sub-band: read and enforced by the gateway
    /// (`subgate_control::regulatory::rules`, which parses them into typed limits); kept
    /// here untyped so this crate stays below the control plane.
    #[serde(default)]
    pub rules: Vec<toml::Table>,
}

/// One channel of a plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanChannel {
    /// Channel number.
    pub number: u16,
    /// Width, MHz (1 or 2).
    pub width_mhz: u8,
    /// Centre frequency, Hz.
    pub centre_hz: f64,
}

impl PlanChannel {
    /// Lower edge, Hz.
    pub fn low_hz(&self) -> f64 {
        self.centre_hz - self.width_mhz as f64 * 0.5e6
    }

    /// Upper edge, Hz.
    pub fn high_hz(&self) -> f64 {
        self.centre_hz + self.width_mhz as f64 * 0.5e6
    }

    /// The PPDU format its width carries.
    pub fn format(&self) -> Format {
        if self.width_mhz == 2 {
            Format::S1gShort2M
        } else {
            Format::S1g1M
        }
    }

    /// The channel as the wideband receiver takes it, in a stream centred at `centre_hz`.
    pub fn to_band_channel(&self, centre_hz: f64) -> BandChannel {
        BandChannel {
            number: self.number,
            format: self.format(),
            offset_hz: self.centre_hz - centre_hz,
        }
    }
}

/// Splits `channels` into those a stream of `rate_hz` centred at `centre_hz` carries whole
/// (both edges inside ±rate/2) and the rest.
pub fn split_by_stream(
    channels: &[PlanChannel],
    centre_hz: f64,
    rate_hz: f64,
) -> (Vec<PlanChannel>, Vec<PlanChannel>) {
    channels.iter().partition(|c| {
        c.low_hz() >= centre_hz - rate_hz / 2.0 - 1.0
            && c.high_hz() <= centre_hz + rate_hz / 2.0 + 1.0
    })
}

/// The centre and lowest rate (a whole multiple of `grid_hz`) of a stream that carries
/// `channels` whole: the middle of their span, the span rounded up.
pub fn stream_for(channels: &[PlanChannel], grid_hz: f64) -> Option<(f64, f64)> {
    let lo = channels.iter().map(|c| c.low_hz()).reduce(f64::min)?;
    let hi = channels.iter().map(|c| c.high_hz()).reduce(f64::max)?;
    let rate = ((hi - lo) / grid_hz).ceil() * grid_hz;
    Some(((lo + hi) / 2.0, rate))
}

/// Which widths to take from a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widths {
    /// 1 MHz channels only.
    One,
    /// 2 MHz channels only.
    Two,
    /// Both.
    Both,
}

impl BandPlan {
    /// Centre frequency of channel `n`, Hz.
    pub fn centre_hz(&self, n: u16) -> f64 {
        (self.start_mhz + 0.5 * n as f64) * 1e6
    }

    /// The plan's channels of the given widths, 1 MHz ones first, each list ascending.
    pub fn channels(&self, widths: Widths) -> Vec<PlanChannel> {
        let one = matches!(widths, Widths::One | Widths::Both);
        let two = matches!(widths, Widths::Two | Widths::Both);
        let mut out = Vec::new();
        if one {
            out.extend(self.channels_1mhz.iter().map(|&n| PlanChannel {
                number: n,
                width_mhz: 1,
                centre_hz: self.centre_hz(n),
            }));
        }
        if two {
            out.extend(self.channels_2mhz.iter().map(|&n| PlanChannel {
                number: n,
                width_mhz: 2,
                centre_hz: self.centre_hz(n),
            }));
        }
        out
    }

    /// Centre of the band, Hz.
    pub fn band_centre_hz(&self) -> f64 {
        (self.low_mhz + self.high_mhz) * 0.5e6
    }

    /// Width of the band, Hz.
    pub fn span_hz(&self) -> f64 {
        (self.high_mhz - self.low_mhz) * 1e6
    }
}

/// The band plans' TOML files, as compiled in.
const FILES: [&str; 5] = [
    include_str!("../bands/us.toml"),
    include_str!("../bands/eu.toml"),
    include_str!("../bands/jp.toml"),
    include_str!("../bands/kr.toml"),
    include_str!("../bands/cn.toml"),
];

/// A band file that does not parse (a bug in `boards/`, caught by the tests).
pub type BandFileError = crate::files::TomlFileError;

/// Every band plan, in the order `subgate bands` lists them.
pub fn plans() -> Result<Vec<BandPlan>, BandFileError> {
    crate::files::parse_all("band", FILES)
}

/// The plan called `name` (case-insensitive), if there is one.
pub fn find(name: &str) -> Result<Option<BandPlan>, BandFileError> {
    Ok(plans()?
        .into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plan_parses_and_its_channels_lie_in_the_band() {
        let all = plans().unwrap();
        assert_eq!(all.len(), FILES.len());
        for p in &all {
            assert!(!p.sources.is_empty(), "{}: cite a source", p.name);
            assert!(!p.channels_1mhz.is_empty(), "{}", p.name);
            for c in p.channels(Widths::Both) {
                assert!(
                    c.low_hz() >= p.low_mhz * 1e6 - 1.0 && c.high_hz() <= p.high_mhz * 1e6 + 1.0,
                    "{}: channel {} ({} MHz wide at {} Hz) outside {}..{} MHz",
                    p.name,
                    c.number,
                    c.width_mhz,
                    c.centre_hz,
                    p.low_mhz,
                    p.high_mhz
                );
            }
            // channels of one width do not overlap
            for w in [Widths::One, Widths::Two] {
                let ch = p.channels(w);
                for pair in ch.windows(2) {
                    assert!(
                        pair[1].low_hz() >= pair[0].high_hz() - 1.0,
                        "{}: {pair:?}",
                        p.name
                    );
                }
            }
        }
    }

    #[test]
    fn us_plan_is_the_standards() {
        let us = find("us").unwrap().unwrap();
        let one = us.channels(Widths::One);
        assert_eq!(one.len(), 26);
        assert_eq!(one[0].centre_hz, 902.5e6);
        assert_eq!(one[25].centre_hz, 927.5e6);
        assert_eq!(one[25].number, 51);
        let two = us.channels(Widths::Two);
        assert_eq!(two.len(), 13);
        assert_eq!(two[0].centre_hz, 903e6);
        assert_eq!(two[0].number, 2);
        assert_eq!(us.band_centre_hz(), 915e6);
        assert!(find("US").unwrap().is_some());
        let (centre, rate) = stream_for(&one, 1e6).unwrap();
        assert_eq!((centre, rate), (915e6, 26e6));
        let (inside, outside) = split_by_stream(&one, 915e6, 20e6);
        assert_eq!(inside.len(), 20);
        assert_eq!(outside.len(), 6);
        assert_eq!(inside[0].number, 7);
        let b = one[0].to_band_channel(915e6);
        assert_eq!(
            (b.number, b.format, b.offset_hz),
            (1, Format::S1g1M, -12.5e6)
        );
        assert!(find("mars").unwrap().is_none());
    }
}
