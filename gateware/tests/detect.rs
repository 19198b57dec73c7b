//! The STF detector against its `subgate-dsp` model: rust-hdl simulation, the generated Verilog
//! in Verilator (lint and simulation, with frames from the transmitter through the channel
//! model), and yosys `synth_ecp5`.
//!
//! Tests needing verilator or yosys fail when the tool is missing and `CI=true` (as the other
//! tool-backed tests in the workspace), and skip with a message otherwise.

mod common;

use common::{field, require, synth_ecp5, verilator_run_raw};
use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use subgate_dsp::frontend::detect::{
    agreement, software_detections, threshold_word, Agreement, WINDOW,
};
use subgate_dsp::rng::Rng;
use subgate_dsp::Format;
use subgate_gateware::detect::{Detector, LATENCY, MIN_SPACING};
use subgate_gateware::vectors::{
    detect_check, detect_clocks, detect_stimulus, DetectInput, DetectOutput, DetectSummary,
};

/// The receiver's default normalised threshold.
const THRESHOLD: f32 = 0.3;
/// Input samples in the rust-hdl simulation (≈ 16 clocks each; the simulator runs a few
/// thousand clocks per second).
const SIM_SAMPLES: usize = 1200;
/// Input samples in the 1 MHz Verilator simulation (the issue asks ≥ 1 M samples per block).
const VERILATOR_SAMPLES: usize = 1 << 20;
/// Input samples in the 2 MHz (lag 16) Verilator simulation.
const VERILATOR_SAMPLES_2M: usize = 1 << 18;
/// Upper bound on `TRELLIS_FF` after `synth_ecp5` (722 measured).
const FF_BOUND: u64 = 870;
/// Upper bound on `LUT4` after `synth_ecp5` (1504 measured).
const LUT_BOUND: u64 = 1_800;

/// The lag (STF period) for `format`: FFT length / 4.
fn lag(format: Format) -> usize {
    format.fft_len() / 4
}

/// The hardware's detections against the floating-point detector's on the scene part of a
/// stimulus (samples `..scene_len`), as window starts.
fn scene_agreement(
    summary: &DetectSummary,
    scene: &[subgate_dsp::Complex32],
    truth: &[subgate_dsp::scene::Truth],
    lag: usize,
) -> Agreement {
    let span = WINDOW + lag;
    let hw: Vec<u64> = summary
        .detections
        .iter()
        .filter(|&&k| k < scene.len())
        .filter_map(|&k| (k + 1).checked_sub(span).map(|n| n as u64))
        .collect();
    let float = software_detections(scene, lag, THRESHOLD);
    agreement(truth, span, &float, &hw)
}

#[test]
fn detect_matches_model_in_rust_hdl_simulation() {
    let format = Format::S1g1M;
    let lag = lag(format);
    let threshold = threshold_word(THRESHOLD);
    let (stimulus, scene, truth) = detect_stimulus(format, lag, SIM_SAMPLES, 1);
    let clocks: u64 = stimulus.iter().map(|s| s.gap as u64).sum();
    // valid outputs with the clock they were read after; then `overrun` before and after two
    // inputs 5 clocks apart
    let outputs = Arc::new(Mutex::new(Vec::with_capacity(SIM_SAMPLES)));
    let overrun = Arc::new(Mutex::new(Vec::new()));
    let mut uut = Detector::new(lag);
    uut.in_valid.connect();
    uut.in_i.connect();
    uut.in_q.connect();
    uut.threshold.connect();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Detector>| x.clock.next = !x.clock.val());
    let (stim, out, over) = (stimulus.clone(), outputs.clone(), overrun.clone());
    sim.add_testbench(move |mut sim: Sim<Detector>| {
        let mut x = sim.init()?;
        let mut junk = Rng::new(99);
        let mut clock = 0u64;
        x.threshold.next = Bits::<16>::from(u64::from(threshold));
        wait_clock_true!(sim, clock, x);
        let read = |x: &Detector, clock: u64| {
            if x.out_valid.val() {
                out.lock().unwrap().push((
                    clock,
                    DetectOutput {
                        hit: x.out_hit.val(),
                        detect: x.out_detect.val(),
                        num: x.out_num.val().to_u32(),
                        den: x.out_den.val().to_u32(),
                        corr_i: unsigned_cast(x.out_corr_i.val()).to_u16() as i16,
                        corr_q: unsigned_cast(x.out_corr_q.val()).to_u16() as i16,
                    },
                ));
            }
        };
        let tail = [DetectInput {
            gap: 20,
            i: 0,
            q: 0,
        }];
        for s in stim.iter().chain(&tail) {
            for k in 0..s.gap {
                let valid = k + 1 == s.gap && !std::ptr::eq(s, &tail[0]);
                let r = junk.next_u64();
                x.in_valid.next = valid;
                x.in_i.next = Signed::<16>::from(i64::from(if valid { s.i } else { r as i16 }));
                x.in_q.next =
                    Signed::<16>::from(i64::from(if valid { s.q } else { (r >> 16) as i16 }));
                wait_clock_cycle!(sim, clock, x);
                read(&x, clock);
                clock += 1;
            }
        }
        over.lock().unwrap().push(x.overrun.val());
        for k in 0..6 {
            x.in_valid.next = k == 0 || k == 5;
            wait_clock_cycle!(sim, clock, x);
        }
        over.lock().unwrap().push(x.overrun.val());
        sim.done(x)
    });
    let start = Instant::now();
    sim.run(Box::new(uut), 10 * (clocks + 64)).unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    let outputs = outputs.lock().unwrap();
    let summary = detect_check(&stimulus, &outputs, lag, threshold, LATENCY).unwrap();
    println!(
        "rust-hdl: {clocks} clocks in {elapsed:.2} s ({:.0} clocks/s), {} evaluations \
         bit-exact ({} hits, {} detections, {} with den = 0), {} frames in the scene",
        clocks as f64 / elapsed,
        summary.compared,
        summary.hits,
        summary.detections.len(),
        summary.den_zero,
        truth.len()
    );
    // the stimulus must reach the decision logic: the frame's STF (found by the
    // floating-point detector as well) and the periodic segment detect, the zero segment
    // gives den = 0
    let a = scene_agreement(&summary, &scene, &truth, lag);
    assert!(
        a.frames == 1 && a.model_found == 1 && a.float_found == 1,
        "{a:?}"
    );
    assert!(a.max_dt <= 2, "{a:?}");
    assert!(summary.detections.len() >= 2, "{summary:?}");
    assert!(summary.den_zero > 0, "no evaluation with den = 0");
    assert_eq!(
        *overrun.lock().unwrap(),
        vec![false, true],
        "overrun: low after inputs {MIN_SPACING}+ clocks apart, set by two 5 clocks apart"
    );
}

/// The Verilator testbench: the first input line is the threshold word, then one line
/// `gap i q` per sample: `gap − 1` idle clocks with junk on the data inputs, then the valid
/// clock. After every clock edge with `out_valid` it writes
/// `clock hit detect num den corr_i corr_q`; at the end `end clocks overrun`.
const TB_CPP: &str = r#"#include "Vtop.h"
#include "verilated.h"
#include <cstdio>
#include <cstdint>
static Vtop* top;
static FILE* out;
static unsigned long long clk = 0;
static void tick() {
    top->clock = 1;
    top->eval();
    if (top->out_valid) {
        std::fprintf(out, "%llu %d %d %u %u %d %d\n", clk, (int)top->out_hit,
                     (int)top->out_detect, (unsigned)top->out_num, (unsigned)top->out_den,
                     (int)(int16_t)top->out_corr_i, (int)(int16_t)top->out_corr_q);
    }
    clk++;
    top->clock = 0;
    top->eval();
}
int main(int argc, char** argv) {
    if (argc != 3) return 2;
    FILE* in = std::fopen(argv[1], "r");
    out = std::fopen(argv[2], "w");
    if (!in || !out) return 3;
    unsigned threshold;
    if (std::fscanf(in, "%u", &threshold) != 1) return 5;
    top = new Vtop;
    top->threshold = threshold;
    top->in_valid = 0;
    top->clock = 0;
    top->eval();
    uint32_t junk = 12345;
    int gap, i, q;
    while (std::fscanf(in, "%d %d %d", &gap, &i, &q) == 3) {
        for (int k = 1; k < gap; k++) {
            junk = junk * 1664525u + 1013904223u;
            top->in_valid = 0;
            top->in_i = (uint16_t)(junk >> 16);
            top->in_q = (uint16_t)junk;
            tick();
        }
        top->in_valid = 1;
        top->in_i = (uint16_t)(int16_t)i;
        top->in_q = (uint16_t)(int16_t)q;
        tick();
    }
    top->in_valid = 0;
    for (int k = 0; k < 32; k++) tick();
    std::fprintf(out, "end %llu %d\n", clk, (int)top->overrun);
    top->final();
    delete top;
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 4;
}
"#;

/// Parses the testbench's output: the valid outputs with their clocks, and the final
/// `overrun`.
fn parse_outputs(lines: &[String]) -> (Vec<(u64, DetectOutput)>, bool) {
    let mut outputs = Vec::with_capacity(lines.len());
    let mut overrun = None;
    for line in lines {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.first() == Some(&"end") {
            assert_eq!(t.len(), 3, "bad end line {line:?}");
            overrun = Some(field::<u8>(&t, 2, line) != 0);
            continue;
        }
        assert_eq!(t.len(), 7, "bad output line {line:?}");
        let out = DetectOutput {
            hit: field::<u8>(&t, 1, line) != 0,
            detect: field::<u8>(&t, 2, line) != 0,
            num: field(&t, 3, line),
            den: field(&t, 4, line),
            corr_i: field(&t, 5, line),
            corr_q: field(&t, 6, line),
        };
        outputs.push((field(&t, 0, line), out));
    }
    let overrun = overrun
        .unwrap_or_else(|| panic!("the testbench wrote no end line ({} lines)", lines.len()));
    (outputs, overrun)
}

/// One Verilator run for `format` over `samples` samples: bit-exact outputs and timing, the
/// detector's decisions against the floating-point detector on the scene.
fn verilator_detect(format: Format, samples: usize, seed: u64) -> (DetectSummary, Agreement) {
    let lag = lag(format);
    let threshold = threshold_word(THRESHOLD);
    let (stimulus, scene, truth) = detect_stimulus(format, lag, samples, seed);
    let lines = std::iter::once(threshold.to_string()).chain(
        stimulus
            .iter()
            .map(|s| format!("{} {} {}", s.gap, s.i, s.q)),
    );
    let v = verilator_run_raw(Detector::new(lag), TB_CPP, lines);
    let (outputs, overrun) = parse_outputs(&v.lines);
    let summary = detect_check(&stimulus, &outputs, lag, threshold, LATENCY).unwrap();
    let clocks = detect_clocks(&stimulus).last().copied().unwrap_or(0) + 1;
    let a = scene_agreement(&summary, &scene, &truth, lag);
    println!(
        "verilator {}: lint clean, build {:.1} s, {clocks} clocks ({} input samples) in {:.2} s \
         ({:.2} M clocks/s incl. text I/O), {} evaluations bit-exact ({} hits, {} detections, \
         {} with den = 0), overrun {overrun}",
        format.name(),
        v.build_s,
        stimulus.len(),
        v.run_s,
        clocks as f64 / v.run_s / 1e6,
        summary.compared,
        summary.hits,
        summary.detections.len(),
        summary.den_zero,
    );
    println!(
        "  against the floating-point detector on the scene ({} samples, {} frames at SNRs \
         cycling −3..30 dB): found float {} / gateware {}, differ {}, first detections at most \
         {} samples apart, false alarms float {} / gateware {}, extra detections float {} / \
         gateware {}",
        scene.len(),
        a.frames,
        a.float_found,
        a.model_found,
        a.differ,
        a.max_dt,
        a.float_false,
        a.model_false,
        a.float_extra,
        a.model_extra
    );
    assert!(!overrun, "overrun with inputs ≥ {MIN_SPACING} clocks apart");
    assert!(summary.den_zero > 0, "no evaluation with den = 0");
    assert!(a.frames > 0 && a.model_found > 0, "{a:?}");
    (summary, a)
}

#[test]
fn detect_verilog_lints_and_matches_model_in_verilator() {
    if !require(
        "verilator",
        "detect_verilog_lints_and_matches_model_in_verilator",
    ) {
        return;
    }
    let (summary, a) = verilator_detect(Format::S1g1M, VERILATOR_SAMPLES, 2);
    assert!(
        summary.compared >= 1_000_000,
        "only {} samples",
        summary.compared
    );
    let (_, b) = verilator_detect(Format::S1gShort2M, VERILATOR_SAMPLES_2M, 3);
    let mut total = a;
    total.add(b);
    // the gateware is the model, bit for bit; the model's agreement with the floating-point
    // detector (dsp::frontend::detect's tests) holds on these scenes too
    assert!(
        total.differ * 100 <= total.frames,
        "{} of {} frames found by only one detector",
        total.differ,
        total.frames
    );
    assert!(
        total.max_dt <= 2,
        "first detections {} samples apart",
        total.max_dt
    );
}

#[test]
fn detect_is_synthesizable() {
    if !require("yosys", "detect_is_synthesizable") {
        return;
    }
    let mut uut = Detector::new(lag(Format::S1g1M));
    uut.connect_all();
    yosys_validate("subgate_gateware_detect", &generate_verilog(&uut)).unwrap();
}

#[test]
fn detect_synthesizes_for_ecp5() {
    if !require("yosys", "detect_synthesizes_for_ecp5") {
        return;
    }
    let cells = synth_ecp5(Detector::new(lag(Format::S1g1M)), "STF detector");
    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    // one shared 16 × 16 multiplier, the history in one block RAM (512 × 36); upper bounds
    // from the first synthesis plus about a fifth, so a regression in the structure shows
    assert_eq!(count("MULT18X18D"), 1, "{cells:?}");
    assert_eq!(count("DP16KD") + count("PDPW16KD"), 1, "{cells:?}");
    assert!(count("TRELLIS_FF") > 0 && count("LUT4") > 0, "{cells:?}");
    assert!(count("TRELLIS_FF") <= FF_BOUND, "{cells:?}");
    assert!(count("LUT4") <= LUT_BOUND, "{cells:?}");
}
