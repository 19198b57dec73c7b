//! The SID filter's SIG reader: keeps bits 0..29 of a decoded 1 MHz SIG block by their step,
//! and after step 0 checks the CRC-4 (each CRC bit the parity of the SIG bits under a fixed
//! mask, plus a constant), the supported features and the MCS, and gives the MCS, the
//! aggregation bit, LENGTH, whether the frame is one for the SID filter, and the data-field
//! steps to decode. Bit-exact and clock-exact with the model
//! [`subgate_dsp::frontend::sig_parse`].

use rust_hdl::prelude::*;

pub use subgate_dsp::frontend::sig_parse::LATENCY;
use subgate_dsp::frontend::sig_parse::{crc_masks, mcs_mask};

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(LATENCY == 2 && subgate_dsp::frontend::viterbi::MAX_STEPS == 512);

/// The SIG reader block.
#[derive(LogicBlock)]
pub struct SigParse {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A decoded bit is on `in_bit` (the decoder's `out_valid`).
    pub in_valid: Signal<In, Bit>,
    /// The bit.
    pub in_bit: Signal<In, Bit>,
    /// Its step.
    pub in_index: Signal<In, Bits<9>>,
    /// A SIG was read (one clock).
    pub out_valid: Signal<Out, Bit>,
    /// Its CRC matched.
    pub out_crc_ok: Signal<Out, Bit>,
    /// A frame this receiver decodes.
    pub out_supported: Signal<Out, Bit>,
    /// MCS field.
    pub out_mcs: Signal<Out, Bits<4>>,
    /// Aggregation bit.
    pub out_aggregation: Signal<Out, Bit>,
    /// LENGTH field.
    pub out_length: Signal<Out, Bits<9>>,
    /// A frame for the SID filter (MCS 0 or 10, no aggregation, CRC right, supported).
    pub out_candidate: Signal<Out, Bit>,
    /// Data-field steps to decode (at most 512).
    pub out_steps: Signal<Out, Bits<10>>,
    /// The whole data field fits the decoder's block.
    pub out_zero: Signal<Out, Bit>,
    sig: DFF<Bits<30>>,
    o_valid: DFF<Bit>,
    o_crc_ok: DFF<Bit>,
    o_supported: DFF<Bit>,
    o_mcs: DFF<Bits<4>>,
    o_agg: DFF<Bit>,
    o_length: DFF<Bits<9>>,
    o_cand: DFF<Bit>,
    o_steps: DFF<Bits<10>>,
    o_zero: DFF<Bit>,
    fin: DFF<Bit>,
    // combinational
    all: Signal<Local, Bits<30>>,
    whole: Signal<Local, Bits<30>>,
    crc: Signal<Local, Bits<4>>,
    crc_ok: Signal<Local, Bit>,
    supported: Signal<Local, Bit>,
    mcs: Signal<Local, Bits<4>>,
    field: Signal<Local, Bits<13>>,
    dsum: Signal<Local, Bits<4>>,
    m1: Signal<Local, Bits<4>>,
    m2: Signal<Local, Bits<4>>,
    lm3: Signal<Local, Bits<4>>,
    pad: Signal<Local, Bits<13>>,
    mask0: Constant<Bits<30>>,
    mask1: Constant<Bits<30>>,
    mask2: Constant<Bits<30>>,
    mask3: Constant<Bits<30>>,
    constant: Constant<Bits<4>>,
    mcs_ok: Constant<Bits<16>>,
}

impl Default for SigParse {
    fn default() -> Self {
        let (masks, constant) = crc_masks();
        let m = |i: usize| Constant::new(Bits::<30>::from(u64::from(masks[i])));
        SigParse {
            clock: Default::default(),
            in_valid: Default::default(),
            in_bit: Default::default(),
            in_index: Default::default(),
            out_valid: Default::default(),
            out_crc_ok: Default::default(),
            out_supported: Default::default(),
            out_mcs: Default::default(),
            out_aggregation: Default::default(),
            out_length: Default::default(),
            out_candidate: Default::default(),
            out_steps: Default::default(),
            out_zero: Default::default(),
            sig: Default::default(),
            o_valid: Default::default(),
            o_crc_ok: Default::default(),
            o_supported: Default::default(),
            o_mcs: Default::default(),
            o_agg: Default::default(),
            o_length: Default::default(),
            o_cand: Default::default(),
            o_steps: Default::default(),
            o_zero: Default::default(),
            fin: Default::default(),
            all: Default::default(),
            whole: Default::default(),
            crc: Default::default(),
            crc_ok: Default::default(),
            supported: Default::default(),
            mcs: Default::default(),
            field: Default::default(),
            dsum: Default::default(),
            m1: Default::default(),
            m2: Default::default(),
            lm3: Default::default(),
            pad: Default::default(),
            mask0: m(0),
            mask1: m(1),
            mask2: m(2),
            mask3: m(3),
            constant: Constant::new(Bits::<4>::from(u64::from(constant))),
            mcs_ok: Constant::new(Bits::<16>::from(u64::from(mcs_mask()))),
        }
    }
}

impl Logic for SigParse {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            sig,
            o_valid,
            o_crc_ok,
            o_supported,
            o_mcs,
            o_agg,
            o_length,
            o_cand,
            o_steps,
            o_zero,
            fin
        );
        // the SIG with this clock's bit in place (step 0 completes it)
        self.all.next = self.sig.q.val();
        if self.in_valid.val() & (self.in_index.val() < 30) {
            self.all.next = self
                .sig
                .q
                .val()
                .replace_bit(self.in_index.val().index(), self.in_bit.val());
        }
        self.sig.d.next = self.all.val();
        // the clock after step 0: read the whole SIG from the register (one clock more than
        // reading it with step 0's bit in place, whose logic was too deep for 100 MHz)
        self.fin.d.next = self.in_valid.val() & (self.in_index.val() == 0);
        self.whole.next = self.sig.q.val();
        // CRC bit i: parity of the covered bits under mask i, plus the constant
        self.crc.next = (bit_cast::<4, 1>((self.whole.val() & self.mask0.val()).xor().into())
            | (bit_cast::<4, 1>((self.whole.val() & self.mask1.val()).xor().into()) << 1)
            | (bit_cast::<4, 1>((self.whole.val() & self.mask2.val()).xor().into()) << 2)
            | (bit_cast::<4, 1>((self.whole.val() & self.mask3.val()).xor().into()) << 3))
            ^ self.constant.val();
        self.crc_ok.next = self.crc.val() == self.whole.val().get_bits::<4>(26);
        self.mcs.next = self.whole.val().get_bits::<4>(7);
        self.supported.next = (self.whole.val().get_bits::<2>(0) == 0)
            & !self.whole.val().get_bit(3)
            & !self.whole.val().get_bit(5)
            & !self.whole.val().get_bit(24)
            & !self.whole.val().get_bit(25)
            & self.mcs_ok.val().get_bit(self.mcs.val().index());
        // SERVICE 8 + 8 · LENGTH + tail 6, padded to whole symbols: LENGTH mod 3 as the sum
        // of its base-4 digits (4 ≡ 1 mod 3), reduced
        self.dsum.next = bit_cast::<4, 2>(self.whole.val().get_bits::<2>(12))
            + bit_cast::<4, 2>(self.whole.val().get_bits::<2>(14))
            + bit_cast::<4, 2>(self.whole.val().get_bits::<2>(16))
            + bit_cast::<4, 2>(self.whole.val().get_bits::<2>(18))
            + bit_cast::<4, 1>(self.whole.val().get_bits::<1>(20));
        self.m1.next = self.dsum.val();
        if self.dsum.val() >= 6 {
            self.m1.next = self.dsum.val() - 6;
        }
        self.m2.next = self.m1.val();
        if self.m1.val() >= 6 {
            self.m2.next = self.m1.val() - 6;
        }
        self.lm3.next = self.m2.val();
        if self.m2.val() >= 3 {
            self.lm3.next = self.m2.val() - 3;
        }
        // MCS 10 (6 bits a symbol): 8L + 14 ≡ 2 (L + 1) mod 6; otherwise (12 bits):
        // 8L + 14 ≡ 4 (2L mod 3) + 2 mod 12
        if self.mcs.val() == 10 {
            self.pad.next = 0.into();
            if self.lm3.val() == 0 {
                self.pad.next = 4.into();
            }
            if self.lm3.val() == 1 {
                self.pad.next = 2.into();
            }
        } else {
            self.pad.next = 6.into();
            if self.lm3.val() == 0 {
                self.pad.next = 10.into();
            }
            if self.lm3.val() == 1 {
                self.pad.next = 2.into();
            }
        }
        self.field.next =
            (bit_cast::<13, 9>(self.whole.val().get_bits::<9>(12)) << 3) + 14 + self.pad.val();
        self.o_valid.d.next = self.fin.q.val();
        if self.fin.q.val() {
            self.o_crc_ok.d.next = self.crc_ok.val();
            self.o_supported.d.next = self.supported.val();
            self.o_mcs.d.next = self.mcs.val();
            self.o_agg.d.next = self.whole.val().get_bit(11);
            self.o_length.d.next = self.whole.val().get_bits::<9>(12);
            self.o_cand.d.next = self.crc_ok.val()
                & self.supported.val()
                & ((self.mcs.val() == 0) | (self.mcs.val() == 10))
                & !self.whole.val().get_bit(11);
            if self.field.val() > 512 {
                self.o_steps.d.next = 512.into();
                self.o_zero.d.next = false;
            } else {
                self.o_steps.d.next = self.field.val().get_bits::<10>(0);
                self.o_zero.d.next = true;
            }
        }
        self.out_valid.next = self.o_valid.q.val();
        self.out_crc_ok.next = self.o_crc_ok.q.val();
        self.out_supported.next = self.o_supported.q.val();
        self.out_mcs.next = self.o_mcs.q.val();
        self.out_aggregation.next = self.o_agg.q.val();
        self.out_length.next = self.o_length.q.val();
        self.out_candidate.next = self.o_cand.q.val();
        self.out_steps.next = self.o_steps.q.val();
        self.out_zero.next = self.o_zero.q.val();
    }
}
