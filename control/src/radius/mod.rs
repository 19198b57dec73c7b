//! RADIUS, the gateway's side of it (issue 7's AAA path): a codec for the packets
//! ([`packet`]), the authenticators and key decryption keyed by the shared secret
//! ([`auth`]), the attribute numbers and subgate's vendor attributes ([`dict`]), and a
//! blocking client with retransmission and backoff that accepts only answers proven to come
//! from the server ([`client`]).
//!
//! Written here rather than taken from a crate (../shared/FIELD-NOTES.md: the RADIUS crates
//! are small and rarely updated): the parsers are total — every malformed or forged input is
//! a [`RadiusError`], never a panic — and fuzzed (tests/radius_props.rs).

pub mod auth;
pub mod client;
pub mod dict;
pub mod packet;
pub mod relay;

pub use client::{Client, ClientConfig, ClientStats, Response};
pub use packet::{Attribute, Code, Packet, Repr};

/// Why a RADIUS packet was refused or an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RadiusError {
    /// Fewer bytes than the header or the length field says.
    #[error("RADIUS packet truncated")]
    Truncated,
    /// A length, attribute or value that breaks the format.
    #[error("malformed RADIUS packet: {0}")]
    Malformed(&'static str),
    /// A Response Authenticator or Message-Authenticator that does not verify with our
    /// secret: a forged or corrupted answer (dropped, never believed).
    #[error("RADIUS authenticator does not verify (forged answer or wrong shared secret)")]
    BadAuthenticator,
    /// The shared secret cannot key the MAC (empty).
    #[error("empty RADIUS shared secret")]
    Secret,
    /// No verified answer after every retransmission.
    #[error("RADIUS server did not answer after {0} tries")]
    Timeout(u32),
    /// The socket failed.
    #[error("RADIUS socket: {0}")]
    Io(String),
}
