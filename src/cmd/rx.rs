//! `subgate rx`: receive a SigMF recording.

use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use subgate_drivers::{annotation_for_frame, PcapWriter, Recording};
use subgate_dsp::resample::Resampler;
use subgate_dsp::rx::{Receiver, ReceiverConfig};
use subgate_dsp::{Complex32, Format, RxFrame};

/// Options of `subgate rx`.
#[derive(Args, Debug)]
pub struct RxArgs {
    /// The recording: base path, .sigmf-meta or .sigmf-data (or --device instead).
    #[arg(required_unless_present = "device")]
    recording: Option<PathBuf>,
    /// Receive live from a SoapySDR radio instead of a recording (needs --band and a
    /// subgate built with `--features soapy`): the device string as SoapySDR takes it,
    /// e.g. `driver=hackrf` or `driver=uhd,type=b200`. The radio's rate, centre frequency
    /// and filter come from its coverage of the band (`subgate radios`).
    #[arg(long, requires = "band", conflicts_with = "recording")]
    device: Option<String>,
    /// PPDU format on the recorded channel: 1m or 2m.
    #[arg(long, default_value = "1m")]
    format: Format,
    /// Write the decoded frames to this pcap (radiotap + 802.11, opens in Wireshark).
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Add the decoded frames to the recording's metadata as SigMF annotations.
    #[arg(long)]
    annotate: bool,
    /// Normalised detection threshold (0..1).
    #[arg(long, default_value_t = 0.3, allow_hyphen_values = true)]
    threshold: f32,
    /// Decode every channel of this band plan that the recording carries (`subgate bands`
    /// lists them), each on its own receiver after a polyphase channelizer; the recording's
    /// rate must be a whole multiple of 1 MHz (2 MHz with 2 MHz channels).
    #[arg(long, value_name = "BAND")]
    band: Option<String>,
    /// With --band: which channel widths to decode: 1, 2 or both.
    #[arg(long, default_value = "1", value_parser = ["1", "2", "both"])]
    widths: String,
    /// With --band: the recording's centre frequency (default: its core:frequency), or the
    /// frequency to tune the radio to, Hz.
    #[arg(long)]
    center_freq: Option<f64>,
    /// With --device: sample rate, samples/s (default: what the radio needs for the band).
    #[arg(long)]
    rate: Option<f64>,
    /// With --device: gain, dB (default: automatic where the radio has it).
    #[arg(long, allow_hyphen_values = true)]
    gain: Option<f64>,
    /// With --band: stop after this many seconds of samples.
    #[arg(long)]
    seconds: Option<f64>,
}

const BLOCK: usize = 1 << 16;

pub fn run(a: RxArgs) -> Result<()> {
    if !(a.threshold > 0.0 && a.threshold < 1.0) {
        anyhow::bail!(
            "--threshold {} must be between 0 and 1 (exclusive)",
            a.threshold
        );
    }
    if let Some(band) = &a.band {
        if a.annotate && a.device.is_some() {
            anyhow::bail!(
                "--annotate adds to a recording's metadata: it needs a recording, not --device"
            );
        }
        let widths = super::rx_band::widths(&a.widths);
        if let Some(s) = a.seconds {
            if !(s.is_finite() && s > 0.0) {
                anyhow::bail!("--seconds {s} must be positive");
            }
        }
        let input = match (&a.device, &a.recording) {
            (Some(d), _) => super::rx_band::Input::Device(d),
            (None, Some(r)) => super::rx_band::Input::Recording(r),
            (None, None) => anyhow::bail!("give a recording or --device"),
        };
        return super::rx_band::run(super::rx_band::BandRx {
            input,
            band,
            widths,
            center_freq: a.center_freq,
            rate: a.rate,
            gain: a.gain,
            seconds: a.seconds,
            threshold: a.threshold,
            pcap: a.pcap.as_deref(),
            annotate: a.annotate,
        });
    }
    if a.device.is_some() || a.rate.is_some() || a.gain.is_some() || a.seconds.is_some() {
        anyhow::bail!("--device, --rate, --gain and --seconds go with --band");
    }
    let Some(recording) = a.recording.clone() else {
        anyhow::bail!("give a recording to receive");
    };
    let rec = Recording::open(&recording)?;
    let fs = a.format.sample_rate();
    rec.check_rate(fs)?;
    // open the pcap first, so a bad path fails before a long decode
    let mut pcap = match &a.pcap {
        Some(path) => {
            Some(PcapWriter::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => None,
    };
    let rate = rec.sample_rate();
    tracing::info!(
        recording = %rec.data_path().display(),
        datatype = rec.datatype().sigmf_name(),
        rate,
        samples = rec.len(),
        "receiving {} at {} Msps{}",
        a.format,
        fs / 1e6,
        if (rate - fs).abs() > 1e-6 { " (resampled)" } else { "" }
    );
    let mut cfg = ReceiverConfig::new(a.format);
    cfg.threshold = a.threshold;
    let mut rx = Receiver::new(cfg);
    let mut resampler = ((rate - fs).abs() > 1e-6).then(|| Resampler::new(rate, fs, 0.0));
    let mut reader = rec.reader();
    let mut block = vec![Complex32::new(0.0, 0.0); BLOCK];
    let mut native = Vec::with_capacity(BLOCK);
    let mut frames: Vec<RxFrame> = Vec::new();
    let pb = super::progress(rec.len() as u64, "receiving");
    loop {
        let n = reader.next_block(&mut block);
        if n == 0 {
            break;
        }
        let input: &[Complex32] = match &mut resampler {
            Some(r) => {
                native.clear();
                r.process(&block[..n], &mut native);
                &native
            }
            None => &block[..n],
        };
        rx.process(input, &mut frames);
        pb.inc(n as u64);
    }
    pb.finish_and_clear();
    let stats = rx.finish();
    tracing::info!(?stats, "receiver finished");
    // sample indices back in the recording's own rate
    let scale = rate / fs;
    for f in &mut frames {
        f.info.sample_index = (f.info.sample_index as f64 * scale).round() as u64;
    }
    println!(
        "{:>4} {:>11} {:>10} {:<14} {:>5} {:>5} {:>5} {:>8} {:>7} {:>9}",
        "#", "sample", "time s", "format", "MCS", "bytes", "GI", "RSSI dBFS", "SNR dB", "CFO Hz"
    );
    for (i, f) in frames.iter().enumerate() {
        let n = &f.info;
        println!(
            "{:>4} {:>11} {:>10.6} {:<14} {:>5} {:>5} {:>5} {:>8.1} {:>7.1} {:>9.0}",
            i,
            n.sample_index,
            n.time_s,
            n.format.to_string(),
            n.mcs.0,
            n.length,
            n.gi.to_string(),
            n.rssi_dbfs,
            n.snr_db,
            n.cfo_hz
        );
    }
    println!(
        "\n{} frames with good FCS; {} detections, {} SIG CRC errors, {} unsupported SIGs, {} FCS errors, {} other data errors, {} truncated at the end",
        stats.frames,
        stats.detections,
        stats.sig_crc_errors,
        stats.sig_unsupported,
        stats.fcs_errors,
        stats.data_errors,
        stats.truncated
    );
    if stats.frames == 0 && stats.detections > 0 {
        println!(
            "hint: {} detections but no frame decoded — is --format {} right for this {:.3} Msps recording?",
            stats.detections,
            a.format.name(),
            rate / 1e6
        );
    }
    if let (Some(mut w), Some(path)) = (pcap.take(), &a.pcap) {
        for f in &frames {
            w.write_frame(f.info.time_s, &f.psdu, &f.info)?;
        }
        w.finish()?;
        println!("wrote {} frames to {}", frames.len(), path.display());
    }
    if a.annotate {
        let anns = frames
            .iter()
            .map(|f| annotation_for_frame(f, rate, rec.center_frequency()))
            .collect();
        let meta = rec.meta_path().to_path_buf();
        drop(rec);
        Recording::append_annotations(&meta, anns)?;
        println!("annotated {} frames in {}", frames.len(), meta.display());
    }
    Ok(())
}
