//! The SID filter's frequency-offset word (CORDIC) against its `subgate-dsp` model: rust-hdl
//! simulation, the generated Verilog in Verilator (lint and ≥ 1 M correlations), yosys
//! (placed with the whole filter, tests/sid_rx.rs). Every word and its clock compared.
//!
//! Tests needing verilator or yosys fail when the tool is missing and `CI=true`,
//! and skip with a message otherwise.

mod common;

use common::{field, require, verilator_run_raw};
use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};
use subgate_dsp::frontend::cfo::{expected, stimulus, CfoClock};
use subgate_dsp::rng::Rng;
use subgate_gateware::cfo::CfoWord;

/// Correlations in the main Verilator run (the issue asks ≥ 1 M samples per block).
const VERILATOR_STARTS: usize = 1 << 20;

fn check(stim: &[CfoClock], got: &[(u64, i32)]) -> usize {
    let want = expected(stim);
    assert_eq!(got.len(), want.len(), "words");
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "word {k} (clock, word)");
    }
    want.len()
}

#[test]
fn cfo_matches_model_in_rust_hdl_simulation() {
    let stim = stimulus(300, 1);
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut uut = CfoWord::default();
    uut.start.connect();
    uut.in_re.connect();
    uut.in_im.connect();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<CfoWord>| x.clock.next = !x.clock.val());
    let (st, o) = (stim.clone(), out.clone());
    let clocks = stim.len() as u64;
    sim.add_testbench(move |mut sim: Sim<CfoWord>| {
        let mut x = sim.init()?;
        let mut junk = Rng::new(7);
        let mut got = Vec::new();
        wait_clock_true!(sim, clock, x);
        for (n, c) in st.iter().enumerate() {
            let r = junk.next_u64();
            x.start.next = false;
            x.in_re.next = Signed::<16>::from((r & 0xFFFF) as i64 - 32768);
            x.in_im.next = Signed::<16>::from(((r >> 16) & 0xFFFF) as i64 - 32768);
            if let CfoClock::Start(re, im) = *c {
                x.start.next = true;
                x.in_re.next = Signed::<16>::from(i64::from(re));
                x.in_im.next = Signed::<16>::from(i64::from(im));
            }
            wait_clock_cycle!(sim, clock, x);
            if x.done.val() {
                got.push((n as u64, x.word.val().to_u64() as u32 as i32));
            }
        }
        if let Ok(mut o) = o.lock() {
            *o = got;
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 10 * clocks + 100).unwrap();
    let got = out.lock().unwrap().clone();
    let n = check(&stim, &got);
    println!("rust-hdl: {clocks} clocks, {n} words bit-exact and on time");
}

/// The Verilator testbench: `s re im` (a clock with `start`) or `i n` (n idle clocks, junk
/// on the inputs). Writes `w clock word` after each edge with `done`.
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
    if (top->done) std::fprintf(out, "w %llu %d\n", clk, (int)top->word);
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
    top->clock = 0;
    top->eval();
    uint32_t junk = 4242;
    char kind[4];
    while (std::fscanf(in, "%3s", kind) == 1) {
        if (kind[0] == 's') {
            int re, im;
            if (std::fscanf(in, "%d %d", &re, &im) != 2) return 5;
            top->start = 1;
            top->in_re = re & 0xFFFF;
            top->in_im = im & 0xFFFF;
            tick();
        } else if (kind[0] == 'i') {
            long n;
            if (std::fscanf(in, "%ld", &n) != 1) return 5;
            for (long k = 0; k < n; k++) {
                junk = junk * 1664525u + 1013904223u;
                top->start = 0;
                top->in_re = junk & 0xFFFF;
                top->in_im = (junk >> 16) & 0xFFFF;
                tick();
            }
        } else {
            return 6;
        }
    }
    top->final();
    delete top;
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 4;
}
"#;

#[test]
fn cfo_verilog_lints_and_matches_model_in_verilator() {
    if !require(
        "verilator",
        "cfo_verilog_lints_and_matches_model_in_verilator",
    ) {
        return;
    }
    let stim = stimulus(VERILATOR_STARTS, 3);
    let mut lines = Vec::new();
    let mut idle = 0u64;
    for c in &stim {
        match *c {
            CfoClock::Idle => idle += 1,
            CfoClock::Start(re, im) => {
                if idle > 0 {
                    lines.push(format!("i {idle}"));
                    idle = 0;
                }
                lines.push(format!("s {re} {im}"));
            }
        }
    }
    lines.push(format!("i {}", idle + 2));
    let v = verilator_run_raw(CfoWord::default(), TB_CPP, lines);
    let got: Vec<(u64, i32)> = v
        .lines
        .iter()
        .map(|line| {
            let t: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(t.first(), Some(&"w"), "bad output line {line:?}");
            (field(&t, 1, line), field(&t, 2, line))
        })
        .collect();
    let n = check(&stim, &got);
    println!(
        "verilator: lint clean, build {:.1} s, {} clocks in {:.2} s: {n} words bit-exact and on \
         time",
        v.build_s,
        stim.len(),
        v.run_s
    );
    assert!(n >= VERILATOR_STARTS);
}

#[test]
fn cfo_synthesizes_for_ecp5() {
    common::synthesizes_for_ecp5(CfoWord::default, "CFO word", "cfo_synthesizes_for_ecp5", 0);
}
