//! `subgate tx`: a recording sent out through a SoapySDR radio's transmitter (cargo feature
//! `soapy`), at the recording's rate and centre frequency.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Options of `subgate tx`.
#[derive(Args, Debug)]
pub struct TxArgs {
    /// The recording to send: base path, .sigmf-meta or .sigmf-data.
    recording: PathBuf,
    /// SoapySDR device string of the transmitting radio, e.g. `driver=hackrf`.
    #[arg(long)]
    device: String,
    /// Transmit gain, dB (default: the device's).
    #[arg(long, allow_hyphen_values = true)]
    gain: Option<f64>,
    /// Centre frequency, Hz (default: the recording's core:frequency).
    #[arg(long)]
    center_freq: Option<f64>,
}

#[cfg(not(feature = "soapy"))]
pub fn run(a: TxArgs) -> Result<()> {
    Err(super::rx_band::no_soapy(&a.device))
}

#[cfg(feature = "soapy")]
pub fn run(a: TxArgs) -> Result<()> {
    use subgate_drivers::soapy::{SoapyConfig, SoapySink};
    use subgate_drivers::source::{RecordingSource, Sink, Source, SourceRead};
    use subgate_drivers::Recording;
    use subgate_dsp::Complex32;

    let rec = Recording::open(&a.recording)?;
    let rate = rec.sample_rate();
    let centre = super::rx_band::recording_centre(&rec, a.center_freq)?;
    let total = rec.len() as u64;
    let mut cfg = SoapyConfig::new(&a.device, rate, centre);
    cfg.gain_db = a.gain;
    let mut sink = SoapySink::open(&cfg)?;
    let mut src = RecordingSource::new(rec);
    let pb = super::progress(total, "sending");
    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    loop {
        match src.read(&mut buf)? {
            SourceRead::Samples { n, .. } => {
                sink.write_samples(&buf[..n])?;
                pb.inc(n as u64);
            }
            SourceRead::End => break,
            SourceRead::Timeout | SourceRead::Overflow => {}
        }
    }
    pb.finish_and_clear();
    let sent = sink.finish()?;
    println!(
        "sent {sent} samples at {rate} samples/s ({:.3} s) around {} MHz through {:?}",
        sent as f64 / rate,
        centre / 1e6,
        a.device
    );
    Ok(())
}
