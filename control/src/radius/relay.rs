//! The gateway's 802.1X pass-through (RFC 3579): every EAP response of a terminal goes to the
//! AAA server in an Access-Request (EAP-Message, the State of the previous answer), and every
//! answer comes back as the next EAP request (Access-Challenge), the EAP success with the MSK
//! and the service information (Access-Accept), or the EAP failure (Access-Reject).
//!
//! The MSK arrives as MS-MPPE-Recv-Key (its first 32 bytes) and MS-MPPE-Send-Key (the next
//! 32), encrypted with the shared secret and the request's authenticator (RFC 2548; RFC 5216
//! §2.3 for the split); its first 32 bytes become the PMK (802.11-2020 12.7.1.3).

use super::auth::decrypt_mppe_key;
use super::dict::{attr, ms, subgate};
use super::{Attribute, Client, Code, RadiusError, Repr};
use crate::registrar::aaa::{service_info, station_id};
use crate::wire::m2m::{ServiceInfoRepr, Sid};
use crate::wire::MacAddr;

/// What the AAA server answered to one relayed EAP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayAnswer {
    /// The next EAP request for the terminal, and the State to send back with its response.
    Challenge {
        /// The EAP request.
        eap: Vec<u8>,
        /// The State attribute, if any.
        state: Option<Vec<u8>>,
    },
    /// Authenticated.
    Accept {
        /// The EAP success to forward (built by the gateway if the server sent none).
        eap: Option<Vec<u8>>,
        /// The MSK, if the server sent both MPPE keys and they decrypted.
        msk: Option<Box<[u8; 64]>>,
        /// The service information of the Accept, or why it is unusable.
        service: Result<ServiceInfoRepr, &'static str>,
    },
    /// Refused.
    Reject {
        /// The EAP failure to forward, if the server sent one.
        eap: Option<Vec<u8>>,
    },
}

/// Relays EAP for a gateway.
#[derive(Debug)]
pub struct EapRelay {
    client: Client,
    nas_identifier: String,
    bssid: MacAddr,
}

impl EapRelay {
    /// A relay over `client`, naming itself `nas_identifier` and `bssid`.
    pub fn new(client: Client, nas_identifier: &str, bssid: MacAddr) -> EapRelay {
        EapRelay {
            client,
            nas_identifier: nas_identifier.to_string(),
            bssid,
        }
    }

    /// The RADIUS client's counters.
    pub fn client_stats(&self) -> super::ClientStats {
        self.client.stats()
    }

    /// Relays one EAP response of `terminal`, whose EAP identity is `identity` and which
    /// asked for `sids` at association.
    pub fn relay(
        &mut self,
        terminal: MacAddr,
        identity: &[u8],
        eap: &[u8],
        state: Option<&[u8]>,
        sids: &[Sid],
    ) -> Result<RelayAnswer, RadiusError> {
        let mut attributes = vec![
            Attribute::new(attr::USER_NAME, identity)?,
            Attribute::new(attr::CALLING_STATION_ID, station_id(terminal))?,
            Attribute::new(attr::CALLED_STATION_ID, station_id(self.bssid))?,
            Attribute::new(attr::NAS_IDENTIFIER, self.nas_identifier.as_bytes())?,
            Attribute::new(attr::FRAMED_MTU, 1400u32.to_be_bytes().to_vec())?,
            Attribute::vendor(
                subgate::VENDOR,
                subgate::TERMINAL_ID,
                terminal.to_string().as_bytes(),
            )?,
        ];
        for sid in sids {
            if let Sid::Service(name) = sid {
                attributes.push(Attribute::vendor(
                    subgate::VENDOR,
                    subgate::SERVICE_TYPE,
                    name.to_string().as_bytes(),
                )?);
            }
        }
        if let Some(s) = state {
            attributes.push(Attribute::new(attr::STATE, s)?);
        }
        let mut request = Repr {
            code: Code::AccessRequest,
            identifier: 0,
            authenticator: [0; 16],
            attributes,
        };
        request.push_eap_message(eap);
        let answer = self.client.exchange(request)?;
        let repr = &answer.repr;
        let eap = repr.eap_message();
        Ok(match repr.code {
            Code::AccessChallenge => RelayAnswer::Challenge {
                eap: eap.ok_or(RadiusError::Malformed("Access-Challenge without EAP"))?,
                state: repr.get(attr::STATE).map(<[u8]>::to_vec),
            },
            Code::AccessAccept => RelayAnswer::Accept {
                eap,
                msk: msk_of(
                    repr,
                    &answer.request_authenticator,
                    &self.client.config().secret,
                ),
                service: service_info(repr),
            },
            _ => RelayAnswer::Reject { eap },
        })
    }
}

/// The MSK of an Access-Accept: Recv-Key ‖ Send-Key, 32 bytes each; `None` if either is
/// missing, malformed or of another length.
pub fn msk_of(
    accept: &Repr,
    request_authenticator: &[u8; 16],
    secret: &[u8],
) -> Option<Box<[u8; 64]>> {
    let key = |vtype: u8| {
        accept
            .vendor_attributes(ms::VENDOR)
            .into_iter()
            .find(|v| v.vtype == vtype)
            .and_then(|v| decrypt_mppe_key(v.value, request_authenticator, secret).ok())
            .filter(|k| k.len() == 32)
    };
    let (recv, send) = (key(ms::MPPE_RECV_KEY)?, key(ms::MPPE_SEND_KEY)?);
    let mut msk = Box::new([0u8; 64]);
    msk[..32].copy_from_slice(&recv);
    msk[32..].copy_from_slice(&send);
    Some(msk)
}
