//! What every board's top level does with its samples: the four-channel front end with its
//! framer ([`StreamFrontEnd`]), a host on SPI ([`SpiCsr`]) reaching the registers and the
//! burst stream through register [`STREAM`], and three LEDs for detections, output records
//! and the PLL's lock. The top levels differ only in where the samples come from
//! ([`crate::top`]: a test source; [`crate::lime_top`]: the LMS7002M's receive port).
//!
//! Register [`STREAM`] (read): bit 8 set when a byte of the burst stream was waiting, bits
//! 7..0 that byte; the read takes it, so a host reading `STREAM` in a loop receives the
//! stream byte for byte (docs/burst-stream.md), at SPI speed (one byte per 40-bit
//! transaction — enough for a test, not for a busy band).

use rust_hdl::prelude::*;
use subgate_dsp::frontend::burst::DEFAULT_PRE;
use subgate_gateware::spi::SpiCsr;
use subgate_gateware::stream::StreamFrontEnd;

/// STF period of the channels (1 MHz S1G).
pub const LAG: usize = 8;

/// The register a host reads the burst stream through (see the module documentation).
pub const STREAM: u8 = 0x19;
/// Bit of a [`STREAM`] read that says a byte came with it.
pub const STREAM_VALID: u32 = 1 << 8;

// `update` spells the address and the flag as literals; the address is free in the front
// end's map.
const _: () = assert!(
    STREAM == 0x19 && STREAM_VALID == 0x100 && STREAM > subgate_dsp::frontend::stream::reg::DROPPED
);

/// Front end, framer, SPI registers and LEDs on the fabric clock.
#[derive(LogicBlock)]
pub struct HostCore {
    /// Fabric clock.
    pub clock: Signal<In, Clock>,
    /// A sample is on `in_i`, `in_q` (at most one per clock).
    pub in_valid: Signal<In, Bit>,
    /// In-phase, signed 16-bit (12-bit samples left-justified).
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature.
    pub in_q: Signal<In, Signed<16>>,
    /// The PLL has locked (LED 2).
    pub locked: Signal<In, Bit>,
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
    fe: StreamFrontEnd,
    spi: SpiCsr,
    stream_rd: DFF<Bits<32>>,
    detect_led: DFF<Bits<23>>,
    record_led: DFF<Bits<23>>,
    lit: Signal<Local, Bits<3>>,
    invert: Constant<Bit>,
}

impl HostCore {
    /// The core for a board whose LEDs light on a low output when `led_active_low`.
    pub fn new(led_active_low: bool) -> Self {
        HostCore {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            locked: Default::default(),
            spi_sclk: Default::default(),
            spi_mosi: Default::default(),
            spi_cs_n: Default::default(),
            spi_miso: Default::default(),
            led: Default::default(),
            fe: StreamFrontEnd::new(LAG, DEFAULT_PRE),
            spi: Default::default(),
            stream_rd: Default::default(),
            detect_led: Default::default(),
            record_led: Default::default(),
            lit: Default::default(),
            invert: Constant::new(led_active_low),
        }
    }
}

impl Logic for HostCore {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, stream_rd, detect_led, record_led);
        self.stream_rd.d.next = 0.into();
        self.fe.clock.next = self.clock.val();
        self.spi.clock.next = self.clock.val();
        self.fe.in_valid.next = self.in_valid.val();
        self.fe.in_i.next = self.in_i.val();
        self.fe.in_q.next = self.in_q.val();
        self.spi.sclk.next = self.spi_sclk.val();
        self.spi.mosi.next = self.spi_mosi.val();
        self.spi.cs_n.next = self.spi_cs_n.val();
        self.spi_miso.next = self.spi.miso.val();
        self.fe.csr_write.next = self.spi.csr_write.val();
        self.fe.csr_addr.next = self.spi.csr_addr.val();
        self.fe.csr_wdata.next = self.spi.csr_wdata.val();
        // the stream register: the output byte with its valid flag, registered like the front
        // end's reads; a read takes the byte it reported (the framer holds a byte until then)
        if self.spi.csr_addr.val() == 0x19 {
            self.stream_rd.d.next = bit_cast::<32, 8>(self.fe.out_data.val());
            if self.fe.out_valid.val() {
                self.stream_rd.d.next = bit_cast::<32, 8>(self.fe.out_data.val()) | 0x100;
            }
        }
        self.fe.out_ready.next = self.spi.csr_read.val()
            & (self.spi.csr_addr.val() == 0x19)
            & self.stream_rd.q.val().get_bit(8);
        self.spi.csr_rdata.next = self.fe.csr_rdata.val() | self.stream_rd.q.val();
        // LEDs: stretch activity to ~84 ms (2²³ clocks at 100 MHz)
        if self.detect_led.q.val().any() {
            self.detect_led.d.next = self.detect_led.q.val() - 1;
        }
        if self.record_led.q.val().any() {
            self.record_led.d.next = self.record_led.q.val() - 1;
        }
        if self.fe.record.val() {
            self.record_led.d.next = 0x7f_ffff.into();
        }
        if self.fe.burst_started.val() {
            self.detect_led.d.next = 0x7f_ffff.into();
        }
        self.lit.next = bit_cast::<3, 1>(self.detect_led.q.val().any().into())
            | (bit_cast::<3, 1>(self.record_led.q.val().any().into()) << 1)
            | (bit_cast::<3, 1>(self.locked.val().into()) << 2);
        self.led.next = self.lit.val();
        if self.invert.val() {
            self.led.next = !self.lit.val();
        }
    }
}
