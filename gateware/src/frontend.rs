//! The whole receive front end as the boards carry it: [`CHANNELS`] [`Channel`]s on one ADC
//! stream, their control/status registers, a priority arbiter putting the channels' burst
//! records out one per clock, and the output signature. Bit-exact with the model
//! [`subgate_dsp::frontend::top`], whose module documentation gives the register map.
//!
//! The register port is a plain synchronous bus (`csr_write`, `csr_addr`, `csr_wdata`;
//! `csr_rdata` gives the register at the previous clock's `csr_addr`), bridged to SPI on the
//! boards ([`crate::spi`]). A write takes effect from the next ADC sample on.
//!
//! Output records: [`OUT_DELAY`] clocks after the channels' own records, plus one clock per
//! lower-numbered channel with a record on the same clock.

use crate::channel::Channel;
use rust_hdl::prelude::*;
use subgate_dsp::frontend::top::{reg, ID};

pub use subgate_dsp::frontend::top::CHANNELS;

/// Clocks from a channel's record to the front end's output of it when no lower channel has
/// one (pending register, then output register).
pub const OUT_DELAY: usize = 2;

// `update` spells the register addresses and the four channels out as literals (hdl_gen
// copies them into the Verilog verbatim).
const _: () = assert!(
    CHANNELS == 4
        && reg::FREQ == 0
        && reg::THRESHOLD == 4
        && reg::HOLD == 5
        && reg::ID == 6
        && reg::CHANNELS == 7
        && reg::DETECTIONS == 8
        && reg::BURSTS == 12
        && reg::FORWARDED == 16
        && reg::OVERRUN == 20
        && reg::RECORDS == 21
        && reg::SIGNATURE == 22
);

/// The front end (see the module documentation).
#[derive(LogicBlock)]
pub struct FrontEnd {
    /// Sample clock.
    pub clock: Signal<In, Clock>,
    /// High for one clock per ADC sample (at most one per clock).
    pub in_valid: Signal<In, Bit>,
    /// ADC in-phase sample, signed 16-bit (12-bit samples left-justified).
    pub in_i: Signal<In, Signed<16>>,
    /// ADC quadrature sample, signed 16-bit.
    pub in_q: Signal<In, Signed<16>>,
    /// Register write strobe.
    pub csr_write: Signal<In, Bit>,
    /// Register address (word).
    pub csr_addr: Signal<In, Bits<8>>,
    /// Register write data.
    pub csr_wdata: Signal<In, Bits<32>>,
    /// The register at the previous clock's `csr_addr`.
    pub csr_rdata: Signal<Out, Bits<32>>,
    /// An output record: a forwarded sample.
    pub out_valid: Signal<Out, Bit>,
    /// An output record: a burst ended (`out_index` one past its last sample).
    pub out_end: Signal<Out, Bit>,
    /// With `out_valid`: first sample of a burst.
    pub out_start: Signal<Out, Bit>,
    /// The record's channel.
    pub out_channel: Signal<Out, Bits<2>>,
    /// Sample index on the channel's clock (or one past the burst, with `out_end`).
    pub out_index: Signal<Out, Bits<32>>,
    /// Forwarded sample, in-phase.
    pub out_i: Signal<Out, Signed<16>>,
    /// Forwarded sample, quadrature.
    pub out_q: Signal<Out, Signed<16>>,
    channels: [Channel; 4],
    freq: [DFF<Bits<32>>; 4],
    threshold: DFF<Bits<16>>,
    hold: DFF<Bits<16>>,
    detections: [DFF<Bits<32>>; 4],
    bursts: [DFF<Bits<32>>; 4],
    forwarded: [DFF<Bits<32>>; 4],
    overrun: [DFF<Bit>; 4],
    records: DFF<Bits<32>>,
    signature: DFF<Bits<32>>,
    rdata: DFF<Bits<32>>,
    pending: [DFF<Bit>; 4],
    p_end: [DFF<Bit>; 4],
    p_start: [DFF<Bit>; 4],
    p_index: [DFF<Bits<32>>; 4],
    p_i: [DFF<Signed<16>>; 4],
    p_q: [DFF<Signed<16>>; 4],
    sel: Signal<Local, Bits<2>>,
    sel_any: Signal<Local, Bit>,
    s_end: Signal<Local, Bit>,
    s_start: Signal<Local, Bit>,
    s_index: Signal<Local, Bits<32>>,
    s_i: Signal<Local, Signed<16>>,
    s_q: Signal<Local, Signed<16>>,
    word0: Signal<Local, Bits<32>>,
    word1: Signal<Local, Bits<32>>,
    o_valid: DFF<Bit>,
    o_end: DFF<Bit>,
    o_start: DFF<Bit>,
    o_channel: DFF<Bits<2>>,
    o_index: DFF<Bits<32>>,
    o_i: DFF<Signed<16>>,
    o_q: DFF<Signed<16>>,
    id: Constant<Bits<32>>,
}

impl FrontEnd {
    /// A front end whose channels correlate over `lag` samples (8 at 1 MHz) and keep `pre`
    /// samples before a detection; registers at reset.
    ///
    /// # Panics
    /// As [`Channel::new`].
    pub fn new(lag: usize, pre: usize) -> Self {
        FrontEnd {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            csr_write: Default::default(),
            csr_addr: Default::default(),
            csr_wdata: Default::default(),
            csr_rdata: Default::default(),
            out_valid: Default::default(),
            out_end: Default::default(),
            out_start: Default::default(),
            out_channel: Default::default(),
            out_index: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            channels: std::array::from_fn(|_| Channel::new(lag, pre)),
            freq: std::array::from_fn(|_| Default::default()),
            threshold: Default::default(),
            hold: Default::default(),
            detections: std::array::from_fn(|_| Default::default()),
            bursts: std::array::from_fn(|_| Default::default()),
            forwarded: std::array::from_fn(|_| Default::default()),
            overrun: std::array::from_fn(|_| Default::default()),
            records: Default::default(),
            signature: Default::default(),
            rdata: Default::default(),
            pending: std::array::from_fn(|_| Default::default()),
            p_end: std::array::from_fn(|_| Default::default()),
            p_start: std::array::from_fn(|_| Default::default()),
            p_index: std::array::from_fn(|_| Default::default()),
            p_i: std::array::from_fn(|_| Default::default()),
            p_q: std::array::from_fn(|_| Default::default()),
            sel: Default::default(),
            sel_any: Default::default(),
            s_end: Default::default(),
            s_start: Default::default(),
            s_index: Default::default(),
            s_i: Default::default(),
            s_q: Default::default(),
            word0: Default::default(),
            word1: Default::default(),
            o_valid: Default::default(),
            o_end: Default::default(),
            o_start: Default::default(),
            o_channel: Default::default(),
            o_index: Default::default(),
            o_i: Default::default(),
            o_q: Default::default(),
            id: Constant::new(Bits::<32>::from(u64::from(ID))),
        }
    }
}

impl Logic for FrontEnd {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, threshold, hold, records, signature, rdata, o_valid, o_end, o_start,
            o_channel, o_index, o_i, o_q
        );
        for c in 0..4 {
            self.overrun[c].clock.next = self.clock.val();
            self.overrun[c].d.next = self.overrun[c].q.val();
            self.freq[c].clock.next = self.clock.val();
            self.freq[c].d.next = self.freq[c].q.val();
            self.detections[c].clock.next = self.clock.val();
            self.detections[c].d.next = self.detections[c].q.val();
            self.bursts[c].clock.next = self.clock.val();
            self.bursts[c].d.next = self.bursts[c].q.val();
            self.forwarded[c].clock.next = self.clock.val();
            self.forwarded[c].d.next = self.forwarded[c].q.val();
            self.pending[c].clock.next = self.clock.val();
            self.pending[c].d.next = self.pending[c].q.val();
            self.p_end[c].clock.next = self.clock.val();
            self.p_end[c].d.next = self.p_end[c].q.val();
            self.p_start[c].clock.next = self.clock.val();
            self.p_start[c].d.next = self.p_start[c].q.val();
            self.p_index[c].clock.next = self.clock.val();
            self.p_index[c].d.next = self.p_index[c].q.val();
            self.p_i[c].clock.next = self.clock.val();
            self.p_i[c].d.next = self.p_i[c].q.val();
            self.p_q[c].clock.next = self.clock.val();
            self.p_q[c].d.next = self.p_q[c].q.val();
            // the channels, all on the ADC stream
            self.channels[c].clock.next = self.clock.val();
            self.channels[c].in_valid.next = self.in_valid.val();
            self.channels[c].in_i.next = self.in_i.val();
            self.channels[c].in_q.next = self.in_q.val();
            self.channels[c].freq_word.next = self.freq[c].q.val();
            self.channels[c].threshold.next = self.threshold.q.val();
            self.channels[c].hold.next = self.hold.q.val();
            // status counters
            if self.channels[c].out_detect.val() {
                self.detections[c].d.next = self.detections[c].q.val() + 1;
            }
            if self.channels[c].out_valid.val() {
                self.forwarded[c].d.next = self.forwarded[c].q.val() + 1;
                if self.channels[c].out_start.val() {
                    self.bursts[c].d.next = self.bursts[c].q.val() + 1;
                }
            }
            if self.channels[c].overrun.val() {
                self.overrun[c].d.next = true;
            }
        }
        // register writes
        if self.csr_write.val() {
            for c in 0..4 {
                if self.csr_addr.val().index() == c {
                    self.freq[c].d.next = self.csr_wdata.val();
                }
            }
            if self.csr_addr.val() == 4 {
                self.threshold.d.next = self.csr_wdata.val().get_bits::<16>(0) & 0x7fff;
            }
            if self.csr_addr.val() == 5 {
                self.hold.d.next = self.csr_wdata.val().get_bits::<16>(0);
            }
        }
        // arbiter: the lowest-numbered waiting channel goes (written from the highest down,
        // the last assignment wins)
        self.sel.next = 0.into();
        self.sel_any.next = false;
        self.s_end.next = false;
        self.s_start.next = false;
        self.s_index.next = 0.into();
        self.s_i.next = 0.into();
        self.s_q.next = 0.into();
        if self.pending[3].q.val() {
            self.sel.next = 3.into();
            self.sel_any.next = true;
            self.s_end.next = self.p_end[3].q.val();
            self.s_start.next = self.p_start[3].q.val();
            self.s_index.next = self.p_index[3].q.val();
            self.s_i.next = self.p_i[3].q.val();
            self.s_q.next = self.p_q[3].q.val();
        }
        if self.pending[2].q.val() {
            self.sel.next = 2.into();
            self.sel_any.next = true;
            self.s_end.next = self.p_end[2].q.val();
            self.s_start.next = self.p_start[2].q.val();
            self.s_index.next = self.p_index[2].q.val();
            self.s_i.next = self.p_i[2].q.val();
            self.s_q.next = self.p_q[2].q.val();
        }
        if self.pending[1].q.val() {
            self.sel.next = 1.into();
            self.sel_any.next = true;
            self.s_end.next = self.p_end[1].q.val();
            self.s_start.next = self.p_start[1].q.val();
            self.s_index.next = self.p_index[1].q.val();
            self.s_i.next = self.p_i[1].q.val();
            self.s_q.next = self.p_q[1].q.val();
        }
        if self.pending[0].q.val() {
            self.sel.next = 0.into();
            self.sel_any.next = true;
            self.s_end.next = self.p_end[0].q.val();
            self.s_start.next = self.p_start[0].q.val();
            self.s_index.next = self.p_index[0].q.val();
            self.s_i.next = self.p_i[0].q.val();
            self.s_q.next = self.p_q[0].q.val();
        }
        for c in 0..4 {
            if self.sel_any.val() & (self.sel.val().index() == c) {
                self.pending[c].d.next = false;
            }
            // a channel's records come ≥ 16 clocks apart, so its slot is free again
            if self.channels[c].out_valid.val() | self.channels[c].out_end.val() {
                self.pending[c].d.next = true;
                self.p_end[c].d.next = self.channels[c].out_end.val();
                self.p_start[c].d.next = self.channels[c].out_start.val();
                self.p_index[c].d.next = self.channels[c].out_index.val();
                self.p_i[c].d.next = self.channels[c].out_i.val();
                self.p_q[c].d.next = self.channels[c].out_q.val();
            }
        }
        // output register, record count and signature
        self.o_valid.d.next = self.sel_any.val() & !self.s_end.val();
        self.o_end.d.next = self.sel_any.val() & self.s_end.val();
        self.o_start.d.next = self.s_start.val();
        self.o_channel.d.next = self.sel.val();
        self.o_index.d.next = self.s_index.val();
        self.o_i.d.next = self.s_i.val();
        self.o_q.d.next = self.s_q.val();
        self.word0.next = (bit_cast::<32, 16>(unsigned_cast(self.s_i.val())) << 16)
            | bit_cast::<32, 16>(unsigned_cast(self.s_q.val()));
        if self.s_end.val() {
            self.word0.next = 0.into();
        }
        self.word1.next = self.s_index.val() ^ (bit_cast::<32, 2>(self.sel.val()) << 28);
        if self.s_start.val() & !self.s_end.val() {
            self.word1.next =
                self.s_index.val() ^ (bit_cast::<32, 2>(self.sel.val()) << 28) ^ (1 << 30);
        }
        if self.s_end.val() {
            self.word1.next =
                self.s_index.val() ^ (bit_cast::<32, 2>(self.sel.val()) << 28) ^ (1 << 31);
        }
        if self.sel_any.val() {
            self.records.d.next = self.records.q.val() + 1;
            self.signature.d.next = ((self.signature.q.val() << 1)
                | (self.signature.q.val() >> 31))
                ^ self.word0.val()
                ^ self.word1.val();
        }
        // register reads (registered)
        self.rdata.d.next = 0.into();
        for c in 0..4 {
            if self.csr_addr.val().index() == c {
                self.rdata.d.next = self.freq[c].q.val();
            }
            if self.csr_addr.val().index() == c + 8 {
                self.rdata.d.next = self.detections[c].q.val();
            }
            if self.csr_addr.val().index() == c + 12 {
                self.rdata.d.next = self.bursts[c].q.val();
            }
            if self.csr_addr.val().index() == c + 16 {
                self.rdata.d.next = self.forwarded[c].q.val();
            }
        }
        if self.csr_addr.val() == 4 {
            self.rdata.d.next = bit_cast::<32, 16>(self.threshold.q.val());
        }
        if self.csr_addr.val() == 5 {
            self.rdata.d.next = bit_cast::<32, 16>(self.hold.q.val());
        }
        if self.csr_addr.val() == 6 {
            self.rdata.d.next = self.id.val();
        }
        if self.csr_addr.val() == 7 {
            self.rdata.d.next = 4.into();
        }
        if self.csr_addr.val() == 20 {
            self.rdata.d.next = bit_cast::<32, 1>(self.overrun[0].q.val().into())
                | (bit_cast::<32, 1>(self.overrun[1].q.val().into()) << 1)
                | (bit_cast::<32, 1>(self.overrun[2].q.val().into()) << 2)
                | (bit_cast::<32, 1>(self.overrun[3].q.val().into()) << 3);
        }
        if self.csr_addr.val() == 21 {
            self.rdata.d.next = self.records.q.val();
        }
        if self.csr_addr.val() == 22 {
            self.rdata.d.next = self.signature.q.val();
        }
        self.csr_rdata.next = self.rdata.q.val();
        self.out_valid.next = self.o_valid.q.val();
        self.out_end.next = self.o_end.q.val();
        self.out_start.next = self.o_start.q.val();
        self.out_channel.next = self.o_channel.q.val();
        self.out_index.next = self.o_index.q.val();
        self.out_i.next = self.o_i.q.val();
        self.out_q.next = self.o_q.q.val();
    }
}
