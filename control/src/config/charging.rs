//! `[charging]`: on-gateway charging records (docs/charging.md). The operator's profile
//! table (4 volume classes × 4 reporting-frequency classes), the subscriptions with the
//! served services each one covers and the profile that fills in their limits, the gateway's
//! home network and the terminals that belong to other networks (roaming).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{parse_sid, quoted, toml_key, Config, ConfigError};
use crate::charging::{
    Profile, ProfileTable, Roaming, ServicePlan, SubscriptionPlan, VolumeLimits,
};
use crate::wire::m2m::Sid;
use crate::wire::MacAddr;

/// Longest subscription or network id, bytes.
pub const MAX_ID_LEN: usize = 64;

/// `[charging]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChargingConfig {
    /// Keep charging records. Default `false`.
    pub enabled: bool,
    /// The gateway's home network id: terminals of another network are roaming. Default
    /// `"home"`.
    pub network: String,
    /// Directory of the spool files of closed records; empty: `<store.path>.spool`.
    /// Default: empty.
    pub spool_dir: String,
    /// Per-service volume limit of the volume classes low … high, bytes per class (UL/DL ×
    /// home/roaming). Default `[16384, 131072, 1048576, 8388608]`.
    pub volume_classes: Vec<u64>,
    /// Per-service time limit of the reporting-frequency classes low … high, s. Default
    /// `[86400, 21600, 3600, 900]`.
    pub time_classes_s: Vec<u64>,
    /// Subscriptions: `{ id, profile (1..=16: M2M_CC_n), factor (≥ 1), services (served
    /// SIDs) }`. Default: none.
    pub subscriptions: Vec<SubscriptionConfig>,
    /// Terminal-id (MAC) prefix → home network id of the terminals it starts, longest
    /// prefix first; terminals matching none belong to `network`. Default: none.
    pub terminal_networks: BTreeMap<String, String>,
}

impl Default for ChargingConfig {
    /// Off; the profile table of [`ProfileTable::default`].
    fn default() -> Self {
        let table = ProfileTable::default();
        ChargingConfig {
            enabled: false,
            network: "home".into(),
            spool_dir: String::new(),
            volume_classes: table
                .volume_classes
                .iter()
                .map(|v| v.ul_home.unwrap_or(0))
                .collect(),
            time_classes_s: table.time_classes_s.to_vec(),
            subscriptions: Vec::new(),
            terminal_networks: BTreeMap::new(),
        }
    }
}

/// One subscription of `[charging]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionConfig {
    /// Subscription id (the service provider's agreement with the operator).
    pub id: String,
    /// Charging profile n of M2M_CC_n, 1..=16.
    pub profile: u8,
    /// Factor of the subscription's volume-limit formula, ≥ 1.
    #[serde(default = "one")]
    pub factor: u64,
    /// The served SIDs this subscription pays for.
    pub services: Vec<String>,
}

fn one() -> u64 {
    1
}

/// `[charging]` typed and checked: what the gateway's ledger runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargingSetup {
    /// One plan per subscription, its services' limits filled in from the profile table.
    pub plans: Vec<SubscriptionPlan>,
    /// Served SID → the subscription that pays for it (SIDs in no subscription are not
    /// charged).
    pub subscription_of: BTreeMap<Sid, String>,
    /// The gateway's home network.
    pub network: String,
    /// (MAC prefix bytes, network), longest prefix first.
    pub terminal_networks: Vec<(Vec<u8>, String)>,
    /// Where spool files go.
    pub spool_dir: PathBuf,
}

impl ChargingSetup {
    /// Roaming class of a terminal: its home network (by the longest matching prefix of
    /// `terminal_networks`, else the gateway's) against the gateway's.
    pub fn roaming_of(&self, terminal: MacAddr) -> Roaming {
        let home = self
            .terminal_networks
            .iter()
            .find(|(prefix, _)| terminal.0.starts_with(prefix))
            .map_or(self.network.as_str(), |(_, n)| n.as_str());
        Roaming::of(home, &self.network)
    }
}

impl Config {
    /// `[charging]` typed, or `None` when it is off. Errors name the key:
    /// `charging.subscriptions[1].services[0]`, `charging.terminal_networks."02:zz"`, ….
    pub fn charging_setup(&self) -> Result<Option<ChargingSetup>, ConfigError> {
        let c = &self.charging;
        let table = profile_table(c)?;
        check_id("charging.network", &c.network)?;
        let mut terminal_networks = Vec::new();
        for (prefix, network) in &c.terminal_networks {
            let key = format!("charging.terminal_networks.{}", toml_key(prefix));
            let bytes = parse_prefix(prefix).ok_or_else(|| {
                ConfigError::invalid(
                    key.clone(),
                    quoted(prefix),
                    "a MAC prefix of 1..=6 hex bytes as key, like \"02:00:5e\"",
                )
            })?;
            check_id(&key, network)?;
            terminal_networks.push((bytes, network.clone()));
        }
        terminal_networks.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        let served = self.sid_policy()?.served;
        let mut plans = Vec::new();
        let mut subscription_of = BTreeMap::new();
        for (i, s) in c.subscriptions.iter().enumerate() {
            let key = format!("charging.subscriptions[{i}]");
            check_id(&format!("{key}.id"), &s.id)?;
            if c.subscriptions[..i].iter().any(|o| o.id == s.id) {
                return Err(ConfigError::invalid(
                    format!("{key}.id"),
                    quoted(&s.id),
                    "each subscription listed once",
                ));
            }
            let profile = Profile::from_number(s.profile).map_err(|_| {
                ConfigError::invalid(format!("{key}.profile"), s.profile, "1..=16 (M2M_CC_n)")
            })?;
            if s.factor == 0 {
                return Err(ConfigError::invalid(format!("{key}.factor"), 0, "≥ 1"));
            }
            if s.services.is_empty() {
                return Err(ConfigError::invalid(
                    format!("{key}.services"),
                    "[]",
                    "at least one served SID",
                ));
            }
            let mut services = Vec::new();
            for (j, text) in s.services.iter().enumerate() {
                let skey = format!("{key}.services[{j}]");
                let sid = parse_sid(&skey, text)?;
                if !served.contains(&sid) {
                    return Err(ConfigError::invalid(
                        skey,
                        quoted(text),
                        "a served SID (one of service.sids)",
                    ));
                }
                if subscription_of.insert(sid.clone(), s.id.clone()).is_some() {
                    return Err(ConfigError::invalid(
                        skey,
                        quoted(text),
                        "a SID in one subscription only",
                    ));
                }
                services.push(ServicePlan {
                    service: sid.to_string(),
                    limits: table.limits(profile),
                });
            }
            plans.push(SubscriptionPlan {
                subscription: s.id.clone(),
                services,
                factor: s.factor,
            });
        }
        if !c.enabled {
            return Ok(None);
        }
        let spool_dir = if c.spool_dir.is_empty() {
            if self.store.path == ":memory:" {
                return Err(ConfigError::invalid(
                    "charging.spool_dir",
                    "\"\"",
                    "a directory (the store is in memory, so there is no default beside it)",
                ));
            }
            PathBuf::from(format!("{}.spool", self.store.path))
        } else {
            PathBuf::from(&c.spool_dir)
        };
        Ok(Some(ChargingSetup {
            plans,
            subscription_of,
            network: c.network.clone(),
            terminal_networks,
            spool_dir,
        }))
    }
}

fn profile_table(c: &ChargingConfig) -> Result<ProfileTable, ConfigError> {
    let four = |key: &str, v: &[u64]| -> Result<[u64; 4], ConfigError> {
        let a: [u64; 4] = v.try_into().map_err(|_| {
            ConfigError::invalid(key, format!("[{} values]", v.len()), "4 values, low … high")
        })?;
        if let Some(z) = a.iter().position(|&x| x == 0) {
            return Err(ConfigError::invalid(format!("{key}[{z}]"), 0, "≥ 1"));
        }
        Ok(a)
    };
    let volumes = four("charging.volume_classes", &c.volume_classes)?;
    let times = four("charging.time_classes_s", &c.time_classes_s)?;
    if times.iter().any(|t| t.checked_mul(1_000).is_none()) {
        return Err(ConfigError::invalid(
            "charging.time_classes_s",
            format!("{times:?}"),
            "times that fit in u64 ms",
        ));
    }
    Ok(ProfileTable {
        volume_classes: volumes.map(VolumeLimits::all),
        time_classes_s: times,
    })
}

fn check_id(key: &str, id: &str) -> Result<(), ConfigError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(ConfigError::invalid(
            key,
            quoted(id),
            format!("1..={MAX_ID_LEN} bytes of text without control characters"),
        ));
    }
    Ok(())
}

/// `"02:00:5e"` → `[2, 0, 0x5e]`: 1..=6 colon-separated hex bytes.
fn parse_prefix(s: &str) -> Option<Vec<u8>> {
    let bytes: Option<Vec<u8>> = s
        .split(':')
        .map(|b| {
            if b.len() == 2 {
                u8::from_str_radix(b, 16).ok()
            } else {
                None
            }
        })
        .collect();
    bytes.filter(|b| (1..=6).contains(&b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(charging: &str) -> Result<Config, ConfigError> {
        format!("[service]\nsids = [\"service:water\", \"service:gas\"]\n[charging]\n{charging}")
            .parse()
    }

    #[test]
    fn subscriptions_become_plans_with_their_profile_limits() {
        let c = config(
            "enabled = true\nsubscriptions = [{ id = \"utility\", profile = 6, factor = 3, services = [\"service:water\"] }]\n[charging.terminal_networks]\n\"02:aa\" = \"visited\"\n",
        )
        .unwrap();
        let s = c.charging_setup().unwrap().unwrap();
        assert_eq!(s.plans.len(), 1);
        let plan = &s.plans[0];
        assert_eq!(plan.factor, 3);
        // M2M_CC_6: volume class 1 (128 KiB), frequency class 1 (6 h)
        assert_eq!(plan.services[0].limits.volume.ul_home, Some(128 << 10));
        assert_eq!(plan.services[0].limits.time_s, Some(6 * 3600));
        assert_eq!(
            s.subscription_of
                .get(&"service:water".parse::<Sid>().unwrap()),
            Some(&"utility".to_string())
        );
        assert_eq!(s.spool_dir, PathBuf::from("subgate.db.spool"));
        let roaming: MacAddr = "02:aa:00:00:00:01".parse().unwrap();
        let home: MacAddr = "02:ab:00:00:00:01".parse().unwrap();
        assert_eq!(s.roaming_of(roaming), Roaming::Roaming);
        assert_eq!(s.roaming_of(home), Roaming::Home);
    }

    #[test]
    fn off_is_none_but_still_checked() {
        assert!(config("").unwrap().charging_setup().unwrap().is_none());
        let e =
            config("subscriptions = [{ id = \"u\", profile = 17, services = [\"service:gas\"] }]")
                .and_then(|c| c.charging_setup().map(|_| ()))
                .unwrap_err();
        assert_eq!(e.key(), Some("charging.subscriptions[0].profile"));
    }

    #[test]
    fn bad_values_name_their_key() {
        for (text, key) in [
            ("subscriptions = [{ id = \"u\", profile = 1, services = [\"service:other\"] }]", "charging.subscriptions[0].services[0]"),
            ("subscriptions = [{ id = \"u\", profile = 1, factor = 0, services = [\"service:gas\"] }]", "charging.subscriptions[0].factor"),
            ("subscriptions = [{ id = \"u\", profile = 1, services = [\"service:gas\"] }, { id = \"v\", profile = 1, services = [\"service:gas\"] }]", "charging.subscriptions[1].services[0]"),
            ("subscriptions = [{ id = \"u\", profile = 1, services = [\"service:gas\"] }, { id = \"u\", profile = 1, services = [\"service:water\"] }]", "charging.subscriptions[1].id"),
            ("volume_classes = [1, 2, 3]", "charging.volume_classes"),
            ("time_classes_s = [1, 0, 3, 4]", "charging.time_classes_s[1]"),
            ("network = \"\"", "charging.network"),
            ("[charging.terminal_networks]\n\"zz\" = \"x\"", "charging.terminal_networks.zz"),
        ] {
            let e = config(text).and_then(|c| c.charging_setup().map(|_| ()));
            let e = e.expect_err(text);
            assert_eq!(e.key(), Some(key), "{text}: {e}");
        }
    }
}
