//! The 4-way handshake (802.11-2020 12.7.6) for one station, both roles, sans-IO: each side
//! takes the EAPOL PDU bytes it received and returns the PDU to send. Message 3 carries the
//! GTK and subgate's configuration KDE, wrapped with the KEK — so the configuration reaches
//! only a terminal that proved, by message 2's MIC, that it holds the PMK.
//!
//! | msg | key information (descriptor version 2)                  | replay | nonce  | key data            |
//! |-----|----------------------------------------------------------|--------|--------|---------------------|
//! | 1   | pairwise, ack                                            | r      | ANonce | —                   |
//! | 2   | pairwise, MIC                                            | r      | SNonce | RSNE                |
//! | 3   | pairwise, install, ack, MIC, secure, encrypted key data  | r + 1  | ANonce | {RSNE, GTK, config} |
//! | 4   | pairwise, MIC, secure                                    | r + 1  | 0      | —                   |
//!
//! Every retransmission by the authenticator takes a new replay counter; a reply must carry
//! the counter of the message it answers, and the supplicant accepts only increasing ones.

use super::kde::{self, Akm, KeyDataItem};
use super::keys::{self, KeyError, Pmk, Ptk};
use crate::wire::eapol::{Body, DescriptorType, KeyInfo, KeyRepr, Packet, Repr};
use crate::wire::MacAddr;

/// EAPOL protocol version we send (802.1X-2004, as hostapd does).
const EAPOL_VERSION: u8 = 2;
/// Key descriptor version 2: HMAC-SHA1-128 MIC, AES key wrap.
const DESCRIPTOR_V2: u16 = 2;
/// CCMP-128 key length announced in messages 1 and 3.
const CCMP_KEY_LEN: u16 = 16;

const M1: u16 = DESCRIPTOR_V2 | KeyInfo::PAIRWISE | KeyInfo::ACK;
const M2: u16 = DESCRIPTOR_V2 | KeyInfo::PAIRWISE | KeyInfo::MIC;
const M3: u16 = DESCRIPTOR_V2
    | KeyInfo::PAIRWISE
    | KeyInfo::INSTALL
    | KeyInfo::ACK
    | KeyInfo::MIC
    | KeyInfo::SECURE
    | KeyInfo::ENCRYPTED_KEY_DATA;
const M4: u16 = DESCRIPTOR_V2 | KeyInfo::PAIRWISE | KeyInfo::MIC | KeyInfo::SECURE;

/// Why a handshake message was refused. The handshake itself goes on (a forged or stale
/// frame must not end it); the caller counts refusals and gives up on its timeout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// Not a well-formed EAPOL PDU.
    #[error("EAPOL: {0}")]
    Parse(crate::wire::Error),
    /// An EAPOL PDU, but not an RSN EAPOL-Key frame.
    #[error("not an RSN EAPOL-Key frame")]
    NotKey,
    /// Key information that is not the message expected now.
    #[error("unexpected message (key information {0:#06x})")]
    Unexpected(u16),
    /// Replay counter not the one expected (a replayed, stale or reordered message).
    #[error("replay counter {got}, expected {expected}")]
    Replay {
        /// Counter expected (the supplicant: anything above it).
        expected: u64,
        /// Counter received.
        got: u64,
    },
    /// MIC wrong: the other side does not hold the same PMK, or the frame was altered.
    #[error("MIC check failed")]
    BadMic,
    /// Message 3's ANonce is not message 1's.
    #[error("ANonce changed between messages 1 and 3")]
    AnonceChanged,
    /// The RSNE is not the one this network uses.
    #[error("RSNE mismatch")]
    RsneMismatch,
    /// Message 3 without a GTK.
    #[error("message 3 without a GTK")]
    NoGtk,
    /// Key data that does not unwrap or parse.
    #[error("key data: {0}")]
    KeyData(String),
    /// The handshake already completed (or failed) and takes no more messages.
    #[error("handshake over")]
    Over,
}

impl From<KeyError> for HandshakeError {
    fn from(e: KeyError) -> Self {
        HandshakeError::KeyData(e.to_string())
    }
}

impl From<kde::KdeError> for HandshakeError {
    fn from(e: kde::KdeError) -> Self {
        HandshakeError::KeyData(e.to_string())
    }
}

/// The group key the authenticator hands out in message 3.
#[derive(Clone, PartialEq, Eq)]
pub struct Gtk {
    /// Key id, 1–3 (0 is the pairwise key's).
    pub key_id: u8,
    /// The key (16 bytes for CCMP-128).
    pub key: Vec<u8>,
}

impl std::fmt::Debug for Gtk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gtk {{ key_id: {}, .. }}", self.key_id)
    }
}

fn key_frame(
    info: u16,
    key_length: u16,
    replay: u64,
    nonce: [u8; 32],
    key_data: Vec<u8>,
) -> KeyRepr {
    KeyRepr {
        descriptor_type: DescriptorType::Rsn,
        key_info: KeyInfo(info),
        key_length,
        replay_counter: replay,
        nonce,
        iv: [0; 16],
        rsc: [0; 8],
        key_id: [0; 8],
        mic: [0; 16],
        key_data,
    }
}

/// The PDU bytes of `k`, with its MIC computed under `kck` when given.
fn emit(k: KeyRepr, kck: Option<&[u8; 16]>) -> Vec<u8> {
    let repr = Repr {
        version: EAPOL_VERSION,
        body: Body::Key(k),
    };
    let mut bytes = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Packet::new_unchecked(&mut bytes[..]));
    if let Some(kck) = kck {
        let mic = keys::eapol_mic(kck, &bytes);
        Packet::new_unchecked(&mut bytes[..]).set_mic(&mic);
    }
    bytes
}

/// Parses an RSN EAPOL-Key PDU.
fn parse(pdu: &[u8]) -> Result<KeyRepr, HandshakeError> {
    let p = Packet::new_checked(pdu).map_err(HandshakeError::Parse)?;
    match Repr::parse(&p).map_err(HandshakeError::Parse)?.body {
        Body::Key(k) if k.descriptor_type == DescriptorType::Rsn => Ok(k),
        _ => Err(HandshakeError::NotKey),
    }
}

/// Whether the MIC of `pdu` (checked to parse) is right under `kck`.
fn mic_ok(kck: &[u8; 16], pdu: &[u8], mic: &[u8; 16]) -> bool {
    let mut zeroed = pdu.to_vec();
    Packet::new_unchecked(&mut zeroed[..]).set_mic(&[0; 16]);
    keys::eapol_mic_ok(kck, &zeroed, mic)
}

fn expect_info(k: &KeyRepr, want: u16) -> Result<(), HandshakeError> {
    // The reserved/unused bits (key index, SMK, error, request) must be clear too.
    if k.key_info.0 == want {
        Ok(())
    } else {
        Err(HandshakeError::Unexpected(k.key_info.0))
    }
}

#[derive(Debug, Clone)]
enum AuthState {
    /// Message 1 sent, waiting for message 2.
    SentM1,
    /// Message 3 sent, waiting for message 4.
    SentM3(Ptk),
    /// Message 4 checked: keys installed.
    Done,
}

/// What the authenticator does after a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStep {
    /// Message 2 was right: send this message 3.
    Send(Vec<u8>),
    /// Message 4 was right: the handshake is complete (install `tk`).
    Complete {
        /// Temporal key for the station's data frames.
        tk: [u8; 16],
    },
}

/// The gateway's side of one handshake.
#[derive(Debug, Clone)]
pub struct Authenticator {
    aa: MacAddr,
    spa: MacAddr,
    pmk: Pmk,
    akm: Akm,
    anonce: [u8; 32],
    replay: u64,
    /// Replay counter of the first message of the current state still unanswered: a
    /// retransmitted message 1 or 3 may cross the answer to an earlier copy on air, so an
    /// answer to any copy sent in this state is taken (as hostapd keeps its last counters);
    /// older counters are replays.
    window_start: u64,
    /// Message 3's key data, before padding and wrapping.
    key_data: Vec<u8>,
    state: AuthState,
}

impl Authenticator {
    /// A handshake with station `spa` from access point `aa`, with a fresh random `anonce`;
    /// `config` (M2M elements) goes into message 3 when given. Send [`message1`](Self::message1)
    /// next. `Err` only if the GTK or configuration does not fit a KDE (over 251 bytes).
    pub fn new(
        pmk: Pmk,
        akm: Akm,
        aa: MacAddr,
        spa: MacAddr,
        anonce: [u8; 32],
        gtk: &Gtk,
        config: Option<Vec<u8>>,
    ) -> Result<Authenticator, HandshakeError> {
        let mut items = vec![
            KeyDataItem::Rsne(kde::rsne(akm)),
            KeyDataItem::Gtk {
                key_id: gtk.key_id,
                tx: false,
                key: gtk.key.clone(),
            },
        ];
        items.extend(config.map(KeyDataItem::Config));
        Ok(Authenticator {
            aa,
            spa,
            pmk,
            akm,
            anonce,
            replay: 0,
            window_start: 1,
            key_data: kde::emit(&items)?,
            state: AuthState::SentM1,
        })
    }

    /// Message 1, with a new replay counter: the first one, or a retransmission after a
    /// timeout (which also abandons a message 3 not answered).
    pub fn message1(&mut self) -> Vec<u8> {
        self.replay += 1;
        if !matches!(self.state, AuthState::SentM1) {
            self.window_start = self.replay;
        }
        self.state = AuthState::SentM1;
        emit(
            key_frame(M1, CCMP_KEY_LEN, self.replay, self.anonce, Vec::new()),
            None,
        )
    }

    /// Message 3 again with a new replay counter (its message 4 did not come), or `Over`
    /// when not waiting for message 4.
    pub fn resend_message3(&mut self) -> Result<Vec<u8>, HandshakeError> {
        let AuthState::SentM3(ptk) = &self.state else {
            return Err(HandshakeError::Over);
        };
        let ptk = ptk.clone();
        self.message3(&ptk)
    }

    fn message3(&mut self, ptk: &Ptk) -> Result<Vec<u8>, HandshakeError> {
        self.replay += 1;
        let mut plain = self.key_data.clone();
        kde::pad(&mut plain);
        let wrapped = keys::wrap(&ptk.kek, &plain)?;
        Ok(emit(
            key_frame(M3, CCMP_KEY_LEN, self.replay, self.anonce, wrapped),
            Some(&ptk.kck),
        ))
    }

    /// Whether message 4 was received and checked.
    pub fn is_complete(&self) -> bool {
        matches!(self.state, AuthState::Done)
    }

    /// Takes a PDU from the station. A refused message leaves the state as it was.
    pub fn on_message(&mut self, pdu: &[u8]) -> Result<AuthStep, HandshakeError> {
        let k = parse(pdu)?;
        if !(self.window_start..=self.replay).contains(&k.replay_counter) {
            return Err(HandshakeError::Replay {
                expected: self.replay,
                got: k.replay_counter,
            });
        }
        match &self.state {
            AuthState::SentM1 => {
                expect_info(&k, M2)?;
                let ptk = Ptk::derive(&self.pmk, self.aa, self.spa, &self.anonce, &k.nonce);
                if !mic_ok(&ptk.kck, pdu, &k.mic) {
                    return Err(HandshakeError::BadMic);
                }
                let rsne_ok = kde::parse(&k.key_data)?
                    .iter()
                    .any(|i| *i == KeyDataItem::Rsne(kde::rsne(self.akm)));
                if !rsne_ok {
                    return Err(HandshakeError::RsneMismatch);
                }
                let m3 = self.message3(&ptk)?;
                self.window_start = self.replay;
                self.state = AuthState::SentM3(ptk);
                Ok(AuthStep::Send(m3))
            }
            AuthState::SentM3(ptk) => {
                expect_info(&k, M4)?;
                if !mic_ok(&ptk.kck, pdu, &k.mic) {
                    return Err(HandshakeError::BadMic);
                }
                let tk = ptk.tk;
                self.state = AuthState::Done;
                Ok(AuthStep::Complete { tk })
            }
            AuthState::Done => Err(HandshakeError::Over),
        }
    }
}

/// What the supplicant got from message 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Message 4, to send.
    pub message4: Vec<u8>,
    /// Temporal key.
    pub tk: [u8; 16],
    /// The group key.
    pub gtk: Vec<u8>,
    /// subgate's configuration KDE body (M2M elements), if message 3 had one.
    pub config: Option<Vec<u8>>,
}

/// What the supplicant does after a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppStep {
    /// Message 1 taken: send this message 2.
    Send(Vec<u8>),
    /// Message 3 checked and unwrapped: send its message 4; keys and configuration are in.
    Done(Box<Delivered>),
}

/// The terminal's side of one handshake.
#[derive(Debug)]
pub struct Supplicant {
    spa: MacAddr,
    aa: MacAddr,
    pmk: Pmk,
    akm: Akm,
    snonce: [u8; 32],
    /// ANonce and PTK from the last message 1.
    keys: Option<([u8; 32], Ptk)>,
    /// Highest replay counter accepted.
    last_replay: Option<u64>,
}

impl Supplicant {
    /// A handshake of station `spa` with access point `aa`, with a fresh random `snonce`.
    pub fn new(pmk: Pmk, akm: Akm, spa: MacAddr, aa: MacAddr, snonce: [u8; 32]) -> Supplicant {
        Supplicant {
            spa,
            aa,
            pmk,
            akm,
            snonce,
            keys: None,
            last_replay: None,
        }
    }

    fn check_replay(&self, got: u64) -> Result<(), HandshakeError> {
        match self.last_replay {
            Some(last) if got <= last => Err(HandshakeError::Replay {
                expected: last + 1,
                got,
            }),
            _ => Ok(()),
        }
    }

    /// Takes a PDU from the access point. A refused message leaves the state as it was.
    pub fn on_message(&mut self, pdu: &[u8]) -> Result<SuppStep, HandshakeError> {
        let k = parse(pdu)?;
        if k.key_info.0 == M1 {
            self.check_replay(k.replay_counter)?;
            let ptk = Ptk::derive(&self.pmk, self.aa, self.spa, &k.nonce, &self.snonce);
            let m2 = emit(
                key_frame(
                    M2,
                    0,
                    k.replay_counter,
                    self.snonce,
                    kde::emit(&[KeyDataItem::Rsne(kde::rsne(self.akm))])?,
                ),
                Some(&ptk.kck),
            );
            self.last_replay = Some(k.replay_counter);
            self.keys = Some((k.nonce, ptk));
            return Ok(SuppStep::Send(m2));
        }
        expect_info(&k, M3)?;
        let Some((anonce, ptk)) = &self.keys else {
            return Err(HandshakeError::Unexpected(k.key_info.0));
        };
        self.check_replay(k.replay_counter)?;
        if !mic_ok(&ptk.kck, pdu, &k.mic) {
            return Err(HandshakeError::BadMic);
        }
        if k.nonce != *anonce {
            return Err(HandshakeError::AnonceChanged);
        }
        let plain = keys::unwrap(&ptk.kek, &k.key_data)?;
        let items = kde::parse(&plain)?;
        if !items.contains(&KeyDataItem::Rsne(kde::rsne(self.akm))) {
            return Err(HandshakeError::RsneMismatch);
        }
        let mut gtk = None;
        let mut config = None;
        for item in items {
            match item {
                KeyDataItem::Gtk { key, .. } => gtk = Some(key),
                KeyDataItem::Config(c) => config = Some(c),
                _ => {}
            }
        }
        let gtk = gtk.ok_or(HandshakeError::NoGtk)?;
        let m4 = emit(
            key_frame(M4, 0, k.replay_counter, [0; 32], Vec::new()),
            Some(&ptk.kck),
        );
        self.last_replay = Some(k.replay_counter);
        Ok(SuppStep::Done(Box::new(Delivered {
            message4: m4,
            tk: ptk.tk,
            gtk,
            config,
        })))
    }
}
