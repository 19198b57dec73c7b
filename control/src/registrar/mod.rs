//! Registration of a terminal with its M2M server while it associates (issue 4; seed patent
//! FIG. 11): the association request's SIDs and registration indication become a
//! [`RegistrationRequest`], a [`Registrar`] answers with the terminal's service information
//! or a [`RegistrationError`], and the gateway either sends that configuration in the
//! association response or refuses the association with
//! [`RegistrationError::status_code`] — and then sends no configuration at all.
//!
//! Here: the M2M-server path, where the terminal proves it holds its M2M user's pre-shared
//! key with [`proof`]. The testbench's `M2mServerEmulator` implements [`Registrar`]; the AAA
//! path comes in part 2.

pub mod aaa;
pub mod aaa_check;
pub mod proof;

use crate::wire::m2m::{RegistrationRepr, ServiceInfoRepr, Sid};
use crate::wire::mgmt::StatusCode;
use crate::wire::MacAddr;

pub use proof::{make_proof, verify_proof, Psk};

/// What the gateway asks a registrar, built from one association request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRequest {
    /// The terminal (the association request's transmitter address).
    pub terminal: MacAddr,
    /// The SIDs of the association request: the M2M user id, the service, maybe a server id.
    pub sids: Vec<Sid>,
    /// The registration indication, with the proof.
    pub indication: RegistrationRepr,
    /// The gateway nonce the terminal built its proof with.
    pub nonce: [u8; 8],
}

/// A successful registration: what the gateway passes on to the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The service information for the terminal (association response).
    pub service: ServiceInfoRepr,
    /// The M2M user the terminal was registered under.
    pub user: Sid,
}

/// Why a registration failed. None of them carries service information: on failure the
/// gateway has nothing to leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RegistrationError {
    /// No M2M user id in the request, or none the registrar knows.
    #[error("unknown M2M user")]
    UnknownUser,
    /// The proof is missing, malformed, wrong, replayed, for another terminal, or for a
    /// registration path this registrar does not serve.
    #[error("PSK proof refused")]
    BadProof,
    /// The user is genuine but no service the request names is known for it.
    #[error("no service information for the requested service")]
    NoService,
    /// The M2M server could not be reached.
    #[error("M2M server unreachable")]
    Unreachable,
    /// The M2M server did not answer in time.
    #[error("M2M server did not answer in time")]
    Timeout,
}

impl RegistrationError {
    /// The status code the association response refuses with:
    ///
    /// | error                       | status code                            | why                                           |
    /// |-----------------------------|----------------------------------------|-----------------------------------------------|
    /// | `UnknownUser`, `BadProof`   | 15 `ChallengeFailure`                  | the proof answers the gateway's nonce; one code for both, so a terminal cannot probe which user ids exist |
    /// | `NoService`                 | 12 `AssociationDeniedUnspecified`      | refused for a reason outside the standard (authenticated, but not served) |
    /// | `Unreachable`, `Timeout`    | 30 `RejectedTemporarily`               | not the terminal's fault: try again later     |
    pub fn status_code(&self) -> StatusCode {
        match self {
            RegistrationError::UnknownUser | RegistrationError::BadProof => {
                StatusCode::ChallengeFailure
            }
            RegistrationError::NoService => StatusCode::AssociationDeniedUnspecified,
            RegistrationError::Unreachable | RegistrationError::Timeout => {
                StatusCode::RejectedTemporarily
            }
        }
    }
}

/// Registers terminals with their M2M server.
///
/// Synchronous for now. A registrar that talks to a real server blocks for up to
/// `registrar.timeout_ms`, so the tokio gateway will run it off the radio path (a blocking
/// task or a worker of its own) and answer the association request when it returns; the
/// radio keeps serving other terminals meanwhile.
pub trait Registrar {
    /// Registers the terminal of `req`: its service information, or why not.
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError>;
}

impl<R: Registrar + ?Sized> Registrar for &mut R {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        (**self).register(req)
    }
}

impl<R: Registrar + ?Sized> Registrar for Box<R> {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        (**self).register(req)
    }
}
