//! The SID filter's SIG reader against its `subgate-dsp` model: SIG blocks (made by the
//! software transmitter's `Sig::to_bits`, some with a flipped bit, an unsupported feature or
//! random bits) as the decoder gives them — last step first, one bit per clock — in rust-hdl
//! and Verilator (≥ 1 M bits), and yosys `synth_ecp5`. Every result, its clock and fields,
//! are compared.
//!
//! Tests needing verilator or yosys fail when the tool is missing and `CI=true`, and skip with
//! a message otherwise.

mod common;

use common::{field, require, synth_ecp5, verilator_run_raw};
use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};
use subgate_dsp::crc::sig_crc4;
use subgate_dsp::frontend::sig_parse::{expected, SigInfo};
use subgate_dsp::frontend::viterbi::ViterbiOutput;
use subgate_dsp::params::{Format, Gi, Mcs};
use subgate_dsp::rng::Rng;
use subgate_dsp::sig::Sig;
use subgate_gateware::sig_parse::SigParse;

/// Bits in the Verilator run (the issue asks ≥ 1 M samples per block).
const VERILATOR_BITS: usize = 1 << 20;

/// `blocks` SIG blocks of 36 bits, last step first on consecutive clocks, 1–50 clocks apart.
fn stimulus(blocks: usize, seed: u64) -> Vec<ViterbiOutput> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut clock = 0u64;
    for k in 0..blocks {
        let sig = Sig {
            mcs: Mcs([0, 10, 0, 10, 1, 3, 7, 8][rng.below(8) as usize]),
            gi: if rng.below(2) == 0 {
                Gi::Long
            } else {
                Gi::Short
            },
            aggregation: rng.below(5) == 0,
            length: rng.below(512) as u16,
            smoothing: rng.below(2) == 0,
            uplink: false,
            id: 0,
        };
        let mut bits = [0u8; 36];
        sig.to_bits(Format::S1g1M, &mut bits);
        match k % 5 {
            0 | 1 => {}
            2 => bits[rng.below(36) as usize] ^= 1,
            3 => {
                bits[[0, 1, 3, 5, 24, 25][rng.below(6) as usize]] = 1;
                let crc = sig_crc4(&bits[..26]);
                bits[26..30].copy_from_slice(&crc);
            }
            _ => {
                for b in bits.iter_mut() {
                    *b = (rng.next_u64() & 1) as u8;
                }
            }
        }
        clock += 1 + rng.below(50);
        for t in (0..36).rev() {
            out.push(ViterbiOutput {
                clock,
                index: t as u16,
                bit: bits[t],
            });
            clock += 1;
        }
    }
    out
}

fn check(bits: &[ViterbiOutput], got: &[(u64, SigInfo)]) -> usize {
    let want = expected(bits);
    assert_eq!(
        got.len(),
        want.len(),
        "results: got {}, model {}",
        got.len(),
        want.len()
    );
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "result {k}");
    }
    want.iter().filter(|(_, i)| i.candidate).count()
}

fn info_of(x: &SigParse) -> SigInfo {
    SigInfo {
        crc_ok: x.out_crc_ok.val(),
        supported: x.out_supported.val(),
        mcs: x.out_mcs.val().to_u8(),
        aggregation: x.out_aggregation.val(),
        length: x.out_length.val().to_u16(),
        candidate: x.out_candidate.val(),
        steps: x.out_steps.val().to_u16(),
        zero: x.out_zero.val(),
    }
}

#[test]
fn sig_parse_matches_model_in_rust_hdl_simulation() {
    let bits = stimulus(120, 1);
    let clocks = bits.last().map_or(0, |b| b.clock) + 10;
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut uut = SigParse::default();
    uut.in_valid.connect();
    uut.in_bit.connect();
    uut.in_index.connect();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<SigParse>| x.clock.next = !x.clock.val());
    let (st, o) = (bits.clone(), out.clone());
    sim.add_testbench(move |mut sim: Sim<SigParse>| {
        let mut x = sim.init()?;
        let mut seen = Vec::new();
        wait_clock_true!(sim, clock, x);
        let mut next = st.iter().peekable();
        for n in 0..clocks {
            if let Some(b) = next.next_if(|b| b.clock == n) {
                x.in_valid.next = true;
                x.in_bit.next = b.bit == 1;
                x.in_index.next = Bits::<9>::from(u64::from(b.index));
            } else {
                x.in_valid.next = false;
                x.in_bit.next = n % 3 == 0;
                x.in_index.next = Bits::<9>::from(n % 40);
            }
            wait_clock_cycle!(sim, clock, x);
            if x.out_valid.val() {
                seen.push((n, info_of(&x)));
            }
        }
        if let Ok(mut o) = o.lock() {
            *o = seen;
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 10 * (clocks + 20)).unwrap();
    let got = out.lock().unwrap().clone();
    let cand = check(&bits, &got);
    println!(
        "rust-hdl: {} bits, {clocks} clocks: {} SIGs bit-exact and on time, {cand} candidates",
        bits.len(),
        got.len()
    );
}

/// The Verilator testbench: one line `gap bit index` per bit (`gap − 1` idle clocks with junk
/// first). After every clock edge with `out_valid` it writes
/// `clock crc_ok supported mcs aggregation length candidate steps zero`.
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
        std::fprintf(out, "%llu %u %u %u %u %u %u %u %u\n", clk, (unsigned)top->out_crc_ok,
                     (unsigned)top->out_supported, (unsigned)top->out_mcs,
                     (unsigned)top->out_aggregation, (unsigned)top->out_length,
                     (unsigned)top->out_candidate, (unsigned)top->out_steps,
                     (unsigned)top->out_zero);
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
    unsigned long long gap;
    int bit, index;
    while (std::fscanf(in, "%llu %d %d", &gap, &bit, &index) == 3) {
        for (unsigned long long k = 1; k < gap; k++) {
            junk = junk * 1664525u + 1013904223u;
            top->in_valid = 0;
            top->in_bit = (junk >> 7) & 1;
            top->in_index = (junk >> 9) & 0x1FF;
            tick();
        }
        top->in_valid = 1;
        top->in_bit = bit;
        top->in_index = index;
        tick();
    }
    top->in_valid = 0;
    for (int k = 0; k < 10; k++) tick();
    top->final();
    delete top;
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 4;
}
"#;

#[test]
fn sig_parse_verilog_lints_and_matches_model_in_verilator() {
    if !require(
        "verilator",
        "sig_parse_verilog_lints_and_matches_model_in_verilator",
    ) {
        return;
    }
    let bits = stimulus(VERILATOR_BITS / 36 + 1, 5);
    let mut prev = None;
    let lines: Vec<String> = bits
        .iter()
        .map(|b| {
            let gap = match prev {
                None => b.clock + 1,
                Some(p) => b.clock - p,
            };
            prev = Some(b.clock);
            format!("{gap} {} {}", b.bit, b.index)
        })
        .collect();
    let v = verilator_run_raw(SigParse::default(), TB_CPP, lines);
    let got: Vec<(u64, SigInfo)> = v
        .lines
        .iter()
        .map(|line| {
            let t: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(t.len(), 9, "bad output line {line:?}");
            let flag = |k: usize| field::<u8>(&t, k, line) == 1;
            (
                field(&t, 0, line),
                SigInfo {
                    crc_ok: flag(1),
                    supported: flag(2),
                    mcs: field(&t, 3, line),
                    aggregation: flag(4),
                    length: field(&t, 5, line),
                    candidate: flag(6),
                    steps: field(&t, 7, line),
                    zero: flag(8),
                },
            )
        })
        .collect();
    let cand = check(&bits, &got);
    let ok = got.iter().filter(|(_, i)| i.crc_ok && i.supported).count();
    println!(
        "verilator: lint clean, build {:.1} s, run {:.2} s: {} bits, {} SIGs bit-exact and on \
         time ({ok} right and supported, {cand} candidates)",
        v.build_s,
        v.run_s,
        bits.len(),
        got.len()
    );
    assert!(cand > 1000 && ok > cand);
}

#[test]
fn sig_parse_synthesizes_for_ecp5() {
    if !require("yosys", "sig_parse_synthesizes_for_ecp5") {
        return;
    }
    let cells = synth_ecp5(SigParse::default(), "SIG reader");
    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    assert_eq!(count("MULT18X18D"), 0, "{cells:?}");
    assert_eq!(count("DP16KD"), 0, "{cells:?}");
    println!("{cells:?}");
}
