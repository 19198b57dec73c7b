//! An M2M server emulator: the registrar at the far end of the M2M-server registration path.
//!
//! It holds M2M users with their pre-shared keys and the service information of each
//! service, and answers [`Registrar::register`] the way the real server is meant to:
//!
//! 1. an injected fault, if any ([`M2mServerEmulator::with_fault`]: `Unreachable`, `Timeout`);
//! 2. the first M2M user SID of the request that it knows, else `UnknownUser`;
//! 3. the proof: the M2M-server path, the indication's terminal equal to the requesting
//!    terminal, an 18-byte proof field that verifies with the user's PSK under the request's
//!    nonce, and a `(terminal, nonce, counter)` not accepted before — else `BadProof`;
//! 4. the first other SID of the request that names a known service, else `NoService`
//!    (looked up only after the proof, so unauthenticated terminals learn nothing of them);
//! 5. records `(terminal, user)` in `registered` and returns the service information.
//!
//! Every failure is a typed [`RegistrationError`] and carries no service information.

use std::collections::{HashMap, HashSet};

use subgate_control::registrar::proof::WireProof;
use subgate_control::registrar::{
    Psk, Registrar, Registration, RegistrationError, RegistrationRequest,
};
use subgate_control::wire::m2m::{RegistrationPath, ServiceInfoRepr, Sid};
use subgate_control::wire::MacAddr;

/// The M2M server emulator. Build one with [`new`](Self::new), [`with_user`](Self::with_user)
/// and [`with_service`](Self::with_service).
#[derive(Debug, Clone, Default)]
pub struct M2mServerEmulator {
    /// M2M user id → its pre-shared key.
    pub users: HashMap<Sid, Psk>,
    /// Service SID (service type or server id) → the service information returned for it.
    pub services: HashMap<Sid, ServiceInfoRepr>,
    /// Successful registrations, in order: terminal and the M2M user it registered under.
    pub registered: Vec<(MacAddr, Sid)>,
    /// Accepted proofs, `(terminal, nonce, counter)`: a second use is a replay.
    accepted: HashSet<(MacAddr, [u8; 8], u16)>,
    /// When set, every registration fails with it (to emulate an unreachable or slow server).
    fault: Option<RegistrationError>,
}

impl M2mServerEmulator {
    /// An emulator with no users and no services.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an M2M user and its PSK.
    pub fn with_user(mut self, user: Sid, psk: Psk) -> Self {
        self.users.insert(user, psk);
        self
    }

    /// Adds (or replaces) a service and the service information returned for it.
    pub fn with_service(mut self, service: Sid, info: ServiceInfoRepr) -> Self {
        self.services.insert(service, info);
        self
    }

    /// Makes every registration fail with `fault` (`None` restores normal service).
    pub fn with_fault(mut self, fault: Option<RegistrationError>) -> Self {
        self.fault = fault;
        self
    }

    /// Sets or clears the injected fault on a running emulator.
    pub fn set_fault(&mut self, fault: Option<RegistrationError>) {
        self.fault = fault;
    }

    /// Successful registrations so far.
    pub fn registered(&self) -> &[(MacAddr, Sid)] {
        &self.registered
    }

    fn check_proof(
        &mut self,
        req: &RegistrationRequest,
        psk: &Psk,
    ) -> Result<(), RegistrationError> {
        let ind = &req.indication;
        if ind.path != RegistrationPath::M2mServer || ind.terminal != req.terminal {
            return Err(RegistrationError::BadProof);
        }
        let proof = WireProof::parse(&ind.proof).map_err(|_| RegistrationError::BadProof)?;
        if !proof.verify(psk, req.terminal, req.nonce) {
            return Err(RegistrationError::BadProof);
        }
        if !self
            .accepted
            .insert((req.terminal, req.nonce, proof.counter))
        {
            return Err(RegistrationError::BadProof);
        }
        Ok(())
    }
}

impl Registrar for M2mServerEmulator {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        if let Some(fault) = self.fault {
            return Err(fault);
        }
        let (user, psk) = req
            .sids
            .iter()
            .filter(|s| matches!(s, Sid::User(_)))
            .find_map(|s| self.users.get(s).map(|psk| (s.clone(), psk.clone())))
            .ok_or(RegistrationError::UnknownUser)?;
        self.check_proof(req, &psk)?;
        let service = req
            .sids
            .iter()
            .filter(|s| !matches!(s, Sid::User(_)))
            .find_map(|s| self.services.get(s))
            .cloned()
            .ok_or(RegistrationError::NoService)?;
        self.registered.push((req.terminal, user.clone()));
        Ok(Registration { service, user })
    }
}
