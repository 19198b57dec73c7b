//! subgate's test bench: the other side of the gateway, in software (DESIGN.md §2: virtual
//! terminals, medium, scenarios, metrics).
//!
//! So far: [`m2m_server`], an M2M server emulator that holds M2M users with their pre-shared
//! keys and the service information of each service, and registers terminals through
//! [`subgate_control::registrar::Registrar`]. Virtual terminals, the frame-level medium with
//! virtual time, scenarios and metrics come next (issue 4).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aaa;
pub mod air;
pub mod bench;
pub mod broker;
pub mod charging_kill;
pub mod flood;
pub mod link;
pub mod m2m_server;
pub mod outage;
pub mod scenario;
pub mod sim;
pub mod terminal;

pub use m2m_server::M2mServerEmulator;
