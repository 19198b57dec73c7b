//! The ECP5 boards: one TOML file and one LPF pin file each under `boards/fpga/`, compiled
//! in, so the binary carries them.

use serde::Deserialize;
use subgate_gateware::tools::Ecp5Device;

/// One ECP5 board (fields as in its TOML file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FpgaBoard {
    /// Name used on the command line (`subgate gateware build --board <name>`).
    pub name: String,
    /// What the board is and what the top level does with it.
    pub description: String,
    /// FPGA part (Lattice's name).
    pub part: String,
    /// nextpnr-ecp5's device flag without the dashes (`25k`, `45k`, `85k`).
    pub size: String,
    /// Package.
    pub package: String,
    /// Speed grade.
    pub speed: u8,
    /// Frequency of the clock on the `clk_in` pin, MHz.
    pub clock_mhz: f64,
    /// Fabric clock the PLL makes from it, MHz.
    pub fabric_mhz: f64,
    /// The LPF file's name (under `boards/fpga/`).
    pub lpf: String,
    /// The LEDs light on a low output.
    pub led_active_low: bool,
    /// The top level built for it (default: the development top level).
    #[serde(default)]
    pub top: TopLevel,
}

/// Which top level a board gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopLevel {
    /// Test source, front end, SPI ([`crate::top::DevTop`]).
    #[default]
    Development,
    /// The LimeSDR Mini v2's LMS7002M receive port, front end, SPI
    /// ([`crate::lime_top::LimeTop`]).
    LimeRadio,
}

/// The boards' TOML and LPF files, as compiled in.
const FILES: [(&str, &str); 3] = [
    (
        include_str!("../fpga/orangecrab.toml"),
        include_str!("../fpga/orangecrab.lpf"),
    ),
    (
        include_str!("../fpga/ulx3s.toml"),
        include_str!("../fpga/ulx3s.lpf"),
    ),
    (
        include_str!("../fpga/limesdr-mini-v2.toml"),
        include_str!("../fpga/limesdr-mini-v2.lpf"),
    ),
];

/// A board file that does not parse (a bug in `boards/fpga/`, caught by the tests).
pub type BoardFileError = crate::files::TomlFileError;

/// Every board, in the order `subgate gateware boards` lists them.
pub fn boards() -> Result<Vec<FpgaBoard>, BoardFileError> {
    crate::files::parse_all("board", FILES.iter().map(|(toml_text, _)| *toml_text))
}

/// The board called `name`, if there is one.
pub fn find(name: &str) -> Result<Option<FpgaBoard>, BoardFileError> {
    Ok(boards()?.into_iter().find(|b| b.name == name))
}

impl FpgaBoard {
    /// The LPF pin file's text.
    pub fn lpf_text(&self) -> &'static str {
        FILES
            .iter()
            .find(|(t, _)| toml::from_str::<FpgaBoard>(t).is_ok_and(|b| b.name == self.name))
            .map_or("", |(_, lpf)| lpf)
    }

    /// The part as nextpnr-ecp5 takes it.
    pub fn device(&self) -> Ecp5Device {
        Ecp5Device {
            size: self.size.clone(),
            package: self.package.clone(),
            speed: self.speed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_board_parses_and_names_a_known_part() {
        let all = boards().unwrap();
        assert_eq!(all.len(), FILES.len());
        for b in &all {
            assert!(["25k", "45k", "85k"].contains(&b.size.as_str()), "{b:?}");
            assert!(
                ["CSFBGA285", "CABGA381", "CABGA256", "CABGA554", "CABGA756"]
                    .contains(&b.package.as_str()),
                "{b:?}"
            );
            assert!([6, 7, 8].contains(&b.speed), "{b:?}");
            // the part's size is the one nextpnr is told
            assert!(b.part.ends_with(&format!("{}F", &b.size[..2])), "{b:?}");
            let lpf = b.lpf_text();
            // every top-level port is placed, and the clock has its frequency
            for port in [
                "clk_in", "spi_sclk", "spi_mosi", "spi_miso", "spi_cs_n", "led[0]", "led[1]",
                "led[2]",
            ] {
                assert!(
                    lpf.contains(&format!("LOCATE COMP \"{port}\"")),
                    "{}: {port}",
                    b.name
                );
            }
            assert!(
                lpf.contains(&format!("FREQUENCY PORT \"clk_in\" {} MHZ", b.clock_mhz)),
                "{}",
                b.name
            );
            if b.top == TopLevel::LimeRadio {
                let mut ports: Vec<String> = (0..12).map(|k| format!("lms_diq2[{k}]")).collect();
                ports.extend(
                    [
                        "lms_mclk2",
                        "lms_iqsel2",
                        "lms_fclk2",
                        "lms_reset",
                        "lms_rxen",
                        "lms_txen",
                        "lms_core_ldo_en",
                    ]
                    .map(String::from),
                );
                for port in ports {
                    assert!(lpf.contains(&format!("LOCATE COMP \"{port}\"")), "{port}");
                }
                assert!(lpf.contains("FREQUENCY PORT \"lms_mclk2\""));
            }
        }
        assert!(find("orangecrab").unwrap().is_some());
        assert!(find("nope").unwrap().is_none());
    }
}
