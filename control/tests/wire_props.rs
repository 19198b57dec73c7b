//! Property tests for every wire parser (arbitrary bytes never panic; `parse(emit(r)) == r`
//! for generated values; `emit(parse(x)) == x` for bytes that parse) and a tshark check of a
//! pcap holding one frame of each type.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use subgate_control::wire::mac::{fc_flags, Header, HeaderRepr, SeqCtrl};
use subgate_control::wire::s1g_beacon::{self, TimRepr};
use subgate_control::wire::{
    ack, data, eapol, mac, mgmt, strip_fcs, with_fcs, ElementId, Elements, Frame, Ie, MacAddr,
};

fn addr() -> impl Strategy<Value = MacAddr> {
    any::<[u8; 6]>().prop_map(MacAddr)
}

fn header(flags: impl Strategy<Value = u8>) -> impl Strategy<Value = HeaderRepr> {
    (flags, any::<u16>(), addr(), addr(), addr(), any::<u16>()).prop_map(
        |(flags, duration, addr1, addr2, addr3, sc)| HeaderRepr {
            flags,
            duration,
            addr1,
            addr2,
            addr3,
            seq_ctrl: SeqCtrl(sc),
        },
    )
}

fn ie() -> impl Strategy<Value = Ie> {
    (any::<u8>(), vec(any::<u8>(), 0..40))
        .prop_map(|(id, body)| Ie::new(ElementId::from(id), body).expect("body under 256"))
}

fn ies() -> impl Strategy<Value = Vec<Ie>> {
    vec(ie(), 0..5)
}

fn s1g_beacon() -> impl Strategy<Value = Frame> {
    (
        (any::<u16>(), addr(), any::<u32>(), any::<u8>()),
        (
            option::of(0..=s1g_beacon::NEXT_TBTT_MAX),
            option::of(any::<u32>()),
            option::of(any::<u8>()),
        ),
        (0u8..8, any::<bool>(), any::<bool>()),
        ies(),
    )
        .prop_map(
            |((duration, sa, timestamp, change_sequence), (nt, cs, ano), (bw, sec, pm), el)| {
                Frame::S1gBeacon(s1g_beacon::Repr {
                    duration,
                    sa,
                    timestamp,
                    change_sequence,
                    next_tbtt: nt,
                    compressed_ssid: cs,
                    ano,
                    bss_bw: bw,
                    security: sec,
                    ap_pm: pm,
                    elements: el,
                })
            },
        )
}

fn mgmt_frame() -> impl Strategy<Value = Frame> {
    let h = || header(any::<u8>());
    prop_oneof![
        (h(), ies()).prop_map(
            |(header, elements)| Frame::ProbeRequest(mgmt::ProbeRequestRepr { header, elements })
        ),
        (h(), any::<u64>(), any::<u16>(), any::<u16>(), ies()).prop_map(
            |(header, timestamp, beacon_interval, capability, elements)| Frame::ProbeResponse(
                mgmt::ProbeResponseRepr {
                    header,
                    timestamp,
                    beacon_interval,
                    capability,
                    elements
                }
            )
        ),
        (h(), any::<u16>(), any::<u16>(), any::<u16>(), ies()).prop_map(
            |(header, a, s, st, elements)| Frame::Authentication(mgmt::AuthenticationRepr {
                header,
                algorithm: a.into(),
                transaction_seq: s,
                status: st.into(),
                elements
            })
        ),
        (h(), any::<u16>(), any::<u16>(), ies()).prop_map(
            |(header, capability, listen_interval, elements)| Frame::AssociationRequest(
                mgmt::AssociationRequestRepr {
                    header,
                    capability,
                    listen_interval,
                    elements
                }
            )
        ),
        (h(), any::<u16>(), any::<u16>(), ies()).prop_map(|(header, capability, st, elements)| {
            Frame::AssociationResponse(mgmt::AssociationResponseRepr {
                header,
                capability,
                status: st.into(),
                elements,
            })
        }),
        (h(), any::<u8>(), vec(any::<u8>(), 0..60)).prop_map(|(header, c, body)| {
            Frame::Action(mgmt::ActionRepr {
                header,
                category: c.into(),
                body,
            })
        }),
        (h(), any::<u16>(), ies()).prop_map(|(header, r, elements)| Frame::Deauthentication(
            mgmt::DeauthenticationRepr {
                header,
                reason: r.into(),
                elements
            }
        )),
        (h(), any::<u16>(), ies()).prop_map(|(header, r, elements)| Frame::Disassociation(
            mgmt::DisassociationRepr {
                header,
                reason: r.into(),
                elements
            }
        )),
    ]
}

fn data_frame() -> impl Strategy<Value = Frame> {
    (
        header(any::<u8>()),
        option::of(any::<u16>()),
        any::<bool>(),
        vec(any::<u8>(), 0..80),
    )
        .prop_map(|(mut header, qos, null, body)| {
            if header.flags & fc_flags::TO_DS != 0 {
                header.flags &= !fc_flags::FROM_DS;
            }
            if qos.is_some() {
                header.flags &= !fc_flags::ORDER;
            }
            Frame::Data(data::Repr {
                header,
                qos,
                null,
                body: if null { vec![] } else { body },
            })
        })
}

fn ack_frame() -> impl Strategy<Value = Frame> {
    (any::<u8>(), any::<u16>(), addr()).prop_map(|(flags, duration, ra)| {
        Frame::Ack(ack::Repr {
            flags,
            duration,
            ra,
        })
    })
}

fn any_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![s1g_beacon(), mgmt_frame(), data_frame(), ack_frame()]
}

fn eapol_repr() -> impl Strategy<Value = eapol::Repr> {
    let key = (
        (any::<u8>(), any::<u16>(), any::<u16>(), any::<u64>()),
        (any::<[u8; 32]>(), any::<[u8; 16]>(), any::<[u8; 8]>()),
        (any::<[u8; 8]>(), any::<[u8; 16]>(), vec(any::<u8>(), 0..64)),
    )
        .prop_map(
            |((d, ki, kl, rc), (nonce, iv, rsc), (key_id, mic, key_data))| {
                eapol::Body::Key(eapol::KeyRepr {
                    descriptor_type: d.into(),
                    key_info: eapol::KeyInfo(ki),
                    key_length: kl,
                    replay_counter: rc,
                    nonce,
                    iv,
                    rsc,
                    key_id,
                    mic,
                    key_data,
                })
            },
        );
    let other = (
        any::<u8>().prop_filter("not Key", |t| *t != 3),
        vec(any::<u8>(), 0..40),
    )
        .prop_map(|(t, body)| eapol::Body::Other {
            packet_type: t.into(),
            body,
        });
    (any::<u8>(), prop_oneof![key, other]).prop_map(|(version, body)| eapol::Repr { version, body })
}

/// Feeds `b` to every parser; checks `emit(parse(x)) == x` wherever one accepts it.
fn every_parser(b: &[u8]) {
    if let Ok(f) = Frame::parse(b) {
        assert_eq!(f.buffer_len(), b.len());
        assert_eq!(f.to_bytes(), b);
    }
    let _ = strip_fcs(b);
    let _ = mac::FrameControl::read(b);
    if let Ok(h) = Header::new_checked(b) {
        let _ = HeaderRepr::parse(&h);
    }
    if let Ok(p) = s1g_beacon::Packet::new_checked(b) {
        let _ = (p.next_tbtt(), p.compressed_ssid(), p.ano(), p.elements());
        if let Ok(r) = s1g_beacon::Repr::parse(&p) {
            let mut out = vec![0xA5; r.buffer_len()];
            r.emit(&mut s1g_beacon::Packet::new_unchecked(&mut out[..]));
            assert_eq!(out, b);
        }
    }
    if let Ok(p) = mgmt::Packet::new_checked(b) {
        let _ = mgmt::ProbeRequestRepr::parse(&p);
        let _ = mgmt::ProbeResponseRepr::parse(&p);
        let _ = mgmt::AuthenticationRepr::parse(&p);
        let _ = mgmt::AssociationRequestRepr::parse(&p);
        let _ = mgmt::AssociationResponseRepr::parse(&p);
        let _ = mgmt::ActionRepr::parse(&p);
        let _ = mgmt::DeauthenticationRepr::parse(&p);
        let _ = mgmt::DisassociationRepr::parse(&p);
    }
    let _ = mgmt::AidResponse::parse(b);
    if let Ok(p) = data::Packet::new_checked(b) {
        let _ = (p.qos_control(), p.body());
        let _ = data::Repr::parse(&p);
    }
    if let Ok(p) = ack::Packet::new_checked(b) {
        let _ = ack::Repr::parse(&p);
    }
    if let Ok(p) = eapol::Packet::new_checked(b) {
        if let Ok(r) = eapol::Repr::parse(&p) {
            let mut out = vec![0xA5; r.buffer_len()];
            r.emit(&mut eapol::Packet::new_unchecked(&mut out[..]));
            assert_eq!(out, b);
        }
    }
    let _ = eapol::Repr::parse_llc(b);
    for e in Elements::new(b) {
        let _ = e;
    }
    let _ = Elements::check(b);
    if let Ok(t) = TimRepr::parse(b) {
        let _ = t.aids();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(b in vec(any::<u8>(), 0..300)) {
        every_parser(&b);
    }

    #[test]
    fn arbitrary_bytes_behind_a_real_fc_never_panic(
        fc in prop::sample::select(vec![
            0x1Cu8, 0x40, 0x50, 0xB0, 0x00, 0x10, 0xD0, 0xC0, 0xA0, 0x08, 0x88, 0x48, 0xC8, 0xD4,
        ]),
        flags in any::<u8>(),
        rest in vec(any::<u8>(), 0..200),
    ) {
        let mut b = vec![fc, flags];
        b.extend_from_slice(&rest);
        every_parser(&b);
        let mut e = eapol::LLC_SNAP_EAPOL.to_vec();
        e.extend_from_slice(&rest);
        every_parser(&e);
    }

    #[test]
    fn frames_round_trip(f in any_frame()) {
        let bytes = f.to_bytes();
        prop_assert_eq!(bytes.len(), f.buffer_len());
        prop_assert_eq!(Frame::parse(&bytes), Ok(f.clone()));
        let psdu = with_fcs(&bytes);
        prop_assert_eq!(strip_fcs(&psdu), Ok(&bytes[..]));
    }

    #[test]
    fn mutated_frames_never_panic_and_reemit(
        f in any_frame(), at in any::<prop::sample::Index>(), v in any::<u8>(), cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = f.to_bytes();
        let i = at.index(bytes.len());
        bytes[i] = v;
        every_parser(&bytes);
        bytes.truncate(cut.index(bytes.len() + 1));
        every_parser(&bytes);
    }

    #[test]
    fn eapol_round_trip(r in eapol_repr()) {
        let b = r.to_llc_bytes();
        prop_assert_eq!(eapol::Repr::parse_llc(&b), Ok(r));
    }

    #[test]
    fn tim_aids_round_trip(
        page in 0u16..4,
        offsets in prop::collection::btree_set(0u16..2048, 0..24),
        group in any::<bool>(),
    ) {
        let aids: Vec<u16> = offsets.iter().map(|o| page * 2048 + o).filter(|&a| a != 0).collect();
        let t = TimRepr::from_aids(0, 3, group, &aids).expect("24 AIDs fit");
        prop_assert_eq!(t.aids(), Ok(aids));
        let ie = t.to_ie().expect("fits");
        prop_assert_eq!(TimRepr::parse(ie.body()), Ok(t));
    }
}

// ---- tshark -----------------------------------------------------------------------------

mod common;

fn exchange() -> Vec<Frame> {
    let ap = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
    let sta = MacAddr([0x02, 0, 0, 0, 0x10, 0x0A]);
    let ssid = Ie::new(ElementId::Ssid, b"subgate".to_vec()).expect("short");
    let rates = Ie::new(ElementId::Unknown(1), vec![0x82, 0x84]).expect("short");
    let hdr = |to: MacAddr, from: MacAddr, seq: u16| HeaderRepr {
        flags: 0,
        duration: 0,
        addr1: to,
        addr2: from,
        addr3: ap,
        seq_ctrl: SeqCtrl::new(seq, 0),
    };
    let tim = TimRepr::from_aids(0, 1, false, &[1, 5, 70])
        .and_then(|t| t.to_ie())
        .expect("fits");
    let mut key_data = vec![0xDD, 0x14, 0x00, 0x0F, 0xAC, 0x04];
    key_data.extend_from_slice(&[0x22; 16]);
    let msg1 = eapol::Repr {
        version: 2,
        body: eapol::Body::Key(eapol::KeyRepr {
            descriptor_type: eapol::DescriptorType::Rsn,
            key_info: eapol::KeyInfo(2 | eapol::KeyInfo::PAIRWISE | eapol::KeyInfo::ACK),
            key_length: 16,
            replay_counter: 1,
            nonce: [0x11; 32],
            iv: [0; 16],
            rsc: [0; 8],
            key_id: [0; 8],
            mic: [0; 16],
            key_data,
        }),
    };
    vec![
        Frame::S1gBeacon(s1g_beacon::Repr {
            duration: 0,
            sa: ap,
            timestamp: 0x1234_5678,
            change_sequence: 1,
            next_tbtt: None,
            compressed_ssid: None,
            ano: None,
            bss_bw: 0,
            security: false,
            ap_pm: false,
            elements: vec![tim, ssid.clone()],
        }),
        Frame::ProbeRequest(mgmt::ProbeRequestRepr {
            header: HeaderRepr {
                addr3: MacAddr::BROADCAST,
                ..hdr(MacAddr::BROADCAST, sta, 1)
            },
            elements: vec![ssid.clone(), rates.clone()],
        }),
        Frame::ProbeResponse(mgmt::ProbeResponseRepr {
            header: hdr(sta, ap, 1),
            timestamp: 0x1234_5678,
            beacon_interval: 100,
            capability: mgmt::capability::ESS,
            elements: vec![ssid.clone(), rates.clone()],
        }),
        Frame::Authentication(mgmt::AuthenticationRepr {
            header: hdr(ap, sta, 2),
            algorithm: mgmt::AuthAlgorithm::OpenSystem,
            transaction_seq: 1,
            status: mgmt::StatusCode::Success,
            elements: vec![],
        }),
        Frame::Ack(ack::Repr {
            flags: 0,
            duration: 0,
            ra: sta,
        }),
        Frame::Authentication(mgmt::AuthenticationRepr {
            header: hdr(sta, ap, 2),
            algorithm: mgmt::AuthAlgorithm::OpenSystem,
            transaction_seq: 2,
            status: mgmt::StatusCode::Success,
            elements: vec![],
        }),
        Frame::AssociationRequest(mgmt::AssociationRequestRepr {
            header: hdr(ap, sta, 3),
            capability: 0,
            listen_interval: 10,
            elements: vec![ssid, rates.clone()],
        }),
        Frame::AssociationResponse(mgmt::AssociationResponseRepr {
            header: hdr(sta, ap, 3),
            capability: mgmt::capability::ESS,
            status: mgmt::StatusCode::Success,
            elements: vec![
                mgmt::AidResponse {
                    aid: 1,
                    switch_count: 0,
                    response_interval: 0,
                }
                .to_ie(),
                rates,
            ],
        }),
        Frame::Data(data::Repr {
            header: HeaderRepr {
                flags: fc_flags::FROM_DS,
                ..hdr(sta, ap, 4)
            },
            qos: Some(7),
            null: false,
            body: msg1.to_llc_bytes(),
        }),
        Frame::Action(mgmt::ActionRepr {
            header: hdr(ap, sta, 5),
            category: mgmt::ActionCategory::VendorSpecific,
            body: vec![0x02, 0x53, 0x47, 0x01, 0x00],
        }),
        Frame::Disassociation(mgmt::DisassociationRepr {
            header: hdr(ap, sta, 6),
            reason: mgmt::ReasonCode::StaHasLeft,
            elements: vec![],
        }),
        Frame::Deauthentication(mgmt::DeauthenticationRepr {
            header: hdr(sta, ap, 7),
            reason: mgmt::ReasonCode::Leaving,
            elements: vec![],
        }),
    ]
}

#[test]
fn tshark_reads_every_frame_type() {
    let frames = exchange();
    for f in &frames {
        assert_eq!(Frame::parse(&f.to_bytes()).as_ref(), Ok(f));
    }
    let psdus: Vec<Vec<u8>> = frames.iter().map(|f| with_fcs(&f.to_bytes())).collect();
    let Some(text) = common::tshark_clean(&psdus) else {
        return;
    };
    for want in [
        "Type/Subtype: S1G Beacon",
        "Type/Subtype: Probe Request",
        "Type/Subtype: Probe Response",
        "Type/Subtype: Authentication",
        "Type/Subtype: Association Request",
        "Type/Subtype: Association Response",
        "Type/Subtype: Action",
        "Type/Subtype: QoS Data",
        "Type/Subtype: Acknowledgement",
        "Type/Subtype: Disassociate",
        "Type/Subtype: Deauthentication",
        "Key Descriptor Type: EAPOL RSN Key",
        "Frame check sequence:",
        "Partial Virtual Bitmap",
    ] {
        assert!(text.contains(want), "tshark output lacks {want:?}\n{text}");
    }
    assert_eq!(text.matches("[correct]").count(), frames.len(), "{text}");
}
