//! The SID filter's 32-point FFT against its `subgate-dsp` model: rust-hdl simulation, the
//! generated Verilog in Verilator (lint and ≥ 1 M samples), yosys `synth_ecp5` and
//! nextpnr. Every bin, its index and its clock are compared, and the sticky overrun flag.
//!
//! Tests needing verilator or yosys fail when the tool is missing and `CI=true`,
//! and skip with a message otherwise.

mod common;

use common::{field, require, verilator_run_raw};
use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};
use subgate_dsp::frontend::fft32::{expected, stimulus, FftInput, FftOutput, N};
use subgate_dsp::rng::Rng;
use subgate_gateware::fft32::Fft32;

/// Samples in the main Verilator run (the issue asks ≥ 1 M samples per block).
const VERILATOR_SAMPLES: usize = 1 << 20;

/// Compares the bins and the overrun flag with the model; returns the bins compared.
fn check(stim: &[FftInput], got: &[FftOutput], overrun: bool) -> usize {
    let (want, want_overrun) = expected(stim);
    assert_eq!(
        got.len(),
        want.len(),
        "bins: got {}, model {}",
        got.len(),
        want.len()
    );
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "bin {k} of the run");
    }
    assert_eq!(overrun, want_overrun, "overrun");
    want.len()
}

#[test]
fn fft32_matches_model_in_rust_hdl_simulation() {
    // six symbols, every third starting while the block is still busy
    let stim = stimulus(6, 3, 1);
    let clocks: u64 = stim.iter().map(|s| u64::from(s.gap)).sum::<u64>() + 300;
    let out = Arc::new(Mutex::new((Vec::new(), false)));
    let mut uut = Fft32::default();
    uut.in_valid.connect();
    uut.in_i.connect();
    uut.in_q.connect();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Fft32>| x.clock.next = !x.clock.val());
    let (st, o) = (stim.clone(), out.clone());
    sim.add_testbench(move |mut sim: Sim<Fft32>| {
        let mut x = sim.init()?;
        let mut junk = Rng::new(77);
        let mut seen = Vec::new();
        wait_clock_true!(sim, clock, x);
        let mut n = 0u64;
        let record = |x: &Fft32, n: u64, seen: &mut Vec<FftOutput>| {
            if x.out_valid.val() {
                seen.push(FftOutput {
                    clock: n,
                    index: x.out_index.val().to_u8(),
                    re: x.out_re.val().bigint().try_into().unwrap(),
                    im: x.out_im.val().bigint().try_into().unwrap(),
                });
            }
        };
        for s in &st {
            for k in 0..s.gap {
                let valid = k + 1 == s.gap;
                let r = junk.next_u64();
                x.in_valid.next = valid;
                let (i, q) = if valid {
                    (s.i, s.q)
                } else {
                    (r as i16, (r >> 16) as i16)
                };
                x.in_i.next = Signed::<16>::from(i64::from(i));
                x.in_q.next = Signed::<16>::from(i64::from(q));
                wait_clock_cycle!(sim, clock, x);
                record(&x, n, &mut seen);
                n += 1;
            }
        }
        x.in_valid.next = false;
        for _ in 0..250 {
            wait_clock_cycle!(sim, clock, x);
            record(&x, n, &mut seen);
            n += 1;
        }
        let overrun = x.overrun.val();
        if let Ok(mut o) = o.lock() {
            *o = (seen, overrun);
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 10 * clocks).unwrap();
    let (got, overrun) = out.lock().unwrap().clone();
    let n = check(&stim, &got, overrun);
    println!(
        "rust-hdl: {} samples, {clocks} clocks, {n} bins bit-exact and on time, overrun {overrun}",
        stim.len()
    );
}

/// The Verilator testbench: one line `gap i q` per sample (`gap − 1` idle clocks with junk
/// on the inputs first). After every clock edge with `out_valid` it writes
/// `clock index re im`; at the end `overrun N`.
const TB_CPP: &str = r#"#include "Vtop.h"
#include "verilated.h"
#include <cstdio>
#include <cstdint>
static Vtop* top;
static FILE* out;
static unsigned long long clk = 0;
static int sext18(uint32_t v) { return (int)(v << 14) >> 14; }
static void tick() {
    top->clock = 1;
    top->eval();
    if (top->out_valid) {
        std::fprintf(out, "%llu %u %d %d\n", clk, (unsigned)top->out_index,
                     sext18(top->out_re), sext18(top->out_im));
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
    top = new Vtop;
    top->in_valid = 0;
    top->clock = 0;
    top->eval();
    uint32_t junk = 12345;
    int gap, i, q;
    while (std::fscanf(in, "%d %d %d", &gap, &i, &q) == 3) {
        for (int k = 1; k < gap; k++) {
            junk = junk * 1664525u + 1013904223u;
            top->in_valid = 0;
            top->in_i = junk & 0xFFFF;
            top->in_q = (junk >> 16) & 0xFFFF;
            tick();
        }
        top->in_valid = 1;
        top->in_i = i & 0xFFFF;
        top->in_q = q & 0xFFFF;
        tick();
    }
    top->in_valid = 0;
    for (int k = 0; k < 300; k++) tick();
    std::fprintf(out, "overrun %u\n", (unsigned)top->overrun);
    top->final();
    delete top;
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 4;
}
"#;

#[test]
fn fft32_verilog_lints_and_matches_model_in_verilator() {
    if !require(
        "verilator",
        "fft32_verilog_lints_and_matches_model_in_verilator",
    ) {
        return;
    }
    // 2²⁰ samples in 32 768 symbols, every 40th starting while the block is busy
    let stim = stimulus(VERILATOR_SAMPLES / N, 40, 3);
    let lines = stim.iter().map(|s| format!("{} {} {}", s.gap, s.i, s.q));
    let v = verilator_run_raw(Fft32::default(), TB_CPP, lines);
    let mut got = Vec::new();
    let mut overrun = None;
    for line in &v.lines {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.first() == Some(&"overrun") {
            overrun = Some(field::<u8>(&t, 1, line) == 1);
        } else {
            assert_eq!(t.len(), 4, "bad output line {line:?}");
            got.push(FftOutput {
                clock: field(&t, 0, line),
                index: field(&t, 1, line),
                re: field(&t, 2, line),
                im: field(&t, 3, line),
            });
        }
    }
    let overrun = overrun.expect("the testbench's overrun line");
    let n = check(&stim, &got, overrun);
    let clocks: u64 = stim.iter().map(|s| u64::from(s.gap)).sum();
    println!(
        "verilator: lint clean, build {:.1} s, {} samples ({clocks} clocks) in {:.2} s, \
         {n} bins ({} symbols) bit-exact and on time, overrun {overrun}",
        v.build_s,
        stim.len(),
        v.run_s,
        n / N
    );
    assert!(n >= VERILATOR_SAMPLES * 9 / 10);
}

#[test]
fn fft32_synthesizes_for_ecp5() {
    common::synthesizes_for_ecp5(
        Fft32::default,
        "32-point FFT",
        "fft32_synthesizes_for_ecp5",
        4,
    );
}
