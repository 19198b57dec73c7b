//! Scenarios in TOML (`testbench/scenarios/`, issue 9): the meters, where they stand, what
//! they report, the medium, and the gateway's own configuration — everything `subgate sim
//! --scenario FILE` needs to run a field trial in virtual time.
//!
//! ```toml
//! name = "street"
//! hours = 0.5              # readings for this long, then a drain
//! terminals = 52
//! seed = 1
//! join_spread_s = 120
//!
//! [medium]                 # "frame" (rules) or "iq" (every reception through the PHY)
//! kind = "iq"
//! model = "macro"          # or "pico"
//! shadowing_db = 8.0
//! mcs = [10, 0, 1, 2, 3]   # what a meter may pick from its link budget
//! receiver = "wideband"    # the gateway's: "channel" (one per channel) or "wideband"
//!
//! [placement]              # "street": along the x axis; "disc": uniform over a disc
//! kind = "street"
//! from_m = 50.0
//! to_m = 1000.0
//!
//! [[service]]
//! name = "meter"
//! period_s = 60
//! data_amount = 48
//! weight = 1
//!
//! [gateway]                # a gateway configuration (docs/config.md), any keys
//! radio = { channels = [1, 3], mcs = 10 }
//!
//! [[command]]              # a downlink command (docs/northbound.md §4) at a virtual time
//! at_s = 600
//! json = '{"schema":1,"command_id":"c-1","type":"group-request","group":"g","payload_hex":"01"}'
//!
//! [outage]                 # a real mosquitto that goes down mid-run (reporting then paced
//! before_s = 20            # to real time: seconds before, down, after)
//! outage_s = 60
//! after_s = 40
//! kill = false             # SIGKILL instead of SIGTERM
//!
//! [flood]                  # hostile traffic at the gateway's receiver (frame medium only;
//! rate_per_s = 2000.0      # docs/hardening.md): frames per second,
//! from_s = 420             # from this virtual second (until_s = ... to stop earlier),
//! misbehaving = 5          # the first 5 meters also report off-slot and oversized,
//! mute = 5                 # the next 5 go mute once scheduled
//! ```

use std::path::Path;

use serde::Deserialize;
use subgate_control::config::Config;
use subgate_dsp::rng::Rng;
use subgate_dsp::Mcs;

use crate::link::{LinkBudget, PathLossModel};
use crate::outage::OutageTiming;
use crate::sim::{AirSetup, ServiceMix, SimConfig};

/// Why a scenario does not load.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file cannot be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML does not parse or has unknown keys.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// What is wrong, with the line.
        message: String,
    },
    /// A value is out of range.
    #[error("{file}: {key}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The key.
        key: String,
        /// What is expected.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    #[serde(default)]
    description: String,
    hours: f64,
    terminals: usize,
    #[serde(default = "one")]
    seed: u64,
    #[serde(default = "spread")]
    join_spread_s: u64,
    #[serde(default = "drain")]
    drain_s: u64,
    #[serde(default)]
    loss: f64,
    #[serde(default)]
    medium: Medium,
    #[serde(default)]
    placement: Option<Placement>,
    service: Vec<Service>,
    #[serde(default)]
    gateway: Option<toml::Table>,
    #[serde(default)]
    command: Vec<CommandAt>,
    #[serde(default)]
    outage: Option<OutageRaw>,
    #[serde(default)]
    flood: Option<FloodRaw>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FloodRaw {
    rate_per_s: f64,
    #[serde(default)]
    from_s: u64,
    #[serde(default)]
    until_s: Option<u64>,
    #[serde(default)]
    misbehaving: usize,
    #[serde(default)]
    mute: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutageRaw {
    before_s: u64,
    outage_s: u64,
    after_s: u64,
    #[serde(default)]
    kill: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandAt {
    at_s: u64,
    json: String,
}

fn one() -> u64 {
    1
}
fn spread() -> u64 {
    1_800
}
fn drain() -> u64 {
    300
}

/// `[medium]`; a missing key takes [`Medium::default`]'s value.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Medium {
    kind: String,
    model: String,
    shadowing_db: f64,
    terminal_dbm: f64,
    gateway_dbm: f64,
    noise_figure_db: f64,
    mcs: Vec<u8>,
    receiver: String,
}

impl Default for Medium {
    /// Frame level; for IQ level the macro model and [`LinkBudget::default`]'s radio, any
    /// 1 MHz MCS but 8.
    fn default() -> Self {
        let b = LinkBudget::default();
        Medium {
            kind: "frame".into(),
            model: "macro".into(),
            shadowing_db: b.shadowing_db,
            terminal_dbm: b.terminal_dbm,
            gateway_dbm: b.gateway_dbm,
            noise_figure_db: b.noise_figure_db,
            mcs: vec![10, 0, 1, 2, 3, 4, 5, 6, 7],
            receiver: "channel".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Placement {
    kind: String,
    #[serde(default)]
    from_m: f64,
    #[serde(default)]
    to_m: f64,
    #[serde(default)]
    radius_m: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Service {
    name: String,
    period_s: u32,
    data_amount: u32,
    #[serde(default = "weight")]
    weight: u32,
}

fn weight() -> u32 {
    1
}

/// A loaded scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The simulation it describes.
    pub sim: SimConfig,
    /// A broker outage to run it under (`crate::outage::run_config`), if any.
    pub outage: Option<OutageTiming>,
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            file: file.clone(),
            source,
        })?;
        Scenario::parse(&text, &file)
    }

    /// Parses and checks scenario text, naming it `file` in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let raw: Raw = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            file: file.into(),
            message: e.to_string(),
        })?;
        let bad = |key: &str, message: String| ScenarioError::Invalid {
            file: file.into(),
            key: key.into(),
            message,
        };
        if !(raw.hours > 0.0 && raw.hours <= 24.0 * 7.0) {
            return Err(bad("hours", format!("in (0, 168], got {}", raw.hours)));
        }
        if raw.terminals == 0 || raw.terminals > 20_000 {
            return Err(bad(
                "terminals",
                format!("1..=20000, got {}", raw.terminals),
            ));
        }
        if !(0.0..1.0).contains(&raw.loss) {
            return Err(bad("loss", format!("in [0, 1), got {}", raw.loss)));
        }
        if raw.service.is_empty() {
            return Err(bad("service", "at least one [[service]]".into()));
        }
        let mut sim = SimConfig::mixed(raw.terminals, raw.hours);
        sim.seed = raw.seed;
        sim.join_spread_s = raw.join_spread_s;
        sim.drain_s = raw.drain_s;
        sim.loss = raw.loss;
        sim.mix = Vec::with_capacity(raw.service.len());
        for (i, s) in raw.service.iter().enumerate() {
            if s.period_s == 0 || s.weight == 0 || s.name.is_empty() {
                return Err(bad(
                    &format!("service[{i}]"),
                    "a name, period_s ≥ 1 and weight ≥ 1".into(),
                ));
            }
            sim.mix.push(ServiceMix {
                name: s.name.clone(),
                period_s: s.period_s,
                data_amount: s.data_amount,
                weight: s.weight,
            });
        }
        if let Some(table) = raw.gateway {
            let text = toml::to_string(&table).map_err(|e| bad("gateway", e.to_string()))?;
            // The simulation sets the served SIDs from the services; validate with them.
            let mut config: Config =
                toml::from_str(&text).map_err(|e| bad("gateway", e.to_string()))?;
            config.service.sids = sim
                .mix
                .iter()
                .map(|m| format!("service:{}", m.name))
                .collect();
            config
                .validate()
                .map_err(|e| bad("gateway", e.to_string()))?;
            sim.gateway = config;
        }
        if let Some(f) = &raw.flood {
            if !(f.rate_per_s > 0.0 && f.rate_per_s <= 100_000.0) {
                return Err(bad(
                    "flood.rate_per_s",
                    format!("in (0, 100000], got {}", f.rate_per_s),
                ));
            }
            if f.until_s.is_some_and(|u| u <= f.from_s) {
                return Err(bad("flood.until_s", "after flood.from_s".into()));
            }
            if f.misbehaving + f.mute > raw.terminals {
                return Err(bad(
                    "flood",
                    "misbehaving + mute at most the number of terminals".into(),
                ));
            }
            if raw.medium.kind != "frame" {
                return Err(bad(
                    "flood",
                    "a flood runs with the frame-level medium (medium.kind = \"frame\")".into(),
                ));
            }
            sim.flood = Some(crate::flood::FloodSetup {
                rate_per_s: f.rate_per_s,
                from_s: f.from_s,
                until_s: f.until_s,
                misbehaving: (0..f.misbehaving).collect(),
                mute: (f.misbehaving..f.misbehaving + f.mute).collect(),
                seed: raw.seed,
            });
        }
        sim.commands = raw
            .command
            .iter()
            .map(|c| (c.at_s.saturating_mul(1_000_000), c.json.clone()))
            .collect();
        match raw.medium.kind.as_str() {
            "frame" => {}
            "iq" => {
                let model = match raw.medium.model.as_str() {
                    "macro" => PathLossModel::Macro,
                    "pico" => PathLossModel::Pico,
                    m => {
                        return Err(bad(
                            "medium.model",
                            format!("\"macro\" or \"pico\", got {m:?}"),
                        ))
                    }
                };
                if raw.medium.mcs.is_empty() {
                    return Err(bad("medium.mcs", "at least one MCS".into()));
                }
                let format = sim.gateway.phy_format();
                let mcs: Vec<Mcs> = raw.medium.mcs.iter().map(|&m| Mcs(m)).collect();
                if let Some(m) = mcs
                    .iter()
                    .find(|m| crate::link::snr_at_10pct_per(format, **m).is_none())
                {
                    return Err(bad(
                        "medium.mcs",
                        format!("MCS{} is not one of {}", m.0, format.name()),
                    ));
                }
                let positions = place(raw.placement.as_ref(), raw.terminals, raw.seed)
                    .map_err(|m| bad("placement", m))?;
                sim.air = Some(AirSetup {
                    budget: LinkBudget {
                        model,
                        terminal_dbm: raw.medium.terminal_dbm,
                        gateway_dbm: raw.medium.gateway_dbm,
                        noise_figure_db: raw.medium.noise_figure_db,
                        shadowing_db: raw.medium.shadowing_db,
                        ..LinkBudget::default()
                    },
                    positions,
                    mcs,
                    ppm: 20.0,
                    beacon_resync: true,
                    wideband: match raw.medium.receiver.as_str() {
                        "channel" => false,
                        "wideband" => true,
                        r => {
                            return Err(bad(
                                "medium.receiver",
                                format!("\"channel\" or \"wideband\", got {r:?}"),
                            ))
                        }
                    },
                });
            }
            k => {
                return Err(bad(
                    "medium.kind",
                    format!("\"frame\" or \"iq\", got {k:?}"),
                ))
            }
        }
        let outage = match raw.outage {
            Some(o) => {
                if o.outage_s == 0 || o.before_s + o.outage_s + o.after_s > 3_600 {
                    return Err(bad(
                        "outage",
                        "outage_s ≥ 1 and before_s + outage_s + after_s ≤ 3600 (they run in real time)".into(),
                    ));
                }
                Some(OutageTiming {
                    before_s: o.before_s,
                    outage_s: o.outage_s,
                    after_s: o.after_s,
                    kill: o.kill,
                })
            }
            None => None,
        };
        Ok(Scenario {
            name: raw.name,
            description: raw.description,
            sim,
            outage,
        })
    }
}

/// Terminal positions of a placement.
fn place(p: Option<&Placement>, n: usize, seed: u64) -> Result<Vec<(f64, f64)>, String> {
    let Some(p) = p else {
        return Err("an IQ-level medium needs a [placement]".into());
    };
    match p.kind.as_str() {
        "street" => {
            if p.from_m.is_nan() || p.to_m.is_nan() || p.from_m < 1.0 || p.to_m < p.from_m {
                return Err("street: 1 ≤ from_m ≤ to_m".into());
            }
            let step = if n > 1 {
                (p.to_m - p.from_m) / (n - 1) as f64
            } else {
                0.0
            };
            Ok((0..n).map(|i| (p.from_m + step * i as f64, 0.0)).collect())
        }
        "disc" => {
            if p.radius_m.is_nan() || p.radius_m < 1.0 {
                return Err("disc: radius_m ≥ 1".into());
            }
            let mut rng = Rng::new(seed ^ 0xD15C);
            Ok((0..n)
                .map(|_| {
                    // Uniform over the area, at least 10 m from the gateway.
                    let r = (p.radius_m * rng.uniform().sqrt()).max(10.0);
                    let a = std::f64::consts::TAU * rng.uniform();
                    (r * a.cos(), r * a.sin())
                })
                .collect())
        }
        k => Err(format!("kind \"street\" or \"disc\", got {k:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREET: &str = r#"
        name = "street"
        hours = 0.5
        terminals = 10
        [medium]
        kind = "iq"
        [placement]
        kind = "street"
        from_m = 100.0
        to_m = 1000.0
        [[service]]
        name = "meter"
        period_s = 60
        data_amount = 48
        [gateway]
        radio = { channels = [1, 3], mcs = 10 }
    "#;

    #[test]
    fn a_street_scenario_loads() {
        let s = Scenario::parse(STREET, "street.toml").unwrap();
        let air = s.sim.air.as_ref().unwrap();
        assert_eq!(air.positions.len(), 10);
        assert_eq!(air.positions[0], (100.0, 0.0));
        assert_eq!(air.positions[9], (1000.0, 0.0));
        assert_eq!(s.sim.gateway.radio.channels, vec![1, 3]);
        assert_eq!(s.sim.mix[0].period_s, 60);
    }

    #[test]
    fn bad_scenarios_name_the_key() {
        for (from, to, key) in [
            ("hours = 0.5", "hours = 0", "hours"),
            ("kind = \"iq\"", "kind = \"radio\"", "medium.kind"),
            ("kind = \"street\"", "kind = \"ring\"", "placement"),
            ("mcs = 10 }", "mcs = 99 }", "gateway"),
        ] {
            let text = STREET.replacen(from, to, 1);
            let e = Scenario::parse(&text, "s.toml").unwrap_err();
            assert!(
                matches!(&e, ScenarioError::Invalid { key: k, .. } if k == key),
                "{from} → {to}: {e}"
            );
        }
        let e = Scenario::parse("name = 1", "s.toml").unwrap_err();
        assert!(e.to_string().starts_with("s.toml: "));
    }

    #[test]
    fn a_flood_loads_on_the_frame_medium_only() {
        let frame = STREET
            .replacen("kind = \"iq\"", "kind = \"frame\"", 1)
            .replacen(
                "[placement]",
                "[flood]\nrate_per_s = 500.0\nfrom_s = 60\nmisbehaving = 2\nmute = 1\n[placement]",
                1,
            );
        let s = Scenario::parse(&frame, "f.toml").unwrap();
        let f = s.sim.flood.as_ref().unwrap();
        assert_eq!((f.rate_per_s, f.from_s), (500.0, 60));
        assert_eq!(
            (f.misbehaving.clone(), f.mute.clone()),
            (vec![0, 1], vec![2])
        );
        for (text, key) in [
            (
                frame.replacen("kind = \"frame\"", "kind = \"iq\"", 1),
                "flood",
            ),
            (
                frame.replacen("rate_per_s = 500.0", "rate_per_s = 0.0", 1),
                "flood.rate_per_s",
            ),
            (frame.replacen("mute = 1", "mute = 9", 1), "flood"),
        ] {
            let e = Scenario::parse(&text, "f.toml").unwrap_err();
            assert!(
                matches!(&e, ScenarioError::Invalid { key: k, .. } if k == key),
                "{key}: {e}"
            );
        }
    }
}
