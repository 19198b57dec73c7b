//! The gateway's transmit governor: every frame is admitted against the limits of its
//! channel — the duty cycle of the sub-band the channel lies in (summed over the gateway's
//! channels there) and the configured dwell per channel — before it is queued.
//!
//! Frame classes take the budget in turn: answers to probes may use up to 70 % of a limit,
//! beacons 90 %, joins and group requests 95 %, report acks and polls all of it; so a flood
//! of probes silences the answers to probes first, and acks of scheduled reports go out
//! longest. Beacons are thinned up front when at one per superframe they alone would take
//! more than half a duty limit ([`TxGovernor::beacon_every`]).

use std::collections::HashMap;

use super::ledger::DutyLedger;
use super::rules;
use crate::config::{Config, ConfigError};

/// What a frame is for: decides how much of a limit it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameClass {
    /// Report acks and polls: scheduled terminals' readings depend on them.
    Report,
    /// Authentication, association, resource and key exchanges, deauthentications.
    Join,
    /// Group service requests.
    Group,
    /// Beacons.
    Beacon,
    /// Answers to probe requests (anyone in range can ask for them).
    ProbeAnswer,
}

impl FrameClass {
    /// Share of each limit frames of the class may fill, percent.
    pub const fn share_percent(self) -> u64 {
        match self {
            FrameClass::Report => 100,
            FrameClass::Join | FrameClass::Group => 95,
            FrameClass::Beacon => 90,
            FrameClass::ProbeAnswer => 70,
        }
    }
}

/// Most of a duty limit beacons may take at one per superframe before they are thinned,
/// percent.
const BEACON_SHARE_PERCENT: f64 = 50.0;

/// Microseconds per second.
const US_PER_S: u64 = 1_000_000;

/// One limit, the channels under it, and its ledger.
#[derive(Debug, Clone)]
struct Limit {
    name: String,
    kind: &'static str,
    channels: Vec<u8>,
    percent: Option<f64>,
    source: String,
    ledger: DutyLedger,
    deferred: u64,
    dropped: u64,
}

/// A limit's use so far, for the operator (sim, demo, metrics).
#[derive(Debug, Clone, PartialEq)]
pub struct LimitUse {
    /// Sub-band name (`"h1.4"`), or `"channel N"` for a dwell limit or a region without
    /// written rules.
    pub name: String,
    /// `"duty"` (sub-band duty cycle), `"dwell"` (per channel), or `"usage"` (no limit:
    /// measured only).
    pub kind: &'static str,
    /// The gateway's channels under it.
    pub channels: Vec<u8>,
    /// The limit, percent of the window (`None` for usage only).
    pub limit_percent: Option<f64>,
    /// The window, s.
    pub window_s: u64,
    /// Frames sent under it.
    pub frames: u64,
    /// Their airtime, µs.
    pub airtime_us: u64,
    /// The busiest window's use, percent: an upper bound (whole buckets of the ledger).
    pub peak_percent: f64,
    /// Frames sent later than their first slot because of it.
    pub deferred: u64,
    /// Frames dropped because of it.
    pub dropped: u64,
    /// Where the limit comes from.
    pub source: String,
}

/// The limits of a configuration, admitting frames. See the module docs.
#[derive(Debug, Clone)]
pub struct TxGovernor {
    enforce: bool,
    limits: Vec<Limit>,
    by_channel: HashMap<u8, Vec<usize>>,
}

/// Whether a limit of `percent` over `window_us` exists: its ledger's cap.
fn cap_us(window_us: u64, percent: Option<f64>) -> u64 {
    match percent {
        // floor: never round a limit up
        Some(p) => ((window_us as f64) * p / 100.0).floor() as u64,
        None => u64::MAX,
    }
}

impl TxGovernor {
    /// The limits of `config`: its region's rules under `regulatory.profile` for its
    /// channels, and `regulatory.dwell_ms`. Errors name the key at fault: a channel outside
    /// every sub-band, a power or bandwidth over the profile's limits, an unknown profile.
    pub fn from_config(config: &Config) -> Result<TxGovernor, ConfigError> {
        let reg = &config.regulatory;
        let width_mhz = match config.radio.format {
            crate::config::RadioFormat::OneMhz => 1.0,
            crate::config::RadioFormat::TwoMhz => 2.0,
        };
        let mut limits: Vec<Limit> = Vec::new();
        let mut by_channel: HashMap<u8, Vec<usize>> = HashMap::new();
        let region = rules::region(&config.gateway.region);
        let rules_used = match &region {
            Some(r) if !r.rules.is_empty() => {
                let profile = r.profile(&reg.profile);
                if profile.is_empty() {
                    return Err(ConfigError::invalid(
                        "regulatory.profile",
                        format!("\"{}\"", reg.profile),
                        format!(
                            "a profile of region {}: one of {}",
                            r.name,
                            r.profiles().join(", ")
                        ),
                    ));
                }
                Some((r, profile))
            }
            _ => None,
        };
        if !reg.tx_power_dbm.is_finite() || !reg.antenna_gain_dbi.is_finite() {
            return Err(ConfigError::invalid(
                "regulatory.tx_power_dbm",
                reg.tx_power_dbm,
                "a finite power and antenna gain",
            ));
        }
        for &channel in &config.radio.channels {
            let Some((region, profile)) = &rules_used else {
                let i = limits.len();
                limits.push(Limit {
                    name: format!("channel {channel}"),
                    kind: "usage",
                    channels: vec![channel],
                    percent: None,
                    source: format!(
                        "no transmit rules written for region {}",
                        config.gateway.region
                    ),
                    ledger: DutyLedger::new(3_600 * US_PER_S, u64::MAX),
                    deferred: 0,
                    dropped: 0,
                });
                by_channel.entry(channel).or_default().push(i);
                continue;
            };
            let centre = region.centre_hz(channel);
            let (lo, hi) = (centre - width_mhz * 0.5e6, centre + width_mhz * 0.5e6);
            let Some(rule) = profile.iter().find(|s| s.contains(lo, hi)) else {
                let why = if profile.iter().any(|s| s.overlaps(lo, hi)) {
                    "crosses a sub-band's edge"
                } else {
                    "lies outside every sub-band"
                };
                return Err(ConfigError::invalid(
                    "radio.channels",
                    channel,
                    format!(
                        "channels inside one sub-band of {} profile {}: channel {channel} \
                         ({:.1}-{:.1} MHz) {why}",
                        region.name,
                        profile[0].profile,
                        lo / 1e6,
                        hi / 1e6
                    ),
                ));
            };
            if let Some(max) = rule.max_conducted_dbm {
                if reg.tx_power_dbm > max {
                    return Err(ConfigError::invalid(
                        "regulatory.tx_power_dbm",
                        reg.tx_power_dbm,
                        format!(
                            "at most {max} dBm into the antenna in {} ({})",
                            rule.subband, rule.source
                        ),
                    ));
                }
            }
            if let Some(max) = rule.max_eirp_dbm {
                let eirp = reg.tx_power_dbm + reg.antenna_gain_dbi;
                if eirp > max + 1e-9 {
                    return Err(ConfigError::invalid(
                        "regulatory.tx_power_dbm",
                        reg.tx_power_dbm,
                        format!(
                            "power + antenna gain ({eirp} dBm e.i.r.p.) at most {max} dBm in {} ({})",
                            rule.subband, rule.source
                        ),
                    ));
                }
            }
            if let Some(max) = rule.max_bandwidth_mhz {
                if width_mhz > max {
                    return Err(ConfigError::invalid(
                        "radio.format",
                        format!("{width_mhz} MHz"),
                        format!(
                            "at most {max} MHz wide in {} ({})",
                            rule.subband, rule.source
                        ),
                    ));
                }
            }
            let i = match limits
                .iter()
                .position(|l| l.kind != "dwell" && l.name == rule.subband)
            {
                Some(i) => {
                    limits[i].channels.push(channel);
                    i
                }
                None => {
                    let window_us = u64::from(rule.window_s.max(1)) * US_PER_S;
                    limits.push(Limit {
                        name: rule.subband.clone(),
                        kind: if rule.gateway_duty_percent.is_some() {
                            "duty"
                        } else {
                            "usage"
                        },
                        channels: vec![channel],
                        percent: rule.gateway_duty_percent,
                        source: rule.source.clone(),
                        ledger: DutyLedger::new(
                            window_us,
                            cap_us(window_us, rule.gateway_duty_percent),
                        ),
                        deferred: 0,
                        dropped: 0,
                    });
                    limits.len() - 1
                }
            };
            by_channel.entry(channel).or_default().push(i);
        }
        if reg.dwell_ms > 0 {
            if reg.dwell_window_s == 0
                || u64::from(reg.dwell_ms) > u64::from(reg.dwell_window_s) * 1_000
            {
                return Err(ConfigError::invalid(
                    "regulatory.dwell_window_s",
                    reg.dwell_window_s,
                    format!(
                        "a window of at least 1 s and at least dwell_ms ({} ms)",
                        reg.dwell_ms
                    ),
                ));
            }
            let window_us = u64::from(reg.dwell_window_s) * US_PER_S;
            let percent = f64::from(reg.dwell_ms) / 10.0 / f64::from(reg.dwell_window_s);
            for &channel in &config.radio.channels {
                limits.push(Limit {
                    name: format!("channel {channel}"),
                    kind: "dwell",
                    channels: vec![channel],
                    percent: Some(percent),
                    source: format!(
                        "regulatory.dwell_ms: {} ms per {} s",
                        reg.dwell_ms, reg.dwell_window_s
                    ),
                    ledger: DutyLedger::new(window_us, u64::from(reg.dwell_ms) * 1_000),
                    deferred: 0,
                    dropped: 0,
                });
                by_channel
                    .entry(channel)
                    .or_default()
                    .push(limits.len() - 1);
            }
        }
        Ok(TxGovernor {
            enforce: reg.enforce,
            limits,
            by_channel,
        })
    }

    /// Whether frames over a limit are held back (`regulatory.enforce`).
    pub fn enforcing(&self) -> bool {
        self.enforce
    }

    /// Admits a frame of `airtime_us` on `channel` starting at `at_us` and books it; or
    /// names the limit it would exceed (index for [`deferred`](Self::deferred) /
    /// [`dropped`](Self::dropped)). Without enforcement every frame is admitted and booked.
    pub fn admit(
        &mut self,
        channel: u8,
        at_us: u64,
        airtime_us: u64,
        class: FrameClass,
    ) -> Result<(), usize> {
        let Some(idx) = self.by_channel.get(&channel) else {
            return Ok(());
        };
        if self.enforce {
            for &i in idx {
                let l = &self.limits[i].ledger;
                let cap = if l.limit_us() == u64::MAX {
                    u64::MAX
                } else {
                    l.limit_us() / 100 * class.share_percent()
                };
                if !l.fits(at_us, airtime_us, cap) {
                    return Err(i);
                }
            }
        }
        for &i in idx {
            self.limits[i].ledger.book(at_us, airtime_us);
        }
        Ok(())
    }

    /// Counts a frame deferred because of limit `i`.
    pub fn deferred(&mut self, i: usize) {
        if let Some(l) = self.limits.get_mut(i) {
            l.deferred += 1;
        }
    }

    /// Counts a frame dropped because of limit `i`; returns the limit's name and its drops
    /// so far (for the log line).
    pub fn dropped(&mut self, i: usize) -> Option<(&str, u64)> {
        let l = self.limits.get_mut(i)?;
        l.dropped += 1;
        Some((&l.name, l.dropped))
    }

    /// Beacons on `channel` go out every this many superframes so that, at `beacon_us` each
    /// per `superframe_us`, the beacons of all channels under a duty limit take at most half
    /// of it. 1 where no limit is that tight.
    pub fn beacon_every(&self, channel: u8, beacon_us: u64, superframe_us: u64) -> u64 {
        let Some(idx) = self.by_channel.get(&channel) else {
            return 1;
        };
        idx.iter()
            .filter_map(|&i| {
                let l = &self.limits[i];
                let p = l.percent?;
                let per_superframe = (l.channels.len() as f64) * (beacon_us as f64)
                    / (superframe_us.max(1) as f64)
                    * 100.0;
                let allowed = p * BEACON_SHARE_PERCENT / 100.0;
                Some((per_superframe / allowed).ceil().max(1.0) as u64)
            })
            .max()
            .unwrap_or(1)
    }

    /// Forgets airtime older than any window that a frame at or after `now_us` can meet.
    pub fn prune(&mut self, now_us: u64) {
        for l in &mut self.limits {
            l.ledger.prune(now_us);
        }
    }

    /// Every limit's use so far.
    pub fn usage(&self) -> Vec<LimitUse> {
        self.limits
            .iter()
            .map(|l| {
                let window = l.ledger.window_us();
                LimitUse {
                    name: l.name.clone(),
                    kind: l.kind,
                    channels: l.channels.clone(),
                    limit_percent: l.percent,
                    window_s: window / US_PER_S,
                    frames: l.ledger.frames(),
                    airtime_us: l.ledger.total_us(),
                    peak_percent: l.ledger.peak_us() as f64 * 100.0 / window as f64,
                    deferred: l.deferred,
                    dropped: l.dropped,
                    source: l.source.clone(),
                }
            })
            .collect()
    }
}
