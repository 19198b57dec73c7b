//! "SID not supported" element (probe response, association response): the gateway tells a
//! terminal which of its SIDs it refuses and why, so the terminal looks for another access
//! point instead of retrying (seed patent: "indication information indicating that the M2M
//! service corresponding to the first service identifier is not supported").
//!
//! | offset | size | field  | meaning                                             |
//! |--------|------|--------|-----------------------------------------------------|
//! | 0      | 1    | reason | [`NotSupportedReason`], for every SID that follows  |
//! | 1      | …    | SIDs   | one or more SID TLVs, echoed from the request       |
//!
//! SIDs refused for different reasons go in separate elements.

use crate::wire::{Error, Result};

use super::sid::{emit_sids, parse_sids, sids_len, Sid};

crate::enum_with_unknown! {
    /// Why the gateway refuses a SID.
    pub enum NotSupportedReason(u8) {
        /// No reason given.
        Unspecified = 0,
        /// This gateway does not serve the service (no SID matches, by equality or
        /// configured correspondence).
        NotServed = 1,
        /// The M2M server (or AAA server) refused the registration.
        RegistrationRefused = 2,
        /// The M2M server could not be reached; try later.
        ServerUnreachable = 3,
        /// No AID or report window is free for another terminal of this service.
        CapacityExhausted = 4,
    }
}

mod field {
    /// Reason code.
    pub const REASON: usize = 0;
    /// Start of the SIDs.
    pub const SIDS: usize = 1;
}

/// Zero-copy view of a "SID not supported" payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` without the reason byte (the SIDs are checked by [`Repr::parse`]).
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < field::SIDS {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Reason code.
    pub fn reason(&self) -> NotSupportedReason {
        NotSupportedReason::from(self.buffer.as_ref()[field::REASON])
    }

    /// The SID TLV bytes.
    pub fn sids(&self) -> &[u8] {
        &self.buffer.as_ref()[field::SIDS..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the reason code.
    pub fn set_reason(&mut self, v: NotSupportedReason) {
        self.buffer.as_mut()[field::REASON] = v.into();
    }

    /// The SID TLV bytes, mutable.
    pub fn sids_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::SIDS..]
    }
}

/// "SID not supported", owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Why.
    pub reason: NotSupportedReason,
    /// The refused SIDs (at least one).
    pub sids: Vec<Sid>,
}

impl Repr {
    /// Parses a payload. `Truncated` without the reason or inside a SID, `Malformed` with no
    /// SID or an invalid one.
    pub fn parse(buf: &[u8]) -> Result<Repr> {
        let p = Packet::new_checked(buf)?;
        Ok(Repr {
            reason: p.reason(),
            sids: parse_sids(p.sids())?,
        })
    }

    /// Bytes of the emitted payload.
    pub fn buffer_len(&self) -> usize {
        field::SIDS + sids_len(&self.sids)
    }

    /// Writes the payload into `buf` (at least `buffer_len()` bytes).
    pub fn emit(&self, buf: &mut [u8]) {
        let mut p = Packet::new_unchecked(buf);
        p.set_reason(self.reason);
        emit_sids(&self.sids, p.sids_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PAYLOAD: [u8; 17] = [
        0x01, // reason: not served
        0x01, 0x05, b'a', b'c', b'm', b'e', b'x', // user "acmex"
        0x02, 0x04, 192, 0, 2, 1, // server 192.0.2.1
        0x06, 0x01, b'g', // service "g"
    ];

    #[test]
    fn deconstruct_construct() {
        let p = Packet::new_checked(&PAYLOAD[..]).unwrap();
        assert_eq!(p.reason(), NotSupportedReason::NotServed);
        assert_eq!(p.sids(), &PAYLOAD[1..]);
        let mut buf = [0xA5u8; 17];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        p.set_reason(NotSupportedReason::NotServed);
        p.sids_mut().copy_from_slice(&PAYLOAD[1..]);
        assert_eq!(buf, PAYLOAD);
    }

    #[test]
    fn parse_emit() {
        let r = Repr::parse(&PAYLOAD).unwrap();
        assert_eq!(
            r,
            Repr {
                reason: NotSupportedReason::NotServed,
                sids: vec![
                    "user:acmex".parse().unwrap(),
                    "server:192.0.2.1".parse().unwrap(),
                    "service:g".parse().unwrap(),
                ]
            }
        );
        let mut buf = [0xA5u8; 17];
        assert_eq!(r.buffer_len(), 17);
        r.emit(&mut buf);
        assert_eq!(buf, PAYLOAD);
    }

    #[test]
    fn unknown_reason_kept() {
        let mut b = PAYLOAD;
        b[0] = 0xEE;
        let r = Repr::parse(&b).unwrap();
        assert_eq!(r.reason, NotSupportedReason::Unknown(0xEE));
        let mut out = [0xA5u8; 17];
        r.emit(&mut out);
        assert_eq!(out, b);
    }

    #[test]
    fn parse_truncated() {
        assert_eq!(Repr::parse(&[]), Err(Error::Truncated));
        assert_eq!(Repr::parse(&PAYLOAD[..16]), Err(Error::Truncated));
    }

    #[test]
    fn parse_no_sid() {
        assert_eq!(Repr::parse(&PAYLOAD[..1]), Err(Error::Malformed));
    }

    #[test]
    fn parse_bad_sid() {
        let mut b = PAYLOAD;
        b[15] = 0x05; // the service SID claims 5 bytes: cut short
        assert_eq!(Repr::parse(&b), Err(Error::Truncated));
        let mut b = PAYLOAD;
        b[8] = 0x05; // terminal id with 4 bytes
        assert_eq!(Repr::parse(&b), Err(Error::Malformed));
    }
}
