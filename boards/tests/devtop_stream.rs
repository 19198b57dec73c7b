//! The development top level's Verilog in Verilator, a host on its SPI pins reading the burst
//! stream through the `STREAM` register: what it gets deframes without damage into segments
//! whose samples are, at their timestamps, the channels' decimated test-source samples from
//! the fixed-point models — the board's wiring from the test source to the host, end to end.
//!
//! At reset the detector's threshold is 0, so every channel forwards without pause; SPI
//! carries far less than the four channels make, so the rings overflow and the test also sees
//! `OVERFLOW` segments and the drop counter. The PLL is a pass-through stub (its real module
//! comes from `yowasp-ecppll` at build time).

use rust_hdl::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use subgate_boards::top::{DevTop, STREAM, STREAM_VALID};
use subgate_boards::{pll, source};
use subgate_drivers::burst_stream::{flags, Deframer, Item, Repr, SampleFormat};
use subgate_dsp::frontend::ddc::Ddc;
use subgate_dsp::frontend::decim::Decimator;
use subgate_dsp::frontend::framer::SEGMENT;
use subgate_dsp::frontend::stream::reg as sreg;
use subgate_dsp::frontend::top::{reg, ID};
use subgate_gateware::tools;

/// Stream bytes the host reads before it stops.
const BYTES: usize = 12_000;

/// The testbench: `argv[1]` holds `bytes max_clocks`; the host reads the identification,
/// then `STREAM` until it has `bytes` bytes (or `max_clocks` pass), then the segment and
/// drop counters. It writes `id`, one line per stream byte, then `segments dropped clocks`.
const TB_CPP: &str = r#"#include "Vtop.h"
#include "verilated.h"
#include <cstdio>
#include <cstdint>
static Vtop* top;
static unsigned long long clk = 0;
static const int HALF = 4;
static void tick(int n) {
    for (int k = 0; k < n; k++) {
        top->clk_in = 1;
        top->eval();
        top->clk_in = 0;
        top->eval();
        clk++;
    }
}
static uint32_t spi(uint64_t word) {
    uint32_t value = 0;
    top->spi_cs_n = 0;
    tick(HALF);
    for (int b = 0; b < 40; b++) {
        top->spi_mosi = (word >> (39 - b)) & 1;
        tick(HALF);
        top->spi_sclk = 1;
        top->eval();
        if (b >= 8) value = (value << 1) | (top->spi_miso & 1);
        tick(HALF);
        top->spi_sclk = 0;
    }
    top->spi_cs_n = 1;
    tick(4 * HALF);
    return value;
}
static uint32_t rd(unsigned addr) { return spi((uint64_t)addr << 32); }
int main(int argc, char** argv) {
    if (argc != 3) return 2;
    FILE* in = std::fopen(argv[1], "r");
    FILE* out = std::fopen(argv[2], "w");
    if (!in || !out) return 3;
    unsigned long long want, max_clocks;
    unsigned stream, valid, segments, dropped, id;
    if (std::fscanf(in, "%llu %llu %u %u %u %u %u", &want, &max_clocks, &stream, &valid, &segments,
                    &dropped, &id) != 7) return 4;
    top = new Vtop;
    top->spi_cs_n = 1;
    top->spi_sclk = 0;
    top->spi_mosi = 0;
    top->clk_in = 0;
    top->eval();
    tick(16);
    std::fprintf(out, "%u\n", rd(id));
    unsigned long long got = 0;
    while (got < want && clk < max_clocks) {
        uint32_t v = rd(stream);
        if (v & valid) {
            std::fprintf(out, "%u\n", v & 0xff);
            got++;
        }
    }
    uint32_t s = rd(segments), d = rd(dropped);
    std::fprintf(out, "%u %u %llu\n", s, d, clk);
    top->final();
    delete top;
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 5;
}
"#;

#[test]
fn host_reads_the_burst_stream_over_spi_in_verilator() {
    if !tools::available("verilator") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "verilator is not installed but CI=true"
        );
        println!("SKIPPED host_reads_the_burst_stream_over_spi_in_verilator: no verilator");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut uut = DevTop::new(true);
    uut.connect_all();
    let verilog = generate_verilog(&uut) + pll::SIM_STUB;
    std::fs::write(dir.path().join("top.v"), verilog).unwrap();
    std::fs::write(dir.path().join("tb.cpp"), TB_CPP).unwrap();
    tools::verilator_lint(dir.path()).unwrap();
    tools::verilator_build(dir.path()).unwrap();
    let input = dir.path().join("in.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    writeln!(
        f,
        "{BYTES} 40000000 {STREAM} {STREAM_VALID} {} {} {}",
        sreg::SEGMENTS,
        sreg::DROPPED,
        reg::ID
    )
    .unwrap();
    drop(f);
    let output = dir.path().join("out.txt");
    let start = std::time::Instant::now();
    let status = std::process::Command::new(dir.path().join("obj/Vtop"))
        .arg(&input)
        .arg(&output)
        .status()
        .unwrap();
    let run_s = start.elapsed().as_secs_f64();
    assert!(status.success(), "Vtop: {status}");
    let text = std::fs::read_to_string(&output).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 2, "output {text:?}");
    assert_eq!(lines[0].parse::<u32>().unwrap(), ID);
    let last: Vec<u64> = lines[lines.len() - 1]
        .split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect();
    let (segments, dropped, clocks) = (last[0], last[1], last[2]);
    let bytes: Vec<u8> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(
        bytes.len(),
        BYTES,
        "the host got {} bytes in {clocks} clocks",
        bytes.len()
    );

    // the bytes as segments: no damage; the stream stops inside the last one
    let mut d = Deframer::new();
    d.push(&bytes);
    let mut segs: Vec<Repr> = Vec::new();
    while let Some(item) = d.next_item() {
        match item {
            Item::Segment(r) => segs.push(r),
            Item::Damaged(e) => panic!("damaged stream: {e:?}"),
        }
    }
    assert!(segs.len() >= 4, "{} segments", segs.len());

    // the models: the test source's samples, moved by frequency word 0 and decimated (every
    // channel is at reset, so all four carry the same decimated stream)
    let adc = source::samples((clocks / source::DIVIDER) as usize + 16);
    let (mut ddc, mut decim) = (Ddc::new(0), Decimator::new());
    let decimated: Vec<(i16, i16)> = adc
        .iter()
        .filter_map(|&x| decim.step(ddc.step(x)))
        .collect();
    let mut per_channel: BTreeMap<u8, Vec<&Repr>> = BTreeMap::new();
    for s in &segs {
        assert_eq!(s.format, SampleFormat::Ci16);
        assert!((1..=SEGMENT).contains(&s.samples.len()));
        assert_eq!(s.flags & flags::END, 0, "the burst never ends");
        let from = s.timestamp as usize;
        assert_eq!(
            s.samples.as_slice(),
            &decimated[from..from + s.samples.len()],
            "channel {} segment {}: samples differ from the model's",
            s.channel,
            s.sequence
        );
        per_channel.entry(s.channel).or_default().push(s);
    }
    let mut overflowed = 0;
    for (c, list) in &per_channel {
        assert!(*c < 4);
        // the first segment starts the burst at sample 0; sequence numbers run on
        assert_eq!(list[0].timestamp, 0, "channel {c}");
        assert_eq!(list[0].flags, flags::START, "channel {c}");
        for (k, s) in list.iter().enumerate() {
            assert_eq!(usize::from(s.sequence), k, "channel {c}");
            if k > 0 {
                let prev = list[k - 1];
                let gap = s.timestamp > prev.timestamp + prev.samples.len() as u64;
                assert_eq!(
                    s.flags & flags::OVERFLOW != 0,
                    gap,
                    "channel {c} segment {k}"
                );
                overflowed += usize::from(gap);
            }
        }
    }
    assert_eq!(per_channel.len(), 4, "segments from every channel");
    assert!(
        overflowed > 0 && dropped > 0,
        "SPI kept up with four busy channels? {overflowed} segments after a loss, {dropped} \
         dropped, {clocks} clocks: {:?}",
        segs.iter()
            .map(|s| (s.channel, s.sequence, s.timestamp, s.samples.len(), s.flags))
            .collect::<Vec<_>>()
    );
    assert!(segments as usize >= segs.len());
    println!(
        "verilator dev top: {clocks} clocks in {run_s:.2} s; the host read {} bytes over SPI: {} \
         segments ({overflowed} after a loss), samples equal to the model's; framer registers: \
         {segments} segments, {dropped} samples dropped",
        bytes.len(),
        segs.len()
    );
}
