//! `subgate record`: a SigMF recording of a band from a SoapySDR radio (cargo feature
//! `soapy`), tuned as `rx --device` tunes it.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Options of `subgate record`.
#[derive(Args, Debug)]
pub struct RecordArgs {
    /// SoapySDR device string, e.g. `driver=hackrf` or `driver=uhd,type=b200`.
    #[arg(long)]
    device: String,
    /// Output recording (base path; .sigmf-meta and .sigmf-data are written beside it).
    #[arg(short, long)]
    output: PathBuf,
    /// Band plan whose channels to capture (`subgate bands`).
    #[arg(long, default_value = "us")]
    band: String,
    /// Channel widths the capture must carry: 1, 2 or both.
    #[arg(long, default_value = "1", value_parser = ["1", "2", "both"])]
    widths: String,
    /// Sample rate, samples/s (default: what the radio's coverage of the band needs).
    #[arg(long)]
    rate: Option<f64>,
    /// Centre frequency, Hz (default: from the radio's coverage of the band).
    #[arg(long)]
    center_freq: Option<f64>,
    /// Gain, dB (default: automatic where the radio has it).
    #[arg(long, allow_hyphen_values = true)]
    gain: Option<f64>,
    /// Seconds to record.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Sample format of the data file: cf32_le, ci16_le or ci8.
    #[arg(long, default_value = "ci16_le")]
    datatype: String,
}

#[cfg(not(feature = "soapy"))]
pub fn run(a: RecordArgs) -> Result<()> {
    Err(super::rx_band::no_soapy(&a.device))
}

#[cfg(feature = "soapy")]
pub fn run(a: RecordArgs) -> Result<()> {
    use super::rx_band::{pump, Block};
    use anyhow::{bail, Context};
    use std::sync::mpsc;
    use subgate_drivers::soapy::{SoapyConfig, SoapySource};
    use subgate_drivers::source::Sink;
    use subgate_drivers::{Annotation, Datatype, Writer};
    use subgate_dsp::Complex32;

    if !(a.seconds.is_finite() && a.seconds > 0.0 && a.seconds <= 3600.0) {
        bail!("--seconds {} must be in (0, 3600]", a.seconds);
    }
    let datatype = Datatype::from_sigmf(&a.datatype).with_context(|| {
        format!(
            "unknown --datatype {:?}: use cf32_le, ci16_le or ci8",
            a.datatype
        )
    })?;
    let widths = super::rx_band::widths(&a.widths);
    let plan = super::bands::plan_named(&a.band)?;
    let (rate, centre, bandwidth, channels) =
        super::rx_radio::tuning(a.rate, a.center_freq, widths, &plan, &a.device)?;
    let mut cfg = SoapyConfig::new(&a.device, rate, centre);
    cfg.gain_db = a.gain;
    cfg.bandwidth_hz = bandwidth;
    let mut src = SoapySource::open(&cfg)?;
    let desc = format!(
        "subgate record: {} band ({} channels) from {}",
        plan.name,
        channels.len(),
        a.device
    );
    let mut w = Writer::create(&a.output, datatype, rate, Some(centre), &desc)
        .with_context(|| format!("creating {}", a.output.display()))?;
    let total = (a.seconds * rate) as u64;
    let pb = super::progress(total, "recording");
    let mut written = 0u64;
    let summary = std::thread::scope(|s| -> Result<subgate_drivers::source::SourceCounters> {
        let (tx, blocks) = mpsc::sync_channel::<Block>(4);
        let reader = s.spawn(move || pump(&mut src, Some(total), tx));
        for block in blocks {
            match block {
                Block::Samples(b) => {
                    w.write_samples(&b)?;
                    written += b.len() as u64;
                }
                Block::Gap(gap) => {
                    // keep the time base: zeros where samples were lost, marked
                    let lost = gap.min(total.saturating_sub(written));
                    let mut ann = Annotation::new(written, lost);
                    ann.label = Some("gap".into());
                    ann.comment = Some(format!(
                        "{gap} samples lost by the radio (overflow), zeros written"
                    ));
                    w.annotate(ann);
                    let zeros = vec![Complex32::new(0.0, 0.0); 1 << 16];
                    let mut left = lost;
                    while left > 0 {
                        let k = left.min(zeros.len() as u64) as usize;
                        w.write_samples(&zeros[..k])?;
                        left -= k as u64;
                    }
                    written += lost;
                }
            }
            pb.set_position(written);
        }
        match reader.join() {
            Ok(r) => r,
            Err(_) => bail!("the sample reader thread panicked"),
        }
    })?;
    pb.finish_and_clear();
    let done = w.finish()?;
    println!(
        "recorded {} samples at {} samples/s ({:.3} s) around {} MHz to {}; {} overflows, {} samples lost",
        done.samples,
        rate,
        done.samples as f64 / rate,
        centre / 1e6,
        done.data_path.display(),
        summary.overflows,
        summary.dropped
    );
    Ok(())
}
