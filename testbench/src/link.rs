//! Link budget of a sub-GHz metering deployment (issue 9): path loss from distance with the
//! 802.11ah (TGah) outdoor models, log-normal shadowing, the receiver's noise floor, the SNR
//! a frame arrives with, and the MCS a terminal picks from it.
//!
//! Facts used (TGah channel model, IEEE 802.11-11/0968; 802.11-2020 §23.3.18.1):
//! - macro deployment (gateway antenna 15 m above rooftop), 900 MHz:
//!   `PL(d) = 8 + 37.6 · log10(d / 1 m)` dB;
//! - pico/hot-zone (antenna at rooftop level): `PL(d) = 23.3 + 36.7 · log10(d / 1 m)` dB at
//!   900 MHz;
//! - thermal noise −174 dBm/Hz, so a 1 MHz channel with noise figure NF has a floor of
//!   `−114 + NF` dBm (2 MHz: 3 dB more).
//!
//! The SNR thresholds for the MCS choice are this receiver's own (docs/results.md §2: the SNR
//! at 10 % PER in AWGN) plus a margin, not the standard's sensitivities: those assume a 10 dB
//! noise figure and 5 dB implementation loss and are compared with ours in
//! [`standard_sensitivity_dbm`].

use subgate_dsp::{Format, Mcs};

/// Outdoor path-loss model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathLossModel {
    /// TGah macro deployment: `8 + 37.6 log10(d)`.
    Macro,
    /// TGah pico / hot-zone deployment: `23.3 + 36.7 log10(d)`.
    Pico,
}

impl PathLossModel {
    /// Path loss at `distance_m` (at least 1 m), dB.
    pub fn loss_db(self, distance_m: f64) -> f64 {
        let d = distance_m.max(1.0).log10();
        match self {
            PathLossModel::Macro => 8.0 + 37.6 * d,
            PathLossModel::Pico => 23.3 + 36.7 * d,
        }
    }

    /// The distance at which the loss reaches `loss_db`, m.
    pub fn distance_m(self, loss_db: f64) -> f64 {
        let (a, b) = match self {
            PathLossModel::Macro => (8.0, 37.6),
            PathLossModel::Pico => (23.3, 36.7),
        };
        10f64.powf((loss_db - a) / b).max(1.0)
    }
}

/// The radio parameters of a deployment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkBudget {
    /// Path-loss model.
    pub model: PathLossModel,
    /// Terminal transmit power (EIRP), dBm.
    pub terminal_dbm: f64,
    /// Gateway transmit power (EIRP), dBm.
    pub gateway_dbm: f64,
    /// Receiver noise figure, dB (both ends).
    pub noise_figure_db: f64,
    /// Standard deviation of the log-normal shadowing, dB.
    pub shadowing_db: f64,
    /// SNR kept above an MCS's 10 % PER point when picking it, dB.
    pub margin_db: f64,
}

impl Default for LinkBudget {
    /// A utility deployment: macro model, 20 dBm meters, a 27 dBm gateway, 6 dB noise figure,
    /// 8 dB shadowing, 3 dB margin.
    fn default() -> Self {
        LinkBudget {
            model: PathLossModel::Macro,
            terminal_dbm: 20.0,
            gateway_dbm: 27.0,
            noise_figure_db: 6.0,
            shadowing_db: 8.0,
            margin_db: 3.0,
        }
    }
}

/// Noise power in `format`'s bandwidth, dBm, with noise figure `nf_db`.
pub fn noise_floor_dbm(format: Format, nf_db: f64) -> f64 {
    let bw_hz: f64 = match format {
        Format::S1g1M => 1e6,
        _ => 2e6,
    };
    -174.0 + 10.0 * bw_hz.log10() + nf_db
}

/// This receiver's SNR at 10 % PER in AWGN, dB (docs/results.md §2, 256-byte PSDUs).
pub fn snr_at_10pct_per(format: Format, mcs: Mcs) -> Option<f64> {
    let one = [-0.41, 2.69, 5.21, 8.20, 11.61, 15.61, 17.12, 18.69];
    let two = [0.44, 3.38, 5.84, 8.74, 12.27, 16.45, 17.83, 19.23, 23.22];
    match (format, mcs.0) {
        (Format::S1g1M, 10) => Some(-2.61),
        (Format::S1g1M, m) => one.get(usize::from(m)).copied(),
        (_, m) => two.get(usize::from(m)).copied(),
    }
}

/// The minimum input sensitivity 802.11-2020 requires (§23.3.18.1, 10 % PER for 256-octet
/// PSDUs), dBm: the 20 MHz HT values scaled to the S1G bandwidths (−95 dBm for 1 MHz MCS0,
/// −98 dBm for MCS10, −92 dBm for 2 MHz MCS0, and so on).
pub fn standard_sensitivity_dbm(format: Format, mcs: Mcs) -> Option<f64> {
    let one = [
        -95.0, -92.0, -90.0, -87.0, -83.0, -79.0, -78.0, -77.0, -72.0,
    ];
    match (format, mcs.0) {
        (Format::S1g1M, 10) => Some(-98.0),
        (Format::S1g1M, m) => one.get(usize::from(m)).copied(),
        (_, m) => one.get(usize::from(m)).map(|s| s + 3.0),
    }
}

impl LinkBudget {
    /// SNR of a frame sent at `tx_dbm` over `distance_m` with `shadow_db` of shadowing
    /// (positive: more loss), in `format`'s bandwidth, dB.
    pub fn snr_db(&self, format: Format, tx_dbm: f64, distance_m: f64, shadow_db: f64) -> f64 {
        tx_dbm
            - self.model.loss_db(distance_m)
            - shadow_db
            - noise_floor_dbm(format, self.noise_figure_db)
    }

    /// The fastest MCS of `allowed` whose 10 % PER point plus the margin is below `snr_db`;
    /// `None` when not even the most robust one is.
    pub fn pick_mcs(&self, format: Format, snr_db: f64, allowed: &[Mcs]) -> Option<Mcs> {
        allowed
            .iter()
            .filter_map(|&m| Some((m, snr_at_10pct_per(format, m)?)))
            .filter(|(_, need)| need + self.margin_db <= snr_db)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(m, _)| m)
    }

    /// The distance at which a terminal's frames arrive at `mcs`'s 10 % PER point with no
    /// shadowing, m.
    pub fn range_m(&self, format: Format, mcs: Mcs) -> Option<f64> {
        let need = snr_at_10pct_per(format, mcs)?;
        let loss = self.terminal_dbm - noise_floor_dbm(format, self.noise_figure_db) - need;
        Some(self.model.distance_m(loss))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_models_match_their_formulas() {
        assert!((PathLossModel::Macro.loss_db(1000.0) - (8.0 + 37.6 * 3.0)).abs() < 1e-9);
        assert!((PathLossModel::Pico.loss_db(100.0) - (23.3 + 36.7 * 2.0)).abs() < 1e-9);
        for m in [PathLossModel::Macro, PathLossModel::Pico] {
            let d = m.distance_m(m.loss_db(1234.5));
            assert!((d - 1234.5).abs() < 1e-6);
        }
        assert!((noise_floor_dbm(Format::S1g1M, 6.0) + 108.0).abs() < 1e-9);
    }

    #[test]
    fn the_fastest_mcs_that_fits_is_picked() {
        let b = LinkBudget::default();
        let all: Vec<Mcs> = [10, 0, 1, 2, 3, 4, 5, 6, 7].into_iter().map(Mcs).collect();
        assert_eq!(b.pick_mcs(Format::S1g1M, 30.0, &all), Some(Mcs(7)));
        assert_eq!(b.pick_mcs(Format::S1g1M, 6.0, &all), Some(Mcs(1)));
        assert_eq!(b.pick_mcs(Format::S1g1M, 1.0, &all), Some(Mcs(10)));
        assert_eq!(b.pick_mcs(Format::S1g1M, -5.0, &all), None);
        // MCS10 reaches further than MCS0, which reaches further than MCS7.
        let r = |m| b.range_m(Format::S1g1M, Mcs(m)).unwrap();
        assert!(r(10) > r(0) && r(0) > r(7));
    }
}
