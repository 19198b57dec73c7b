//! The SID filter's LTF matched filter: every sample correlated with the LTF signs over the
//! last 32 samples (32 sign-adds, one per clock), the window's energy through one 18 × 18
//! multiplier into a ring of 128, and after an `arm` each candidate start of the first LTF
//! copy scored over its four copies, the first largest kept. Bit-exact and clock-exact with
//! the model [`subgate_dsp::frontend::ltf_match`], whose module documentation gives the
//! rules and the timing.
//!
//! A sample's schedule (clock `t` after its valid): 1..32 the window's samples read (the
//! oldest first), 2..33 their sign-adds, 34 and 35 the two squares, 36 the energy written
//! and the metric begun, 36..38 the three earlier energies read, 37..39 added, 40 the
//! compare, 41 the result.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::ltf_match::{DONE, FIRST, LAST, SCORE_AT, SPACING};
use subgate_dsp::frontend::ltf_sync::{ltf_sign_ref, METRIC_SHIFT};

use crate::mul18::Mul18;

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(
    FIRST == 33
        && LAST == 153
        && SCORE_AT == 143
        && SPACING == 42
        && DONE == 41
        && METRIC_SHIFT == 5
);

/// The matched-filter block.
#[derive(LogicBlock)]
pub struct LtfMatch {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A (derotated) sample is on the inputs.
    pub in_valid: Signal<In, Bit>,
    /// In-phase.
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature.
    pub in_q: Signal<In, Signed<16>>,
    /// With a sample: start a search from it (taken when not searching).
    pub in_arm: Signal<In, Bit>,
    /// A search is over (one clock).
    pub done: Signal<Out, Bit>,
    /// Its winner: the first LTF copy's start, samples after the arming sample.
    pub out_u: Signal<Out, Bits<8>>,
    /// Its metric.
    pub out_metric: Signal<Out, Bits<36>>,
    /// A search is on.
    pub searching: Signal<Out, Bit>,
    /// A sample came before the last one's schedule was over (sticky).
    pub overrun: Signal<Out, Bit>,
    x_i: RAM<Bits<16>, 5>,
    x_q: RAM<Bits<16>, 5>,
    e_ring: RAM<Bits<34>, 7>,
    mul: Mul18,
    sp: DFF<Bits<7>>,
    cur: DFF<Bits<7>>,
    t: DFF<Bits<6>>,
    acc_r: DFF<Bits<23>>,
    acc_i: DFF<Bits<23>>,
    e1: DFF<Bits<34>>,
    macc: DFF<Bits<36>>,
    armed: DFF<Bit>,
    j: DFF<Bits<9>>,
    best_u: DFF<Bits<8>>,
    best_m: DFF<Bits<36>>,
    o_done: DFF<Bit>,
    o_u: DFF<Bits<8>>,
    o_m: DFF<Bits<36>>,
    ovr: DFF<Bit>,
    // combinational
    k: Signal<Local, Bits<5>>,
    rd: Signal<Local, Bits<7>>,
    tm2: Signal<Local, Bits<6>>,
    pu: Signal<Local, Bits<36>>,
    a: Signal<Local, Bits<23>>,
    b: Signal<Local, Bits<23>>,
    na: Signal<Local, Bits<23>>,
    nb: Signal<Local, Bits<23>>,
    ta: Signal<Local, Bits<23>>,
    tb: Signal<Local, Bits<23>>,
    ua: Signal<Local, Bits<23>>,
    ub: Signal<Local, Bits<23>>,
    term_r: Signal<Local, Bits<23>>,
    term_i: Signal<Local, Bits<23>>,
    energy: Signal<Local, Bits<34>>,
    u_rel: Signal<Local, Bits<9>>,
    sr_neg: Constant<Bits<32>>,
    si_neg: Constant<Bits<32>>,
    ext16: Constant<Bits<23>>,
}

impl Default for LtfMatch {
    fn default() -> Self {
        let s = ltf_sign_ref();
        let mask = |pick: fn(&(i8, i8)) -> i8| {
            let m = s
                .iter()
                .enumerate()
                .filter(|(_, v)| pick(v) < 0)
                .fold(0u64, |m, (k, _)| m | 1 << k);
            Constant::new(Bits::<32>::from(m))
        };
        LtfMatch {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            in_arm: Default::default(),
            done: Default::default(),
            out_u: Default::default(),
            out_metric: Default::default(),
            searching: Default::default(),
            overrun: Default::default(),
            x_i: Default::default(),
            x_q: Default::default(),
            e_ring: Default::default(),
            mul: Default::default(),
            sp: Default::default(),
            cur: Default::default(),
            t: Default::default(),
            acc_r: Default::default(),
            acc_i: Default::default(),
            e1: Default::default(),
            macc: Default::default(),
            armed: Default::default(),
            j: Default::default(),
            best_u: Default::default(),
            best_m: Default::default(),
            o_done: Default::default(),
            o_u: Default::default(),
            o_m: Default::default(),
            ovr: Default::default(),
            k: Default::default(),
            rd: Default::default(),
            tm2: Default::default(),
            pu: Default::default(),
            a: Default::default(),
            b: Default::default(),
            na: Default::default(),
            nb: Default::default(),
            ta: Default::default(),
            tb: Default::default(),
            ua: Default::default(),
            ub: Default::default(),
            term_r: Default::default(),
            term_i: Default::default(),
            energy: Default::default(),
            u_rel: Default::default(),
            sr_neg: mask(|v| v.0),
            si_neg: mask(|v| v.1),
            ext16: Constant::new(Bits::<23>::from(0x7F_0000u64)),
        }
    }
}

impl Logic for LtfMatch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, sp, cur, t, acc_r, acc_i, e1, macc, armed, j, best_u, best_m, o_done, o_u,
            o_m, ovr
        );
        self.x_i.read_clock.next = self.clock.val();
        self.x_i.write_clock.next = self.clock.val();
        self.x_q.read_clock.next = self.clock.val();
        self.x_q.write_clock.next = self.clock.val();
        self.e_ring.read_clock.next = self.clock.val();
        self.e_ring.write_clock.next = self.clock.val();
        self.mul.clock.next = self.clock.val();

        // ---- a sample: into the ring, its schedule begun, the search armed or counted
        self.x_i.write_address.next = self.sp.q.val().get_bits::<5>(0);
        self.x_q.write_address.next = self.sp.q.val().get_bits::<5>(0);
        self.x_i.write_data.next = unsigned_cast(self.in_i.val());
        self.x_q.write_data.next = unsigned_cast(self.in_q.val());
        self.x_i.write_enable.next = self.in_valid.val();
        self.x_q.write_enable.next = self.in_valid.val();
        if self.t.q.val() != 0 {
            self.t.d.next = self.t.q.val() + 1;
            if self.t.q.val() == 41 {
                self.t.d.next = 0.into();
            }
        }
        if self.in_valid.val() {
            self.sp.d.next = self.sp.q.val() + 1;
            self.cur.d.next = self.sp.q.val();
            self.t.d.next = 1.into();
            if self.t.q.val() != 0 {
                self.ovr.d.next = true;
            }
            if self.armed.q.val() {
                self.j.d.next = self.j.q.val() + 1;
            } else if self.in_arm.val() {
                self.armed.d.next = true;
                self.j.d.next = 0.into();
            }
        }

        // ---- the window: sample k (oldest first) read at t = k + 1, added at t = k + 2
        self.rd.next = self.cur.q.val() + bit_cast::<7, 6>(self.t.q.val());
        self.x_i.read_address.next = self.rd.val().get_bits::<5>(0);
        self.x_q.read_address.next = self.rd.val().get_bits::<5>(0);
        self.tm2.next = self.t.q.val() - 2;
        self.k.next = self.tm2.val().get_bits::<5>(0);
        self.a.next = bit_cast::<23, 16>(self.x_i.read_data.val());
        if self.x_i.read_data.val().get_bit(15) {
            self.a.next = bit_cast::<23, 16>(self.x_i.read_data.val()) | self.ext16.val();
        }
        self.b.next = bit_cast::<23, 16>(self.x_q.read_data.val());
        if self.x_q.read_data.val().get_bit(15) {
            self.b.next = bit_cast::<23, 16>(self.x_q.read_data.val()) | self.ext16.val();
        }
        self.na.next = (!self.a.val()) + 1;
        self.nb.next = (!self.b.val()) + 1;
        // y · conj(s), s = sr + j·si: re = a·sr + b·si, im = b·sr − a·si
        self.ta.next = self.a.val();
        self.ub.next = self.b.val();
        if self.sr_neg.val().get_bit(self.k.val().index()) {
            self.ta.next = self.na.val();
            self.ub.next = self.nb.val();
        }
        self.tb.next = self.b.val();
        self.ua.next = self.na.val();
        if self.si_neg.val().get_bit(self.k.val().index()) {
            self.tb.next = self.nb.val();
            self.ua.next = self.a.val();
        }
        self.term_r.next = self.ta.val() + self.tb.val();
        self.term_i.next = self.ub.val() + self.ua.val();
        if self.t.q.val() == 2 {
            self.acc_r.d.next = self.term_r.val();
            self.acc_i.d.next = self.term_i.val();
        }
        if (self.t.q.val() >= 3) & (self.t.q.val() <= 33) {
            self.acc_r.d.next = self.acc_r.q.val() + self.term_r.val();
            self.acc_i.d.next = self.acc_i.q.val() + self.term_i.val();
        }

        // ---- the energy: (c >> 5)² summed, at 34..36; written at the window's start
        self.mul.a.next = signed_cast(self.acc_r.q.val().get_bits::<18>(5));
        self.mul.b.next = signed_cast(self.acc_r.q.val().get_bits::<18>(5));
        if self.t.q.val() == 35 {
            self.mul.a.next = signed_cast(self.acc_i.q.val().get_bits::<18>(5));
            self.mul.b.next = signed_cast(self.acc_i.q.val().get_bits::<18>(5));
        }
        self.pu.next = unsigned_cast(self.mul.p.val());
        if self.t.q.val() == 35 {
            self.e1.d.next = self.pu.val().get_bits::<34>(0);
        }
        self.energy.next = self.e1.q.val() + self.pu.val().get_bits::<34>(0);
        self.e_ring.write_enable.next = self.t.q.val() == 36;
        self.e_ring.write_address.next = self.cur.q.val() - 31;
        self.e_ring.write_data.next = self.energy.val();
        // the candidate's earlier copies: windows 143, 111 and 71 samples back
        // (143 back is 15 back in the ring of 128)
        self.e_ring.read_address.next = self.cur.q.val() - 15;
        if self.t.q.val() == 37 {
            self.e_ring.read_address.next = self.cur.q.val() - 111;
        }
        if self.t.q.val() == 38 {
            self.e_ring.read_address.next = self.cur.q.val() - 71;
        }
        if self.t.q.val() == 36 {
            self.macc.d.next = bit_cast::<36, 34>(self.energy.val());
        }
        if (self.t.q.val() >= 37) & (self.t.q.val() <= 39) {
            self.macc.d.next = self.macc.q.val() + bit_cast::<36, 34>(self.e_ring.read_data.val());
        }

        // ---- the search: candidate u = j − 143 for j in 176..=296, the first largest
        self.u_rel.next = self.j.q.val() - 143;
        if self.armed.q.val()
            & (self.t.q.val() == 40)
            & (self.j.q.val() >= 176)
            & (self.j.q.val() <= 296)
            & ((self.j.q.val() == 176) | (self.macc.q.val() > self.best_m.q.val()))
        {
            self.best_u.d.next = self.u_rel.val().get_bits::<8>(0);
            self.best_m.d.next = self.macc.q.val();
        }
        self.o_done.d.next = false;
        if self.armed.q.val() & (self.t.q.val() == 41) & (self.j.q.val() == 296) {
            self.o_done.d.next = true;
            self.o_u.d.next = self.best_u.q.val();
            self.o_m.d.next = self.best_m.q.val();
            self.armed.d.next = false;
        }

        self.done.next = self.o_done.q.val();
        self.out_u.next = self.o_u.q.val();
        self.out_metric.next = self.o_m.q.val();
        self.searching.next = self.armed.q.val();
        self.overrun.next = self.ovr.q.val();
    }
}
