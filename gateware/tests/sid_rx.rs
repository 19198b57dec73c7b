//! The SID filter with its synchronisation (offset word, mixer, LTF matched filter, delay
//! line, filter) against its model (`subgate_dsp::frontend::sid_rx::run`): frames from the
//! transmitter through the channel model (offsets up to ±37 kHz, fractional timing, noise),
//! the detector model's evaluations beside the samples. Every search (start, word,
//! candidate), every SIG and every decision, in order, compared; the counters and
//! the overrun flag too. rust-hdl, Verilator (≥ 1 M samples), yosys and nextpnr.
//!
//! Tests needing verilator, yosys or nextpnr fail when the tool is missing and `CI=true`,
//! and skip with a message otherwise.

mod common;

use common::{field, require, verilator_run_raw};
use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};
use subgate_dsp::frontend::sid_match::Decision;
use subgate_dsp::frontend::sid_rx::{run, scene, scene_table, scenes_until, truth, Rx, Scene};
use subgate_dsp::rng::Rng;
use subgate_gateware::sid_rx::SidRx;

/// Samples in the Verilator run (the issue asks ≥ 1 M per block).
const VERILATOR_SAMPLES: usize = 1 << 20;

/// What the block gave.
#[derive(Debug, Default, Clone, PartialEq)]
struct Got {
    /// `(start, word, u)` per search.
    found: Vec<(u32, u32, u8)>,
    /// `(crc_ok, candidate, mcs, length)` per SIG read.
    sigs: Vec<(bool, bool, u8, u16)>,
    decisions: Vec<u8>,
    /// detections, ignored, forwarded, dropped, passed, skipped.
    counts: [u16; 6],
    overrun: bool,
}

/// Compares with the model; returns it.
fn check(sc: &Scene, got: &Got) -> Rx {
    let rx = run(&sc.fixed, &sc.det, &scene_table());
    assert!(!got.overrun, "overrun");
    let found: Vec<(u32, u32, u8)> = rx
        .reads
        .iter()
        .map(|r| (r.found.start as u32, r.found.word as u32, r.found.u))
        .collect();
    assert_eq!(got.found, found, "searches");
    let done: Vec<_> = rx.reads.iter().filter_map(|r| r.frame).collect();
    assert_eq!(
        done.len(),
        rx.reads.len(),
        "the scene ends after the last read"
    );
    let sigs: Vec<(bool, bool, u8, u16)> = done
        .iter()
        .map(|w| (w.sig.crc_ok, w.sig.candidate, w.sig.mcs, w.sig.length))
        .collect();
    assert_eq!(got.sigs, sigs, "SIGs");
    let decisions: Vec<u8> = done.iter().map(|w| w.decision as u8).collect();
    assert_eq!(got.decisions, decisions, "decisions");
    let count = |d: Decision, cand: bool| {
        done.iter()
            .filter(|w| w.decision == d && w.sig.candidate == cand)
            .count() as u16
    };
    assert_eq!(
        got.counts,
        [
            rx.detections as u16,
            rx.ignored as u16,
            count(Decision::Forward, true),
            count(Decision::Drop, true),
            count(Decision::Pass, true),
            done.iter().filter(|w| !w.sig.candidate).count() as u16,
        ],
        "counters"
    );
    rx
}

/// The frames found at their start (−3..0) and decided as they call for.
fn summary(sc: &Scene, rx: &Rx) -> String {
    let t = scene_table();
    let (mut found, mut right) = (0, 0);
    for (start, p, mcs) in &sc.frames {
        let Some(r) = rx
            .reads
            .iter()
            .find(|r| (start.saturating_sub(3)..=*start).contains(&r.found.start))
        else {
            continue;
        };
        found += 1;
        right += usize::from(r.frame.map(|f| f.decision) == Some(truth(p, *mcs, &t)));
    }
    format!(
        "{} frames, {} detections ({} ignored), {} searches; {found} frames found at their \
         start, {right} decided as they call for",
        sc.frames.len(),
        rx.detections,
        rx.ignored,
        rx.reads.len()
    )
}

/// Clocks before each sample: `spacing.0..spacing.1`.
fn gaps(n: usize, spacing: (u32, u32), seed: u64) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| spacing.0 + rng.below(u64::from(spacing.1 - spacing.0)) as u32)
        .collect()
}

#[test]
fn sid_rx_matches_model_in_rust_hdl_simulation() {
    // one frame with 500..700 samples of noise either side (the simulator is slow)
    let sc = scene(1, 9.0, 1000, 5);
    let t = scene_table();
    let gap = gaps(sc.fixed.len(), (45, 46), 6);
    let out = Arc::new(Mutex::new(Got::default()));
    let mut uut = SidRx::default();
    uut.in_valid.connect();
    uut.in_i.connect();
    uut.in_q.connect();
    uut.in_det.connect();
    uut.in_corr_re.connect();
    uut.in_corr_im.connect();
    uut.tbl_write.connect();
    uut.tbl_addr.connect();
    uut.tbl_data.connect();
    uut.tbl_valid.connect();
    uut.status_sel.connect();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<SidRx>| x.clock.next = !x.clock.val());
    let samples: Vec<_> = sc
        .fixed
        .iter()
        .zip(&sc.det)
        .zip(&gap)
        .map(|((&x, d), &g)| (x, d.detect, d.corr, g))
        .collect();
    let clocks: u64 = gap.iter().map(|&g| u64::from(g) + 1).sum::<u64>() + t.bytes.len() as u64;
    let (o, tb) = (out.clone(), t.clone());
    sim.add_testbench(move |mut sim: Sim<SidRx>| {
        let mut x = sim.init()?;
        let mut got = Got::default();
        let mut junk = Rng::new(5);
        wait_clock_true!(sim, clock, x);
        x.tbl_valid.next = Bits::<8>::from(u64::from(tb.valid));
        for (a, &b) in tb.bytes.iter().enumerate() {
            x.tbl_write.next = true;
            x.tbl_addr.next = Bits::<10>::from(a as u64);
            x.tbl_data.next = Bits::<8>::from(u64::from(b));
            wait_clock_cycle!(sim, clock, x);
        }
        x.tbl_write.next = false;
        let observe = |x: &SidRx, got: &mut Got| {
            if x.found.val() {
                // candidate and word (on `status`) are read at the end: one search here
                got.found.push((x.found_start.val().to_u64() as u32, 0, 0));
            }
            if x.sig_valid.val() {
                got.sigs.push((
                    x.sig_crc_ok.val(),
                    x.sig_candidate.val(),
                    x.sig_mcs.val().to_u64() as u8,
                    x.sig_length.val().to_u64() as u16,
                ));
            }
            if x.out_valid.val() {
                got.decisions.push(x.out_decision.val().to_u64() as u8);
            }
        };
        for &((i, q), det, (cr, ci), gap) in &samples {
            for _ in 0..gap {
                let r = junk.next_u64();
                x.in_valid.next = false;
                x.in_i.next = Signed::<16>::from((r & 0xFFFF) as i64 - 32768);
                x.in_q.next = Signed::<16>::from(((r >> 16) & 0xFFFF) as i64 - 32768);
                x.in_det.next = r >> 40 & 1 == 1;
                wait_clock_cycle!(sim, clock, x);
                observe(&x, &mut got);
            }
            x.in_valid.next = true;
            x.in_i.next = Signed::<16>::from(i64::from(i));
            x.in_q.next = Signed::<16>::from(i64::from(q));
            x.in_det.next = det;
            x.in_corr_re.next = Signed::<16>::from(i64::from(cr));
            x.in_corr_im.next = Signed::<16>::from(i64::from(ci));
            wait_clock_cycle!(sim, clock, x);
            observe(&x, &mut got);
        }
        x.in_valid.next = false;
        for k in 0..8 {
            x.status_sel.next = Bits::<3>::from(k as u64);
            wait_clock_cycle!(sim, clock, x);
            let v = x.status.val().to_u64() as u32;
            match (k, got.found.last_mut()) {
                (0..=5, _) => got.counts[k] = v as u16,
                (6, Some(f)) => f.2 = v as u8,
                (7, Some(f)) => f.1 = v,
                _ => {}
            }
        }
        got.overrun = x.overrun.val();
        if let Ok(mut o) = o.lock() {
            *o = got;
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 10 * clocks + 1000).unwrap();
    let got = out.lock().unwrap().clone();
    let rx = check(&sc, &got);
    assert!(!rx.reads.is_empty(), "the frame is found");
    println!(
        "rust-hdl: {} samples ({clocks} clocks): {}; every search, SIG and decision as the model's",
        sc.fixed.len(),
        summary(&sc, &rx)
    );
}

/// The Verilator testbench ([`common::sid_tb_cpp`]). Writes `f start word u` per search
/// (candidate and word read through `status_sel`), `g crc cand mcs len` per SIG, `d
/// decision` per decision, and at the end `c`, the six counters and the overrun flag.
fn tb_cpp() -> String {
    const OBSERVE: &str = r#"    if (top->found) {
        unsigned sel = top->status_sel;
        top->status_sel = 6;
        top->eval();
        unsigned u = top->status;
        top->status_sel = 7;
        top->eval();
        std::fprintf(out, "f %u %u %u\n", (unsigned)top->found_start, (unsigned)top->status, u);
        top->status_sel = sel;
        top->eval();
    }
    if (top->sig_valid)
        std::fprintf(out, "g %u %u %u %u\n", (unsigned)top->sig_crc_ok,
                     (unsigned)top->sig_candidate, (unsigned)top->sig_mcs,
                     (unsigned)top->sig_length);
    if (top->out_valid) std::fprintf(out, "d %u\n", (unsigned)top->out_decision);
"#;
    const FINISH: &str = r#"    std::fprintf(out, "c");
    for (unsigned k = 0; k < 6; k++) {
        top->status_sel = k;
        top->eval();
        std::fprintf(out, " %u", (unsigned)top->status);
    }
    std::fprintf(out, " %u\n", (unsigned)top->overrun);
"#;
    common::sid_tb_cpp(OBSERVE, "", FINISH)
}

#[test]
fn sid_rx_verilog_lints_and_matches_model_in_verilator() {
    if !require(
        "verilator",
        "sid_rx_verilog_lints_and_matches_model_in_verilator",
    ) {
        return;
    }
    let t = scene_table();
    // frames at 9 dB closer than the hold-off (a frame after one the filter decodes is
    // ignored, after one it does not is taken), then at 9 and 4 dB spaced by the hold-off,
    // until a million samples
    let sc = scenes_until(scene(60, 9.0, 1400, 20), 40, 22, VERILATOR_SAMPLES);
    let gap = gaps(sc.fixed.len(), (45, 110), 23);
    let mut lines = vec![format!("v {}", t.valid)];
    lines.extend(
        t.bytes
            .iter()
            .enumerate()
            .map(|(a, b)| format!("t {a} {b}")),
    );
    for (((i, q), o), g) in sc.fixed.iter().zip(&sc.det).zip(&gap) {
        lines.push(format!(
            "s {g} {i} {q} {} {} {}",
            u8::from(o.detect),
            o.corr.0,
            o.corr.1
        ));
    }
    let v = verilator_run_raw(SidRx::default(), &tb_cpp(), lines);
    let mut got = Got::default();
    for line in &v.lines {
        let t: Vec<&str> = line.split_whitespace().collect();
        match t.first() {
            Some(&"f") => {
                got.found
                    .push((field(&t, 1, line), field(&t, 2, line), field(&t, 3, line)))
            }
            Some(&"g") => got.sigs.push((
                field::<u8>(&t, 1, line) == 1,
                field::<u8>(&t, 2, line) == 1,
                field(&t, 3, line),
                field(&t, 4, line),
            )),
            Some(&"d") => got.decisions.push(field(&t, 1, line)),
            Some(&"c") => {
                for k in 0..6 {
                    got.counts[k] = field(&t, k + 1, line);
                }
                got.overrun = field::<u8>(&t, 7, line) == 1;
            }
            _ => panic!("bad output line {line:?}"),
        }
    }
    let rx = check(&sc, &got);
    let clocks: u64 = gap.iter().map(|&g| u64::from(g) + 1).sum();
    println!(
        "verilator: lint clean, build {:.1} s, {} samples ({clocks} clocks) in {:.1} s: {}; \
         every search, SIG and decision as the model's, counters equal",
        v.build_s,
        sc.fixed.len(),
        v.run_s,
        summary(&sc, &rx)
    );
}

#[test]
fn sid_rx_synthesizes_and_places_on_the_25f() {
    common::synthesizes_and_places_on_the_25f(
        SidRx::default,
        "SID filter with synchronisation",
        "sid_rx_synthesizes_and_places_on_the_25f",
        12,
    );
}
