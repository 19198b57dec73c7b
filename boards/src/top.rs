//! The development top level, for boards without a radio on the FPGA's pins: the PLL makes
//! the fabric clock and the [`TestSource`] feeds the board's [`HostCore`] (front end with
//! its framer, SPI registers and burst stream, LEDs). Every output record also folds into the
//! front end's signature register, so a host can check the design against the model through
//! the registers alone.
//!
//! Ports (the names the boards' LPF files place): `clk_in`, `spi_sclk`, `spi_mosi`,
//! `spi_cs_n`, `spi_miso`, `led[2:0]`.

use crate::host::HostCore;
pub use crate::host::{LAG, STREAM, STREAM_VALID};
use crate::pll::Pll;
use crate::source::TestSource;
use rust_hdl::prelude::*;

/// The development top level.
#[derive(LogicBlock)]
pub struct DevTop {
    /// Board clock (the LPF gives its frequency).
    pub clk_in: Signal<In, Clock>,
    /// SPI clock from the host.
    pub spi_sclk: Signal<In, Bit>,
    /// SPI data from the host.
    pub spi_mosi: Signal<In, Bit>,
    /// SPI select, active low.
    pub spi_cs_n: Signal<In, Bit>,
    /// SPI data to the host.
    pub spi_miso: Signal<Out, Bit>,
    /// LEDs: 0 a burst started in the last ~84 ms, 1 output records in the last ~84 ms, 2 the
    /// PLL locked.
    pub led: Signal<Out, Bits<3>>,
    pll: Pll,
    source: TestSource,
    core: HostCore,
}

impl DevTop {
    /// The top level for a board whose LEDs light on a low output when `led_active_low`.
    pub fn new(led_active_low: bool) -> Self {
        DevTop {
            clk_in: Default::default(),
            spi_sclk: Default::default(),
            spi_mosi: Default::default(),
            spi_cs_n: Default::default(),
            spi_miso: Default::default(),
            led: Default::default(),
            pll: Default::default(),
            source: Default::default(),
            core: HostCore::new(led_active_low),
        }
    }
}

impl Logic for DevTop {
    #[hdl_gen]
    fn update(&mut self) {
        self.pll.clkin.next = self.clk_in.val();
        self.source.clock.next = self.pll.clkout.val();
        self.core.clock.next = self.pll.clkout.val();
        self.core.in_valid.next = self.source.out_valid.val();
        self.core.in_i.next = self.source.out_i.val();
        self.core.in_q.next = self.source.out_q.val();
        self.core.locked.next = self.pll.locked.val();
        self.core.spi_sclk.next = self.spi_sclk.val();
        self.core.spi_mosi.next = self.spi_mosi.val();
        self.core.spi_cs_n.next = self.spi_cs_n.val();
        self.spi_miso.next = self.core.spi_miso.val();
        self.led.next = self.core.led.val();
    }
}
