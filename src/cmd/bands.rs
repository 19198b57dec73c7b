//! `subgate bands` and `subgate radios`: the band plans and host radios compiled in.

use anyhow::Result;
use clap::Args;
use subgate_boards::band::{self, BandPlan, Widths};
use subgate_boards::radio;

/// Options of `subgate bands`.
#[derive(Args, Debug)]
pub struct BandsArgs {
    /// Show only this band, with every channel's centre frequency.
    band: Option<String>,
}

/// Options of `subgate radios`.
#[derive(Args, Debug)]
pub struct RadiosArgs {
    /// The band whose coverage to show for each radio.
    #[arg(long, default_value = "us")]
    band: String,
}

/// The band plan called `name`, or an error listing the plans there are.
pub fn plan_named(name: &str) -> Result<BandPlan> {
    let plans = band::plans()?;
    let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
    let known = names.join(", ");
    plans
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("unknown band {name:?}: one of {known} (subgate bands)"))
}

pub fn bands(a: BandsArgs) -> Result<()> {
    let chosen: Vec<_> = match &a.band {
        Some(name) => vec![plan_named(name)?],
        None => band::plans()?,
    };
    println!(
        "{:<4} {:>13} {:>10} {:>8} {:>8}  description",
        "band", "MHz", "start MHz", "1 MHz ch", "2 MHz ch"
    );
    for p in &chosen {
        println!(
            "{:<4} {:>6.1}-{:<6.1} {:>10.1} {:>8} {:>8}  {}",
            p.name,
            p.low_mhz,
            p.high_mhz,
            p.start_mhz,
            p.channels_1mhz.len(),
            p.channels_2mhz.len(),
            p.description
        );
    }
    if a.band.is_some() {
        for p in &chosen {
            println!("\nchannel  width  centre MHz");
            for c in p.channels(Widths::Both) {
                println!(
                    "{:>7} {:>4} MHz {:>11.1}",
                    c.number,
                    c.width_mhz,
                    c.centre_hz / 1e6
                );
            }
            println!("\nsources:");
            for s in &p.sources {
                println!("  - {s}");
            }
            print_rules(&p.name);
        }
    } else {
        println!("\n`subgate bands <name>` lists a band's channels and sources.");
    }
    Ok(())
}

/// The transmit rules the gateway enforces in `region`, per profile.
fn print_rules(region: &str) {
    let Some(r) = subgate_control::regulatory::rules::region(region) else {
        return;
    };
    if r.rules.is_empty() {
        println!("\ntransmit rules: none written for {region}; only regulatory.dwell_ms applies");
        return;
    }
    println!(
        "\ntransmit rules (regulatory.profile; default {:?}):",
        r.default_profile
    );
    println!(
        "{:<8} {:<12} {:>13} {:>9} {:>9} {:>8} {:>8} {:>8}",
        "profile", "sub-band", "MHz", "conducted", "e.i.r.p.", "gateway", "terminal", "window"
    );
    let dbm = |v: Option<f64>| v.map_or("-".to_string(), |d| format!("{d} dBm"));
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |d| format!("{d} %"));
    for s in &r.rules {
        println!(
            "{:<8} {:<12} {:>6.1}-{:<6.1} {:>9} {:>9} {:>8} {:>8} {:>6} s",
            s.profile,
            s.subband,
            s.low_mhz,
            s.high_mhz,
            dbm(s.max_conducted_dbm),
            dbm(s.max_eirp_dbm),
            pct(s.gateway_duty_percent),
            pct(s.terminal_duty_percent),
            s.window_s
        );
    }
    for s in &r.rules {
        println!("  - {} {}: {}", s.profile, s.subband, s.source);
    }
}

pub fn radios(a: RadiosArgs) -> Result<()> {
    let plan = plan_named(&a.band)?;
    println!(
        "{:<16} {:>4} {:>8} {:>13}  {:<22} coverage of the {} band (1 MHz channels)",
        "radio", "bits", "max Msps", "tunes MHz", "device", plan.name
    );
    for r in radio::radios()? {
        let cover = match r.coverage(&plan, Widths::One) {
            Ok(c) => format!(
                "{} of {} channels at {} Msps, tuned to {:.1} MHz",
                c.channels.len(),
                c.channels.len() + c.missed.len(),
                c.rate_hz / 1e6,
                c.centre_hz / 1e6
            ),
            Err(e) => e.to_string(),
        };
        println!(
            "{:<16} {:>4} {:>8} {:>6}-{:<6}  {:<22} {}",
            r.name, r.adc_bits, r.max_rate_msps, r.min_freq_mhz, r.max_freq_mhz, r.device, cover
        );
    }
    Ok(())
}
