//! The gateware SID filter's decisions (the bit-exact model `subgate_dsp::frontend::sid_match`
//! on the first 56 bytes of the PSDU, as the board sees them) against the software filter
//! (`SidFilter` on the SIDs `Carried::from_elements` finds) on frames made by this crate's
//! emitters: probe requests as the testbench's terminals send them, with and without an SSID
//! element, several SIDs, foreign vendor elements, no SID list; S1G beacons with every
//! combination of optional fields. The hardware may leave a frame to software (`Pass`) but
//! must never forward what software refuses or drop what software serves.

use std::collections::HashSet;
use subgate_control::station::{FilterResult, SidFilter, Unmatched};
use subgate_control::wire::m2m::carry::Carried;
use subgate_control::wire::m2m::{M2mElement, Sid, SidList};
use subgate_control::wire::mgmt::ProbeRequestRepr;
use subgate_control::wire::{
    s1g_beacon, with_fcs, ElementId, Frame, HeaderRepr, Ie, MacAddr, SeqCtrl,
};
use subgate_dsp::frontend::psdu_head::HEAD_BYTES;
use subgate_dsp::frontend::sid_match::{classify, Decision, SidTable, ENTRIES};
use subgate_dsp::rng::Rng;

fn pool() -> Vec<Sid> {
    [
        "service:metering",
        "service:meter",
        "service:metering-gas",
        "service:gas",
        "user:water-utility",
        "user:water",
        "server:10.0.0.7",
        "server:10.0.0.8",
        "server:2001:db8::7",
        "terminal:02:00:00:00:00:01",
        "server:mqtt://m2m.example:1883",
    ]
    .iter()
    .map(|s| s.parse().expect("a valid SID"))
    .collect()
}

/// A SID's TLV bytes as the wire carries them.
fn tlv(sid: &Sid) -> Vec<u8> {
    let mut b = vec![0u8; sid.buffer_len()];
    sid.emit_tlv(&mut b);
    b
}

fn sid_list(sids: Vec<Sid>) -> Ie {
    M2mElement::SidList(SidList { sids })
        .to_ie()
        .expect("a SID list fits an element")
}

fn header(sa: MacAddr) -> HeaderRepr {
    HeaderRepr {
        flags: 0,
        duration: 0,
        addr1: MacAddr::BROADCAST,
        addr2: sa,
        addr3: MacAddr::BROADCAST,
        seq_ctrl: SeqCtrl::new(7, 0),
    }
}

#[test]
fn gateware_sid_filter_never_contradicts_the_software_filter() {
    let pool = pool();
    let mut rng = Rng::new(17);
    let mut counts = [[0usize; 3]; 2]; // [software match, software refuse][pass, forward, drop]
    for round in 0..60 {
        // the gateway serves 1..=8 SIDs of the pool; the table holds them
        let n = 1 + rng.below(ENTRIES as u64) as usize;
        let served: Vec<Sid> = (0..n)
            .map(|_| pool[rng.below(pool.len() as u64) as usize].clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let filter = SidFilter::new(served.clone(), Vec::new(), Unmatched::Silent);
        let table = SidTable::new(&served.iter().map(tlv).collect::<Vec<_>>(), round as u8);
        for _ in 0..200 {
            let mut sa = [0u8; 6];
            rng.fill_bytes(&mut sa);
            sa[0] &= 0xFE;
            let sa = MacAddr(sa);
            let k = 1 + rng.below(3) as usize;
            let sids: Vec<Sid> = (0..k)
                .map(|_| pool[rng.below(pool.len() as u64) as usize].clone())
                .collect();
            let mut elements = Vec::new();
            if rng.below(2) == 0 {
                let len = rng.below(9) as usize;
                elements.push(Ie::new(ElementId::Ssid, vec![b's'; len]).expect("short SSID"));
            }
            if rng.below(6) == 0 {
                // a vendor element of someone else first
                let mut body = vec![0x00, 0x50, 0xF2, 4];
                body.extend(vec![1u8; rng.below(6) as usize]);
                elements.push(Ie::new(ElementId::VendorSpecific, body).expect("short element"));
            }
            if rng.below(8) != 0 {
                elements.push(sid_list(sids));
            }
            let frame = if rng.below(4) == 0 {
                let b = s1g_beacon::Repr {
                    duration: 0,
                    sa,
                    timestamp: rng.next_u64() as u32,
                    change_sequence: 3,
                    next_tbtt: (rng.below(2) == 0).then_some(1000),
                    compressed_ssid: (rng.below(2) == 0).then_some(0xDEAD_BEEF),
                    ano: (rng.below(2) == 0).then_some(1),
                    bss_bw: 0,
                    security: false,
                    ap_pm: false,
                    elements,
                };
                Frame::S1gBeacon(b)
            } else {
                Frame::ProbeRequest(ProbeRequestRepr {
                    header: header(sa),
                    elements,
                })
            };
            let psdu = with_fcs(&frame.to_bytes());
            let elements = match &frame {
                Frame::S1gBeacon(b) => &b.elements,
                Frame::ProbeRequest(p) => &p.elements,
                _ => unreachable!("only probes and beacons are made"),
            };
            let carried = Carried::from_elements(elements).expect("our own elements parse");
            let software_serves = matches!(filter.check(&carried.sids), FilterResult::Match(_));
            let hardware = classify(&psdu[..psdu.len().min(HEAD_BYTES)], &table);
            match (software_serves, hardware) {
                (true, Decision::Drop) => panic!("dropped a served frame: {psdu:02x?}"),
                (false, Decision::Forward) => panic!("forwarded a refused frame: {psdu:02x?}"),
                _ => {}
            }
            counts[usize::from(!software_serves)][hardware as usize] += 1;
        }
    }
    println!(
        "software serves: pass {}, forward {}, drop {}; software refuses: pass {}, forward {}, \
         drop {}",
        counts[0][0], counts[0][1], counts[0][2], counts[1][0], counts[1][1], counts[1][2]
    );
    // the filter decides most frames itself
    let decided = counts[0][1] + counts[1][2];
    let total: usize = counts.iter().flatten().sum();
    assert!(decided * 2 > total, "decided {decided} of {total}");
}
