//! `subgate rx --device`: the whole band live from a SoapySDR radio (cargo feature `soapy`).
//!
//! The radio is chosen from `boards/radios/` by its device string (every `key=value` of a
//! radio's own string must appear in the one given): its coverage of the band gives the
//! rate, the centre frequency and the analogue filter. A device no file describes (another
//! radio, or the replay module the tests use) gets the rate and centre of the band's span;
//! `--rate` and `--center-freq` override either.

use super::rx_band::BandRx;
use anyhow::Result;
use subgate_boards::band::BandPlan;

#[cfg(not(feature = "soapy"))]
pub fn run(_: &BandRx, _: &BandPlan, device: &str) -> Result<()> {
    anyhow::bail!(
        "this subgate was built without SoapySDR support, so --device {device:?} cannot be opened: rebuild with `cargo build --release --features soapy` (needs the Debian package libsoapysdr-dev)"
    )
}

#[cfg(feature = "soapy")]
pub fn run(o: &BandRx, plan: &BandPlan, device: &str) -> Result<()> {
    use super::rx_band::{receive, Block, SourceSummary, BLOCK};
    use subgate_drivers::soapy::{SoapyConfig, SoapySource, SourceRead};
    use subgate_dsp::Complex32;

    let (rate, centre, bandwidth, channels) =
        tuning(o.rate, o.center_freq, o.widths, plan, device)?;
    let mut cfg = SoapyConfig::new(device, rate, centre);
    cfg.gain_db = o.gain;
    cfg.bandwidth_hz = bandwidth;
    let mut src = SoapySource::open(&cfg)?;
    let limit = o.seconds.map(|s| (s * rate) as u64);
    // a live radio that sends nothing for this long has stopped (a replay has ended)
    let idle_reads = (1e6 / cfg.timeout_us as f64).ceil() as u64;
    receive(
        o,
        plan,
        &channels,
        centre,
        rate,
        limit.unwrap_or(0),
        move |tx| {
            let mut sent = 0u64;
            let mut idle = 0u64;
            let mut block = vec![Complex32::new(0.0, 0.0); BLOCK];
            let mut filled = 0usize;
            let flush = |block: &mut Vec<Complex32>, filled: &mut usize| -> bool {
                if *filled == 0 {
                    return true;
                }
                let out = block[..*filled].to_vec();
                *filled = 0;
                tx.send(Block::Samples(out)).is_ok()
            };
            loop {
                let room = match limit {
                    Some(l) if sent >= l => break,
                    Some(l) => (BLOCK - filled).min((l - sent) as usize),
                    None => BLOCK - filled,
                };
                match src.read(&mut block[filled..filled + room])? {
                    SourceRead::Samples { n, gap } => {
                        idle = 0;
                        if gap > 0 {
                            // the lost stretch came before these samples
                            let fresh = block[filled..filled + n].to_vec();
                            if !flush(&mut block, &mut filled) || tx.send(Block::Gap(gap)).is_err()
                            {
                                break;
                            }
                            block[..n].copy_from_slice(&fresh);
                        }
                        filled += n;
                        sent += n as u64;
                        if filled == BLOCK && !flush(&mut block, &mut filled) {
                            break;
                        }
                    }
                    SourceRead::Timeout => {
                        idle += 1;
                        if idle >= idle_reads {
                            eprintln!("note: no samples from {device:?} for 1 s: stopping");
                            break;
                        }
                    }
                    SourceRead::Overflow => {}
                }
            }
            flush(&mut block, &mut filled);
            let c = src.counters();
            Ok(SourceSummary {
                overflows: c.overflows,
                dropped: c.dropped,
                timeouts: c.timeouts,
            })
        },
    )
}

/// Rate, centre frequency, analogue bandwidth and the channels for receiving `plan`
/// (channels of `widths`) on `device`; `rate` and `centre` override what the radio's
/// coverage says. With a known radio the channels are those inside its usable part; else
/// those inside the whole stream.
#[cfg(feature = "soapy")]
pub fn tuning(
    rate: Option<f64>,
    centre: Option<f64>,
    widths: subgate_boards::band::Widths,
    plan: &BandPlan,
    device: &str,
) -> Result<(
    f64,
    f64,
    Option<f64>,
    Vec<subgate_boards::band::PlanChannel>,
)> {
    use subgate_boards::band::{split_by_stream, stream_for};
    use subgate_boards::radio;
    let (rate, centre, bandwidth, usable) = match radio::for_device(device)? {
        Some(r) => {
            let cov = r.coverage(plan, widths)?;
            let rate = rate.unwrap_or(cov.rate_hz);
            tracing::info!(radio = %r.name, rate, "radio found for {device:?}");
            (
                rate,
                centre.unwrap_or(cov.centre_hz),
                Some(rate * r.usable_fraction),
                rate * r.usable_fraction,
            )
        }
        None => {
            let chans = plan.channels(widths);
            let grid = if chans.iter().any(|c| c.width_mhz == 2) {
                2e6
            } else {
                1e6
            };
            let (span_centre, span_rate) = stream_for(&chans, grid).ok_or_else(|| {
                anyhow::anyhow!("the {} band has no channels of those widths", plan.name)
            })?;
            let rate = rate.unwrap_or(span_rate);
            (rate, centre.unwrap_or(span_centre), None, rate)
        }
    };
    let all = plan.channels(widths);
    let (inside, outside) = split_by_stream(&all, centre, usable);
    if inside.is_empty() {
        anyhow::bail!(
            "{device:?} at {} Msps around {} MHz covers no whole channel of the {} band ({}-{} MHz)",
            rate / 1e6,
            centre / 1e6,
            plan.name,
            plan.low_mhz,
            plan.high_mhz
        );
    }
    if !outside.is_empty() {
        let names: Vec<String> = outside.iter().map(|c| c.number.to_string()).collect();
        eprintln!(
            "note: {device:?} covers {} of the {} band's {} channels; not received: {}",
            inside.len(),
            plan.name,
            all.len(),
            names.join(", ")
        );
    }
    Ok((rate, centre, bandwidth, inside))
}
