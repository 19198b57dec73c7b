//! Registration through an AAA server over RADIUS (issue 7; seed patent FIG. 12): the gateway
//! turns the association request into an Access-Request, the AAA server checks the terminal's
//! proof, finds the M2M server and service for it, and answers with the service information.
//!
//! # Access-Request
//! | attribute                        | value                                                   |
//! |----------------------------------|---------------------------------------------------------|
//! | User-Name                        | the M2M user id (first user SID of the request)         |
//! | CHAP-Challenge                   | the proof's known plaintext: terminal, nonce, counter   |
//! | CHAP-Password                    | counter's low byte, then the terminal's 16-byte proof   |
//! | Calling-Station-Id               | the terminal's MAC address, `02-00-00-00-10-01`          |
//! | Called-Station-Id                | the gateway's BSSID                                     |
//! | NAS-Identifier                   | `aaa.nas_identifier` (default: the gateway's name)      |
//! | Subgate-Terminal-Id              | the terminal id, `02:00:00:00:10:01`                    |
//! | Subgate-M2M-User                 | the M2M user id                                         |
//! | Subgate-Service-Type / -Server-Id | one per service or server SID of the request           |
//!
//! The proof is [`proof::make_aaa_proof`](super::proof::make_aaa_proof): a CHAP response the
//! server checks against the user's password (the PSK in hex), so a stock FreeRADIUS verifies
//! it with its `chap` module.
//!
//! # Answers
//! - Access-Accept with Subgate-Report-Period, Subgate-Data-Amount (both required),
//!   Subgate-Data-Format (default opaque) and Subgate-Server-Id (optional) → the service
//!   information. An Accept missing a required attribute, or carrying a Subgate attribute
//!   this version does not know or cannot read, is refused (`NoService`) and logged: the
//!   gateway delivers only configuration it understood.
//! - Access-Reject (wrong proof, unknown user, no entry for the service) → `BadProof`
//!   (status 15, one code so a terminal cannot probe which users exist).
//! - No verified answer after the client's retransmissions → `Timeout` (status 30); a socket
//!   failure → `Unreachable` (status 30).

use crate::radius::dict::{attr, subgate};
use crate::radius::{Attribute, Client, ClientStats, Code, RadiusError, Repr};
use crate::wire::m2m::{DataFormat, RegistrationPath, ServiceInfoRepr, Sid};
use crate::wire::MacAddr;

use super::proof::{plaintext, WireProof};
use super::{Registrar, Registration, RegistrationError, RegistrationRequest};

/// Registers terminals through a RADIUS server.
#[derive(Debug)]
pub struct AaaRegistrar {
    client: Client,
    nas_identifier: String,
    bssid: MacAddr,
    /// Accepts refused because of their content (missing or unknown attributes).
    pub refused_answers: u64,
}

impl AaaRegistrar {
    /// A registrar over `client`, naming itself `nas_identifier` and `bssid` in requests.
    pub fn new(client: Client, nas_identifier: &str, bssid: MacAddr) -> AaaRegistrar {
        AaaRegistrar {
            client,
            nas_identifier: nas_identifier.to_string(),
            bssid,
            refused_answers: 0,
        }
    }

    /// The registrar `config.aaa` describes (the configuration must have been validated).
    pub fn from_config(config: &crate::config::Config) -> Result<AaaRegistrar, RadiusError> {
        let client = Client::new(config.aaa.client_config()?)?;
        let bssid = config
            .gateway
            .bssid
            .parse()
            .map_err(|_| RadiusError::Malformed("gateway.bssid is not a MAC address"))?;
        Ok(AaaRegistrar::new(
            client,
            config.aaa.nas_identifier_or(&config.gateway.name),
            bssid,
        ))
    }

    /// The RADIUS client's counters (retransmissions, forged answers dropped, timeouts).
    pub fn client_stats(&self) -> ClientStats {
        self.client.stats()
    }

    /// The Access-Request for `req` (identifier and authenticators are the client's).
    pub fn access_request(
        &self,
        req: &RegistrationRequest,
        user: &str,
        proof: &WireProof,
    ) -> Result<Repr, RadiusError> {
        let mut request = self.base_request(req, user)?;
        let mut chap = vec![proof.counter as u8];
        chap.extend_from_slice(&proof.ciphertext);
        request.attributes.splice(
            1..1,
            [
                Attribute::new(
                    attr::CHAP_CHALLENGE,
                    plaintext(req.terminal, req.nonce, proof.counter).to_vec(),
                )?,
                Attribute::new(attr::CHAP_PASSWORD, chap)?,
            ],
        );
        Ok(request)
    }

    /// An Access-Request naming the terminal, its user and its services, without any proof
    /// (the AAA path adds CHAP, the M2M path's proof check its AES proof).
    pub(crate) fn base_request(
        &self,
        req: &RegistrationRequest,
        user: &str,
    ) -> Result<Repr, RadiusError> {
        let terminal = req.terminal;
        let mut attributes = vec![
            Attribute::new(attr::USER_NAME, user.as_bytes())?,
            Attribute::new(attr::CALLING_STATION_ID, station_id(terminal))?,
            Attribute::new(attr::CALLED_STATION_ID, station_id(self.bssid))?,
            Attribute::new(attr::NAS_IDENTIFIER, self.nas_identifier.as_bytes())?,
            Attribute::vendor(
                subgate::VENDOR,
                subgate::TERMINAL_ID,
                terminal.to_string().as_bytes(),
            )?,
            Attribute::vendor(subgate::VENDOR, subgate::M2M_USER, user.as_bytes())?,
        ];
        for sid in &req.sids {
            let (vtype, text) = match sid {
                Sid::Service(name) => (subgate::SERVICE_TYPE, name.to_string()),
                Sid::ServerIp(_) | Sid::ServerUrl(_) => (subgate::SERVER_ID, sid.to_string()),
                _ => continue,
            };
            attributes.push(Attribute::vendor(subgate::VENDOR, vtype, text.as_bytes())?);
        }
        Ok(Repr {
            code: Code::AccessRequest,
            identifier: 0,
            authenticator: [0; 16],
            attributes,
        })
    }

    /// Sends `request` and returns the verified answer.
    pub(crate) fn exchange(&mut self, request: Repr) -> Result<Repr, RadiusError> {
        self.client.exchange(request).map(|a| a.repr)
    }
}

/// A MAC address the way RADIUS station ids write it (RFC 3580 §3.21): `02-00-00-00-10-01`.
pub fn station_id(mac: MacAddr) -> Vec<u8> {
    mac.to_string()
        .replace(':', "-")
        .to_uppercase()
        .into_bytes()
}

/// The service information of an Access-Accept, or why it is refused.
pub fn service_info(accept: &Repr) -> Result<ServiceInfoRepr, &'static str> {
    let mut period = None;
    let mut amount = None;
    let mut format = DataFormat::Opaque;
    let mut server = None;
    for a in accept
        .attributes
        .iter()
        .filter(|a| a.kind == attr::VENDOR_SPECIFIC)
    {
        let Ok(vsas) = crate::radius::packet::vsas(&a.value) else {
            if a.value.get(..4) == Some(&subgate::VENDOR.to_be_bytes()[..]) {
                return Err("malformed Subgate vendor attribute");
            }
            continue;
        };
        for v in vsas.into_iter().filter(|v| v.vendor == subgate::VENDOR) {
            let int = || -> Result<u32, &'static str> {
                let b: [u8; 4] = v.value.try_into().map_err(|_| "integer not 4 bytes")?;
                Ok(u32::from_be_bytes(b))
            };
            match v.vtype {
                subgate::REPORT_PERIOD => period = Some(int()?),
                subgate::DATA_AMOUNT => amount = Some(int()?),
                subgate::DATA_FORMAT => {
                    let code = u8::try_from(int()?).map_err(|_| "data format over 255")?;
                    format = DataFormat::from(code);
                }
                subgate::SERVER_ID => {
                    let text = std::str::from_utf8(v.value).map_err(|_| "server id not text")?;
                    let sid: Sid = text.parse().map_err(|_| "server id not a SID")?;
                    if !matches!(sid, Sid::ServerIp(_) | Sid::ServerUrl(_)) {
                        return Err("server id is not a server SID");
                    }
                    server = Some(sid);
                }
                subgate::TERMINAL_ID | subgate::M2M_USER | subgate::SERVICE_TYPE => {}
                _ => return Err("unknown Subgate vendor attribute"),
            }
        }
    }
    let report_period = period.ok_or("no Subgate-Report-Period")?;
    if report_period == 0 {
        return Err("report period 0");
    }
    Ok(ServiceInfoRepr {
        report_period,
        data_format: format,
        data_amount: amount.ok_or("no Subgate-Data-Amount")?,
        server,
    })
}

impl Registrar for AaaRegistrar {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        let user = req
            .sids
            .iter()
            .find(|s| matches!(s, Sid::User(_)))
            .cloned()
            .ok_or(RegistrationError::UnknownUser)?;
        let Sid::User(name) = &user else {
            return Err(RegistrationError::UnknownUser);
        };
        let ind = &req.indication;
        if ind.path != RegistrationPath::Aaa || ind.terminal != req.terminal {
            return Err(RegistrationError::BadProof);
        }
        let proof = WireProof::parse(&ind.proof).map_err(|_| RegistrationError::BadProof)?;
        let request = self
            .access_request(req, &name.to_string(), &proof)
            .map_err(|_| RegistrationError::BadProof)?;
        let answer = match self.client.exchange(request) {
            Ok(a) => a.repr,
            Err(RadiusError::Timeout(n)) => {
                tracing::warn!(terminal = %req.terminal, tries = n, "AAA server did not answer");
                return Err(RegistrationError::Timeout);
            }
            Err(e) => {
                tracing::warn!(terminal = %req.terminal, error = %e, "AAA request failed");
                return Err(RegistrationError::Unreachable);
            }
        };
        match answer.code {
            Code::AccessAccept => match service_info(&answer) {
                Ok(service) => Ok(Registration { service, user }),
                Err(why) => {
                    self.refused_answers += 1;
                    tracing::warn!(terminal = %req.terminal, why, "Access-Accept refused");
                    Err(RegistrationError::NoService)
                }
            },
            code => {
                tracing::debug!(terminal = %req.terminal, ?code, "AAA refused the registration");
                Err(RegistrationError::BadProof)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(vsas: &[(u8, &[u8])]) -> Repr {
        Repr {
            code: Code::AccessAccept,
            identifier: 1,
            authenticator: [0; 16],
            attributes: vsas
                .iter()
                .map(|(t, v)| Attribute::vendor(subgate::VENDOR, *t, v).unwrap())
                .collect(),
        }
    }

    #[test]
    fn service_info_from_accept() {
        let a = accept(&[
            (subgate::REPORT_PERIOD, &900u32.to_be_bytes()),
            (subgate::DATA_AMOUNT, &32u32.to_be_bytes()),
            (subgate::DATA_FORMAT, &1u32.to_be_bytes()),
            (subgate::SERVER_ID, b"server:10.0.0.7"),
        ]);
        let info = service_info(&a).unwrap();
        assert_eq!(info.report_period, 900);
        assert_eq!(info.data_amount, 32);
        assert_eq!(info.data_format, DataFormat::Json);
        assert_eq!(info.server, Some("server:10.0.0.7".parse().unwrap()));
    }

    #[test]
    fn incomplete_or_unknown_accepts_are_refused() {
        let amount = 32u32.to_be_bytes();
        let period = 900u32.to_be_bytes();
        assert!(service_info(&accept(&[(subgate::DATA_AMOUNT, &amount)])).is_err());
        assert!(service_info(&accept(&[(subgate::REPORT_PERIOD, &period)])).is_err());
        assert!(service_info(&accept(&[
            (subgate::REPORT_PERIOD, &period),
            (subgate::DATA_AMOUNT, &amount),
            (99, b"new"),
        ]))
        .is_err());
        assert!(service_info(&accept(&[
            (subgate::REPORT_PERIOD, &period[..3]),
            (subgate::DATA_AMOUNT, &amount),
        ]))
        .is_err());
        assert!(service_info(&accept(&[
            (subgate::REPORT_PERIOD, &period),
            (subgate::DATA_AMOUNT, &amount),
            (subgate::SERVER_ID, b"user:acme"),
        ]))
        .is_err());
        // Another vendor's attributes are not ours to judge.
        let mut other = accept(&[
            (subgate::REPORT_PERIOD, &period),
            (subgate::DATA_AMOUNT, &amount),
        ]);
        other
            .attributes
            .push(Attribute::vendor(311, 99, b"x").unwrap());
        other
            .attributes
            .push(Attribute::new(attr::VENDOR_SPECIFIC, vec![0, 0, 1, 55, 200]).unwrap());
        assert!(service_info(&other).is_ok());
    }

    #[test]
    fn station_id_form() {
        let mac: MacAddr = "02:00:00:00:10:0a".parse().unwrap();
        assert_eq!(station_id(mac), b"02-00-00-00-10-0A".to_vec());
    }
}
