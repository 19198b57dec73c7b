//! `subgate rx --band`: every channel of a band plan in a wideband recording, decoded at
//! once by the channelizer and one receiver per channel.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::sync::mpsc;
use subgate_boards::band::{self, Widths};
use subgate_drivers::{PcapWriter, Recording};
use subgate_dsp::wideband::{WidebandConfig, WidebandReceiver, WidebandStats};
use subgate_dsp::{Complex32, RxFrame};

/// Options `rx` passes on in band mode.
pub struct BandRx<'a> {
    /// The recording.
    pub recording: &'a Path,
    /// Band plan name.
    pub band: &'a str,
    /// Channel widths to decode.
    pub widths: Widths,
    /// Centre frequency when the recording does not say, or to override it.
    pub center_freq: Option<f64>,
    /// Detection threshold.
    pub threshold: f32,
    /// pcap output.
    pub pcap: Option<&'a Path>,
}

/// Wideband samples per block handed from the reader to the receiver.
const BLOCK: usize = 1 << 18;
/// Blocks the reader may run ahead (the bounded queue between them).
const QUEUE: usize = 4;

pub fn run(o: BandRx) -> Result<()> {
    let plan = band::find(o.band)?
        .with_context(|| format!("unknown band {:?}: see subgate bands", o.band))?;
    let rec = Recording::open(o.recording)?;
    let rate = rec.sample_rate();
    let centre = match (o.center_freq, rec.center_frequency()) {
        (Some(f), _) | (None, Some(f)) => f,
        (None, None) => bail!(
            "{} has no core:frequency in its captures: pass --center-freq (Hz)",
            rec.meta_path().display()
        ),
    };
    let all = plan.channels(o.widths);
    if all.is_empty() {
        bail!(
            "the {} band plan has no channels of the widths asked for",
            plan.name
        );
    }
    let (inside, outside) = band::split_by_stream(&all, centre, rate);
    if inside.is_empty() {
        bail!(
            "the recording ({} Msps at {} MHz, {:.3}-{:.3} MHz) carries no whole channel of the {} band ({}-{} MHz): wrong band, or wrong centre frequency?",
            rate / 1e6,
            centre / 1e6,
            (centre - rate / 2.0) / 1e6,
            (centre + rate / 2.0) / 1e6,
            plan.name,
            plan.low_mhz,
            plan.high_mhz
        );
    }
    if !outside.is_empty() {
        let names: Vec<String> = outside.iter().map(|c| c.number.to_string()).collect();
        eprintln!(
            "note: {} of {} channels lie outside the recording's {} MHz and are not decoded: {}",
            outside.len(),
            all.len(),
            rate / 1e6,
            names.join(", ")
        );
    }
    let channels = inside.iter().map(|c| c.to_band_channel(centre)).collect();
    let mut cfg = WidebandConfig::new(rate, channels);
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
        recording = %rec.data_path().display(),
        rate,
        centre,
        channels = inside.len(),
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
    let pb = super::progress(rec.len() as u64, "receiving");
    let mut shown = 0usize;
    let mut frames = Vec::new();
    let mut show = |frames: &mut Vec<RxFrame>,
                    pcap: &mut Option<PcapWriter<std::io::BufWriter<std::fs::File>>>|
     -> Result<()> {
        for f in frames.drain(..) {
            let n = &f.info;
            let mhz = plan.centre_hz(n.channel) / 1e6;
            println!(
                "{:>5} {:>12} {:>10.6} {:>4} {:>9.1} {:<14} {:>4} {:>5} {:>9.1} {:>7.1} {:>8.0}",
                shown,
                n.sample_index,
                n.time_s,
                n.channel,
                mhz,
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
            shown += 1;
        }
        Ok(())
    };
    // the reader runs ahead by at most QUEUE blocks (back-pressure), on its own thread
    std::thread::scope(|s| -> Result<()> {
        let (tx, rx_blocks) = mpsc::sync_channel::<Vec<Complex32>>(QUEUE);
        let rec = &rec;
        s.spawn(move || {
            let mut reader = rec.reader();
            loop {
                let mut block = vec![Complex32::new(0.0, 0.0); BLOCK];
                let n = reader.next_block(&mut block);
                if n == 0 {
                    break;
                }
                block.truncate(n);
                if tx.send(block).is_err() {
                    break;
                }
            }
        });
        for block in rx_blocks {
            rx.process(&block, &mut frames);
            show(&mut frames, &mut pcap)?;
            pb.inc(block.len() as u64);
        }
        Ok(())
    })?;
    pb.finish_and_clear();
    let stats = rx.finish(&mut frames);
    show(&mut frames, &mut pcap)?;
    print_stats(&stats, |n| plan.centre_hz(n) / 1e6);
    if let (Some(w), Some(path)) = (pcap, o.pcap) {
        w.finish()?;
        println!("wrote {shown} frames to {}", path.display());
    }
    Ok(())
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
