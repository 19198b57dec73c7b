//! The gateway's TOML configuration (ChirpStack style, STYLE §3): one struct per TOML section,
//! each `#[serde(default, deny_unknown_fields)]` with a hand-written, documented `Default`.
//!
//! * [`Config::load`] reads a file, parses it and [`validate`](Config::validate)s it; every
//!   error ([`ConfigError`]) names the file, the key (`service.sids[1]`,
//!   `radio.chanels`, …), the value and what was expected. Unknown keys are errors, so a typo
//!   is never silently ignored.
//! * [`Config::to_commented_toml`] prints a complete file with a comment above every key
//!   (meaning, range, default). The defaults in the comments are taken from
//!   [`Config::default`] when printing, so they cannot drift from the code; `subgate
//!   configfile` prints it for the defaults, and loading that output gives the defaults back.
//! * No globals: the gateway is handed a `Config` value. Typed views of the validated text
//!   fields: [`Config::sid_policy`], [`Config::bssid`], [`Config::scheduler_config`] (with
//!   the gateway's access period), [`Config::station_timeouts`], [`Config::batch_limits`],
//!   [`Config::phy_format`].
//!
//! # The superframe
//! `gateway.beacon_interval_ms` is the superframe: on every channel it starts with the S1G
//! beacon, followed by the gateway's access period (`scheduler.access_ms`), whose first part
//! (`scheduler.downlink_ms`) is the gateway's downlink and the rest the terminals' contention
//! (uplink); the scheduled report windows fill the remainder. Times are from the superframe
//! start:
//!
//! ```text
//! [beacon | downlink … (downlink_ms) | contention … (access_ms) | windows … (beacon_interval_ms)]
//! ```
//!
//! A response to a terminal goes out in the next superframe's downlink, so the station
//! timeouts that wait for a terminal's next step are at least two superframes long.
//!
//! docs/config.md documents every key; a test checks that it names every key of [`KEYS`] and
//! that its example loads.
//!
//! # Example
//! ```
//! use subgate_control::config::{Config, Unmatched};
//!
//! let config: Config = r#"
//!     [service]
//!     sids = ["service:metering", "server:10.0.0.7"]
//!     unmatched = "not-supported"
//!     [service.correspondence]
//!     "user:acme-water" = "service:metering"
//! "#.parse()?;
//! let policy = config.sid_policy()?;
//! assert_eq!(policy.unmatched, Unmatched::NotSupported);
//! let requested = "user:acme-water".parse()?;
//! assert_eq!(policy.serves(&requested).map(|s| s.to_string()), Some("service:metering".into()));
//!
//! let err = "[radio]\nchanels = [1]\n".parse::<Config>().unwrap_err();
//! assert_eq!(err.key(), Some("radio.chanels"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod charging;
mod groups;
mod limits;
mod regulatory;

pub use charging::{ChargingConfig, ChargingSetup, SubscriptionConfig};
pub use groups::{group_spec, GroupConfig, GroupsConfig};
pub use limits::LimitsConfig;
pub use regulatory::RegulatoryConfig;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use subgate_dsp::{Format, Mcs};

use crate::aggregate::BatchLimits;
use crate::scheduler::{
    AccessPeriod, SchedulerConfig, DEFAULT_CHANNEL, DEFAULT_GUARD_US, DEFAULT_HYPERPERIOD_S,
};
use crate::station::Timeouts;
use crate::wire::m2m::{M2mElement, Sid, SidList};
use crate::wire::{parse_hex, MacAddr};

/// Highest S1G channel number accepted in `radio.channels` (the US 1 MHz band plan,
/// 902–928 MHz, numbers its channels 1..=51).
pub const MAX_CHANNEL: u8 = 51;
/// Longest gateway name, bytes (an SSID's limit).
pub const MAX_NAME_LEN: usize = 32;
/// Longest beacon interval (superframe), ms: one minute. Beacon intervals are whole seconds,
/// 1 000..=this.
pub const MAX_BEACON_INTERVAL_MS: u32 = 60_000;
/// Longest `store.commit_interval_ms`, ms.
pub const MAX_COMMIT_INTERVAL_MS: u32 = 60_000;
/// Milliseconds in a second: `gateway.beacon_interval_ms` is a multiple of it.
const MS_PER_S: u32 = 1_000;
/// S1G regulatory domains accepted in `gateway.region`.
pub const REGIONS: [&str; 8] = ["us", "eu", "jp", "kr", "sg", "au", "nz", "cn"];
/// Accepted pre-shared-key lengths, bytes (AES-128 or AES-256 keys).
pub const PSK_LENS: [usize; 2] = [16, 32];

/// The whole configuration: one field per TOML section.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[gateway]`: the access point itself.
    pub gateway: GatewayConfig,
    /// `[service]`: the SIDs served and how other SIDs are answered.
    pub service: ServiceConfig,
    /// `[radio]`: channels, PPDU format, downlink MCS.
    pub radio: RadioConfig,
    /// `[timeouts]`: the station state machine's timeouts and retries.
    pub timeouts: TimeoutsConfig,
    /// `[registrar]`: how terminals are registered.
    pub registrar: RegistrarConfig,
    /// `[aaa]`: the RADIUS server (AAA registration, 802.1X).
    pub aaa: AaaConfig,
    /// `[security]`: how a terminal's configuration is delivered (in the clear or encrypted).
    pub security: SecurityConfig,
    /// `[scheduler]`: the access period and report-window scheduling.
    pub scheduler: SchedulerSection,
    /// `[store]`: the report database.
    pub store: StoreConfig,
    /// `[aggregation]`: when a per-service batch closes.
    pub aggregation: AggregationConfig,
    /// `[northbound]`: where batches go.
    pub northbound: NorthboundConfig,
    /// `[charging]`: charging records per subscription.
    pub charging: ChargingConfig,
    /// `[groups]`: peripheral groups.
    pub groups: GroupsConfig,
    /// `[regulatory]`: transmit limits (power, duty cycle, dwell).
    pub regulatory: RegulatoryConfig,
    /// `[limits]`: what one source, and everyone not associated yet, may cost the gateway.
    pub limits: LimitsConfig,
}

/// `[gateway]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Name in logs and northbound messages, 1..=32 bytes. Default `"subgate"`.
    pub name: String,
    /// BSSID: the gateway's MAC address, unicast. Default `"02:00:00:00:00:01"` (locally
    /// administered).
    pub bssid: String,
    /// S1G regulatory domain, one of [`REGIONS`]. Default `"us"`.
    pub region: String,
    /// Beacon interval, ms: the superframe. The gateway sends one S1G beacon at the start of
    /// every superframe on every channel, followed by its access period
    /// (`scheduler.access_ms`). A multiple of 1 000 in 1 000..=[`MAX_BEACON_INTERVAL_MS`]
    /// whose seconds divide `scheduler.hyperperiod_s`. Default 1 000.
    pub beacon_interval_ms: u32,
    /// Address (`IP:port`) of the management listener (used by a later part). Default
    /// `"127.0.0.1:8700"`.
    pub listen: String,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            name: "subgate".into(),
            bssid: "02:00:00:00:00:01".into(),
            region: "us".into(),
            beacon_interval_ms: 1_000,
            listen: "127.0.0.1:8700".into(),
        }
    }
}

/// What the gateway does with a probe or association request whose SID it does not serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unmatched {
    /// Send nothing (default): the terminal goes on scanning.
    #[default]
    Silent,
    /// Answer with the "SID not supported" element.
    NotSupported,
}

/// `[service]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// Served SIDs in text form (`user:NAME`, `server:IP`, `server:URL`, `terminal:MAC`,
    /// `service:NAME`), advertised in beacons. Non-empty, no duplicates, all together must fit
    /// one SID-list element. Default `["service:metering"]`.
    pub sids: Vec<String>,
    /// Answer to an unserved SID. Default [`Unmatched::Silent`].
    pub unmatched: Unmatched,
    /// Requested SID → served SID: a request for the key is treated as one for the value
    /// (e.g. `"server:10.0.0.7" = "service:metering"`). Values must be in `sids`.
    /// Default: empty.
    pub correspondence: BTreeMap<String, String>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            sids: vec!["service:metering".into()],
            unmatched: Unmatched::Silent,
            correspondence: BTreeMap::new(),
        }
    }
}

/// PPDU format of the radio, as written in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RadioFormat {
    /// S1G 1 MHz (default): longest range, MCS 0–7 and 10.
    #[default]
    #[serde(rename = "1m")]
    OneMhz,
    /// S1G 2 MHz short preamble: MCS 0–8.
    #[serde(rename = "2m")]
    TwoMhz,
}

impl RadioFormat {
    /// The PHY's format.
    pub const fn phy(self) -> Format {
        match self {
            RadioFormat::OneMhz => Format::S1g1M,
            RadioFormat::TwoMhz => Format::S1gShort2M,
        }
    }
}

/// `[radio]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RadioConfig {
    /// S1G channel numbers the gateway uses (and schedules reports on): non-empty, each
    /// 1..=[`MAX_CHANNEL`], no duplicates. Default `[1]`.
    pub channels: Vec<u8>,
    /// PPDU format, `"1m"` or `"2m"`. Default `"1m"`.
    pub format: RadioFormat,
    /// MCS of downlink frames; must exist in `format`. Default 0.
    pub mcs: u8,
}

impl Default for RadioConfig {
    fn default() -> Self {
        RadioConfig {
            channels: vec![DEFAULT_CHANNEL],
            format: RadioFormat::OneMhz,
            mcs: 0,
        }
    }
}

/// `[timeouts]`: how long the gateway waits for a station's next step, and how often it
/// retries before giving the station up. One to one the station state machine's
/// [`Timeouts`](crate::station::Timeouts) ([`Config::station_timeouts`]).
///
/// The waits for a terminal's next step (`auth_ms`, `assoc_ms`, `config_ms`) are at least two
/// superframes (2 × `gateway.beacon_interval_ms`): the gateway's response goes out in the next
/// superframe's downlink, and the terminal's next step comes after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutsConfig {
    /// Authenticated (and Unknown): wait for the terminal's next step of authentication or
    /// association, ms (≥ 2 superframes). Default 10 000.
    pub auth_ms: u64,
    /// Registered: wait for the terminal to confirm the association response, by its
    /// resource request, ms (≥ 2 superframes). Default 5 000.
    pub assoc_ms: u64,
    /// Associated: wait for the registrar's answer, ms (> 0, ≥ `registrar.timeout_ms`).
    /// Default 5 000.
    pub registration_ms: u64,
    /// Configured: wait for the terminal to accept a service time, ms (≥ 2 superframes).
    /// Default 5 000.
    pub config_ms: u64,
    /// How late after its window start a report may come before the window counts as missed
    /// (and the terminal is polled, `scheduler.poll_missed`), ms (> 0). Default 30 000.
    pub report_grace_ms: u64,
    /// Standby: how long a sleeping terminal's AID and report window are kept without a
    /// wake-up, ms (> 0). Default 86 400 000 (a day, the longest default report period).
    pub standby_ms: u64,
    /// Retries per waiting state, and consecutive missed report windows, before the station
    /// is deregistered. Default 3.
    pub max_retries: u8,
}

/// The state machine's defaults are the config's: one set of numbers, in
/// [`Timeouts::default`].
impl Default for TimeoutsConfig {
    fn default() -> Self {
        let t = Timeouts::default();
        TimeoutsConfig {
            auth_ms: t.auth_ms,
            assoc_ms: t.assoc_ms,
            registration_ms: t.registration_ms,
            config_ms: t.config_ms,
            report_grace_ms: t.report_grace_ms,
            standby_ms: t.standby_ms,
            max_retries: t.max_retries,
        }
    }
}

/// Which registrar registers terminals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegistrarKind {
    /// The M2M server, with the pre-shared-key proof (default).
    #[default]
    M2mServer,
    /// An AAA (RADIUS) server, `[aaa]`: it checks the terminal's proof and returns the
    /// service information (control::registrar::aaa).
    Aaa,
}

/// `[registrar]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrarConfig {
    /// `"m2m-server"` or `"aaa"` (then `[aaa]` says where). Default `"m2m-server"`.
    pub kind: RegistrarKind,
    /// M2M server address, `IP:port`. Default `"127.0.0.1:8701"`.
    pub address: String,
    /// One request to the registrar, ms (> 0). Default 2 000.
    pub timeout_ms: u32,
    /// With `"m2m-server"`: have the `[aaa]` server check each terminal's proof before the
    /// M2M server is asked (docs/aaa.md §7). Default `false`.
    pub check_proof_with_aaa: bool,
    /// M2M user id → pre-shared key, hex (16 or 32 bytes). Default: empty.
    pub psk: BTreeMap<String, String>,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            kind: RegistrarKind::M2mServer,
            address: "127.0.0.1:8701".into(),
            timeout_ms: 2_000,
            check_proof_with_aaa: false,
            psk: BTreeMap::new(),
        }
    }
}

/// `[aaa]`: the RADIUS server the gateway asks when `registrar.kind = "aaa"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AaaConfig {
    /// RADIUS authentication server, `IP:port`. Default `"127.0.0.1:1812"`.
    pub server: String,
    /// Shared secret with the server (non-empty when used). Default: empty.
    pub secret: String,
    /// Wait for the first answer, ms (> 0); doubled after every retransmission. Default 300.
    pub timeout_ms: u32,
    /// Retransmissions after the first try (0..=5). Default 3.
    pub retries: u32,
    /// NAS-Identifier sent in every request; empty: `gateway.name`. Default: empty.
    pub nas_identifier: String,
}

impl Default for AaaConfig {
    fn default() -> Self {
        AaaConfig {
            server: "127.0.0.1:1812".into(),
            secret: String::new(),
            timeout_ms: 300,
            retries: 3,
            nas_identifier: String::new(),
        }
    }
}

impl AaaConfig {
    /// The RADIUS client this section describes (validated: the server parses).
    pub fn client_config(&self) -> Result<crate::radius::ClientConfig, crate::radius::RadiusError> {
        Ok(crate::radius::ClientConfig {
            server: self
                .server
                .parse()
                .map_err(|_| crate::radius::RadiusError::Malformed("aaa.server is not IP:port"))?,
            secret: self.secret.as_bytes().to_vec(),
            timeout: std::time::Duration::from_millis(u64::from(self.timeout_ms)),
            retries: self.retries,
        })
    }

    /// The NAS-Identifier to send: `nas_identifier`, or the gateway's name when empty.
    pub fn nas_identifier_or<'a>(&'a self, gateway_name: &'a str) -> &'a str {
        if self.nas_identifier.is_empty() {
            gateway_name
        } else {
            &self.nas_identifier
        }
    }

    /// The longest one exchange can take: every try's wait, doubling, ms.
    pub fn worst_case_ms(&self) -> u64 {
        (0..=self.retries.min(5))
            .map(|i| u64::from(self.timeout_ms) << i)
            .sum()
    }
}

/// `[scheduler]` (the channels come from `[radio]`): the gateway's access period at the start
/// of every superframe, and the terminals' report windows in the rest of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerSection {
    /// Hyperperiod, s (> 0): every report period divides it. Default 86 400 (a day).
    pub hyperperiod_s: u32,
    /// Free time after every report window, µs. Default 2 000.
    pub guard_us: u32,
    /// Report periods a terminal may be given, s: non-empty, each > 0 and dividing
    /// `hyperperiod_s`, no duplicates. Default `[60, 900, 3600, 86400]`.
    pub periods_s: Vec<u32>,
    /// The access period, ms from the start of every superframe, held on every channel:
    /// beacon, gateway downlink, then contention for unscheduled terminals; no report window
    /// overlaps it. > `downlink_ms` and < `gateway.beacon_interval_ms`. Default 200.
    pub access_ms: u32,
    /// The access period's first part, ms from the superframe start (the beacon included):
    /// the gateway's downlink. The rest of the access period is the terminals' contention
    /// (uplink) part. ≥ 1. Default 100.
    pub downlink_ms: u32,
    /// Poll a terminal whose report window passed without a report (a unicast report poll in
    /// the next downlink part). Default `true`.
    pub poll_missed: bool,
}

impl Default for SchedulerSection {
    fn default() -> Self {
        SchedulerSection {
            hyperperiod_s: DEFAULT_HYPERPERIOD_S,
            guard_us: DEFAULT_GUARD_US,
            periods_s: vec![60, 900, 3_600, 86_400],
            access_ms: 200,
            downlink_ms: 100,
            poll_missed: true,
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite database file (created if missing; `":memory:"` for a throw-away store).
    /// Default `"subgate.db"`.
    pub path: String,
    /// Reports received are committed to the database together at most this often, ms
    /// (one fsync per commit), 1..=[`MAX_COMMIT_INTERVAL_MS`]; a report is acked only after
    /// its commit, in the next downlink part. A longer interval batches more reports per
    /// commit at the cost of a later ack. Default 1 000.
    pub commit_interval_ms: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: "subgate.db".into(),
            commit_interval_ms: 1_000,
        }
    }
}

/// `[aggregation]`: the [`BatchLimits`] of every per-service batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AggregationConfig {
    /// Reports in a full batch (≥ 1). Default 100.
    pub max_reports: usize,
    /// Payload bytes in a full batch (≥ 1). Default 16 384.
    pub max_bytes: usize,
    /// A batch closes once its oldest report is this old, ms (≥ 1). Default 60 000.
    pub max_age_ms: u64,
}

impl Default for AggregationConfig {
    /// [`BatchLimits::default`], in ms.
    fn default() -> Self {
        let limits = BatchLimits::default();
        AggregationConfig {
            max_reports: limits.max_reports,
            max_bytes: limits.max_bytes,
            max_age_ms: limits.max_age_us / 1_000,
        }
    }
}

/// Which northbound receives closed batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NorthboundKind {
    /// Kept in memory (tests, simulation).
    #[default]
    Memory,
    /// Published to an MQTT broker, QoS 1; a batch counts as forwarded at its PUBACK.
    Mqtt,
}

/// How a terminal receives its configuration (service information and service time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// In the association response, in the clear (default).
    #[default]
    AssociationResponse,
    /// In message 3 of the 4-way handshake, wrapped with the KEK: only a terminal holding the
    /// network passphrase reads it, and the association response carries none.
    FourWay,
    /// 802.1X: the terminal authenticates with EAP (EAP-pwd), relayed to the `[aaa]` server,
    /// which returns the service information and the MSK; the configuration goes with the
    /// EAP success, wrapped with a key derived from the MSK (docs/aaa.md §6), and the 4-way
    /// handshake keyed by the MSK follows before a slot is given.
    EapSuccess,
    /// 802.1X as `EapSuccess`, but the configuration goes in 4-way message 3 (keyed by the
    /// MSK) instead of with the EAP success.
    EapFourWay,
}

/// `[security]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Network passphrase (WPA2-Personal, 8–63 printable ASCII characters): the PMK is
    /// PBKDF2 of it over the SSID (`gateway.name`). Needed when any service uses
    /// `"four-way"`. Default: empty.
    pub passphrase: String,
    /// Delivery of every service without an entry in `per_service`. Default
    /// `"association-response"`.
    pub delivery: Delivery,
    /// Served SID → delivery, overriding `delivery` for that service. Default: empty.
    pub per_service: BTreeMap<String, Delivery>,
}

/// `[northbound]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NorthboundConfig {
    /// `"memory"` or `"mqtt"`. Default `"memory"`.
    pub kind: NorthboundKind,
    /// MQTT broker, `host:port`. Default `"127.0.0.1:1883"`.
    pub broker: String,
    /// MQTT client id; empty: `gateway.name`. Default: empty.
    pub client_id: String,
    /// First topic level; batches go to `<topic_prefix>/<gateway.name>/batches`. Default
    /// `"subgate"`.
    pub topic_prefix: String,
    /// Broker user name (empty: none). Default: empty.
    pub username: String,
    /// Broker password (used with a user name). Default: empty.
    pub password: String,
    /// How long a publish may wait for its PUBACK before the batch is retried later, ms
    /// (> 0). Default 2 000.
    pub timeout_ms: u32,
    /// MQTT keep-alive, s (5..=3600). Default 30.
    pub keep_alive_s: u16,
    /// Connect with TLS (rustls), checking the broker against `ca_file`. Default `false`.
    pub tls: bool,
    /// PEM file of the CA certificate(s) the broker's certificate must chain to (with `tls`).
    /// Default `"/etc/ssl/certs/ca-certificates.crt"` (Debian's system bundle).
    pub ca_file: String,
    /// PEM client certificate for mutual TLS (with `client_key_file`); empty: none. Default:
    /// empty.
    pub client_cert_file: String,
    /// PEM private key of `client_cert_file`. Default: empty.
    pub client_key_file: String,
    /// Seconds between gateway status publications (`<topic_prefix>/<gateway.name>/status`,
    /// retained), 1..=86 400. Default 60.
    pub status_interval_s: u32,
}

impl Default for NorthboundConfig {
    fn default() -> Self {
        NorthboundConfig {
            kind: NorthboundKind::Memory,
            broker: "127.0.0.1:1883".into(),
            client_id: String::new(),
            topic_prefix: "subgate".into(),
            username: String::new(),
            password: String::new(),
            timeout_ms: 2_000,
            keep_alive_s: 30,
            tls: false,
            ca_file: "/etc/ssl/certs/ca-certificates.crt".into(),
            client_cert_file: String::new(),
            client_key_file: String::new(),
            status_interval_s: 60,
        }
    }
}

impl NorthboundConfig {
    /// The broker as (host, port): `Invalid` on `northbound.broker` if it is not `host:port`.
    pub fn broker_host_port(&self) -> Result<(String, u16), ConfigError> {
        let bad = || {
            ConfigError::invalid(
                "northbound.broker",
                quoted(&self.broker),
                "host:port, like \"127.0.0.1:1883\" or \"broker.example:8883\"",
            )
        };
        let (host, port) = self.broker.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok((host.to_string(), port))
    }
}

/// Why a configuration was refused. Every case names the file (or `<string>`).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, or a value of the wrong type.
    #[error("{file}:{line}:{column}: {}{message}", key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default())]
    Parse {
        /// The file.
        file: String,
        /// The key at the error (`section.key`), when it could be found.
        key: Option<String>,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message (e.g. "unknown field `chanels`, expected one of …").
        message: String,
    },
    /// A well-typed value out of range or inconsistent with another key.
    #[error("{file}: {key} = {value}: expected {expected}")]
    Invalid {
        /// The file.
        file: String,
        /// The key (`service.sids[1]`, `service.correspondence."server:10.0.0.7"`).
        key: String,
        /// The value as written (TOML form).
        value: String,
        /// What would have been accepted.
        expected: String,
    },
}

impl ConfigError {
    /// The key the error is about, if known.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Parse { key, .. } => key.as_deref(),
            ConfigError::Invalid { key, .. } => Some(key),
        }
    }

    pub(crate) fn invalid(
        key: impl Into<String>,
        value: impl fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid {
            file: STRING_ORIGIN.into(),
            key: key.into(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    fn in_file(mut self, name: &str) -> Self {
        match &mut self {
            ConfigError::Read { file, .. }
            | ConfigError::Parse { file, .. }
            | ConfigError::Invalid { file, .. } => *file = name.to_string(),
        }
        self
    }
}

/// File name reported for configurations parsed from a string.
pub const STRING_ORIGIN: &str = "<string>";

/// A TOML string literal (for values and quoted keys in messages).
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `key` as a TOML key: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_string()
    } else {
        quoted(key)
    }
}

/// The SID answering policy of `[service]`, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidPolicy {
    /// Served SIDs, in config order (the beacon's SID list).
    pub served: Vec<Sid>,
    /// Requested SID → served SID.
    pub correspondence: BTreeMap<Sid, Sid>,
    /// Answer to anything else.
    pub unmatched: Unmatched,
}

impl SidPolicy {
    /// The served SID a request for `requested` is for: itself if served, else its
    /// correspondence; `None` if neither (then [`unmatched`](Self::unmatched) applies).
    pub fn serves(&self, requested: &Sid) -> Option<&Sid> {
        self.served
            .iter()
            .find(|s| *s == requested)
            .or_else(|| self.correspondence.get(requested))
    }
}

impl FromStr for Config {
    type Err = ConfigError;

    /// Parses and validates TOML text; errors name the file as [`STRING_ORIGIN`].
    fn from_str(text: &str) -> Result<Config, ConfigError> {
        Config::parse_named(text, STRING_ORIGIN)
    }
}

impl Config {
    /// Reads, parses and validates the TOML file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: name.clone(),
            source,
        })?;
        Config::parse_named(&text, &name)
    }

    /// Parses and validates TOML text, naming it `file` in errors.
    pub fn parse_named(text: &str, file: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| parse_error(text, file, &e))?;
        config.validate().map_err(|e| e.in_file(file))?;
        Ok(config)
    }

    /// Checks every value and every cross-key rule; the first violation is returned (its
    /// file is [`STRING_ORIGIN`]; [`load`](Self::load) puts the real name in).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_gateway()?;
        let policy = self.sid_policy()?;
        self.validate_radio()?;
        self.validate_timeouts()?;
        self.validate_registrar()?;
        self.validate_security(&policy.served)?;
        self.validate_northbound()?;
        self.validate_scheduler()?;
        self.validate_store_and_aggregation()?;
        self.charging_setup()?;
        self.group_table()?;
        self.limits.validate()?;
        crate::regulatory::TxGovernor::from_config(self).map(|_| ())
    }

    fn validate_gateway(&self) -> Result<(), ConfigError> {
        let g = &self.gateway;
        if g.name.is_empty() || g.name.len() > MAX_NAME_LEN || g.name.chars().any(char::is_control)
        {
            return Err(ConfigError::invalid(
                "gateway.name",
                quoted(&g.name),
                format!("1..={MAX_NAME_LEN} bytes of text without control characters"),
            ));
        }
        self.bssid()?;
        if !REGIONS.contains(&g.region.as_str()) {
            return Err(ConfigError::invalid(
                "gateway.region",
                quoted(&g.region),
                format!("one of {}", REGIONS.join(", ")),
            ));
        }
        let bi = g.beacon_interval_ms;
        let hyperperiod_s = self.scheduler.hyperperiod_s;
        if !(MS_PER_S..=MAX_BEACON_INTERVAL_MS).contains(&bi)
            || !bi.is_multiple_of(MS_PER_S)
            || !hyperperiod_s.is_multiple_of(bi / MS_PER_S)
        {
            return Err(ConfigError::invalid(
                "gateway.beacon_interval_ms",
                bi,
                format!(
                    "a superframe of whole seconds: a multiple of {MS_PER_S} in \
                     {MS_PER_S}..={MAX_BEACON_INTERVAL_MS} ms whose seconds divide \
                     scheduler.hyperperiod_s ({hyperperiod_s} s)"
                ),
            ));
        }
        socket_addr("gateway.listen", &g.listen)?;
        Ok(())
    }

    fn validate_radio(&self) -> Result<(), ConfigError> {
        let r = &self.radio;
        if r.channels.is_empty() {
            return Err(ConfigError::invalid(
                "radio.channels",
                "[]",
                format!("at least one S1G channel number (1..={MAX_CHANNEL})"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, &c) in r.channels.iter().enumerate() {
            if !(1..=MAX_CHANNEL).contains(&c) {
                return Err(ConfigError::invalid(
                    format!("radio.channels[{i}]"),
                    c,
                    format!("an S1G channel number 1..={MAX_CHANNEL}"),
                ));
            }
            if !seen.insert(c) {
                return Err(ConfigError::invalid(
                    format!("radio.channels[{i}]"),
                    c,
                    "each channel listed once",
                ));
            }
        }
        if !r.format.phy().supports(Mcs(r.mcs)) {
            let valid = match r.format {
                RadioFormat::OneMhz => "0..=7 or 10 for format \"1m\"",
                RadioFormat::TwoMhz => "0..=8 for format \"2m\"",
            };
            return Err(ConfigError::invalid("radio.mcs", r.mcs, valid));
        }
        Ok(())
    }

    fn validate_timeouts(&self) -> Result<(), ConfigError> {
        let t = &self.timeouts;
        for (key, v) in [
            ("timeouts.auth_ms", t.auth_ms),
            ("timeouts.assoc_ms", t.assoc_ms),
            ("timeouts.registration_ms", t.registration_ms),
            ("timeouts.config_ms", t.config_ms),
            ("timeouts.report_grace_ms", t.report_grace_ms),
            ("timeouts.standby_ms", t.standby_ms),
        ] {
            if v == 0 {
                return Err(ConfigError::invalid(key, v, "a timeout > 0 ms"));
            }
        }
        // A step of the terminal's is answered in the next superframe's downlink, and its
        // next step comes after that: two superframes.
        let two_superframes = 2 * u64::from(self.gateway.beacon_interval_ms);
        for (key, v) in [
            ("timeouts.auth_ms", t.auth_ms),
            ("timeouts.assoc_ms", t.assoc_ms),
            ("timeouts.config_ms", t.config_ms),
        ] {
            if v < two_superframes {
                return Err(ConfigError::invalid(
                    key,
                    v,
                    format!(
                        "a timeout ≥ 2 × gateway.beacon_interval_ms ({two_superframes} ms): the \
                         gateway's response goes out in the next superframe's downlink and the \
                         terminal's next step comes after it"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn validate_northbound(&self) -> Result<(), ConfigError> {
        let n = &self.northbound;
        n.broker_host_port()?;
        let topic_ok = !n.topic_prefix.is_empty()
            && !n.topic_prefix.contains(['+', '#', '/'])
            && !n.topic_prefix.chars().any(char::is_control);
        if !topic_ok {
            return Err(ConfigError::invalid(
                "northbound.topic_prefix",
                quoted(&n.topic_prefix),
                "one non-empty topic level without '+', '#' or '/'",
            ));
        }
        if n.timeout_ms == 0 {
            return Err(ConfigError::invalid(
                "northbound.timeout_ms",
                0,
                "a timeout > 0 ms",
            ));
        }
        if !(5..=3600).contains(&n.keep_alive_s) {
            return Err(ConfigError::invalid(
                "northbound.keep_alive_s",
                n.keep_alive_s,
                "5..=3600 seconds",
            ));
        }
        if n.username.is_empty() && !n.password.is_empty() {
            return Err(ConfigError::invalid(
                "northbound.password",
                "(hidden)",
                "a password only together with northbound.username",
            ));
        }
        if n.tls && n.ca_file.is_empty() {
            return Err(ConfigError::invalid(
                "northbound.ca_file",
                quoted(&n.ca_file),
                "a PEM file of CA certificates when northbound.tls = true",
            ));
        }
        if n.client_cert_file.is_empty() != n.client_key_file.is_empty() {
            return Err(ConfigError::invalid(
                "northbound.client_key_file",
                quoted(&n.client_key_file),
                "client_cert_file and client_key_file together, or neither",
            ));
        }
        if !(1..=86_400).contains(&n.status_interval_s) {
            return Err(ConfigError::invalid(
                "northbound.status_interval_s",
                n.status_interval_s,
                "1..=86400 seconds",
            ));
        }
        Ok(())
    }

    /// `served`: the served SIDs, from [`sid_policy`](Self::sid_policy).
    fn validate_security(&self, served: &[Sid]) -> Result<(), ConfigError> {
        let s = &self.security;
        let mut modes = vec![("security.delivery".to_string(), s.delivery)];
        for (sid, mode) in &s.per_service {
            let key = format!("security.per_service.\"{sid}\"");
            let parsed: Option<Sid> = sid.parse().ok();
            if !parsed.is_some_and(|p| served.contains(&p)) {
                return Err(ConfigError::invalid(
                    key,
                    format!("\"{sid}\""),
                    "a SID listed in service.sids",
                ));
            }
            modes.push((key, *mode));
        }
        for (key, mode) in &modes {
            match mode {
                Delivery::EapSuccess | Delivery::EapFourWay => self.validate_aaa()?,
                Delivery::FourWay => {
                    if crate::rsn::Pmk::from_passphrase(&s.passphrase, self.gateway.name.as_bytes())
                        .is_err()
                    {
                        return Err(ConfigError::invalid(
                            "security.passphrase",
                            "(hidden)",
                            format!("8 to 63 printable ASCII characters: {key} uses \"four-way\""),
                        ));
                    }
                }
                Delivery::AssociationResponse => {}
            }
        }
        Ok(())
    }

    /// The delivery mode of a served SID.
    pub fn delivery_for(&self, sid: &Sid) -> Delivery {
        self.security
            .per_service
            .iter()
            .find(|(k, _)| k.parse::<Sid>().is_ok_and(|k| k == *sid))
            .map_or(self.security.delivery, |(_, d)| *d)
    }

    fn validate_aaa(&self) -> Result<(), ConfigError> {
        let a = &self.aaa;
        socket_addr("aaa.server", &a.server)?;
        if a.secret.is_empty() {
            return Err(ConfigError::invalid(
                "aaa.secret",
                "\"\"",
                "the RADIUS shared secret (registrar.kind = \"aaa\" needs one)",
            ));
        }
        if a.timeout_ms == 0 {
            return Err(ConfigError::invalid("aaa.timeout_ms", 0, "a wait > 0 ms"));
        }
        if a.retries > 5 {
            return Err(ConfigError::invalid("aaa.retries", a.retries, "0..=5"));
        }
        if a.worst_case_ms() > self.timeouts.registration_ms {
            return Err(ConfigError::invalid(
                "aaa.timeout_ms",
                a.timeout_ms,
                format!(
                    "a wait whose {} tries, doubling, fit timeouts.registration_ms ({} ms): they take {} ms",
                    a.retries + 1,
                    self.timeouts.registration_ms,
                    a.worst_case_ms()
                ),
            ));
        }
        Ok(())
    }

    fn validate_registrar(&self) -> Result<(), ConfigError> {
        let r = &self.registrar;
        if r.kind == RegistrarKind::Aaa || r.check_proof_with_aaa {
            self.validate_aaa()?;
        }
        socket_addr("registrar.address", &r.address)?;
        if r.timeout_ms == 0 {
            return Err(ConfigError::invalid(
                "registrar.timeout_ms",
                0,
                "a timeout > 0 ms",
            ));
        }
        if u64::from(r.timeout_ms) > self.timeouts.registration_ms {
            return Err(ConfigError::invalid(
                "registrar.timeout_ms",
                r.timeout_ms,
                format!(
                    "at most timeouts.registration_ms ({} ms), the whole registration's deadline",
                    self.timeouts.registration_ms
                ),
            ));
        }
        for (user, key) in &r.psk {
            let at = format!("registrar.psk.{}", toml_key(user));
            if Sid::user(user).is_err() {
                return Err(ConfigError::invalid(
                    at,
                    quoted(user),
                    "an M2M user id as key (1..=64 bytes of text, e.g. acme-water)",
                ));
            }
            match parse_hex(key) {
                Some(bytes) if PSK_LENS.contains(&bytes.len()) => {}
                _ => {
                    return Err(ConfigError::invalid(
                        at,
                        quoted(key),
                        "a pre-shared key of 16 or 32 bytes as hex (32 or 64 hex digits)",
                    ))
                }
            }
        }
        Ok(())
    }

    fn validate_scheduler(&self) -> Result<(), ConfigError> {
        let s = &self.scheduler;
        if s.hyperperiod_s == 0 {
            return Err(ConfigError::invalid(
                "scheduler.hyperperiod_s",
                0,
                "a hyperperiod ≥ 1 s",
            ));
        }
        if s.periods_s.is_empty() {
            return Err(ConfigError::invalid(
                "scheduler.periods_s",
                "[]",
                "at least one report period, s",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, &p) in s.periods_s.iter().enumerate() {
            let key = format!("scheduler.periods_s[{i}]");
            if p == 0 || !s.hyperperiod_s.is_multiple_of(p) {
                return Err(ConfigError::invalid(
                    key,
                    p,
                    format!(
                        "a period > 0 s dividing scheduler.hyperperiod_s ({} s)",
                        s.hyperperiod_s
                    ),
                ));
            }
            if !seen.insert(p) {
                return Err(ConfigError::invalid(key, p, "each period listed once"));
            }
        }
        if s.downlink_ms == 0 {
            return Err(ConfigError::invalid(
                "scheduler.downlink_ms",
                0,
                "a downlink part ≥ 1 ms (it holds the beacon)",
            ));
        }
        if s.access_ms <= s.downlink_ms {
            return Err(ConfigError::invalid(
                "scheduler.access_ms",
                s.access_ms,
                format!(
                    "an access period longer than scheduler.downlink_ms ({} ms): the rest is the \
                     terminals' contention part",
                    s.downlink_ms
                ),
            ));
        }
        let bi = self.gateway.beacon_interval_ms;
        if s.access_ms >= bi {
            return Err(ConfigError::invalid(
                "scheduler.access_ms",
                s.access_ms,
                format!(
                    "an access period shorter than gateway.beacon_interval_ms ({bi} ms), the \
                     superframe: report windows take the rest"
                ),
            ));
        }
        Ok(())
    }

    fn validate_store_and_aggregation(&self) -> Result<(), ConfigError> {
        if self.store.path.is_empty() {
            return Err(ConfigError::invalid(
                "store.path",
                "\"\"",
                "a database file path (or \":memory:\")",
            ));
        }
        let c = self.store.commit_interval_ms;
        if !(1..=MAX_COMMIT_INTERVAL_MS).contains(&c) {
            return Err(ConfigError::invalid(
                "store.commit_interval_ms",
                c,
                format!("1..={MAX_COMMIT_INTERVAL_MS} ms"),
            ));
        }
        let a = &self.aggregation;
        for (key, v) in [
            ("aggregation.max_reports", a.max_reports as u64),
            ("aggregation.max_bytes", a.max_bytes as u64),
            ("aggregation.max_age_ms", a.max_age_ms),
        ] {
            if v == 0 {
                return Err(ConfigError::invalid(key, v, "≥ 1"));
            }
        }
        if a.max_age_ms.checked_mul(1_000).is_none() {
            return Err(ConfigError::invalid(
                "aggregation.max_age_ms",
                a.max_age_ms,
                "an age that fits in u64 µs",
            ));
        }
        Ok(())
    }

    /// `[service]` typed: served SIDs, correspondence, unmatched answer. Fails like
    /// [`validate`](Self::validate) on a SID that does not parse (`service.sids[1]`), a
    /// duplicate, a list too long for one SID-list element, or a correspondence whose target
    /// is not served.
    pub fn sid_policy(&self) -> Result<SidPolicy, ConfigError> {
        let s = &self.service;
        if s.sids.is_empty() {
            return Err(ConfigError::invalid(
                "service.sids",
                "[]",
                "at least one served SID (e.g. \"service:metering\")",
            ));
        }
        let mut served = Vec::with_capacity(s.sids.len());
        for (i, text) in s.sids.iter().enumerate() {
            let key = format!("service.sids[{i}]");
            let sid = parse_sid(&key, text)?;
            if served.contains(&sid) {
                return Err(ConfigError::invalid(
                    key,
                    quoted(text),
                    "each SID listed once",
                ));
            }
            served.push(sid);
        }
        if M2mElement::SidList(SidList {
            sids: served.clone(),
        })
        .to_ie()
        .is_err()
        {
            return Err(ConfigError::invalid(
                "service.sids",
                format!("[{} SIDs]", served.len()),
                "SIDs that together fit one SID-list element (251 bytes with their headers)",
            ));
        }
        let mut correspondence = BTreeMap::new();
        for (from, to) in &s.correspondence {
            let key = format!("service.correspondence.{}", toml_key(from));
            let from_sid = parse_sid(&key, from).map_err(|_| {
                ConfigError::invalid(
                    key.clone(),
                    quoted(from),
                    "a requested SID as key: user:NAME, server:IP, server:URL, terminal:MAC or service:NAME",
                )
            })?;
            let to_sid = parse_sid(&key, to)?;
            if !served.contains(&to_sid) {
                return Err(ConfigError::invalid(
                    key,
                    quoted(to),
                    format!(
                        "a served SID (one of service.sids: {})",
                        s.sids
                            .iter()
                            .map(|t| quoted(t))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            correspondence.insert(from_sid, to_sid);
        }
        Ok(SidPolicy {
            served,
            correspondence,
            unmatched: s.unmatched,
        })
    }

    /// `gateway.bssid` as a MAC address (unicast).
    pub fn bssid(&self) -> Result<MacAddr, ConfigError> {
        let text = &self.gateway.bssid;
        match text.parse::<MacAddr>() {
            Ok(mac) if !mac.is_group() => Ok(mac),
            _ => Err(ConfigError::invalid(
                "gateway.bssid",
                quoted(text),
                "a unicast MAC address like \"02:00:00:00:00:01\"",
            )),
        }
    }

    /// The PHY format of `[radio]`.
    pub fn phy_format(&self) -> Format {
        self.radio.format.phy()
    }

    /// The scheduler's settings: `radio.channels` plus `[scheduler]`, epoch 0, and the
    /// gateway's access period (`scheduler.access_ms` at the start of every superframe of
    /// `gateway.beacon_interval_ms`) held on every channel.
    pub fn scheduler_config(&self) -> SchedulerConfig {
        SchedulerConfig {
            channels: self.radio.channels.clone(),
            hyperperiod_s: self.scheduler.hyperperiod_s,
            guard_us: self.scheduler.guard_us,
            epoch_tsf_us: 0,
            access: Some(AccessPeriod {
                period_s: self.gateway.beacon_interval_ms / MS_PER_S,
                duration_us: self.scheduler.access_ms.saturating_mul(1_000),
            }),
        }
    }

    /// `[timeouts]` as the station state machine's [`Timeouts`] (fields map by name).
    pub fn station_timeouts(&self) -> Timeouts {
        let t = &self.timeouts;
        Timeouts {
            auth_ms: t.auth_ms,
            assoc_ms: t.assoc_ms,
            registration_ms: t.registration_ms,
            config_ms: t.config_ms,
            report_grace_ms: t.report_grace_ms,
            standby_ms: t.standby_ms,
            max_retries: t.max_retries,
        }
    }

    /// `[aggregation]` as [`BatchLimits`] (age in µs, saturating).
    pub fn batch_limits(&self) -> BatchLimits {
        BatchLimits {
            max_reports: self.aggregation.max_reports,
            max_bytes: self.aggregation.max_bytes,
            max_age_us: self.aggregation.max_age_ms.saturating_mul(1_000),
        }
    }

    /// A complete TOML file for `self`, with a comment above every section and key giving
    /// its meaning and its default (taken from [`Config::default`]). Loading the text gives
    /// `self` back; `Config::default().to_commented_toml()` is what `subgate configfile`
    /// prints.
    pub fn to_commented_toml(&self) -> String {
        let values = toml_table(self);
        let defaults = toml_table(&Config::default());
        let mut out = String::new();
        out.push_str("# subgate gateway configuration (printed by `subgate configfile`).\n");
        out.push_str(
            "# Every key is optional: a missing key takes the default given in its comment.\n",
        );
        out.push_str("# Unknown keys are refused. Reference: docs/config.md.\n");
        for section in SECTIONS {
            out.push('\n');
            for line in section.doc.lines() {
                out.push_str(&format!("# {line}\n"));
            }
            out.push_str(&format!("[{}]\n", section.name));
            let keys = KEYS.iter().filter(|k| k.section == section.name);
            // Plain keys first, sub-tables after (TOML puts a table's own keys before them).
            let (tables, plain): (Vec<&KeyDoc>, Vec<&KeyDoc>) =
                keys.partition(|k| matches!(lookup(&defaults, k), Some(toml::Value::Table(_))));
            for k in plain {
                write_key_comment(&mut out, k, lookup(&defaults, k));
                if let Some(v) = lookup(&values, k) {
                    out.push_str(&format!("{} = {v}\n", k.key));
                }
            }
            for k in tables {
                write_key_comment(&mut out, k, lookup(&defaults, k));
                out.push_str(&format!("[{}.{}]\n", k.section, k.key));
                if let Some(toml::Value::Table(t)) = lookup(&values, k) {
                    for (name, v) in t {
                        out.push_str(&format!("{} = {v}\n", toml_key(name)));
                    }
                }
            }
        }
        out
    }
}

fn write_key_comment(out: &mut String, k: &KeyDoc, default: Option<&toml::Value>) {
    out.push('\n');
    for line in k.doc.lines() {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str(&format!("# Type: {}. Default: {}\n", k.ty, shown(default)));
    if let Some(example) = k.example {
        out.push_str(&format!("# Example: {example}\n"));
    }
}

/// A default as shown in comments and docs: its TOML text, or `none` for an empty list or
/// table.
fn shown(default: Option<&toml::Value>) -> String {
    match default {
        Some(toml::Value::Table(t)) if t.is_empty() => "none".to_string(),
        Some(toml::Value::Array(a)) if a.is_empty() => "none".to_string(),
        Some(v) => v.to_string(),
        None => "none".to_string(),
    }
}

/// `config` as a TOML table (serialising plain strings, numbers, lists and string maps
/// cannot fail; an empty table stands in if it ever did).
fn toml_table(config: &Config) -> toml::Table {
    toml::Table::try_from(config).unwrap_or_default()
}

fn lookup<'a>(table: &'a toml::Table, k: &KeyDoc) -> Option<&'a toml::Value> {
    table.get(k.section)?.as_table()?.get(k.key)
}

fn parse_sid(key: &str, text: &str) -> Result<Sid, ConfigError> {
    text.parse::<Sid>().map_err(|_| {
        ConfigError::invalid(
            key,
            quoted(text),
            "a SID: user:NAME, server:IP, server:URL, terminal:MAC or service:NAME",
        )
    })
}

fn socket_addr(key: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.parse::<SocketAddr>().map_err(|_| {
        ConfigError::invalid(
            key,
            quoted(text),
            "an IP:port address like \"127.0.0.1:8700\" or \"[::1]:8700\"",
        )
    })
}

/// A toml error with its position and, found from the source around it, the key.
fn parse_error(text: &str, file: &str, e: &toml::de::Error) -> ConfigError {
    let offset = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    let key = e.span().and_then(|_| key_at(text, line - 1));
    ConfigError::Parse {
        file: file.to_string(),
        key,
        line,
        column,
        message: e.message().trim_end().to_string(),
    }
}

/// The dotted key of line `index` (0-based): the nearest `key =` at or above it, prefixed
/// with the table header above that; or the header itself if the line is one.
fn key_at(text: &str, index: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let header = |l: &str| {
        let t = l.trim();
        t.strip_prefix('[')
            .and_then(|t| t.split(']').next())
            .map(|t| t.trim_start_matches('[').trim().to_string())
    };
    let mut key: Option<String> = None;
    for l in lines
        .get(..=index.min(lines.len().saturating_sub(1)))?
        .iter()
        .rev()
    {
        let t = l.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        if let Some(h) = header(t) {
            return Some(match key {
                Some(k) => format!("{h}.{k}"),
                None => h,
            });
        }
        if key.is_none() {
            if let Some((k, _)) = t.split_once('=') {
                key = Some(k.trim().to_string());
            }
        }
    }
    key
}

/// One TOML section, as documented.
#[derive(Debug, Clone, Copy)]
pub struct SectionDoc {
    /// Table name.
    pub name: &'static str,
    /// What it configures.
    pub doc: &'static str,
}

/// One key, as documented in the commented TOML and docs/config.md.
#[derive(Debug, Clone, Copy)]
pub struct KeyDoc {
    /// Its section.
    pub section: &'static str,
    /// Its name in the section.
    pub key: &'static str,
    /// TOML type.
    pub ty: &'static str,
    /// Meaning and accepted values (may span lines).
    pub doc: &'static str,
    /// A non-default example line, when it helps.
    pub example: Option<&'static str>,
}

impl KeyDoc {
    /// Dotted name, `section.key`.
    pub fn path(&self) -> String {
        format!("{}.{}", self.section, self.key)
    }

    /// The default value as TOML text (from [`Config::default`]), or `none` for an empty
    /// list or table — as printed in the commented TOML and docs/config.md.
    pub fn default_text(&self) -> String {
        shown(lookup(&toml_table(&Config::default()), self))
    }
}

/// Every section, in file order.
pub const SECTIONS: &[SectionDoc] = &[
    SectionDoc { name: "gateway", doc: "[gateway]: the access point itself." },
    SectionDoc {
        name: "service",
        doc: "[service]: the M2M service identifiers (SIDs) this gateway serves, advertised in\nbeacons and matched against probe and association requests.",
    },
    SectionDoc { name: "radio", doc: "[radio]: channels, PPDU format and downlink MCS." },
    SectionDoc {
        name: "timeouts",
        doc: "[timeouts]: how long the gateway waits for a station's next step and how often it\nretries before giving the station up. The waits for a terminal's next step are at least\ntwo superframes (2 x gateway.beacon_interval_ms): the gateway's response goes out in the\nnext superframe's downlink.",
    },
    SectionDoc { name: "registrar", doc: "[registrar]: who registers terminals during association." },
    SectionDoc {
        name: "aaa",
        doc: "[aaa]: the RADIUS (AAA) server asked when registrar.kind = \"aaa\" (docs/aaa.md).",
    },
    SectionDoc {
        name: "security",
        doc: "[security]: how a terminal receives its configuration (service information and\nreport slot): in the association response, or encrypted in message 3 of the 4-way\nhandshake keyed by the network passphrase.",
    },
    SectionDoc {
        name: "scheduler",
        doc: "[scheduler]: the gateway's access period and the report windows, on every channel of\n[radio]. Every superframe (gateway.beacon_interval_ms) is laid out, from its start:\n[beacon | downlink ... (downlink_ms) | contention ... (access_ms) | report windows ...].",
    },
    SectionDoc { name: "store", doc: "[store]: the report database (SQLite, WAL)." },
    SectionDoc {
        name: "aggregation",
        doc: "[aggregation]: reports are batched per M2M service; a batch closes at the first\nlimit reached.",
    },
    SectionDoc { name: "northbound", doc: "[northbound]: where closed batches are forwarded." },
    SectionDoc {
        name: "charging",
        doc: "[charging]: charging records per subscription (docs/charging.md): usage counted from\nthe frames carried (report payloads up, configurations down), a record closed and\npublished (store, spool file, northbound) when a volume or time limit is reached.",
    },
    SectionDoc {
        name: "groups",
        doc: "[groups]: peripheral groups (docs/groups.md): a group id pre-allocated to every\nconfigured member with its initial state (standby or active), and how group service\nrequests reach the members.",
    },
    SectionDoc {
        name: "regulatory",
        doc: "[regulatory]: transmit limits (docs/regulatory.md): the rule profile of gateway.region\n(boards/bands), the radio's power checked against it, a dwell limit per channel; frames\nthat would exceed a duty cycle or dwell are deferred or dropped.",
    },
    SectionDoc {
        name: "limits",
        doc: "[limits]: flood resistance (docs/hardening.md): what one source, and everyone not\nassociated yet, may cost the gateway: requests answered per source, the share of each\ndownlink part their answers may take, stations held while joining, registrar calls, and\nreports kept per station and period.",
    },
];

/// Every key, in file order within its section.
pub const KEYS: &[KeyDoc] = &[
    KeyDoc {
        section: "gateway",
        key: "name",
        ty: "string",
        doc: "Gateway name in logs and northbound messages, 1..=32 bytes.",
        example: None,
    },
    KeyDoc {
        section: "gateway",
        key: "bssid",
        ty: "string (MAC address)",
        doc: "BSSID: the gateway's unicast MAC address.",
        example: None,
    },
    KeyDoc {
        section: "gateway",
        key: "region",
        ty: "string",
        doc: "S1G regulatory domain: us, eu, jp, kr, sg, au, nz or cn.",
        example: None,
    },
    KeyDoc {
        section: "gateway",
        key: "beacon_interval_ms",
        ty: "integer",
        doc: "Beacon interval, ms: the superframe. One S1G beacon starts every superframe on every\nchannel, followed by the access period (scheduler.access_ms). A multiple of 1000 in\n1000..=60000 whose seconds divide scheduler.hyperperiod_s.",
        example: None,
    },
    KeyDoc {
        section: "gateway",
        key: "listen",
        ty: "string (IP:port)",
        doc: "Management listener address (reserved: used by a later part).",
        example: None,
    },
    KeyDoc {
        section: "service",
        key: "sids",
        ty: "list of strings (SIDs)",
        doc: "Served SIDs: user:NAME, server:IP, server:URL, terminal:MAC or service:NAME.\nNon-empty, no duplicates, together at most one SID-list element (251 bytes).",
        example: Some("sids = [\"service:metering\", \"server:10.0.0.7\"]"),
    },
    KeyDoc {
        section: "service",
        key: "unmatched",
        ty: "string",
        doc: "Answer to a request whose SID is neither served nor in the correspondence:\n\"silent\" (send nothing) or \"not-supported\" (send the \"SID not supported\" element).",
        example: None,
    },
    KeyDoc {
        section: "service",
        key: "correspondence",
        ty: "table of string = string (SID = served SID)",
        doc: "Correspondence: a request for the key SID is answered as one for the value SID,\nwhich must be in sids (e.g. an M2M server id standing for a service type).",
        example: Some("\"server:10.0.0.7\" = \"service:metering\""),
    },
    KeyDoc {
        section: "radio",
        key: "channels",
        ty: "list of integers",
        doc: "S1G channel numbers the gateway uses and schedules reports on: non-empty,\neach 1..=51, no duplicates.",
        example: Some("channels = [1, 3, 5]"),
    },
    KeyDoc {
        section: "radio",
        key: "format",
        ty: "string",
        doc: "PPDU format: \"1m\" (S1G 1 MHz, MCS 0-7 and 10) or \"2m\" (S1G 2 MHz, MCS 0-8).",
        example: None,
    },
    KeyDoc {
        section: "radio",
        key: "mcs",
        ty: "integer",
        doc: "MCS of downlink frames; must exist in format.",
        example: None,
    },
    KeyDoc {
        section: "timeouts",
        key: "auth_ms",
        ty: "integer",
        doc: "Authenticated (and Unknown): wait for the terminal's next step of authentication or\nassociation, ms (>= 2 x gateway.beacon_interval_ms).",
        example: None,
    },
    KeyDoc {
        section: "timeouts",
        key: "assoc_ms",
        ty: "integer",
        doc: "Registered: wait for the terminal to confirm the association response by its\nresource request, ms (>= 2 x gateway.beacon_interval_ms).",
        example: None,
    },
    KeyDoc {
        section: "timeouts",
        key: "registration_ms",
        ty: "integer",
        doc: "Associated: wait for the registrar's answer, ms (> 0, >= registrar.timeout_ms).",
        example: None,
    },
    KeyDoc {
        section: "timeouts",
        key: "config_ms",
        ty: "integer",
        doc: "Configured: wait for the terminal to accept a service time, ms\n(>= 2 x gateway.beacon_interval_ms).",
        example: None,
    },
    KeyDoc {
        section: "timeouts",
        key: "report_grace_ms",
        ty: "integer",
        doc: "How late after its window start a report may come before the window counts as\nmissed (and the terminal is polled, see scheduler.poll_missed), ms (> 0).",
        example: None,
    },
    KeyDoc {
        section: "timeouts",
        key: "standby_ms",
        ty: "integer",
        doc: "Standby: how long a sleeping terminal's AID and report window are kept without a\nwake-up, ms (> 0).",
        example: None,
    },
    KeyDoc {
        section: "timeouts",
        key: "max_retries",
        ty: "integer",
        doc: "Retries per waiting state, and consecutive missed report windows, before the\nstation is deregistered (0..=255).",
        example: None,
    },
    KeyDoc {
        section: "registrar",
        key: "kind",
        ty: "string",
        doc: "\"m2m-server\": the M2M server checks the pre-shared-key proof.\n\"aaa\": the RADIUS server of [aaa] checks the proof and returns the service information.",
        example: None,
    },
    KeyDoc {
        section: "registrar",
        key: "address",
        ty: "string (IP:port)",
        doc: "M2M server address.",
        example: None,
    },
    KeyDoc {
        section: "registrar",
        key: "timeout_ms",
        ty: "integer",
        doc: "Timeout of one request to the registrar, ms (> 0, <= timeouts.registration_ms).",
        example: None,
    },
    KeyDoc {
        section: "registrar",
        key: "check_proof_with_aaa",
        ty: "boolean",
        doc: "With kind = \"m2m-server\": the [aaa] server checks each terminal's proof first\n(docs/aaa.md §7); a rejected proof refuses the association with status 15.",
        example: Some("check_proof_with_aaa = true"),
    },
    KeyDoc {
        section: "registrar",
        key: "psk",
        ty: "table of string = string (user = hex key)",
        doc: "Pre-shared key per M2M user id (the NAME of a user:NAME SID), 16 or 32 bytes as hex.",
        example: Some("acme-water = \"000102030405060708090a0b0c0d0e0f\""),
    },
    KeyDoc {
        section: "aaa",
        key: "server",
        ty: "string (IP:port)",
        doc: "RADIUS authentication server.",
        example: None,
    },
    KeyDoc {
        section: "aaa",
        key: "secret",
        ty: "string",
        doc: "Shared secret with the RADIUS server; required when registrar.kind = \"aaa\".\nKeep the file private.",
        example: Some("secret = \"change-me\""),
    },
    KeyDoc {
        section: "aaa",
        key: "timeout_ms",
        ty: "integer",
        doc: "Wait for the server's first answer, ms (> 0); doubled after every retransmission.\nAll tries together must fit timeouts.registration_ms.",
        example: None,
    },
    KeyDoc {
        section: "aaa",
        key: "retries",
        ty: "integer",
        doc: "Retransmissions after the first try, 0..=5.",
        example: None,
    },
    KeyDoc {
        section: "aaa",
        key: "nas_identifier",
        ty: "string",
        doc: "NAS-Identifier in every request; empty: gateway.name.",
        example: None,
    },
    KeyDoc {
        section: "security",
        key: "passphrase",
        ty: "string",
        doc: "Network passphrase, 8-63 printable ASCII characters; the PMK is PBKDF2 of it over the\nSSID (gateway.name). Needed when a service uses \"four-way\". Keep the file private.",
        example: Some("passphrase = \"correct horse battery staple\""),
    },
    KeyDoc {
        section: "security",
        key: "delivery",
        ty: "string",
        doc: "Delivery of the configuration for services not in per_service: \"association-response\"\n(in the clear), \"four-way\" (encrypted in 4-way message 3; the association response\nthen carries none), or, with 802.1X (EAP-pwd relayed to [aaa], PMK from the MSK),\n\"eap-success\" (wrapped with the EAP success) or \"eap-four-way\" (in 4-way message 3).",
        example: None,
    },
    KeyDoc {
        section: "security",
        key: "per_service",
        ty: "table of string = string (SID = delivery)",
        doc: "Delivery per served SID, overriding delivery (keys must be in service.sids).",
        example: Some("\"service:metering\" = \"four-way\""),
    },
    KeyDoc {
        section: "scheduler",
        key: "hyperperiod_s",
        ty: "integer",
        doc: "Hyperperiod, s (> 0): every report period divides it, so schedules repeat exactly.",
        example: None,
    },
    KeyDoc {
        section: "scheduler",
        key: "guard_us",
        ty: "integer",
        doc: "Free time after every report window, µs (clock drift and turnaround margin).",
        example: None,
    },
    KeyDoc {
        section: "scheduler",
        key: "periods_s",
        ty: "list of integers",
        doc: "Report periods a terminal may be given, s: non-empty, each > 0 and dividing\nhyperperiod_s, no duplicates.",
        example: None,
    },
    KeyDoc {
        section: "scheduler",
        key: "access_ms",
        ty: "integer",
        doc: "The access period, ms from the start of every superframe, held on every channel:\nbeacon, gateway downlink, then contention for unscheduled terminals; no report window\noverlaps it. > downlink_ms and < gateway.beacon_interval_ms.",
        example: None,
    },
    KeyDoc {
        section: "scheduler",
        key: "downlink_ms",
        ty: "integer",
        doc: "The access period's first part, ms from the superframe start (beacon included): the\ngateway's downlink. The rest of the access period is the terminals' contention\n(uplink) part. >= 1.",
        example: None,
    },
    KeyDoc {
        section: "scheduler",
        key: "poll_missed",
        ty: "boolean",
        doc: "Poll a terminal whose report window passed without a report (a unicast report poll\nin the next downlink part).",
        example: None,
    },
    KeyDoc {
        section: "store",
        key: "path",
        ty: "string",
        doc: "SQLite database file, created if missing (\":memory:\" for a throw-away store).",
        example: None,
    },
    KeyDoc {
        section: "store",
        key: "commit_interval_ms",
        ty: "integer",
        doc: "Reports received are committed together at most this often, ms, 1..=60000 (one\nfsync per commit); a report is acked only after its commit, in the next downlink part.\nLonger batches more reports per commit at the cost of a later ack.",
        example: None,
    },
    KeyDoc {
        section: "aggregation",
        key: "max_reports",
        ty: "integer",
        doc: "Reports in a full batch (>= 1).",
        example: None,
    },
    KeyDoc {
        section: "aggregation",
        key: "max_bytes",
        ty: "integer",
        doc: "Payload bytes in a full batch (>= 1); a single larger report goes alone.",
        example: None,
    },
    KeyDoc {
        section: "aggregation",
        key: "max_age_ms",
        ty: "integer",
        doc: "A batch closes once its oldest report is this old, ms (>= 1).",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "kind",
        ty: "string",
        doc: "\"memory\": batches are kept in memory (tests, simulation); \"mqtt\": published to the\nbroker with QoS 1 (docs/northbound.md), forwarded once the broker's PUBACK came.",
        example: Some("kind = \"mqtt\""),
    },
    KeyDoc {
        section: "northbound",
        key: "broker",
        ty: "string (host:port)",
        doc: "MQTT broker address.",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "client_id",
        ty: "string",
        doc: "MQTT client id; empty: gateway.name.",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "topic_prefix",
        ty: "string",
        doc: "First topic level (no '+', '#' or '/'): batches go to <topic_prefix>/<gateway.name>/batches,\nevents to .../events, status to .../status; commands are read from .../commands.",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "username",
        ty: "string",
        doc: "Broker user name; empty: none.",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "password",
        ty: "string",
        doc: "Broker password, with username. Keep the file private.",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "timeout_ms",
        ty: "integer",
        doc: "How long a publish waits for its PUBACK before the batch is retried later, ms (> 0).",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "keep_alive_s",
        ty: "integer",
        doc: "MQTT keep-alive, seconds, 5..=3600.",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "tls",
        ty: "boolean",
        doc: "Connect with TLS (rustls); the broker's certificate must chain to ca_file.",
        example: Some("tls = true"),
    },
    KeyDoc {
        section: "northbound",
        key: "ca_file",
        ty: "string (path)",
        doc: "PEM file of the CA certificate(s) trusted for the broker (with tls).",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "client_cert_file",
        ty: "string (path)",
        doc: "PEM client certificate for mutual TLS, with client_key_file; empty: none.",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "client_key_file",
        ty: "string (path)",
        doc: "PEM private key of client_cert_file. Keep the file private.",
        example: None,
    },
    KeyDoc {
        section: "northbound",
        key: "status_interval_s",
        ty: "integer",
        doc: "Seconds between gateway status publications (retained, on\n<topic_prefix>/<gateway.name>/status), 1..=86400.",
        example: None,
    },
    KeyDoc {
        section: "charging",
        key: "enabled",
        ty: "boolean",
        doc: "Keep charging records.",
        example: Some("enabled = true"),
    },
    KeyDoc {
        section: "charging",
        key: "network",
        ty: "string",
        doc: "The gateway's home network id; terminals of other networks are roaming.",
        example: None,
    },
    KeyDoc {
        section: "charging",
        key: "spool_dir",
        ty: "string (path)",
        doc: "Directory of the spool files (JSON lines) of closed records; empty:\n<store.path>.spool.",
        example: None,
    },
    KeyDoc {
        section: "charging",
        key: "volume_classes",
        ty: "list of 4 integers",
        doc: "Per-service volume limit of the profile volume classes low .. high, bytes in each\nclass (UL/DL x home/roaming), each >= 1.",
        example: None,
    },
    KeyDoc {
        section: "charging",
        key: "time_classes_s",
        ty: "list of 4 integers",
        doc: "Per-service time limit of the profile reporting-frequency classes low .. high, s,\neach >= 1.",
        example: None,
    },
    KeyDoc {
        section: "charging",
        key: "subscriptions",
        ty: "list of tables",
        doc: "Subscriptions: { id, profile, factor, services }. profile n (1..=16) is M2M_CC_n =\n4 x frequency class + volume class + 1; factor (>= 1, default 1) is the one in\nsubscription limit = sum of service limits + services x factor; services are served\nSIDs, each in one subscription at most (others are not charged).",
        example: Some("subscriptions = [{ id = \"acme-water\", profile = 6, services = [\"service:metering\"] }]"),
    },
    KeyDoc {
        section: "charging",
        key: "terminal_networks",
        ty: "table of strings",
        doc: "Terminal MAC prefix (1..=6 bytes) -> home network id of those terminals; the\nlongest prefix wins, terminals matching none belong to network.",
        example: Some("\"02:aa\" = \"visited-operator\""),
    },
    KeyDoc {
        section: "groups",
        key: "wake",
        ty: "string",
        doc: "How standby members are woken for a group request: \"tim\" (they hear every beacon's\nwake indication) or \"next-slot\" (they listen to the beacon after their own report\nslot: less energy, a later wake).",
        example: None,
    },
    KeyDoc {
        section: "groups",
        key: "delivery",
        ty: "string",
        doc: "How a group request is sent: \"unicast\" (one frame per member) or \"group-addressed\"\n(one frame per channel for the woken members there). Every member acks either way.",
        example: None,
    },
    KeyDoc {
        section: "groups",
        key: "retries",
        ty: "integer",
        doc: "Sends to a member before its status is no-ack, >= 1.",
        example: None,
    },
    KeyDoc {
        section: "groups",
        key: "resend_superframes",
        ty: "integer",
        doc: "Superframes between sends to a member that has not acked, >= 1.",
        example: None,
    },
    KeyDoc {
        section: "groups",
        key: "groups",
        ty: "list of tables",
        doc: "Groups: { name, members, standby }: members are terminal MACs (each in one group),\nstandby the members that start in standby. Ids 1, 2, ... are given in this order.",
        example: Some("groups = [{ name = \"street-12\", members = [\"02:10:00:00:00:01\"], standby = [] }]"),
    },
    KeyDoc {
        section: "regulatory",
        key: "enforce",
        ty: "boolean",
        doc: "Hold frames to the limits (deferred or dropped, counted and logged); false only\nmeasures the airtime.",
        example: None,
    },
    KeyDoc {
        section: "regulatory",
        key: "profile",
        ty: "string",
        doc: "Rule profile of the region's band file (subgate bands <region>); \"\" for the\nregion's default (EU: \"wdts\", ERC/REC 70-03 Annex 3; \"srd\": Annex 1 h1.3/h1.4).",
        example: Some("profile = \"srd\""),
    },
    KeyDoc {
        section: "regulatory",
        key: "tx_power_dbm",
        ty: "float",
        doc: "Power into the antenna, dBm: checked against the profile's conducted and e.i.r.p.\nlimits when the configuration loads.",
        example: None,
    },
    KeyDoc {
        section: "regulatory",
        key: "antenna_gain_dbi",
        ty: "float",
        doc: "Antenna gain, dBi (e.i.r.p. = tx_power_dbm + antenna_gain_dbi).",
        example: None,
    },
    KeyDoc {
        section: "regulatory",
        key: "dwell_ms",
        ty: "integer",
        doc: "Most airtime per channel within dwell_window_s, ms; 0 for none (a hybrid or\nhopping system under FCC 15.247, or an operator's own policy).",
        example: None,
    },
    KeyDoc {
        section: "regulatory",
        key: "dwell_window_s",
        ty: "integer",
        doc: "The dwell window, s, >= 1 and >= dwell_ms.",
        example: None,
    },    KeyDoc {
        section: "limits",
        key: "requests_per_source_per_s",
        ty: "float",
        doc: "Probe, authentication and association requests answered per second from one source,\nassociated or not (a replay carries a terminal's own MAC); more are dropped unanswered.",
        example: None,
    },
    KeyDoc {
        section: "limits",
        key: "request_burst",
        ty: "integer",
        doc: "Requests one such source may send at once before the rate applies.",
        example: None,
    },
    KeyDoc {
        section: "limits",
        key: "sources_tracked",
        ty: "integer",
        doc: "Sources whose request rate is tracked at once (oldest forgotten first).",
        example: None,
    },
    KeyDoc {
        section: "limits",
        key: "answer_share",
        ty: "float",
        doc: "Share of each downlink part (0 < share <= 1) that answers to requests and frames for\nsources holding no AID may take; the rest stays for scheduled terminals (report acks,\npolls, groups).",
        example: None,
    },
    KeyDoc {
        section: "limits",
        key: "answer_horizon",
        ty: "integer",
        doc: "Superframes ahead such an answer may be queued; later ones are dropped.",
        example: None,
    },
    KeyDoc {
        section: "limits",
        key: "max_joining",
        ty: "integer",
        doc: "Stations held while joining (not associated); when full the one joining longest is\nforgotten for the newcomer.",
        example: None,
    },
    KeyDoc {
        section: "limits",
        key: "registrations_per_s",
        ty: "float",
        doc: "Registrar calls (M2M or AAA server) per second; more associations are refused\n(unable to handle) and the terminal retries.",
        example: None,
    },
    KeyDoc {
        section: "limits",
        key: "registration_burst",
        ty: "integer",
        doc: "Registrar calls at once before the rate applies.",
        example: None,
    },
    KeyDoc {
        section: "limits",
        key: "reports_per_period",
        ty: "integer",
        doc: "Reports kept per station and report period (window, retries, polls); more are\ndropped unanswered.",
        example: Some("reports_per_period = 4"),
    },
];
