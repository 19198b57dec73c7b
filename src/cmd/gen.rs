//! `subgate gen`: frames through the channel model into a SigMF recording.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use subgate_drivers::{Annotation, Datatype, Writer};
use subgate_dsp::channel::Multipath;
use subgate_dsp::crc::append_fcs;
use subgate_dsp::rng::Rng;
use subgate_dsp::scene::{normalise_peak, render, SceneFrame};
use subgate_dsp::tx::Transmitter;
use subgate_dsp::{Format, Gi, Mcs, TxRequest};

/// Options of `subgate gen`.
#[derive(Args, Debug)]
pub struct GenArgs {
    /// Output recording (base path; .sigmf-meta and .sigmf-data are written beside it).
    #[arg(short, long)]
    pub(super) output: PathBuf,
    /// PPDU format: 1m (S1G_1M, 1 MHz) or 2m (S1G_SHORT, 2 MHz).
    #[arg(long, default_value = "1m")]
    pub(super) format: Format,
    /// MCS: 0-7 or 10 at 1 MHz, 0-8 at 2 MHz.
    #[arg(long, default_value = "0")]
    pub(super) mcs: Mcs,
    /// Guard interval of the data symbols: long or short.
    #[arg(long, default_value = "long")]
    pub(super) gi: Gi,
    /// PSDU length in bytes, including a 24-byte 802.11 data header and the 4-byte FCS.
    #[arg(long, default_value_t = 100)]
    pub(super) length: usize,
    /// Number of frames.
    #[arg(long, default_value_t = 10)]
    pub(super) count: usize,
    /// Silence between frames, µs.
    #[arg(long, default_value_t = 1000.0, allow_hyphen_values = true)]
    pub(super) spacing_us: f64,
    /// SNR of every frame in the format's bandwidth, dB.
    #[arg(long, default_value_t = 20.0, allow_hyphen_values = true)]
    pub(super) snr: f64,
    /// Carrier frequency offset, Hz.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub(super) cfo_hz: f64,
    /// Sample-clock offset, ppm.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub(super) sco_ppm: f64,
    /// Multipath: none, b or d (TGn models with delays ×10).
    #[arg(long, default_value = "none")]
    pub(super) multipath: Multipath,
    /// Output sample rate, samples/s (default: the format's native rate).
    #[arg(long)]
    pub(super) rate: Option<f64>,
    /// Sample format of the data file: cf32_le, ci16_le or ci8.
    #[arg(long, default_value = "cf32_le")]
    pub(super) datatype: String,
    /// Centre frequency written into the metadata, Hz (default 915 MHz; with --band the
    /// middle of the band's channels).
    #[arg(long)]
    pub(super) center_freq: Option<f64>,
    /// Frames on every channel of this band plan (`subgate bands` lists them): --count
    /// frames per channel, 1 MHz channels with --format 1m, 2 MHz with 2m, at a rate that
    /// carries them all (default: their span, e.g. 26 Msps for us).
    #[arg(long, value_name = "BAND")]
    pub(super) band: Option<String>,
    /// With --band: successive frames take their MCS from this list (default: --mcs).
    #[arg(long, value_delimiter = ',', value_name = "MCS,...")]
    pub(super) mcs_mix: Vec<Mcs>,
    /// Each frame's SNR is drawn uniformly from [--snr, --snr + --snr-spread] dB.
    #[arg(long, default_value_t = 0.0)]
    pub(super) snr_spread: f64,
    /// Seed of payloads, noise and channels.
    #[arg(long, default_value_t = 1)]
    pub(super) seed: u64,
}

/// A minimal 802.11 data frame header (FC data, ToDS, three addresses, sequence number), so
/// recordings and pcaps show real MAC frames.
pub fn data_header(seq: u16) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0] = 0x08; // type data, subtype 0
    h[1] = 0x01; // to DS
    h[4..10].copy_from_slice(&[0x02, 0x00, 0x00, 0x00, 0x00, 0x01]); // BSSID / AP
    h[10..16].copy_from_slice(&[0x02, 0x00, 0x00, 0x00, 0x10, 0x01]); // meter
    h[16..22].copy_from_slice(&[0x02, 0x00, 0x00, 0x00, 0x00, 0x02]); // destination
    h[22..24].copy_from_slice(&(seq << 4).to_le_bytes());
    h
}

pub fn run(a: GenArgs) -> Result<()> {
    let datatype = check(&a)?;
    if let Some(band) = a.band.clone() {
        return super::gen_band::run(a, &band, datatype);
    }
    let fs = a.format.sample_rate();
    let rate = a.rate.unwrap_or(fs);
    if !(rate.is_finite() && rate >= fs && rate <= 100e6) {
        bail!("--rate {rate} must be between the format's {fs} samples/s and 100 Msps");
    }
    let mut rng = Rng::new(a.seed);
    let mut frames = Vec::with_capacity(a.count);
    let gap = (a.spacing_us * 1e-6 * rate).round().max(0.0) as usize;
    let mut at = gap.max(200);
    for i in 0..a.count {
        let req = request(&a, i, a.mcs, &mut rng)?;
        let n = Transmitter::ppdu_len(&req).map_err(anyhow::Error::msg)?;
        let n_out = (n as f64 * rate / fs).ceil() as usize;
        frames.push(SceneFrame {
            req,
            start: at,
            snr_db: a.snr + rng.uniform() * a.snr_spread,
            cfo_hz: a.cfo_hz,
            sco_ppm: a.sco_ppm,
            multipath: a.multipath,
            delay_frac: rng.uniform(),
            seed: a.seed.wrapping_mul(31).wrapping_add(i as u64),
        });
        at += n_out + gap;
    }
    let desc = format!(
        "subgate gen: {} x {} {} {}B, SNR {} dB, CFO {} Hz, SCO {} ppm, multipath {}",
        a.count, a.format, a.mcs, a.length, a.snr, a.cfo_hz, a.sco_ppm, a.multipath
    );
    let labels: Vec<(String, Option<(f64, f64)>)> = frames
        .iter()
        .map(|f| {
            let label = format!("tx {} {} {}B", f.req.format, f.req.mcs, f.req.psdu.len());
            (label, None)
        })
        .collect();
    let centre = a.center_freq.unwrap_or(915e6);
    write_scene(
        &a,
        datatype,
        &frames,
        at + 200,
        rate,
        centre,
        &desc,
        &labels,
    )
}

/// Checks the options both modes share; returns the data file's sample format.
fn check(a: &GenArgs) -> Result<Datatype> {
    let datatype = Datatype::from_sigmf(&a.datatype).with_context(|| {
        format!(
            "unknown --datatype {:?}: use cf32_le, ci16_le or ci8",
            a.datatype
        )
    })?;
    for mcs in std::iter::once(&a.mcs).chain(&a.mcs_mix) {
        if !a.format.supports(*mcs) {
            bail!(
                "{} is not defined for {}: 1 MHz has MCS0-7 and 10, 2 MHz has MCS0-8",
                mcs,
                a.format
            );
        }
        let max = a.format.max_psdu_len(*mcs);
        if a.length > max {
            bail!(
                "--length {} is too long: {} {} carries at most {max} bytes",
                a.length,
                a.format,
                mcs
            );
        }
    }
    if !(a.spacing_us.is_finite() && (0.0..=10e6).contains(&a.spacing_us)) {
        bail!(
            "--spacing-us {} must be between 0 and 10 000 000 (10 s)",
            a.spacing_us
        );
    }
    if a.length < 28 {
        bail!(
            "--length {} is too short: a PSDU here holds a 24-byte header and a 4-byte FCS",
            a.length
        );
    }
    let channel = subgate_dsp::channel::ChannelConfig {
        snr_db: Some(a.snr),
        cfo_hz: a.cfo_hz,
        sco_ppm: a.sco_ppm,
        multipath: a.multipath,
        ..Default::default()
    };
    channel
        .validate()
        .map_err(|e| anyhow::anyhow!("--snr/--cfo-hz/--sco-ppm: {e}"))?;
    if !(-50.0..=100.0).contains(&a.snr) {
        bail!("--snr {} dB is outside -50..100 dB", a.snr);
    }
    if !(a.snr_spread.is_finite() && (0.0..=100.0).contains(&a.snr_spread)) {
        bail!("--snr-spread {} dB must be between 0 and 100", a.snr_spread);
    }
    Ok(datatype)
}

/// Frame `i`'s request: a data header with sequence number `i`, a random body, the FCS.
pub(super) fn request(a: &GenArgs, i: usize, mcs: Mcs, rng: &mut Rng) -> Result<TxRequest> {
    let mut psdu = data_header(i as u16).to_vec();
    let mut body = vec![0u8; a.length - 28];
    rng.fill_bytes(&mut body);
    psdu.extend_from_slice(&body);
    append_fcs(&mut psdu);
    let mut req = TxRequest::new(psdu, a.format, mcs);
    req.gi = a.gi;
    Ok(req)
}

/// Renders `frames` into `total` samples at `rate`, writes the recording with one
/// ground-truth annotation per frame (`labels`: text and optional frequency edges, Hz).
#[allow(clippy::too_many_arguments)]
pub(super) fn write_scene(
    a: &GenArgs,
    datatype: Datatype,
    frames: &[SceneFrame],
    total: usize,
    rate: f64,
    centre_hz: f64,
    desc: &str,
    labels: &[(String, Option<(f64, f64)>)],
) -> Result<()> {
    if total > 1 << 30 {
        bail!("{total} samples would not fit in memory: use fewer frames, less spacing or a lower rate");
    }
    let (mut samples, truth) =
        render(frames, total, rate, a.seed ^ 0x5EED).map_err(anyhow::Error::msg)?;
    // Keep every datatype inside full scale (|x| ≤ 1), with the strongest component at 0.9.
    normalise_peak(&mut samples, 0.9);
    let mut w = Writer::create(&a.output, datatype, rate, Some(centre_hz), desc)
        .with_context(|| format!("creating {}", a.output.display()))?;
    let pb = super::progress(samples.len() as u64, "writing");
    for chunk in samples.chunks(1 << 16) {
        w.write(chunk)?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    for (t, (label, edges)) in truth.iter().zip(labels) {
        let mut ann = Annotation::new(t.start as u64, t.len as u64);
        ann.label = Some(label.clone());
        ann.comment = Some("transmitted (ground truth)".into());
        if let Some((lo, hi)) = edges {
            ann.freq_lower_edge = Some(*lo);
            ann.freq_upper_edge = Some(*hi);
        }
        w.annotate(ann);
    }
    let summary = w.finish()?;
    println!(
        "wrote {} frames, {} samples at {} samples/s ({:.3} s) to {}",
        frames.len(),
        summary.samples,
        rate,
        summary.samples as f64 / rate,
        summary.data_path.display()
    );
    if summary.clipped > 0 {
        println!("warning: {} samples clipped", summary.clipped);
    }
    Ok(())
}
