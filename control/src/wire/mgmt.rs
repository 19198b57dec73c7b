//! Management frames the gateway exchanges with terminals: probe request/response,
//! authentication (open system), association request/response, action, deauthentication and
//! disassociation. All use the 3-address header ([`super::mac::Header`]); the body layouts
//! (802.11-2020 9.3.3) are named ranges in the `field` modules below, relative to the body.

use super::ie::{self, Ie};
use super::mac::{get_u16, FrameKind, Header, HeaderRepr, HEADER_LEN};
use super::{ElementId, Error, Result};

crate::enum_with_unknown! {
    /// Status code (802.11-2020 Table 9-50; hostapd `WLAN_STATUS_*`). The gateway refuses an
    /// association with one of these when registration fails.
    pub enum StatusCode(u16) {
        /// Successful.
        Success = 0,
        /// Unspecified failure.
        UnspecifiedFailure = 1,
        /// Security disabled.
        SecurityDisabled = 5,
        /// Capabilities unsupported.
        CapabilitiesUnsupported = 10,
        /// Reassociation denied: no association exists.
        ReassociationNoAssociation = 11,
        /// Association denied for a reason outside the standard (e.g. registration refused).
        AssociationDeniedUnspecified = 12,
        /// Authentication algorithm not supported.
        AuthAlgorithmNotSupported = 13,
        /// Authentication transaction sequence number out of sequence.
        UnknownAuthTransaction = 14,
        /// Challenge failure.
        ChallengeFailure = 15,
        /// Authentication timeout.
        AuthTimeout = 16,
        /// AP unable to handle additional stations (refused: no AID or no slot left).
        ApUnableToHandleNewSta = 17,
        /// Basic rates not supported.
        AssociationDeniedRates = 18,
        /// Association rejected temporarily; try again later.
        RejectedTemporarily = 30,
        /// Robust management frame policy violation.
        RobustMgmtPolicyViolation = 31,
        /// Request declined.
        RequestDeclined = 37,
        /// Invalid parameters.
        InvalidParameters = 38,
        /// Invalid element (e.g. a malformed SID element).
        InvalidElement = 40,
        /// Invalid group cipher.
        InvalidGroupCipher = 41,
        /// Invalid pairwise cipher.
        InvalidPairwiseCipher = 42,
        /// Invalid AKMP.
        InvalidAkmp = 43,
        /// Unsupported RSNE version.
        UnsupportedRsneVersion = 44,
        /// Invalid RSNE capabilities.
        InvalidRsneCapabilities = 45,
        /// Cipher suite rejected by policy.
        CipherRejectedPerPolicy = 46,
    }
}

crate::enum_with_unknown! {
    /// Reason code of deauthentication/disassociation (802.11-2020 Table 9-49).
    pub enum ReasonCode(u16) {
        /// Unspecified.
        Unspecified = 1,
        /// Previous authentication no longer valid.
        PrevAuthNotValid = 2,
        /// Deauthenticated because the sender is leaving.
        Leaving = 3,
        /// Disassociated due to inactivity.
        Inactivity = 4,
        /// AP unable to handle all associated stations.
        ApBusy = 5,
        /// Class 2 frame from a non-authenticated station.
        Class2FromNonAuth = 6,
        /// Class 3 frame from a non-associated station.
        Class3FromNonAssoc = 7,
        /// Station has left the BSS.
        StaHasLeft = 8,
        /// Association request without authentication.
        AssocWithoutAuth = 9,
        /// Invalid element.
        InvalidElement = 13,
        /// MIC failure.
        MicFailure = 14,
        /// 4-way handshake timeout.
        FourWayHandshakeTimeout = 15,
        /// Group key handshake timeout.
        GroupKeyTimeout = 16,
        /// 802.1X authentication failed.
        Ieee8021xAuthFailed = 23,
    }
}

crate::enum_with_unknown! {
    /// Authentication algorithm number (802.11-2020 9.4.1.1).
    pub enum AuthAlgorithm(u16) {
        /// Open system (what S1G terminals use before the 4-way handshake).
        OpenSystem = 0,
        /// Shared key (WEP).
        SharedKey = 1,
        /// Fast BSS transition.
        FastTransition = 2,
        /// SAE.
        Sae = 3,
    }
}

crate::enum_with_unknown! {
    /// Action frame category (802.11-2024 Table 9-81; 22/23 per the 2024 table, Linux's
    /// `WLAN_CATEGORY_S1G = 22` names the unprotected one).
    pub enum ActionCategory(u8) {
        /// Spectrum management.
        SpectrumManagement = 0,
        /// QoS.
        Qos = 1,
        /// Block ack.
        BlockAck = 3,
        /// Public.
        Public = 4,
        /// Radio measurement.
        RadioMeasurement = 5,
        /// HT.
        Ht = 7,
        /// SA query.
        SaQuery = 8,
        /// WNM.
        Wnm = 10,
        /// Unprotected WNM.
        UnprotectedWnm = 11,
        /// Self protected.
        SelfProtected = 15,
        /// VHT.
        Vht = 21,
        /// Unprotected S1G.
        UnprotectedS1g = 22,
        /// S1G.
        S1g = 23,
        /// Vendor specific, protected.
        VendorSpecificProtected = 126,
        /// Vendor specific (OUI first; M2M action frames use this).
        VendorSpecific = 127,
    }
}

/// Capability information bits (802.11-2020 9.4.1.4) the gateway sets or checks.
pub mod capability {
    /// ESS: sent by an AP.
    pub const ESS: u16 = 0x0001;
    /// Privacy: RSN required.
    pub const PRIVACY: u16 = 0x0010;
}

mod field {
    use crate::wire::Field;
    // Probe response (and beacon) fixed fields.
    pub const TIMESTAMP: Field = 0..8;
    pub const BEACON_INTERVAL: Field = 8..10;
    pub const PROBE_CAPABILITY: Field = 10..12;
    pub const PROBE_RESP_FIXED: usize = PROBE_CAPABILITY.end;
    // Authentication.
    pub const AUTH_ALGORITHM: Field = 0..2;
    pub const AUTH_SEQ: Field = 2..4;
    pub const AUTH_STATUS: Field = 4..6;
    pub const AUTH_FIXED: usize = AUTH_STATUS.end;
    // Association request.
    pub const ASSOC_CAPABILITY: Field = 0..2;
    pub const LISTEN_INTERVAL: Field = 2..4;
    pub const ASSOC_REQ_FIXED: usize = LISTEN_INTERVAL.end;
    // S1G association response (no AID field).
    pub const ASSOC_STATUS: Field = 2..4;
    pub const ASSOC_RESP_FIXED: usize = ASSOC_STATUS.end;
    // Action.
    pub const CATEGORY: usize = 0;
    pub const ACTION_FIXED: usize = CATEGORY + 1;
    // Deauthentication / disassociation.
    pub const REASON: Field = 0..2;
    pub const REASON_FIXED: usize = REASON.end;
}

/// Zero-copy view of a management frame (without FCS): the 3-address header and the body.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    header: Header<T>,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet {
            header: Header::new_unchecked(buffer),
        }
    }

    /// Wraps a buffer holding at least the header. Body fields are checked by each `Repr`.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        Ok(Packet {
            header: Header::new_checked(buffer)?,
        })
    }

    /// The header view.
    pub fn header(&self) -> &Header<T> {
        &self.header
    }

    /// Frame body (after the header).
    pub fn body(&self) -> &[u8] {
        self.header.payload()
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.header.into_inner()
    }

    fn check(&self, kind: FrameKind, fixed: usize) -> Result<(HeaderRepr, &[u8])> {
        let h = HeaderRepr::parse(&self.header)?;
        if self.header.frame_control().kind() != kind {
            return Err(Error::Malformed);
        }
        let body = self.body();
        if body.len() < fixed {
            return Err(Error::Truncated);
        }
        Ok((h, body))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// The header view, writable.
    pub fn header_mut(&mut self) -> &mut Header<T> {
        &mut self.header
    }

    /// Frame body, writable.
    pub fn body_mut(&mut self) -> &mut [u8] {
        self.header.payload_mut()
    }

    fn start(&mut self, kind: FrameKind, h: &HeaderRepr) -> &mut [u8] {
        h.emit(kind, &mut self.header);
        self.header.payload_mut()
    }
}

fn put_u16(body: &mut [u8], f: crate::wire::Field, v: u16) {
    body[f].copy_from_slice(&v.to_le_bytes())
}

/// Probe request: a terminal looking for a gateway; the SID element rides in `elements`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRequestRepr {
    /// Header (addr1 DA, usually broadcast; addr2 terminal; addr3 BSSID or broadcast).
    pub header: HeaderRepr,
    /// Elements (SSID, M2M SID, ...).
    pub elements: Vec<Ie>,
}

impl ProbeRequestRepr {
    /// Parses a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Self> {
        let (header, body) = p.check(FrameKind::ProbeRequest, 0)?;
        Ok(ProbeRequestRepr {
            header,
            elements: ie::parse_list(body)?,
        })
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + ie::list_len(&self.elements)
    }

    /// Writes the frame into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        let body = p.start(FrameKind::ProbeRequest, &self.header);
        ie::emit_list(&self.elements, body);
    }
}

/// Probe response: the gateway answering a probe whose SID it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResponseRepr {
    /// Header.
    pub header: HeaderRepr,
    /// TSF (µs).
    pub timestamp: u64,
    /// Beacon interval (TU).
    pub beacon_interval: u16,
    /// Capability information.
    pub capability: u16,
    /// Elements.
    pub elements: Vec<Ie>,
}

impl ProbeResponseRepr {
    /// Parses a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Self> {
        let (header, body) = p.check(FrameKind::ProbeResponse, field::PROBE_RESP_FIXED)?;
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&body[field::TIMESTAMP]);
        Ok(ProbeResponseRepr {
            header,
            timestamp: u64::from_le_bytes(ts),
            beacon_interval: get_u16(body, field::BEACON_INTERVAL)?,
            capability: get_u16(body, field::PROBE_CAPABILITY)?,
            elements: ie::parse_list(&body[field::PROBE_RESP_FIXED..])?,
        })
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + field::PROBE_RESP_FIXED + ie::list_len(&self.elements)
    }

    /// Writes the frame into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        let body = p.start(FrameKind::ProbeResponse, &self.header);
        body[field::TIMESTAMP].copy_from_slice(&self.timestamp.to_le_bytes());
        put_u16(body, field::BEACON_INTERVAL, self.beacon_interval);
        put_u16(body, field::PROBE_CAPABILITY, self.capability);
        ie::emit_list(&self.elements, &mut body[field::PROBE_RESP_FIXED..]);
    }
}

/// Authentication frame (open system: transaction 1 from the terminal, 2 back with status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationRepr {
    /// Header.
    pub header: HeaderRepr,
    /// Algorithm.
    pub algorithm: AuthAlgorithm,
    /// Transaction sequence number.
    pub transaction_seq: u16,
    /// Status (Success in requests).
    pub status: StatusCode,
    /// Elements (none for open system, kept if present).
    pub elements: Vec<Ie>,
}

impl AuthenticationRepr {
    /// Parses a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Self> {
        let (header, body) = p.check(FrameKind::Authentication, field::AUTH_FIXED)?;
        Ok(AuthenticationRepr {
            header,
            algorithm: get_u16(body, field::AUTH_ALGORITHM)?.into(),
            transaction_seq: get_u16(body, field::AUTH_SEQ)?,
            status: get_u16(body, field::AUTH_STATUS)?.into(),
            elements: ie::parse_list(&body[field::AUTH_FIXED..])?,
        })
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + field::AUTH_FIXED + ie::list_len(&self.elements)
    }

    /// Writes the frame into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        let body = p.start(FrameKind::Authentication, &self.header);
        put_u16(body, field::AUTH_ALGORITHM, self.algorithm.into());
        put_u16(body, field::AUTH_SEQ, self.transaction_seq);
        put_u16(body, field::AUTH_STATUS, self.status.into());
        ie::emit_list(&self.elements, &mut body[field::AUTH_FIXED..]);
    }
}

/// Association request: carries the terminal's SID and registration indication elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationRequestRepr {
    /// Header.
    pub header: HeaderRepr,
    /// Capability information.
    pub capability: u16,
    /// Listen interval (beacon intervals; S1G: 2-bit scale + 14-bit value, kept raw).
    pub listen_interval: u16,
    /// Elements.
    pub elements: Vec<Ie>,
}

impl AssociationRequestRepr {
    /// Parses a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Self> {
        let (header, body) = p.check(FrameKind::AssociationRequest, field::ASSOC_REQ_FIXED)?;
        Ok(AssociationRequestRepr {
            header,
            capability: get_u16(body, field::ASSOC_CAPABILITY)?,
            listen_interval: get_u16(body, field::LISTEN_INTERVAL)?,
            elements: ie::parse_list(&body[field::ASSOC_REQ_FIXED..])?,
        })
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + field::ASSOC_REQ_FIXED + ie::list_len(&self.elements)
    }

    /// Writes the frame into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        let body = p.start(FrameKind::AssociationRequest, &self.header);
        put_u16(body, field::ASSOC_CAPABILITY, self.capability);
        put_u16(body, field::LISTEN_INTERVAL, self.listen_interval);
        ie::emit_list(&self.elements, &mut body[field::ASSOC_REQ_FIXED..]);
    }
}

/// AID Response element body (id 211, 802.11-2020 9.4.2.194; Linux
/// `struct ieee80211_aid_response_ie`): how an S1G AP gives the terminal its AID, since the
/// S1G association response has no AID field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AidResponse {
    /// AID / group AID field (AID in bits 0–12).
    pub aid: u16,
    /// AID switch count.
    pub switch_count: u8,
    /// AID response interval.
    pub response_interval: u16,
}

mod aid_resp_field {
    use crate::wire::Field;
    pub const AID: Field = 0..2;
    pub const SWITCH_COUNT: usize = 2;
    pub const RESPONSE_INTERVAL: Field = 3..5;
    pub const LEN: usize = RESPONSE_INTERVAL.end;
}

impl AidResponse {
    /// Mask of the AID bits in the AID field.
    pub const AID_MASK: u16 = 0x1FFF;

    /// Parses the element body: `Truncated` under 5 bytes, `Oversized` above.
    pub fn parse(body: &[u8]) -> Result<AidResponse> {
        if body.len() < aid_resp_field::LEN {
            return Err(Error::Truncated);
        }
        if body.len() > aid_resp_field::LEN {
            return Err(Error::Oversized);
        }
        Ok(AidResponse {
            aid: get_u16(body, aid_resp_field::AID)?,
            switch_count: body[aid_resp_field::SWITCH_COUNT],
            response_interval: get_u16(body, aid_resp_field::RESPONSE_INTERVAL)?,
        })
    }

    /// The AID (1..=8191).
    pub fn aid_value(&self) -> u16 {
        self.aid & Self::AID_MASK
    }

    /// The element carrying it.
    pub fn to_ie(&self) -> Ie {
        let mut b = [0u8; aid_resp_field::LEN];
        put_u16(&mut b, aid_resp_field::AID, self.aid);
        b[aid_resp_field::SWITCH_COUNT] = self.switch_count;
        put_u16(
            &mut b,
            aid_resp_field::RESPONSE_INTERVAL,
            self.response_interval,
        );
        Ie::fixed(ElementId::AidResponse, b)
    }
}

/// S1G association response: capability, status, then elements. Unlike the legacy frame
/// there is no AID field (Linux `u.s1g_assoc_resp`, Morse Micro, and Wireshark on an S1G
/// BSS agree): the AID travels in the AID Response element ([`AidResponse`]), the terminal's
/// configuration in our M2M elements. On refusal neither is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationResponseRepr {
    /// Header.
    pub header: HeaderRepr,
    /// Capability information.
    pub capability: u16,
    /// Status.
    pub status: StatusCode,
    /// Elements (AID Response, M2M configuration, ...).
    pub elements: Vec<Ie>,
}

impl AssociationResponseRepr {
    /// Parses a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Self> {
        let (header, body) = p.check(FrameKind::AssociationResponse, field::ASSOC_RESP_FIXED)?;
        Ok(AssociationResponseRepr {
            header,
            capability: get_u16(body, field::ASSOC_CAPABILITY)?,
            status: get_u16(body, field::ASSOC_STATUS)?.into(),
            elements: ie::parse_list(&body[field::ASSOC_RESP_FIXED..])?,
        })
    }

    /// The AID from the AID Response element, if present (`Err` if that element is malformed).
    pub fn aid(&self) -> Option<Result<u16>> {
        ie::find(&self.elements, ElementId::AidResponse)
            .map(|e| AidResponse::parse(e.body()).map(|a| a.aid_value()))
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + field::ASSOC_RESP_FIXED + ie::list_len(&self.elements)
    }

    /// Writes the frame into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        let body = p.start(FrameKind::AssociationResponse, &self.header);
        put_u16(body, field::ASSOC_CAPABILITY, self.capability);
        put_u16(body, field::ASSOC_STATUS, self.status.into());
        ie::emit_list(&self.elements, &mut body[field::ASSOC_RESP_FIXED..]);
    }
}

/// Action frame: category, then a category-specific body kept raw (M2M action frames are
/// vendor-specific: OUI first, parsed by `wire::m2m`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRepr {
    /// Header.
    pub header: HeaderRepr,
    /// Category.
    pub category: ActionCategory,
    /// Bytes after the category.
    pub body: Vec<u8>,
}

impl ActionRepr {
    /// Parses a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Self> {
        let (header, body) = p.check(FrameKind::Action, field::ACTION_FIXED)?;
        Ok(ActionRepr {
            header,
            category: body[field::CATEGORY].into(),
            body: body[field::ACTION_FIXED..].to_vec(),
        })
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + field::ACTION_FIXED + self.body.len()
    }

    /// Writes the frame into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        let body = p.start(FrameKind::Action, &self.header);
        body[field::CATEGORY] = self.category.into();
        body[field::ACTION_FIXED..].copy_from_slice(&self.body);
    }
}

/// Deauthentication (`SUBTYPE` 0xC0) or disassociation (0xA0): a reason code, then any
/// elements (vendor-specific, MME) kept raw. Use the aliases below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonRepr<const KIND: u8> {
    /// Header.
    pub header: HeaderRepr,
    /// Reason.
    pub reason: ReasonCode,
    /// Elements after the reason code.
    pub elements: Vec<Ie>,
}

/// Deauthentication: ends the authentication (and association).
pub type DeauthenticationRepr = ReasonRepr<0xC0>;
/// Disassociation: ends the association.
pub type DisassociationRepr = ReasonRepr<0xA0>;

impl<const KIND: u8> ReasonRepr<KIND> {
    /// The frame kind this alias stands for.
    pub fn kind() -> FrameKind {
        FrameKind::from(KIND)
    }

    /// Parses a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Self> {
        let (header, body) = p.check(Self::kind(), field::REASON_FIXED)?;
        Ok(ReasonRepr {
            header,
            reason: get_u16(body, field::REASON)?.into(),
            elements: ie::parse_list(&body[field::REASON_FIXED..])?,
        })
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + field::REASON_FIXED + ie::list_len(&self.elements)
    }

    /// Writes the frame into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        let body = p.start(Self::kind(), &self.header);
        put_u16(body, field::REASON, self.reason.into());
        ie::emit_list(&self.elements, &mut body[field::REASON_FIXED..]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::mac::SeqCtrl;
    use super::super::MacAddr;
    use super::*;

    const AP: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
    const STA: MacAddr = MacAddr([0x02, 0, 0, 0, 0x10, 0x0A]);

    fn hdr(a1: MacAddr, a2: MacAddr, seq: u16) -> HeaderRepr {
        HeaderRepr {
            flags: 0,
            duration: 0,
            addr1: a1,
            addr2: a2,
            addr3: AP,
            seq_ctrl: SeqCtrl::new(seq, 0),
        }
    }

    fn ssid(s: &[u8]) -> Ie {
        Ie::new(ElementId::Ssid, s.to_vec()).expect("short")
    }

    macro_rules! header_bytes {
        ($fc:expr, $a1:expr, $a2:expr, $seq_lo:expr, $seq_hi:expr) => {
            [
                $fc, 0x00, 0x00, 0x00, // FC, duration 0
                $a1[0], $a1[1], $a1[2], $a1[3], $a1[4], $a1[5], // addr1
                $a2[0], $a2[1], $a2[2], $a2[3], $a2[4], $a2[5], // addr2
                0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // addr3 = BSSID (AP)
                $seq_lo, $seq_hi, // sequence control
            ]
        };
    }

    const B: [u8; 6] = [0xFF; 6];
    const A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
    const S: [u8; 6] = [0x02, 0, 0, 0, 0x10, 0x0A];

    fn cat(h: [u8; 24], body: &[u8]) -> Vec<u8> {
        let mut v = h.to_vec();
        v.extend_from_slice(body);
        v
    }

    /// (vector, parsed repr) pairs; every one is checked both ways.
    fn vectors() -> Vec<(Vec<u8>, Frame)> {
        vec![
            (
                // Probe request, seq 1, broadcast, SSID "sg".
                cat(
                    header_bytes!(0x40, B, S, 0x10, 0x00),
                    &[0x00, 0x02, b's', b'g'],
                ),
                Frame::ProbeReq(ProbeRequestRepr {
                    header: hdr(MacAddr::BROADCAST, STA, 1),
                    elements: vec![ssid(b"sg")],
                }),
            ),
            (
                // Probe response, seq 2: TSF 0x0102030405060708, interval 100 TU,
                // capability ESS, SSID "sg".
                cat(
                    header_bytes!(0x50, S, A, 0x20, 0x00),
                    &[
                        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x64, 0x00, 0x01, 0x00,
                        0x00, 0x02, b's', b'g',
                    ],
                ),
                Frame::ProbeResp(ProbeResponseRepr {
                    header: hdr(STA, AP, 2),
                    timestamp: 0x0102_0304_0506_0708,
                    beacon_interval: 100,
                    capability: capability::ESS,
                    elements: vec![ssid(b"sg")],
                }),
            ),
            (
                // Authentication, open system, transaction 2, status 0, seq 3.
                cat(
                    header_bytes!(0xB0, S, A, 0x30, 0x00),
                    &[0x00, 0x00, 0x02, 0x00, 0x00, 0x00],
                ),
                Frame::Auth(AuthenticationRepr {
                    header: hdr(STA, AP, 3),
                    algorithm: AuthAlgorithm::OpenSystem,
                    transaction_seq: 2,
                    status: StatusCode::Success,
                    elements: vec![],
                }),
            ),
            (
                // Association request: capability 0x0000, listen interval 10, SSID "sg".
                cat(
                    header_bytes!(0x00, A, S, 0x40, 0x00),
                    &[0x00, 0x00, 0x0A, 0x00, 0x00, 0x02, b's', b'g'],
                ),
                Frame::AssocReq(AssociationRequestRepr {
                    header: hdr(AP, STA, 4),
                    capability: 0,
                    listen_interval: 10,
                    elements: vec![ssid(b"sg")],
                }),
            ),
            (
                // S1G association response: capability ESS, status 0, AID Response element
                // (211, len 5): AID 0x0123, switch count 0, response interval 0.
                cat(
                    header_bytes!(0x10, S, A, 0x50, 0x00),
                    &[
                        0x01, 0x00, 0x00, 0x00, 0xD3, 0x05, 0x23, 0x01, 0x00, 0x00, 0x00,
                    ],
                ),
                Frame::AssocResp(AssociationResponseRepr {
                    header: hdr(STA, AP, 5),
                    capability: capability::ESS,
                    status: StatusCode::Success,
                    elements: vec![AidResponse {
                        aid: 0x0123,
                        switch_count: 0,
                        response_interval: 0,
                    }
                    .to_ie()],
                }),
            ),
            (
                // Action: vendor specific (127), OUI 02:53:47, one byte 0x09.
                cat(
                    header_bytes!(0xD0, S, A, 0x60, 0x00),
                    &[0x7F, 0x02, 0x53, 0x47, 0x09],
                ),
                Frame::Action(ActionRepr {
                    header: hdr(STA, AP, 6),
                    category: ActionCategory::VendorSpecific,
                    body: vec![0x02, 0x53, 0x47, 0x09],
                }),
            ),
            (
                // Deauthentication, reason 3 (leaving).
                cat(header_bytes!(0xC0, A, S, 0x70, 0x00), &[0x03, 0x00]),
                Frame::Deauth(DeauthenticationRepr {
                    header: hdr(AP, STA, 7),
                    reason: ReasonCode::Leaving,
                    elements: vec![],
                }),
            ),
            (
                // Disassociation, reason 8 (station has left), seq 0x123 -> 0x1230.
                cat(header_bytes!(0xA0, A, S, 0x30, 0x12), &[0x08, 0x00]),
                Frame::Disassoc(DisassociationRepr {
                    header: hdr(AP, STA, 0x123),
                    reason: ReasonCode::StaHasLeft,
                    elements: vec![],
                }),
            ),
        ]
    }

    #[derive(Debug, PartialEq)]
    enum Frame {
        ProbeReq(ProbeRequestRepr),
        ProbeResp(ProbeResponseRepr),
        Auth(AuthenticationRepr),
        AssocReq(AssociationRequestRepr),
        AssocResp(AssociationResponseRepr),
        Action(ActionRepr),
        Deauth(DeauthenticationRepr),
        Disassoc(DisassociationRepr),
    }

    fn parse_as(like: &Frame, bytes: &[u8]) -> Result<Frame> {
        let p = Packet::new_checked(bytes)?;
        Ok(match like {
            Frame::ProbeReq(_) => Frame::ProbeReq(ProbeRequestRepr::parse(&p)?),
            Frame::ProbeResp(_) => Frame::ProbeResp(ProbeResponseRepr::parse(&p)?),
            Frame::Auth(_) => Frame::Auth(AuthenticationRepr::parse(&p)?),
            Frame::AssocReq(_) => Frame::AssocReq(AssociationRequestRepr::parse(&p)?),
            Frame::AssocResp(_) => Frame::AssocResp(AssociationResponseRepr::parse(&p)?),
            Frame::Action(_) => Frame::Action(ActionRepr::parse(&p)?),
            Frame::Deauth(_) => Frame::Deauth(DeauthenticationRepr::parse(&p)?),
            Frame::Disassoc(_) => Frame::Disassoc(DisassociationRepr::parse(&p)?),
        })
    }

    fn emit(f: &Frame) -> Vec<u8> {
        let len = match f {
            Frame::ProbeReq(r) => r.buffer_len(),
            Frame::ProbeResp(r) => r.buffer_len(),
            Frame::Auth(r) => r.buffer_len(),
            Frame::AssocReq(r) => r.buffer_len(),
            Frame::AssocResp(r) => r.buffer_len(),
            Frame::Action(r) => r.buffer_len(),
            Frame::Deauth(r) => r.buffer_len(),
            Frame::Disassoc(r) => r.buffer_len(),
        };
        let mut buf = vec![0xA5u8; len];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        match f {
            Frame::ProbeReq(r) => r.emit(&mut p),
            Frame::ProbeResp(r) => r.emit(&mut p),
            Frame::Auth(r) => r.emit(&mut p),
            Frame::AssocReq(r) => r.emit(&mut p),
            Frame::AssocResp(r) => r.emit(&mut p),
            Frame::Action(r) => r.emit(&mut p),
            Frame::Deauth(r) => r.emit(&mut p),
            Frame::Disassoc(r) => r.emit(&mut p),
        }
        buf
    }

    #[test]
    fn deconstruct_auth() {
        let v = &vectors()[2].0;
        let p = Packet::new_checked(&v[..]).expect("len");
        assert_eq!(p.header().frame_control().kind(), FrameKind::Authentication);
        assert_eq!(p.header().addr2(), AP);
        assert_eq!(p.body(), &[0, 0, 2, 0, 0, 0]);
    }

    #[test]
    fn parse_and_construct_every_vector() {
        for (bytes, repr) in vectors() {
            assert_eq!(parse_as(&repr, &bytes).as_ref(), Ok(&repr), "{repr:?}");
            assert_eq!(emit(&repr), bytes, "{repr:?}");
        }
    }

    #[test]
    fn parse_truncated_fixed_fields() {
        for (bytes, repr) in vectors() {
            let fixed_cut = match repr {
                Frame::ProbeReq(_) => continue,
                Frame::Action(_) => HEADER_LEN,
                _ => HEADER_LEN + 1,
            };
            assert_eq!(
                parse_as(&repr, &bytes[..fixed_cut]),
                Err(Error::Truncated),
                "{repr:?}"
            );
        }
        assert_eq!(
            Packet::new_checked(&[0x40u8; 23][..]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn parse_element_length_past_the_end() {
        let (bytes, repr) = vectors().swap_remove(3);
        assert_eq!(
            parse_as(&repr, &bytes[..bytes.len() - 1]),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn parse_bad_version() {
        let (mut bytes, repr) = vectors().swap_remove(0);
        bytes[0] |= 0x01;
        assert_eq!(parse_as(&repr, &bytes), Err(Error::Unsupported));
    }

    #[test]
    fn parse_wrong_kind() {
        let (bytes, _) = vectors().swap_remove(0);
        let p = Packet::new_checked(&bytes[..]).expect("len");
        assert_eq!(AuthenticationRepr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn assoc_response_aid() {
        let (bytes, _) = vectors().swap_remove(4);
        let p = Packet::new_checked(&bytes[..]).expect("len");
        let r = AssociationResponseRepr::parse(&p).expect("valid");
        assert_eq!(r.aid(), Some(Ok(0x123)));
        assert_eq!(AidResponse::parse(&[0x23, 0x01, 0]), Err(Error::Truncated));
        assert_eq!(AidResponse::parse(&[0; 6]), Err(Error::Oversized));
    }
}
