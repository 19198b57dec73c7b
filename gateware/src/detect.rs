//! STF packet detector: delay-and-correlate with running sums and a normalised threshold on the
//! decimation chain's output, the structure and decision rule of the software receiver's
//! detector. Bit-exact with the fixed-point model [`subgate_dsp::frontend::detect`], whose
//! module documentation gives the arithmetic (16 × 16 products, exact running sums in 39 bits,
//! block-floating-point normalisation to 16 bits, `|C'|² · 2¹⁵ > T · P1' · P2'`, 48 hits of the
//! last 64 evaluations).
//!
//! Throughput: one input sample per [`MIN_SPACING`] (15) clocks at most — the decimation
//! chain delivers one per 16. The block runs one sequential schedule per sample on a single
//! signed 16 × 16 multiplier (one `MULT18X18D`) and one block RAM (128 slots × 4 words of
//! 36 bits = 512 × 36, one `DP16KD`) holding per slot the sample and its three terms. A valid
//! input while the schedule runs is not taken apart: it restarts the schedule and sets the
//! sticky `overrun` output.
//!
//! Schedule, step 0 being the `in_valid` clock (`wp` = the sample's slot, `L` the lag, `W`
//! the window; the RAM reads one clock after its address, the multiplier's product is
//! registered):
//!
//! | step | multiplier | RAM | sums |
//! |---|---|---|---|
//! | 0 | `b_i·b_i` (`b` = the input) | write `b` to `wp.0`; read `(wp−L).0` | |
//! | 1 | `b_q·b_q` | read `(wp−W).1`; `a` ← `r[m−L]` | term ← `b_i²` |
//! | 2 | `a_i·b_i` | read `(wp−W).2` | term += `b_q²`; `Re C −= c_re[m−W]` |
//! | 3 | `a_q·b_q` | write `p[m]` to `wp.3`; read `(wp−W).3` | `P2 += p[m]`; `Im C −= c_im[m−W]`; term ← `a_i·b_i` |
//! | 4 | `a_q·b_i` | read `(wp−L).3` | `P2 −= p[m−W]`; term += `a_q·b_q` |
//! | 5 | `a_i·b_q` | write `c_re[m]` to `wp.1`; read `(wp−W−L).3` | `Re C += c_re[m]`; `P1 += p[m−L]`; term ← `a_q·b_i` |
//! | 6 | | write `c_im[m]` = term − `a_i·b_q` to `wp.2` | `Im C += c_im[m]`; `P1 −= p[m−W−L]` |
//! | 7 | | | normalise, shifts by 16 and 8 → 23-bit registers; `wp += 1` |
//! | 8 | | | shifts by 4, 2 and 1 → `Cr'`, `Ci'`, `P1'`, `P2'` |
//! | 9–11 | `Cr'²`, `Ci'²`, `P1'·P2'` | | `num = Cr'² + Ci'²` |
//! | 12–13 | `T·(den >> 15)`, `T·(den & 0x7fff)` | | `den = P1'·P2'`; margin `num·2¹⁵ − T·(den >> 15)·2¹⁵` in 48 bits |
//! | 14 | | | hit `margin > T·(den & 0x7fff)`, hit count, detection → output registers |
//!
//! so the outputs come [`LATENCY`] = 15 clocks after `in_valid`. Each normalisation stage
//! shifts all four values right by `k` (16, 8, 4, 2, 1) when `P1 | P2 ≥ 2^(14+k)` at that
//! point — a binary search for the smallest shift leaving `P1 | P2 < 2¹⁵` — and narrows them
//! to `15 + k` bits, which the bound of the stage before guarantees.
//!
//! Arithmetic is on `Bits` (two's complement wraps as the model's exact sums never do) except
//! the products, which are `Signed` 16 × 16; sign extension is `(x ^ msb) − msb` in the wider
//! width, and every part-select is taken from a registered or local signal
//! (../shared/DESIGN.md §5).

use rust_hdl::prelude::*;
use subgate_dsp::frontend::detect::{
    FLAGS, HITS, MAX_LAG, NORM_BITS, SLOTS, SUM_WIDTH, TERM_WIDTH, THRESHOLD_SHIFT, WINDOW,
};

pub use subgate_dsp::frontend::detect::{LATENCY, MIN_SPACING};

/// RAM words per slot (sample, `c_re`, `c_im`, `p`).
const WORDS: usize = 4;
// `update` hard-codes the widths and offsets below as literals (hdl_gen copies them into the
// Verilog verbatim, so they cannot name a const): 128 slots (7-bit slot numbers) × 4 words of
// 36 bits, 39-bit sums, 15 normalised bits plus sign, threshold fraction 15 bits, 64 flags,
// 48 hits, 15 steps (last = 14).
const _: () = assert!(
    SLOTS == 128
        && WORDS * SLOTS == 512
        && TERM_WIDTH == 36
        && SUM_WIDTH == 39
        && NORM_BITS == 15
        && THRESHOLD_SHIFT == 15
        && FLAGS == 64
        && HITS == 48
        && WINDOW == 64
        && LATENCY == 15
        && MIN_SPACING == LATENCY
);

/// The STF detector block (one complex channel).
#[derive(LogicBlock)]
pub struct Detector {
    /// Sample clock.
    pub clock: Signal<In, Clock>,
    /// High for one clock per input sample, at least [`MIN_SPACING`] clocks apart.
    pub in_valid: Signal<In, Bit>,
    /// In-phase input, signed 16-bit (the decimation chain's output).
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature input, signed 16-bit.
    pub in_q: Signal<In, Signed<16>>,
    /// Threshold word `T = round(thr² · 2¹⁵)`, below 2¹⁵
    /// ([`subgate_dsp::frontend::detect::threshold_word`]); read during each schedule.
    pub threshold: Signal<In, Bits<16>>,
    /// High for one clock per input sample, [`LATENCY`] clocks after its `in_valid`.
    pub out_valid: Signal<Out, Bit>,
    /// The window ending at the sample is a hit (`num · 2¹⁵ > T · den`, `den ≠ 0`).
    pub out_hit: Signal<Out, Bit>,
    /// Detection: this hit made 48 of the last 64 (the count restarts).
    pub out_detect: Signal<Out, Bit>,
    /// Metric numerator `Cr'² + Ci'²`.
    pub out_num: Signal<Out, Bits<32>>,
    /// Metric denominator `P1' · P2'` (the normalised correlation is `num / den`).
    pub out_den: Signal<Out, Bits<32>>,
    /// Normalised correlation, real part `Cr'`.
    pub out_corr_i: Signal<Out, Signed<16>>,
    /// Normalised correlation, imaginary part `Ci'`.
    pub out_corr_q: Signal<Out, Signed<16>>,
    /// Sticky: an input came less than [`MIN_SPACING`] clocks after the one before.
    pub overrun: Signal<Out, Bit>,
    ram: RAM<Bits<36>, 9>,
    lag: Constant<Bits<7>>,
    window: Constant<Bits<7>>,
    lag_window: Constant<Bits<7>>,
    word1: Constant<Bits<9>>,
    word2: Constant<Bits<9>>,
    word3: Constant<Bits<9>>,
    wp: DFF<Bits<7>>,
    step: DFF<Bits<4>>,
    slot_lag: Signal<Local, Bits<7>>,
    slot_window: Signal<Local, Bits<7>>,
    slot_lag_window: Signal<Local, Bits<7>>,
    rd: Signal<Local, Bits<36>>,
    b_i: DFF<Signed<16>>,
    b_q: DFF<Signed<16>>,
    a_i: DFF<Signed<16>>,
    a_q: DFF<Signed<16>>,
    mul_x: Signal<Local, Signed<16>>,
    mul_y: Signal<Local, Signed<16>>,
    prod: DFF<Signed<32>>,
    prod_u: Signal<Local, Bits<32>>,
    msb32: Constant<Bits<32>>,
    offset36: Constant<Bits<36>>,
    msb36: Constant<Bits<36>>,
    offset39: Constant<Bits<39>>,
    prod_ext: Signal<Local, Bits<36>>,
    rd_ext: Signal<Local, Bits<39>>,
    term: DFF<Bits<36>>,
    term_ext: Signal<Local, Bits<39>>,
    c_im_new: Signal<Local, Bits<36>>,
    c_im_ext: Signal<Local, Bits<39>>,
    c_re: DFF<Bits<39>>,
    c_im: DFF<Bits<39>>,
    p1: DFF<Bits<39>>,
    p2: DFF<Bits<39>>,
    or39: Signal<Local, Bits<39>>,
    sign_fill31: Constant<Bits<31>>,
    top_re: Signal<Local, Bits<23>>,
    top_im: Signal<Local, Bits<23>>,
    x31_re: Signal<Local, Bits<31>>,
    x31_im: Signal<Local, Bits<31>>,
    x31_p1: Signal<Local, Bits<31>>,
    x31_p2: Signal<Local, Bits<31>>,
    or31: Signal<Local, Bits<31>>,
    m_re: DFF<Bits<23>>,
    m_im: DFF<Bits<23>>,
    m_p1: DFF<Bits<23>>,
    m_p2: DFF<Bits<23>>,
    or23: Signal<Local, Bits<23>>,
    x19_re: Signal<Local, Bits<19>>,
    x19_im: Signal<Local, Bits<19>>,
    x19_p1: Signal<Local, Bits<19>>,
    x19_p2: Signal<Local, Bits<19>>,
    or19: Signal<Local, Bits<19>>,
    x17_re: Signal<Local, Bits<17>>,
    x17_im: Signal<Local, Bits<17>>,
    x17_p1: Signal<Local, Bits<17>>,
    x17_p2: Signal<Local, Bits<17>>,
    or17: Signal<Local, Bits<17>>,
    n_re: DFF<Bits<16>>,
    n_im: DFF<Bits<16>>,
    n_p1: DFF<Bits<16>>,
    n_p2: DFF<Bits<16>>,
    num: DFF<Bits<32>>,
    den: DFF<Bits<32>>,
    den_hi: Signal<Local, Bits<16>>,
    den_lo: Signal<Local, Bits<16>>,
    rhs: DFF<Bits<48>>,
    lhs: Signal<Local, Bits<48>>,
    hit: Signal<Local, Bit>,
    flags: DFF<Bits<64>>,
    one64: Constant<Bits<64>>,
    flags_next: Signal<Local, Bits<64>>,
    count: DFF<Bits<7>>,
    count_up: Signal<Local, Bits<7>>,
    count_next: Signal<Local, Bits<7>>,
    hits_needed: Constant<Bits<7>>,
    enough: Signal<Local, Bit>,
    detect: Signal<Local, Bit>,
    v_valid: DFF<Bit>,
    v_hit: DFF<Bit>,
    v_detect: DFF<Bit>,
    v_num: DFF<Bits<32>>,
    v_den: DFF<Bits<32>>,
    v_corr_i: DFF<Signed<16>>,
    v_corr_q: DFF<Signed<16>>,
    v_overrun: DFF<Bit>,
}

impl Detector {
    /// A detector for STF period `lag` samples (8 for 1 MHz, 16 for 2 MHz: FFT length / 4),
    /// with its block RAM cleared, as after configuration.
    ///
    /// # Panics
    /// If `lag` is 0 or above the model's `MAX_LAG`.
    pub fn new(lag: usize) -> Self {
        assert!(
            (1..=MAX_LAG).contains(&lag),
            "lag {lag} out of 1..={MAX_LAG}"
        );
        let slots = |n: usize| Constant::new(Bits::<7>::from(n as u64));
        Detector {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            threshold: Default::default(),
            out_valid: Default::default(),
            out_hit: Default::default(),
            out_detect: Default::default(),
            out_num: Default::default(),
            out_den: Default::default(),
            out_corr_i: Default::default(),
            out_corr_q: Default::default(),
            overrun: Default::default(),
            ram: (0..WORDS * SLOTS).map(|_| Bits::<36>::default()).into(),
            lag: slots(lag),
            window: slots(WINDOW),
            lag_window: slots(WINDOW + lag),
            word1: Constant::new(1u64.into()),
            word2: Constant::new(2u64.into()),
            word3: Constant::new(3u64.into()),
            wp: Default::default(),
            step: Default::default(),
            slot_lag: Default::default(),
            slot_window: Default::default(),
            slot_lag_window: Default::default(),
            rd: Default::default(),
            b_i: Default::default(),
            b_q: Default::default(),
            a_i: Default::default(),
            a_q: Default::default(),
            mul_x: Default::default(),
            mul_y: Default::default(),
            prod: Default::default(),
            prod_u: Default::default(),
            msb32: Constant::new(Bits::<32>::from(1u64 << 31)),
            offset36: Constant::new(Bits::<36>::from(1u64 << 31)),
            msb36: Constant::new(Bits::<36>::from(1u64 << 35)),
            offset39: Constant::new(Bits::<39>::from(1u64 << 35)),
            prod_ext: Default::default(),
            rd_ext: Default::default(),
            term: Default::default(),
            term_ext: Default::default(),
            c_im_new: Default::default(),
            c_im_ext: Default::default(),
            c_re: Default::default(),
            c_im: Default::default(),
            p1: Default::default(),
            p2: Default::default(),
            or39: Default::default(),
            // bits 30..23: the sign of a 23-bit value extended to 31 bits
            sign_fill31: Constant::new(Bits::<31>::from(0xFFu64 << 23)),
            top_re: Default::default(),
            top_im: Default::default(),
            x31_re: Default::default(),
            x31_im: Default::default(),
            x31_p1: Default::default(),
            x31_p2: Default::default(),
            or31: Default::default(),
            m_re: Default::default(),
            m_im: Default::default(),
            m_p1: Default::default(),
            m_p2: Default::default(),
            or23: Default::default(),
            x19_re: Default::default(),
            x19_im: Default::default(),
            x19_p1: Default::default(),
            x19_p2: Default::default(),
            or19: Default::default(),
            x17_re: Default::default(),
            x17_im: Default::default(),
            x17_p1: Default::default(),
            x17_p2: Default::default(),
            or17: Default::default(),
            n_re: Default::default(),
            n_im: Default::default(),
            n_p1: Default::default(),
            n_p2: Default::default(),
            num: Default::default(),
            den: Default::default(),
            den_hi: Default::default(),
            den_lo: Default::default(),
            rhs: Default::default(),
            lhs: Default::default(),
            hit: Default::default(),
            flags: Default::default(),
            one64: Constant::new(Bits::<64>::from(1u64)),
            flags_next: Default::default(),
            count: Default::default(),
            count_up: Default::default(),
            count_next: Default::default(),
            enough: Default::default(),
            hits_needed: Constant::new(Bits::<7>::from(u64::from(HITS))),
            detect: Default::default(),
            v_valid: Default::default(),
            v_hit: Default::default(),
            v_detect: Default::default(),
            v_num: Default::default(),
            v_den: Default::default(),
            v_corr_i: Default::default(),
            v_corr_q: Default::default(),
            v_overrun: Default::default(),
        }
    }
}

impl Logic for Detector {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, wp, step, b_i, b_q, a_i, a_q, prod, term, c_re, c_im, p1, p2, m_re, m_im,
            m_p1, m_p2, n_re, n_im, n_p1, n_p2, num, den, rhs, flags, count, v_valid, v_hit,
            v_detect, v_num, v_den, v_corr_i, v_corr_q, v_overrun
        );
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        // slots of samples m − L, m − W, m − W − L (7-bit wrap)
        self.slot_lag.next = self.wp.q.val() - self.lag.val();
        self.slot_window.next = self.wp.q.val() - self.window.val();
        self.slot_lag_window.next = self.wp.q.val() - self.lag_window.val();
        self.rd.next = self.ram.read_data.val();
        // sign extensions, (x ^ msb) − msb in the wider width (yosys keeps only the top bits'
        // adder): product 32 → 36 bits, RAM word and terms 36 → 39 bits
        self.prod_u.next = unsigned_cast(self.prod.q.val());
        self.prod_ext.next =
            bit_cast::<36, 32>(self.prod_u.val() ^ self.msb32.val()) - self.offset36.val();
        self.rd_ext.next =
            bit_cast::<39, 36>(self.rd.val() ^ self.msb36.val()) - self.offset39.val();
        self.term_ext.next =
            bit_cast::<39, 36>(self.term.q.val() ^ self.msb36.val()) - self.offset39.val();
        self.c_im_new.next = self.term.q.val() - self.prod_ext.val();
        self.c_im_ext.next =
            bit_cast::<39, 36>(self.c_im_new.val() ^ self.msb36.val()) - self.offset39.val();
        self.den_hi.next = bit_cast::<16, 15>(self.prod_u.val().get_bits::<15>(15));
        self.den_lo.next = bit_cast::<16, 15>(self.den.q.val().get_bits::<15>(0));
        self.lhs.next = bit_cast::<48, 32>(self.num.q.val()) << 15;

        // defaults: read the lagged sample's word, write nothing, square the input
        self.ram.read_address.next = bit_cast::<9, 7>(self.slot_lag.val()) << 2;
        self.ram.write_address.next = bit_cast::<9, 7>(self.wp.q.val()) << 2;
        self.ram.write_data.next = (bit_cast::<36, 16>(unsigned_cast(self.in_i.val())) << 16)
            | bit_cast::<36, 16>(unsigned_cast(self.in_q.val()));
        self.ram.write_enable.next = false;
        self.mul_x.next = self.in_i.val();
        self.mul_y.next = self.in_i.val();
        self.v_valid.d.next = false;
        self.v_overrun.d.next = self.v_overrun.q.val();

        // schedule control: step 0 is the in_valid clock, steps 1..=14 follow, 0 when idle
        if self.step.q.val().any() {
            if self.step.q.val() == 14 {
                self.step.d.next = 0.into();
            } else {
                self.step.d.next = self.step.q.val() + 1;
            }
        }
        if self.in_valid.val() {
            // step 0: store the sample, read r[m − L], start b_i²
            self.step.d.next = 1.into();
            self.b_i.d.next = self.in_i.val();
            self.b_q.d.next = self.in_q.val();
            self.ram.write_enable.next = true;
            if self.step.q.val().any() {
                self.v_overrun.d.next = true;
            }
        }
        if self.step.q.val() == 1 {
            self.ram.read_address.next =
                (bit_cast::<9, 7>(self.slot_window.val()) << 2) | self.word1.val();
            self.a_i.d.next = signed_cast(self.rd.val().get_bits::<16>(16));
            self.a_q.d.next = signed_cast(self.rd.val().get_bits::<16>(0));
            self.mul_x.next = self.b_q.q.val();
            self.mul_y.next = self.b_q.q.val();
            self.term.d.next = self.prod_ext.val();
        }
        if self.step.q.val() == 2 {
            self.ram.read_address.next =
                (bit_cast::<9, 7>(self.slot_window.val()) << 2) | self.word2.val();
            self.mul_x.next = self.a_i.q.val();
            self.mul_y.next = self.b_i.q.val();
            self.term.d.next = self.term.q.val() + self.prod_ext.val();
            self.c_re.d.next = self.c_re.q.val() - self.rd_ext.val();
        }
        if self.step.q.val() == 3 {
            self.ram.read_address.next =
                (bit_cast::<9, 7>(self.slot_window.val()) << 2) | self.word3.val();
            self.ram.write_address.next =
                (bit_cast::<9, 7>(self.wp.q.val()) << 2) | self.word3.val();
            self.ram.write_data.next = self.term.q.val();
            self.ram.write_enable.next = true;
            self.mul_x.next = self.a_q.q.val();
            self.mul_y.next = self.b_q.q.val();
            self.term.d.next = self.prod_ext.val();
            self.c_im.d.next = self.c_im.q.val() - self.rd_ext.val();
            self.p2.d.next = self.p2.q.val() + self.term_ext.val();
        }
        if self.step.q.val() == 4 {
            self.ram.read_address.next =
                (bit_cast::<9, 7>(self.slot_lag.val()) << 2) | self.word3.val();
            self.mul_x.next = self.a_q.q.val();
            self.mul_y.next = self.b_i.q.val();
            self.term.d.next = self.term.q.val() + self.prod_ext.val();
            self.p2.d.next = self.p2.q.val() - self.rd_ext.val();
        }
        if self.step.q.val() == 5 {
            self.ram.read_address.next =
                (bit_cast::<9, 7>(self.slot_lag_window.val()) << 2) | self.word3.val();
            self.ram.write_address.next =
                (bit_cast::<9, 7>(self.wp.q.val()) << 2) | self.word1.val();
            self.ram.write_data.next = self.term.q.val();
            self.ram.write_enable.next = true;
            self.mul_x.next = self.a_i.q.val();
            self.mul_y.next = self.b_q.q.val();
            self.term.d.next = self.prod_ext.val();
            self.c_re.d.next = self.c_re.q.val() + self.term_ext.val();
            self.p1.d.next = self.p1.q.val() + self.rd_ext.val();
        }
        if self.step.q.val() == 6 {
            self.ram.write_address.next =
                (bit_cast::<9, 7>(self.wp.q.val()) << 2) | self.word2.val();
            self.ram.write_data.next = self.c_im_new.val();
            self.ram.write_enable.next = true;
            self.c_im.d.next = self.c_im.q.val() + self.c_im_ext.val();
            self.p1.d.next = self.p1.q.val() - self.rd_ext.val();
        }

        // normalisation, stages 16 and 8 (step 7): shift by k when P1 | P2 ≥ 2^(14 + k)
        self.or39.next = self.p1.q.val() | self.p2.q.val();
        self.top_re.next = self.c_re.q.val().get_bits::<23>(16);
        self.top_im.next = self.c_im.q.val().get_bits::<23>(16);
        if self.or39.val().get_bits::<9>(30).any() {
            self.x31_re.next = bit_cast::<31, 23>(self.top_re.val());
            if self.top_re.val().get_bit(22) {
                self.x31_re.next = bit_cast::<31, 23>(self.top_re.val()) | self.sign_fill31.val();
            }
            self.x31_im.next = bit_cast::<31, 23>(self.top_im.val());
            if self.top_im.val().get_bit(22) {
                self.x31_im.next = bit_cast::<31, 23>(self.top_im.val()) | self.sign_fill31.val();
            }
            self.x31_p1.next = bit_cast::<31, 23>(self.p1.q.val().get_bits::<23>(16));
            self.x31_p2.next = bit_cast::<31, 23>(self.p2.q.val().get_bits::<23>(16));
        } else {
            self.x31_re.next = self.c_re.q.val().get_bits::<31>(0);
            self.x31_im.next = self.c_im.q.val().get_bits::<31>(0);
            self.x31_p1.next = self.p1.q.val().get_bits::<31>(0);
            self.x31_p2.next = self.p2.q.val().get_bits::<31>(0);
        }
        self.or31.next = self.x31_p1.val() | self.x31_p2.val();
        if self.step.q.val() == 7 {
            self.wp.d.next = self.wp.q.val() + 1;
            if self.or31.val().get_bits::<9>(22).any() {
                self.m_re.d.next = self.x31_re.val().get_bits::<23>(8);
                self.m_im.d.next = self.x31_im.val().get_bits::<23>(8);
                self.m_p1.d.next = self.x31_p1.val().get_bits::<23>(8);
                self.m_p2.d.next = self.x31_p2.val().get_bits::<23>(8);
            } else {
                self.m_re.d.next = self.x31_re.val().get_bits::<23>(0);
                self.m_im.d.next = self.x31_im.val().get_bits::<23>(0);
                self.m_p1.d.next = self.x31_p1.val().get_bits::<23>(0);
                self.m_p2.d.next = self.x31_p2.val().get_bits::<23>(0);
            }
        }
        // stages 4, 2 and 1 (step 8)
        self.or23.next = self.m_p1.q.val() | self.m_p2.q.val();
        if self.or23.val().get_bits::<5>(18).any() {
            self.x19_re.next = self.m_re.q.val().get_bits::<19>(4);
            self.x19_im.next = self.m_im.q.val().get_bits::<19>(4);
            self.x19_p1.next = self.m_p1.q.val().get_bits::<19>(4);
            self.x19_p2.next = self.m_p2.q.val().get_bits::<19>(4);
        } else {
            self.x19_re.next = self.m_re.q.val().get_bits::<19>(0);
            self.x19_im.next = self.m_im.q.val().get_bits::<19>(0);
            self.x19_p1.next = self.m_p1.q.val().get_bits::<19>(0);
            self.x19_p2.next = self.m_p2.q.val().get_bits::<19>(0);
        }
        self.or19.next = self.x19_p1.val() | self.x19_p2.val();
        if self.or19.val().get_bits::<3>(16).any() {
            self.x17_re.next = self.x19_re.val().get_bits::<17>(2);
            self.x17_im.next = self.x19_im.val().get_bits::<17>(2);
            self.x17_p1.next = self.x19_p1.val().get_bits::<17>(2);
            self.x17_p2.next = self.x19_p2.val().get_bits::<17>(2);
        } else {
            self.x17_re.next = self.x19_re.val().get_bits::<17>(0);
            self.x17_im.next = self.x19_im.val().get_bits::<17>(0);
            self.x17_p1.next = self.x19_p1.val().get_bits::<17>(0);
            self.x17_p2.next = self.x19_p2.val().get_bits::<17>(0);
        }
        self.or17.next = self.x17_p1.val() | self.x17_p2.val();
        if self.step.q.val() == 8 {
            if self.or17.val().get_bits::<2>(15).any() {
                self.n_re.d.next = self.x17_re.val().get_bits::<16>(1);
                self.n_im.d.next = self.x17_im.val().get_bits::<16>(1);
                self.n_p1.d.next = self.x17_p1.val().get_bits::<16>(1);
                self.n_p2.d.next = self.x17_p2.val().get_bits::<16>(1);
            } else {
                self.n_re.d.next = self.x17_re.val().get_bits::<16>(0);
                self.n_im.d.next = self.x17_im.val().get_bits::<16>(0);
                self.n_p1.d.next = self.x17_p1.val().get_bits::<16>(0);
                self.n_p2.d.next = self.x17_p2.val().get_bits::<16>(0);
            }
        }

        // metric: num = Cr'² + Ci'², den = P1'·P2', T·den = T·(den >> 15)·2¹⁵ + T·(den & 0x7fff)
        if self.step.q.val() == 9 {
            self.mul_x.next = signed_cast(self.n_re.q.val());
            self.mul_y.next = signed_cast(self.n_re.q.val());
        }
        if self.step.q.val() == 10 {
            self.mul_x.next = signed_cast(self.n_im.q.val());
            self.mul_y.next = signed_cast(self.n_im.q.val());
            self.num.d.next = self.prod_u.val();
        }
        if self.step.q.val() == 11 {
            self.mul_x.next = signed_cast(self.n_p1.q.val());
            self.mul_y.next = signed_cast(self.n_p2.q.val());
            self.num.d.next = self.num.q.val() + self.prod_u.val();
        }
        if self.step.q.val() == 12 {
            self.den.d.next = self.prod_u.val();
            self.mul_x.next = signed_cast(self.threshold.val());
            self.mul_y.next = signed_cast(self.den_hi.val());
        }
        if self.step.q.val() == 13 {
            self.mul_x.next = signed_cast(self.threshold.val());
            self.mul_y.next = signed_cast(self.den_lo.val());
            self.rhs.d.next = self.lhs.val() - (bit_cast::<48, 32>(self.prod_u.val()) << 15);
        }
        self.prod.d.next = self.mul_x.val() * self.mul_y.val();

        // decision (step 14): hit, the count of the last 64 hits, detection.
        // num · 2¹⁵ > T·den = T·hi · 2¹⁵ + T·lo  ⇔  margin = num · 2¹⁵ − T·hi · 2¹⁵ > T·lo:
        // the margin is formed at step 13 (both terms < 2⁴⁷, so its bit 47 is the sign),
        // leaving step 14 one comparison; the two possible counts are formed beside it
        self.hit.next = self.den.q.val().any()
            & !self.rhs.q.val().get_bit(47)
            & (self.rhs.q.val() > bit_cast::<48, 32>(self.prod_u.val()));
        self.count_up.next = self.count.q.val();
        if self.flags.q.val().get_bit(63) {
            self.count_up.next = self.count.q.val() - 1;
        }
        self.count_next.next = self.count_up.val() + 1;
        self.enough.next = self.count_next.val() >= self.hits_needed.val();
        self.flags_next.next = self.flags.q.val() << 1;
        if self.hit.val() {
            self.flags_next.next = (self.flags.q.val() << 1) | self.one64.val();
        }
        self.detect.next = self.hit.val() & self.enough.val();
        if self.step.q.val() == 14 {
            if self.detect.val() {
                self.flags.d.next = 0.into();
                self.count.d.next = 0.into();
            } else {
                self.flags.d.next = self.flags_next.val();
                self.count.d.next = self.count_up.val();
                if self.hit.val() {
                    self.count.d.next = self.count_next.val();
                }
            }
            self.v_valid.d.next = true;
            self.v_hit.d.next = self.hit.val();
            self.v_detect.d.next = self.detect.val();
            self.v_num.d.next = self.num.q.val();
            self.v_den.d.next = self.den.q.val();
            self.v_corr_i.d.next = signed_cast(self.n_re.q.val());
            self.v_corr_q.d.next = signed_cast(self.n_im.q.val());
        }
        self.out_valid.next = self.v_valid.q.val();
        self.out_hit.next = self.v_hit.q.val();
        self.out_detect.next = self.v_detect.q.val();
        self.out_num.next = self.v_num.q.val();
        self.out_den.next = self.v_den.q.val();
        self.out_corr_i.next = self.v_corr_i.q.val();
        self.out_corr_q.next = self.v_corr_q.q.val();
        self.overrun.next = self.v_overrun.q.val();
    }
}
