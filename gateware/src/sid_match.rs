//! The SID filter's matcher: parses the PSDU head's bytes as they come (probe request or S1G
//! beacon, element walk, our SID-list element, its SID TLVs), compares each TLV byte with
//! the eight table entries over the eight clocks after it (one 1024 × 8 table memory,
//! written over the control interface), and gives a decision — pass, forward, drop — at the
//! end of each pass, with counters of each. Bit-exact and clock-exact with the model
//! [`subgate_dsp::frontend::sid_match`], whose module documentation gives the rules.

use rust_hdl::prelude::*;

pub use subgate_dsp::frontend::sid_match::{
    Decision, BYTE_SPACING, DECISION_DELAY, ENTRIES, ENTRY_STRIDE,
};

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () =
    assert!(DECISION_DELAY == 11 && ENTRIES == 8 && ENTRY_STRIDE == 128 && BYTE_SPACING == 8);

/// The matcher block.
#[derive(LogicBlock, Default)]
pub struct SidMatch {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A PSDU byte from the head is on `in_byte`.
    pub in_valid: Signal<In, Bit>,
    /// The byte.
    pub in_byte: Signal<In, Bits<8>>,
    /// Its place in the PSDU.
    pub in_index: Signal<In, Bits<6>>,
    /// The head's pass ended.
    pub in_done: Signal<In, Bit>,
    /// Write `tbl_data` to the table at `tbl_addr` (entry × 128 + byte).
    pub tbl_write: Signal<In, Bit>,
    /// Table address.
    pub tbl_addr: Signal<In, Bits<10>>,
    /// Table byte.
    pub tbl_data: Signal<In, Bits<8>>,
    /// Entries in use (bit per entry).
    pub tbl_valid: Signal<In, Bits<8>>,
    /// A decision is on `out_decision`.
    pub out_valid: Signal<Out, Bit>,
    /// 0 pass, 1 forward, 2 drop.
    pub out_decision: Signal<Out, Bits<2>>,
    /// Frames forwarded (wrapping).
    pub forwarded: Signal<Out, Bits<16>>,
    /// Frames dropped (wrapping).
    pub dropped: Signal<Out, Bits<16>>,
    /// Frames passed to software (wrapping).
    pub passed: Signal<Out, Bits<16>>,
    sids: RAM<Bits<8>, 10>,
    // parse state
    kind: DFF<Bits<2>>,
    next_el: DFF<Bits<9>>,
    el_state: DFF<Bits<2>>,
    el_id: DFF<Bits<8>>,
    el_len: DFF<Bits<8>>,
    body_pos: DFF<Bits<8>>,
    oui_ok: DFF<Bit>,
    sid_list: DFF<Bit>,
    tlv_state: DFF<Bits<2>>,
    tlv_pos: DFF<Bits<9>>,
    tlv_left: DFF<Bits<8>>,
    matched: DFF<Bit>,
    complete: DFF<Bit>,
    // comparison: address stage, data stage
    a_act: DFF<Bit>,
    a_e: DFF<Bits<3>>,
    a_k: DFF<Bits<9>>,
    a_first: DFF<Bit>,
    a_last: DFF<Bit>,
    a_b: DFF<Bits<8>>,
    b_act: DFF<Bit>,
    b_e: DFF<Bits<3>>,
    b_big: DFF<Bit>,
    b_first: DFF<Bit>,
    b_last: DFF<Bit>,
    b_b: DFF<Bits<8>>,
    m: DFF<Bits<8>>,
    fin: DFF<Bit>,
    // decision
    dsr: DFF<Bits<11>>,
    o_valid: DFF<Bit>,
    o_dec: DFF<Bits<2>>,
    n_fwd: DFF<Bits<16>>,
    n_drop: DFF<Bits<16>>,
    n_pass: DFF<Bits<16>>,
    // combinational
    idx: Signal<Local, Bits<9>>,
    in_body: Signal<Local, Bit>,
    sl_now: Signal<Local, Bit>,
    eq: Signal<Local, Bit>,
    dec: Signal<Local, Bits<2>>,
}

impl Logic for SidMatch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, kind, next_el, el_state, el_id, el_len, body_pos, oui_ok, sid_list,
            tlv_state, tlv_pos, tlv_left, matched, complete, a_act, a_e, a_k, a_first, a_last, a_b,
            b_act, b_e, b_big, b_first, b_last, b_b, m, fin, dsr, o_valid, o_dec, n_fwd, n_drop,
            n_pass
        );
        self.sids.read_clock.next = self.clock.val();
        self.sids.write_clock.next = self.clock.val();
        self.sids.write_enable.next = self.tbl_write.val();
        self.sids.write_address.next = self.tbl_addr.val();
        self.sids.write_data.next = self.tbl_data.val();

        // ---- the comparison of the last TLV byte with entry a_e (address stage)
        if self.a_act.q.val() {
            self.a_e.d.next = self.a_e.q.val() + 1;
            if self.a_e.q.val() == 7 {
                self.a_act.d.next = false;
            }
        }

        // ---- parsing a byte
        self.idx.next = bit_cast::<9, 6>(self.in_index.val());
        self.in_body.next = false;
        self.sl_now.next = self.sid_list.q.val();
        if self.in_valid.val() {
            if self.in_index.val() == 0 {
                self.kind.d.next = 0.into();
                if self.in_byte.val() == 0x40 {
                    self.kind.d.next = 1.into();
                }
                if self.in_byte.val() == 0x1C {
                    self.kind.d.next = 2.into();
                }
                self.next_el.d.next = 24.into();
            } else if self.in_index.val() == 1 {
                if self.kind.q.val() == 2 {
                    // 15 + 3 (Next TBTT) + 4 (Compressed SSID) + 1 (ANO)
                    self.next_el.d.next = bit_cast::<9, 1>(self.in_byte.val().get_bits::<1>(0))
                        + (bit_cast::<9, 1>(self.in_byte.val().get_bits::<1>(0)) << 1)
                        + (bit_cast::<9, 1>(self.in_byte.val().get_bits::<1>(1)) << 2)
                        + bit_cast::<9, 1>(self.in_byte.val().get_bits::<1>(2))
                        + 15;
                }
            } else if (self.kind.q.val() != 0)
                & ((self.el_state.q.val() != 0) | (self.idx.val() >= self.next_el.q.val()))
            {
                if self.el_state.q.val() == 0 {
                    self.el_id.d.next = self.in_byte.val();
                    self.el_state.d.next = 1.into();
                } else if self.el_state.q.val() == 1 {
                    self.el_len.d.next = self.in_byte.val();
                    self.next_el.d.next = self.idx.val() + 1 + bit_cast::<9, 8>(self.in_byte.val());
                    self.body_pos.d.next = 0.into();
                    if self.in_byte.val() == 0 {
                        self.el_state.d.next = 0.into();
                    } else {
                        self.el_state.d.next = 2.into();
                    }
                } else {
                    self.in_body.next = true;
                }
            }
        }
        if self.in_body.val() {
            self.body_pos.d.next = self.body_pos.q.val() + 1;
            if self.el_id.q.val() == 221 {
                if self.body_pos.q.val() == 0 {
                    self.oui_ok.d.next = self.in_byte.val() == 0x02;
                } else if self.body_pos.q.val() == 1 {
                    self.oui_ok.d.next = self.oui_ok.q.val() & (self.in_byte.val() == 0x53);
                } else if self.body_pos.q.val() == 2 {
                    self.oui_ok.d.next = self.oui_ok.q.val() & (self.in_byte.val() == 0x47);
                } else if self.body_pos.q.val() == 3 {
                    if self.oui_ok.q.val() & (self.in_byte.val() == 1) {
                        self.sl_now.next = true;
                        self.tlv_state.d.next = 0.into();
                    }
                } else if self.sid_list.q.val() {
                    // a SID TLV byte: compare it with the entries over the next 8 clocks
                    self.a_act.d.next = true;
                    self.a_e.d.next = 0.into();
                    self.a_b.d.next = self.in_byte.val();
                    self.a_first.d.next = self.tlv_state.q.val() == 0;
                    self.a_last.d.next = false;
                    if self.tlv_state.q.val() == 0 {
                        self.a_k.d.next = 0.into();
                        self.tlv_state.d.next = 1.into();
                    } else if self.tlv_state.q.val() == 1 {
                        self.a_k.d.next = 1.into();
                        self.tlv_left.d.next = self.in_byte.val();
                        self.tlv_pos.d.next = 2.into();
                        if self.in_byte.val() == 0 {
                            self.tlv_state.d.next = 0.into();
                            self.a_last.d.next = true;
                        } else {
                            self.tlv_state.d.next = 2.into();
                        }
                    } else {
                        self.a_k.d.next = self.tlv_pos.q.val();
                        self.tlv_pos.d.next = self.tlv_pos.q.val() + 1;
                        self.tlv_left.d.next = self.tlv_left.q.val() - 1;
                        if self.tlv_left.q.val() == 1 {
                            self.tlv_state.d.next = 0.into();
                            self.a_last.d.next = true;
                        }
                    }
                }
            }
            self.sid_list.d.next = self.sl_now.val();
            if self.idx.val() + 1 == self.next_el.q.val() {
                // the element's last byte
                if self.sl_now.val() & (self.el_len.q.val() != 255) {
                    self.complete.d.next = true;
                }
                self.sid_list.d.next = false;
                self.el_state.d.next = 0.into();
            }
        }

        // ---- the data stage: entry b_e's byte against the TLV byte
        self.sids.read_address.next = (bit_cast::<10, 3>(self.a_e.q.val()) << 7)
            | bit_cast::<10, 7>(self.a_k.q.val().get_bits::<7>(0));
        self.b_act.d.next = self.a_act.q.val();
        self.b_e.d.next = self.a_e.q.val();
        self.b_big.d.next = self.a_k.q.val().get_bit(7) | self.a_k.q.val().get_bit(8);
        self.b_first.d.next = self.a_first.q.val();
        self.b_last.d.next = self.a_last.q.val();
        self.b_b.d.next = self.a_b.q.val();
        self.eq.next = !self.b_big.q.val() & (self.sids.read_data.val() == self.b_b.q.val());
        self.fin.d.next = false;
        if self.b_act.q.val() {
            if self.b_first.q.val() {
                self.m.d.next = self
                    .m
                    .q
                    .val()
                    .replace_bit(self.b_e.q.val().index(), self.eq.val());
            } else {
                self.m.d.next = self.m.q.val().replace_bit(
                    self.b_e.q.val().index(),
                    self.eq.val() & self.m.q.val().get_bit(self.b_e.q.val().index()),
                );
            }
            self.fin.d.next = self.b_last.q.val() & (self.b_e.q.val() == 7);
        }
        if self.fin.q.val() & ((self.m.q.val() & self.tbl_valid.val()) != 0) {
            self.matched.d.next = true;
        }

        // ---- the decision, DECISION_DELAY clocks after the pass's end
        self.dsr.d.next = (self.dsr.q.val() << 1) | bit_cast::<11, 1>(self.in_done.val().into());
        self.dec.next = 0.into();
        if self.kind.q.val() != 0 {
            if self.matched.q.val() {
                self.dec.next = 1.into();
            } else if self.complete.q.val() {
                self.dec.next = 2.into();
            }
        }
        self.o_valid.d.next = self.dsr.q.val().get_bit(10);
        self.o_dec.d.next = self.dec.val();
        if self.dsr.q.val().get_bit(10) {
            if self.dec.val() == 1 {
                self.n_fwd.d.next = self.n_fwd.q.val() + 1;
            } else if self.dec.val() == 2 {
                self.n_drop.d.next = self.n_drop.q.val() + 1;
            } else {
                self.n_pass.d.next = self.n_pass.q.val() + 1;
            }
            // the next frame starts over
            self.kind.d.next = 0.into();
            self.matched.d.next = false;
            self.complete.d.next = false;
            self.el_state.d.next = 0.into();
            self.sid_list.d.next = false;
            self.tlv_state.d.next = 0.into();
            self.oui_ok.d.next = false;
        }

        self.out_valid.next = self.o_valid.q.val();
        self.out_decision.next = self.o_dec.q.val();
        self.forwarded.next = self.n_fwd.q.val();
        self.dropped.next = self.n_drop.q.val();
        self.passed.next = self.n_pass.q.val();
    }
}
