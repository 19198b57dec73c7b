//! The front end with its framer against the model (`subgate_dsp::frontend::stream`): the
//! generated Verilog in Verilator over 2²⁰ ADC samples of a 16 Msps band with frames on two
//! channels, a link that stalls long enough to overflow a ring, every byte and every register
//! read compared; and yosys `synth_ecp5` of the whole.
//!
//! Tests needing verilator or yosys fail when the tool is missing and `CI=true`, and skip
//! with a message otherwise.

mod common;

use common::{field, frontend_tb_cpp, require, synth_ecp5, verilator_run_raw};
use subgate_dsp::frontend::burst::DEFAULT_PRE;
use subgate_dsp::frontend::ddc::frequency_word;
use subgate_dsp::frontend::detect::threshold_word;
use subgate_dsp::frontend::framer::DRAIN_CLOCKS;
use subgate_dsp::frontend::stream::reg as sreg;
use subgate_dsp::frontend::top::{reg, ID};
use subgate_gateware::stream::StreamFrontEnd;
use subgate_gateware::vectors::{
    channel_stimulus, stream_check, FramerLink, FrontEndCommand, CHANNEL_ADC_RATE,
    CHANNEL_OFFSET_HZ, CHANNEL_OTHER_HZ,
};

/// STF period of the channels (1 MHz).
const LAG: usize = 8;
/// ADC samples in the run.
const SAMPLES: usize = 1 << 20;
/// The link: stalls 12 000 clocks in every 50 000 (a busy channel's ring fills in about
/// 8 700), otherwise takes 7 bytes in 8.
const LINK: FramerLink = FramerLink {
    adc_every: 1,
    period: 50_000,
    stall: 12_000,
    ready_eighths: 7,
};

/// The Verilator testbench's clock ([`common::frontend_tb_cpp`] runs the commands, after a
/// first line `period stall ready_eighths` for the link): it computes the link's ready per
/// clock as `FramerLink::ready` and writes `B clock byte` for every byte the link takes.
const TICK_CPP: &str = r#"static unsigned long long clk = 0, period, stall, eighths;
static void tick() {
    bool ready = clk % period >= stall &&
                 ((unsigned long long)(clk * 0x9E3779B97F4A7C15ull) >> 61) < eighths;
    top->out_ready = ready;
    top->eval();
    if (top->out_valid && ready) std::fprintf(out, "B %llu %u\n", clk, (unsigned)top->out_data);
    top->clock = 1;
    top->eval();
    clk++;
    top->clock = 0;
    top->eval();
}
"#;

/// Reads the link's first line.
const SETUP_CPP: &str =
    "    if (std::fscanf(in, \"%llu %llu %llu\", &period, &stall, &eighths) != 3) return 7;\n";

#[test]
fn stream_verilog_lints_and_matches_model_in_verilator() {
    if !require(
        "verilator",
        "stream_verilog_lints_and_matches_model_in_verilator",
    ) {
        return;
    }
    use FrontEndCommand::*;
    let words = [
        frequency_word(-CHANNEL_OFFSET_HZ, CHANNEL_ADC_RATE),
        frequency_word(-CHANNEL_OTHER_HZ, CHANNEL_ADC_RATE),
        frequency_word(6e6, CHANNEL_ADC_RATE),
        frequency_word(-7.5e6, CHANNEL_ADC_RATE),
    ];
    let mut commands = vec![Read(reg::ID), Read(sreg::SEGMENTS)];
    for (c, &w) in words.iter().enumerate() {
        commands.push(Write(reg::FREQ + c as u8, w));
    }
    commands.push(Write(reg::THRESHOLD, u32::from(threshold_word(0.3))));
    commands.push(Write(reg::HOLD, 600));
    let stimulus = channel_stimulus(SAMPLES, 9);
    let half = stimulus.len() / 2;
    commands.extend(stimulus[..half].iter().copied().map(Sample));
    // counters read mid-stream
    commands.extend([
        Read(sreg::SEGMENTS),
        Read(sreg::DROPPED),
        Read(reg::RECORDS),
    ]);
    commands.extend(stimulus[half..].iter().copied().map(Sample));
    // the link's stall pattern goes on in the drain: wait out a whole period
    commands.push(Idle(LINK.period as usize + DRAIN_CLOCKS));
    commands.extend((0..0x20).map(Read));
    let lines = std::iter::once(format!(
        "{} {} {}",
        LINK.period, LINK.stall, LINK.ready_eighths
    ))
    .chain(commands.iter().map(FrontEndCommand::line));
    let tb = frontend_tb_cpp(TICK_CPP, SETUP_CPP);
    let v = verilator_run_raw(StreamFrontEnd::new(LAG, DEFAULT_PRE), &tb, lines);
    let (mut bytes, mut reads) = (Vec::new(), Vec::new());
    for line in &v.lines {
        let t: Vec<&str> = line.split_whitespace().collect();
        match t.first() {
            Some(&"B") => bytes.push((field::<u64>(&t, 1, line), field::<u8>(&t, 2, line))),
            Some(&"V") => reads.push((field::<u8>(&t, 1, line), field::<u32>(&t, 2, line))),
            _ => panic!("bad output line {line:?}"),
        }
    }
    let summary = stream_check(&commands, &LINK, &bytes, &reads, LAG, DEFAULT_PRE).unwrap();
    println!(
        "verilator front end + framer: lint clean, build {:.1} s, run {:.2} s; {summary:?} \
         bit-exact",
        v.build_s, v.run_s
    );
    assert_eq!(reads[0], (reg::ID, ID));
    assert!(summary.segments >= 20, "{summary:?}");
    assert!(
        summary.dropped > 0,
        "{summary:?}: the stalls dropped nothing"
    );
    let last = |addr: u8| reads.iter().rev().find(|r| r.0 == addr).map(|r| r.1);
    assert_eq!(last(sreg::SEGMENTS), Some(summary.segments));
    assert_eq!(last(sreg::DROPPED), Some(summary.dropped));
    // every forwarded sample either went out (4 bytes each, 28 per segment) or was dropped
    let forwarded: u32 = (0..4).filter_map(|c| last(reg::FORWARDED + c)).sum();
    assert_eq!(
        summary.bytes as u64,
        4 * u64::from(forwarded - summary.dropped) + 28 * u64::from(summary.segments),
        "{summary:?}, {forwarded} forwarded"
    );
}

#[test]
fn stream_synthesizes_for_ecp5() {
    if !require("yosys", "stream_synthesizes_for_ecp5") {
        return;
    }
    let cells = synth_ecp5(StreamFrontEnd::new(LAG, DEFAULT_PRE), "front end + framer");
    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    // the front end's 28 multipliers and 24 block RAMs, the framer's 4
    assert_eq!(count("MULT18X18D"), 28, "{cells:?}");
    assert_eq!(count("DP16KD") + count("PDPW16KD"), 28, "{cells:?}");
}
