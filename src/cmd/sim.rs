//! `subgate sim`: the gateway and N virtual terminals over a frame-level medium in virtual
//! time (testbench), with counts of what happened to every report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use subgate_control::config::{Config, Delivery};
use subgate_testbench::scenario::Scenario;
use subgate_testbench::sim::{self, SimConfig, SimReport};

/// Options of `subgate sim`.
#[derive(Args, Debug, Clone)]
pub struct SimArgs {
    /// Virtual terminals (at most 8191 can be associated at once: the S1G AID limit).
    #[arg(long, default_value_t = 1000)]
    pub terminals: usize,
    /// Simulated hours of reports (the simulation then runs 5 more minutes for the last acks).
    #[arg(long, default_value_t = 1.0)]
    pub hours: f64,
    /// Random frame loss per receiver, 0..1 (e.g. 0.1 for 10 %).
    #[arg(long, default_value_t = 0.0)]
    pub loss: f64,
    /// Share of terminals asking for a SID the gateway does not serve.
    #[arg(long, default_value_t = 0.0)]
    pub unserved: f64,
    /// Share of terminals that wait for the beacon's report indication.
    #[arg(long, default_value_t = 0.0)]
    pub wait_for_indication: f64,
    /// Network passphrase: deliver every configuration in the 4-way handshake
    /// (`security.delivery = "four-way"`) instead of the association response.
    #[arg(long)]
    pub passphrase: Option<String>,
    /// With --passphrase: share of terminals holding a wrong passphrase (never configured).
    #[arg(long, default_value_t = 0.0)]
    pub wrong_key: f64,
    /// Register through a real FreeRADIUS started on loopback (Debian package `freeradius`;
    /// docs/aaa.md) instead of the M2M server emulator: terminals send the AAA path's proof.
    #[arg(long)]
    pub aaa: bool,
    /// Register with the M2M server emulator, but have a real FreeRADIUS check every
    /// terminal's proof first (`registrar.check_proof_with_aaa`; docs/aaa.md §7).
    #[arg(long, conflicts_with = "aaa")]
    pub aaa_check: bool,
    /// With --aaa: authenticate terminals by 802.1X (EAP-pwd relayed to FreeRADIUS, PMK from
    /// the MSK) and deliver the configuration with the EAP success (`success`) or in 4-way
    /// message 3 (`four-way`). --wrong-key then gives terminals a wrong password.
    #[arg(long, value_name = "DELIVERY")]
    pub eap: Option<EapDelivery>,
    /// Terminals power up over this many seconds.
    #[arg(long, default_value_t = 1800)]
    pub join_spread_s: u64,
    /// Gateway configuration (TOML); its service SIDs and PSKs are set by the simulation.
    /// Default: the built-in defaults on channels 1, 3, 5, 7.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report database (default: a temporary file, removed afterwards).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Publish batches, events and status to this MQTT broker (`northbound.kind = "mqtt"`,
    /// docs/northbound.md) instead of keeping them in memory.
    #[arg(long, value_name = "HOST:PORT")]
    pub mqtt: Option<String>,
    /// Gateway name (topics are `subgate/<name>/…`). Default: the configuration's.
    #[arg(long)]
    pub name: Option<String>,
    /// Once all terminals joined, run the report phase at this many times real time
    /// (1 = real time) instead of as fast as possible.
    #[arg(long, value_name = "FACTOR")]
    pub pace: Option<f64>,
    /// Append `<terminal> <sequence>` to FILE for every report acked to a terminal, as the
    /// acks come (what a crash test compares with the northbound).
    #[arg(long, value_name = "FILE")]
    pub acked_log: Option<PathBuf>,
    /// Run a scenario file (testbench/scenarios/*.toml: meters, placement, medium, services,
    /// gateway configuration, commands) instead of the population options; --db, --mqtt,
    /// --name and --acked-log still apply.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Serve the gateway's counters for Prometheus at http://ADDR/metrics while it runs.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
}

/// How `sim --eap` delivers the configuration.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EapDelivery {
    /// Wrapped behind the EAP success.
    Success,
    /// In 4-way message 3, keyed by the MSK.
    FourWay,
}

impl SimArgs {
    /// The simulation settings these options describe.
    pub fn sim_config(&self) -> Result<SimConfig> {
        if let Some(path) = &self.scenario {
            let mut cfg = Scenario::load(path)?.sim;
            cfg.store_path = self.db.clone();
            if let Some(broker) = &self.mqtt {
                cfg.gateway.northbound.kind = subgate_control::config::NorthboundKind::Mqtt;
                cfg.gateway.northbound.broker = broker.clone();
            }
            if let Some(name) = &self.name {
                cfg.gateway.gateway.name = name.clone();
            }
            cfg.acked_log = self.acked_log.clone();
            return Ok(cfg);
        }
        if !(0.0..1.0).contains(&self.loss) {
            bail!("--loss must be in [0, 1), got {}", self.loss);
        }
        if !(self.hours > 0.0 && self.hours <= 24.0 * 7.0) {
            bail!("--hours must be in (0, 168], got {}", self.hours);
        }
        if self.terminals == 0 || self.terminals > 8191 {
            bail!(
                "--terminals must be in 1..=8191 (the S1G AID limit), got {}",
                self.terminals
            );
        }
        let mut cfg = SimConfig::mixed(self.terminals, self.hours);
        if let Some(path) = &self.config {
            cfg.gateway = Config::load(path)?;
        }
        cfg.loss = self.loss;
        cfg.unserved_share = self.unserved;
        cfg.wait_for_indication_share = self.wait_for_indication;
        if !(0.0..=1.0).contains(&self.wrong_key) {
            bail!("--wrong-key must be in [0, 1], got {}", self.wrong_key);
        }
        if self.wrong_key > 0.0 && self.passphrase.is_none() && self.eap.is_none() {
            bail!("--wrong-key needs --passphrase or --eap");
        }
        cfg.passphrase = self.passphrase.clone();
        cfg.wrong_key_share = self.wrong_key;
        cfg.aaa = self.aaa;
        cfg.aaa_check = self.aaa_check;
        cfg.dot1x = self.eap.map(|e| match e {
            EapDelivery::Success => Delivery::EapSuccess,
            EapDelivery::FourWay => Delivery::EapFourWay,
        });
        if cfg.dot1x.is_some() && !self.aaa {
            bail!("--eap needs --aaa");
        }
        cfg.join_spread_s = self.join_spread_s;
        cfg.store_path = self.db.clone();
        cfg.seed = self.seed;
        if let Some(broker) = &self.mqtt {
            cfg.gateway.northbound.kind = subgate_control::config::NorthboundKind::Mqtt;
            cfg.gateway.northbound.broker = broker.clone();
        }
        if let Some(name) = &self.name {
            cfg.gateway.gateway.name = name.clone();
        }
        if let Some(p) = self.pace {
            if !(p > 0.0 && p.is_finite()) {
                bail!("--pace must be a positive factor, got {p}");
            }
            cfg.pace = Some(p);
        }
        cfg.acked_log = self.acked_log.clone();
        Ok(cfg)
    }
}

/// Runs the simulation and prints its counts.
pub fn run(args: SimArgs) -> Result<()> {
    let cfg = args.sim_config()?;
    if let Some(path) = &args.scenario {
        if let Some(timing) = Scenario::load(path)?.outage {
            return run_outage(&args, cfg, &timing);
        }
    }
    eprintln!(
        "simulating {} terminals for {} h ({}) …",
        cfg.terminals,
        cfg.hours,
        if cfg.air.is_some() {
            "every reception through the PHY".to_string()
        } else {
            format!("frame level, loss {:.0} %", cfg.loss * 100.0)
        }
    );
    let progress = std::sync::Arc::new(sim::SimProgress::default());
    if let Some(addr) = &args.metrics {
        let server = super::metrics::serve(addr, progress.clone())?;
        eprintln!("metrics: http://{}/metrics", server.addr);
    }
    let r = run_with_progress(cfg, progress)?;
    print_report(&mut std::io::stdout().lock(), &r)?;
    if r.acked_missing > 0
        || r.stored_twice > 0
        || r.unserved_admitted > 0
        || r.wrong_key_configured > 0
    {
        bail!(
            "inconsistent: {} acked reports missing, {} stored twice, {} unserved terminals admitted, {} wrong-passphrase terminals configured",
            r.acked_missing,
            r.stored_twice,
            r.unserved_admitted,
            r.wrong_key_configured
        );
    }
    Ok(())
}

/// A scenario with `[outage]`: against a real mosquitto that goes down mid-run.
fn run_outage(
    args: &SimArgs,
    cfg: SimConfig,
    timing: &subgate_testbench::outage::OutageTiming,
) -> Result<()> {
    if args.mqtt.is_some() {
        bail!("a scenario with [outage] starts its own mosquitto; leave out --mqtt");
    }
    if !subgate_testbench::broker::installed() {
        bail!(
            "the scenario's [outage] needs mosquitto ({}); apt-get install mosquitto",
            subgate_testbench::broker::MOSQUITTO
        );
    }
    eprintln!(
        "simulating {} terminals; once they joined, reporting in real time with the broker down {} s after {} s …",
        cfg.terminals, timing.outage_s, timing.before_s
    );
    let r = subgate_testbench::outage::run_config(cfg, timing)?;
    print_report(&mut std::io::stdout().lock(), &r.sim)?;
    super::bench_northbound::print(&r, timing.outage_s)
}

/// Runs the simulation on its own thread with a progress bar of virtual time (hidden when
/// stderr is not a terminal).
pub fn run_with_progress(
    mut cfg: SimConfig,
    progress: std::sync::Arc<sim::SimProgress>,
) -> Result<SimReport> {
    cfg.progress = Some(progress.clone());
    let total_s = (cfg.hours * 3600.0) as u64 + cfg.drain_s;
    let worker = std::thread::spawn(move || sim::run(&cfg));
    let pb = super::progress(total_s, "virtual s");
    while !worker.is_finished() {
        let v = progress
            .virtual_us
            .load(std::sync::atomic::Ordering::Relaxed)
            / 1_000_000;
        pb.set_position(v.min(total_s));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    pb.finish_and_clear();
    match worker.join() {
        Ok(r) => Ok(r?),
        Err(_) => bail!("the simulation thread panicked"),
    }
}

/// The report as a table.
pub fn print_report(out: &mut impl Write, r: &SimReport) -> std::io::Result<()> {
    writeln!(
        out,
        "simulated        {:>12.0} s in {:.1} s wall ({:.0}x)",
        r.simulated_s,
        r.wall_s,
        r.simulated_s / r.wall_s.max(1e-9)
    )?;
    writeln!(out, "terminals        scheduled {} · refused {} · ignored {} · still joining {} · served that gave up {}", r.scheduled, r.refused, r.ignored, r.joining, r.served_gave_up)?;
    if r.joining == 0 {
        writeln!(
            out,
            "joined           all by {:.0} s simulated ({:.2} s wall)",
            r.join_simulated_s, r.join_wall_s
        )?;
    } else {
        writeln!(
            out,
            "joined           not all: {} still trying at the end (out of reach, backing off)",
            r.joining
        )?;
    }
    writeln!(out, "reports          generated {} · delivered {} · acked {} · stored {} · duplicate {} · late {} · collided {} · lost {} · unacked at end {}",
        r.generated, r.delivered, r.acked, r.stored, r.duplicates, r.late, r.collided, r.lost, r.unacked)?;
    writeln!(
        out,
        "medium           frames collided {} · deferred by carrier sense {}",
        r.frames_collided, r.frames_deferred
    )?;
    writeln!(
        out,
        "exactly once     acked but missing {} · stored twice {}",
        r.acked_missing, r.stored_twice
    )?;
    if r.air.receptions > 0 {
        writeln!(
            out,
            "air (IQ level)   receptions {} · overlapped {} · captured {} · lost {} · samples {}",
            r.air.receptions, r.air.overlapped, r.air.captured, r.air.lost, r.air.samples
        )?;
        let joined: Vec<_> = r.links.iter().filter(|l| l.joined).collect();
        let generated: u64 = r.links.iter().map(|l| l.generated).sum();
        let acked: usize = r.links.iter().map(|l| l.acked).sum();
        writeln!(
            out,
            "links            {} of {} meters joined · readings made {} · acked {} ({:.3} %)",
            joined.len(),
            r.links.len(),
            generated,
            acked,
            100.0 * acked as f64 / generated.max(1) as f64
        )?;
    }
    if r.gateway.records_closed > 0 || r.gateway.records_published > 0 {
        writeln!(
            out,
            "charging         records closed {} · published {} · spool/store errors {}",
            r.gateway.records_closed, r.gateway.records_published, r.gateway.charging_errors
        )?;
    }
    if r.gateway.eap_accepted > 0 || r.gateway.eap_rejected > 0 {
        writeln!(
            out,
            "802.1X           EAP accepted {} · rejected {}",
            r.gateway.eap_accepted, r.gateway.eap_rejected
        )?;
    }
    if r.wrong_key > 0 || r.gateway.handshakes > 0 {
        writeln!(
            out,
            "4-way handshake  completed {} · EAPOL-Key refused {} · wrong-passphrase terminals {} (configured {})",
            r.gateway.handshakes, r.gateway.eapol_refused, r.wrong_key, r.wrong_key_configured
        )?;
    }
    writeln!(
        out,
        "terminal side    sends {} · retries {} · polls {} · rejoins {} · skipped windows {} · clock resyncs on a beacon {} of {} wake-ups",
        r.terminals.sent,
        r.terminals.retries,
        r.terminals.polls,
        r.terminals.rejoins,
        r.terminals.skipped,
        r.terminals.beacon_syncs,
        r.terminals.beacon_wakes
    )?;
    let g = &r.gateway;
    writeln!(out, "gateway          beacons {} · associated {} · refused {} · not-supported answers {} · silent drops {} · polls {} · acks {} · commits {} · deregistered {} · downlink dropped {} · batches north {}",
        g.beacons, g.associated, g.assoc_refused, g.answered_not_supported, g.ignored_unmatched, g.polls_sent, g.acks_sent, g.commits, g.deregistered, g.downlink_dropped, g.batches_forwarded)?;
    writeln!(
        out,
        "northbound       batches {} · events forwarded {} of {} · status {} · commands applied {} · refused {} · terminals reconfigured {} · failed tries {}",
        g.batches_forwarded,
        g.events_forwarded,
        g.events_recorded,
        g.status_published,
        g.commands_applied,
        g.commands_refused,
        g.reconfigured,
        g.northbound_errors
    )?;
    for (c, a) in &r.airtime {
        let occ = r.occupancy.iter().find(|o| o.channel == *c);
        writeln!(
            out,
            "channel {c:>2}       airtime used {:5.1} % · scheduled windows {:5.1} % · held (windows + guards + access period) {:5.1} % · terminals {}",
            a * 100.0,
            occ.map_or(0.0, |o| o.airtime * 100.0),
            occ.map_or(0.0, |o| o.reserved * 100.0),
            occ.map_or(0, |o| o.terminals)
        )?;
    }
    for line in super::tx_limits::lines(&r.tx_usage, r.simulated_s, 17) {
        writeln!(out, "{line}")?;
    }
    if g.tx_deferred_limit + g.tx_dropped_limit + g.beacons_held > 0 {
        writeln!(
            out,
            "tx limits        frames deferred {} · dropped {} · beacons held {}",
            g.tx_deferred_limit, g.tx_dropped_limit, g.beacons_held
        )?;
    }
    let limited = g.flood_dropped
        + g.answers_shed
        + g.joining_evicted
        + g.registrations_throttled
        + g.rejoins_held
        + g.reports_over_rate
        + g.reports_oversized;
    if limited > 0 {
        writeln!(
            out,
            "limits           requests dropped {} · answers shed {} · joining evicted {} · registrations throttled {} · rejoins held {} (refused {}) · reports over rate {} · oversized {}",
            g.flood_dropped,
            g.answers_shed,
            g.joining_evicted,
            g.registrations_throttled,
            g.rejoins_held,
            g.rejoins_refused,
            g.reports_over_rate,
            g.reports_oversized
        )?;
    }
    if let Some(f) = &r.flood {
        writeln!(
            out,
            "flood            {} frames in {:.0} s ({:.0}/s, {:.0}x the legitimate {:.1}/s) · legitimate reports meanwhile {} · on time {} ({:.3} %) · acked {}",
            f.counts.total(),
            f.seconds,
            f.rate_per_s(),
            f.rate_per_s() / f.legit_per_s().max(1e-9),
            f.legit_per_s(),
            f.legit_generated,
            f.legit_on_time,
            f.on_time_percent(),
            f.legit_acked
        )?;
        let m = f.footprint_max;
        writeln!(
            out,
            "footprint        at most: stations {} (joining {}) · rate-tracked sources {} · pending reports {} · mute meters still held {}",
            m.stations, m.joining, m.sources, m.pending_reports, f.mute_held
        )?;
    }
    writeln!(
        out,
        "deregistered     {} during the report phase",
        r.deregistered_reporting
    )?;
    writeln!(out, "store            {:.0} reports durably stored per wall second over the report phase ({} commits)", r.stored_per_wall_s, r.commits)?;
    Ok(())
}
