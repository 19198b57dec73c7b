//! `subgate bench northbound`: the gateway at a real-time report rate while its MQTT broker
//! is down for a while (testbench::outage): acked reports lost (must be 0), redeliveries.

use anyhow::{bail, Result};
use clap::Args;
use subgate_testbench::broker;
use subgate_testbench::outage::{self, OutageOptions, OutageReport};

/// Options of `bench northbound`.
#[derive(Args, Debug)]
pub struct NorthboundArgs {
    /// Reports per minute over all terminals (terminals = rate × period / 60).
    #[arg(long, default_value_t = 10_000)]
    rate: u32,
    /// Each terminal's report period, s.
    #[arg(long, default_value_t = 30)]
    period_s: u32,
    /// Seconds the broker is down.
    #[arg(long, default_value_t = 60)]
    outage_s: u64,
    /// Seconds of reporting before the outage.
    #[arg(long, default_value_t = 20)]
    before_s: u64,
    /// Seconds of reporting after the broker is back.
    #[arg(long, default_value_t = 40)]
    after_s: u64,
    /// Kill the broker with SIGKILL instead of stopping it with SIGTERM (mosquitto then
    /// loses what it acknowledged but had not saved: its durability, not the gateway's).
    #[arg(long)]
    kill: bool,
}

/// Runs the outage bench and prints its figures.
pub fn run(a: NorthboundArgs) -> Result<()> {
    if !broker::installed() {
        bail!(
            "mosquitto is not installed ({}); apt-get install mosquitto",
            broker::MOSQUITTO
        );
    }
    let o = OutageOptions {
        reports_per_min: a.rate,
        period_s: a.period_s,
        before_s: a.before_s,
        outage_s: a.outage_s,
        after_s: a.after_s,
        kill: a.kill,
    };
    eprintln!(
        "northbound outage bench: {} reports/min, broker down {} s after {} s …",
        o.reports_per_min, o.outage_s, o.before_s
    );
    let r = outage::run(&o)?;
    print(&r, o.outage_s)
}

/// Prints an outage run's figures; an error if an acked report never arrived.
pub fn print(r: &OutageReport, outage_s: u64) -> Result<()> {
    println!(
        "northbound: {} terminals, {} reports acked ({} while the broker was down {} s, {:.0} s simulated meanwhile); {} received by the consumer; lost {}",
        r.terminals, r.acked, r.acked_during_outage, outage_s, r.outage_virtual_s, r.received, r.lost
    );
    println!(
        "northbound: terminals scheduled {} · refused {} · still joining {} · gave up {}; reports generated {} · stored {}; {:.0} reports/min acked over the real-time part",
        r.sim.scheduled, r.sim.refused, r.sim.joining, r.sim.served_gave_up, r.sim.generated, r.sim.stored, r.paced_rate
    );
    if !r.sim.served_gave_up_why.is_empty() {
        println!(
            "northbound: why terminals gave up: {:?}",
            r.sim.served_gave_up_why
        );
    }
    println!(
        "northbound: {} batch messages, {} distinct batches, {} redeliveries, {} marked as replays; gateway: {} batches forwarded, {} northbound errors; {:.0} s wall",
        r.messages,
        r.batches,
        r.redeliveries,
        r.replays,
        r.sim.gateway.batches_forwarded,
        r.sim.gateway.northbound_errors,
        r.wall_s
    );
    if r.lost > 0 || r.sim.acked_missing > 0 {
        bail!(
            "{} acked reports never arrived, {} acked reports missing from the store",
            r.lost,
            r.sim.acked_missing
        );
    }
    Ok(())
}
