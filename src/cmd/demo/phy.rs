//! `subgate demo --phy`: the PHY end to end — frames of every format and MCS through the
//! channel model, received in random blocks and summarised per format and MCS.

use anyhow::Result;
use std::collections::BTreeMap;
use subgate_dsp::channel::Multipath;
use subgate_dsp::crc::append_fcs;
use subgate_dsp::rng::Rng;
use subgate_dsp::rx::{Receiver, ReceiverConfig};
use subgate_dsp::scene::{render, SceneFrame};
use subgate_dsp::{Format, Gi, Mcs, TxRequest};

/// SNR (dB) comfortably above each MCS's threshold in AWGN.
fn comfortable_snr(format: Format, mcs: Mcs) -> f64 {
    let base = match mcs.0 {
        10 => 2.0,
        0 => 5.0,
        1 => 8.0,
        2 => 11.0,
        3 => 14.0,
        4 => 17.0,
        5 => 21.0,
        6 => 23.0,
        7 => 25.0,
        _ => 30.0,
    };
    base + if format == Format::S1gShort2M {
        1.0
    } else {
        0.0
    }
}

struct PhyArgs {
    frames: usize,
    seed: u64,
    multipath: Multipath,
}

#[derive(Default)]
struct Row {
    sent: usize,
    ok: usize,
    snr_err: f64,
    cfo_err: f64,
}

/// Runs `frames` frames per format (seed `seed`, multipath `multipath`).
pub fn run(frames: usize, seed: u64, multipath: Multipath) -> Result<()> {
    let a = PhyArgs {
        frames,
        seed,
        multipath,
    };
    println!(
        "subgate PHY demo: {} frames per format, mixed MCS, through the channel model",
        a.frames
    );
    println!(
        "(CFO up to ±37 kHz, ±20 ppm clocks, random timing, multipath {}, seed {})\n",
        a.multipath, a.seed
    );
    let mut rng = Rng::new(a.seed);
    let mut table: BTreeMap<(Format, Mcs), Row> = BTreeMap::new();
    let mut totals = (0usize, 0usize);
    for format in Format::ALL {
        let mcs_list: Vec<Mcs> = (0..=10).map(Mcs).filter(|m| format.supports(*m)).collect();
        let fs = format.sample_rate();
        let mut frames = Vec::with_capacity(a.frames);
        let mut at = 500usize;
        for i in 0..a.frames {
            let mcs = mcs_list[rng.below(mcs_list.len() as u64) as usize];
            let len = 24 + rng.below(400) as usize;
            let mut psdu = vec![0u8; len - 4];
            rng.fill_bytes(&mut psdu);
            append_fcs(&mut psdu);
            let mut req = TxRequest::new(psdu, format, mcs);
            if rng.uniform() < 0.3 {
                req.gi = Gi::Short;
            }
            let n = subgate_dsp::tx::Transmitter::ppdu_len(&req)?;
            let f = SceneFrame {
                req,
                start: at,
                snr_db: comfortable_snr(format, mcs) + rng.uniform() * 6.0,
                cfo_hz: (rng.uniform() * 2.0 - 1.0) * 37e3,
                sco_ppm: (rng.uniform() * 2.0 - 1.0) * 20.0,
                multipath: a.multipath,
                delay_frac: rng.uniform(),
                seed: a.seed.wrapping_mul(7919).wrapping_add(i as u64),
            };
            at += n + 100 + rng.below(2000) as usize;
            frames.push(f);
        }
        let total = at + 500;
        let (samples, truth) = render(&frames, total, fs, a.seed ^ 0xD5)?;
        // feed the receiver in blocks of random size, as a radio would
        let mut rx = Receiver::new(ReceiverConfig::new(format));
        let mut got = Vec::new();
        let pb = super::super::progress(samples.len() as u64, format.name());
        let mut pos = 0;
        while pos < samples.len() {
            let n = (1 + rng.below(20_000) as usize).min(samples.len() - pos);
            rx.process(&samples[pos..pos + n], &mut got);
            pos += n;
            pb.set_position(pos as u64);
        }
        pb.finish_and_clear();
        let stats = rx.finish();
        tracing::info!(%format, ?stats, "demo receiver finished");
        // match decoded frames to sent ones by position
        for (f, t) in frames.iter().zip(&truth) {
            let row = table.entry((format, f.req.mcs)).or_default();
            row.sent += 1;
            totals.0 += 1;
            let hit = got.iter().find(|g| {
                let s = g.info.sample_index as i64;
                (s - t.start as i64).abs() < 64 && g.psdu == f.req.psdu
            });
            if let Some(g) = hit {
                row.ok += 1;
                totals.1 += 1;
                row.snr_err += (g.info.snr_db as f64 - f.snr_db).abs();
                row.cfo_err += (g.info.cfo_hz as f64 - f.cfo_hz).abs();
            }
        }
        println!(
            "{format}: {} samples, {} detections, {} SIG errors, {} FCS errors, {} decoded",
            stats.samples, stats.detections, stats.sig_crc_errors, stats.fcs_errors, stats.frames
        );
    }
    println!(
        "\n{:<14} {:>5} {:>5} {:>8} {:>8} {:>9} {:>12}",
        "format", "MCS", "sent", "decoded", "PER", "|ΔSNR| dB", "|ΔCFO| Hz"
    );
    for ((format, mcs), r) in &table {
        let per = 1.0 - r.ok as f64 / r.sent.max(1) as f64;
        let k = r.ok.max(1) as f64;
        println!(
            "{:<14} {:>5} {:>5} {:>8} {:>7.1}% {:>9.2} {:>12.0}",
            format.to_string(),
            mcs.0,
            r.sent,
            r.ok,
            100.0 * per,
            r.snr_err / k,
            r.cfo_err / k
        );
    }
    println!(
        "\ntotal: {} of {} frames decoded ({:.1}% PER)",
        totals.1,
        totals.0,
        100.0 * (1.0 - totals.1 as f64 / totals.0.max(1) as f64)
    );
    Ok(())
}
