//! The SID filter's coarse frequency-offset word: the STF detector's correlation `(Cr', Ci')`
//! into the frequency word of a derotating NCO, by CORDIC — one vectoring step every two
//! clocks (the shifts, then the sums: in one clock the block made 86 MHz), no multiplier. Bit-exact and clock-exact with the model [`subgate_dsp::frontend::cfo`],
//! whose module documentation gives the arithmetic and the timing.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::cfo::{angles, ITERATIONS};

pub use subgate_dsp::frontend::cfo::DONE;

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(ITERATIONS == 18 && DONE == 37);

/// The CORDIC block.
#[derive(LogicBlock)]
pub struct CfoWord {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Start with the correlation on the inputs (taken when idle).
    pub start: Signal<In, Bit>,
    /// Real part of the correlation.
    pub in_re: Signal<In, Signed<16>>,
    /// Imaginary part.
    pub in_im: Signal<In, Signed<16>>,
    /// The word is ready (one clock).
    pub done: Signal<Out, Bit>,
    /// The NCO's frequency word (turns · 2³² per sample, two's complement).
    pub word: Signal<Out, Bits<32>>,
    /// Working on a correlation.
    pub busy: Signal<Out, Bit>,
    atan: ROM<Bits<32>, 5>,
    bsy: DFF<Bit>,
    i: DFF<Bits<5>>,
    x: DFF<Bits<26>>,
    y: DFF<Bits<26>>,
    z: DFF<Bits<32>>,
    ph: DFF<Bit>,
    dxr: DFF<Bits<26>>,
    dyr: DFF<Bits<26>>,
    ar: DFF<Bits<32>>,
    o_done: DFF<Bit>,
    o_word: DFF<Bits<32>>,
    // combinational
    x0: Signal<Local, Bits<26>>,
    y0: Signal<Local, Bits<26>>,
    nx: Signal<Local, Bits<26>>,
    ny: Signal<Local, Bits<26>>,
    dx: Signal<Local, Bits<26>>,
    sx: Signal<Local, Bits<26>>,
    sy: Signal<Local, Bits<26>>,
    dy: Signal<Local, Bits<26>>,
    zr: Signal<Local, Bits<32>>,
    sign26: Constant<Bits<26>>,
    sign32: Constant<Bits<32>>,
    half_turn: Constant<Bits<32>>,
}

impl Default for CfoWord {
    fn default() -> Self {
        let a = angles();
        let atan: ROM<Bits<32>, 5> = (0..32)
            .map(|i: usize| Bits::<32>::from(u64::from(a.get(i).copied().unwrap_or(0))))
            .into();
        CfoWord {
            clock: Default::default(),
            start: Default::default(),
            in_re: Default::default(),
            in_im: Default::default(),
            done: Default::default(),
            word: Default::default(),
            busy: Default::default(),
            atan,
            bsy: Default::default(),
            i: Default::default(),
            x: Default::default(),
            y: Default::default(),
            z: Default::default(),
            ph: Default::default(),
            dxr: Default::default(),
            dyr: Default::default(),
            ar: Default::default(),
            o_done: Default::default(),
            o_word: Default::default(),
            x0: Default::default(),
            y0: Default::default(),
            nx: Default::default(),
            ny: Default::default(),
            dx: Default::default(),
            sx: Default::default(),
            sy: Default::default(),
            dy: Default::default(),
            zr: Default::default(),
            sign26: Constant::new(Bits::<26>::from(0x300_0000u64)),
            sign32: Constant::new(Bits::<32>::from(0xE000_0000u64)),
            half_turn: Constant::new(Bits::<32>::from(0x8000_0000u64)),
        }
    }
}

impl Logic for CfoWord {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, bsy, i, x, y, z, ph, dxr, dyr, ar, o_done, o_word);
        // the inputs · 2⁸ in 26 bits (sign-extended by the top bits' mask)
        self.x0.next = bit_cast::<26, 16>(unsigned_cast(self.in_re.val())) << 8;
        if self.in_re.val().get_bit(15) {
            self.x0.next =
                (bit_cast::<26, 16>(unsigned_cast(self.in_re.val())) << 8) | self.sign26.val();
        }
        self.y0.next = bit_cast::<26, 16>(unsigned_cast(self.in_im.val())) << 8;
        if self.in_im.val().get_bit(15) {
            self.y0.next =
                (bit_cast::<26, 16>(unsigned_cast(self.in_im.val())) << 8) | self.sign26.val();
        }
        if self.start.val() & !self.bsy.q.val() {
            self.bsy.d.next = true;
            self.i.d.next = 0.into();
            self.x.d.next = self.x0.val();
            self.y.d.next = self.y0.val();
            self.z.d.next = 0.into();
            self.ph.d.next = false;
            // the left half-plane: half a turn first
            if self.in_re.val().get_bit(15) {
                self.x.d.next = (!self.x0.val()) + 1;
                self.y.d.next = (!self.y0.val()) + 1;
                self.z.d.next = self.half_turn.val();
            }
        }

        // a vectoring step in two clocks: the shifts by i (arithmetic: complement, shift,
        // complement) and the angle into registers, then the sums
        self.atan.address.next = self.i.q.val();
        // (one shifter per word: the complement is taken on either side of it)
        self.nx.next = self.x.q.val();
        if self.x.q.val().get_bit(25) {
            self.nx.next = !self.x.q.val();
        }
        self.ny.next = self.y.q.val();
        if self.y.q.val().get_bit(25) {
            self.ny.next = !self.y.q.val();
        }
        self.sx.next = self.nx.val() >> self.i.q.val();
        self.sy.next = self.ny.val() >> self.i.q.val();
        self.dx.next = self.sy.val();
        if self.y.q.val().get_bit(25) {
            self.dx.next = !self.sy.val();
        }
        self.dy.next = self.sx.val();
        if self.x.q.val().get_bit(25) {
            self.dy.next = !self.sx.val();
        }
        self.o_done.d.next = false;
        if self.bsy.q.val() & (self.i.q.val() < 18) {
            self.ph.d.next = !self.ph.q.val();
            if !self.ph.q.val() {
                self.dxr.d.next = self.dx.val();
                self.dyr.d.next = self.dy.val();
                self.ar.d.next = self.atan.data.val();
            } else {
                self.i.d.next = self.i.q.val() + 1;
                if self.y.q.val().get_bit(25) {
                    self.x.d.next = self.x.q.val() - self.dxr.q.val();
                    self.y.d.next = self.y.q.val() + self.dyr.q.val();
                    self.z.d.next = self.z.q.val() - self.ar.q.val();
                } else {
                    self.x.d.next = self.x.q.val() + self.dxr.q.val();
                    self.y.d.next = self.y.q.val() - self.dyr.q.val();
                    self.z.d.next = self.z.q.val() + self.ar.q.val();
                }
            }
        }
        // the word: (z + 4) >> 3, arithmetic
        self.zr.next = self.z.q.val() + 4;
        if self.bsy.q.val() & (self.i.q.val() == 18) {
            self.bsy.d.next = false;
            self.o_done.d.next = true;
            self.o_word.d.next = self.zr.val() >> 3;
            if self.zr.val().get_bit(31) {
                self.o_word.d.next = (self.zr.val() >> 3) | self.sign32.val();
            }
        }
        self.done.next = self.o_done.q.val();
        self.word.next = self.o_word.q.val();
        self.busy.next = self.bsy.q.val();
    }
}
