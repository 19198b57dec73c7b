//! ACK (802.11-2020 9.3.1.3): the 10-byte control frame a receiver sends SIFS after a unicast
//! frame, and the only proof a report reached the air interface of the gateway.
//! ```text
//! FC 2 (D4 00) | Duration 2 | RA 6      (+ FCS on air, not part of the Repr)
//! ```

use super::mac::{write_u16, FrameControl, FrameKind};
use super::read_u16;
use super::{Error, MacAddr, Result};

mod field {
    use crate::wire::Field;
    pub const FRAME_CONTROL: Field = 0..2;
    pub const DURATION: Field = 2..4;
    pub const RA: Field = 4..10;
}

/// Length of an ACK without FCS.
pub const LEN: usize = field::RA.end;

/// Zero-copy view of an ACK.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` under 10 bytes, `Oversized` above (an ACK has no body).
    pub fn check_len(&self) -> Result<()> {
        match self.buffer.as_ref().len() {
            n if n < LEN => Err(Error::Truncated),
            n if n > LEN => Err(Error::Oversized),
            _ => Ok(()),
        }
    }

    /// Frame control.
    pub fn frame_control(&self) -> FrameControl {
        FrameControl(read_u16(&self.buffer.as_ref()[field::FRAME_CONTROL]))
    }

    /// Duration.
    pub fn duration(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::DURATION])
    }

    /// Receiver address: the transmitter of the acknowledged frame.
    pub fn ra(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[field::RA])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the frame control.
    pub fn set_frame_control(&mut self, fc: FrameControl) {
        write_u16(self.buffer.as_mut(), field::FRAME_CONTROL, fc.0)
    }

    /// Sets the duration.
    pub fn set_duration(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::DURATION, v)
    }

    /// Sets the receiver address.
    pub fn set_ra(&mut self, a: MacAddr) {
        self.buffer.as_mut()[field::RA].copy_from_slice(&a.0)
    }
}

/// An ACK as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Second FC byte (normally 0; power management / more data may be set).
    pub flags: u8,
    /// Duration.
    pub duration: u16,
    /// Receiver address.
    pub ra: MacAddr,
}

impl Repr {
    /// Parses a checked packet: `Unsupported` for version ≠ 0, `Malformed` if not an ACK.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        let fc = p.frame_control();
        if fc.version() != FrameControl::VERSION {
            return Err(Error::Unsupported);
        }
        if fc.kind() != FrameKind::Ack {
            return Err(Error::Malformed);
        }
        Ok(Repr {
            flags: fc.flags(),
            duration: p.duration(),
            ra: p.ra(),
        })
    }

    /// Bytes on the wire (without FCS).
    pub const fn buffer_len(&self) -> usize {
        LEN
    }

    /// Writes the ACK into a 10-byte buffer.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_frame_control(FrameControl::new(FrameKind::Ack, self.flags));
        p.set_duration(self.duration);
        p.set_ra(self.ra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ACK: FC D4 00, duration 0, RA 02:00:00:00:10:0a.
    static ACK: [u8; 10] = [0xD4, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10, 0x0A];

    fn repr() -> Repr {
        Repr {
            flags: 0,
            duration: 0,
            ra: MacAddr([2, 0, 0, 0, 0x10, 0x0A]),
        }
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&ACK[..]).expect("len");
        assert_eq!(p.frame_control().kind(), FrameKind::Ack);
        assert_eq!(p.duration(), 0);
        assert_eq!(p.ra(), MacAddr([2, 0, 0, 0, 0x10, 0x0A]));
    }

    #[test]
    fn construct_and_parse() {
        let mut buf = [0xA5u8; 10];
        repr().emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, ACK);
        assert_eq!(
            Repr::parse(&Packet::new_checked(&ACK[..]).expect("len")),
            Ok(repr())
        );
    }

    #[test]
    fn parse_truncated_and_oversized() {
        assert_eq!(Packet::new_checked(&ACK[..9]).err(), Some(Error::Truncated));
        assert_eq!(
            Packet::new_checked(&[0xD4u8; 11][..]).err(),
            Some(Error::Oversized)
        );
    }

    #[test]
    fn parse_bad_version() {
        let mut b = ACK;
        b[0] = 0xD5;
        let p = Packet::new_checked(&b[..]).expect("len");
        assert_eq!(Repr::parse(&p), Err(Error::Unsupported));
    }
}
