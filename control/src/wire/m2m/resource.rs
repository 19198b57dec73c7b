//! Resource request and response (action frames): the terminal proposes its own report
//! window and the gateway accepts it, counter-proposes the nearest free one, or rejects
//! (seed patent S1314/S1316, S2326/S2328).
//!
//! Resource request payload (subtype 1):
//!
//! | offset | size | field        | meaning                                  |
//! |--------|------|--------------|------------------------------------------|
//! | 0      | 1    | dialog token | chosen by the terminal, echoed back      |
//! | 1      | 8    | initial time | proposed TSF start, µs                   |
//! | 9      | 4    | duration     | proposed window length, µs, ≥ 1          |
//!
//! Resource response payload (subtype 2):
//!
//! | offset | size | field        | meaning                                                   |
//! |--------|------|--------------|-----------------------------------------------------------|
//! | 0      | 1    | dialog token | the request's                                             |
//! | 1      | 1    | result       | [`ResourceResult`]                                        |
//! | 2      | 17   | allocation   | service time allocation; present for accept and counter,  |
//! |        |      |              | absent for reject (either for an unknown result)          |

use crate::wire::{Error, Result};

use super::service::{TimePacket, TimeRepr, TimeWindow, TIME_LEN};
use super::{check_exact, read_u32, read_u64};

crate::enum_with_unknown! {
    /// The gateway's answer to a resource request.
    pub enum ResourceResult(u8) {
        /// The proposed window is granted (the allocation echoes it with period and channel).
        Accept = 0,
        /// The proposal collides; the allocation is the nearest free window instead.
        CounterProposal = 1,
        /// No window can be granted; keep the current allocation.
        Reject = 2,
    }
}

mod field {
    use crate::wire::Field;
    /// Request/response: dialog token.
    pub const TOKEN: usize = 0;
    /// Request: proposed initial time.
    pub const INITIAL: Field = 1..9;
    /// Request: proposed duration.
    pub const DURATION: Field = 9..13;
    /// Request: end.
    pub const REQUEST_END: usize = 13;
    /// Response: result.
    pub const RESULT: usize = 1;
    /// Response: start of the allocation.
    pub const ALLOCATION: usize = 2;
}

/// Bytes of a resource request payload.
pub const REQUEST_LEN: usize = field::REQUEST_END;
/// Bytes of a resource response payload without allocation.
pub const RESPONSE_FIXED_LEN: usize = field::ALLOCATION;

/// Zero-copy view of a resource-request payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> RequestPacket<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        RequestPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated`/`Oversized` unless exactly 13 bytes.
    pub fn check_len(&self) -> Result<()> {
        check_exact(self.buffer.as_ref().len(), REQUEST_LEN)
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Dialog token.
    pub fn dialog_token(&self) -> u8 {
        self.buffer.as_ref()[field::TOKEN]
    }

    /// Proposed initial time, TSF µs.
    pub fn initial_time(&self) -> u64 {
        read_u64(&self.buffer.as_ref()[field::INITIAL])
    }

    /// Proposed duration, µs.
    pub fn duration(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::DURATION])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> RequestPacket<T> {
    /// Sets the dialog token.
    pub fn set_dialog_token(&mut self, v: u8) {
        self.buffer.as_mut()[field::TOKEN] = v;
    }

    /// Sets the proposed initial time.
    pub fn set_initial_time(&mut self, v: u64) {
        self.buffer.as_mut()[field::INITIAL].copy_from_slice(&v.to_le_bytes());
    }

    /// Sets the proposed duration.
    pub fn set_duration(&mut self, v: u32) {
        self.buffer.as_mut()[field::DURATION].copy_from_slice(&v.to_le_bytes());
    }
}

/// Resource request, owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestRepr {
    /// Dialog token.
    pub dialog_token: u8,
    /// Proposed window.
    pub proposal: TimeWindow,
}

impl RequestRepr {
    /// Parses a checked view; `Malformed` if the proposed duration is 0.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &RequestPacket<&T>) -> Result<RequestRepr> {
        if packet.duration() == 0 {
            return Err(Error::Malformed);
        }
        Ok(RequestRepr {
            dialog_token: packet.dialog_token(),
            proposal: TimeWindow {
                initial_time: packet.initial_time(),
                duration: packet.duration(),
            },
        })
    }

    /// Bytes of the emitted payload.
    pub const fn buffer_len(&self) -> usize {
        REQUEST_LEN
    }

    /// Writes the payload into a view over exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut RequestPacket<T>) {
        packet.set_dialog_token(self.dialog_token);
        packet.set_initial_time(self.proposal.initial_time);
        packet.set_duration(self.proposal.duration);
    }
}

/// Zero-copy view of a resource-response payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponsePacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ResponsePacket<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        ResponsePacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` below 2 bytes or between 2 and 19; `Oversized` above 19.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len == RESPONSE_FIXED_LEN {
            Ok(())
        } else {
            check_exact(len, RESPONSE_FIXED_LEN + TIME_LEN)
        }
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Dialog token.
    pub fn dialog_token(&self) -> u8 {
        self.buffer.as_ref()[field::TOKEN]
    }

    /// Result code.
    pub fn result(&self) -> ResourceResult {
        ResourceResult::from(self.buffer.as_ref()[field::RESULT])
    }

    /// The allocation bytes (empty if absent).
    pub fn allocation(&self) -> &[u8] {
        &self.buffer.as_ref()[field::ALLOCATION..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ResponsePacket<T> {
    /// Sets the dialog token.
    pub fn set_dialog_token(&mut self, v: u8) {
        self.buffer.as_mut()[field::TOKEN] = v;
    }

    /// Sets the result code.
    pub fn set_result(&mut self, v: ResourceResult) {
        self.buffer.as_mut()[field::RESULT] = v.into();
    }

    /// The allocation bytes, mutable.
    pub fn allocation_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::ALLOCATION..]
    }
}

/// Resource response, owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseRepr {
    /// The request's dialog token.
    pub dialog_token: u8,
    /// Result.
    pub result: ResourceResult,
    /// The granted (accept) or counter-proposed window; `None` on reject.
    pub allocation: Option<TimeRepr>,
}

impl ResponseRepr {
    /// Parses a checked view. `Malformed` if an accept or counter-proposal lacks the
    /// allocation, a reject carries one, or the allocation is invalid.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &ResponsePacket<&T>) -> Result<ResponseRepr> {
        let a = packet.allocation();
        let allocation = if a.is_empty() {
            None
        } else {
            Some(TimeRepr::parse(&TimePacket::new_checked(a)?)?)
        };
        let result = packet.result();
        match (result, allocation.is_some()) {
            (ResourceResult::Accept | ResourceResult::CounterProposal, false)
            | (ResourceResult::Reject, true) => return Err(Error::Malformed),
            _ => {}
        }
        Ok(ResponseRepr {
            dialog_token: packet.dialog_token(),
            result,
            allocation,
        })
    }

    /// Bytes of the emitted payload.
    pub fn buffer_len(&self) -> usize {
        RESPONSE_FIXED_LEN + self.allocation.map_or(0, |t| t.buffer_len())
    }

    /// Writes the payload into a view over exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut ResponsePacket<T>) {
        packet.set_dialog_token(self.dialog_token);
        packet.set_result(self.result);
        if let Some(t) = &self.allocation {
            t.emit(&mut TimePacket::new_unchecked(packet.allocation_mut()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static REQUEST: [u8; 13] = [
        0x07, // dialog token 7
        0x40, 0x42, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, // initial time 1 000 000 µs
        0x88, 0x13, 0x00, 0x00, // duration 5 000 µs
    ];

    static RESPONSE: [u8; 19] = [
        0x07, // dialog token 7
        0x01, // result: counter-proposal
        0x80, 0x84, 0x1E, 0x00, 0x00, 0x00, 0x00, 0x00, // initial time 2 000 000 µs
        0x88, 0x13, 0x00, 0x00, // duration 5 000 µs
        0x3C, 0x00, 0x00, 0x00, // period 60 s
        0x01, // channel 1
    ];

    fn counter() -> ResponseRepr {
        ResponseRepr {
            dialog_token: 7,
            result: ResourceResult::CounterProposal,
            allocation: Some(TimeRepr {
                window: TimeWindow {
                    initial_time: 2_000_000,
                    duration: 5_000,
                },
                period: 60,
                channel: 1,
            }),
        }
    }

    #[test]
    fn deconstruct_request() {
        let p = RequestPacket::new_checked(&REQUEST[..]).unwrap();
        assert_eq!(p.dialog_token(), 7);
        assert_eq!(p.initial_time(), 1_000_000);
        assert_eq!(p.duration(), 5_000);
    }

    #[test]
    fn construct_request() {
        let mut buf = [0xA5u8; 13];
        let mut p = RequestPacket::new_unchecked(&mut buf[..]);
        p.set_dialog_token(7);
        p.set_initial_time(1_000_000);
        p.set_duration(5_000);
        assert_eq!(buf, REQUEST);
    }

    #[test]
    fn request_parse_emit() {
        let r = RequestRepr::parse(&RequestPacket::new_checked(&REQUEST[..]).unwrap()).unwrap();
        assert_eq!(
            r,
            RequestRepr {
                dialog_token: 7,
                proposal: TimeWindow {
                    initial_time: 1_000_000,
                    duration: 5_000
                }
            }
        );
        let mut buf = [0xA5u8; 13];
        r.emit(&mut RequestPacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf, REQUEST);
    }

    #[test]
    fn request_truncated() {
        assert_eq!(
            RequestPacket::new_checked(&REQUEST[..12]),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn request_oversized() {
        let mut b = REQUEST.to_vec();
        b.push(0);
        assert_eq!(RequestPacket::new_checked(&b[..]), Err(Error::Oversized));
    }

    #[test]
    fn request_zero_duration() {
        let mut b = REQUEST;
        b[9..13].copy_from_slice(&[0; 4]);
        let p = RequestPacket::new_checked(&b[..]).unwrap();
        assert_eq!(RequestRepr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn deconstruct_response() {
        let p = ResponsePacket::new_checked(&RESPONSE[..]).unwrap();
        assert_eq!(p.dialog_token(), 7);
        assert_eq!(p.result(), ResourceResult::CounterProposal);
        assert_eq!(p.allocation(), &RESPONSE[2..]);
    }

    #[test]
    fn construct_response() {
        let mut buf = [0xA5u8; 19];
        let mut p = ResponsePacket::new_unchecked(&mut buf[..]);
        p.set_dialog_token(7);
        p.set_result(ResourceResult::CounterProposal);
        p.allocation_mut().copy_from_slice(&RESPONSE[2..]);
        assert_eq!(buf, RESPONSE);
    }

    #[test]
    fn response_parse_emit() {
        let r = ResponseRepr::parse(&ResponsePacket::new_checked(&RESPONSE[..]).unwrap()).unwrap();
        assert_eq!(r, counter());
        let mut buf = [0xA5u8; 19];
        r.emit(&mut ResponsePacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf, RESPONSE);
    }

    #[test]
    fn response_reject_without_window() {
        let b = [0x07, 0x02];
        let r = ResponseRepr::parse(&ResponsePacket::new_checked(&b[..]).unwrap()).unwrap();
        assert_eq!(r.result, ResourceResult::Reject);
        assert_eq!(r.allocation, None);
        assert_eq!(r.buffer_len(), 2);
    }

    #[test]
    fn response_truncated() {
        assert_eq!(
            ResponsePacket::new_checked(&RESPONSE[..1]),
            Err(Error::Truncated)
        );
        assert_eq!(
            ResponsePacket::new_checked(&RESPONSE[..18]),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn response_oversized() {
        let mut b = RESPONSE.to_vec();
        b.push(0);
        assert_eq!(ResponsePacket::new_checked(&b[..]), Err(Error::Oversized));
    }

    #[test]
    fn response_accept_without_window() {
        let b = [0x07, 0x00];
        let p = ResponsePacket::new_checked(&b[..]).unwrap();
        assert_eq!(ResponseRepr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn response_reject_with_window() {
        let mut b = RESPONSE;
        b[1] = 0x02;
        let p = ResponsePacket::new_checked(&b[..]).unwrap();
        assert_eq!(ResponseRepr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn response_unknown_result_kept() {
        let mut b = RESPONSE;
        b[1] = 0x09;
        let r = ResponseRepr::parse(&ResponsePacket::new_checked(&b[..]).unwrap()).unwrap();
        assert_eq!(r.result, ResourceResult::Unknown(9));
        let mut out = [0xA5u8; 19];
        r.emit(&mut ResponsePacket::new_unchecked(&mut out[..]));
        assert_eq!(out, b);
    }
}
