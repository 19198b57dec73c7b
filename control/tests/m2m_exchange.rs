//! A whole M2M exchange as it goes on air — beacon advertising SIDs and a report
//! indication, probe with SID, probe response, authentication, association request with SID
//! and registration indication, association response with AID, service information and
//! service time, resource request/response, poll, MAC-layer report and report ack — built
//! from our `Repr`s, parsed back element by element, and opened in tshark with no
//! malformed-packet marks.

mod common;

use subgate_control::wire::m2m::{
    AckStatus, DataFormat, M2mAction, M2mElement, RegistrationPath, RegistrationRepr,
    ReportAckRepr, ReportIndicationRepr, ReportPollRepr, ReportRepr, ResourceRequestRepr,
    ResourceResponseRepr, ResourceResult, ServiceInfoRepr, ServiceTimeRepr, Sid, SidList,
    TimeWindow, SUBGATE_OUI,
};
use subgate_control::wire::mac::{HeaderRepr, SeqCtrl};
use subgate_control::wire::s1g_beacon::{self, TimRepr};
use subgate_control::wire::{mgmt, with_fcs, ElementId, Elements, Frame, Ie, MacAddr};

const AP: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
const METER: MacAddr = MacAddr([0x02, 0, 0, 0, 0x10, 0x0A]);

fn hdr(to: MacAddr, from: MacAddr, seq: u16) -> HeaderRepr {
    HeaderRepr {
        flags: 0,
        duration: 0,
        addr1: to,
        addr2: from,
        addr3: AP,
        seq_ctrl: SeqCtrl::new(seq, 0),
    }
}

fn ie(e: M2mElement) -> Ie {
    e.to_ie().expect("element fits")
}

fn action(to: MacAddr, from: MacAddr, seq: u16, a: M2mAction) -> Frame {
    let mut buf = vec![0u8; a.buffer_len()];
    let n = a.emit_bytes(&mut buf).expect("action fits");
    // the M2M action bytes start at the category; the management frame holds the rest
    Frame::Action(mgmt::ActionRepr {
        header: hdr(to, from, seq),
        category: mgmt::ActionCategory::VendorSpecific,
        body: buf[1..n].to_vec(),
    })
}

fn exchange() -> Vec<Frame> {
    let sids = SidList {
        sids: vec![
            Sid::service("metering").expect("sid"),
            "server:10.0.0.7".parse().expect("sid"),
        ],
    };
    let ssid = Ie::new(ElementId::Ssid, b"subgate".to_vec()).expect("short");
    let window = TimeWindow {
        initial_time: 3_600_000_000,
        duration: 40_000,
    };
    let service_time = ServiceTimeRepr {
        window,
        period: 900,
        channel: 1,
    };
    let service_info = ServiceInfoRepr {
        report_period: 900,
        data_format: DataFormat::Json,
        data_amount: 64,
        server: Some("server:10.0.0.7".parse().expect("sid")),
    };
    vec![
        Frame::S1gBeacon(s1g_beacon::Repr {
            duration: 0,
            sa: AP,
            timestamp: 0x1234_5678,
            change_sequence: 1,
            next_tbtt: None,
            compressed_ssid: None,
            ano: None,
            bss_bw: 0,
            security: false,
            ap_pm: false,
            elements: vec![
                TimRepr::from_aids(0, 1, false, &[1])
                    .and_then(|t| t.to_ie())
                    .expect("tim"),
                ie(M2mElement::SidList(sids.clone())),
                ie(M2mElement::ReportIndication(
                    ReportIndicationRepr::from_aids(&[1, 2, 3]).expect("aids"),
                )),
            ],
        }),
        Frame::ProbeRequest(mgmt::ProbeRequestRepr {
            header: HeaderRepr {
                addr3: MacAddr::BROADCAST,
                ..hdr(MacAddr::BROADCAST, METER, 1)
            },
            elements: vec![
                ssid.clone(),
                ie(M2mElement::SidList(SidList {
                    sids: vec![Sid::service("metering").expect("sid")],
                })),
            ],
        }),
        Frame::ProbeResponse(mgmt::ProbeResponseRepr {
            header: hdr(METER, AP, 1),
            timestamp: 0x1234_5678,
            beacon_interval: 100,
            capability: mgmt::capability::ESS,
            elements: vec![ssid.clone(), ie(M2mElement::SidList(sids))],
        }),
        Frame::Authentication(mgmt::AuthenticationRepr {
            header: hdr(AP, METER, 2),
            algorithm: mgmt::AuthAlgorithm::OpenSystem,
            transaction_seq: 1,
            status: mgmt::StatusCode::Success,
            elements: vec![],
        }),
        Frame::Authentication(mgmt::AuthenticationRepr {
            header: hdr(METER, AP, 2),
            algorithm: mgmt::AuthAlgorithm::OpenSystem,
            transaction_seq: 2,
            status: mgmt::StatusCode::Success,
            elements: vec![],
        }),
        Frame::AssociationRequest(mgmt::AssociationRequestRepr {
            header: hdr(AP, METER, 3),
            capability: 0,
            listen_interval: 10,
            elements: vec![
                ssid,
                ie(M2mElement::SidList(SidList {
                    sids: vec![Sid::service("metering").expect("sid")],
                })),
                ie(M2mElement::Registration(RegistrationRepr {
                    path: RegistrationPath::M2mServer,
                    reserved_flags: 0,
                    terminal: METER,
                    proof: vec![0x5A; 16],
                })),
            ],
        }),
        Frame::AssociationResponse(mgmt::AssociationResponseRepr {
            header: hdr(METER, AP, 3),
            capability: mgmt::capability::ESS,
            status: mgmt::StatusCode::Success,
            elements: vec![
                mgmt::AidResponse {
                    aid: 1,
                    switch_count: 0,
                    response_interval: 0,
                }
                .to_ie(),
                ie(M2mElement::ServiceInformation(service_info)),
                ie(M2mElement::ServiceTime(service_time)),
            ],
        }),
        action(
            AP,
            METER,
            4,
            M2mAction::ResourceRequest(ResourceRequestRepr {
                dialog_token: 1,
                proposal: window,
            }),
        ),
        action(
            METER,
            AP,
            4,
            M2mAction::ResourceResponse(ResourceResponseRepr {
                dialog_token: 1,
                result: ResourceResult::Accept,
                allocation: Some(service_time),
            }),
        ),
        action(
            METER,
            AP,
            5,
            M2mAction::ReportPoll(ReportPollRepr { token: 7 }),
        ),
        action(
            AP,
            METER,
            5,
            M2mAction::Report(ReportRepr {
                sequence: 42,
                sid: Sid::service("metering").expect("sid"),
                timestamp: 1_795_000_000_000_000,
                data_format: DataFormat::Json,
                payload: br#"{"kWh":1234.5}"#.to_vec(),
            }),
        ),
        action(
            METER,
            AP,
            6,
            M2mAction::ReportAck(ReportAckRepr {
                status: AckStatus::Stored,
                sequences: vec![42],
            }),
        ),
    ]
}

#[test]
fn every_frame_and_m2m_element_parses_back() {
    let mut m2m_elements = 0;
    let mut m2m_actions = 0;
    for f in exchange() {
        let bytes = f.to_bytes();
        let parsed = Frame::parse(&bytes).expect("frame parses");
        assert_eq!(parsed, f);
        let elements: Vec<Ie> = match &parsed {
            Frame::S1gBeacon(b) => b.elements.clone(),
            Frame::ProbeRequest(p) => p.elements.clone(),
            Frame::ProbeResponse(p) => p.elements.clone(),
            Frame::AssociationRequest(a) => a.elements.clone(),
            Frame::AssociationResponse(a) => a.elements.clone(),
            Frame::Action(a) => {
                let mut raw = vec![u8::from(a.category)];
                raw.extend_from_slice(&a.body);
                assert_eq!(&raw[1..4], &SUBGATE_OUI);
                let m = M2mAction::parse_bytes(&raw).expect("our action parses");
                let mut again = vec![0u8; m.buffer_len()];
                m.emit_bytes(&mut again).expect("emit");
                assert_eq!(again, raw);
                m2m_actions += 1;
                vec![]
            }
            _ => vec![],
        };
        for e in elements
            .iter()
            .filter(|e| e.id() == ElementId::VendorSpecific)
        {
            let mut buf = vec![0u8; e.buffer_len()];
            e.emit(&mut buf);
            for el in Elements::new(&buf) {
                let el = el.expect("element");
                let m = M2mElement::from_element(&el).expect("our element parses");
                assert_eq!(m.to_ie().expect("fits"), *e);
                m2m_elements += 1;
            }
        }
    }
    assert_eq!((m2m_elements, m2m_actions), (8, 5));
}

#[test]
fn tshark_opens_the_whole_exchange_cleanly() {
    let psdus: Vec<Vec<u8>> = exchange().iter().map(|f| with_fcs(&f.to_bytes())).collect();
    let Some(text) = common::tshark_clean(&psdus) else {
        return;
    };
    let count = |s: &str| text.lines().filter(|l| l.contains(s)).count();
    assert_eq!(count("Type/Subtype: Action"), 5, "{text}");
    assert_eq!(count("Type/Subtype: Association Response"), 1);
    assert_eq!(count("Tag: Vendor Specific"), 8, "{text}");
    assert_eq!(
        count("[FCS Status: Good]") + count("[FCS status: Good]"),
        psdus.len(),
        "{text}"
    );
}
