//! Peripheral groups on the air (seed 001, docs/protocol.md §3.8): the group a terminal was
//! pre-allocated to and the state it starts in (an element of its configuration), the wake
//! indication of the beacon (the groups whose standby members are to wake), and a group
//! service request with its acknowledgement (action frames).
//!
//! Group assignment (element type 7), 3 bytes:
//!
//! | offset | size | field    | meaning                                                  |
//! |--------|------|----------|----------------------------------------------------------|
//! | 0      | 2    | group    | group id (LE), 1..=65535                                  |
//! | 2      | 1    | flags    | bit 0: starts in standby; bit 1: wakes at its next slot (else by the beacon's wake indication); bits 2–7 reserved (0) |
//!
//! Wake indication (element type 8): 1..=125 group ids, 2 bytes each (LE).
//!
//! Group request (action subtype 6): group (2, LE) · request id (4, LE) · payload (rest, ≤
//! [`MAX_GROUP_PAYLOAD`]). Group ack (action subtype 7): group (2) · request id (4).

use crate::wire::{check_exact, read_u16, read_u32, Error, Result};

/// Largest group-request payload, bytes.
pub const MAX_GROUP_PAYLOAD: usize = 1024;
/// Most group ids in one wake indication (250 bytes of payload).
pub const MAX_WAKE_GROUPS: usize = 125;

const ASSIGNMENT_LEN: usize = 3;
const FLAG_STANDBY: u8 = 0x01;
const FLAG_NEXT_SLOT: u8 = 0x02;
const REQUEST_HEADER_LEN: usize = 6;

/// How a standby member learns it is to wake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WakeMode {
    /// It listens to every beacon; the wake indication names its group.
    Tim,
    /// It listens only to the beacon after its own report slot (less energy, later wake).
    NextSlot,
}

/// A terminal's group and initial state, sent with its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssignmentRepr {
    /// Group id.
    pub group: u16,
    /// Starts in standby (no reports; wakes for group requests).
    pub standby: bool,
    /// How it is woken.
    pub wake: WakeMode,
}

impl AssignmentRepr {
    /// Parses the 3-byte payload: `Malformed` for group 0 or reserved flag bits set.
    pub fn parse(p: &[u8]) -> Result<AssignmentRepr> {
        check_exact(p.len(), ASSIGNMENT_LEN)?;
        let group = read_u16(&p[0..2]);
        let flags = p[2];
        if group == 0 || flags & !(FLAG_STANDBY | FLAG_NEXT_SLOT) != 0 {
            return Err(Error::Malformed);
        }
        Ok(AssignmentRepr {
            group,
            standby: flags & FLAG_STANDBY != 0,
            wake: if flags & FLAG_NEXT_SLOT != 0 {
                WakeMode::NextSlot
            } else {
                WakeMode::Tim
            },
        })
    }

    /// Payload bytes.
    pub const fn buffer_len(&self) -> usize {
        ASSIGNMENT_LEN
    }

    /// Writes the payload into exactly `buffer_len()` bytes.
    pub fn emit(&self, p: &mut [u8]) {
        p[0..2].copy_from_slice(&self.group.to_le_bytes());
        let mut flags = 0;
        if self.standby {
            flags |= FLAG_STANDBY;
        }
        if self.wake == WakeMode::NextSlot {
            flags |= FLAG_NEXT_SLOT;
        }
        p[2] = flags;
    }
}

/// The groups whose standby members are to wake (in the beacon).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WakeRepr {
    /// Group ids, 1..=[`MAX_WAKE_GROUPS`] of them.
    pub groups: Vec<u16>,
}

impl WakeRepr {
    /// Parses the payload: `Truncated` when empty or of odd length, `Malformed` for group 0,
    /// `Oversized` beyond [`MAX_WAKE_GROUPS`].
    pub fn parse(p: &[u8]) -> Result<WakeRepr> {
        if p.is_empty() || !p.len().is_multiple_of(2) {
            return Err(Error::Truncated);
        }
        if p.len() / 2 > MAX_WAKE_GROUPS {
            return Err(Error::Oversized);
        }
        let groups: Vec<u16> = p.chunks_exact(2).map(read_u16).collect();
        if groups.contains(&0) {
            return Err(Error::Malformed);
        }
        Ok(WakeRepr { groups })
    }

    /// Payload bytes.
    pub fn buffer_len(&self) -> usize {
        2 * self.groups.len()
    }

    /// Writes the payload into exactly `buffer_len()` bytes.
    pub fn emit(&self, p: &mut [u8]) {
        for (out, g) in p.chunks_exact_mut(2).zip(&self.groups) {
            out.copy_from_slice(&g.to_le_bytes());
        }
    }
}

/// A group service request to one member (unicast) or all (group-addressed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestRepr {
    /// Group id.
    pub group: u16,
    /// Request id (the gateway's; the member delivers each id once).
    pub request: u32,
    /// What the M2M application sends the group.
    pub payload: Vec<u8>,
}

impl RequestRepr {
    /// Parses the payload: `Truncated` under 6 bytes, `Oversized` beyond the payload limit,
    /// `Malformed` for group 0.
    pub fn parse(p: &[u8]) -> Result<RequestRepr> {
        if p.len() < REQUEST_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if p.len() - REQUEST_HEADER_LEN > MAX_GROUP_PAYLOAD {
            return Err(Error::Oversized);
        }
        let group = read_u16(&p[0..2]);
        if group == 0 {
            return Err(Error::Malformed);
        }
        Ok(RequestRepr {
            group,
            request: read_u32(&p[2..6]),
            payload: p[REQUEST_HEADER_LEN..].to_vec(),
        })
    }

    /// Payload bytes.
    pub fn buffer_len(&self) -> usize {
        REQUEST_HEADER_LEN + self.payload.len()
    }

    /// Writes the payload into exactly `buffer_len()` bytes.
    pub fn emit(&self, p: &mut [u8]) {
        p[0..2].copy_from_slice(&self.group.to_le_bytes());
        p[2..6].copy_from_slice(&self.request.to_le_bytes());
        p[REQUEST_HEADER_LEN..].copy_from_slice(&self.payload);
    }
}

/// A member's acknowledgement of a group request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AckRepr {
    /// Group id.
    pub group: u16,
    /// Request id.
    pub request: u32,
}

impl AckRepr {
    /// Parses the 6-byte payload.
    pub fn parse(p: &[u8]) -> Result<AckRepr> {
        check_exact(p.len(), REQUEST_HEADER_LEN)?;
        let group = read_u16(&p[0..2]);
        if group == 0 {
            return Err(Error::Malformed);
        }
        Ok(AckRepr {
            group,
            request: read_u32(&p[2..6]),
        })
    }

    /// Payload bytes.
    pub const fn buffer_len(&self) -> usize {
        REQUEST_HEADER_LEN
    }

    /// Writes the payload into exactly `buffer_len()` bytes.
    pub fn emit(&self, p: &mut [u8]) {
        p[0..2].copy_from_slice(&self.group.to_le_bytes());
        p[2..6].copy_from_slice(&self.request.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static ASSIGNMENT: [u8; 3] = [0x34, 0x12, 0x03]; // group 0x1234, standby, next slot
    static WAKE: [u8; 4] = [0x01, 0x00, 0xFF, 0xFF]; // groups 1 and 65535
    static REQUEST: [u8; 9] = [0x07, 0x00, 0x2A, 0x00, 0x00, 0x00, b'o', b'f', b'f']; // group 7, request 42, "off"
    static ACK: [u8; 6] = [0x07, 0x00, 0x2A, 0x00, 0x00, 0x00];

    #[test]
    fn assignment_parse_emit() {
        let a = AssignmentRepr::parse(&ASSIGNMENT).unwrap();
        assert_eq!(
            a,
            AssignmentRepr {
                group: 0x1234,
                standby: true,
                wake: WakeMode::NextSlot
            }
        );
        let mut buf = [0u8; 3];
        a.emit(&mut buf);
        assert_eq!(buf, ASSIGNMENT);
        assert_eq!(AssignmentRepr::parse(&[0, 0, 0]), Err(Error::Malformed));
        assert_eq!(AssignmentRepr::parse(&[1, 0, 4]), Err(Error::Malformed));
        assert!(AssignmentRepr::parse(&ASSIGNMENT[..2]).is_err());
    }

    #[test]
    fn wake_parse_emit() {
        let w = WakeRepr::parse(&WAKE).unwrap();
        assert_eq!(w.groups, vec![1, 65535]);
        let mut buf = [0u8; 4];
        w.emit(&mut buf);
        assert_eq!(buf, WAKE);
        assert_eq!(WakeRepr::parse(&[]), Err(Error::Truncated));
        assert_eq!(WakeRepr::parse(&WAKE[..3]), Err(Error::Truncated));
        assert_eq!(WakeRepr::parse(&[0, 0]), Err(Error::Malformed));
        assert_eq!(WakeRepr::parse(&[1u8; 252]), Err(Error::Oversized));
    }

    #[test]
    fn request_and_ack_parse_emit() {
        let r = RequestRepr::parse(&REQUEST).unwrap();
        assert_eq!((r.group, r.request, &r.payload[..]), (7, 42, &b"off"[..]));
        let mut buf = vec![0u8; r.buffer_len()];
        r.emit(&mut buf);
        assert_eq!(buf, REQUEST);
        let a = AckRepr::parse(&ACK).unwrap();
        assert_eq!((a.group, a.request), (7, 42));
        let mut buf = [0u8; 6];
        a.emit(&mut buf);
        assert_eq!(buf, ACK);
        assert_eq!(RequestRepr::parse(&REQUEST[..5]), Err(Error::Truncated));
        assert_eq!(
            RequestRepr::parse(&vec![1u8; 6 + MAX_GROUP_PAYLOAD + 1]),
            Err(Error::Oversized)
        );
        assert!(AckRepr::parse(&REQUEST).is_err());
    }
}
