//! Registration indication (association request): asks the gateway to register the terminal
//! with its M2M server while it associates (seed patent FIG. 11/12), either itself, with a
//! proof made from the terminal's pre-shared key, or through the AAA server.
//!
//! | offset | size | field     | meaning                                                       |
//! |--------|------|-----------|---------------------------------------------------------------|
//! | 0      | 1    | flags     | bit 0 register with the M2M server, bit 1 via AAA; exactly one |
//! | 1      | 6    | terminal  | M2M terminal id (MAC address)                                 |
//! | 7      | 1    | proof len | bytes of proof, 0..=64                                        |
//! | 8      | n    | proof     | PSK-encrypted known plaintext (opaque to the gateway)         |
//!
//! Flag bits 2–7 are reserved: sent as 0, kept on receive so a frame re-emits unchanged.

use crate::wire::{Error, MacAddr, Result};

use super::check_exact;

/// Longest proof, bytes: room for a block-cipher ciphertext plus IV and tag.
pub const MAX_PROOF_LEN: usize = 64;

/// Flag: the gateway registers with the M2M server found from the SID.
pub const FLAG_REGISTER_WITH_SERVER: u8 = 0x01;
/// Flag: the gateway asks the AAA server, which finds the M2M server and registers.
pub const FLAG_VIA_AAA: u8 = 0x02;
const PATH_MASK: u8 = FLAG_REGISTER_WITH_SERVER | FLAG_VIA_AAA;

mod field {
    use crate::wire::Field;
    /// Flags.
    pub const FLAGS: usize = 0;
    /// Terminal id.
    pub const TERMINAL: Field = 1..7;
    /// Proof length.
    pub const PROOF_LEN: usize = 7;
    /// Start of the proof.
    pub const PROOF: usize = 8;
}

/// Bytes before the proof.
pub const FIXED_LEN: usize = field::PROOF;

/// Zero-copy view of a registration-indication payload (after OUI and type).
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

    /// `Truncated`/`Oversized` unless the payload is exactly the fixed part plus the proof
    /// length says.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < FIXED_LEN {
            return Err(Error::Truncated);
        }
        check_exact(len, FIXED_LEN + usize::from(self.proof_len()))
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Raw flags byte.
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }

    /// Terminal id.
    pub fn terminal(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[field::TERMINAL])
    }

    /// Proof length, bytes.
    pub fn proof_len(&self) -> u8 {
        self.buffer.as_ref()[field::PROOF_LEN]
    }

    /// The proof bytes.
    pub fn proof(&self) -> &[u8] {
        let end = field::PROOF + usize::from(self.proof_len());
        &self.buffer.as_ref()[field::PROOF..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the flags byte.
    pub fn set_flags(&mut self, f: u8) {
        self.buffer.as_mut()[field::FLAGS] = f;
    }

    /// Sets the terminal id.
    pub fn set_terminal(&mut self, m: MacAddr) {
        self.buffer.as_mut()[field::TERMINAL].copy_from_slice(&m.0);
    }

    /// Sets the proof length.
    pub fn set_proof_len(&mut self, n: u8) {
        self.buffer.as_mut()[field::PROOF_LEN] = n;
    }

    /// The proof bytes, as long as the proof length says.
    pub fn proof_mut(&mut self) -> &mut [u8] {
        let end = field::PROOF + usize::from(self.proof_len());
        &mut self.buffer.as_mut()[field::PROOF..end]
    }
}

/// Which way the terminal asks to be registered (patent FIG. 11 vs FIG. 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationPath {
    /// The gateway registers with the M2M server itself, forwarding the proof.
    M2mServer,
    /// The gateway sends an access request to the AAA server, which registers.
    Aaa,
}

/// Registration indication, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Registration path.
    pub path: RegistrationPath,
    /// Reserved flag bits (2–7) as received; 0 when we build one.
    pub reserved_flags: u8,
    /// M2M terminal id.
    pub terminal: MacAddr,
    /// PSK proof (≤ [`MAX_PROOF_LEN`] bytes; may be empty on the AAA path).
    pub proof: Vec<u8>,
}

impl Repr {
    /// Parses a checked view. `Malformed` if both or neither path flag is set, or the proof
    /// is over 64 bytes.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        let flags = packet.flags();
        let path = match flags & PATH_MASK {
            FLAG_REGISTER_WITH_SERVER => RegistrationPath::M2mServer,
            FLAG_VIA_AAA => RegistrationPath::Aaa,
            _ => return Err(Error::Malformed),
        };
        if packet.proof().len() > MAX_PROOF_LEN {
            return Err(Error::Malformed);
        }
        Ok(Repr {
            path,
            reserved_flags: flags & !PATH_MASK,
            terminal: packet.terminal(),
            proof: packet.proof().to_vec(),
        })
    }

    /// Bytes of the emitted payload.
    pub fn buffer_len(&self) -> usize {
        FIXED_LEN + self.proof.len()
    }

    /// Writes the payload into a view over exactly `buffer_len()` bytes (a proof over 64
    /// bytes is written but will not parse back).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        let path = match self.path {
            RegistrationPath::M2mServer => FLAG_REGISTER_WITH_SERVER,
            RegistrationPath::Aaa => FLAG_VIA_AAA,
        };
        packet.set_flags(path | (self.reserved_flags & !PATH_MASK));
        packet.set_terminal(self.terminal);
        let n = self.proof.len().min(usize::from(u8::MAX));
        packet.set_proof_len(n as u8);
        packet.proof_mut().copy_from_slice(&self.proof[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PAYLOAD: [u8; 12] = [
        0x01, // flags: register with the M2M server
        0x02, 0x00, 0x00, 0x00, 0x10, 0x01, // terminal 02:00:00:00:10:01
        0x04, // proof: 4 bytes
        0xDE, 0xAD, 0xBE, 0xEF, // proof
    ];

    fn repr() -> Repr {
        Repr {
            path: RegistrationPath::M2mServer,
            reserved_flags: 0,
            terminal: MacAddr([0x02, 0, 0, 0, 0x10, 0x01]),
            proof: vec![0xDE, 0xAD, 0xBE, 0xEF],
        }
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&PAYLOAD[..]).unwrap();
        assert_eq!(p.flags(), FLAG_REGISTER_WITH_SERVER);
        assert_eq!(p.terminal(), MacAddr([0x02, 0, 0, 0, 0x10, 0x01]));
        assert_eq!(p.proof_len(), 4);
        assert_eq!(p.proof(), &[0xDE, 0xAD, 0xBE, 0xEF]);
    }

    #[test]
    fn construct() {
        let mut buf = [0xA5u8; 12];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        p.set_flags(FLAG_REGISTER_WITH_SERVER);
        p.set_terminal(MacAddr([0x02, 0, 0, 0, 0x10, 0x01]));
        p.set_proof_len(4);
        p.proof_mut().copy_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]);
        assert_eq!(buf, PAYLOAD);
    }

    #[test]
    fn parse_and_emit() {
        let r = Repr::parse(&Packet::new_checked(&PAYLOAD[..]).unwrap()).unwrap();
        assert_eq!(r, repr());
        assert_eq!(r.buffer_len(), 12);
        let mut buf = [0xA5u8; 12];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, PAYLOAD);
    }

    #[test]
    fn reserved_flags_survive() {
        let mut b = PAYLOAD;
        b[0] = 0x82; // via AAA + reserved bit 7
        let r = Repr::parse(&Packet::new_checked(&b[..]).unwrap()).unwrap();
        assert_eq!(r.path, RegistrationPath::Aaa);
        assert_eq!(r.reserved_flags, 0x80);
        let mut out = [0xA5u8; 12];
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, b);
    }

    #[test]
    fn parse_truncated() {
        assert_eq!(Packet::new_checked(&PAYLOAD[..7]), Err(Error::Truncated));
        assert_eq!(Packet::new_checked(&PAYLOAD[..11]), Err(Error::Truncated));
    }

    #[test]
    fn parse_oversized() {
        let mut b = PAYLOAD.to_vec();
        b.push(0);
        assert_eq!(Packet::new_checked(&b[..]), Err(Error::Oversized));
    }

    #[test]
    fn parse_both_or_no_path() {
        for flags in [0x00, 0x03] {
            let mut b = PAYLOAD;
            b[0] = flags;
            let p = Packet::new_checked(&b[..]).unwrap();
            assert_eq!(Repr::parse(&p), Err(Error::Malformed));
        }
    }

    #[test]
    fn parse_proof_too_long() {
        let mut b = PAYLOAD[..8].to_vec();
        b[7] = 65;
        b.extend(std::iter::repeat_n(0x11, 65));
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::Malformed));
    }
}
