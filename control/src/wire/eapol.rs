//! EAPOL (IEEE 802.1X-2010 clause 11) and the EAPOL-Key frame of the 4-way handshake
//! (802.11-2020 12.7.2), as carried in a data frame body behind an LLC/SNAP header
//! `AA AA 03 00 00 00 88 8E`. Needed by part 2 (key delivery; configuration in message 3).
//!
//! Unlike 802.11 fields, **every multi-byte EAPOL field is big endian** (network order):
//! the body length, key information, key length, replay counter and key data length.
//!
//! ```text
//! version 1 | type 1 | body length 2 (BE)
//! EAPOL-Key body: descriptor type 1 | key information 2 | key length 2 | replay counter 8
//!   | nonce 32 | IV 16 | RSC 8 | reserved (key id) 8 | MIC 16 | key data length 2 | key data
//! ```
//! Only the 16-byte MIC of the common AKMs is modelled.

use super::{Error, Result};

/// LLC/SNAP header announcing EtherType 0x888E (EAPOL) in an 802.11 data body.
pub const LLC_SNAP_EAPOL: [u8; 8] = [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x88, 0x8E];

crate::enum_with_unknown! {
    /// EAPOL packet type (802.1X-2010 Table 11-3).
    pub enum PacketType(u8) {
        /// EAP packet.
        EapPacket = 0,
        /// EAPOL-Start.
        Start = 1,
        /// EAPOL-Logoff.
        Logoff = 2,
        /// EAPOL-Key.
        Key = 3,
        /// EAPOL-Encapsulated-ASF-Alert.
        AsfAlert = 4,
    }
}

crate::enum_with_unknown! {
    /// EAPOL-Key descriptor type (802.1X-2010 Table 11-5; hostapd `EAPOL_KEY_TYPE_*`).
    pub enum DescriptorType(u8) {
        /// RC4 (legacy).
        Rc4 = 1,
        /// IEEE 802.11 (RSN).
        Rsn = 2,
        /// WPA (pre-RSN; same layout).
        Wpa = 254,
    }
}

mod field {
    use crate::wire::Field;
    pub const VERSION: usize = 0;
    pub const PACKET_TYPE: usize = 1;
    pub const BODY_LEN: Field = 2..4;
    pub const HEADER_END: usize = BODY_LEN.end;
    pub const DESCRIPTOR: usize = 4;
    pub const KEY_INFO: Field = 5..7;
    pub const KEY_LEN: Field = 7..9;
    pub const REPLAY: Field = 9..17;
    pub const NONCE: Field = 17..49;
    pub const IV: Field = 49..65;
    pub const RSC: Field = 65..73;
    pub const KEY_ID: Field = 73..81;
    pub const MIC: Field = 81..97;
    pub const KEY_DATA_LEN: Field = 97..99;
    pub const KEY_DATA: usize = KEY_DATA_LEN.end;
}

/// EAPOL header length.
pub const HEADER_LEN: usize = field::HEADER_END;
/// Fixed part of an EAPOL-Key body (descriptor type to key data length).
pub const KEY_FIXED_LEN: usize = field::KEY_DATA - HEADER_LEN;

/// Key information bits (802.11-2020 Figure 12-33; hostapd `WPA_KEY_INFO_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KeyInfo(pub u16);

impl KeyInfo {
    /// Key descriptor version (bits 0–2): 1 HMAC-MD5/RC4, 2 HMAC-SHA1/AES, 3 AES-CMAC.
    pub const VERSION_MASK: u16 = 0x0007;
    /// Key type: pairwise (1) or group (0).
    pub const PAIRWISE: u16 = 0x0008;
    /// Install the key.
    pub const INSTALL: u16 = 0x0040;
    /// Key ack: the authenticator expects a reply.
    pub const ACK: u16 = 0x0080;
    /// Key MIC present.
    pub const MIC: u16 = 0x0100;
    /// Secure: keys installed.
    pub const SECURE: u16 = 0x0200;
    /// Error (MIC failure report).
    pub const ERROR: u16 = 0x0400;
    /// Request.
    pub const REQUEST: u16 = 0x0800;
    /// Encrypted key data.
    pub const ENCRYPTED_KEY_DATA: u16 = 0x1000;
    /// SMK message.
    pub const SMK_MESSAGE: u16 = 0x2000;

    /// Descriptor version.
    pub fn descriptor_version(&self) -> u8 {
        (self.0 & Self::VERSION_MASK) as u8
    }
    /// Pairwise key.
    pub fn pairwise(&self) -> bool {
        self.0 & Self::PAIRWISE != 0
    }
    /// Install bit.
    pub fn install(&self) -> bool {
        self.0 & Self::INSTALL != 0
    }
    /// Ack bit.
    pub fn ack(&self) -> bool {
        self.0 & Self::ACK != 0
    }
    /// MIC bit.
    pub fn mic(&self) -> bool {
        self.0 & Self::MIC != 0
    }
    /// Secure bit.
    pub fn secure(&self) -> bool {
        self.0 & Self::SECURE != 0
    }
    /// Error bit.
    pub fn error(&self) -> bool {
        self.0 & Self::ERROR != 0
    }
    /// Request bit.
    pub fn request(&self) -> bool {
        self.0 & Self::REQUEST != 0
    }
    /// Encrypted key data bit.
    pub fn encrypted_key_data(&self) -> bool {
        self.0 & Self::ENCRYPTED_KEY_DATA != 0
    }
}

fn be16(b: &[u8], f: crate::wire::Field) -> u16 {
    let b = &b[f];
    u16::from_be_bytes([b[0], b[1]])
}

/// Zero-copy view of an EAPOL PDU (starting at the version byte, after LLC/SNAP).
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

    /// `Truncated` unless the header and the body it announces are present, and for
    /// EAPOL-Key, the fixed key fields and the key data its length announces.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN || b.len() < HEADER_LEN + self.body_len() as usize {
            return Err(Error::Truncated);
        }
        if self.packet_type() == PacketType::Key {
            let body_end = HEADER_LEN + self.body_len() as usize;
            if body_end < field::KEY_DATA
                || body_end < field::KEY_DATA + self.key_data_len() as usize
            {
                return Err(Error::Truncated);
            }
        }
        Ok(())
    }

    /// Protocol version (1, 2 or 3).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VERSION]
    }

    /// Packet type.
    pub fn packet_type(&self) -> PacketType {
        self.buffer.as_ref()[field::PACKET_TYPE].into()
    }

    /// Body length (big endian on the wire).
    pub fn body_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::BODY_LEN)
    }

    /// The body, as long as the length field says.
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..HEADER_LEN + self.body_len() as usize]
    }

    /// Bytes after the body (none in a valid 802.11 frame).
    pub fn trailer(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN + self.body_len() as usize..]
    }

    /// Key descriptor type (EAPOL-Key only).
    pub fn descriptor_type(&self) -> DescriptorType {
        self.buffer.as_ref()[field::DESCRIPTOR].into()
    }

    /// Key information (EAPOL-Key only).
    pub fn key_info(&self) -> KeyInfo {
        KeyInfo(be16(self.buffer.as_ref(), field::KEY_INFO))
    }

    /// Key length (EAPOL-Key only).
    pub fn key_length(&self) -> u16 {
        be16(self.buffer.as_ref(), field::KEY_LEN)
    }

    /// Replay counter, big endian (EAPOL-Key only).
    pub fn replay_counter(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.buffer.as_ref()[field::REPLAY]);
        u64::from_be_bytes(b)
    }

    /// Key nonce (ANonce/SNonce).
    pub fn nonce(&self) -> &[u8] {
        &self.buffer.as_ref()[field::NONCE]
    }

    /// EAPOL-Key IV.
    pub fn iv(&self) -> &[u8] {
        &self.buffer.as_ref()[field::IV]
    }

    /// Key RSC.
    pub fn rsc(&self) -> &[u8] {
        &self.buffer.as_ref()[field::RSC]
    }

    /// Reserved octets (key id in WPA).
    pub fn key_id(&self) -> &[u8] {
        &self.buffer.as_ref()[field::KEY_ID]
    }

    /// Key MIC (16 bytes).
    pub fn mic(&self) -> &[u8] {
        &self.buffer.as_ref()[field::MIC]
    }

    /// Key data length (readable before the check once the fixed key fields are there).
    pub fn key_data_len(&self) -> u16 {
        match self.buffer.as_ref().get(field::KEY_DATA_LEN) {
            Some(b) => u16::from_be_bytes([b[0], b[1]]),
            None => 0,
        }
    }

    /// Key data.
    pub fn key_data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::KEY_DATA..field::KEY_DATA + self.key_data_len() as usize]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn set_be16(&mut self, f: crate::wire::Field, v: u16) {
        self.buffer.as_mut()[f].copy_from_slice(&v.to_be_bytes())
    }
    /// Sets the version.
    pub fn set_version(&mut self, v: u8) {
        self.buffer.as_mut()[field::VERSION] = v
    }
    /// Sets the packet type.
    pub fn set_packet_type(&mut self, t: PacketType) {
        self.buffer.as_mut()[field::PACKET_TYPE] = t.into()
    }
    /// Sets the body length.
    pub fn set_body_len(&mut self, v: u16) {
        self.set_be16(field::BODY_LEN, v)
    }
    /// The bytes after the header, writable.
    pub fn body_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
    /// Sets the descriptor type.
    pub fn set_descriptor_type(&mut self, t: DescriptorType) {
        self.buffer.as_mut()[field::DESCRIPTOR] = t.into()
    }
    /// Sets key information.
    pub fn set_key_info(&mut self, k: KeyInfo) {
        self.set_be16(field::KEY_INFO, k.0)
    }
    /// Sets the key length.
    pub fn set_key_length(&mut self, v: u16) {
        self.set_be16(field::KEY_LEN, v)
    }
    /// Sets the replay counter.
    pub fn set_replay_counter(&mut self, v: u64) {
        self.buffer.as_mut()[field::REPLAY].copy_from_slice(&v.to_be_bytes())
    }
    /// Sets the nonce.
    pub fn set_nonce(&mut self, v: &[u8; 32]) {
        self.buffer.as_mut()[field::NONCE].copy_from_slice(v)
    }
    /// Sets the IV.
    pub fn set_iv(&mut self, v: &[u8; 16]) {
        self.buffer.as_mut()[field::IV].copy_from_slice(v)
    }
    /// Sets the RSC.
    pub fn set_rsc(&mut self, v: &[u8; 8]) {
        self.buffer.as_mut()[field::RSC].copy_from_slice(v)
    }
    /// Sets the reserved/key id octets.
    pub fn set_key_id(&mut self, v: &[u8; 8]) {
        self.buffer.as_mut()[field::KEY_ID].copy_from_slice(v)
    }
    /// Sets the MIC.
    pub fn set_mic(&mut self, v: &[u8; 16]) {
        self.buffer.as_mut()[field::MIC].copy_from_slice(v)
    }
    /// Sets the key data length.
    pub fn set_key_data_len(&mut self, v: u16) {
        self.set_be16(field::KEY_DATA_LEN, v)
    }
    /// The key data, writable (length set first).
    pub fn key_data_mut(&mut self) -> &mut [u8] {
        let end = field::KEY_DATA + self.key_data_len() as usize;
        &mut self.buffer.as_mut()[field::KEY_DATA..end]
    }
}

/// An EAPOL-Key frame as a value (one 4-way or group-key handshake message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRepr {
    /// Descriptor type (RSN = 2).
    pub descriptor_type: DescriptorType,
    /// Key information.
    pub key_info: KeyInfo,
    /// Key length (16 for CCMP pairwise in messages 1/3).
    pub key_length: u16,
    /// Replay counter.
    pub replay_counter: u64,
    /// Nonce.
    pub nonce: [u8; 32],
    /// IV.
    pub iv: [u8; 16],
    /// RSC.
    pub rsc: [u8; 8],
    /// Reserved (key id).
    pub key_id: [u8; 8],
    /// MIC.
    pub mic: [u8; 16],
    /// Key data (KDEs, possibly encrypted; at most 65535 − 95 bytes).
    pub key_data: Vec<u8>,
}

/// The body of an EAPOL PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// EAPOL-Key.
    Key(KeyRepr),
    /// Any other type, body raw (`packet_type` must not be `Key`).
    Other {
        /// Packet type.
        packet_type: PacketType,
        /// Body bytes.
        body: Vec<u8>,
    },
}

/// An EAPOL PDU as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr {
    /// Protocol version (2 for 802.1X-2004, as hostapd sends).
    pub version: u8,
    /// Body.
    pub body: Body,
}

impl Repr {
    /// Parses a checked packet: `Oversized` if bytes follow the body, `Malformed` if an
    /// EAPOL-Key body is longer than its key data says.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        if !p.trailer().is_empty() {
            return Err(Error::Oversized);
        }
        let body = match p.packet_type() {
            PacketType::Key => {
                if p.body_len() as usize != KEY_FIXED_LEN + p.key_data_len() as usize {
                    return Err(Error::Malformed);
                }
                let mut r = KeyRepr {
                    descriptor_type: p.descriptor_type(),
                    key_info: p.key_info(),
                    key_length: p.key_length(),
                    replay_counter: p.replay_counter(),
                    nonce: [0; 32],
                    iv: [0; 16],
                    rsc: [0; 8],
                    key_id: [0; 8],
                    mic: [0; 16],
                    key_data: p.key_data().to_vec(),
                };
                r.nonce.copy_from_slice(p.nonce());
                r.iv.copy_from_slice(p.iv());
                r.rsc.copy_from_slice(p.rsc());
                r.key_id.copy_from_slice(p.key_id());
                r.mic.copy_from_slice(p.mic());
                Body::Key(r)
            }
            t => Body::Other {
                packet_type: t,
                body: p.body().to_vec(),
            },
        };
        Ok(Repr {
            version: p.version(),
            body,
        })
    }

    /// Body length.
    fn body_len(&self) -> usize {
        match &self.body {
            Body::Key(k) => KEY_FIXED_LEN + k.key_data.len(),
            Body::Other { body, .. } => body.len(),
        }
    }

    /// Bytes on the wire (without LLC/SNAP). Bodies over 65535 bytes cannot be sent.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.body_len()
    }

    /// Writes the PDU into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_version(self.version);
        p.set_body_len(self.body_len() as u16);
        match &self.body {
            Body::Key(k) => {
                p.set_packet_type(PacketType::Key);
                p.set_descriptor_type(k.descriptor_type);
                p.set_key_info(k.key_info);
                p.set_key_length(k.key_length);
                p.set_replay_counter(k.replay_counter);
                p.set_nonce(&k.nonce);
                p.set_iv(&k.iv);
                p.set_rsc(&k.rsc);
                p.set_key_id(&k.key_id);
                p.set_mic(&k.mic);
                p.set_key_data_len(k.key_data.len() as u16);
                p.key_data_mut().copy_from_slice(&k.key_data);
            }
            Body::Other { packet_type, body } => {
                p.set_packet_type(*packet_type);
                p.body_mut()[..body.len()].copy_from_slice(body);
            }
        }
    }

    /// Parses a data frame body: LLC/SNAP for EAPOL, then the PDU. `Truncated` if shorter than
    /// the SNAP header, `Unsupported` if the body is not EAPOL.
    pub fn parse_llc(data_body: &[u8]) -> Result<Repr> {
        let snap = data_body
            .get(..LLC_SNAP_EAPOL.len())
            .ok_or(Error::Truncated)?;
        if snap != LLC_SNAP_EAPOL {
            return Err(Error::Unsupported);
        }
        Repr::parse(&Packet::new_checked(&data_body[LLC_SNAP_EAPOL.len()..])?)
    }

    /// The data frame body: LLC/SNAP then the PDU.
    pub fn to_llc_bytes(&self) -> Vec<u8> {
        let mut v = vec![0u8; LLC_SNAP_EAPOL.len() + self.buffer_len()];
        v[..LLC_SNAP_EAPOL.len()].copy_from_slice(&LLC_SNAP_EAPOL);
        self.emit(&mut Packet::new_unchecked(&mut v[LLC_SNAP_EAPOL.len()..]));
        v
    }
}

/// The EAPOL PDU (version 2, type EAP-Packet, no LLC/SNAP) carrying the EAP packet `eap`:
/// what 802.1X sends in both directions.
pub fn eap_pdu(eap: &[u8]) -> Vec<u8> {
    let repr = Repr {
        version: 2,
        body: Body::Other {
            packet_type: PacketType::EapPacket,
            body: eap.to_vec(),
        },
    };
    let mut v = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Packet::new_unchecked(&mut v));
    v
}

/// The EAP bytes of an EAPOL PDU of type EAP-Packet (the whole body, so bytes past the EAP
/// length stay with it); `None` for another type or a malformed PDU.
pub fn eap_of(pdu: &[u8]) -> Option<Vec<u8>> {
    match Repr::parse(&Packet::new_checked(pdu).ok()?) {
        Ok(Repr {
            body:
                Body::Other {
                    packet_type: PacketType::EapPacket,
                    body,
                },
            ..
        }) => Some(body),
        _ => None,
    }
}

/// The EAPOL PDU a data frame body carries behind LLC/SNAP; `None` if the body is not EAPOL.
/// For a PDU taken as bytes (the 4-way handshake checks its MIC over them).
pub fn pdu_of(data_body: &[u8]) -> Option<&[u8]> {
    data_body.strip_prefix(&LLC_SNAP_EAPOL[..])
}

/// A data frame (not QoS, not null) carrying the EAPOL PDU `pdu`, already emitted as bytes,
/// behind LLC/SNAP. The caller sets the To DS / From DS flags in `header`.
pub fn data_frame(header: crate::wire::HeaderRepr, pdu: &[u8]) -> crate::wire::data::Repr {
    let mut body = Vec::with_capacity(LLC_SNAP_EAPOL.len() + pdu.len());
    body.extend_from_slice(&LLC_SNAP_EAPOL);
    body.extend_from_slice(pdu);
    crate::wire::data::Repr {
        header,
        qos: None,
        null: false,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 4-way handshake message 1 (AP -> terminal) behind LLC/SNAP: EAPOL v2, type 3 (Key),
    /// body length 95 + 22; descriptor 2 (RSN); key info 0x008A (version 2, pairwise, ack);
    /// key length 16; replay counter 1; ANonce 0x11 x 32; IV/RSC/reserved/MIC zero;
    /// key data length 22: a PMKID KDE (DD 14 00 0F AC 04 + 16 bytes 0x22).
    fn message1() -> Vec<u8> {
        let mut v = LLC_SNAP_EAPOL.to_vec();
        v.extend_from_slice(&[0x02, 0x03, 0x00, 0x75]); // 0x75 = 117 = 95 + 22
        v.push(0x02);
        v.extend_from_slice(&[0x00, 0x8A, 0x00, 0x10]);
        v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        v.extend_from_slice(&[0x11; 32]);
        v.extend_from_slice(&[0; 16 + 8 + 8 + 16]);
        v.extend_from_slice(&[0x00, 0x16]);
        v.extend_from_slice(&[0xDD, 0x14, 0x00, 0x0F, 0xAC, 0x04]);
        v.extend_from_slice(&[0x22; 16]);
        v
    }

    fn repr() -> Repr {
        let mut key_data = vec![0xDD, 0x14, 0x00, 0x0F, 0xAC, 0x04];
        key_data.extend_from_slice(&[0x22; 16]);
        Repr {
            version: 2,
            body: Body::Key(KeyRepr {
                descriptor_type: DescriptorType::Rsn,
                key_info: KeyInfo(2 | KeyInfo::PAIRWISE | KeyInfo::ACK),
                key_length: 16,
                replay_counter: 1,
                nonce: [0x11; 32],
                iv: [0; 16],
                rsc: [0; 8],
                key_id: [0; 8],
                mic: [0; 16],
                key_data,
            }),
        }
    }

    #[test]
    fn deconstruct() {
        let v = message1();
        let p = Packet::new_checked(&v[8..]).expect("len");
        assert_eq!(p.version(), 2);
        assert_eq!(p.packet_type(), PacketType::Key);
        assert_eq!(p.body_len(), 117);
        assert_eq!(p.descriptor_type(), DescriptorType::Rsn);
        let ki = p.key_info();
        assert_eq!(ki.descriptor_version(), 2);
        assert!(ki.pairwise() && ki.ack() && !ki.mic() && !ki.install() && !ki.secure());
        assert_eq!(p.key_length(), 16);
        assert_eq!(p.replay_counter(), 1);
        assert_eq!(p.nonce(), &[0x11; 32]);
        assert_eq!(p.key_data_len(), 22);
        assert_eq!(p.key_data()[0], 0xDD);
    }

    #[test]
    fn construct_and_parse() {
        let r = repr();
        assert_eq!(r.to_llc_bytes(), message1());
        let mut buf = vec![0xA5u8; r.buffer_len()];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(&buf[..], &message1()[8..]);
        assert_eq!(Repr::parse_llc(&message1()), Ok(r));
    }

    #[test]
    fn other_types_keep_their_body() {
        let start = [
            0xAA, 0xAA, 0x03, 0, 0, 0, 0x88, 0x8E, 0x01, 0x01, 0x00, 0x00,
        ];
        let r = Repr::parse_llc(&start).expect("EAPOL-Start");
        assert_eq!(
            r.body,
            Body::Other {
                packet_type: PacketType::Start,
                body: vec![]
            }
        );
        assert_eq!(r.to_llc_bytes(), start);
    }

    #[test]
    fn parse_truncated_and_length_past_end() {
        let v = message1();
        assert_eq!(Repr::parse_llc(&v[..7]), Err(Error::Truncated));
        assert_eq!(Repr::parse_llc(&v[..11]), Err(Error::Truncated));
        // Body length field one past the end.
        assert_eq!(Repr::parse_llc(&v[..v.len() - 1]), Err(Error::Truncated));
        // Key data length past the body.
        let mut w = v.clone();
        w[8 + 98] = 0x17;
        assert_eq!(Repr::parse_llc(&w), Err(Error::Truncated));
        // Key data length short of the body.
        w[8 + 98] = 0x15;
        assert_eq!(Repr::parse_llc(&w), Err(Error::Malformed));
    }

    #[test]
    fn parse_trailer_and_not_eapol() {
        let mut v = message1();
        v.push(0);
        assert_eq!(Repr::parse_llc(&v), Err(Error::Oversized));
        let mut ip = message1();
        ip[7] = 0x00; // EtherType 0x8800: not EAPOL
        assert_eq!(Repr::parse_llc(&ip), Err(Error::Unsupported));
    }

    #[test]
    fn data_frame_carries_the_pdu_behind_llc_snap() {
        let pdu = [0x02, 0x03, 0x00, 0x00];
        let header = crate::wire::HeaderRepr {
            flags: crate::wire::mac::fc_flags::TO_DS,
            duration: 0,
            addr1: crate::wire::MacAddr([2, 0, 0, 0, 0, 1]),
            addr2: crate::wire::MacAddr([2, 0, 0, 0, 0, 2]),
            addr3: crate::wire::MacAddr([2, 0, 0, 0, 0, 1]),
            seq_ctrl: crate::wire::SeqCtrl::new(1, 0),
        };
        let d = data_frame(header, &pdu);
        assert_eq!(&d.body[..8], &LLC_SNAP_EAPOL);
        assert_eq!(pdu_of(&d.body), Some(&pdu[..]));
        assert_eq!(pdu_of(&[0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00, 1]), None);
        assert_eq!(pdu_of(&LLC_SNAP_EAPOL[..5]), None);
    }
}
