//! How the M2M elements and actions ride in MAC frames, for both ends of the link: pull our
//! elements out of a frame's element list, wrap an [`M2mAction`] in an action frame and take
//! it back out, carry the gateway nonce. The gateway and the testbench's terminals use the
//! same functions, so both sides agree on where everything goes (docs/protocol.md §5).

use super::{GroupAssignmentRepr, ReportIndicationRepr, SidNotSupportedRepr};
use super::{M2mAction, M2mElement, RegistrationRepr, ServiceInfoRepr, ServiceTimeRepr, Sid};
use crate::wire::mac::HeaderRepr;
use crate::wire::mgmt::{ActionCategory, ActionRepr};
use crate::wire::{ElementId, Elements, Error, Frame, Ie, Result};

/// Bytes of the gateway nonce carried in the challenge-text element.
pub const NONCE_LEN: usize = 8;

/// Our elements in `elements`, in order: vendor elements under another OUI are skipped;
/// an element under our OUI that does not parse is an error (a malformed frame).
pub fn m2m_elements(elements: &[Ie]) -> Result<Vec<M2mElement>> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for ie in elements
        .iter()
        .filter(|e| e.id() == ElementId::VendorSpecific)
    {
        buf.clear();
        buf.resize(ie.buffer_len(), 0);
        ie.emit(&mut buf);
        for el in Elements::new(&buf) {
            match M2mElement::from_element(&el?) {
                Ok(m) => out.push(m),
                Err(Error::Unsupported) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(out)
}

/// What a request or answer carries of ours, sorted by kind (the first of each kind wins,
/// SID lists are concatenated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    /// Every SID of every SID-list element.
    pub sids: Vec<Sid>,
    /// Whether a SID-list element was present at all (none: a wildcard request).
    pub has_sid_list: bool,
    /// Registration indication.
    pub registration: Option<RegistrationRepr>,
    /// Service information.
    pub service: Option<ServiceInfoRepr>,
    /// Service time allocation.
    pub service_time: Option<ServiceTimeRepr>,
    /// Broadcast report indications.
    pub indications: Vec<ReportIndicationRepr>,
    /// SID not supported.
    pub not_supported: Option<SidNotSupportedRepr>,
    /// Peripheral group assignment.
    pub group: Option<GroupAssignmentRepr>,
    /// Groups to wake (every wake indication's groups).
    pub wake: Vec<u16>,
}

impl Carried {
    /// Sorts the M2M elements of `elements` (see [`m2m_elements`]).
    pub fn from_elements(elements: &[Ie]) -> Result<Carried> {
        let mut c = Carried::default();
        for m in m2m_elements(elements)? {
            match m {
                M2mElement::SidList(l) => {
                    c.has_sid_list = true;
                    c.sids.extend(l.sids);
                }
                M2mElement::Registration(r) => {
                    c.registration.get_or_insert(r);
                }
                M2mElement::ServiceInformation(s) => {
                    c.service.get_or_insert(s);
                }
                M2mElement::ServiceTime(t) => {
                    c.service_time.get_or_insert(t);
                }
                M2mElement::ReportIndication(i) => c.indications.push(i),
                M2mElement::SidNotSupported(n) => {
                    c.not_supported.get_or_insert(n);
                }
                M2mElement::GroupAssignment(g) => {
                    c.group.get_or_insert(g);
                }
                M2mElement::WakeIndication(w) => c.wake.extend(w.groups),
                M2mElement::Unknown { .. } => {}
            }
        }
        Ok(c)
    }
}

/// An action frame carrying `action`. `Oversized` if it does not fit one action frame.
pub fn action_frame(header: HeaderRepr, action: &M2mAction) -> Result<Frame> {
    let mut buf = vec![0u8; action.buffer_len()];
    let n = action.emit_bytes(&mut buf)?;
    // `emit_bytes` writes the category byte; the management frame holds it separately.
    Ok(Frame::Action(ActionRepr {
        header,
        category: ActionCategory::VendorSpecific,
        body: buf.get(1..n).map(<[u8]>::to_vec).unwrap_or_default(),
    }))
}

/// Bytes on air of the action frame carrying `action`: management header, action body, FCS
/// (what airtime and report windows are computed from).
pub fn action_psdu_len(action: &M2mAction) -> usize {
    super::MGMT_HEADER_LEN + action.buffer_len() + crate::wire::mac::FCS_LEN
}

/// The M2M action in an action frame: `Unsupported` if it is another category or OUI.
pub fn action_of(frame: &ActionRepr) -> Result<M2mAction> {
    if frame.category != ActionCategory::VendorSpecific {
        return Err(Error::Unsupported);
    }
    let mut raw = Vec::with_capacity(frame.body.len() + 1);
    raw.push(u8::from(frame.category));
    raw.extend_from_slice(&frame.body);
    M2mAction::parse_bytes(&raw)
}

/// The challenge-text element carrying the gateway nonce (authentication response).
pub fn nonce_element(nonce: [u8; NONCE_LEN]) -> Ie {
    Ie::fixed(ElementId::ChallengeText, nonce)
}

/// The gateway nonce of an authentication response, if it carries one of the right length.
pub fn nonce_of(elements: &[Ie]) -> Option<[u8; NONCE_LEN]> {
    elements
        .iter()
        .find(|e| e.id() == ElementId::ChallengeText)
        .and_then(|e| e.body().try_into().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::m2m::{ReportPollRepr, SidList};
    use crate::wire::mac::SeqCtrl;
    use crate::wire::MacAddr;

    #[test]
    fn action_round_trip_and_foreign_action() {
        let h = HeaderRepr {
            flags: 0,
            duration: 0,
            addr1: MacAddr([2, 0, 0, 0, 0, 1]),
            addr2: MacAddr([2, 0, 0, 0, 0, 2]),
            addr3: MacAddr([2, 0, 0, 0, 0, 1]),
            seq_ctrl: SeqCtrl::new(3, 0),
        };
        let a = M2mAction::ReportPoll(ReportPollRepr { token: 9 });
        let Frame::Action(f) = action_frame(h, &a).unwrap() else {
            panic!("not an action");
        };
        assert_eq!(action_of(&f).unwrap(), a);
        let bytes = Frame::Action(f.clone()).to_bytes();
        assert_eq!(Frame::parse(&bytes).unwrap(), Frame::Action(f.clone()));
        let mut other = f;
        other.body[0] ^= 0xFF; // another OUI
        assert_eq!(action_of(&other), Err(Error::Unsupported));
    }

    #[test]
    fn carried_sorts_elements_and_skips_foreign_vendors() {
        let sid = Sid::service("metering").unwrap();
        let foreign = Ie::new(ElementId::VendorSpecific, vec![0x00, 0x50, 0xF2, 4, 1]).unwrap();
        let ours = M2mElement::SidList(SidList {
            sids: vec![sid.clone()],
        })
        .to_ie()
        .unwrap();
        let c = Carried::from_elements(&[foreign, ours.clone(), nonce_element([7; 8])]).unwrap();
        assert!(c.has_sid_list);
        assert_eq!(c.sids, vec![sid]);
        assert_eq!(nonce_of(&[nonce_element([7; 8])]), Some([7; 8]));
        assert_eq!(nonce_of(&[ours]), None);
        let mut bad = vec![0x02, 0x53, 0x47, 1, 9, 9];
        bad.truncate(5);
        let broken = Ie::new(ElementId::VendorSpecific, bad).unwrap();
        assert!(Carried::from_elements(&[broken]).is_err());
    }
}
