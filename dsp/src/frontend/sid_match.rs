//! The SID filter's matcher: reads the PSDU head's bytes ([`super::psdu_head`]) as they come,
//! finds the SID list of a probe request or an S1G beacon, compares each SID with a table of
//! up to [`ENTRIES`] SIDs written over the control interface, and decides what the board does
//! with the burst. Bit for bit and clock for clock the rust-hdl block
//! `subgate_gateware::sid_match::SidMatch`.
//!
//! Frames (docs/protocol.md):
//! - probe request: first FC byte `0x40`; elements from byte 24;
//! - S1G beacon: first FC byte `0x1C`; elements from byte 15, plus 3, 4 and 1 when the second
//!   FC byte flags Next TBTT (bit 0), Compressed SSID (bit 1) and ANO (bit 2);
//! - the SID list: a vendor-specific element (id 221) whose body starts with the OUI
//!   `02 53 47` and element type 1, then SID TLVs (`type, length, value`).
//!
//! A SID matches a table entry when every byte of its TLV — type, length and value — equals
//! the entry's bytes from its start (so the lengths agree); entries are [`ENTRY_STRIDE`]
//! bytes apart in the table memory, so a TLV of more than `ENTRY_STRIDE − 2` value bytes
//! matches nothing. Only entries whose bit is set in the `valid` mask match.
//!
//! Decision, at the end of each pass of the PSDU head:
//! - [`Decision::Forward`]: a SID of the frame matched;
//! - [`Decision::Drop`]: no SID matched, and a SID-list element shorter than 255 bytes (so the
//!   only one: a longer list continues in a second element) ended inside the head;
//! - [`Decision::Pass`]: anything else — other frames, a probe without a SID list in the head
//!   (a wildcard or a list further on), a list cut by the end of the head: software decides.
//!
//! Timing: each byte is compared with the eight entries over the eight clocks after it
//! (bytes come at least [`BYTE_SPACING`] clocks apart); the decision is at the outputs
//! [`DECISION_DELAY`] clocks after the pass's end.

use super::psdu_head::HeadEvent;

/// Table entries.
pub const ENTRIES: usize = 8;
/// Bytes between entries in the table memory (entry `e` at `e · ENTRY_STRIDE`).
pub const ENTRY_STRIDE: usize = 128;
/// Clocks between the head's bytes, at least.
pub const BYTE_SPACING: u64 = 8;
/// Clocks from a pass's end to the decision.
pub const DECISION_DELAY: u64 = 11;

/// First FC byte of a probe request (management, subtype 4).
pub const FC_PROBE_REQUEST: u8 = 0x40;
/// First FC byte of an S1G beacon (extension, subtype 1).
pub const FC_S1G_BEACON: u8 = 0x1C;
/// Where a probe request's elements start.
pub const PROBE_ELEMENTS: usize = 24;
/// Where an S1G beacon's elements start without optional fields.
pub const BEACON_ELEMENTS: usize = 15;
/// subgate's OUI (docs/protocol.md §1.1).
pub const OUI: [u8; 3] = [0x02, 0x53, 0x47];
/// Vendor-specific element id.
pub const VENDOR_ELEMENT: u8 = 221;
/// Our element type of the SID list.
pub const SID_LIST_TYPE: u8 = 1;

/// What the board does with a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Not for the filter to decide: software receives it.
    Pass = 0,
    /// A SID matched: send it.
    Forward = 1,
    /// No SID matched: drop it.
    Drop = 2,
}

/// The SID table as the block holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidTable {
    /// Entry bytes (the TLV from its type byte), `ENTRY_STRIDE` per entry.
    pub bytes: Vec<u8>,
    /// Bit `e` set: entry `e` is in use.
    pub valid: u8,
}

impl SidTable {
    /// A table holding `tlvs` (whole SID TLVs, each at most `ENTRY_STRIDE` bytes) in entries
    /// 0.., the others unused (and filled with `junk`, which must not matter).
    ///
    /// # Panics
    /// With more than [`ENTRIES`] TLVs or one longer than [`ENTRY_STRIDE`].
    pub fn new(tlvs: &[Vec<u8>], junk: u8) -> SidTable {
        assert!(tlvs.len() <= ENTRIES);
        let mut bytes = vec![junk; ENTRIES * ENTRY_STRIDE];
        let mut valid = 0u8;
        for (e, t) in tlvs.iter().enumerate() {
            assert!(t.len() <= ENTRY_STRIDE);
            bytes[e * ENTRY_STRIDE..e * ENTRY_STRIDE + t.len()].copy_from_slice(t);
            valid |= 1 << e;
        }
        SidTable { bytes, valid }
    }

    /// Whether TLV byte `k` equals entry `e`'s.
    fn eq(&self, e: usize, k: usize, b: u8) -> bool {
        k < ENTRY_STRIDE && self.bytes[e * ENTRY_STRIDE + k] == b
    }
}

/// The byte-serial parser and matcher (one frame at a time; see the module documentation).
#[derive(Debug, Clone)]
pub struct Matcher {
    kind: u8, // 0 other or none yet, 1 probe, 2 beacon
    next_element: usize,
    // element: 0 expect id, 1 expect length, 2 body
    el_state: u8,
    el_id: u8,
    el_len: usize,
    body_pos: usize,
    oui_ok: bool,
    sid_list: bool,
    // SID TLV: 0 expect type, 1 expect length, 2 value
    tlv_state: u8,
    tlv_pos: usize,
    tlv_left: usize,
    entry_match: u8,
    matched: bool,
    complete: bool,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::new()
    }
}

impl Matcher {
    /// A matcher before a frame's first byte.
    pub fn new() -> Matcher {
        Matcher {
            kind: 0,
            next_element: 0,
            el_state: 0,
            el_id: 0,
            el_len: 0,
            body_pos: 0,
            oui_ok: false,
            sid_list: false,
            tlv_state: 0,
            tlv_pos: 0,
            tlv_left: 0,
            entry_match: 0,
            matched: false,
            complete: false,
        }
    }

    /// Byte `index` of the PSDU.
    pub fn byte(&mut self, index: usize, b: u8, table: &SidTable) {
        if index == 0 {
            self.kind = match b {
                FC_PROBE_REQUEST => 1,
                FC_S1G_BEACON => 2,
                _ => 0,
            };
            self.next_element = PROBE_ELEMENTS;
            return;
        }
        if index == 1 {
            if self.kind == 2 {
                self.next_element = BEACON_ELEMENTS
                    + 3 * usize::from(b & 1)
                    + 4 * usize::from((b >> 1) & 1)
                    + usize::from((b >> 2) & 1);
            }
            return;
        }
        // before the elements, or (between elements) before the next one: a byte to skip
        if self.kind == 0 || (self.el_state == 0 && index < self.next_element) {
            return;
        }
        match self.el_state {
            0 => {
                self.el_id = b;
                self.el_state = 1;
            }
            1 => {
                self.el_len = usize::from(b);
                self.next_element = index + 1 + self.el_len;
                self.body_pos = 0;
                self.el_state = if b == 0 { 0 } else { 2 };
            }
            _ => {
                let k = self.body_pos;
                if self.el_id == VENDOR_ELEMENT {
                    match k {
                        0..=2 => {
                            let ok = b == OUI[k];
                            self.oui_ok = if k == 0 { ok } else { self.oui_ok && ok };
                        }
                        3 => {
                            if self.oui_ok && b == SID_LIST_TYPE {
                                self.sid_list = true;
                                self.tlv_state = 0;
                            }
                        }
                        _ => {
                            if self.sid_list {
                                self.tlv_byte(b, table);
                            }
                        }
                    }
                }
                self.body_pos += 1;
                if index + 1 == self.next_element {
                    // the element's last byte
                    if self.sid_list && self.el_len < 255 {
                        self.complete = true;
                    }
                    self.sid_list = false;
                    self.el_state = 0;
                }
            }
        }
    }

    fn tlv_byte(&mut self, b: u8, table: &SidTable) {
        let k = match self.tlv_state {
            0 => 0,
            1 => 1,
            _ => self.tlv_pos,
        };
        let mut eq = 0u8;
        for e in 0..ENTRIES {
            if table.eq(e, k, b) {
                eq |= 1 << e;
            }
        }
        self.entry_match = if k == 0 { eq } else { self.entry_match & eq };
        let last = match self.tlv_state {
            0 => {
                self.tlv_state = 1;
                false
            }
            1 => {
                self.tlv_left = usize::from(b);
                self.tlv_pos = 2;
                if b == 0 {
                    self.tlv_state = 0;
                    true
                } else {
                    self.tlv_state = 2;
                    false
                }
            }
            _ => {
                self.tlv_pos += 1;
                self.tlv_left -= 1;
                if self.tlv_left == 0 {
                    self.tlv_state = 0;
                    true
                } else {
                    false
                }
            }
        };
        if last && self.entry_match & table.valid != 0 {
            self.matched = true;
        }
    }

    /// The decision on the bytes so far; the matcher starts over for the next frame.
    pub fn decide(&mut self) -> Decision {
        let d = if self.kind == 0 {
            Decision::Pass
        } else if self.matched {
            Decision::Forward
        } else if self.complete {
            Decision::Drop
        } else {
            Decision::Pass
        };
        *self = Matcher::new();
        d
    }
}

/// The decision on a whole head (the PSDU's first bytes).
pub fn classify(head: &[u8], table: &SidTable) -> Decision {
    let mut m = Matcher::new();
    for (i, &b) in head.iter().enumerate() {
        m.byte(i, b, table);
    }
    m.decide()
}

/// The decisions the block gives for the head's events, with their clocks.
pub fn expected(events: &[HeadEvent], table: &SidTable) -> Vec<(u64, Decision)> {
    let mut m = Matcher::new();
    let mut out = Vec::new();
    for ev in events {
        match *ev {
            HeadEvent::Byte { index, byte, .. } => m.byte(usize::from(index), byte, table),
            HeadEvent::Done { clock, .. } => out.push((clock + DECISION_DELAY, m.decide())),
        }
    }
    out
}

/// A SID TLV.
pub fn tlv(kind: u8, value: &[u8]) -> Vec<u8> {
    let mut t = vec![kind, value.len() as u8];
    t.extend_from_slice(value);
    t
}

/// A SID-list element holding `tlvs`.
pub fn sid_list_element(tlvs: &[Vec<u8>]) -> Vec<u8> {
    let body: usize = 4 + tlvs.iter().map(Vec::len).sum::<usize>();
    let mut e = vec![VENDOR_ELEMENT, body as u8];
    e.extend_from_slice(&OUI);
    e.push(SID_LIST_TYPE);
    for t in tlvs {
        e.extend_from_slice(t);
    }
    e
}

/// A probe request (header of 24 bytes, the SA `sa`) with `elements` after it.
pub fn probe_request(sa: [u8; 6], elements: &[Vec<u8>]) -> Vec<u8> {
    let mut f = vec![FC_PROBE_REQUEST, 0, 0, 0];
    f.extend_from_slice(&[0xFF; 6]);
    f.extend_from_slice(&sa);
    f.extend_from_slice(&[0xFF; 6]);
    f.extend_from_slice(&[0x10, 0x00]);
    for e in elements {
        f.extend_from_slice(e);
    }
    f
}

/// An S1G beacon with the optional fields `flags` (bits 0–2) and `elements`.
pub fn s1g_beacon(flags: u8, sa: [u8; 6], elements: &[Vec<u8>]) -> Vec<u8> {
    let mut f = vec![FC_S1G_BEACON, flags, 0, 0];
    f.extend_from_slice(&sa);
    f.extend_from_slice(&[1, 2, 3, 4, 7]);
    if flags & 1 != 0 {
        f.extend_from_slice(&[9, 9, 9]);
    }
    if flags & 2 != 0 {
        f.extend_from_slice(&[8, 8, 8, 8]);
    }
    if flags & 4 != 0 {
        f.push(6);
    }
    for e in elements {
        f.extend_from_slice(e);
    }
    f
}

/// A pool of SIDs for tests: service types, user ids, server addresses and terminal ids,
/// some sharing prefixes (so partial matches happen).
pub fn sid_pool() -> Vec<Vec<u8>> {
    vec![
        tlv(6, b"metering"),
        tlv(6, b"meter"),
        tlv(6, b"metering2"),
        tlv(1, b"water-utility"),
        tlv(1, b"water"),
        tlv(2, &[10, 0, 0, 7]),
        tlv(2, &[10, 0, 0, 8]),
        tlv(5, &[2, 0, 0, 0, 0, 1]),
        tlv(4, b"mqtt://m2m.example:1883"),
        tlv(6, b"gas"),
        tlv(9, b""),
        tlv(6, &[b'x'; 40]),
    ]
}

/// Random frames for the matcher: probe requests and beacons carrying SID lists from
/// [`sid_pool`] (1–3 SIDs, after an SSID element of 0–6 bytes; beacons with random optional
/// fields and a few other elements first), probes without a SID list, a SID list of another
/// OUI or type, frames of other kinds, lists running past the head. Returns the frames.
pub fn frames(count: usize, rng: &mut crate::rng::Rng) -> Vec<Vec<u8>> {
    let pool = sid_pool();
    let mut out = Vec::new();
    for _ in 0..count {
        let mut sa = [0u8; 6];
        rng.fill_bytes(&mut sa);
        let pick = |rng: &mut crate::rng::Rng| {
            let n = 1 + rng.below(3) as usize;
            (0..n)
                .map(|_| pool[rng.below(pool.len() as u64) as usize].clone())
                .collect::<Vec<_>>()
        };
        let ssid_len = rng.below(7) as usize;
        let mut ssid = vec![0u8, ssid_len as u8];
        ssid.extend((0..ssid_len).map(|k| b'a' + k as u8));
        let f = match rng.below(10) {
            0..=3 => probe_request(sa, &[ssid, sid_list_element(&pick(rng))]),
            4..=5 => {
                let flags = rng.below(8) as u8 | 0x40;
                let other = vec![0xD5, 3, 1, 2, 3];
                s1g_beacon(flags, sa, &[other, sid_list_element(&pick(rng))])
            }
            6 => probe_request(sa, &[ssid]),
            7 => {
                // a vendor element of another OUI, or ours of another type, then ours
                let mut foreign = sid_list_element(&pick(rng));
                if rng.below(2) == 0 {
                    foreign[2] = 0x00;
                } else {
                    foreign[5] = 3;
                }
                let mut els = vec![foreign];
                if rng.below(2) == 0 {
                    els.push(sid_list_element(&pick(rng)));
                }
                probe_request(sa, &els)
            }
            8 => {
                // another kind of frame (a data frame, an authentication)
                let mut f = probe_request(sa, &[ssid, sid_list_element(&pick(rng))]);
                f[0] = if rng.below(2) == 0 { 0x08 } else { 0xB0 };
                f
            }
            _ => {
                // a list that runs past the head
                let long: Vec<Vec<u8>> = (0..4).map(|_| tlv(1, &[b'y'; 20])).collect();
                probe_request(sa, &[ssid, sid_list_element(&long)])
            }
        };
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::psdu_head::HEAD_BYTES;

    /// An independent reading of the rules over the whole head: element walk with slices.
    fn reference(head: &[u8], table: &SidTable, tlvs: &[Vec<u8>]) -> Decision {
        let start = match head.first() {
            Some(&FC_PROBE_REQUEST) => PROBE_ELEMENTS,
            Some(&FC_S1G_BEACON) if head.len() > 1 => {
                let f = head[1];
                BEACON_ELEMENTS
                    + 3 * (f & 1) as usize
                    + 4 * ((f >> 1) & 1) as usize
                    + ((f >> 2) & 1) as usize
            }
            Some(&FC_S1G_BEACON) => return Decision::Pass,
            _ => return Decision::Pass,
        };
        let valid: Vec<&Vec<u8>> = tlvs
            .iter()
            .enumerate()
            .filter(|(e, _)| table.valid & (1 << e) != 0)
            .map(|(_, t)| t)
            .collect();
        let (mut matched, mut complete) = (false, false);
        let mut at = start;
        while at + 1 < head.len() {
            let (id, len) = (head[at], head[at + 1] as usize);
            let body = &head[(at + 2).min(head.len())..(at + 2 + len).min(head.len())];
            if id == VENDOR_ELEMENT && body.len() >= 4 && body[..3] == OUI && body[3] == 1 {
                let mut p = 4;
                while p < body.len() {
                    let tl = body.get(p + 1).map_or(usize::MAX, |&l| 2 + l as usize);
                    if tl != usize::MAX
                        && p + tl <= body.len()
                        && valid.iter().any(|t| t[..] == body[p..p + tl])
                    {
                        matched = true;
                    }
                    if tl == usize::MAX {
                        break;
                    }
                    p += tl;
                }
                if at + 2 + len <= head.len() && len < 255 {
                    complete = true;
                }
            }
            at += 2 + len;
        }
        if matched {
            Decision::Forward
        } else if complete {
            Decision::Drop
        } else {
            Decision::Pass
        }
    }

    #[test]
    fn agrees_with_a_slice_reading_of_the_rules() {
        let mut rng = crate::rng::Rng::new(12);
        let pool = sid_pool();
        let mut counts = [0usize; 3];
        for round in 0..40 {
            // a table of 0–8 SIDs from the pool, some entries unused
            let n = rng.below(9) as usize;
            let tlvs: Vec<Vec<u8>> = (0..n)
                .map(|_| pool[rng.below(pool.len() as u64) as usize].clone())
                .collect();
            let mut table = SidTable::new(&tlvs, round as u8);
            table.valid &= rng.next_u64() as u8 | 0x0F;
            for f in frames(200, &mut rng) {
                let head = &f[..f.len().min(HEAD_BYTES)];
                let d = classify(head, &table);
                assert_eq!(d, reference(head, &table, &tlvs), "frame {f:02x?}");
                counts[d as usize] += 1;
            }
        }
        println!(
            "pass {}, forward {}, drop {}",
            counts[0], counts[1], counts[2]
        );
        assert!(counts.iter().all(|&c| c > 300), "{counts:?}");
    }

    /// The three models in a row — decoder, PSDU head, matcher — on whole data fields give
    /// each frame the decision of its head, at the clock the head's pass ends plus the delay.
    #[test]
    fn the_chain_of_models_decides_as_the_head_does() {
        use crate::frontend::psdu_head::{self, data_field_pairs, HEAD_BITS};
        use crate::frontend::viterbi::{self, block_inputs, MAX_STEPS};
        let mut rng = crate::rng::Rng::new(31);
        let table = SidTable::new(&[tlv(6, b"metering"), tlv(2, &[10, 0, 0, 7])], 0x55);
        let fs = frames(120, &mut rng);
        let mut stim = Vec::new();
        let mut wait = 0u32;
        for f in &fs {
            let pairs = data_field_pairs(f, 1 + rng.below(127) as u8, 12);
            let n = pairs.len().min(MAX_STEPS);
            wait =
                block_inputs(&pairs[..n], n < MAX_STEPS, wait, || 0, &mut stim) + HEAD_BITS as u32;
        }
        let (bits, overrun) = viterbi::expected(&stim);
        assert!(!overrun);
        let (events, overrun) = psdu_head::expected(&bits);
        assert!(!overrun);
        let got = expected(&events, &table);
        assert_eq!(got.len(), fs.len());
        let mut counts = [0usize; 3];
        for (f, &(_, d)) in fs.iter().zip(&got) {
            assert_eq!(
                d,
                classify(&f[..f.len().min(HEAD_BYTES)], &table),
                "{f:02x?}"
            );
            counts[d as usize] += 1;
        }
        println!(
            "chain: {} frames, pass {}, forward {}, drop {}",
            fs.len(),
            counts[0],
            counts[1],
            counts[2]
        );
        assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    }

    #[test]
    fn matches_whole_tlvs_only() {
        let table = SidTable::new(&[tlv(6, b"metering")], 0);
        let probe = |sids: &[Vec<u8>]| probe_request([2; 6], &[vec![0, 0], sid_list_element(sids)]);
        let head = |f: Vec<u8>| f[..f.len().min(HEAD_BYTES)].to_vec();
        assert_eq!(
            classify(&head(probe(&[tlv(6, b"metering")])), &table),
            Decision::Forward
        );
        assert_eq!(
            classify(&head(probe(&[tlv(6, b"meter")])), &table),
            Decision::Drop
        );
        assert_eq!(
            classify(&head(probe(&[tlv(6, b"metering2")])), &table),
            Decision::Drop
        );
        assert_eq!(
            classify(&head(probe(&[tlv(1, b"metering")])), &table),
            Decision::Drop
        );
        assert_eq!(
            classify(&head(probe(&[tlv(6, b"gas"), tlv(6, b"metering")])), &table),
            Decision::Forward
        );
        // no SID list: a wildcard, software decides
        assert_eq!(
            classify(&head(probe_request([2; 6], &[vec![0, 0]])), &table),
            Decision::Pass
        );
        // an unused entry matches nothing
        let mut off = table.clone();
        off.valid = 0;
        assert_eq!(
            classify(&head(probe(&[tlv(6, b"metering")])), &off),
            Decision::Drop
        );
        // a beacon with every optional field
        let b = s1g_beacon(7, [3; 6], &[sid_list_element(&[tlv(6, b"metering")])]);
        assert_eq!(classify(&head(b), &table), Decision::Forward);
    }
}
