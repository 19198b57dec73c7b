//! Robust security network pieces the gateway needs to deliver a configuration in
//! confidence: the key hierarchy ([`keys`]), the key data of EAPOL-Key frames ([`kde`]) and
//! the 4-way handshake itself ([`handshake`]) — message 3 carries subgate's configuration
//! KDE, wrapped with the KEK, so only a terminal holding the PMK (the PSK, or the MSK of an
//! EAP authentication) can read its service information and report slot.

pub mod handshake;
pub mod kde;
pub mod keys;

pub use handshake::{
    AuthStep, Authenticator, Delivered, Gtk, HandshakeError, SuppStep, Supplicant,
};
pub use kde::Akm;
pub use keys::{KeyError, Pmk, Ptk};
