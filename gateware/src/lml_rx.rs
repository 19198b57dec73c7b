//! The LMS7002M receive port from its DDR registers into the fabric clock (LimeSDR Mini v2;
//! docs/gateware.md): the word pairing ([`LmlPair`]) runs on the receive clock MCLK2, one
//! cycle per clock; its samples cross into the fabric clock through an asynchronous FIFO
//! (16 entries, Gray-coded pointers behind synchronisers: rust-hdl's `AsynchronousFIFO`) and
//! leave one per fabric clock at most, in order — the front end's `in_valid` samples.
//!
//! The fabric clock must be faster than the receive clock (100 MHz against at most
//! 30.72 MHz here), so the FIFO never fills in steady state; a sample that finds it full is
//! dropped and counted (`overflows`). The counters live in the receive clock's domain and
//! change slowly: a register bus reads them through a synchroniser.

use rust_hdl::prelude::*;

use crate::lml::LmlPair;

/// Entries of the crossing FIFO: 2^this.
const FIFO_BITS: usize = 4;

/// The receive port after the pins' DDR registers.
#[derive(LogicBlock)]
pub struct LmlRx {
    /// The receive clock (MCLK2), on which `fall`, `rise` and their IQSEL change.
    pub rx_clock: Signal<In, Clock>,
    /// The fabric clock.
    pub clock: Signal<In, Clock>,
    /// The port is receiving (LMS7002M configured and its receiver on); low, the words are
    /// ignored.
    pub in_valid: Signal<In, Bit>,
    /// The falling-edge word (the edge before the rising one), 12 bits.
    pub fall: Signal<In, Bits<12>>,
    /// IQSEL with it.
    pub fall_sel: Signal<In, Bit>,
    /// The rising-edge word, 12 bits.
    pub rise: Signal<In, Bits<12>>,
    /// IQSEL with it.
    pub rise_sel: Signal<In, Bit>,
    /// A sample on `out_i`, `out_q` (fabric clock).
    pub out_valid: Signal<Out, Bit>,
    /// In-phase, left-justified 16 bits.
    pub out_i: Signal<Out, Signed<16>>,
    /// Quadrature, left-justified 16 bits.
    pub out_q: Signal<Out, Signed<16>>,
    /// Framing errors (receive clock's domain), saturating.
    pub errors: Signal<Out, Bits<16>>,
    /// Samples dropped at a full FIFO (receive clock's domain), saturating.
    pub overflows: Signal<Out, Bits<16>>,
    pair: LmlPair,
    fifo: AsynchronousFIFO<Bits<32>, FIFO_BITS, 5, 1>,
    lost: DFF<Bits<16>>,
    o_valid: DFF<Bit>,
    o_data: DFF<Bits<32>>,
    full: Constant<Bits<16>>,
}

// `update` and the FIFO's type spell the FIFO's pointer width as a literal (5 = 4 + 1).
const _: () = assert!(FIFO_BITS + 1 == 5);

impl Default for LmlRx {
    fn default() -> Self {
        LmlRx {
            rx_clock: Default::default(),
            clock: Default::default(),
            in_valid: Default::default(),
            fall: Default::default(),
            fall_sel: Default::default(),
            rise: Default::default(),
            rise_sel: Default::default(),
            out_valid: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            errors: Default::default(),
            overflows: Default::default(),
            pair: Default::default(),
            fifo: Default::default(),
            lost: Default::default(),
            o_valid: Default::default(),
            o_data: Default::default(),
            full: Constant::new(Bits::<16>::from(0xFFFFu64)),
        }
    }
}

impl Logic for LmlRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, rx_clock, lost);
        dff_setup!(self, clock, o_valid, o_data);
        // receive clock: pairing, FIFO write
        self.pair.clock.next = self.rx_clock.val();
        self.pair.in_valid.next = self.in_valid.val();
        self.pair.fall.next = self.fall.val();
        self.pair.fall_sel.next = self.fall_sel.val();
        self.pair.rise.next = self.rise.val();
        self.pair.rise_sel.next = self.rise_sel.val();
        self.fifo.write_clock.next = self.rx_clock.val();
        self.fifo.data_in.next = (bit_cast::<32, 16>(unsigned_cast(self.pair.out_i.val())) << 16)
            | bit_cast::<32, 16>(unsigned_cast(self.pair.out_q.val()));
        // The FIFO refuses a write when full (and the lost sample is counted here): `write`
        // must not depend on `full`, which the FIFO computes from it in one process (a
        // combinational loop to Verilator).
        self.fifo.write.next = self.pair.out_valid.val();
        if self.pair.out_valid.val() & self.fifo.full.val() & (self.lost.q.val() != self.full.val())
        {
            self.lost.d.next = self.lost.q.val() + 1;
        }
        self.errors.next = self.pair.errors.val();
        self.overflows.next = self.lost.q.val();
        // fabric clock: one sample per clock out of the FIFO
        self.fifo.read_clock.next = self.clock.val();
        // Always reading: the FIFO advances only when not empty (`read` must not depend on
        // `empty`, for the same reason as `write`); its sticky underflow flag is not used.
        self.fifo.read.next = true;
        self.o_valid.d.next = !self.fifo.empty.val();
        self.o_data.d.next = self.fifo.data_out.val();
        self.out_valid.next = self.o_valid.q.val();
        self.out_i.next = signed_cast(self.o_data.q.val().get_bits::<16>(16));
        self.out_q.next = signed_cast(self.o_data.q.val().get_bits::<16>(0));
    }
}
