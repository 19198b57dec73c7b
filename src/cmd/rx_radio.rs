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
    Err(super::rx_band::no_soapy(device))
}

#[cfg(feature = "soapy")]
pub fn run(o: &BandRx, plan: &BandPlan, device: &str) -> Result<()> {
    use super::rx_band::receive;
    use subgate_drivers::soapy::{SoapyConfig, SoapySource};

    let (rate, centre, bandwidth, channels) =
        tuning(o.rate, o.center_freq, o.widths, plan, device)?;
    let mut cfg = SoapyConfig::new(device, rate, centre);
    cfg.gain_db = o.gain;
    cfg.bandwidth_hz = bandwidth;
    let source = Box::new(SoapySource::open(&cfg)?);
    let limit = o.seconds.map(|s| (s * rate) as u64);
    receive(
        o,
        plan,
        &channels,
        centre,
        limit.unwrap_or(0),
        limit,
        source,
    )
    .map(|_| ())
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
    use subgate_boards::band::stream_for;
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
    let what = format!("the usable part of {device:?} at {} Msps", rate / 1e6);
    let inside = super::rx_band::carried(plan, widths, centre, usable, &what)?;
    Ok((rate, centre, bandwidth, inside))
}
