//! `[regulatory]`: the transmit limits the gateway keeps (issue 10): which of its region's
//! rule profiles applies (`boards/bands/<region>.toml`), the radio's power and antenna gain
//! (checked against the profile's limits when the configuration loads), and an optional
//! dwell limit per channel for operators whose rules or policy set one.

use serde::{Deserialize, Serialize};

/// `[regulatory]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegulatoryConfig {
    /// Hold frames to the limits: a frame that would exceed one is deferred or dropped
    /// (counted and logged). `false` only measures. Default `true`.
    pub enforce: bool,
    /// Rule profile of the region's band file (`subgate bands <region>`); `""` for the
    /// region's default (EU: `"wdts"`, ERC/REC 70-03 Annex 3; `"srd"` is Annex 1). Default `""`.
    pub profile: String,
    /// Power into the antenna, dBm. Default 14.
    pub tx_power_dbm: f64,
    /// Antenna gain, dBi (e.i.r.p. = power + gain). Default 0.
    pub antenna_gain_dbi: f64,
    /// Most airtime per channel within `dwell_window_s`, ms; 0 for none. Default 0.
    pub dwell_ms: u32,
    /// The dwell window, s, ≥ 1. Default 10.
    pub dwell_window_s: u32,
}

impl Default for RegulatoryConfig {
    fn default() -> Self {
        RegulatoryConfig {
            enforce: true,
            profile: String::new(),
            tx_power_dbm: 14.0,
            antenna_gain_dbi: 0.0,
            dwell_ms: 0,
            dwell_window_s: 10,
        }
    }
}
