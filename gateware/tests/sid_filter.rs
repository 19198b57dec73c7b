//! The SID filter as one block (FFT, channel estimator, soft values, decoder, SIG reader,
//! PSDU head, matcher and their sequencer) against the models in a row
//! (`subgate_dsp::frontend::sid_filter::decide`): frames from the transmitter (`dsp::tx`) —
//! probe requests, beacons and other frames at MCS 0 and 10, and at another MCS, which the
//! filter passes — clean and through noise, as a channel's samples with the frame starts
//! given. Every SIG read and every decision, in order, compared; the counters and the
//! overrun flag too, in Verilator (≥ 1 M samples). The filter's rust-hdl simulation and its
//! synthesis and place and route are `tests/sid_rx.rs`'s, with the synchronisation in
//! front (one CI run of each for the pair).
//!
//! Tests needing verilator, yosys or nextpnr fail when the tool is missing and `CI=true`,
//! and skip with a message otherwise.

mod common;

use common::{field, require, verilator_run_raw};
use subgate_dsp::frame::TxRequest;
use subgate_dsp::frontend::sid_filter::{decide, FrameResult};
use subgate_dsp::frontend::sid_match::{frames, Decision};
use subgate_dsp::frontend::sid_rx::{scene_table, truth};
use subgate_dsp::frontend::to_fixed;
use subgate_dsp::params::{Format, Mcs};
use subgate_dsp::rng::Rng;
use subgate_dsp::Complex32;
use subgate_gateware::sid_filter::SidFilter;

/// Samples in the Verilator run (the issue asks ≥ 1 M per block).
const VERILATOR_SAMPLES: usize = 1 << 20;

/// A channel's samples with frames in them.
struct Scene {
    /// `(i, q)` and the clocks before it (idle, junk on the inputs).
    samples: Vec<((i16, i16), u32)>,
    /// Where each frame starts.
    starts: Vec<usize>,
    /// Samples (not starts) that carry `in_start` while the filter is busy: ignored.
    spurious: Vec<usize>,
    /// The PSDUs and the MCS they were sent at.
    psdus: Vec<(Vec<u8>, u8)>,
}

/// `count` frames from [`frames`]: MCS 0, 10, 0, 10, 2 (passed) in turn; every third clean,
/// the others at 4 or 9 dB SNR over the 1 MHz band.
fn scene(count: usize, seed: u64, spacing: (u32, u32)) -> Scene {
    let mut rng = Rng::new(seed);
    let list = frames(count, &mut rng)
        .into_iter()
        .enumerate()
        .map(|(k, f)| {
            (
                f,
                [0u8, 10, 0, 10, 2][k % 5],
                [None, Some(4.0), Some(9.0)][k % 3],
            )
        })
        .collect();
    scene_of(list, seed, spacing)
}

/// The frames of `list` (PSDU, MCS, SNR over the 1 MHz band or clean), 60–200 samples of
/// noise before each and 300 after the last; samples `spacing.0..spacing.1` clocks apart.
fn scene_of(list: Vec<(Vec<u8>, u8, Option<f64>)>, seed: u64, spacing: (u32, u32)) -> Scene {
    let mut rng = Rng::new(seed ^ 0x5EED);
    let (mut x, mut starts, mut psdus) = (Vec::new(), Vec::new(), Vec::new());
    let noise = |n: usize, sigma: f64, rng: &mut Rng| -> Vec<Complex32> {
        (0..n)
            .map(|_| Complex32::new((rng.normal() * sigma) as f32, (rng.normal() * sigma) as f32))
            .collect()
    };
    for (k, (f, mcs, snr)) in list.into_iter().enumerate() {
        let sigma = snr.map_or(0.0, |s: f64| (0.5 / 10f64.powf(s / 10.0)).sqrt());
        let mut req = TxRequest::new(f.clone(), Format::S1g1M, Mcs(mcs));
        req.scrambler_seed = 1 + rng.below(127) as u8;
        let Ok(mut frame) = subgate_dsp::tx::modulate(&req) else {
            panic!("frame {k} does not modulate")
        };
        for v in frame.iter_mut() {
            *v += noise(1, sigma, &mut rng)[0];
        }
        x.extend(noise(60 + rng.below(140) as usize, sigma, &mut rng));
        starts.push(x.len());
        x.extend(frame);
        psdus.push((f, mcs));
    }
    x.extend(noise(300, 0.05, &mut rng));
    let mut fixed = Vec::new();
    to_fixed(&x, 4000.0, &mut fixed);
    let samples = fixed
        .into_iter()
        .map(|s| {
            (
                s,
                spacing.0 + rng.below(u64::from(spacing.1 - spacing.0)) as u32,
            )
        })
        .collect();
    let spurious = starts
        .iter()
        .map(|&s| s + 1 + rng.below(300) as usize)
        .collect();
    Scene {
        samples,
        starts,
        spurious,
        psdus,
    }
}

/// What the block gave: the SIGs read `(crc_ok, candidate, mcs, length)`, the decisions,
/// the counters (forwarded, dropped, passed, skipped) and the overrun flag.
#[derive(Debug, Default, Clone, PartialEq)]
struct Got {
    sigs: Vec<(bool, bool, u8, u16)>,
    decisions: Vec<u8>,
    counts: [u16; 4],
    overrun: bool,
}

/// Compares with the models; returns the models' results.
fn check(sc: &Scene, got: &Got) -> Vec<FrameResult> {
    let t = scene_table();
    let x: Vec<(i16, i16)> = sc.samples.iter().map(|s| s.0).collect();
    let want: Vec<FrameResult> = sc
        .starts
        .iter()
        .map(|&s| decide(&x, s, &t).expect("the scene ends after the last frame"))
        .collect();
    assert!(!got.overrun, "overrun");
    assert_eq!(got.decisions.len(), want.len(), "a decision per frame");
    for (k, (g, w)) in got.decisions.iter().zip(&want).enumerate() {
        assert_eq!(*g, w.decision as u8, "frame {k}: decision ({:?})", w.sig);
    }
    let sigs: Vec<(bool, bool, u8, u16)> = want
        .iter()
        .map(|w| (w.sig.crc_ok, w.sig.candidate, w.sig.mcs, w.sig.length))
        .collect();
    assert_eq!(got.sigs, sigs, "SIGs");
    let count = |d: Decision, cand: bool| {
        want.iter()
            .filter(|w| w.decision == d && w.sig.candidate == cand)
            .count() as u16
    };
    let skipped = want.iter().filter(|w| !w.sig.candidate).count() as u16;
    assert_eq!(
        got.counts,
        [
            count(Decision::Forward, true),
            count(Decision::Drop, true),
            count(Decision::Pass, true),
            skipped
        ],
        "counters"
    );
    want
}

/// A summary: decisions by kind, and how many equal the clean PSDU's own (candidates at
/// MCS 0/10: the decision on the transmitted head; others: pass).
fn summary(sc: &Scene, want: &[FrameResult]) -> String {
    let t = scene_table();
    let kinds = [Decision::Pass, Decision::Forward, Decision::Drop]
        .map(|d| want.iter().filter(|w| w.decision == d).count());
    let right = sc
        .psdus
        .iter()
        .zip(want)
        .filter(|((p, mcs), w)| truth(p, *mcs, &t) == w.decision)
        .count();
    format!(
        "{} frames: pass {}, forward {}, drop {}; {right} as the transmitted frame's own",
        want.len(),
        kinds[0],
        kinds[1],
        kinds[2]
    )
}

/// The Verilator testbench: `t addr byte` (a table write), `v valid` (the entries in
/// use, not a clock), `s gap i q start` (`gap` idle clocks with junk, then the sample).
/// Writes `g crc cand mcs len` for a SIG read, `d decision` for a decision, and at the end
/// `c forwarded dropped passed skipped overrun`.
const TB_CPP: &str = r#"#include "Vtop.h"
#include "verilated.h"
#include <cstdio>
#include <cstdint>
static Vtop* top;
static FILE* out;
static void tick() {
    top->clock = 1;
    top->eval();
    if (top->sig_valid)
        std::fprintf(out, "g %u %u %u %u\n", (unsigned)top->sig_crc_ok,
                     (unsigned)top->sig_candidate, (unsigned)top->sig_mcs,
                     (unsigned)top->sig_length);
    if (top->out_valid) std::fprintf(out, "d %u\n", (unsigned)top->out_decision);
    top->clock = 0;
    top->eval();
}
int main(int argc, char** argv) {
    if (argc != 3) return 2;
    FILE* in = std::fopen(argv[1], "r");
    out = std::fopen(argv[2], "w");
    if (!in || !out) return 3;
    top = new Vtop;
    top->clock = 0;
    top->eval();
    uint32_t junk = 777;
    char kind[4];
    while (std::fscanf(in, "%3s", kind) == 1) {
        if (kind[0] == 'v') {
            unsigned v;
            if (std::fscanf(in, "%u", &v) != 1) return 5;
            top->tbl_valid = v;
            continue;
        }
        if (kind[0] == 't') {
            unsigned a, b;
            if (std::fscanf(in, "%u %u", &a, &b) != 2) return 5;
            top->tbl_write = 1;
            top->tbl_addr = a;
            top->tbl_data = b;
            tick();
            top->tbl_write = 0;
            continue;
        }
        if (kind[0] != 's') return 6;
        unsigned gap, start;
        int i, q;
        if (std::fscanf(in, "%u %d %d %u", &gap, &i, &q, &start) != 4) return 5;
        for (unsigned k = 0; k < gap; k++) {
            junk = junk * 1664525u + 1013904223u;
            top->in_valid = 0;
            top->in_i = junk & 0xFFFF;
            top->in_q = (junk >> 16) & 0xFFFF;
            top->in_start = (junk >> 7) & 1;
            tick();
        }
        top->in_valid = 1;
        top->in_i = i & 0xFFFF;
        top->in_q = q & 0xFFFF;
        top->in_start = start;
        tick();
    }
    std::fprintf(out, "c %u %u %u %u %u\n", (unsigned)top->forwarded, (unsigned)top->dropped,
                 (unsigned)top->passed, (unsigned)top->skipped, (unsigned)top->overrun);
    top->final();
    delete top;
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 4;
}
"#;

#[test]
fn sid_filter_verilog_lints_and_matches_models_in_verilator() {
    if !require(
        "verilator",
        "sid_filter_verilog_lints_and_matches_models_in_verilator",
    ) {
        return;
    }
    let t = scene_table();
    let mut count = 400;
    let sc = loop {
        let sc = scene(count, 12, (45, 110));
        if sc.samples.len() >= VERILATOR_SAMPLES {
            break sc;
        }
        count += count / 4;
    };
    let mut lines = vec![format!("v {}", t.valid)];
    lines.extend(
        t.bytes
            .iter()
            .enumerate()
            .map(|(a, b)| format!("t {a} {b}")),
    );
    let mut starts = sc.starts.iter().peekable();
    let mut spurious = sc.spurious.iter().peekable();
    for (k, &((i, q), gap)) in sc.samples.iter().enumerate() {
        let mut start = 0;
        if starts.peek() == Some(&&k) {
            starts.next();
            start = 1;
        }
        if spurious.peek() == Some(&&k) {
            spurious.next();
            start = 1;
        }
        lines.push(format!("s {gap} {i} {q} {start}"));
    }
    let v = verilator_run_raw(SidFilter::default(), TB_CPP, lines);
    let mut got = Got::default();
    for line in &v.lines {
        let t: Vec<&str> = line.split_whitespace().collect();
        match t.first() {
            Some(&"g") => got.sigs.push((
                field::<u8>(&t, 1, line) == 1,
                field::<u8>(&t, 2, line) == 1,
                field(&t, 3, line),
                field(&t, 4, line),
            )),
            Some(&"d") => got.decisions.push(field(&t, 1, line)),
            Some(&"c") => {
                got.counts = [
                    field(&t, 1, line),
                    field(&t, 2, line),
                    field(&t, 3, line),
                    field(&t, 4, line),
                ];
                got.overrun = field::<u8>(&t, 5, line) == 1;
            }
            _ => panic!("bad output line {line:?}"),
        }
    }
    let want = check(&sc, &got);
    let clocks: u64 = sc.samples.iter().map(|s| u64::from(s.1) + 1).sum();
    println!(
        "verilator: lint clean, build {:.1} s, {} samples ({clocks} clocks) in {:.1} s: {}; \
         every SIG and decision as the models', counters equal",
        v.build_s,
        sc.samples.len(),
        v.run_s,
        summary(&sc, &want)
    );
}
