//! The pre-shared-key proof a terminal sends in its registration indication, so its M2M server
//! can check that the terminal holds the key provisioned for its M2M user (issue 4, the
//! "M2M-server path": the terminal encrypts known plaintext with its PSK; the server, which
//! holds the same PSK, encrypts the same plaintext and compares).
//!
//! # Known plaintext (one AES block, 16 bytes)
//!
//! | offset | size | field    | meaning                                                     |
//! |--------|------|----------|-------------------------------------------------------------|
//! | 0      | 6    | terminal | M2M terminal id (the terminal's MAC address)                |
//! | 6      | 8    | nonce    | the gateway's nonce, as advertised (beacon / probe response) |
//! | 14     | 2    | counter  | the terminal's registration counter, big-endian             |
//!
//! `ciphertext = AES(PSK, plaintext)`: AES-128 for a 16-byte PSK, AES-256 for a 32-byte one;
//! a single block, no mode, no padding.
//!
//! # Proof field of the registration indication (18 bytes)
//!
//! | offset | size | field      | meaning                                     |
//! |--------|------|------------|---------------------------------------------|
//! | 0      | 2    | counter    | the counter used in the plaintext, big-endian |
//! | 2      | 16   | ciphertext | `AES(PSK, plaintext)`                         |
//!
//! The terminal id is the indication's own terminal field and the nonce is the gateway's, so
//! the counter is the only part of the plaintext that has to travel with the proof.
//!
//! # Freshness
//! The nonce binds a proof to one gateway nonce: a proof captured under one nonce does not
//! verify under another. Within one nonce, the counter tells a terminal's attempts apart: a
//! terminal uses a new counter for every registration attempt (e.g. increments it when it
//! retries after a lost association response), and a registrar may refuse a
//! `(terminal, nonce, counter)` it has already accepted (the testbench emulator does).
//!
//! # Example
//! ```
//! use subgate_control::registrar::proof::{make_proof, verify_proof, Psk};
//! use subgate_control::wire::MacAddr;
//!
//! let psk = Psk::from_hex("000102030405060708090a0b0c0d0e0f")?;
//! let terminal: MacAddr = "02:00:00:00:10:01".parse()?;
//! let nonce = [7u8; 8];
//! let proof = make_proof(&psk, terminal, nonce, 1);
//! assert!(verify_proof(&psk, terminal, nonce, 1, &proof));
//! assert!(!verify_proof(&psk, terminal, [8u8; 8], 1, &proof));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::{Aes128, Aes256};

use crate::config::RegistrarConfig;
use crate::wire::m2m::{RegistrationPath, RegistrationRepr, Sid};
use crate::wire::MacAddr;

/// Bytes of the known plaintext and of the ciphertext (one AES block).
pub const BLOCK_LEN: usize = 16;
/// Bytes of the counter in the proof field.
pub const COUNTER_LEN: usize = 2;
/// Bytes of the proof field of a registration indication: counter + ciphertext.
pub const WIRE_PROOF_LEN: usize = COUNTER_LEN + BLOCK_LEN;

/// Why a PSK or a proof field could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A PSK of neither 16 nor 32 bytes.
    #[error("a pre-shared key is 16 or 32 bytes, not {0}")]
    PskLength(usize),
    /// PSK text that is not hex.
    #[error("a pre-shared key is written as hex digits (32 or 64 of them)")]
    PskHex,
    /// A `[registrar.psk]` key that is not an M2M user id.
    #[error("{0:?} is not an M2M user id")]
    User(String),
    /// A proof field of the wrong length.
    #[error("a PSK proof field is {WIRE_PROOF_LEN} bytes, not {0}")]
    WireLength(usize),
}

/// A pre-shared key: AES-128 (16 bytes) or AES-256 (32 bytes).
///
/// `Debug` does not print the key.
#[derive(Clone)]
pub enum Psk {
    /// 16-byte key, used with AES-128.
    Aes128([u8; 16]),
    /// 32-byte key, used with AES-256.
    Aes256([u8; 32]),
}

impl Psk {
    /// A key from raw bytes; `PskLength` unless 16 or 32 bytes long.
    pub fn from_bytes(key: &[u8]) -> Result<Psk, ProofError> {
        if let Ok(k) = <[u8; 16]>::try_from(key) {
            Ok(Psk::Aes128(k))
        } else if let Ok(k) = <[u8; 32]>::try_from(key) {
            Ok(Psk::Aes256(k))
        } else {
            Err(ProofError::PskLength(key.len()))
        }
    }

    /// A key from hex text (the `[registrar.psk]` form; either case): `PskHex` or
    /// `PskLength` when it is not 32 or 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Psk, ProofError> {
        let digits = text.as_bytes();
        if !digits.len().is_multiple_of(2) {
            return Err(ProofError::PskHex);
        }
        let bytes = digits
            .chunks_exact(2)
            .map(|pair| Some(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?))
            .collect::<Option<Vec<u8>>>()
            .ok_or(ProofError::PskHex)?;
        Psk::from_bytes(&bytes)
    }

    /// Key length, bytes (16 or 32).
    pub fn len(&self) -> usize {
        match self {
            Psk::Aes128(k) => k.len(),
            Psk::Aes256(k) => k.len(),
        }
    }

    /// Always false (a PSK has 16 or 32 bytes); here because `len` is.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Encrypts one block with this key (AES-128 or AES-256 from the `aes` crate). This is
    /// the whole cipher the proof uses; exposed for known-answer tests.
    pub fn encrypt_block(&self, block: [u8; BLOCK_LEN]) -> [u8; BLOCK_LEN] {
        let mut b = block.into();
        match self {
            Psk::Aes128(k) => Aes128::new(&(*k).into()).encrypt_block(&mut b),
            Psk::Aes256(k) => Aes256::new(&(*k).into()).encrypt_block(&mut b),
        }
        b.into()
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for Psk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Psk(<{} bytes, redacted>)", self.len())
    }
}

impl FromStr for Psk {
    type Err = ProofError;
    /// As [`Psk::from_hex`].
    fn from_str(s: &str) -> Result<Psk, ProofError> {
        Psk::from_hex(s)
    }
}

/// The `[registrar.psk]` table as keys: M2M user SID → PSK. `User`, `PskHex` or `PskLength`
/// for an entry that does not validate (config validation refuses those already).
pub fn psks_from_config(config: &RegistrarConfig) -> Result<BTreeMap<Sid, Psk>, ProofError> {
    config
        .psk
        .iter()
        .map(|(user, key)| {
            let sid = Sid::user(user).map_err(|_| ProofError::User(user.clone()))?;
            Ok((sid, Psk::from_hex(key)?))
        })
        .collect()
}

/// The known plaintext: terminal id ‖ nonce ‖ counter (big-endian); see the module docs.
pub fn plaintext(terminal: MacAddr, nonce: [u8; 8], counter: u16) -> [u8; BLOCK_LEN] {
    let mut p = [0u8; BLOCK_LEN];
    p[0..6].copy_from_slice(&terminal.0);
    p[6..14].copy_from_slice(&nonce);
    p[14..16].copy_from_slice(&counter.to_be_bytes());
    p
}

/// The proof (terminal side): `AES(psk, plaintext(terminal, nonce, counter))`.
pub fn make_proof(psk: &Psk, terminal: MacAddr, nonce: [u8; 8], counter: u16) -> [u8; BLOCK_LEN] {
    psk.encrypt_block(plaintext(terminal, nonce, counter))
}

/// Checks a proof (server side): true when `proof` is exactly
/// `make_proof(psk, terminal, nonce, counter)`.
///
/// The comparison takes the same time whichever bytes differ (only the length, which is
/// public, may end it early), so timing does not reveal how much of a forged proof is right.
pub fn verify_proof(
    psk: &Psk,
    terminal: MacAddr,
    nonce: [u8; 8],
    counter: u16,
    proof: &[u8],
) -> bool {
    let expected = make_proof(psk, terminal, nonce, counter);
    ct_eq(&expected, proof)
}

/// Constant-time equality: ORs the XOR of every byte pair into one accumulator and looks at
/// it once at the end. `black_box` on the accumulator keeps the optimiser from turning the
/// loop into an early exit (best effort, the same approach as the `subtle` crate).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if b.len() != a.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff = std::hint::black_box(diff | (x ^ y));
    }
    diff == 0
}

/// The proof field of a registration indication: the counter and the ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WireProof {
    /// Counter the plaintext was built with.
    pub counter: u16,
    /// `AES(PSK, plaintext)`.
    pub ciphertext: [u8; BLOCK_LEN],
}

impl WireProof {
    /// Reads a proof field: `WireLength` unless exactly [`WIRE_PROOF_LEN`] bytes.
    pub fn parse(field: &[u8]) -> Result<WireProof, ProofError> {
        let bytes: &[u8; WIRE_PROOF_LEN] = field
            .try_into()
            .map_err(|_| ProofError::WireLength(field.len()))?;
        let mut ciphertext = [0u8; BLOCK_LEN];
        ciphertext.copy_from_slice(&bytes[COUNTER_LEN..]);
        Ok(WireProof {
            counter: u16::from_be_bytes([bytes[0], bytes[1]]),
            ciphertext,
        })
    }

    /// The 18 bytes of the proof field.
    pub fn to_bytes(&self) -> [u8; WIRE_PROOF_LEN] {
        let mut out = [0u8; WIRE_PROOF_LEN];
        out[..COUNTER_LEN].copy_from_slice(&self.counter.to_be_bytes());
        out[COUNTER_LEN..].copy_from_slice(&self.ciphertext);
        out
    }

    /// Checks this proof for a terminal and nonce, as [`verify_proof`].
    pub fn verify(&self, psk: &Psk, terminal: MacAddr, nonce: [u8; 8]) -> bool {
        verify_proof(psk, terminal, nonce, self.counter, &self.ciphertext)
    }
}

/// The registration indication a terminal sends on the M2M-server path (terminal side):
/// its id and the proof field for `nonce` and `counter`.
pub fn indication(psk: &Psk, terminal: MacAddr, nonce: [u8; 8], counter: u16) -> RegistrationRepr {
    let proof = WireProof {
        counter,
        ciphertext: make_proof(psk, terminal, nonce, counter),
    };
    RegistrationRepr {
        path: RegistrationPath::M2mServer,
        reserved_flags: 0,
        terminal,
        proof: proof.to_bytes().to_vec(),
    }
}

/// The PSK as the AAA server stores it: its bytes as lowercase hex text, which is the CHAP
/// secret of the AAA path (a FreeRADIUS `Cleartext-Password`).
pub fn aaa_secret(psk: &Psk) -> String {
    let bytes: &[u8] = match psk {
        Psk::Aes128(k) => k,
        Psk::Aes256(k) => k,
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The proof on the AAA path, where the AAA server checks it (seed: "the server verifies
/// the ciphertext with AAA") with nothing but standard RADIUS: a CHAP response (RFC 1994)
/// whose identifier is the counter's low byte, whose secret is [`aaa_secret`], and whose
/// challenge is the same known plaintext as the M2M-server path's (terminal, gateway nonce,
/// counter). The proof field keeps the M2M-server layout: counter, then the 16 bytes.
pub fn make_aaa_proof(
    psk: &Psk,
    terminal: MacAddr,
    nonce: [u8; 8],
    counter: u16,
) -> [u8; BLOCK_LEN] {
    crate::radius::auth::chap_response(
        counter as u8,
        aaa_secret(psk).as_bytes(),
        &plaintext(terminal, nonce, counter),
    )
}

/// The registration indication a terminal sends on the AAA path (terminal side).
pub fn aaa_indication(
    psk: &Psk,
    terminal: MacAddr,
    nonce: [u8; 8],
    counter: u16,
) -> RegistrationRepr {
    let proof = WireProof {
        counter,
        ciphertext: make_aaa_proof(psk, terminal, nonce, counter),
    };
    RegistrationRepr {
        path: RegistrationPath::Aaa,
        reserved_flags: 0,
        terminal,
        proof: proof.to_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_eq_compares_every_byte() {
        let a = [0x5Au8; BLOCK_LEN];
        assert!(ct_eq(&a, &a));
        for i in 0..BLOCK_LEN {
            let mut b = a;
            b[i] ^= 0x01;
            assert!(!ct_eq(&a, &b), "byte {i}");
        }
        assert!(!ct_eq(&a, &a[..15]));
        assert!(!ct_eq(&a, &[]));
    }

    #[test]
    fn hex_and_lengths() {
        assert_eq!(Psk::from_hex("00").unwrap_err(), ProofError::PskLength(1));
        assert_eq!(Psk::from_hex("0g").unwrap_err(), ProofError::PskHex);
        assert_eq!(Psk::from_hex("000").unwrap_err(), ProofError::PskHex);
        assert_eq!(Psk::from_hex("é0").unwrap_err(), ProofError::PskHex);
        assert_eq!(Psk::from_hex(&"Ab".repeat(32)).unwrap().len(), 32);
        assert_eq!(
            format!("{:?}", Psk::Aes128([0x42; 16])),
            "Psk(<16 bytes, redacted>)"
        );
    }
}
