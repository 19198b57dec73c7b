//! The whole front end (four channels, registers, arbiter, signature) against its
//! `subgate-dsp` model in Verilator: register writes, a 16 Msps band with frames on two
//! channels, every output record and every register read compared; and yosys `synth_ecp5`.

mod common;

use common::{field, frontend_tb_cpp, require, synth_ecp5, verilator_run_raw};
use subgate_dsp::frontend::burst::{BurstOutput, DEFAULT_PRE};
use subgate_dsp::frontend::ddc::frequency_word;
use subgate_dsp::frontend::detect::threshold_word;
use subgate_dsp::frontend::top::{reg, ID};
use subgate_gateware::frontend::{FrontEnd, OUT_DELAY};
use subgate_gateware::vectors::{
    channel_stimulus, frontend_check, FrontEndCommand, FrontEndRecord, CHANNEL_ADC_RATE,
    CHANNEL_OFFSET_HZ, CHANNEL_OTHER_HZ,
};

/// STF period at 1 MHz.
const LAG: usize = 8;
/// ADC samples in the Verilator run.
const SAMPLES: usize = 1 << 20;

/// The Verilator testbench's clock ([`common::frontend_tb_cpp`] runs the commands): after
/// every clock edge with a record it writes `O clock valid end start channel index i q`.
const TICK_CPP: &str = r#"static unsigned long long clk = 0;
static void tick() {
    top->clock = 1;
    top->eval();
    if (top->out_valid || top->out_end) {
        std::fprintf(out, "O %llu %d %d %d %d %u %d %d\n", clk, (int)top->out_valid,
                     (int)top->out_end, (int)top->out_start, (int)top->out_channel,
                     (unsigned)top->out_index, (int)(int16_t)top->out_i,
                     (int)(int16_t)top->out_q);
    }
    clk++;
    top->clock = 0;
    top->eval();
}
"#;

#[test]
fn frontend_verilog_lints_and_matches_model_in_verilator() {
    if !require(
        "verilator",
        "frontend_verilog_lints_and_matches_model_in_verilator",
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
    let mut commands = vec![Read(reg::ID), Read(reg::CHANNELS)];
    for (c, &w) in words.iter().enumerate() {
        commands.push(Write(reg::FREQ + c as u8, w));
    }
    // bit 15 of the threshold is dropped by the register
    commands.push(Write(
        reg::THRESHOLD,
        u32::from(threshold_word(0.3)) | 0xffff_8000,
    ));
    commands.push(Write(reg::HOLD, 600));
    commands.extend(channel_stimulus(SAMPLES, 9).into_iter().map(Sample));
    commands.push(Idle(200));
    commands.extend((0..0x20).map(Read));
    let lines = commands.iter().map(FrontEndCommand::line);
    let tb = frontend_tb_cpp(TICK_CPP, "");
    let v = verilator_run_raw(FrontEnd::new(LAG, DEFAULT_PRE), &tb, lines);
    let (mut records, mut reads) = (Vec::new(), Vec::new());
    for line in &v.lines {
        let t: Vec<&str> = line.split_whitespace().collect();
        match t.first() {
            Some(&"V") => reads.push((field::<u8>(&t, 1, line), field::<u32>(&t, 2, line))),
            Some(&"O") => {
                let (valid, end) = (field::<u8>(&t, 2, line) != 0, field::<u8>(&t, 3, line) != 0);
                let index = field(&t, 6, line);
                let out = match (valid, end) {
                    (true, false) => BurstOutput::Sample {
                        index,
                        x: (field(&t, 7, line), field(&t, 8, line)),
                        start: field::<u8>(&t, 4, line) != 0,
                    },
                    (false, true) => BurstOutput::End { next: index },
                    _ => panic!("bad record line {line:?}"),
                };
                records.push(FrontEndRecord {
                    clock: field(&t, 1, line),
                    channel: field(&t, 5, line),
                    out,
                });
            }
            _ => panic!("bad output line {line:?}"),
        }
    }
    let summary = frontend_check(
        &commands,
        &records,
        &reads,
        LAG,
        DEFAULT_PRE,
        OUT_DELAY as u64,
    )
    .unwrap();
    let read = |addr: u8| reads.iter().rev().find(|r| r.0 == addr).map(|r| r.1);
    println!(
        "verilator front end: lint clean, build {:.1} s, run {:.2} s; {summary:?} bit-exact; \
         detections {:?}, signature {:#010x}",
        v.build_s,
        v.run_s,
        (0..4)
            .map(|c| read(reg::DETECTIONS + c))
            .collect::<Vec<_>>(),
        read(reg::SIGNATURE).unwrap_or(0)
    );
    assert_eq!(reads[0], (reg::ID, ID));
    // frames on the first two channels, bursts there; the registers agree with the records
    assert!(
        summary.bursts[0] >= 10 && summary.bursts[1] >= 10,
        "{summary:?}"
    );
    assert_eq!(read(reg::RECORDS), Some(summary.records as u32));
    for c in 0..4u8 {
        let cu = usize::from(c);
        assert_eq!(read(reg::BURSTS + c), Some(summary.bursts[cu] as u32));
        assert_eq!(read(reg::FORWARDED + c), Some(summary.forwarded[cu] as u32));
    }
}

#[test]
fn frontend_synthesizes_for_ecp5() {
    if !require("yosys", "frontend_synthesizes_for_ecp5") {
        return;
    }
    let cells = synth_ecp5(FrontEnd::new(LAG, DEFAULT_PRE), "front end (4 channels)");
    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    assert_eq!(count("MULT18X18D"), 28, "{cells:?}");
    assert_eq!(count("DP16KD") + count("PDPW16KD"), 24, "{cells:?}");
}
