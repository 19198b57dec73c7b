//! One module per subcommand.

pub mod bands;
pub mod bench;
pub mod bench_band;
pub mod bench_charging;
pub mod bench_kill;
pub mod bench_northbound;
pub mod bench_range;
pub mod bench_scenario;
pub mod configfile;
pub mod demo;
pub mod gateware;
pub mod gen;
pub mod gen_band;
pub mod metrics;
pub mod record;
pub mod records;
pub mod rx;
pub mod rx_band;
pub mod rx_radio;
pub mod sim;
pub mod tx;
pub mod tx_limits;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on stderr that hides itself when stderr is not a terminal.
pub fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}
