//! `control::config`: defaults round-trip through the commented TOML, every refusal names its
//! key, docs/config.md matches the code, a realistic file loads.

use std::io::Write;

use subgate_control::aggregate::BatchLimits;
use subgate_control::config::{
    Config, ConfigError, NorthboundKind, RadioFormat, RegistrarKind, Unmatched, KEYS, SECTIONS,
};
use subgate_control::scheduler::{AccessPeriod, Scheduler, SchedulerConfig};
use subgate_control::station::Timeouts;
use subgate_control::wire::m2m::Sid;

const DOCS: &str = include_str!("../../docs/config.md");

/// The first ```toml block of docs/config.md (the full example).
fn docs_example() -> &'static str {
    let start = DOCS
        .find("```toml\n")
        .expect("docs/config.md has a ```toml block")
        + 8;
    let len = DOCS[start..]
        .find("```")
        .expect("the ```toml block is closed");
    &DOCS[start..start + len]
}

fn sid(s: &str) -> Sid {
    s.parse().expect("test SID")
}

#[test]
fn defaults_validate() {
    Config::default()
        .validate()
        .expect("the defaults are valid");
}

#[test]
fn empty_file_is_the_defaults() {
    assert_eq!("".parse::<Config>().expect("empty"), Config::default());
}

#[test]
fn default_commented_toml_round_trips() {
    let text = Config::default().to_commented_toml();
    let back: Config = text.parse().expect("the printed defaults load");
    assert_eq!(back, Config::default());
}

#[test]
fn commented_toml_comments_every_key_with_its_default() {
    let text = Config::default().to_commented_toml();
    let lines: Vec<&str> = text.lines().collect();
    for section in SECTIONS {
        assert!(
            lines.contains(&format!("[{}]", section.name).as_str()),
            "{}",
            section.name
        );
    }
    for k in KEYS {
        // The key line (or sub-table header) is preceded by a comment giving the default.
        let section = format!("[{}]", k.section);
        let from = lines
            .iter()
            .position(|l| *l == section)
            .unwrap_or_else(|| panic!("{section} not printed"));
        let idx = from
            + lines[from..]
                .iter()
                .position(|l| {
                    l.starts_with(&format!("{} = ", k.key)) || *l == format!("[{}]", k.path())
                })
                .unwrap_or_else(|| panic!("{} not printed", k.path()));
        let comment = lines[idx - 1];
        let default = format!("Default: {}", k.default_text());
        let above: Vec<&str> = lines[..idx]
            .iter()
            .rev()
            .take_while(|l| l.starts_with('#'))
            .copied()
            .collect();
        assert!(comment.starts_with('#'), "{}: no comment above", k.path());
        assert!(
            above.iter().any(|l| l.contains(&default)),
            "{}: comment does not give {default:?}: {above:?}",
            k.path()
        );
    }
}

#[test]
fn every_serialised_key_is_documented_and_vice_versa() {
    let table = toml::Table::try_from(Config::default()).expect("serialise");
    let mut serialised: Vec<String> = table
        .iter()
        .flat_map(|(section, v)| {
            let keys: Vec<String> = v
                .as_table()
                .expect("every section is a table")
                .keys()
                .map(|k| format!("{section}.{k}"))
                .collect();
            keys
        })
        .collect();
    let mut documented: Vec<String> = KEYS.iter().map(|k| k.path()).collect();
    serialised.sort();
    documented.sort();
    assert_eq!(serialised, documented);
    let sections: Vec<&str> = table.keys().map(String::as_str).collect();
    let mut doc_sections: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
    doc_sections.sort();
    assert_eq!(sections, doc_sections);
}

#[test]
fn non_default_config_round_trips_through_commented_toml() {
    let config: Config = docs_example().parse().expect("docs example");
    assert_ne!(config, Config::default());
    let back: Config = config.to_commented_toml().parse().expect("printed back");
    assert_eq!(back, config);
}

#[test]
fn docs_name_every_key_with_its_default() {
    for k in KEYS {
        let row_start = format!("| `{}` |", k.path());
        let row = DOCS
            .lines()
            .find(|l| l.starts_with(&row_start))
            .unwrap_or_else(|| panic!("docs/config.md has no row for {}", k.path()));
        let default = k.default_text();
        let cell = if default == "none" {
            " none ".to_string()
        } else {
            format!("`{default}`")
        };
        assert!(
            row.contains(&cell),
            "docs/config.md row for {} does not give the default {cell}: {row}",
            k.path()
        );
    }
    for s in SECTIONS {
        assert!(
            DOCS.contains(&format!("### `[{}]`", s.name)),
            "section {}",
            s.name
        );
    }
}

#[test]
fn docs_example_loads() {
    let config: Config = docs_example().parse().expect("the docs example loads");
    assert_eq!(config.gateway.name, "acme-water-gw-7");
    assert_eq!(config.radio.channels, vec![1, 3, 5]);
    assert_eq!(config.service.unmatched, Unmatched::NotSupported);
    assert_eq!(config.registrar.psk.len(), 1);
}

#[test]
fn realistic_file_loads_with_typed_views() {
    let text = r#"
# metering gateway, two services
[gateway]
name = "north-field"
bssid = "02:00:00:00:aa:01"
region = "eu"
beacon_interval_ms = 2000

[service]
sids = ["service:metering", "service:alarms", "server:10.0.0.7"]
unmatched = "not-supported"

[service.correspondence]
"user:acme-water" = "service:metering"
"server:2001:db8::7" = "server:10.0.0.7"

[radio]
channels = [2, 6]
format = "2m"
mcs = 8

[regulatory]
profile = "srd"
tx_power_dbm = 12.0
antenna_gain_dbi = 2.0

[timeouts]
assoc_ms = 4000
registration_ms = 4000
report_grace_ms = 20000
max_retries = 0

[registrar]
address = "[2001:db8::7]:8701"
timeout_ms = 4000

[registrar.psk]
acme-water = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
"acme gas" = "ffeeddccbbaa99887766554433221100"

[scheduler]
hyperperiod_s = 3600
guard_us = 1500
periods_s = [60, 300, 3600]
access_ms = 300
downlink_ms = 120
poll_missed = false

[store]
path = ":memory:"
commit_interval_ms = 250

[aggregation]
max_reports = 10
max_bytes = 1000
max_age_ms = 5

[northbound]
kind = "memory"
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gw.toml");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write");
    let config = Config::load(&path).expect("realistic file loads");

    assert_eq!(
        config.bssid().expect("bssid").to_string(),
        "02:00:00:00:aa:01"
    );
    assert_eq!(config.radio.format, RadioFormat::TwoMhz);
    assert_eq!(config.phy_format(), subgate_dsp::Format::S1gShort2M);
    assert_eq!(config.registrar.kind, RegistrarKind::M2mServer);
    assert_eq!(config.northbound.kind, NorthboundKind::Memory);
    assert_eq!(
        config.scheduler_config(),
        SchedulerConfig {
            channels: vec![2, 6],
            hyperperiod_s: 3600,
            guard_us: 1500,
            epoch_tsf_us: 0,
            access: Some(AccessPeriod {
                period_s: 2,
                duration_us: 300_000
            }),
        }
    );
    Scheduler::new(config.scheduler_config()).expect("the scheduler takes the access period");
    assert_eq!(config.scheduler.downlink_ms, 120);
    assert!(!config.scheduler.poll_missed);
    assert_eq!(config.store.commit_interval_ms, 250);
    assert_eq!(
        config.station_timeouts(),
        Timeouts {
            auth_ms: 10_000,
            assoc_ms: 4_000,
            registration_ms: 4_000,
            config_ms: 5_000,
            report_grace_ms: 20_000,
            standby_ms: 86_400_000,
            max_retries: 0,
        }
    );
    assert_eq!(
        config.batch_limits(),
        BatchLimits {
            max_reports: 10,
            max_bytes: 1000,
            max_age_us: 5_000
        }
    );

    let policy = config.sid_policy().expect("policy");
    assert_eq!(policy.served.len(), 3);
    assert_eq!(policy.unmatched, Unmatched::NotSupported);
    let metering = sid("service:metering");
    assert_eq!(policy.serves(&metering), Some(&metering));
    assert_eq!(policy.serves(&sid("user:acme-water")), Some(&metering));
    assert_eq!(
        policy.serves(&sid("server:2001:db8::7")),
        Some(&sid("server:10.0.0.7"))
    );
    assert_eq!(policy.serves(&sid("service:gas")), None);
}

#[test]
fn default_views_match_the_library_defaults() {
    let c = Config::default();
    // The library's scheduler default holds no access period; the gateway's holds 200 ms of
    // every 1 s superframe.
    assert_eq!(
        c.scheduler_config(),
        SchedulerConfig {
            access: Some(AccessPeriod {
                period_s: 1,
                duration_us: 200_000
            }),
            ..SchedulerConfig::default()
        }
    );
    Scheduler::new(c.scheduler_config()).expect("the scheduler takes the default access period");
    assert_eq!(c.batch_limits(), BatchLimits::default());
    assert_eq!(c.store.path, "subgate.db");
}

#[test]
fn superframe_and_store_defaults_are_the_documented_ones() {
    let c = Config::default();
    assert_eq!(c.gateway.beacon_interval_ms, 1_000);
    assert_eq!(c.scheduler.access_ms, 200);
    assert_eq!(c.scheduler.downlink_ms, 100);
    assert!(c.scheduler.poll_missed);
    assert_eq!(c.store.commit_interval_ms, 1_000);
}

#[test]
fn default_station_timeouts_are_the_documented_ones() {
    assert_eq!(
        Config::default().station_timeouts(),
        Timeouts {
            auth_ms: 10_000,
            assoc_ms: 5_000,
            registration_ms: 5_000,
            config_ms: 5_000,
            report_grace_ms: 30_000,
            standby_ms: 86_400_000,
            max_retries: 3,
        }
    );
}

#[test]
fn station_timeouts_map_every_key_by_name() {
    let config: Config = r#"
[timeouts]
auth_ms = 11000
assoc_ms = 12000
registration_ms = 13000
config_ms = 14000
report_grace_ms = 15000
standby_ms = 16000
max_retries = 255
"#
    .parse()
    .expect("timeouts load");
    assert_eq!(
        config.station_timeouts(),
        Timeouts {
            auth_ms: 11_000,
            assoc_ms: 12_000,
            registration_ms: 13_000,
            config_ms: 14_000,
            report_grace_ms: 15_000,
            standby_ms: 16_000,
            max_retries: 255,
        }
    );
}

/// Values at the edge of the superframe rules, accepted.
const ACCEPTED: &[(&str, &str)] = &[
    (
        "longest superframe, timeouts of two superframes",
        "[gateway]\nbeacon_interval_ms = 60000\n[timeouts]\nauth_ms = 120000\nassoc_ms = 120000\nconfig_ms = 120000\n",
    ),
    (
        "5 s superframe dividing a 3600 s hyperperiod",
        "[gateway]\nbeacon_interval_ms = 5000\n[timeouts]\nassoc_ms = 10000\nconfig_ms = 10000\n[scheduler]\nhyperperiod_s = 3600\nperiods_s = [60, 3600]\n",
    ),
    (
        "shortest access period",
        "[scheduler]\naccess_ms = 2\ndownlink_ms = 1\n",
    ),
    (
        "access period one ms short of the superframe",
        "[scheduler]\naccess_ms = 999\ndownlink_ms = 998\n",
    ),
    (
        "registrar timeout equal to the registration deadline",
        "[registrar]\ntimeout_ms = 5000\n",
    ),
    ("shortest commit interval", "[store]\ncommit_interval_ms = 1\n"),
    ("longest commit interval", "[store]\ncommit_interval_ms = 60000\n"),
    ("no retries", "[timeouts]\nmax_retries = 0\n"),
];

#[test]
fn edge_values_are_accepted() {
    for &(case, text) in ACCEPTED {
        let config: Config = text
            .parse()
            .unwrap_or_else(|e| panic!("{case}: refused: {e}"));
        Scheduler::new(config.scheduler_config())
            .unwrap_or_else(|e| panic!("{case}: scheduler refused: {e}"));
    }
}

/// (case, config text, key the error must name, text the message must contain).
const REFUSED: &[(&str, &str, &str, &str)] = &[
    (
        "bad SID",
        "[service]\nsids = [\"service:metering\", \"sevice:water\"]\n",
        "service.sids[1]",
        "\"sevice:water\": expected a SID",
    ),
    (
        "duplicate SID",
        "[service]\nsids = [\"service:metering\", \"service:metering\"]\n",
        "service.sids[1]",
        "listed once",
    ),
    ("no SIDs", "[service]\nsids = []\n", "service.sids", "at least one served SID"),
    (
        "correspondence to an unserved SID",
        "[service]\nsids = [\"service:metering\"]\n[service.correspondence]\n\"server:10.0.0.7\" = \"service:water\"\n",
        "service.correspondence.\"server:10.0.0.7\"",
        "\"service:water\": expected a served SID",
    ),
    (
        "correspondence from a non-SID",
        "[service.correspondence]\n\"10.0.0.7\" = \"service:metering\"\n",
        "service.correspondence.\"10.0.0.7\"",
        "a requested SID",
    ),
    ("empty channels", "[radio]\nchannels = []\n", "radio.channels", "at least one"),
    ("channel 52", "[radio]\nchannels = [1, 52]\n", "radio.channels[1]", "1..=51"),
    ("channel 0", "[radio]\nchannels = [0]\n", "radio.channels[0]", "1..=51"),
    ("duplicate channel", "[radio]\nchannels = [3, 3]\n", "radio.channels[1]", "once"),
    ("MCS 9 at 1 MHz", "[radio]\nmcs = 9\n", "radio.mcs", "0..=7 or 10"),
    ("MCS 10 at 2 MHz", "[radio]\nformat = \"2m\"\nmcs = 10\n", "radio.mcs", "0..=8"),
    (
        "period not dividing the hyperperiod",
        "[scheduler]\nperiods_s = [60, 900, 7]\n",
        "scheduler.periods_s[2]",
        "dividing scheduler.hyperperiod_s (86400 s)",
    ),
    ("zero period", "[scheduler]\nperiods_s = [0]\n", "scheduler.periods_s[0]", "> 0"),
    ("no periods", "[scheduler]\nperiods_s = []\n", "scheduler.periods_s", "at least one"),
    ("zero hyperperiod", "[scheduler]\nhyperperiod_s = 0\n", "scheduler.hyperperiod_s", "≥ 1 s"),
    ("zero auth timeout", "[timeouts]\nauth_ms = 0\n", "timeouts.auth_ms", "> 0 ms"),
    ("zero assoc timeout", "[timeouts]\nassoc_ms = 0\n", "timeouts.assoc_ms", "> 0 ms"),
    (
        "zero registration timeout",
        "[timeouts]\nregistration_ms = 0\n",
        "timeouts.registration_ms",
        "> 0 ms",
    ),
    ("zero config timeout", "[timeouts]\nconfig_ms = 0\n", "timeouts.config_ms", "> 0 ms"),
    (
        "zero report grace",
        "[timeouts]\nreport_grace_ms = 0\n",
        "timeouts.report_grace_ms",
        "> 0 ms",
    ),
    ("zero standby", "[timeouts]\nstandby_ms = 0\n", "timeouts.standby_ms", "> 0 ms"),
    (
        "auth timeout shorter than two superframes",
        "[gateway]\nbeacon_interval_ms = 2000\n[timeouts]\nauth_ms = 3999\n",
        "timeouts.auth_ms",
        "≥ 2 × gateway.beacon_interval_ms (4000 ms): the gateway's response goes out in the next superframe's downlink",
    ),
    (
        "default assoc timeout shorter than two 3 s superframes",
        "[gateway]\nbeacon_interval_ms = 3000\n[scheduler]\nhyperperiod_s = 3600\nperiods_s = [60, 3600]\n",
        "timeouts.assoc_ms",
        "≥ 2 × gateway.beacon_interval_ms (6000 ms)",
    ),
    (
        "config timeout shorter than two superframes",
        "[timeouts]\nconfig_ms = 1999\n",
        "timeouts.config_ms",
        "≥ 2 × gateway.beacon_interval_ms (2000 ms)",
    ),
    ("zero registrar timeout", "[registrar]\ntimeout_ms = 0\n", "registrar.timeout_ms", "> 0 ms"),
    (
        "registrar timeout past the registration deadline",
        "[registrar]\ntimeout_ms = 9000\n",
        "registrar.timeout_ms",
        "at most timeouts.registration_ms (5000 ms)",
    ),
    (
        "AAA registrar without a secret",
        "[registrar]\nkind = \"aaa\"\n",
        "aaa.secret",
        "shared secret",
    ),
    (
        "AAA server not IP:port",
        "[registrar]\nkind = \"aaa\"\n[aaa]\nsecret = \"s\"\nserver = \"radius.example\"\n",
        "aaa.server",
        "IP:port",
    ),
    (
        "AAA tries past the registration deadline",
        "[registrar]\nkind = \"aaa\"\n[aaa]\nsecret = \"s\"\ntimeout_ms = 1000\nretries = 3\n",
        "aaa.timeout_ms",
        "they take 15000 ms",
    ),
    (
        "AAA retries",
        "[registrar]\nkind = \"aaa\"\n[aaa]\nsecret = \"s\"\nretries = 9\n",
        "aaa.retries",
        "0..=5",
    ),
    (
        "registrar address",
        "[registrar]\naddress = \"m2m.example\"\n",
        "registrar.address",
        "IP:port",
    ),
    (
        "short PSK",
        "[registrar.psk]\nacme = \"0011\"\n",
        "registrar.psk.acme",
        "16 or 32 bytes",
    ),
    (
        "PSK not hex",
        "[registrar.psk]\nacme = \"zz112233445566778899aabbccddeeff\"\n",
        "registrar.psk.acme",
        "hex",
    ),
    (
        "multicast BSSID",
        "[gateway]\nbssid = \"01:00:5e:00:00:01\"\n",
        "gateway.bssid",
        "unicast MAC",
    ),
    ("BSSID not a MAC", "[gateway]\nbssid = \"gw-7\"\n", "gateway.bssid", "unicast MAC"),
    ("unknown region", "[gateway]\nregion = \"mars\"\n", "gateway.region", "one of us, eu"),
    (
        "EU e.i.r.p. over 25 mW e.r.p.",
        "[gateway]\nregion = \"eu\"\n[regulatory]\ntx_power_dbm = 14.0\nantenna_gain_dbi = 3.0\n",
        "regulatory.tx_power_dbm",
        "at most 16.15 dBm",
    ),
    (
        "US conducted power over 1 W",
        "[regulatory]\ntx_power_dbm = 31.0\n",
        "regulatory.tx_power_dbm",
        "at most 30 dBm into the antenna",
    ),
    (
        "US e.i.r.p. over 36 dBm",
        "[regulatory]\ntx_power_dbm = 30.0\nantenna_gain_dbi = 8.0\n",
        "regulatory.tx_power_dbm",
        "at most 36 dBm",
    ),
    (
        "2 MHz channels under EU wideband rules",
        "[gateway]\nregion = \"eu\"\n[radio]\nchannels = [2]\nformat = \"2m\"\n",
        "radio.format",
        "at most 1 MHz",
    ),
    (
        "channel outside the EU band",
        "[gateway]\nregion = \"eu\"\n[radio]\nchannels = [11]\n",
        "radio.channels",
        "outside every sub-band",
    ),
    (
        "unknown profile",
        "[gateway]\nregion = \"eu\"\n[regulatory]\nprofile = \"lbt\"\n",
        "regulatory.profile",
        "one of wdts, srd",
    ),
    (
        "dwell longer than its window",
        "[regulatory]\ndwell_ms = 2000\ndwell_window_s = 1\n",
        "regulatory.dwell_window_s",
        "at least dwell_ms",
    ),
    ("empty name", "[gateway]\nname = \"\"\n", "gateway.name", "1..=32 bytes"),
    (
        "zero beacon interval",
        "[gateway]\nbeacon_interval_ms = 0\n",
        "gateway.beacon_interval_ms",
        "a multiple of 1000 in 1000..=60000 ms",
    ),
    (
        "beacon interval not whole seconds",
        "[gateway]\nbeacon_interval_ms = 1500\n",
        "gateway.beacon_interval_ms",
        "a multiple of 1000 in 1000..=60000 ms",
    ),
    (
        "the old default beacon interval",
        "[gateway]\nbeacon_interval_ms = 100\n",
        "gateway.beacon_interval_ms",
        "a multiple of 1000",
    ),
    (
        "beacon interval over a minute",
        "[gateway]\nbeacon_interval_ms = 61000\n",
        "gateway.beacon_interval_ms",
        "1000..=60000 ms",
    ),
    (
        "superframe not dividing the hyperperiod",
        "[gateway]\nbeacon_interval_ms = 7000\n[timeouts]\nassoc_ms = 14000\nconfig_ms = 14000\n[scheduler]\nhyperperiod_s = 3600\nperiods_s = [60, 3600]\n",
        "gateway.beacon_interval_ms",
        "whose seconds divide scheduler.hyperperiod_s (3600 s)",
    ),
    (
        "access period equal to the downlink part",
        "[scheduler]\naccess_ms = 100\ndownlink_ms = 100\n",
        "scheduler.access_ms",
        "longer than scheduler.downlink_ms (100 ms)",
    ),
    (
        "access period shorter than the downlink part",
        "[scheduler]\naccess_ms = 50\n",
        "scheduler.access_ms",
        "longer than scheduler.downlink_ms (100 ms)",
    ),
    (
        "access period filling the superframe",
        "[scheduler]\naccess_ms = 1000\n",
        "scheduler.access_ms",
        "shorter than gateway.beacon_interval_ms (1000 ms)",
    ),
    (
        "access period past the superframe",
        "[gateway]\nbeacon_interval_ms = 2000\n[scheduler]\naccess_ms = 2500\n",
        "scheduler.access_ms",
        "shorter than gateway.beacon_interval_ms (2000 ms)",
    ),
    (
        "zero downlink part",
        "[scheduler]\ndownlink_ms = 0\n",
        "scheduler.downlink_ms",
        "≥ 1 ms",
    ),
    ("listen address", "[gateway]\nlisten = \"8700\"\n", "gateway.listen", "IP:port"),
    ("empty store path", "[store]\npath = \"\"\n", "store.path", "database file"),
    (
        "zero commit interval",
        "[store]\ncommit_interval_ms = 0\n",
        "store.commit_interval_ms",
        "1..=60000 ms",
    ),
    (
        "commit interval over a minute",
        "[store]\ncommit_interval_ms = 60001\n",
        "store.commit_interval_ms",
        "1..=60000 ms",
    ),
    ("zero max_reports", "[aggregation]\nmax_reports = 0\n", "aggregation.max_reports", "≥ 1"),
    ("zero max_bytes", "[aggregation]\nmax_bytes = 0\n", "aggregation.max_bytes", "≥ 1"),
    ("zero max_age_ms", "[aggregation]\nmax_age_ms = 0\n", "aggregation.max_age_ms", "≥ 1"),
];

#[test]
fn every_invalid_value_is_refused_naming_its_key() {
    for &(case, text, key, expected) in REFUSED {
        let err = text
            .parse::<Config>()
            .expect_err(&format!("{case}: accepted"));
        assert!(
            matches!(err, ConfigError::Invalid { .. }),
            "{case}: {err:?}"
        );
        assert_eq!(err.key(), Some(key), "{case}: {err}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("<string>: {key} = ")),
            "{case}: {msg}"
        );
        assert!(msg.contains(expected), "{case}: {msg:?} lacks {expected:?}");
    }
}

/// (case, config text, key the error must name, text the message must contain).
const UNPARSED: &[(&str, &str, &str, &str)] = &[
    (
        "misspelt key",
        "[radio]\nchannels = [1]\nchanels = [1]\n",
        "radio.chanels",
        "unknown field `chanels`",
    ),
    (
        "unknown section",
        "[radioo]\nchannels = [1]\n",
        "radioo",
        "unknown field `radioo`",
    ),
    (
        "unknown top-level key",
        "verbose = true\n",
        "verbose",
        "unknown field `verbose`",
    ),
    (
        "unknown key in a section with a sub-table",
        "[service]\nsid = []\n",
        "service.sid",
        "unknown field `sid`",
    ),
    (
        "wrong type",
        "[radio]\nchannels = \"1\"\n",
        "radio.channels",
        "expected a sequence",
    ),
    (
        "out of u8 range",
        "[radio]\nchannels = [300]\n",
        "radio.channels",
        "",
    ),
    (
        "unknown unmatched",
        "[service]\nunmatched = \"ignore\"\n",
        "service.unmatched",
        "`silent`",
    ),
    (
        "unknown format",
        "[radio]\nformat = \"4m\"\n",
        "radio.format",
        "`1m`",
    ),
    (
        "unknown registrar",
        "[registrar]\nkind = \"ldap\"\n",
        "registrar.kind",
        "`m2m-server`",
    ),
    (
        "removed key auth_retries",
        "[timeouts]\nauth_retries = 3\n",
        "timeouts.auth_retries",
        "unknown field `auth_retries`",
    ),
    (
        "removed key assoc_retries",
        "[timeouts]\nassoc_ms = 5000\nassoc_retries = 3\n",
        "timeouts.assoc_retries",
        "unknown field `assoc_retries`",
    ),
    (
        "removed key registration_retries",
        "[timeouts]\nregistration_retries = 2\n",
        "timeouts.registration_retries",
        "unknown field `registration_retries`",
    ),
    (
        "max_retries out of u8 range",
        "[timeouts]\nmax_retries = 256\n",
        "timeouts.max_retries",
        "",
    ),
    (
        "poll_missed not a boolean",
        "[scheduler]\npoll_missed = 1\n",
        "scheduler.poll_missed",
        "",
    ),
    (
        "unknown northbound",
        "[northbound]\nkind = \"amqp\"\n",
        "northbound.kind",
        "`mqtt`",
    ),
];

#[test]
fn unknown_keys_and_wrong_types_are_refused_naming_the_key() {
    for &(case, text, key, expected) in UNPARSED {
        let err = text
            .parse::<Config>()
            .expect_err(&format!("{case}: accepted"));
        assert!(matches!(err, ConfigError::Parse { .. }), "{case}: {err:?}");
        assert_eq!(err.key(), Some(key), "{case}: {err}");
        let msg = err.to_string();
        assert!(msg.starts_with("<string>:"), "{case}: {msg}");
        assert!(msg.contains(key), "{case}: {msg}");
        assert!(msg.contains(expected), "{case}: {msg:?} lacks {expected:?}");
    }
}

#[test]
fn not_toml_is_refused_with_a_position() {
    let err = "[gateway]\nname = \n"
        .parse::<Config>()
        .expect_err("accepted");
    match err {
        ConfigError::Parse { line, .. } => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn load_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.toml");
    let err = Config::load(&missing).expect_err("missing file");
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("missing.toml"), "{err}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[service]\nsids = [\"service:metering\", \"nope\"]\n").expect("write");
    let err = Config::load(&bad).expect_err("bad SID");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}: service.sids[1] = \"nope\"", bad.display())),
        "{msg}"
    );

    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[store]\npth = \"x.db\"\n").expect("write");
    let msg = Config::load(&typo).expect_err("typo").to_string();
    assert!(
        msg.starts_with(&format!("{}:2:1: store.pth:", typo.display())),
        "{msg}"
    );
}

#[test]
fn security_delivery_is_checked_and_looked_up_per_service() {
    let key_of = |text: &str| {
        text.parse::<Config>()
            .and_then(|c| c.validate().map(|_| c))
            .err()
            .and_then(|e| e.key().map(str::to_string))
    };
    // Four-way needs a usable passphrase.
    assert_eq!(
        key_of("[security]\ndelivery = \"four-way\"\n").as_deref(),
        Some("security.passphrase")
    );
    assert_eq!(
        key_of("[security]\ndelivery = \"four-way\"\npassphrase = \"short\"\n").as_deref(),
        Some("security.passphrase")
    );
    // EAP delivery needs the AAA server's secret.
    assert_eq!(
        key_of("[security]\ndelivery = \"eap-success\"\n").as_deref(),
        Some("aaa.secret")
    );
    assert_eq!(
        key_of("[security]\ndelivery = \"eap-four-way\"\n[aaa]\nsecret = \"s\"\n").as_deref(),
        None
    );
    // Per-service keys must be served SIDs.
    assert_eq!(
        key_of("[security.per_service]\n\"service:gas\" = \"four-way\"\n").as_deref(),
        Some("security.per_service.\"service:gas\"")
    );
    let c: Config = "[service]\nsids = [\"service:metering\", \"service:water\"]\n\
                     [security]\npassphrase = \"correct horse battery\"\n\
                     [security.per_service]\n\"service:water\" = \"four-way\"\n"
        .parse()
        .unwrap();
    c.validate().unwrap();
    use subgate_control::config::Delivery;
    assert_eq!(c.delivery_for(&sid("service:water")), Delivery::FourWay);
    assert_eq!(
        c.delivery_for(&sid("service:metering")),
        Delivery::AssociationResponse
    );
}

#[test]
fn northbound_settings_are_checked() {
    let key_of = |text: &str| {
        text.parse::<Config>()
            .and_then(|c| c.validate().map(|_| c))
            .err()
            .and_then(|e| e.key().map(str::to_string))
    };
    for (text, key) in [
        (
            "[northbound]\nbroker = \"localhost\"\n",
            "northbound.broker",
        ),
        (
            "[northbound]\nbroker = \"localhost:0\"\n",
            "northbound.broker",
        ),
        ("[northbound]\nbroker = \":1883\"\n", "northbound.broker"),
        (
            "[northbound]\ntopic_prefix = \"a/b\"\n",
            "northbound.topic_prefix",
        ),
        (
            "[northbound]\ntopic_prefix = \"\"\n",
            "northbound.topic_prefix",
        ),
        ("[northbound]\ntimeout_ms = 0\n", "northbound.timeout_ms"),
        (
            "[northbound]\nkeep_alive_s = 1\n",
            "northbound.keep_alive_s",
        ),
        ("[northbound]\npassword = \"x\"\n", "northbound.password"),
    ] {
        assert_eq!(key_of(text).as_deref(), Some(key), "{text}");
    }
    let c: Config = "[northbound]\nkind = \"mqtt\"\nbroker = \"[::1]:1884\"\n"
        .parse()
        .unwrap();
    c.validate().unwrap();
    assert_eq!(
        c.northbound.broker_host_port().unwrap(),
        ("::1".to_string(), 1884)
    );
}
