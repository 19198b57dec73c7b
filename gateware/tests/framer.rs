//! The burst-stream framer against its `subgate-dsp` model: rust-hdl simulation, the
//! generated Verilog in Verilator (lint and simulation over more than 2²⁰ records, from the
//! burst gate's model on frames through the channel model and from bursts sized around the
//! segment length, with a link that keeps up and one that stalls), and yosys `synth_ecp5`.
//! The model's stream is checked against the protocol in `subgate-drivers`
//! (drivers/tests/framer_model.rs).
//!
//! Tests needing verilator or yosys fail when the tool is missing and `CI=true`, and skip
//! with a message otherwise.

mod common;

use common::{field, require, synth_ecp5, verilator_run_raw};
use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use subgate_dsp::frontend::burst::BurstOutput;
use subgate_dsp::frontend::framer::{BurstSizes, FramerInput};
use subgate_gateware::framer::Framer;
use subgate_gateware::vectors::{
    framer_check, framer_drain_from, framer_inputs, framer_random_ticks, framer_scene_ticks,
    FramerLink, FramerSummary,
};

/// Upper bound on `LUT4` after `synth_ecp5` (1123 measured, plus about a fifth).
const LUT_BOUND: u64 = 1350;
/// Upper bound on `TRELLIS_FF` (962 measured).
const FF_BOUND: u64 = 1150;

/// A link that stalls 1500 clocks in every 6000 and takes 7 bytes in 8 otherwise, ADC on
/// every clock: four busy channels overflow it.
const STALLING: FramerLink = FramerLink {
    adc_every: 1,
    period: 6000,
    stall: 1500,
    ready_eighths: 7,
};

/// A link that keeps up: ADC every third clock, the link takes 7 bytes in 8.
const KEEPING_UP: FramerLink = FramerLink {
    adc_every: 3,
    period: 1,
    stall: 0,
    ready_eighths: 7,
};

/// The record fields of one input, as the block's ports take them.
fn ports(input: &FramerInput) -> (bool, bool, bool, usize, u32, i16, i16) {
    match input.record {
        Some((c, BurstOutput::Sample { index, x, start })) => {
            (true, false, start, c, index, x.0, x.1)
        }
        Some((c, BurstOutput::End { next })) => (false, true, false, c, next, 0, 0),
        None => (false, false, false, 0, 0, 0, 0),
    }
}

#[test]
fn framer_matches_model_in_rust_hdl_simulation() {
    // short bursts so the few thousand clocks the simulator manages hold several segments,
    // a stall that fills a ring, and discards
    let ticks = framer_random_ticks(1000, BurstSizes::AroundSegment, 5);
    let link = FramerLink {
        adc_every: 1,
        period: 20_000,
        stall: 12_000,
        ready_eighths: 6,
    };
    let inputs = framer_inputs(&ticks, &link);
    let clocks = inputs.len();
    let taken = Arc::new(Mutex::new(Vec::new()));
    let counters = Arc::new(Mutex::new((0u32, 0u32)));
    let mut uut = Framer::new();
    uut.in_adc.connect();
    uut.in_valid.connect();
    uut.in_end.connect();
    uut.in_start.connect();
    uut.in_channel.connect();
    uut.in_index.connect();
    uut.in_i.connect();
    uut.in_q.connect();
    uut.out_ready.connect();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Framer>| x.clock.next = !x.clock.val());
    let (stim, out, cnt) = (inputs.clone(), taken.clone(), counters.clone());
    sim.add_testbench(move |mut sim: Sim<Framer>| {
        let mut x = sim.init()?;
        wait_clock_true!(sim, clock, x);
        for (clock, input) in stim.iter().enumerate() {
            let (valid, end, start, c, index, i, q) = ports(input);
            x.in_adc.next = input.adc;
            x.in_valid.next = valid;
            x.in_end.next = end;
            x.in_start.next = start;
            x.in_channel.next = Bits::<2>::from(c as u64);
            x.in_index.next = Bits::<32>::from(u64::from(index));
            x.in_i.next = Signed::<16>::from(i64::from(i));
            x.in_q.next = Signed::<16>::from(i64::from(q));
            x.out_ready.next = input.ready;
            if x.out_valid.val() && input.ready {
                out.lock()
                    .unwrap()
                    .push((clock as u64, x.out_data.val().to_u8()));
            }
            wait_clock_cycle!(sim, clock, x);
        }
        *cnt.lock().unwrap() = (x.segments.val().to_u32(), x.dropped.val().to_u32());
        sim.done(x)
    });
    let start = Instant::now();
    sim.run(Box::new(uut), 10 * (clocks as u64 + 64)).unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    let taken = taken.lock().unwrap();
    let counters = *counters.lock().unwrap();
    let summary = framer_check(&inputs, &taken, counters).unwrap();
    println!(
        "rust-hdl: {clocks} clocks in {elapsed:.2} s ({:.0} clocks/s): {summary:?} bit-exact",
        clocks as f64 / elapsed
    );
    assert!(summary.segments >= 4 && summary.dropped > 0, "{summary:?}");
}

/// The Verilator testbench. `argv[1]`: a first line `clocks drain_from adc_every period
/// stall ready_eighths`, then one line per record `clock kind channel start index i q`
/// (kind 1 sample, 2 end) in clock order. It drives the ADC strobe and the link's ready as
/// `FramerLink` does, and writes `clock byte` for every byte the link takes, then a last line
/// `segments dropped`.
const TB_CPP: &str = r#"#include "Vtop.h"
#include "verilated.h"
#include <cstdio>
#include <cstdint>
int main(int argc, char** argv) {
    if (argc != 3) return 2;
    FILE* in = std::fopen(argv[1], "r");
    FILE* out = std::fopen(argv[2], "w");
    if (!in || !out) return 3;
    unsigned long long clocks, drain, every, period, stall, eighths;
    if (std::fscanf(in, "%llu %llu %llu %llu %llu %llu", &clocks, &drain, &every, &period,
                    &stall, &eighths) != 6) return 4;
    Vtop* top = new Vtop;
    top->clock = 0;
    top->eval();
    unsigned long long rc = 0;
    int kind = 0, ch = 0, start = 0, i = 0, q = 0;
    unsigned index = 0;
    bool have = std::fscanf(in, "%llu %d %d %d %u %d %d", &rc, &kind, &ch, &start, &index,
                            &i, &q) == 7;
    for (unsigned long long clk = 0; clk < clocks; clk++) {
        bool rec = have && rc == clk;
        bool adc, ready;
        if (clk < drain) {
            adc = clk % every == every - 1;
            ready = clk % period >= stall &&
                    ((unsigned long long)(clk * 0x9E3779B97F4A7C15ull) >> 61) < eighths;
        } else {
            adc = false;
            ready = true;
        }
        top->in_adc = adc;
        top->in_valid = rec && kind == 1;
        top->in_end = rec && kind == 2;
        top->in_start = rec ? start : 0;
        top->in_channel = rec ? ch : 0;
        top->in_index = rec ? index : 0;
        top->in_i = (uint16_t)(int16_t)(rec ? i : 0);
        top->in_q = (uint16_t)(int16_t)(rec ? q : 0);
        top->out_ready = ready;
        top->eval();
        if (top->out_valid && ready) std::fprintf(out, "%llu %u\n", clk, (unsigned)top->out_data);
        top->clock = 1;
        top->eval();
        top->clock = 0;
        top->eval();
        if (rec) {
            have = std::fscanf(in, "%llu %d %d %d %u %d %d", &rc, &kind, &ch, &start, &index,
                               &i, &q) == 7;
        }
    }
    std::fprintf(out, "%u %u\n", (unsigned)top->segments, (unsigned)top->dropped);
    top->final();
    delete top;
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 5;
}
"#;

/// One Verilator run over per-tick records on `link`.
fn verilator_framer(
    label: &str,
    ticks: &[Vec<Option<BurstOutput>>],
    link: &FramerLink,
) -> FramerSummary {
    let inputs = framer_inputs(ticks, link);
    let drain = framer_drain_from(ticks[0].len(), link);
    let header = format!(
        "{} {drain} {} {} {} {}",
        inputs.len(),
        link.adc_every,
        link.period,
        link.stall,
        link.ready_eighths
    );
    let records = inputs.iter().enumerate().filter_map(|(clock, input)| {
        input.record.map(|_| {
            let (valid, _, start, c, index, i, q) = ports(input);
            let kind = if valid { 1 } else { 2 };
            format!("{clock} {kind} {c} {} {index} {i} {q}", u8::from(start))
        })
    });
    let v = verilator_run_raw(
        Framer::new(),
        TB_CPP,
        std::iter::once(header).chain(records),
    );
    let (last, bytes) = v.lines.split_last().expect("no output from the testbench");
    let t: Vec<&str> = last.split_whitespace().collect();
    let counters = (field(&t, 0, last), field(&t, 1, last));
    let taken: Vec<(u64, u8)> = bytes
        .iter()
        .map(|line| {
            let t: Vec<&str> = line.split_whitespace().collect();
            (field(&t, 0, line), field(&t, 1, line))
        })
        .collect();
    let summary = framer_check(&inputs, &taken, counters).unwrap();
    println!(
        "verilator, {label}: lint clean, build {:.1} s, {} clocks in {:.2} s ({:.2} M clocks/s \
         incl. text I/O): {} records, {} bytes bit-exact, {} segments, {} samples dropped, {} \
         segments discarded",
        v.build_s,
        inputs.len(),
        v.run_s,
        inputs.len() as f64 / v.run_s / 1e6,
        summary.records,
        summary.bytes,
        summary.segments,
        summary.dropped,
        summary.discards
    );
    summary
}

#[test]
fn framer_verilog_lints_and_matches_model_in_verilator() {
    if !require(
        "verilator",
        "framer_verilog_lints_and_matches_model_in_verilator",
    ) {
        return;
    }
    // frames through the channel model on four channels, a link that keeps up
    let scene = verilator_framer(
        "scenes, link keeping up",
        &framer_scene_ticks(1 << 18, 20_000, 31),
        &KEEPING_UP,
    );
    assert_eq!(scene.dropped, 0, "{scene:?}");
    // the same scenes on a stalling link with the ADC on every clock: overflow and discards
    let stalled = verilator_framer(
        "scenes, stalling link",
        &framer_scene_ticks(1 << 17, 20_000, 32),
        &STALLING,
    );
    assert!(stalled.dropped > 0, "{stalled:?}");
    // bursts around the segment size
    let sized = verilator_framer(
        "segment-sized bursts, stalling link",
        &framer_random_ticks(1 << 16, BurstSizes::AroundSegment, 33),
        &STALLING,
    );
    assert!(sized.dropped > 0, "{sized:?}");
    // tiny bursts: a stalled link fills the descriptor queue, closed segments are discarded
    let tiny = verilator_framer(
        "tiny bursts, stalling link",
        &framer_random_ticks(1 << 14, BurstSizes::Tiny, 34),
        &STALLING,
    );
    assert!(tiny.discards > 0 && tiny.dropped > 0, "{tiny:?}");
    let records = scene.records + stalled.records + sized.records + tiny.records;
    println!("verilator: {records} records in all");
    assert!(records >= 1 << 20, "only {records} records");
}

#[test]
fn framer_is_synthesizable() {
    if !require("yosys", "framer_is_synthesizable") {
        return;
    }
    let mut uut = Framer::new();
    uut.connect_all();
    yosys_validate("subgate_gateware_framer", &generate_verilog(&uut)).unwrap();
}

#[test]
fn framer_synthesizes_for_ecp5() {
    if !require("yosys", "framer_synthesizes_for_ecp5") {
        return;
    }
    let cells = synth_ecp5(Framer::new(), "framer");
    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    // no multiplier; the four rings in block RAM (2048 × 32)
    assert_eq!(count("MULT18X18D"), 0, "{cells:?}");
    assert_eq!(count("DP16KD") + count("PDPW16KD"), 4, "{cells:?}");
    assert!(count("TRELLIS_FF") > 0 && count("LUT4") > 0, "{cells:?}");
    assert!(count("TRELLIS_FF") <= FF_BOUND, "{cells:?}");
    assert!(count("LUT4") <= LUT_BOUND, "{cells:?}");
}

#[test]
fn framer_places_and_routes_on_the_25f_at_100_mhz() {
    if !require("yosys", "framer_places_and_routes_on_the_25f_at_100_mhz")
        || !common::require_nextpnr("framer_places_and_routes_on_the_25f_at_100_mhz")
    {
        return;
    }
    let device = subgate_gateware::tools::Ecp5Device {
        size: "25k".into(),
        package: "CSFBGA285".into(),
        speed: 8,
    };
    let (report, _) = common::place_and_route(Framer::new(), &device, "framer");
    assert_eq!(report.used("DP16KD"), 4, "{report:?}");
    // 1891 measured
    let comb = report.used("TRELLIS_COMB");
    assert!((1200..2400).contains(&comb), "{report:?}");
    // the fabric clock of the boards (125 MHz measured with nextpnr's seed 1)
    assert!(report.min_fmax().is_some_and(|f| f >= 100.0), "{report:?}");
}
