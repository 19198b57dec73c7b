//! The M2M-server path with the terminal's proof checked by the AAA server
//! (`registrar.check_proof_with_aaa`; seed: "the server verifies the ciphertext with AAA").
//! Before the M2M server is asked, an Access-Request carries the AES proof and its known
//! plaintext (Subgate-Aes-Proof, Subgate-Proof-Plaintext, hex) besides the usual terminal,
//! user and service attributes; the AAA server checks it against the user's PSK (the shipped
//! FreeRADIUS configuration with `aaa/freeradius/aes-proof.sh`). Access-Reject → `BadProof`
//! (status 15) and the M2M server is never asked; no answer → `Timeout` (status 30).
//! Registrations on the AAA path are handed to the inner registrar unchanged.

use crate::radius::dict::{attr, subgate};
use crate::radius::{Attribute, Code, RadiusError};
use crate::wire::m2m::{RegistrationPath, Sid};

use super::aaa::AaaRegistrar;
use super::proof::{plaintext, WireProof};
use super::{Registrar, Registration, RegistrationError, RegistrationRequest};

/// A registrar whose M2M-server-path proofs are checked by the AAA server first.
#[derive(Debug)]
pub struct AaaCheckedRegistrar<R> {
    aaa: AaaRegistrar,
    inner: R,
    /// Proofs the AAA server accepted.
    pub accepted: u64,
    /// Proofs the AAA server rejected (the inner registrar was not asked).
    pub rejected: u64,
}

impl<R: Registrar> AaaCheckedRegistrar<R> {
    /// `inner` (the M2M server) behind the proof check of `aaa`.
    pub fn new(aaa: AaaRegistrar, inner: R) -> Self {
        AaaCheckedRegistrar {
            aaa,
            inner,
            accepted: 0,
            rejected: 0,
        }
    }

    /// The RADIUS client's counters.
    pub fn client_stats(&self) -> crate::radius::ClientStats {
        self.aaa.client_stats()
    }

    fn check(&mut self, req: &RegistrationRequest) -> Result<(), RegistrationError> {
        let Some(Sid::User(user)) = req.sids.iter().find(|s| matches!(s, Sid::User(_))) else {
            return Err(RegistrationError::UnknownUser);
        };
        let ind = &req.indication;
        if ind.terminal != req.terminal {
            return Err(RegistrationError::BadProof);
        }
        let proof = WireProof::parse(&ind.proof).map_err(|_| RegistrationError::BadProof)?;
        let mut request = self
            .aaa
            .base_request(req, &user.to_string())
            .map_err(|_| RegistrationError::BadProof)?;
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let known = plaintext(req.terminal, req.nonce, proof.counter);
        for (vtype, value) in [
            (subgate::PROOF_PLAINTEXT, hex(&known)),
            (subgate::AES_PROOF, hex(&proof.ciphertext)),
        ] {
            request.attributes.push(
                Attribute::vendor(subgate::VENDOR, vtype, value.as_bytes())
                    .map_err(|_| RegistrationError::BadProof)?,
            );
        }
        debug_assert!(request
            .attributes
            .iter()
            .all(|a| a.kind != attr::CHAP_PASSWORD));
        match self.aaa.exchange(request) {
            Ok(answer) if answer.code == Code::AccessAccept => {
                self.accepted += 1;
                Ok(())
            }
            Ok(answer) => {
                self.rejected += 1;
                tracing::debug!(terminal = %req.terminal, code = ?answer.code, "AAA refused the terminal's proof");
                Err(RegistrationError::BadProof)
            }
            Err(RadiusError::Timeout(n)) => {
                tracing::warn!(terminal = %req.terminal, tries = n, "AAA server did not answer the proof check");
                Err(RegistrationError::Timeout)
            }
            Err(e) => {
                tracing::warn!(terminal = %req.terminal, error = %e, "AAA proof check failed");
                Err(RegistrationError::Unreachable)
            }
        }
    }
}

impl<R: Registrar> Registrar for AaaCheckedRegistrar<R> {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        if req.indication.path == RegistrationPath::M2mServer {
            self.check(req)?;
        }
        self.inner.register(req)
    }
}
