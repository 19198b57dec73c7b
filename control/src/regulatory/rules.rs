//! The transmit rules of each region, as written in the band plans under `boards/bands/`
//! (compiled in): per profile, the sub-bands with their power and duty-cycle limits and the
//! source each was read from.

use serde::Deserialize;

/// One sub-band's limits under one profile (a `[[rules]]` entry of a band file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubbandRule {
    /// The rule set it belongs to (`regulatory.profile`), e.g. `"wdts"` or `"srd"` in the EU.
    pub profile: String,
    /// Name of the sub-band as the rules call it (`"h1.4"`).
    pub subband: String,
    /// Lower edge, MHz.
    pub low_mhz: f64,
    /// Upper edge, MHz.
    pub high_mhz: f64,
    /// Highest power into the antenna, dBm, where the rules limit it.
    #[serde(default)]
    pub max_conducted_dbm: Option<f64>,
    /// Highest radiated power (e.i.r.p.; e.r.p. + 2.15 dB), dBm, where the rules limit it.
    #[serde(default)]
    pub max_eirp_dbm: Option<f64>,
    /// Most on-time of an access point (the gateway) within any window, percent.
    #[serde(default)]
    pub gateway_duty_percent: Option<f64>,
    /// Most on-time of any other device (a meter) within any window, percent.
    #[serde(default)]
    pub terminal_duty_percent: Option<f64>,
    /// The duty-cycle window, s. Default 3 600 (EN 300 220's one hour).
    #[serde(default = "default_window_s")]
    pub window_s: u32,
    /// Widest occupied bandwidth allowed, MHz.
    #[serde(default)]
    pub max_bandwidth_mhz: Option<f64>,
    /// Where the limits come from.
    pub source: String,
}

fn default_window_s() -> u32 {
    3_600
}

impl SubbandRule {
    /// Whether `[low_hz, high_hz]` lies inside the sub-band.
    pub fn contains(&self, low_hz: f64, high_hz: f64) -> bool {
        low_hz >= self.low_mhz * 1e6 - 1.0 && high_hz <= self.high_mhz * 1e6 + 1.0
    }

    /// Whether `[low_hz, high_hz]` overlaps the sub-band.
    pub fn overlaps(&self, low_hz: f64, high_hz: f64) -> bool {
        low_hz < self.high_mhz * 1e6 - 1.0 && high_hz > self.low_mhz * 1e6 + 1.0
    }
}

/// A region's channel numbering and transmit rules.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RegionRules {
    /// Region name (`gateway.region`).
    pub name: String,
    /// Channel `n` is centred at `start_mhz + 0.5·n` MHz.
    pub start_mhz: f64,
    /// Lower edge of the band, MHz.
    pub low_mhz: f64,
    /// Upper edge of the band, MHz.
    pub high_mhz: f64,
    /// The profile used when `regulatory.profile` is empty ("" when the file has no rules).
    #[serde(default)]
    pub default_profile: String,
    /// Every profile's sub-bands.
    #[serde(default)]
    pub rules: Vec<SubbandRule>,
}

/// The band files (the same ones `subgate-boards` lists with their channels).
const FILES: [&str; 5] = [
    include_str!("../../../boards/bands/us.toml"),
    include_str!("../../../boards/bands/eu.toml"),
    include_str!("../../../boards/bands/jp.toml"),
    include_str!("../../../boards/bands/kr.toml"),
    include_str!("../../../boards/bands/cn.toml"),
];

impl RegionRules {
    /// Centre of channel `n`, Hz.
    pub fn centre_hz(&self, n: u8) -> f64 {
        (self.start_mhz + 0.5 * f64::from(n)) * 1e6
    }

    /// The profiles the file defines, in order of first mention.
    pub fn profiles(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.rules {
            if !out.contains(&r.profile.as_str()) {
                out.push(&r.profile);
            }
        }
        out
    }

    /// The sub-bands of `profile` ("" for the default one).
    pub fn profile(&self, profile: &str) -> Vec<&SubbandRule> {
        let p = if profile.is_empty() {
            self.default_profile.as_str()
        } else {
            profile
        };
        self.rules.iter().filter(|r| r.profile == p).collect()
    }
}

/// The rules of region `name` (lower case, as in `gateway.region`), if a band file has it.
/// `None` for regions accepted in the config whose rules are not written down here.
pub fn region(name: &str) -> Option<RegionRules> {
    static ALL: std::sync::OnceLock<Vec<RegionRules>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        FILES
            .iter()
            // The files are checked by the tests below; one that did not parse has no rules.
            .filter_map(|text| toml::from_str::<RegionRules>(text).ok())
            .collect()
    })
    .iter()
    .find(|r| r.name == name)
    .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_band_file_parses_with_its_rules_cited() {
        for text in FILES {
            let r: RegionRules = toml::from_str(text).unwrap();
            for rule in &r.rules {
                assert!(!rule.source.is_empty(), "{}: {}", r.name, rule.subband);
                assert!(rule.low_mhz < rule.high_mhz);
                assert!(rule.low_mhz >= r.low_mhz && rule.high_mhz <= r.high_mhz);
                for d in [rule.gateway_duty_percent, rule.terminal_duty_percent]
                    .into_iter()
                    .flatten()
                {
                    assert!(d > 0.0 && d <= 100.0, "{}: {d}", rule.subband);
                }
            }
            if !r.rules.is_empty() {
                assert!(
                    r.profiles().contains(&r.default_profile.as_str()),
                    "{}",
                    r.name
                );
            }
        }
    }

    #[test]
    fn eu_profiles_split_the_band_as_the_recommendation_does() {
        let eu = region("eu").unwrap();
        assert_eq!(eu.profiles(), ["wdts", "srd"]);
        let wdts = eu.profile("");
        assert_eq!(wdts.len(), 1);
        assert_eq!(wdts[0].gateway_duty_percent, Some(10.0));
        assert_eq!(wdts[0].terminal_duty_percent, Some(2.8));
        let srd = eu.profile("srd");
        assert_eq!(srd.len(), 2);
        // channel 3 (864-865 MHz) is in h1.3, channel 5 (865-866 MHz) in h1.4
        let c3 = eu.centre_hz(3);
        assert!(srd[0].contains(c3 - 0.5e6, c3 + 0.5e6));
        let c5 = eu.centre_hz(5);
        assert!(srd[1].contains(c5 - 0.5e6, c5 + 0.5e6));
        assert!(!srd[0].overlaps(c5 - 0.5e6, c5 + 0.5e6));
        assert!(region("us").unwrap().profile("")[0]
            .gateway_duty_percent
            .is_none());
        assert!(region("kr").unwrap().rules.is_empty());
        assert!(region("sg").is_none());
    }
}
