//! subgate's M2M elements and action frames: the seed patent's messages (service identifier,
//! registration indication, service information, service time, resource request/response,
//! report-data indication, MAC-layer report and ack, "SID not supported") carried in standard
//! 802.11 containers so that any 802.11 stack (and Wireshark) frames them correctly.
//!
//! - **Elements** are vendor-specific elements (element id 221) whose body is
//!   `OUI (3) | element type (1) | payload`, under [`SUBGATE_OUI`]. [`VendorElement`] is the
//!   view over that body (what [`Element::body`](crate::wire::Element) yields) and
//!   [`M2mElement`] the owned value that dispatches on the element type.
//! - **Action frames** are vendor-specific action frames (category 127) whose frame body is
//!   `category (1) | OUI (3) | subtype (1) | payload`. [`ActionFrame`] is the view over the
//!   frame body from the category byte on and [`M2mAction`] the owned value.
//!
//! A vendor element or action frame under another OUI (or another category) is not ours: the
//! views answer [`Error::Unsupported`] so the caller can skip it. Unknown element types and
//! subtypes under our OUI are kept raw (`Unknown`) and re-emitted unchanged.
//!
//! Byte-by-byte layouts and the registration sequence: `docs/protocol.md`.

pub mod carry;
pub mod group;
pub mod indication;
pub mod not_supported;
pub mod registration;
pub mod report;
pub mod resource;
pub mod service;
pub mod sid;

pub use group::{
    AckRepr as GroupAckRepr, AssignmentRepr as GroupAssignmentRepr,
    RequestRepr as GroupRequestRepr, WakeMode, WakeRepr, MAX_GROUP_PAYLOAD, MAX_WAKE_GROUPS,
};
pub use indication::{
    IndicationKind, PollPacket as ReportPollPacket, PollRepr as ReportPollRepr,
    Repr as ReportIndicationRepr, MAX_AID,
};
pub use not_supported::{NotSupportedReason, Repr as SidNotSupportedRepr};
pub use registration::{
    Packet as RegistrationPacket, RegistrationPath, Repr as RegistrationRepr, MAX_PROOF_LEN,
};
pub use report::{
    AckPacket as ReportAckPacket, AckRepr as ReportAckRepr, AckStatus, Packet as ReportPacket,
    Repr as ReportRepr, MAX_REPORT_PAYLOAD,
};
pub use resource::{
    RequestPacket as ResourceRequestPacket, RequestRepr as ResourceRequestRepr, ResourceResult,
    ResponsePacket as ResourceResponsePacket, ResponseRepr as ResourceResponseRepr,
};
pub use service::{
    DataFormat, InfoPacket as ServiceInfoPacket, InfoRepr as ServiceInfoRepr,
    TimePacket as ServiceTimePacket, TimeRepr as ServiceTimeRepr, TimeWindow,
};
pub use sid::{ParseSidError, Sid, SidList, SidName, SidPacket, SidType, SidUrl, UnknownSid};

use super::element::{Element, ElementId};
use super::{check_exact, read_u16, read_u32, read_u64, Error, Result};

/// subgate's OUI: locally administered (bit 1 of the first octet set, not a multicast
/// address), then "SG". Every M2M element and action frame carries it.
pub const SUBGATE_OUI: [u8; 3] = [0x02, 0x53, 0x47];

/// Action category "vendor specific" (802.11-2020 Table 9-51): our action frames use it.
pub const VENDOR_SPECIFIC_CATEGORY: u8 = 127;

/// Largest element body (the length byte's range).
pub const MAX_ELEMENT_BODY: usize = 255;

/// Largest payload of an M2M element (the body less OUI and type).
pub const MAX_ELEMENT_PAYLOAD: usize = MAX_ELEMENT_BODY - VENDOR_HEADER_LEN;

/// Bytes of a management frame's MAC header (no HT control): what a PSDU spends before the
/// action frame body.
pub const MGMT_HEADER_LEN: usize = 24;

/// Bytes of the frame check sequence.
pub const FCS_LEN: usize = 4;

/// Largest action frame body (from the category byte on): the largest PSDU the PHY sends less
/// the management header and FCS. Each MCS allows less; the transmitter checks that.
pub const MAX_ACTION_LEN: usize = subgate_dsp::params::MAX_PSDU_LEN - MGMT_HEADER_LEN - FCS_LEN;

crate::enum_with_unknown! {
    /// Our element type, the byte after the OUI in a vendor-specific element.
    pub enum ElementType(u8) {
        /// One or more SIDs (beacon, probe request/response, association request).
        SidList = 1,
        /// Registration indication (association request).
        RegistrationIndication = 2,
        /// Service information (association response).
        ServiceInformation = 3,
        /// Service time allocation (association response).
        ServiceTimeAllocation = 4,
        /// Broadcast report-data indication (beacon).
        ReportIndication = 5,
        /// SIDs refused with a reason (probe response, association response).
        SidNotSupported = 6,
        /// The terminal's peripheral group and initial state (its configuration).
        GroupAssignment = 7,
        /// Groups whose standby members are to wake (beacon).
        WakeIndication = 8,
    }
}

crate::enum_with_unknown! {
    /// Our action subtype, the byte after the OUI in a vendor-specific action frame.
    pub enum ActionSubtype(u8) {
        /// Terminal → gateway: proposed service time.
        ResourceRequest = 1,
        /// Gateway → terminal: accept, counter-proposal or reject.
        ResourceResponse = 2,
        /// Gateway → terminal: unicast report-data indication (poll).
        ReportPoll = 3,
        /// Terminal → gateway: MAC-layer report.
        Report = 4,
        /// Gateway → terminal: report acknowledgement.
        ReportAck = 5,
        /// Gateway → member(s): a group service request.
        GroupRequest = 6,
        /// Member → gateway: the group request was delivered.
        GroupAck = 7,
    }
}

/// Layout of a vendor-specific element body and of a vendor-specific action frame body.
mod field {
    use crate::wire::Field;
    /// Element body: OUI.
    pub const OUI: Field = 0..3;
    /// Element body: our element type.
    pub const TYPE: usize = 3;
    /// Element body: start of the payload.
    pub const PAYLOAD: usize = 4;

    /// Action body: category (127).
    pub const A_CATEGORY: usize = 0;
    /// Action body: OUI.
    pub const A_OUI: Field = 1..4;
    /// Action body: our subtype.
    pub const A_SUBTYPE: usize = 4;
    /// Action body: start of the payload.
    pub const A_PAYLOAD: usize = 5;
}

/// Bytes before the payload of an M2M element body (OUI + type).
pub const VENDOR_HEADER_LEN: usize = field::PAYLOAD;
/// Bytes before the payload of an M2M action frame body (category + OUI + subtype).
pub const ACTION_HEADER_LEN: usize = field::A_PAYLOAD;

/// Zero-copy view of a vendor-specific element body under subgate's OUI (the bytes after
/// the element id and length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorElement<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VendorElement<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        VendorElement { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len); `Unsupported` if the OUI is not
    /// [`SUBGATE_OUI`] (someone else's vendor element, to be skipped, even if short).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        // Someone else's element is skipped whatever its length.
        if p.buffer
            .as_ref()
            .get(field::OUI)
            .is_some_and(|o| o != SUBGATE_OUI)
        {
            return Err(Error::Unsupported);
        }
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` if shorter than OUI + type, `Oversized` if longer than an element body can be.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < field::PAYLOAD {
            Err(Error::Truncated)
        } else if len > MAX_ELEMENT_BODY {
            Err(Error::Oversized)
        } else {
            Ok(())
        }
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The OUI.
    pub fn oui(&self) -> [u8; 3] {
        let b = &self.buffer.as_ref()[field::OUI];
        [b[0], b[1], b[2]]
    }

    /// Our element type.
    pub fn element_type(&self) -> ElementType {
        ElementType::from(self.buffer.as_ref()[field::TYPE])
    }

    /// The payload after the type byte.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VendorElement<T> {
    /// Sets the OUI.
    pub fn set_oui(&mut self, oui: [u8; 3]) {
        self.buffer.as_mut()[field::OUI].copy_from_slice(&oui);
    }

    /// Sets the element type.
    pub fn set_element_type(&mut self, t: ElementType) {
        self.buffer.as_mut()[field::TYPE] = t.into();
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// Zero-copy view of a vendor-specific action frame body under subgate's OUI, from the
/// category byte to the end of the frame body (FCS excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ActionFrame<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        ActionFrame { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len); `Unsupported` if the category is
    /// not vendor specific or the OUI is not ours (checked first, on the bytes present).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        // Someone else's action frame is skipped whatever its length.
        let b = p.buffer.as_ref();
        if b.get(field::A_CATEGORY)
            .is_some_and(|&c| c != VENDOR_SPECIFIC_CATEGORY)
            || b.get(field::A_OUI).is_some_and(|o| o != SUBGATE_OUI)
        {
            return Err(Error::Unsupported);
        }
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` if shorter than category + OUI + subtype, `Oversized` if longer than
    /// [`MAX_ACTION_LEN`].
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < field::A_PAYLOAD {
            Err(Error::Truncated)
        } else if len > MAX_ACTION_LEN {
            Err(Error::Oversized)
        } else {
            Ok(())
        }
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Action category.
    pub fn category(&self) -> u8 {
        self.buffer.as_ref()[field::A_CATEGORY]
    }

    /// The OUI.
    pub fn oui(&self) -> [u8; 3] {
        let b = &self.buffer.as_ref()[field::A_OUI];
        [b[0], b[1], b[2]]
    }

    /// Our subtype.
    pub fn subtype(&self) -> ActionSubtype {
        ActionSubtype::from(self.buffer.as_ref()[field::A_SUBTYPE])
    }

    /// The payload after the subtype byte.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::A_PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ActionFrame<T> {
    /// Sets the category.
    pub fn set_category(&mut self, c: u8) {
        self.buffer.as_mut()[field::A_CATEGORY] = c;
    }

    /// Sets the OUI.
    pub fn set_oui(&mut self, oui: [u8; 3]) {
        self.buffer.as_mut()[field::A_OUI].copy_from_slice(&oui);
    }

    /// Sets the subtype.
    pub fn set_subtype(&mut self, t: ActionSubtype) {
        self.buffer.as_mut()[field::A_SUBTYPE] = t.into();
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::A_PAYLOAD..]
    }
}

/// One of subgate's M2M elements, owned: what the gateway and terminals put in (or find in)
/// beacons, probes and association frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum M2mElement {
    /// One or more service identifiers.
    SidList(SidList),
    /// Registration indication.
    Registration(RegistrationRepr),
    /// Service information.
    ServiceInformation(ServiceInfoRepr),
    /// Service time allocation.
    ServiceTime(ServiceTimeRepr),
    /// Broadcast report-data indication.
    ReportIndication(ReportIndicationRepr),
    /// SIDs refused, with the reason.
    SidNotSupported(SidNotSupportedRepr),
    /// Peripheral group and initial state.
    GroupAssignment(GroupAssignmentRepr),
    /// Groups to wake.
    WakeIndication(WakeRepr),
    /// An element type this version does not name, kept raw.
    Unknown {
        /// Element type byte.
        element_type: u8,
        /// Payload after the type byte.
        payload: Vec<u8>,
    },
}

impl M2mElement {
    /// Parses a checked vendor-element view.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &VendorElement<&T>) -> Result<M2mElement> {
        let p = packet.payload();
        Ok(match packet.element_type() {
            ElementType::SidList => M2mElement::SidList(SidList::parse(p)?),
            ElementType::RegistrationIndication => M2mElement::Registration(
                RegistrationRepr::parse(&RegistrationPacket::new_checked(p)?)?,
            ),
            ElementType::ServiceInformation => M2mElement::ServiceInformation(
                ServiceInfoRepr::parse(&ServiceInfoPacket::new_checked(p)?)?,
            ),
            ElementType::ServiceTimeAllocation => M2mElement::ServiceTime(ServiceTimeRepr::parse(
                &ServiceTimePacket::new_checked(p)?,
            )?),
            ElementType::ReportIndication => {
                M2mElement::ReportIndication(ReportIndicationRepr::parse(p)?)
            }
            ElementType::SidNotSupported => {
                M2mElement::SidNotSupported(SidNotSupportedRepr::parse(p)?)
            }
            ElementType::GroupAssignment => {
                M2mElement::GroupAssignment(GroupAssignmentRepr::parse(p)?)
            }
            ElementType::WakeIndication => M2mElement::WakeIndication(WakeRepr::parse(p)?),
            ElementType::Unknown(t) => M2mElement::Unknown {
                element_type: t,
                payload: p.to_vec(),
            },
        })
    }

    /// Parses the body of an element from [`Elements`](crate::wire::Elements):
    /// `Unsupported` if it is not a vendor-specific element under our OUI.
    pub fn from_element(e: &Element<'_>) -> Result<M2mElement> {
        if e.id != ElementId::VendorSpecific {
            return Err(Error::Unsupported);
        }
        M2mElement::parse(&VendorElement::new_checked(e.body)?)
    }

    /// Parses a whole element (`221, length, body`) at the start of `buf`, returning the bytes
    /// after it and the element; `Unsupported` if it is some other element.
    pub fn parse_element(buf: &[u8]) -> Result<(&[u8], M2mElement)> {
        let (rest, e) = Element::parse(buf)?;
        Ok((rest, M2mElement::from_element(&e)?))
    }

    /// The element type byte this value is sent with.
    pub fn element_type(&self) -> ElementType {
        match self {
            M2mElement::SidList(_) => ElementType::SidList,
            M2mElement::Registration(_) => ElementType::RegistrationIndication,
            M2mElement::ServiceInformation(_) => ElementType::ServiceInformation,
            M2mElement::ServiceTime(_) => ElementType::ServiceTimeAllocation,
            M2mElement::ReportIndication(_) => ElementType::ReportIndication,
            M2mElement::SidNotSupported(_) => ElementType::SidNotSupported,
            M2mElement::GroupAssignment(_) => ElementType::GroupAssignment,
            M2mElement::WakeIndication(_) => ElementType::WakeIndication,
            M2mElement::Unknown { element_type, .. } => ElementType::Unknown(*element_type),
        }
    }

    fn payload_len(&self) -> usize {
        match self {
            M2mElement::SidList(r) => r.buffer_len(),
            M2mElement::Registration(r) => r.buffer_len(),
            M2mElement::ServiceInformation(r) => r.buffer_len(),
            M2mElement::ServiceTime(r) => r.buffer_len(),
            M2mElement::ReportIndication(r) => r.buffer_len(),
            M2mElement::SidNotSupported(r) => r.buffer_len(),
            M2mElement::GroupAssignment(r) => r.buffer_len(),
            M2mElement::WakeIndication(r) => r.buffer_len(),
            M2mElement::Unknown { payload, .. } => payload.len(),
        }
    }

    /// Bytes of the element body (OUI + type + payload), without id and length.
    pub fn buffer_len(&self) -> usize {
        VENDOR_HEADER_LEN + self.payload_len()
    }

    /// Writes the element body into a view over exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut VendorElement<T>) {
        packet.set_oui(SUBGATE_OUI);
        packet.set_element_type(self.element_type());
        let p = packet.payload_mut();
        match self {
            M2mElement::SidList(r) => r.emit(p),
            M2mElement::Registration(r) => {
                r.emit(&mut RegistrationPacket::new_unchecked(p));
            }
            M2mElement::ServiceInformation(r) => {
                r.emit(&mut ServiceInfoPacket::new_unchecked(p));
            }
            M2mElement::ServiceTime(r) => r.emit(&mut ServiceTimePacket::new_unchecked(p)),
            M2mElement::ReportIndication(r) => r.emit(p),
            M2mElement::SidNotSupported(r) => r.emit(p),
            M2mElement::GroupAssignment(r) => r.emit(p),
            M2mElement::WakeIndication(r) => r.emit(p),
            M2mElement::Unknown { payload, .. } => p[..payload.len()].copy_from_slice(payload),
        }
    }

    /// Bytes of the whole element (id, length, body).
    pub fn element_len(&self) -> usize {
        2 + self.buffer_len()
    }

    /// The element as an owned [`Ie`](crate::wire::Ie) ready for a frame's element list;
    /// `Oversized` if its body exceeds 255 bytes.
    pub fn to_ie(&self) -> Result<crate::wire::Ie> {
        let mut body = vec![0u8; self.buffer_len()];
        if body.len() > MAX_ELEMENT_BODY {
            return Err(Error::Oversized);
        }
        self.emit(&mut VendorElement::new_unchecked(&mut body[..]));
        crate::wire::Ie::new(ElementId::VendorSpecific, body)
    }

    /// Writes the whole element (`221, length, body`) at the start of `buf`; returns the bytes
    /// written. `Oversized` if the body exceeds 255 bytes (split the list over several
    /// elements), `Truncated` if `buf` is shorter than [`element_len`](Self::element_len).
    pub fn emit_element(&self, buf: &mut [u8]) -> Result<usize> {
        let body = self.buffer_len();
        if body > MAX_ELEMENT_BODY {
            return Err(Error::Oversized);
        }
        let out = buf.get_mut(..2 + body).ok_or(Error::Truncated)?;
        out[0] = ElementId::VendorSpecific.into();
        out[1] = body as u8;
        self.emit(&mut VendorElement::new_unchecked(&mut out[2..]));
        Ok(2 + body)
    }
}

/// One of subgate's M2M action frames, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum M2mAction {
    /// Resource request (terminal's proposal).
    ResourceRequest(ResourceRequestRepr),
    /// Resource response (accept / counter-proposal / reject).
    ResourceResponse(ResourceResponseRepr),
    /// Unicast report-data indication.
    ReportPoll(ReportPollRepr),
    /// MAC-layer report.
    Report(ReportRepr),
    /// Report acknowledgement.
    ReportAck(ReportAckRepr),
    /// Group service request.
    GroupRequest(GroupRequestRepr),
    /// Group request acknowledgement.
    GroupAck(GroupAckRepr),
    /// A subtype this version does not name, kept raw.
    Unknown {
        /// Subtype byte.
        subtype: u8,
        /// Payload after the subtype byte.
        payload: Vec<u8>,
    },
}

impl M2mAction {
    /// Parses a checked action-frame view.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &ActionFrame<&T>) -> Result<M2mAction> {
        let p = packet.payload();
        Ok(match packet.subtype() {
            ActionSubtype::ResourceRequest => M2mAction::ResourceRequest(
                ResourceRequestRepr::parse(&ResourceRequestPacket::new_checked(p)?)?,
            ),
            ActionSubtype::ResourceResponse => M2mAction::ResourceResponse(
                ResourceResponseRepr::parse(&ResourceResponsePacket::new_checked(p)?)?,
            ),
            ActionSubtype::ReportPoll => {
                M2mAction::ReportPoll(ReportPollRepr::parse(&ReportPollPacket::new_checked(p)?)?)
            }
            ActionSubtype::Report => {
                M2mAction::Report(ReportRepr::parse(&ReportPacket::new_checked(p)?)?)
            }
            ActionSubtype::ReportAck => {
                M2mAction::ReportAck(ReportAckRepr::parse(&ReportAckPacket::new_checked(p)?)?)
            }
            ActionSubtype::GroupRequest => M2mAction::GroupRequest(GroupRequestRepr::parse(p)?),
            ActionSubtype::GroupAck => M2mAction::GroupAck(GroupAckRepr::parse(p)?),
            ActionSubtype::Unknown(t) => M2mAction::Unknown {
                subtype: t,
                payload: p.to_vec(),
            },
        })
    }

    /// Parses an action frame body (from the category byte): `Unsupported` if not ours.
    pub fn parse_bytes(buf: &[u8]) -> Result<M2mAction> {
        M2mAction::parse(&ActionFrame::new_checked(buf)?)
    }

    /// The subtype byte this value is sent with.
    pub fn subtype(&self) -> ActionSubtype {
        match self {
            M2mAction::ResourceRequest(_) => ActionSubtype::ResourceRequest,
            M2mAction::ResourceResponse(_) => ActionSubtype::ResourceResponse,
            M2mAction::ReportPoll(_) => ActionSubtype::ReportPoll,
            M2mAction::Report(_) => ActionSubtype::Report,
            M2mAction::ReportAck(_) => ActionSubtype::ReportAck,
            M2mAction::GroupRequest(_) => ActionSubtype::GroupRequest,
            M2mAction::GroupAck(_) => ActionSubtype::GroupAck,
            M2mAction::Unknown { subtype, .. } => ActionSubtype::Unknown(*subtype),
        }
    }

    fn payload_len(&self) -> usize {
        match self {
            M2mAction::ResourceRequest(r) => r.buffer_len(),
            M2mAction::ResourceResponse(r) => r.buffer_len(),
            M2mAction::ReportPoll(r) => r.buffer_len(),
            M2mAction::Report(r) => r.buffer_len(),
            M2mAction::ReportAck(r) => r.buffer_len(),
            M2mAction::GroupRequest(r) => r.buffer_len(),
            M2mAction::GroupAck(r) => r.buffer_len(),
            M2mAction::Unknown { payload, .. } => payload.len(),
        }
    }

    /// Bytes of the action frame body (category + OUI + subtype + payload).
    pub fn buffer_len(&self) -> usize {
        ACTION_HEADER_LEN + self.payload_len()
    }

    /// Writes the action frame body into a view over exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut ActionFrame<T>) {
        packet.set_category(VENDOR_SPECIFIC_CATEGORY);
        packet.set_oui(SUBGATE_OUI);
        packet.set_subtype(self.subtype());
        let p = packet.payload_mut();
        match self {
            M2mAction::ResourceRequest(r) => r.emit(&mut ResourceRequestPacket::new_unchecked(p)),
            M2mAction::ResourceResponse(r) => {
                r.emit(&mut ResourceResponsePacket::new_unchecked(p));
            }
            M2mAction::ReportPoll(r) => r.emit(&mut ReportPollPacket::new_unchecked(p)),
            M2mAction::Report(r) => r.emit(&mut ReportPacket::new_unchecked(p)),
            M2mAction::ReportAck(r) => r.emit(&mut ReportAckPacket::new_unchecked(p)),
            M2mAction::GroupRequest(r) => r.emit(p),
            M2mAction::GroupAck(r) => r.emit(p),
            M2mAction::Unknown { payload, .. } => p[..payload.len()].copy_from_slice(payload),
        }
    }

    /// Writes the action frame body at the start of `buf`; returns the bytes written.
    /// `Oversized` if longer than [`MAX_ACTION_LEN`], `Truncated` if `buf` is too short.
    pub fn emit_bytes(&self, buf: &mut [u8]) -> Result<usize> {
        let n = self.buffer_len();
        if n > MAX_ACTION_LEN {
            return Err(Error::Oversized);
        }
        let out = buf.get_mut(..n).ok_or(Error::Truncated)?;
        self.emit(&mut ActionFrame::new_unchecked(out));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Elements;

    static ELEMENT: [u8; 16] = [
        0xDD, 0x0E, // element id 221 (vendor specific), 14 bytes
        0x02, 0x53, 0x47, // OUI 02:53:47 (subgate)
        0x01, // element type 1: SID list
        0x06, 0x08, b'm', b'e', b't', b'e', b'r', b'i', b'n', b'g', // service "metering"
    ];

    static ACTION: [u8; 7] = [
        0x7F, // category 127 (vendor specific)
        0x02, 0x53, 0x47, // OUI
        0x03, // subtype 3: report poll
        0x34, 0x12, // token 0x1234
    ];

    #[test]
    fn deconstruct_element() {
        let p = VendorElement::new_checked(&ELEMENT[2..]).unwrap();
        assert_eq!(p.oui(), SUBGATE_OUI);
        assert_eq!(p.element_type(), ElementType::SidList);
        assert_eq!(p.payload(), &ELEMENT[6..]);
    }

    #[test]
    fn construct_element() {
        let mut buf = [0xA5u8; 14];
        let mut p = VendorElement::new_unchecked(&mut buf[..]);
        p.set_oui(SUBGATE_OUI);
        p.set_element_type(ElementType::SidList);
        p.payload_mut().copy_from_slice(&ELEMENT[6..]);
        assert_eq!(&buf[..], &ELEMENT[2..]);
    }

    #[test]
    fn element_parse_emit() {
        let (rest, e) = M2mElement::parse_element(&ELEMENT).unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            e,
            M2mElement::SidList(SidList {
                sids: vec![Sid::service("metering").unwrap()]
            })
        );
        assert_eq!(e.element_len(), ELEMENT.len());
        let mut buf = [0xA5u8; 16];
        assert_eq!(e.emit_element(&mut buf), Ok(16));
        assert_eq!(buf, ELEMENT);
        assert_eq!(e.emit_element(&mut buf[..15]), Err(Error::Truncated));
    }

    #[test]
    fn element_from_walk() {
        let mut frame = vec![0x00, 0x02, b'h', b'i']; // SSID "hi", not ours
        frame.extend_from_slice(&ELEMENT);
        let ours: Vec<M2mElement> = Elements::new(&frame)
            .filter_map(|e| e.ok())
            .filter_map(|e| M2mElement::from_element(&e).ok())
            .collect();
        assert_eq!(ours.len(), 1);
        assert_eq!(
            M2mElement::parse_element(&frame).map(|(_, e)| e),
            Err(Error::Unsupported)
        );
    }

    #[test]
    fn element_unknown_type_kept() {
        let body = [0x02, 0x53, 0x47, 0x99, 0x01, 0x02];
        let e = M2mElement::parse(&VendorElement::new_checked(&body[..]).unwrap()).unwrap();
        assert_eq!(
            e,
            M2mElement::Unknown {
                element_type: 0x99,
                payload: vec![1, 2]
            }
        );
        let mut buf = [0xA5u8; 6];
        e.emit(&mut VendorElement::new_unchecked(&mut buf[..]));
        assert_eq!(buf, body);
    }

    #[test]
    fn element_wrong_oui() {
        let mut body = ELEMENT[2..].to_vec();
        body[2] = 0x48;
        assert_eq!(
            VendorElement::new_checked(&body[..]).err(),
            Some(Error::Unsupported)
        );
    }

    #[test]
    fn short_foreign_element_is_not_ours() {
        // Another vendor's element with only an OUI: skipped, not an error of ours.
        assert_eq!(
            VendorElement::new_checked(&[0x00, 0x50, 0xF2][..]).err(),
            Some(Error::Unsupported)
        );
        assert_eq!(
            M2mAction::parse_bytes(&[0x04, 0x00]),
            Err(Error::Unsupported)
        );
        assert_eq!(
            M2mAction::parse_bytes(&[0x7F, 0x00, 0x50, 0xF2]),
            Err(Error::Unsupported)
        );
    }

    #[test]
    fn element_wrong_id() {
        let e = Element {
            id: ElementId::Ssid,
            body: &ELEMENT[2..],
        };
        assert_eq!(M2mElement::from_element(&e), Err(Error::Unsupported));
    }

    #[test]
    fn element_truncated() {
        assert_eq!(
            VendorElement::new_checked(&ELEMENT[2..5]).err(),
            Some(Error::Truncated)
        );
        assert_eq!(
            M2mElement::parse_element(&ELEMENT[..15]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn element_oversized() {
        let mut big = [0u8; 256];
        big[..3].copy_from_slice(&SUBGATE_OUI);
        assert_eq!(
            VendorElement::new_checked(&big[..]).err(),
            Some(Error::Oversized)
        );
        let e = M2mElement::Unknown {
            element_type: 0x99,
            payload: vec![0; MAX_ELEMENT_PAYLOAD + 1],
        };
        assert_eq!(e.emit_element(&mut [0u8; 300]), Err(Error::Oversized));
    }

    #[test]
    fn deconstruct_action() {
        let p = ActionFrame::new_checked(&ACTION[..]).unwrap();
        assert_eq!(p.category(), VENDOR_SPECIFIC_CATEGORY);
        assert_eq!(p.oui(), SUBGATE_OUI);
        assert_eq!(p.subtype(), ActionSubtype::ReportPoll);
        assert_eq!(p.payload(), &[0x34, 0x12]);
    }

    #[test]
    fn construct_action() {
        let mut buf = [0xA5u8; 7];
        let mut p = ActionFrame::new_unchecked(&mut buf[..]);
        p.set_category(VENDOR_SPECIFIC_CATEGORY);
        p.set_oui(SUBGATE_OUI);
        p.set_subtype(ActionSubtype::ReportPoll);
        p.payload_mut().copy_from_slice(&[0x34, 0x12]);
        assert_eq!(buf, ACTION);
    }

    #[test]
    fn action_parse_emit() {
        let a = M2mAction::parse_bytes(&ACTION).unwrap();
        assert_eq!(a, M2mAction::ReportPoll(ReportPollRepr { token: 0x1234 }));
        let mut buf = [0xA5u8; 7];
        assert_eq!(a.emit_bytes(&mut buf), Ok(7));
        assert_eq!(buf, ACTION);
    }

    #[test]
    fn action_wrong_category_or_oui() {
        let mut b = ACTION;
        b[0] = 4; // public action
        assert_eq!(M2mAction::parse_bytes(&b), Err(Error::Unsupported));
        let mut b = ACTION;
        b[1] = 0x00;
        assert_eq!(M2mAction::parse_bytes(&b), Err(Error::Unsupported));
    }

    #[test]
    fn action_truncated() {
        assert_eq!(M2mAction::parse_bytes(&ACTION[..4]), Err(Error::Truncated));
        assert_eq!(M2mAction::parse_bytes(&ACTION[..6]), Err(Error::Truncated));
    }

    #[test]
    fn action_oversized() {
        let mut b = vec![0u8; MAX_ACTION_LEN + 1];
        b[..5].copy_from_slice(&ACTION[..5]);
        assert_eq!(M2mAction::parse_bytes(&b), Err(Error::Oversized));
        let mut b = ACTION.to_vec();
        b.push(0);
        assert_eq!(M2mAction::parse_bytes(&b), Err(Error::Oversized));
    }

    #[test]
    fn action_unknown_subtype_kept() {
        let b = [0x7F, 0x02, 0x53, 0x47, 0x80, 0xAA];
        let a = M2mAction::parse_bytes(&b).unwrap();
        assert_eq!(a.subtype(), ActionSubtype::Unknown(0x80));
        let mut out = [0xA5u8; 6];
        assert_eq!(a.emit_bytes(&mut out), Ok(6));
        assert_eq!(out, b);
    }
}
