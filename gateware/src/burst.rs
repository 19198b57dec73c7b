//! Burst gate with a pre-trigger FIFO: of the channel's sample stream it forwards only the
//! samples from `pre` samples before each STF detection to `hold` samples after the last one.
//! Bit-exact with the fixed-point model [`subgate_dsp::frontend::burst`], whose module
//! documentation gives the behaviour (sample `j` goes out when a trigger lies in
//! `[j − hold, j + pre]`, bursts marked by a start flag and an end strobe, 32-bit sample
//! indices).
//!
//! Throughput: one input sample per clock at most (any pattern of idle clocks); one output
//! record (a forwarded sample, an end strobe or nothing) per input, [`LATENCY`] = 2 clocks
//! after its `in_valid`:
//! 1. `in_valid` clock: the sample is written to the ring (one 512 × 32 block RAM, slot
//!    `k mod 512`) while slot `(k − pre) mod 512` is read; the samples-since-trigger counter
//!    (17 bits, saturating) takes the trigger, and `forward = armed ∧ since ≤ pre + hold` with
//!    the burst flags goes into the first register stage;
//! 2. the RAM's data and the flags into the output registers.
//!
//! The trigger comes with its sample: the board's top level holds each sample until the STF
//! detector's evaluation of it (15 clocks later) and presents both together.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::burst::{MAX_PRE, RING, SINCE_MAX};

pub use subgate_dsp::frontend::burst::LATENCY;

// `update` hard-codes the widths below as literals (hdl_gen copies them into the Verilog
// verbatim, so they cannot name a const): a 512-slot ring (9-bit slot numbers), a 17-bit
// counter.
const _: () = assert!(RING == 512 && SINCE_MAX == (1 << 17) - 1 && LATENCY == 2);

/// The burst gate block (one complex channel).
#[derive(LogicBlock)]
pub struct BurstGate {
    /// Sample clock.
    pub clock: Signal<In, Clock>,
    /// High for one clock per input sample (at most one per clock).
    pub in_valid: Signal<In, Bit>,
    /// In-phase input, signed 16-bit.
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature input, signed 16-bit.
    pub in_q: Signal<In, Signed<16>>,
    /// The STF detector fired on the window ending at this sample (read with `in_valid`).
    pub in_trigger: Signal<In, Bit>,
    /// Samples forwarded after the last trigger (read with `in_valid`).
    pub hold: Signal<In, Bits<16>>,
    /// A forwarded sample, [`LATENCY`] clocks after the `in_valid` of the sample `pre` later.
    pub out_valid: Signal<Out, Bit>,
    /// Forwarded sample, in-phase.
    pub out_i: Signal<Out, Signed<16>>,
    /// Forwarded sample, quadrature.
    pub out_q: Signal<Out, Signed<16>>,
    /// With `out_valid`: the first sample of a burst.
    pub out_start: Signal<Out, Bit>,
    /// The burst ended (no sample); `out_index` is one past its last sample.
    pub out_end: Signal<Out, Bit>,
    /// Index of the forwarded sample (with `out_end`: one past the burst's last), counted
    /// from 0 after configuration, wrapping at 2³².
    pub out_index: Signal<Out, Bits<32>>,
    ram: RAM<Bits<32>, 9>,
    pre: Constant<Bits<32>>,
    pre_last: Constant<Bits<32>>,
    pre17: Constant<Bits<17>>,
    since_max: Constant<Bits<17>>,
    k: DFF<Bits<32>>,
    j: Signal<Local, Bits<32>>,
    filled: DFF<Bit>,
    armed: DFF<Bit>,
    since: DFF<Bits<17>>,
    since_now: Signal<Local, Bits<17>>,
    limit: Signal<Local, Bits<17>>,
    forward: Signal<Local, Bit>,
    open: DFF<Bit>,
    s_valid: DFF<Bit>,
    s_start: DFF<Bit>,
    s_end: DFF<Bit>,
    s_index: DFF<Bits<32>>,
    rd: Signal<Local, Bits<32>>,
    o_valid: DFF<Bit>,
    o_start: DFF<Bit>,
    o_end: DFF<Bit>,
    o_index: DFF<Bits<32>>,
    o_i: DFF<Signed<16>>,
    o_q: DFF<Signed<16>>,
}

impl BurstGate {
    /// A gate with a pre-trigger FIFO of `pre` samples, closed, as after configuration.
    ///
    /// # Panics
    /// If `pre` is 0 or above the model's `MAX_PRE` (511).
    pub fn new(pre: usize) -> Self {
        assert!(
            (1..=MAX_PRE).contains(&pre),
            "pre {pre} out of 1..={MAX_PRE}"
        );
        BurstGate {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            in_trigger: Default::default(),
            hold: Default::default(),
            out_valid: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            out_start: Default::default(),
            out_end: Default::default(),
            out_index: Default::default(),
            ram: Default::default(),
            pre: Constant::new(Bits::<32>::from(pre as u64)),
            pre_last: Constant::new(Bits::<32>::from(pre as u64 - 1)),
            pre17: Constant::new(Bits::<17>::from(pre as u64)),
            since_max: Constant::new(Bits::<17>::from(u64::from(SINCE_MAX))),
            k: Default::default(),
            j: Default::default(),
            filled: Default::default(),
            armed: Default::default(),
            since: Default::default(),
            since_now: Default::default(),
            limit: Default::default(),
            forward: Default::default(),
            open: Default::default(),
            s_valid: Default::default(),
            s_start: Default::default(),
            s_end: Default::default(),
            s_index: Default::default(),
            rd: Default::default(),
            o_valid: Default::default(),
            o_start: Default::default(),
            o_end: Default::default(),
            o_index: Default::default(),
            o_i: Default::default(),
            o_q: Default::default(),
        }
    }
}

impl Logic for BurstGate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, k, filled, armed, since, open, s_valid, s_start, s_end, s_index, o_valid,
            o_start, o_end, o_index, o_i, o_q
        );
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        // the ring: sample k in, sample j = k − pre out (different slots, as 1 ≤ pre ≤ 511)
        self.j.next = self.k.q.val() - self.pre.val();
        self.ram.write_address.next = self.k.q.val().get_bits::<9>(0);
        self.ram.write_data.next = (bit_cast::<32, 16>(unsigned_cast(self.in_i.val())) << 16)
            | bit_cast::<32, 16>(unsigned_cast(self.in_q.val()));
        self.ram.write_enable.next = self.in_valid.val();
        self.ram.read_address.next = self.j.val().get_bits::<9>(0);
        // samples since the last trigger, counting this one, saturating
        self.since_now.next = self.since.q.val() + 1;
        if self.since.q.val() == self.since_max.val() {
            self.since_now.next = self.since.q.val();
        }
        if self.in_trigger.val() {
            self.since_now.next = 0.into();
        }
        self.limit.next = self.pre17.val() + bit_cast::<17, 16>(self.hold.val());
        self.forward.next = (self.armed.q.val() | self.in_trigger.val())
            & (self.since_now.val() <= self.limit.val());
        // stage 1: the decision for sample j
        self.s_valid.d.next = false;
        self.s_end.d.next = false;
        if self.in_valid.val() {
            self.k.d.next = self.k.q.val() + 1;
            self.since.d.next = self.since_now.val();
            if self.in_trigger.val() {
                self.armed.d.next = true;
            }
            if self.k.q.val() == self.pre_last.val() {
                self.filled.d.next = true;
            }
            if self.filled.q.val() {
                self.open.d.next = self.forward.val();
                self.s_valid.d.next = self.forward.val();
                self.s_start.d.next = self.forward.val() & !self.open.q.val();
                self.s_end.d.next = !self.forward.val() & self.open.q.val();
                self.s_index.d.next = self.j.val();
            }
        }
        // stage 2: the sample read from the ring, the flags
        self.rd.next = self.ram.read_data.val();
        self.o_valid.d.next = self.s_valid.q.val();
        self.o_start.d.next = self.s_start.q.val();
        self.o_end.d.next = self.s_end.q.val();
        self.o_index.d.next = self.s_index.q.val();
        self.o_i.d.next = signed_cast(self.rd.val().get_bits::<16>(16));
        self.o_q.d.next = signed_cast(self.rd.val().get_bits::<16>(0));
        self.out_valid.next = self.o_valid.q.val();
        self.out_start.next = self.o_start.q.val();
        self.out_end.next = self.o_end.q.val();
        self.out_index.next = self.o_index.q.val();
        self.out_i.next = self.o_i.q.val();
        self.out_q.next = self.o_q.q.val();
    }
}
