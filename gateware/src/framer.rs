//! Burst-stream framer: the four channels' burst records as the byte stream of
//! docs/burst-stream.md, one byte per clock at most, with back-pressure from the link.
//! Clock for clock the same as the model [`subgate_dsp::frontend::framer`], whose module
//! documentation gives the behaviour (rings, closing rules, overflow, timestamps).
//!
//! Structure:
//! - one 2048 × 32 block RAM: four rings of [`RING`] samples, written by the record side
//!   (slot `channel · 512 + write`), read by the emitter one sample ahead (the read address
//!   moves on after a sample's second byte, so the next word is in the RAM's output when the
//!   sample's last byte goes); the word goes into a register (`sword`) the bytes are taken
//!   from, so no path runs from the block RAM's output to the CRC;
//! - a queue of [`QUEUE`] segment descriptors (channel, first slot, count − 1, flags, first
//!   index: 55 of 64 bits) in LUT RAM;
//! - an input register for the record with its channel's state from the same clock (the
//!   decisions are made in the next clock, from registers);
//! - per channel: samples held, write slot, the open segment (count, first slot, first index,
//!   flags), a pending-overflow bit and the 16-bit sequence number;
//! - the emitter: idle → take a descriptor (its timestamp extended to 64 bits against the
//!   count of ADC strobes / 16) → 24 header bytes → 4 bytes per sample → 4 CRC bytes; one
//!   CRC-32 register updated bit-serially (8 steps per byte, unrolled) from the output
//!   register, a clock after each byte of the header's first 20 and of the payload (the first
//!   CRC byte of each waits a clock for it);
//! - the output byte register, which takes the next byte when empty or when `out_ready`
//!   takes the current one.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::framer::{
    CRC_POLY, DECIMATION, FORMAT_CI16, HEADER_CRC_FROM, HEADER_LEN, MAGIC, QUEUE, SEGMENT,
    TRAILER_LEN, VERSION,
};

pub use subgate_dsp::frontend::framer::RING;

// `update` spells these as literals (hdl_gen copies them into the Verilog verbatim).
const _: () = assert!(
    RING == 512
        && SEGMENT == 256
        && QUEUE == 16
        && DECIMATION == 16
        && HEADER_LEN == 24
        && HEADER_CRC_FROM == 20
        && TRAILER_LEN == 4
);

/// Bytes 0..8 of every header: magic, version, sample format (channel and flags ORed in).
const HEADER_WORD0: u64 = (MAGIC[0] as u64)
    | (MAGIC[1] as u64) << 8
    | (MAGIC[2] as u64) << 16
    | (MAGIC[3] as u64) << 24
    | (VERSION as u64) << 32
    | (FORMAT_CI16 as u64) << 40;

/// The framer block (see the module documentation).
#[derive(LogicBlock)]
pub struct Framer {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// An ADC sample was taken (the front end's `in_valid`).
    pub in_adc: Signal<In, Bit>,
    /// A record: a forwarded sample.
    pub in_valid: Signal<In, Bit>,
    /// A record: the burst ended.
    pub in_end: Signal<In, Bit>,
    /// With `in_valid`: the first sample of a burst.
    pub in_start: Signal<In, Bit>,
    /// The record's channel.
    pub in_channel: Signal<In, Bits<2>>,
    /// The sample's index on its channel (32 bits, wrapping).
    pub in_index: Signal<In, Bits<32>>,
    /// Sample, in-phase.
    pub in_i: Signal<In, Signed<16>>,
    /// Sample, quadrature.
    pub in_q: Signal<In, Signed<16>>,
    /// The link takes `out_data` at this clock's edge (when `out_valid`).
    pub out_ready: Signal<In, Bit>,
    /// `out_data` holds a byte of the stream.
    pub out_valid: Signal<Out, Bit>,
    /// The stream's next byte.
    pub out_data: Signal<Out, Bits<8>>,
    /// Segments started (wrapping).
    pub segments: Signal<Out, Bits<32>>,
    /// Samples dropped for want of room (wrapping).
    pub dropped: Signal<Out, Bits<32>>,
    ring: RAM<Bits<32>, 11>,
    queue: RAM<Bits<64>, 4>,
    used: [DFF<Bits<10>>; 4],
    wslot: [DFF<Bits<9>>; 4],
    count: [DFF<Bits<9>>; 4],
    first: [DFF<Bits<9>>; 4],
    index: [DFF<Bits<32>>; 4],
    oflags: [DFF<Bits<3>>; 4],
    pend: [DFF<Bit>; 4],
    seq: [DFF<Bits<16>>; 4],
    r_valid: DFF<Bit>,
    r_end: DFF<Bit>,
    r_start: DFF<Bit>,
    r_ch: DFF<Bits<2>>,
    r_index: DFF<Bits<32>>,
    r_i: DFF<Signed<16>>,
    r_q: DFF<Signed<16>>,
    s_slot: DFF<Bits<9>>,
    s_count: DFF<Bits<9>>,
    s_first: DFF<Bits<9>>,
    s_index: DFF<Bits<32>>,
    s_flags: DFF<Bits<3>>,
    s_pend: DFF<Bit>,
    s_full: DFF<Bit>,
    s_c256: DFF<Bit>,
    s_cnz: DFF<Bit>,
    qw: DFF<Bits<5>>,
    qn: DFF<Bits<5>>,
    qfull_r: DFF<Bit>,
    qr: DFF<Bits<5>>,
    phase: DFF<Bits<4>>,
    dec: DFF<Bits<64>>,
    state: DFF<Bits<3>>,
    e_ch: DFF<Bits<2>>,
    e_first: DFF<Bits<9>>,
    e_cm1: DFF<Bits<8>>,
    e_flags: DFF<Bits<3>>,
    e_ts: DFF<Bits<64>>,
    e_seq: DFF<Bits<16>>,
    hb: DFF<Bits<5>>,
    part: DFF<Bits<2>>,
    k: DFF<Bits<8>>,
    crc: DFF<Bits<32>>,
    cpend: DFF<Bit>,
    sword: DFF<Bits<32>>,
    o_valid: DFF<Bit>,
    o_data: DFF<Bits<8>>,
    segs: DFF<Bits<32>>,
    drops: DFF<Bits<32>>,
    poly: Constant<Bits<32>>,
    word0: Constant<Bits<64>>,
    // record side
    w_rec: Signal<Local, Bit>,
    w_used: Signal<Local, Bits<10>>,
    w_slot: Signal<Local, Bits<9>>,
    w_count: Signal<Local, Bits<9>>,
    w_first: Signal<Local, Bits<9>>,
    w_index: Signal<Local, Bits<32>>,
    w_flags: Signal<Local, Bits<3>>,
    w_pend: Signal<Local, Bit>,
    qn_next: Signal<Local, Bits<5>>,
    adj: Signal<Local, Bits<10>>,
    adj_m1: Signal<Local, Bits<10>>,
    qfull: Signal<Local, Bit>,
    w_close: Signal<Local, Bit>,
    w_push: Signal<Local, Bit>,
    w_discard: Signal<Local, Bit>,
    w_cm1: Signal<Local, Bits<9>>,
    slot2: Signal<Local, Bits<9>>,
    count2: Signal<Local, Bits<9>>,
    w_drop: Signal<Local, Bit>,
    w_accept: Signal<Local, Bit>,
    w_open: Signal<Local, Bit>,
    n_slot: Signal<Local, Bits<9>>,
    n_count: Signal<Local, Bits<9>>,
    n_first: Signal<Local, Bits<9>>,
    n_index: Signal<Local, Bits<32>>,
    n_flags: Signal<Local, Bits<3>>,
    n_pend: Signal<Local, Bit>,
    drop_n: Signal<Local, Bits<32>>,
    // emitter
    advance: Signal<Local, Bit>,
    produce: Signal<Local, Bit>,
    freed: Signal<Local, Bit>,
    desc: Signal<Local, Bits<64>>,
    lag: Signal<Local, Bits<32>>,
    hword: Signal<Local, Bits<64>>,
    oword: Signal<Local, Bits<64>>,
    bsel: Signal<Local, Bits<3>>,
    obyte: Signal<Local, Bits<8>>,
    rd_slot: Signal<Local, Bits<9>>,
    c1: Signal<Local, Bits<32>>,
    c2: Signal<Local, Bits<32>>,
    c3: Signal<Local, Bits<32>>,
    c4: Signal<Local, Bits<32>>,
    c5: Signal<Local, Bits<32>>,
    c6: Signal<Local, Bits<32>>,
    c7: Signal<Local, Bits<32>>,
    c8: Signal<Local, Bits<32>>,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// A framer after reset: rings and queue empty, sequence numbers 0.
    pub fn new() -> Self {
        Framer {
            clock: Default::default(),
            in_adc: Default::default(),
            in_valid: Default::default(),
            in_end: Default::default(),
            in_start: Default::default(),
            in_channel: Default::default(),
            in_index: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            out_ready: Default::default(),
            out_valid: Default::default(),
            out_data: Default::default(),
            segments: Default::default(),
            dropped: Default::default(),
            ring: Default::default(),
            queue: Default::default(),
            used: Default::default(),
            wslot: Default::default(),
            count: Default::default(),
            first: Default::default(),
            index: Default::default(),
            oflags: Default::default(),
            pend: Default::default(),
            seq: Default::default(),
            r_valid: Default::default(),
            r_end: Default::default(),
            r_start: Default::default(),
            r_ch: Default::default(),
            r_index: Default::default(),
            r_i: Default::default(),
            r_q: Default::default(),
            s_slot: Default::default(),
            s_count: Default::default(),
            s_first: Default::default(),
            s_index: Default::default(),
            s_flags: Default::default(),
            s_pend: Default::default(),
            s_full: Default::default(),
            s_c256: Default::default(),
            s_cnz: Default::default(),
            qw: Default::default(),
            qn: Default::default(),
            qfull_r: Default::default(),
            qr: Default::default(),
            phase: Default::default(),
            dec: Default::default(),
            state: Default::default(),
            e_ch: Default::default(),
            e_first: Default::default(),
            e_cm1: Default::default(),
            e_flags: Default::default(),
            e_ts: Default::default(),
            e_seq: Default::default(),
            hb: Default::default(),
            part: Default::default(),
            k: Default::default(),
            crc: Default::default(),
            cpend: Default::default(),
            sword: Default::default(),
            o_valid: Default::default(),
            o_data: Default::default(),
            segs: Default::default(),
            drops: Default::default(),
            poly: Constant::new(Bits::<32>::from(u64::from(CRC_POLY))),
            word0: Constant::new(Bits::<64>::from(HEADER_WORD0)),
            w_rec: Default::default(),
            w_used: Default::default(),
            w_slot: Default::default(),
            w_count: Default::default(),
            w_first: Default::default(),
            w_index: Default::default(),
            w_flags: Default::default(),
            w_pend: Default::default(),
            qn_next: Default::default(),
            adj: Default::default(),
            adj_m1: Default::default(),
            qfull: Default::default(),
            w_close: Default::default(),
            w_push: Default::default(),
            w_discard: Default::default(),
            w_cm1: Default::default(),
            slot2: Default::default(),
            count2: Default::default(),
            w_drop: Default::default(),
            w_accept: Default::default(),
            w_open: Default::default(),
            n_slot: Default::default(),
            n_count: Default::default(),
            n_first: Default::default(),
            n_index: Default::default(),
            n_flags: Default::default(),
            n_pend: Default::default(),
            drop_n: Default::default(),
            advance: Default::default(),
            produce: Default::default(),
            freed: Default::default(),
            desc: Default::default(),
            lag: Default::default(),
            hword: Default::default(),
            oword: Default::default(),
            bsel: Default::default(),
            obyte: Default::default(),
            rd_slot: Default::default(),
            c1: Default::default(),
            c2: Default::default(),
            c3: Default::default(),
            c4: Default::default(),
            c5: Default::default(),
            c6: Default::default(),
            c7: Default::default(),
            c8: Default::default(),
        }
    }
}

impl Logic for Framer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, r_valid, r_end, r_start, r_ch, r_index, r_i, r_q, s_slot, s_count,
            s_first, s_index, s_flags, s_pend, s_full, s_c256, s_cnz, qw, qn, qfull_r, qr, phase,
            dec, state, e_ch, e_first, e_cm1, e_flags, e_ts, e_seq, hb, part, k, crc, cpend, sword,
            o_valid, o_data, segs, drops
        );
        for c in 0..4 {
            self.used[c].clock.next = self.clock.val();
            self.used[c].d.next = self.used[c].q.val();
            self.wslot[c].clock.next = self.clock.val();
            self.wslot[c].d.next = self.wslot[c].q.val();
            self.count[c].clock.next = self.clock.val();
            self.count[c].d.next = self.count[c].q.val();
            self.first[c].clock.next = self.clock.val();
            self.first[c].d.next = self.first[c].q.val();
            self.index[c].clock.next = self.clock.val();
            self.index[c].d.next = self.index[c].q.val();
            self.oflags[c].clock.next = self.clock.val();
            self.oflags[c].d.next = self.oflags[c].q.val();
            self.pend[c].clock.next = self.clock.val();
            self.pend[c].d.next = self.pend[c].q.val();
            self.seq[c].clock.next = self.clock.val();
            self.seq[c].d.next = self.seq[c].q.val();
        }
        self.ring.read_clock.next = self.clock.val();
        self.ring.write_clock.next = self.clock.val();
        self.queue.read_clock.next = self.clock.val();
        self.queue.write_clock.next = self.clock.val();

        // ---------------- emitter ----------------
        self.advance.next = !self.o_valid.q.val() | self.out_ready.val();
        self.desc.next = self.queue.read_data.val();
        self.lag.next = self.dec.q.val().get_bits::<32>(0) - self.desc.val().get_bits::<32>(32);
        // the header's 64-bit words: bytes 0..8, the timestamp, bytes 16..24
        self.hword.next = self.word0.val()
            | (bit_cast::<64, 2>(self.e_ch.q.val()) << 48)
            | (bit_cast::<64, 3>(self.e_flags.q.val()) << 56);
        if self.hb.q.val().get_bits::<2>(3) == 1 {
            self.hword.next = self.e_ts.q.val();
        }
        if self.hb.q.val().get_bits::<2>(3) == 2 {
            self.hword.next = bit_cast::<64, 16>(self.e_seq.q.val())
                | (bit_cast::<64, 9>(bit_cast::<9, 8>(self.e_cm1.q.val()) + 1) << 16)
                | (bit_cast::<64, 32>(!self.crc.q.val()) << 32);
        }
        // the byte due: header word, sample word or CRC, and which byte of it
        self.oword.next = self.hword.val();
        self.bsel.next = self.hb.q.val().get_bits::<3>(0);
        if self.state.q.val() == 3 {
            self.oword.next = bit_cast::<64, 32>(self.sword.q.val());
            self.bsel.next = bit_cast::<3, 2>(self.part.q.val());
        }
        if self.state.q.val() == 4 {
            self.oword.next = bit_cast::<64, 32>(!self.crc.q.val());
        }
        // the byte: `bsel` of `oword`
        self.obyte.next = self.oword.val().get_bits::<8>(0);
        if self.bsel.val() == 1 {
            self.obyte.next = self.oword.val().get_bits::<8>(8);
        }
        if self.bsel.val() == 2 {
            self.obyte.next = self.oword.val().get_bits::<8>(16);
        }
        if self.bsel.val() == 3 {
            self.obyte.next = self.oword.val().get_bits::<8>(24);
        }
        if self.bsel.val() == 4 {
            self.obyte.next = self.oword.val().get_bits::<8>(32);
        }
        if self.bsel.val() == 5 {
            self.obyte.next = self.oword.val().get_bits::<8>(40);
        }
        if self.bsel.val() == 6 {
            self.obyte.next = self.oword.val().get_bits::<8>(48);
        }
        if self.bsel.val() == 7 {
            self.obyte.next = self.oword.val().get_bits::<8>(56);
        }
        // CRC-32 over the byte in the output register, one bit per step, LSB first (the CRC
        // register takes it in the clock after)
        self.c1.next = self.crc.q.val() >> 1;
        if self.crc.q.val().get_bit(0) ^ self.o_data.q.val().get_bit(0) {
            self.c1.next = (self.crc.q.val() >> 1) ^ self.poly.val();
        }
        self.c2.next = self.c1.val() >> 1;
        if self.c1.val().get_bit(0) ^ self.o_data.q.val().get_bit(1) {
            self.c2.next = (self.c1.val() >> 1) ^ self.poly.val();
        }
        self.c3.next = self.c2.val() >> 1;
        if self.c2.val().get_bit(0) ^ self.o_data.q.val().get_bit(2) {
            self.c3.next = (self.c2.val() >> 1) ^ self.poly.val();
        }
        self.c4.next = self.c3.val() >> 1;
        if self.c3.val().get_bit(0) ^ self.o_data.q.val().get_bit(3) {
            self.c4.next = (self.c3.val() >> 1) ^ self.poly.val();
        }
        self.c5.next = self.c4.val() >> 1;
        if self.c4.val().get_bit(0) ^ self.o_data.q.val().get_bit(4) {
            self.c5.next = (self.c4.val() >> 1) ^ self.poly.val();
        }
        self.c6.next = self.c5.val() >> 1;
        if self.c5.val().get_bit(0) ^ self.o_data.q.val().get_bit(5) {
            self.c6.next = (self.c5.val() >> 1) ^ self.poly.val();
        }
        self.c7.next = self.c6.val() >> 1;
        if self.c6.val().get_bit(0) ^ self.o_data.q.val().get_bit(6) {
            self.c7.next = (self.c6.val() >> 1) ^ self.poly.val();
        }
        self.c8.next = self.c7.val() >> 1;
        if self.c7.val().get_bit(0) ^ self.o_data.q.val().get_bit(7) {
            self.c8.next = (self.c7.val() >> 1) ^ self.poly.val();
        }
        // the emitter's state machine (every local it reads is computed above)
        self.cpend.d.next = false;
        if self.cpend.q.val() {
            self.crc.d.next = self.c8.val();
        }
        self.produce.next = false;
        self.freed.next = false;
        if (self.state.q.val() == 0) & (self.qn.q.val() != 0) {
            self.state.d.next = 1.into();
        }
        if self.state.q.val() == 1 {
            self.e_ch.d.next = self.desc.val().get_bits::<2>(0);
            self.e_first.d.next = self.desc.val().get_bits::<9>(2);
            self.e_cm1.d.next = self.desc.val().get_bits::<8>(11);
            self.e_flags.d.next = self.desc.val().get_bits::<3>(19);
            self.e_ts.d.next = self.dec.q.val() - bit_cast::<64, 32>(self.lag.val());
            for c in 0..4 {
                if self.desc.val().get_bits::<2>(0).index() == c {
                    self.e_seq.d.next = self.seq[c].q.val();
                    self.seq[c].d.next = self.seq[c].q.val() + 1;
                }
            }
            self.qr.d.next = self.qr.q.val() + 1;
            self.hb.d.next = 0.into();
            self.part.d.next = 0.into();
            self.k.d.next = 0.into();
            self.crc.d.next = 0xFFFF_FFFFu64.into();
            self.state.d.next = 2.into();
        }
        if (self.state.q.val() == 2)
            & self.advance.val()
            & !((self.hb.q.val() == 20) & self.cpend.q.val())
        {
            self.produce.next = true;
            if self.hb.q.val() == 0 {
                self.segs.d.next = self.segs.q.val() + 1;
            }
            if self.hb.q.val() < 20 {
                self.cpend.d.next = true;
            }
            self.hb.d.next = self.hb.q.val() + 1;
            if self.hb.q.val() == 23 {
                self.sword.d.next = self.ring.read_data.val();
                self.crc.d.next = 0xFFFF_FFFFu64.into();
                self.hb.d.next = 0.into();
                self.state.d.next = 3.into();
            }
        }
        if (self.state.q.val() == 3) & self.advance.val() {
            self.produce.next = true;
            self.cpend.d.next = true;
            self.part.d.next = self.part.q.val() + 1;
            if self.part.q.val() == 3 {
                self.freed.next = true;
                self.sword.d.next = self.ring.read_data.val();
                self.k.d.next = self.k.q.val() + 1;
                if self.k.q.val() == self.e_cm1.q.val() {
                    self.k.d.next = self.k.q.val();
                    self.state.d.next = 4.into();
                }
            }
        }
        if (self.state.q.val() == 4)
            & self.advance.val()
            & !((self.hb.q.val() == 0) & self.cpend.q.val())
        {
            self.produce.next = true;
            self.hb.d.next = self.hb.q.val() + 1;
            if self.hb.q.val() == 3 {
                self.hb.d.next = 0.into();
                self.state.d.next = 0.into();
            }
        }
        if self.advance.val() {
            self.o_valid.d.next = self.produce.val();
            if self.produce.val() {
                self.o_data.d.next = self.obyte.val();
            }
        }
        // the ring is read one sample ahead from a sample's third byte on, so the next word
        // is in the RAM's output when the sample's last byte goes and `sword` takes it
        self.rd_slot.next = self.e_first.q.val() + bit_cast::<9, 8>(self.k.q.val());
        if self.part.q.val().get_bit(1) {
            self.rd_slot.next = self.e_first.q.val() + bit_cast::<9, 8>(self.k.q.val()) + 1;
        }
        self.ring.read_address.next =
            bit_cast::<11, 9>(self.rd_slot.val()) | (bit_cast::<11, 2>(self.e_ch.q.val()) << 9);
        self.queue.read_address.next = self.qr.q.val().get_bits::<4>(0);

        // ---------------- record side ----------------
        // stage A: the record into the input register with its channel's state
        self.w_used.next = 0.into();
        self.w_slot.next = 0.into();
        self.w_count.next = 0.into();
        self.w_first.next = 0.into();
        self.w_index.next = 0.into();
        self.w_flags.next = 0.into();
        self.w_pend.next = false;
        for c in 0..4 {
            if self.in_channel.val().index() == c {
                self.w_used.next = self.used[c].q.val();
                self.w_slot.next = self.wslot[c].q.val();
                self.w_count.next = self.count[c].q.val();
                self.w_first.next = self.first[c].q.val();
                self.w_index.next = self.index[c].q.val();
                self.w_flags.next = self.oflags[c].q.val();
                self.w_pend.next = self.pend[c].q.val();
            }
        }
        self.r_valid.d.next = self.in_valid.val();
        self.r_end.d.next = self.in_end.val();
        self.r_start.d.next = self.in_start.val();
        self.r_ch.d.next = self.in_channel.val();
        self.r_index.d.next = self.in_index.val();
        self.r_i.d.next = self.in_i.val();
        self.r_q.d.next = self.in_q.val();
        self.s_slot.d.next = self.w_slot.val();
        self.s_count.d.next = self.w_count.val();
        self.s_first.d.next = self.w_first.val();
        self.s_index.d.next = self.w_index.val();
        self.s_flags.d.next = self.w_flags.val();
        self.s_pend.d.next = self.w_pend.val();
        self.s_full.d.next = self.w_used.val() == 512;
        self.s_c256.d.next = self.w_count.val() == 256;
        self.s_cnz.d.next = self.w_count.val() != 0;
        // stage B: act on the record taken in the previous clock
        self.w_rec.next = self.r_valid.q.val() | self.r_end.q.val();
        self.qfull.next = self.qfull_r.q.val();
        self.w_close.next = (self.r_valid.q.val()
            & (self.s_c256.q.val()
                | (self.s_cnz.q.val() & (self.r_start.q.val() | self.s_full.q.val()))))
            | (self.r_end.q.val() & self.s_cnz.q.val());
        self.w_push.next = self.w_close.val() & !self.qfull.val();
        self.w_discard.next = self.w_close.val() & self.qfull.val();
        self.w_cm1.next = self.s_count.q.val() - 1;
        self.w_drop.next = self.r_valid.q.val() & self.s_full.q.val() & !self.w_discard.val();
        self.w_accept.next = self.r_valid.q.val() & !self.w_drop.val();
        self.w_open.next = self.w_accept.val() & (self.w_close.val() | !self.s_cnz.q.val());
        self.slot2.next = self.s_slot.q.val();
        self.count2.next = self.s_count.q.val();
        if self.w_close.val() {
            self.count2.next = 0.into();
        }
        self.drop_n.next = 0.into();
        if self.w_discard.val() {
            self.slot2.next = self.s_first.q.val();
            self.drop_n.next = bit_cast::<32, 9>(self.s_count.q.val());
        }
        if self.w_drop.val() {
            self.drop_n.next = 1.into();
        }
        self.drops.d.next = self.drops.q.val() + self.drop_n.val();
        // the change to the record channel's samples held (a discard gives its slots back, an
        // accepted sample takes one), and the same with the emitter's free on top
        self.adj.next = 0.into();
        if self.w_discard.val() {
            self.adj.next = !bit_cast::<10, 9>(self.s_count.q.val()) + 1;
        }
        if self.w_accept.val() {
            self.adj.next = 1.into();
        }
        if self.w_discard.val() & self.w_accept.val() {
            self.adj.next = !bit_cast::<10, 9>(self.s_count.q.val()) + 2;
        }
        self.adj_m1.next = self.adj.val() - 1;
        // the open segment's new state
        self.n_slot.next = self.slot2.val();
        self.n_count.next = self.count2.val();
        if self.w_accept.val() {
            self.n_slot.next = self.slot2.val() + 1;
            self.n_count.next = self.count2.val() + 1;
        }
        self.n_first.next = self.s_first.q.val();
        self.n_index.next = self.s_index.q.val();
        self.n_flags.next = self.s_flags.q.val();
        self.n_pend.next = self.s_pend.q.val() | self.w_discard.val() | self.w_drop.val();
        if self.w_open.val() {
            self.n_first.next = self.slot2.val();
            self.n_index.next = self.r_index.q.val();
            self.n_flags.next = bit_cast::<3, 1>(self.r_start.q.val().into());
            if self.s_pend.q.val() | self.w_discard.val() {
                self.n_flags.next = bit_cast::<3, 1>(self.r_start.q.val().into()) | 4;
            }
            self.n_pend.next = false;
        }
        // the ring write and the queue push
        self.ring.write_enable.next = self.w_accept.val();
        self.ring.write_address.next =
            bit_cast::<11, 9>(self.slot2.val()) | (bit_cast::<11, 2>(self.r_ch.q.val()) << 9);
        self.ring.write_data.next = (bit_cast::<32, 16>(unsigned_cast(self.r_q.q.val())) << 16)
            | bit_cast::<32, 16>(unsigned_cast(self.r_i.q.val()));
        self.queue.write_enable.next = self.w_push.val();
        self.queue.write_address.next = self.qw.q.val().get_bits::<4>(0);
        self.queue.write_data.next = bit_cast::<64, 2>(self.r_ch.q.val())
            | (bit_cast::<64, 9>(self.s_first.q.val()) << 2)
            | (bit_cast::<64, 8>(self.w_cm1.val().get_bits::<8>(0)) << 11)
            | (bit_cast::<64, 3>(self.s_flags.q.val()) << 19)
            | (bit_cast::<64, 32>(self.s_index.q.val()) << 32);
        if self.r_end.q.val() {
            self.queue.write_data.next = bit_cast::<64, 2>(self.r_ch.q.val())
                | (bit_cast::<64, 9>(self.s_first.q.val()) << 2)
                | (bit_cast::<64, 8>(self.w_cm1.val().get_bits::<8>(0)) << 11)
                | (bit_cast::<64, 3>(self.s_flags.q.val() | 2) << 19)
                | (bit_cast::<64, 32>(self.s_index.q.val()) << 32);
        }
        if self.w_push.val() {
            self.qw.d.next = self.qw.q.val() + 1;
        }
        // descriptors queued: one in per push, one out per take; full at 16
        self.qn_next.next = self.qn.q.val();
        if self.w_push.val() & (self.state.q.val() != 1) {
            self.qn_next.next = self.qn.q.val() + 1;
        }
        if !self.w_push.val() & (self.state.q.val() == 1) {
            self.qn_next.next = self.qn.q.val() - 1;
        }
        self.qn.d.next = self.qn_next.val();
        self.qfull_r.d.next = self.qn_next.val() == 16;
        // per-channel registers: the record's channel takes the new state; the emitter's
        // freed slot counts on top
        for c in 0..4 {
            if self.freed.val() & (self.e_ch.q.val().index() == c) {
                self.used[c].d.next = self.used[c].q.val() - 1;
            }
            if self.w_rec.val() & (self.r_ch.q.val().index() == c) {
                self.used[c].d.next = self.used[c].q.val() + self.adj.val();
                if self.freed.val() & (self.e_ch.q.val().index() == c) {
                    self.used[c].d.next = self.used[c].q.val() + self.adj_m1.val();
                }
                self.wslot[c].d.next = self.n_slot.val();
                self.count[c].d.next = self.n_count.val();
                self.first[c].d.next = self.n_first.val();
                self.index[c].d.next = self.n_index.val();
                self.oflags[c].d.next = self.n_flags.val();
                self.pend[c].d.next = self.n_pend.val();
            }
        }
        // ADC strobes: decimated samples made
        if self.in_adc.val() {
            self.phase.d.next = self.phase.q.val() + 1;
            if self.phase.q.val() == 15 {
                self.dec.d.next = self.dec.q.val() + 1;
            }
        }
        self.out_valid.next = self.o_valid.q.val();
        self.out_data.next = self.o_data.q.val();
        self.segments.next = self.segs.q.val();
        self.dropped.next = self.drops.q.val();
    }
}
