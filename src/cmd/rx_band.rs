//! `subgate rx --band`: every channel of a band plan decoded at once by the channelizer and
//! one receiver per channel, from a wideband recording or (with cargo feature `soapy`) live
//! from a SoapySDR radio.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use subgate_boards::band::{self, BandPlan, PlanChannel, Widths};
use subgate_drivers::source::{RecordingSource, Source, SourceCounters, SourceRead};
use subgate_drivers::{annotation_for_frame, Annotation, PcapWriter, Recording};
use subgate_dsp::wideband::{WidebandConfig, WidebandReceiver, WidebandStats};
use subgate_dsp::{Complex32, RxFrame};

/// Where the wideband stream comes from.
pub enum Input<'a> {
    /// A SigMF recording.
    Recording(&'a Path),
    /// A SoapySDR device string.
    Device(&'a str),
}

/// Options `rx` passes on in band mode.
pub struct BandRx<'a> {
    /// The stream.
    pub input: Input<'a>,
    /// Band plan name.
    pub band: &'a str,
    /// Channel widths to decode.
    pub widths: Widths,
    /// Centre frequency: the recording's when it does not say (or to override it); the
    /// frequency to tune a radio to.
    pub center_freq: Option<f64>,
    /// A radio's sample rate (default: what its coverage of the band needs).
    #[cfg_attr(not(feature = "soapy"), allow(dead_code))]
    pub rate: Option<f64>,
    /// A radio's gain, dB (default: automatic).
    #[cfg_attr(not(feature = "soapy"), allow(dead_code))]
    pub gain: Option<f64>,
    /// Stop after this many seconds of samples.
    pub seconds: Option<f64>,
    /// Detection threshold.
    pub threshold: f32,
    /// pcap output.
    pub pcap: Option<&'a Path>,
    /// Add the decoded frames to the recording's metadata as SigMF annotations (with the
    /// channel's band edges).
    pub annotate: bool,
}

/// Wideband samples per block handed from the reader to the receiver.
pub const BLOCK: usize = 1 << 18;
/// Blocks the reader may run ahead (the bounded queue between them).
const QUEUE: usize = 4;

/// What the reader thread hands the receiver.
pub enum Block {
    /// Samples.
    Samples(Vec<Complex32>),
    /// Samples lost by the source (the receiver is fed zeros to keep its time base).
    Gap(u64),
}

/// The `--widths` option's values (`1`, `2`, `both`) as band-plan widths.
pub fn widths(arg: &str) -> Widths {
    match arg {
        "2" => Widths::Two,
        "both" => Widths::Both,
        _ => Widths::One,
    }
}

/// The centre frequency of a recording: `given`, else its `core:frequency`.
pub fn recording_centre(rec: &Recording, given: Option<f64>) -> Result<f64> {
    match given.or(rec.center_frequency()) {
        Some(f) => Ok(f),
        None => bail!(
            "{} has no core:frequency in its captures: pass --center-freq (Hz)",
            rec.meta_path().display()
        ),
    }
}

/// The error a build without the `soapy` feature gives for a device string.
#[cfg(not(feature = "soapy"))]
pub fn no_soapy(device: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "this subgate was built without SoapySDR support, so --device {device:?} cannot be opened: rebuild with `cargo build --release --features soapy` (needs the Debian package libsoapysdr-dev)"
    )
}

/// The channels of `plan` that lie wholly in `span_hz` around `centre` (a stream's band,
/// or the flat part of a radio's); an error naming the span when none does, a note on
/// stderr naming those left out.
pub fn carried(
    plan: &BandPlan,
    widths: Widths,
    centre: f64,
    span_hz: f64,
    what: &str,
) -> Result<Vec<PlanChannel>> {
    let all = plan.channels(widths);
    if all.is_empty() {
        bail!(
            "the {} band plan has no channels of the widths asked for",
            plan.name
        );
    }
    let (inside, outside) = band::split_by_stream(&all, centre, span_hz);
    if inside.is_empty() {
        bail!(
            "{what} ({:.3}-{:.3} MHz around {} MHz) carries no whole channel of the {} band ({}-{} MHz): wrong band, or wrong centre frequency?",
            (centre - span_hz / 2.0) / 1e6,
            (centre + span_hz / 2.0) / 1e6,
            centre / 1e6,
            plan.name,
            plan.low_mhz,
            plan.high_mhz
        );
    }
    if !outside.is_empty() {
        let names: Vec<String> = outside.iter().map(|c| c.number.to_string()).collect();
        eprintln!(
            "note: {} of the {} band's {} channels lie outside {what} and are not received: {}",
            outside.len(),
            plan.name,
            all.len(),
            names.join(", ")
        );
    }
    Ok(inside)
}

pub fn run(o: BandRx) -> Result<()> {
    let plan = super::bands::plan_named(o.band)?;
    match o.input {
        Input::Recording(path) => {
            let rec = Recording::open(path)?;
            let rate = rec.sample_rate();
            let centre = recording_centre(&rec, o.center_freq)?;
            let what = format!("the recording ({} Msps)", rate / 1e6);
            let channels = carried(&plan, o.widths, centre, rate, &what)?;
            let limit = o.seconds.map(|s| (s * rate) as u64);
            let len = rec.len() as u64;
            let expected = limit.unwrap_or(u64::MAX).min(len);
            let meta = rec.meta_path().to_path_buf();
            let source = Box::new(RecordingSource::new(rec));
            let mut anns = receive(&o, &plan, &channels, centre, expected, limit, source)?;
            if o.annotate {
                // a frame decoded into the zeros that flush the bank ends with the data
                for a in &mut anns {
                    a.sample_count = a.sample_count.min(len.saturating_sub(a.sample_start));
                }
                let n = anns.len();
                Recording::append_annotations(&meta, anns)?;
                println!("annotated {n} frames in {}", meta.display());
            }
            Ok(())
        }
        Input::Device(device) => super::rx_radio::run(&o, &plan, device),
    }
}

/// Reads `source` into blocks of [`BLOCK`] samples sent to `tx`, until it ends, `limit`
/// samples have come, the receiving side hangs up, or it has sent nothing for a second
/// (a radio that stopped, a replay that ended). Lost stretches go as [`Block::Gap`].
pub fn pump(
    source: &mut dyn Source,
    limit: Option<u64>,
    tx: mpsc::SyncSender<Block>,
) -> Result<SourceCounters> {
    let mut sent = 0u64;
    let mut block = vec![Complex32::new(0.0, 0.0); BLOCK];
    let mut filled = 0usize;
    let mut last_samples = Instant::now();
    let flush = |block: &[Complex32], filled: &mut usize| -> bool {
        let ok = *filled == 0 || tx.send(Block::Samples(block[..*filled].to_vec())).is_ok();
        *filled = 0;
        ok
    };
    loop {
        let room = match limit {
            Some(l) if sent >= l => break,
            Some(l) => (BLOCK - filled).min((l - sent) as usize),
            None => BLOCK - filled,
        };
        match source.read(&mut block[filled..filled + room])? {
            SourceRead::Samples { n, gap } => {
                last_samples = Instant::now();
                if gap > 0 {
                    // the lost stretch came before these samples
                    let fresh = block[filled..filled + n].to_vec();
                    if !flush(&block, &mut filled) || tx.send(Block::Gap(gap)).is_err() {
                        break;
                    }
                    block[..n].copy_from_slice(&fresh);
                }
                filled += n;
                sent += n as u64;
                if filled == BLOCK && !flush(&block, &mut filled) {
                    break;
                }
            }
            SourceRead::Timeout => {
                if last_samples.elapsed() >= Duration::from_secs(1) {
                    eprintln!("note: no samples for 1 s: stopping");
                    break;
                }
            }
            SourceRead::Overflow => {}
            SourceRead::End => break,
        }
    }
    flush(&block, &mut filled);
    Ok(source.counters())
}

/// Runs the receiver over `source`, read on its own thread (at most `QUEUE` blocks
/// ahead), printing frames as they come and the counters at the end; returns the frames'
/// SigMF annotations when `o.annotate` asks for them.
pub fn receive(
    o: &BandRx,
    plan: &BandPlan,
    channels: &[PlanChannel],
    centre: f64,
    expected: u64,
    limit: Option<u64>,
    mut source: Box<dyn Source>,
) -> Result<Vec<Annotation>> {
    let rate = source.sample_rate();
    let list = channels.iter().map(|c| c.to_band_channel(centre)).collect();
    let mut cfg = WidebandConfig::new(rate, list);
    cfg.threshold = o.threshold;
    let mut rx = WidebandReceiver::new(cfg).with_context(|| {
        format!(
            "{} Msps cannot be split into the band's channels (the rate must be a whole multiple of 1 MHz, and of 2 MHz for 2 MHz channels)",
            rate / 1e6
        )
    })?;
    let mut pcap = match o.pcap {
        Some(p) => {
            Some(PcapWriter::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => None,
    };
    tracing::info!(
        rate,
        centre,
        channels = channels.len(),
        "receiving the {} band",
        plan.name
    );
    println!(
        "{:>5} {:>12} {:>10} {:>4} {:>9} {:<14} {:>4} {:>5} {:>9} {:>7} {:>8}",
        "#",
        "sample",
        "time s",
        "ch",
        "MHz",
        "format",
        "MCS",
        "bytes",
        "RSSI dBFS",
        "SNR dB",
        "CFO Hz"
    );
    let pb = super::progress(expected, "receiving");
    let mut shown = 0usize;
    let mut frames = Vec::new();
    let mut anns = Vec::new();
    let mut show = |frames: &mut Vec<RxFrame>,
                    pcap: &mut Option<PcapWriter<std::io::BufWriter<std::fs::File>>>|
     -> Result<()> {
        for f in frames.drain(..) {
            let n = &f.info;
            println!(
                "{:>5} {:>12} {:>10.6} {:>4} {:>9.1} {:<14} {:>4} {:>5} {:>9.1} {:>7.1} {:>8.0}",
                shown,
                n.sample_index,
                n.time_s,
                n.channel,
                plan.centre_hz(n.channel) / 1e6,
                n.format.to_string(),
                n.mcs.0,
                n.length,
                n.rssi_dbfs,
                n.snr_db,
                n.cfo_hz
            );
            if let Some(w) = pcap.as_mut() {
                w.write_frame(n.time_s, &f.psdu, n)?;
            }
            if o.annotate {
                anns.push(annotation_for_frame(
                    &f,
                    rate,
                    Some(plan.centre_hz(n.channel)),
                ));
            }
            shown += 1;
        }
        Ok(())
    };
    let summary = std::thread::scope(|s| -> Result<SourceCounters> {
        let (tx, blocks) = mpsc::sync_channel::<Block>(QUEUE);
        let reader = s.spawn(move || pump(source.as_mut(), limit, tx));
        for block in blocks {
            match block {
                Block::Samples(b) => {
                    rx.process(&b, &mut frames);
                    pb.inc(b.len() as u64);
                }
                Block::Gap(n) => {
                    // zeros keep every later frame at its true time; a gap's frames are lost
                    let zeros = vec![Complex32::new(0.0, 0.0); BLOCK];
                    let mut left = n;
                    while left > 0 {
                        let k = left.min(BLOCK as u64) as usize;
                        rx.process(&zeros[..k], &mut frames);
                        left -= k as u64;
                    }
                }
            }
            show(&mut frames, &mut pcap)?;
        }
        match reader.join() {
            Ok(r) => r,
            Err(_) => bail!("the sample reader thread panicked"),
        }
    })?;
    pb.finish_and_clear();
    let stats = rx.finish(&mut frames);
    show(&mut frames, &mut pcap)?;
    print_stats(&stats, |n| plan.centre_hz(n) / 1e6);
    if summary.overflows + summary.dropped + summary.timeouts > 0 {
        println!(
            "source: {} overflows, {} samples dropped, {} reads timed out",
            summary.overflows, summary.dropped, summary.timeouts
        );
    }
    if let (Some(w), Some(path)) = (pcap, o.pcap) {
        w.finish()?;
        println!("wrote {shown} frames to {}", path.display());
    }
    Ok(anns)
}

/// The per-channel counters as a table.
pub fn print_stats(stats: &WidebandStats, mhz: impl Fn(u16) -> f64) {
    println!(
        "\n{} frames on {} channels from {} samples",
        stats.frames,
        stats.channels.len(),
        stats.samples
    );
    println!(
        "{:>4} {:>9} {:<14} {:>7} {:>10} {:>8} {:>8} {:>6} {:>6}",
        "ch", "MHz", "format", "frames", "detections", "sync err", "SIG err", "FCS err", "trunc"
    );
    for c in &stats.channels {
        let r = &c.rx;
        println!(
            "{:>4} {:>9.1} {:<14} {:>7} {:>10} {:>8} {:>8} {:>6} {:>6}",
            c.channel.number,
            mhz(c.channel.number),
            c.channel.format.to_string(),
            r.frames,
            r.detections,
            r.sync_failures,
            r.sig_crc_errors + r.sig_unsupported,
            r.fcs_errors,
            r.truncated
        );
    }
}
