//! The SID filter's PSDU head: the Viterbi decoder's bits (last step first) into a 512 × 1
//! memory at their step, then, after a block's step 0, one pass forward over the SERVICE
//! field and the first [`HEAD_BYTES`] bytes: the first seven bits load the descrambler, the
//! rest are descrambled, and the PSDU's bytes come out least significant bit first.
//! Bit-exact and clock-exact with the model [`subgate_dsp::frontend::psdu_head`], whose
//! module documentation gives the rules and the timing.

use rust_hdl::prelude::*;

pub use subgate_dsp::frontend::psdu_head::{BYTE_FIRST, HEAD_BITS, HEAD_BYTES, SERVICE_BITS};

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () =
    assert!(HEAD_BITS == 456 && HEAD_BYTES == 56 && SERVICE_BITS == 8 && BYTE_FIRST == 17);

/// The PSDU head block.
#[derive(LogicBlock, Default)]
pub struct PsduHead {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A decoded bit is on `in_bit` (the decoder's `out_valid`).
    pub in_valid: Signal<In, Bit>,
    /// The bit.
    pub in_bit: Signal<In, Bit>,
    /// Its step.
    pub in_index: Signal<In, Bits<9>>,
    /// A PSDU byte is on `out_byte`.
    pub out_valid: Signal<Out, Bit>,
    /// The byte.
    pub out_byte: Signal<Out, Bits<8>>,
    /// Its place in the PSDU.
    pub out_index: Signal<Out, Bits<6>>,
    /// A pass ended; `out_count` bytes were given.
    pub out_done: Signal<Out, Bit>,
    /// Bytes of the pass that ended (0..56).
    pub out_count: Signal<Out, Bits<6>>,
    /// A bit came during a pass and was not written (sticky).
    pub overrun: Signal<Out, Bit>,
    mem: RAM<Bits<1>, 9>,
    // inside a block (its first bit seen)
    inblk: DFF<Bit>,
    n: DFF<Bits<10>>,
    busy: DFF<Bit>,
    prun: DFF<Bit>,
    rd: DFF<Bits<9>>,
    plen: DFF<Bits<9>>,
    pv1: DFF<Bit>,
    pidx1: DFF<Bits<9>>,
    scr: DFF<Bits<7>>,
    acc: DFF<Bits<8>>,
    o_valid: DFF<Bit>,
    o_byte: DFF<Bits<8>>,
    o_index: DFF<Bits<6>>,
    o_done: DFF<Bit>,
    o_count: DFF<Bits<6>>,
    ovr: DFF<Bit>,
    // combinational
    blen: Signal<Local, Bits<10>>,
    r: Signal<Local, Bit>,
    sb: Signal<Local, Bit>,
    d: Signal<Local, Bit>,
    next_byte: Signal<Local, Bits<8>>,
    rest: Signal<Local, Bits<9>>,
}

impl Logic for PsduHead {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, inblk, n, busy, prun, rd, plen, pv1, pidx1, scr, acc, o_valid, o_byte,
            o_index, o_done, o_count, ovr
        );
        self.mem.read_clock.next = self.clock.val();
        self.mem.write_clock.next = self.clock.val();

        // ---- writing the decoder's bits; a block's length from its first bit
        self.blen.next = self.n.q.val();
        if !self.inblk.q.val() {
            self.blen.next = bit_cast::<10, 9>(self.in_index.val()) + 1;
        }
        self.mem.write_enable.next = self.in_valid.val() & !self.busy.q.val();
        self.mem.write_address.next = self.in_index.val();
        self.mem.write_data.next = bit_cast::<1, 1>(self.in_bit.val().into());
        if self.in_valid.val() {
            self.n.d.next = self.blen.val();
            self.inblk.d.next = true;
            if self.busy.q.val() {
                self.ovr.d.next = true;
            }
            if self.in_index.val() == 0 {
                self.inblk.d.next = false;
                if !self.busy.q.val() {
                    // step 0: a pass over min(n, 456) bits
                    self.busy.d.next = true;
                    self.prun.d.next = true;
                    self.rd.d.next = 0.into();
                    if self.blen.val() > 456 {
                        self.plen.d.next = 456.into();
                    } else {
                        self.plen.d.next = self.blen.val().get_bits::<9>(0);
                    }
                }
            }
        }

        // ---- the pass: read bit rd; the clock after, descramble it
        self.mem.read_address.next = self.rd.q.val();
        self.pv1.d.next = self.prun.q.val();
        self.pidx1.d.next = self.rd.q.val();
        if self.prun.q.val() {
            self.rd.d.next = self.rd.q.val() + 1;
            if self.rd.q.val() + 1 == self.plen.q.val() {
                self.prun.d.next = false;
            }
        }
        self.r.next = self.mem.read_data.val() != 0;
        self.sb.next = self.scr.q.val().get_bit(6) ^ self.scr.q.val().get_bit(3);
        self.d.next = self.r.val() ^ self.sb.val();
        self.next_byte.next =
            (self.acc.q.val() >> 1) | (bit_cast::<8, 1>(self.d.val().into()) << 7);
        self.rest.next = self.plen.q.val() - 8;
        self.o_valid.d.next = false;
        self.o_done.d.next = false;
        if self.pv1.q.val() {
            if self.pidx1.q.val() < 7 {
                self.scr.d.next = (self.scr.q.val() << 1) | bit_cast::<7, 1>(self.r.val().into());
            } else {
                self.scr.d.next = (self.scr.q.val() << 1) | bit_cast::<7, 1>(self.sb.val().into());
                if self.pidx1.q.val() >= 8 {
                    self.acc.d.next = self.next_byte.val();
                    if self.pidx1.q.val().get_bits::<3>(0) == 7 {
                        self.o_valid.d.next = true;
                        self.o_byte.d.next = self.next_byte.val();
                        self.o_index.d.next = self.pidx1.q.val().get_bits::<6>(3) - 1;
                    }
                }
            }
            if self.pidx1.q.val() + 1 == self.plen.q.val() {
                self.o_done.d.next = true;
                self.busy.d.next = false;
                if self.plen.q.val() >= 8 {
                    self.o_count.d.next = self.rest.val().get_bits::<6>(3);
                } else {
                    self.o_count.d.next = 0.into();
                }
            }
        }

        self.out_valid.next = self.o_valid.q.val();
        self.out_byte.next = self.o_byte.q.val();
        self.out_index.next = self.o_index.q.val();
        self.out_done.next = self.o_done.q.val();
        self.out_count.next = self.o_count.q.val();
        self.overrun.next = self.ovr.q.val();
    }
}
