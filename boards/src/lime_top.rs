//! The LimeSDR Mini v2's radio top level: the LMS7002M's receive port instead of a test
//! source. MCLK2 clocks the pins' DDR registers ([`LmlPins`]); the falling-edge word is
//! registered once more, so each MCLK2 cycle hands the word pairing the falling edge before
//! the rising one and the rising one; the pairing and its crossing into the fabric clock
//! ([`LmlRx`]) feed the board's [`HostCore`] (front end, framer, SPI registers, LEDs). The
//! LMS7002M's enables are driven as Lime's gateware drives them for receiving: reset
//! released, RXEN high, TXEN low, core LDO on.
//!
//! Not here yet (docs/gateware.md): the LMS7002M's configuration over its own SPI (the chip
//! sends nothing until a host has set it up), the input delays tuned against a test pattern,
//! and the FT601 USB port (the host reads the stream over SPI on the GPIO header).
//!
//! Ports (placed by `boards/fpga/limesdr-mini-v2.lpf`): `clk_in`, `spi_sclk`, `spi_mosi`,
//! `spi_cs_n`, `spi_miso`, `led[2:0]`, `lms_mclk2`, `lms_diq2[11:0]`, `lms_iqsel2`,
//! `lms_fclk2`, `lms_reset`, `lms_rxen`, `lms_txen`, `lms_core_ldo_en`.

use crate::host::HostCore;
use crate::lml_pins::LmlPins;
use crate::pll::Pll;
use rust_hdl::prelude::*;
use subgate_gateware::lml_rx::LmlRx;

/// The LimeSDR Mini v2's radio top level.
#[derive(LogicBlock)]
pub struct LimeTop {
    /// Board clock (LMK_CLK, 40 MHz).
    pub clk_in: Signal<In, Clock>,
    /// SPI clock from the host.
    pub spi_sclk: Signal<In, Bit>,
    /// SPI data from the host.
    pub spi_mosi: Signal<In, Bit>,
    /// SPI select, active low.
    pub spi_cs_n: Signal<In, Bit>,
    /// SPI data to the host.
    pub spi_miso: Signal<Out, Bit>,
    /// LEDs, as the development top level's.
    pub led: Signal<Out, Bits<3>>,
    /// MCLK2: the receive clock from the LMS7002M.
    pub lms_mclk2: Signal<In, Clock>,
    /// DIQ2_D[11:0].
    pub lms_diq2: Signal<In, Bits<12>>,
    /// ENABLE_IQSEL2.
    pub lms_iqsel2: Signal<In, Bit>,
    /// FCLK2: MCLK2 forwarded back.
    pub lms_fclk2: Signal<Out, Bit>,
    /// LMS_RESET (active low): released.
    pub lms_reset: Signal<Out, Bit>,
    /// LMS_RXEN: receiving.
    pub lms_rxen: Signal<Out, Bit>,
    /// LMS_TXEN: not transmitting.
    pub lms_txen: Signal<Out, Bit>,
    /// LMS_CORE_LDO_EN: the core supply on.
    pub lms_core_ldo_en: Signal<Out, Bit>,
    pll: Pll,
    pins: LmlPins,
    fall_d: DFF<Bits<12>>,
    fall_sel_d: DFF<Bit>,
    rx: LmlRx,
    core: HostCore,
    high: Constant<Bit>,
}

impl LimeTop {
    /// The top level; the board's LEDs light on a low output when `led_active_low`.
    pub fn new(led_active_low: bool) -> Self {
        LimeTop {
            clk_in: Default::default(),
            spi_sclk: Default::default(),
            spi_mosi: Default::default(),
            spi_cs_n: Default::default(),
            spi_miso: Default::default(),
            led: Default::default(),
            lms_mclk2: Default::default(),
            lms_diq2: Default::default(),
            lms_iqsel2: Default::default(),
            lms_fclk2: Default::default(),
            lms_reset: Default::default(),
            lms_rxen: Default::default(),
            lms_txen: Default::default(),
            lms_core_ldo_en: Default::default(),
            pll: Default::default(),
            pins: Default::default(),
            fall_d: Default::default(),
            fall_sel_d: Default::default(),
            rx: Default::default(),
            core: HostCore::new(led_active_low),
            high: Constant::new(true),
        }
    }
}

impl Logic for LimeTop {
    #[hdl_gen]
    fn update(&mut self) {
        self.pll.clkin.next = self.clk_in.val();
        self.pins.mclk.next = self.lms_mclk2.val();
        self.pins.diq.next = self.lms_diq2.val();
        self.pins.iqsel.next = self.lms_iqsel2.val();
        self.lms_fclk2.next = self.pins.fclk.val();
        // the falling-edge word after this rising edge pairs with the next rising one
        self.fall_d.clock.next = self.lms_mclk2.val();
        self.fall_sel_d.clock.next = self.lms_mclk2.val();
        self.fall_d.d.next = self.pins.fall.val();
        self.fall_sel_d.d.next = self.pins.fall_sel.val();
        self.rx.rx_clock.next = self.lms_mclk2.val();
        self.rx.clock.next = self.pll.clkout.val();
        self.rx.in_valid.next = self.high.val();
        self.rx.fall.next = self.fall_d.q.val();
        self.rx.fall_sel.next = self.fall_sel_d.q.val();
        self.rx.rise.next = self.pins.rise.val();
        self.rx.rise_sel.next = self.pins.rise_sel.val();
        self.core.clock.next = self.pll.clkout.val();
        self.core.in_valid.next = self.rx.out_valid.val();
        self.core.in_i.next = self.rx.out_i.val();
        self.core.in_q.next = self.rx.out_q.val();
        self.core.locked.next = self.pll.locked.val();
        self.core.spi_sclk.next = self.spi_sclk.val();
        self.core.spi_mosi.next = self.spi_mosi.val();
        self.core.spi_cs_n.next = self.spi_cs_n.val();
        self.spi_miso.next = self.core.spi_miso.val();
        self.led.next = self.core.led.val();
        self.lms_reset.next = self.high.val();
        self.lms_rxen.next = self.high.val();
        self.lms_txen.next = !self.high.val();
        self.lms_core_ldo_en.next = self.high.val();
    }
}
