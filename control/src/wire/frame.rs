//! One entry point for received frames: [`Frame::parse`] reads the frame control and hands the
//! bytes to the right `Repr`; frames this gateway does not model (other kinds, 4-address or
//! +HTC data) stay raw in [`Frame::Other`] so they can be logged, counted or forwarded.

use super::mac::{FrameControl, FrameKind};
use super::{ack, data, mgmt, s1g_beacon, Error, Result};

/// Any frame, without FCS (use [`super::mac::strip_fcs`] on PSDUs first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// S1G beacon.
    S1gBeacon(s1g_beacon::Repr),
    /// Probe request.
    ProbeRequest(mgmt::ProbeRequestRepr),
    /// Probe response.
    ProbeResponse(mgmt::ProbeResponseRepr),
    /// Authentication.
    Authentication(mgmt::AuthenticationRepr),
    /// Association request.
    AssociationRequest(mgmt::AssociationRequestRepr),
    /// Association response.
    AssociationResponse(mgmt::AssociationResponseRepr),
    /// Action.
    Action(mgmt::ActionRepr),
    /// Data (plain, QoS, null).
    Data(data::Repr),
    /// ACK.
    Ack(ack::Repr),
    /// Deauthentication.
    Deauthentication(mgmt::DeauthenticationRepr),
    /// Disassociation.
    Disassociation(mgmt::DisassociationRepr),
    /// A protocol-version-0 frame not modelled here, raw (at least the 2 FC bytes).
    Other(Vec<u8>),
}

impl Frame {
    /// Parses a frame without FCS: `Truncated` under 2 bytes, `Unsupported` for protocol
    /// version ≠ 0, otherwise the error of the frame's own parser.
    pub fn parse(frame: &[u8]) -> Result<Frame> {
        let fc = FrameControl::read(frame)?;
        if fc.version() != FrameControl::VERSION {
            return Err(Error::Unsupported);
        }
        let m = || mgmt::Packet::new_checked(frame);
        Ok(match fc.kind() {
            FrameKind::S1gBeacon => Frame::S1gBeacon(s1g_beacon::Repr::parse(
                &s1g_beacon::Packet::new_checked(frame)?,
            )?),
            FrameKind::ProbeRequest => Frame::ProbeRequest(mgmt::ProbeRequestRepr::parse(&m()?)?),
            FrameKind::ProbeResponse => {
                Frame::ProbeResponse(mgmt::ProbeResponseRepr::parse(&m()?)?)
            }
            FrameKind::Authentication => {
                Frame::Authentication(mgmt::AuthenticationRepr::parse(&m()?)?)
            }
            FrameKind::AssociationRequest => {
                Frame::AssociationRequest(mgmt::AssociationRequestRepr::parse(&m()?)?)
            }
            FrameKind::AssociationResponse => {
                Frame::AssociationResponse(mgmt::AssociationResponseRepr::parse(&m()?)?)
            }
            FrameKind::Action => Frame::Action(mgmt::ActionRepr::parse(&m()?)?),
            FrameKind::Deauthentication => {
                Frame::Deauthentication(mgmt::DeauthenticationRepr::parse(&m()?)?)
            }
            FrameKind::Disassociation => {
                Frame::Disassociation(mgmt::DisassociationRepr::parse(&m()?)?)
            }
            FrameKind::Ack => Frame::Ack(ack::Repr::parse(&ack::Packet::new_checked(frame)?)?),
            FrameKind::Data | FrameKind::QosData | FrameKind::Null | FrameKind::QosNull => {
                match data::Repr::parse(&data::Packet::new_checked(frame)?) {
                    Ok(r) => Frame::Data(r),
                    Err(Error::Unsupported) => Frame::Other(frame.to_vec()),
                    Err(e) => return Err(e),
                }
            }
            _ => Frame::Other(frame.to_vec()),
        })
    }

    /// The frame kind (type and subtype) it is sent as.
    pub fn kind(&self) -> FrameKind {
        match self {
            Frame::S1gBeacon(_) => FrameKind::S1gBeacon,
            Frame::ProbeRequest(_) => FrameKind::ProbeRequest,
            Frame::ProbeResponse(_) => FrameKind::ProbeResponse,
            Frame::Authentication(_) => FrameKind::Authentication,
            Frame::AssociationRequest(_) => FrameKind::AssociationRequest,
            Frame::AssociationResponse(_) => FrameKind::AssociationResponse,
            Frame::Action(_) => FrameKind::Action,
            Frame::Data(r) => r.kind(),
            Frame::Ack(_) => FrameKind::Ack,
            Frame::Deauthentication(_) => FrameKind::Deauthentication,
            Frame::Disassociation(_) => FrameKind::Disassociation,
            Frame::Other(b) => FrameControl::read(b).map_or(FrameKind::Unknown(0xFF), |f| f.kind()),
        }
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        match self {
            Frame::S1gBeacon(r) => r.buffer_len(),
            Frame::ProbeRequest(r) => r.buffer_len(),
            Frame::ProbeResponse(r) => r.buffer_len(),
            Frame::Authentication(r) => r.buffer_len(),
            Frame::AssociationRequest(r) => r.buffer_len(),
            Frame::AssociationResponse(r) => r.buffer_len(),
            Frame::Action(r) => r.buffer_len(),
            Frame::Data(r) => r.buffer_len(),
            Frame::Ack(r) => r.buffer_len(),
            Frame::Deauthentication(r) => r.buffer_len(),
            Frame::Disassociation(r) => r.buffer_len(),
            Frame::Other(b) => b.len(),
        }
    }

    /// Writes the frame into `buf`, which must be exactly `buffer_len()` bytes.
    pub fn emit(&self, buf: &mut [u8]) {
        match self {
            Frame::S1gBeacon(r) => r.emit(&mut s1g_beacon::Packet::new_unchecked(buf)),
            Frame::ProbeRequest(r) => r.emit(&mut mgmt::Packet::new_unchecked(buf)),
            Frame::ProbeResponse(r) => r.emit(&mut mgmt::Packet::new_unchecked(buf)),
            Frame::Authentication(r) => r.emit(&mut mgmt::Packet::new_unchecked(buf)),
            Frame::AssociationRequest(r) => r.emit(&mut mgmt::Packet::new_unchecked(buf)),
            Frame::AssociationResponse(r) => r.emit(&mut mgmt::Packet::new_unchecked(buf)),
            Frame::Action(r) => r.emit(&mut mgmt::Packet::new_unchecked(buf)),
            Frame::Data(r) => r.emit(&mut data::Packet::new_unchecked(buf)),
            Frame::Ack(r) => r.emit(&mut ack::Packet::new_unchecked(buf)),
            Frame::Deauthentication(r) => r.emit(&mut mgmt::Packet::new_unchecked(buf)),
            Frame::Disassociation(r) => r.emit(&mut mgmt::Packet::new_unchecked(buf)),
            Frame::Other(b) => buf.copy_from_slice(b),
        }
    }

    /// The frame as bytes (without FCS).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.buffer_len()];
        self.emit(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::super::mac::{strip_fcs, with_fcs};
    use super::*;

    // ACK to 02:00:00:00:10:0a, then an RTS (not modelled -> Other).
    static ACK: [u8; 10] = [0xD4, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10, 0x0A];
    static RTS: [u8; 16] = [
        0xB4, 0x00, 0x00, 0x01, 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0x10, 0x0A,
    ];

    #[test]
    fn dispatch_and_round_trip() {
        let f = Frame::parse(&ACK).expect("ack");
        assert!(matches!(f, Frame::Ack(_)));
        assert_eq!(f.kind(), FrameKind::Ack);
        let mut buf = [0xA5u8; 10];
        f.emit(&mut buf);
        assert_eq!(buf, ACK);
        let o = Frame::parse(&RTS).expect("rts");
        assert_eq!(o, Frame::Other(RTS.to_vec()));
        assert_eq!(o.kind(), FrameKind::Rts);
        assert_eq!(o.to_bytes(), RTS);
    }

    #[test]
    fn psdu_with_fcs() {
        let psdu = with_fcs(&ACK);
        let f = strip_fcs(&psdu).and_then(Frame::parse);
        assert!(matches!(f, Ok(Frame::Ack(_))));
        let mut bad = psdu;
        bad[0] ^= 0x10;
        assert_eq!(
            strip_fcs(&bad).and_then(Frame::parse),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn parse_truncated_and_bad_version() {
        assert_eq!(Frame::parse(&[0xD4]), Err(Error::Truncated));
        assert_eq!(Frame::parse(&ACK[..9]), Err(Error::Truncated));
        let mut b = ACK;
        b[0] |= 0x01;
        assert_eq!(Frame::parse(&b), Err(Error::Unsupported));
    }
}
