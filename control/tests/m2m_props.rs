//! Property tests for subgate's M2M elements and action frames (control::wire::m2m):
//! arbitrary bytes never make a parser panic, random values survive emit → parse, and bytes
//! that parse are re-emitted unchanged.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use subgate_control::wire::m2m::{
    self, AckStatus, ActionFrame, ActionSubtype, DataFormat, ElementType, M2mAction, M2mElement,
    NotSupportedReason, RegistrationPath, ReportAckRepr, ReportIndicationRepr, ReportPollRepr,
    ReportRepr, ResourceRequestRepr, ResourceResponseRepr, ResourceResult, ServiceInfoRepr,
    ServiceTimeRepr, Sid, SidList, SidNotSupportedRepr, TimeWindow, UnknownSid, VendorElement,
    MAX_AID, SUBGATE_OUI, VENDOR_SPECIFIC_CATEGORY,
};
use subgate_control::wire::{Error, MacAddr};

const ELEMENT_TYPES: u8 = 9; // 1..=8 named, 0 and 9.. unknown
const ACTION_SUBTYPES: u8 = 8; // 1..=7 named

// ---- strategies -----------------------------------------------------------------------

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9-]{1,64}", "\\PC{1,16}"]
}

fn arb_server() -> impl Strategy<Value = Sid> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| Sid::ServerIp(IpAddr::V4(Ipv4Addr::from(a)))),
        any::<[u8; 16]>().prop_map(|a| Sid::ServerIp(IpAddr::V6(Ipv6Addr::from(a)))),
        "(https?|coap)://[a-z0-9./_-]{1,120}".prop_filter_map("url", |u| Sid::server_url(&u).ok()),
    ]
}

fn arb_unknown_sid() -> impl Strategy<Value = Sid> {
    (7u8..=255, prop::collection::vec(any::<u8>(), 0..40)).prop_filter_map("unknown", |(c, v)| {
        UnknownSid::new(c, &v).ok().map(Sid::Unknown)
    })
}

fn arb_sid() -> impl Strategy<Value = Sid> {
    prop_oneof![
        arb_name().prop_filter_map("user", |n| Sid::user(&n).ok()),
        arb_name().prop_filter_map("service", |n| Sid::service(&n).ok()),
        arb_server(),
        any::<[u8; 6]>().prop_map(|m| Sid::Terminal(MacAddr(m))),
        arb_unknown_sid(),
    ]
}

fn arb_sids() -> impl Strategy<Value = Vec<Sid>> {
    prop::collection::vec(arb_sid(), 1..4)
}

fn arb_time() -> impl Strategy<Value = ServiceTimeRepr> {
    (any::<u64>(), 1u32..=86_400 * 7, any::<u32>(), any::<u8>()).prop_map(
        |(initial_time, period, d, channel)| {
            let max = (u64::from(period) * 1_000_000 - 1).min(u64::from(u32::MAX)) as u32;
            ServiceTimeRepr {
                window: TimeWindow {
                    initial_time,
                    duration: 1 + d % max,
                },
                period,
                channel,
            }
        },
    )
}

fn arb_indication() -> impl Strategy<Value = ReportIndicationRepr> {
    prop_oneof![
        prop::collection::vec(1u16..=MAX_AID, 1..60)
            .prop_filter_map("fits", |a| ReportIndicationRepr::from_aids(&a).ok()),
        (0u16..=MAX_AID, prop::collection::vec(any::<u8>(), 1..100)).prop_filter_map(
            "in range",
            |(offset, bitmap)| {
                (usize::from(offset) + 8 * bitmap.len() - 1 <= usize::from(MAX_AID))
                    .then_some(ReportIndicationRepr::AidBitmap { offset, bitmap })
            }
        ),
        arb_sids().prop_map(ReportIndicationRepr::Sids),
        (3u8..=255, prop::collection::vec(any::<u8>(), 0..60))
            .prop_map(|(kind, body)| ReportIndicationRepr::Unknown { kind, body }),
    ]
}

fn arb_element() -> impl Strategy<Value = M2mElement> {
    prop_oneof![
        arb_sids().prop_map(|sids| M2mElement::SidList(SidList { sids })),
        (
            any::<bool>(),
            any::<u8>(),
            any::<[u8; 6]>(),
            prop::collection::vec(any::<u8>(), 0..=64)
        )
            .prop_map(|(aaa, reserved, m, proof)| {
                M2mElement::Registration(m2m::RegistrationRepr {
                    path: if aaa {
                        RegistrationPath::Aaa
                    } else {
                        RegistrationPath::M2mServer
                    },
                    reserved_flags: reserved & !0x03,
                    terminal: MacAddr(m),
                    proof,
                })
            }),
        (
            any::<u32>(),
            any::<u8>(),
            any::<u32>(),
            prop::option::of(prop_oneof![arb_server(), arb_unknown_sid()])
        )
            .prop_map(|(report_period, f, data_amount, server)| {
                M2mElement::ServiceInformation(ServiceInfoRepr {
                    report_period,
                    data_format: DataFormat::from(f),
                    data_amount,
                    server,
                })
            }),
        arb_time().prop_map(M2mElement::ServiceTime),
        arb_indication().prop_map(M2mElement::ReportIndication),
        (any::<u8>(), arb_sids()).prop_map(|(r, sids)| {
            M2mElement::SidNotSupported(SidNotSupportedRepr {
                reason: NotSupportedReason::from(r),
                sids,
            })
        }),
        (1u16.., any::<bool>(), any::<bool>()).prop_map(|(group, standby, next)| {
            M2mElement::GroupAssignment(m2m::GroupAssignmentRepr {
                group,
                standby,
                wake: if next {
                    m2m::WakeMode::NextSlot
                } else {
                    m2m::WakeMode::Tim
                },
            })
        }),
        prop::collection::vec(1u16.., 1..=m2m::MAX_WAKE_GROUPS)
            .prop_map(|groups| M2mElement::WakeIndication(m2m::WakeRepr { groups })),
        (
            prop_oneof![Just(0u8), ELEMENT_TYPES..=255],
            prop::collection::vec(any::<u8>(), 0..100)
        )
            .prop_map(|(element_type, payload)| M2mElement::Unknown {
                element_type,
                payload
            }),
    ]
    .prop_filter("fits one element", |e| {
        e.buffer_len() <= m2m::MAX_ELEMENT_BODY
    })
}

fn arb_action() -> impl Strategy<Value = M2mAction> {
    prop_oneof![
        (any::<u8>(), any::<u64>(), 1u32..).prop_map(|(t, i, d)| {
            M2mAction::ResourceRequest(ResourceRequestRepr {
                dialog_token: t,
                proposal: TimeWindow {
                    initial_time: i,
                    duration: d,
                },
            })
        }),
        (any::<u8>(), any::<u8>(), arb_time(), any::<bool>()).prop_map(|(t, r, time, with)| {
            let result = ResourceResult::from(r);
            let allocation = match result {
                ResourceResult::Accept | ResourceResult::CounterProposal => Some(time),
                ResourceResult::Reject => None,
                ResourceResult::Unknown(_) => with.then_some(time),
            };
            M2mAction::ResourceResponse(ResourceResponseRepr {
                dialog_token: t,
                result,
                allocation,
            })
        }),
        any::<u16>().prop_map(|token| M2mAction::ReportPoll(ReportPollRepr { token })),
        (
            any::<u32>(),
            arb_sid(),
            any::<u64>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..600)
        )
            .prop_map(|(sequence, sid, timestamp, f, payload)| {
                M2mAction::Report(ReportRepr {
                    sequence,
                    sid,
                    timestamp,
                    data_format: DataFormat::from(f),
                    payload,
                })
            }),
        (any::<u8>(), prop::collection::vec(any::<u32>(), 1..=255)).prop_map(|(s, sequences)| {
            M2mAction::ReportAck(ReportAckRepr {
                status: AckStatus::from(s),
                sequences,
            })
        }),
        (
            1u16..,
            any::<u32>(),
            prop::collection::vec(any::<u8>(), 0..=m2m::MAX_GROUP_PAYLOAD)
        )
            .prop_map(|(group, request, payload)| {
                M2mAction::GroupRequest(m2m::GroupRequestRepr {
                    group,
                    request,
                    payload,
                })
            }),
        (1u16.., any::<u32>()).prop_map(|(group, request)| {
            M2mAction::GroupAck(m2m::GroupAckRepr { group, request })
        }),
        (
            prop_oneof![Just(0u8), ACTION_SUBTYPES..=255],
            prop::collection::vec(any::<u8>(), 0..100)
        )
            .prop_map(|(subtype, payload)| M2mAction::Unknown { subtype, payload }),
    ]
}

/// An element body under our OUI with the given type and payload.
fn element_body(t: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = SUBGATE_OUI.to_vec();
    b.push(t);
    b.extend_from_slice(payload);
    b
}

/// An action frame body under our OUI with the given subtype and payload.
fn action_body(t: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![VENDOR_SPECIFIC_CATEGORY];
    b.extend_from_slice(&SUBGATE_OUI);
    b.push(t);
    b.extend_from_slice(payload);
    b
}

fn parse_element_body(b: &[u8]) -> Result<M2mElement, Error> {
    M2mElement::parse(&VendorElement::new_checked(b)?)
}

fn emit_element_body(e: &M2mElement) -> Vec<u8> {
    let mut out = vec![0xA5u8; e.buffer_len()];
    e.emit(&mut VendorElement::new_unchecked(&mut out[..]));
    out
}

fn emit_action_body(a: &M2mAction) -> Vec<u8> {
    let mut out = vec![0xA5u8; a.buffer_len()];
    a.emit(&mut ActionFrame::new_unchecked(&mut out[..]));
    out
}

/// If `b` parses as an element body, it re-emits to the same bytes.
fn check_element_reemit(b: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(e) = parse_element_body(b) {
        prop_assert_eq!(emit_element_body(&e), b.to_vec());
    }
    Ok(())
}

/// If `b` parses as an action frame body, it re-emits to the same bytes.
fn check_action_reemit(b: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(a) = M2mAction::parse_bytes(b) {
        prop_assert_eq!(emit_action_body(&a), b.to_vec());
    }
    Ok(())
}

// ---- properties -----------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whole-element and whole-frame parsers take any bytes without panicking.
    #[test]
    fn raw_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = M2mElement::parse_element(&b);
        let _ = parse_element_body(&b);
        let _ = M2mAction::parse_bytes(&b);
        let _ = Sid::parse_tlv(&b);
        let _ = SidList::parse(&b);
        let _ = ReportIndicationRepr::parse(&b);
        let _ = SidNotSupportedRepr::parse(&b);
        check_element_reemit(&b)?;
        check_action_reemit(&b)?;
    }

    /// Random payloads behind our header reach every element and action parser: no panic,
    /// and whatever parses re-emits unchanged.
    #[test]
    fn payloads_behind_our_header(
        t in 0u8..=ELEMENT_TYPES,
        s in 0u8..=ACTION_SUBTYPES,
        p in prop::collection::vec(any::<u8>(), 0..260),
    ) {
        check_element_reemit(&element_body(t, &p))?;
        check_action_reemit(&action_body(s, &p))?;
        // Header-only frames.
        check_element_reemit(&element_body(t, &[]))?;
        check_action_reemit(&action_body(s, &[]))?;
    }

    /// Random values survive emit → parse, as element bodies and as whole elements.
    #[test]
    fn elements_round_trip(e in arb_element()) {
        let body = emit_element_body(&e);
        prop_assert_eq!(parse_element_body(&body), Ok(e.clone()));
        let mut whole = vec![0xA5u8; e.element_len()];
        prop_assert_eq!(e.emit_element(&mut whole), Ok(e.element_len()));
        let (rest, back) = M2mElement::parse_element(&whole).map_err(|err| {
            TestCaseError::fail(format!("{err}"))
        })?;
        prop_assert!(rest.is_empty());
        prop_assert_eq!(back, e);
    }

    /// Random action frames survive emit → parse.
    #[test]
    fn actions_round_trip(a in arb_action()) {
        let mut out = vec![0xA5u8; a.buffer_len()];
        prop_assert_eq!(a.emit_bytes(&mut out), Ok(a.buffer_len()));
        prop_assert_eq!(M2mAction::parse_bytes(&out), Ok(a));
    }

    /// Valid encodings with one byte changed, cut or extended: never a panic, and whatever
    /// still parses re-emits unchanged (exercises the deep checks random bytes rarely reach).
    #[test]
    fn mutated_encodings(
        e in arb_element(),
        a in arb_action(),
        at in any::<prop::sample::Index>(),
        v in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        for mut b in [emit_element_body(&e), emit_action_body(&a)] {
            let i = at.index(b.len());
            b[i] = v;
            check_element_reemit(&b)?;
            check_action_reemit(&b)?;
            let short = &b[..cut.index(b.len())];
            check_element_reemit(short)?;
            check_action_reemit(short)?;
            b.push(v);
            check_element_reemit(&b)?;
            check_action_reemit(&b)?;
        }
    }

    /// SID text form round-trips, and equal SIDs are equal keys.
    #[test]
    fn sid_text_round_trip(sid in arb_sid()) {
        let text = sid.to_string();
        prop_assert_eq!(text.parse::<Sid>().ok(), Some(sid.clone()));
        let mut buf = vec![0xA5u8; sid.buffer_len()];
        sid.emit_tlv(&mut buf);
        let (rest, back) = Sid::parse_tlv(&buf).map_err(|err| {
            TestCaseError::fail(format!("{err}"))
        })?;
        prop_assert!(rest.is_empty());
        prop_assert_eq!(back, sid);
    }

    /// Arbitrary text never panics the SID parser.
    #[test]
    fn sid_from_any_text(s in "\\PC{0,80}") {
        if let Ok(sid) = s.parse::<Sid>() {
            prop_assert_eq!(sid.to_string().parse::<Sid>().ok(), Some(sid));
        }
    }

    /// An AID indication built from a set names exactly that set.
    #[test]
    fn from_aids_names_exactly(aids in prop::collection::vec(1u16..=MAX_AID, 1..60)) {
        if let Ok(r) = ReportIndicationRepr::from_aids(&aids) {
            for a in 0..=MAX_AID {
                prop_assert_eq!(r.names_aid(a), aids.contains(&a), "aid {}", a);
            }
        }
    }
}

#[test]
fn all_type_codes_are_covered() {
    // Keep the strategies' ranges in step with the code points.
    assert!(matches!(
        ElementType::from(ELEMENT_TYPES),
        ElementType::Unknown(_)
    ));
    assert!(!matches!(
        ElementType::from(ELEMENT_TYPES - 1),
        ElementType::Unknown(_)
    ));
    assert!(matches!(
        ActionSubtype::from(ACTION_SUBTYPES),
        ActionSubtype::Unknown(_)
    ));
    assert!(!matches!(
        ActionSubtype::from(ACTION_SUBTYPES - 1),
        ActionSubtype::Unknown(_)
    ));
}
