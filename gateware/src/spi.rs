//! SPI target bridging a host's SPI master to the front end's register bus (mode 0: data
//! sampled on SCLK rising edges, changed on falling edges; `cs_n` low for one transaction).
//!
//! A transaction is 40 bits, most significant first: bit 39 = 1 for a write, 0 for a read;
//! bits 38..32 the register address; bits 31..0 the data. On a write the target pulses
//! `csr_write` once `cs_n` rises after exactly 40 bits (a shorter or longer transaction
//! writes nothing). On a read the host sends 8 bits, and the register's value comes back on
//! MISO over the next 32 clocks (what it sends meanwhile is ignored).
//!
//! The SPI signals go through two-flip-flop synchronisers, so SCLK must stay at or below
//! 1/8 of the system clock (the read data is loaded 3 system clocks after the 8th rising
//! edge, well before the falling edge that follows).

use rust_hdl::prelude::*;

/// The SPI-to-register bridge.
#[derive(LogicBlock, Default)]
pub struct SpiCsr {
    /// System clock.
    pub clock: Signal<In, Clock>,
    /// SPI clock from the host.
    pub sclk: Signal<In, Bit>,
    /// SPI data from the host.
    pub mosi: Signal<In, Bit>,
    /// SPI select from the host, active low.
    pub cs_n: Signal<In, Bit>,
    /// SPI data to the host.
    pub miso: Signal<Out, Bit>,
    /// Register write strobe (one clock).
    pub csr_write: Signal<Out, Bit>,
    /// Register address.
    pub csr_addr: Signal<Out, Bits<8>>,
    /// Register write data.
    pub csr_wdata: Signal<Out, Bits<32>>,
    /// Register read data (the register at the previous clock's `csr_addr`).
    pub csr_rdata: Signal<In, Bits<32>>,
    /// High for the one clock in which a read transaction takes `csr_rdata` (a register that
    /// hands out a stream can move on to its next item then).
    pub csr_read: Signal<Out, Bit>,
    sclk_s: DFF<Bits<3>>,
    cs_s: DFF<Bits<3>>,
    mosi_s: DFF<Bits<2>>,
    rise: Signal<Local, Bit>,
    fall: Signal<Local, Bit>,
    cs_end: Signal<Local, Bit>,
    selected: Signal<Local, Bit>,
    count: DFF<Bits<6>>,
    shift_in: DFF<Bits<40>>,
    shifted: Signal<Local, Bits<40>>,
    shift_out: DFF<Bits<32>>,
    addr: DFF<Bits<8>>,
    load: DFF<Bits<3>>,
    is_read: DFF<Bit>,
    write: DFF<Bit>,
    wdata: DFF<Bits<32>>,
}

impl Logic for SpiCsr {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, sclk_s, cs_s, mosi_s, count, shift_in, shift_out, addr, load, is_read,
            write, wdata
        );
        // synchronisers: bit 0 newest; edges from bits 1 and 2 (both already synchronised)
        self.sclk_s.d.next = (self.sclk_s.q.val() << 1) | bit_cast::<3, 1>(self.sclk.val().into());
        self.cs_s.d.next = (self.cs_s.q.val() << 1) | bit_cast::<3, 1>(self.cs_n.val().into());
        self.mosi_s.d.next = (self.mosi_s.q.val() << 1) | bit_cast::<2, 1>(self.mosi.val().into());
        self.rise.next = self.sclk_s.q.val().get_bit(1) & !self.sclk_s.q.val().get_bit(2);
        self.fall.next = !self.sclk_s.q.val().get_bit(1) & self.sclk_s.q.val().get_bit(2);
        self.selected.next = !self.cs_s.q.val().get_bit(1);
        self.cs_end.next = self.cs_s.q.val().get_bit(1) & !self.cs_s.q.val().get_bit(2);
        // the shift register with the newest MOSI bit (a local signal, so the address's
        // part-select is taken from a signal, not an expression)
        self.shifted.next =
            (self.shift_in.q.val() << 1) | bit_cast::<40, 1>(self.mosi_s.q.val().get_bit(1).into());
        self.write.d.next = false;
        self.load.d.next = self.load.q.val() << 1;
        if self.selected.val() {
            if self.rise.val() {
                self.shift_in.d.next = self.shifted.val();
                if self.count.q.val() != 63 {
                    self.count.d.next = self.count.q.val() + 1;
                }
                if self.count.q.val() == 7 {
                    // the 8th bit: the address is complete (bits 6..0 of the new shift)
                    self.addr.d.next = bit_cast::<8, 7>(self.shifted.val().get_bits::<7>(0));
                    self.load.d.next = 1.into();
                    // bit 7 of the new shift is the transaction's first: 1 for a write
                    self.is_read.d.next = !self.shifted.val().get_bit(7);
                }
            }
            if self.fall.val() & (self.count.q.val() > 8) {
                self.shift_out.d.next = self.shift_out.q.val() << 1;
            }
        } else {
            self.count.d.next = 0.into();
        }
        // the register's value two clocks after its address (one for the bus's read register)
        if self.load.q.val().get_bit(2) {
            self.shift_out.d.next = self.csr_rdata.val();
        }
        if self.cs_end.val() & (self.count.q.val() == 40) & self.shift_in.q.val().get_bit(39) {
            self.write.d.next = true;
            self.wdata.d.next = self.shift_in.q.val().get_bits::<32>(0);
        }
        self.csr_read.next = self.load.q.val().get_bit(2) & self.is_read.q.val();
        self.miso.next = self.shift_out.q.val().get_bit(31);
        self.csr_write.next = self.write.q.val();
        self.csr_addr.next = self.addr.q.val();
        self.csr_wdata.next = self.wdata.q.val();
    }
}
