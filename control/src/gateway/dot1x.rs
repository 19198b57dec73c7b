//! 802.1X for services delivered `"eap-success"` or `"eap-four-way"`: the association is
//! accepted with the AID only (no registration indication needed), the gateway asks for the
//! terminal's EAP identity in an EAPOL frame and relays every EAP response to the `[aaa]`
//! server ([`EapRelay`]) until it accepts or rejects. The Access-Accept carries the service
//! information (the AAA server registers the terminal) and the MSK:
//! - the report window is allocated as at a registration;
//! - `"eap-success"`: the EAP-Success goes out with the configuration wrapped behind it
//!   ([`success_config`]); `"eap-four-way"`: the plain EAP-Success;
//! - the 4-way handshake keyed by the MSK (AKM 802.1X) follows, carrying the configuration in
//!   message 3 for `"eap-four-way"`. No slot before it completes.
//!
//! A reject, an Accept without MSK or usable service information, or an unreachable AAA
//! server ends it: EAP-Failure, the station deregistered and deauthenticated, no configuration.

use super::Gateway;
use crate::config::Delivery;
use crate::eap::{success_config, Code as EapCode, Packet as EapPacket};
use crate::radius::packet::MAX_VALUE_LEN;
use crate::radius::relay::RelayAnswer;
use crate::rsn::{Akm, Pmk};
use crate::station::Event;
use crate::wire::eapol::{eap_of, eap_pdu};
use crate::wire::m2m::Sid;
use crate::wire::mgmt::{capability, AidResponse, AssociationResponseRepr, StatusCode};
use crate::wire::{Frame, MacAddr, Result};

/// One terminal's 802.1X conversation.
#[derive(Debug, Clone)]
pub(super) struct Dot1x {
    /// The SIDs of its association request (the AAA server picks the service from them).
    sids: Vec<Sid>,
    /// The served SID its reports are filed under.
    service_sid: Sid,
    /// `EapSuccess` or `EapFourWay`.
    delivery: Delivery,
    /// Its AID.
    aid: u16,
    /// EAP identity from its Response/Identity.
    identity: Option<Vec<u8>>,
    /// State attribute of the last Access-Challenge.
    state: Option<Vec<u8>>,
    /// The last EAP request sent (re-sent on timeout).
    last_request: Vec<u8>,
    /// Identifier of that request.
    last_id: u8,
    /// Authenticated (the 4-way handshake may still be running).
    pub(super) done: bool,
}

impl Gateway {
    /// The 802.1X delivery of `sid`, if it has one.
    pub(super) fn dot1x_delivery(&self, sid: &Sid) -> Option<Delivery> {
        self.delivery_of(sid)
            .filter(|d| matches!(d, Delivery::EapSuccess | Delivery::EapFourWay))
    }

    /// Accepts the association with the AID only and asks for the EAP identity.
    pub(super) fn start_dot1x(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        aid: u16,
        service_sid: Sid,
        sids: Vec<Sid>,
    ) -> Result<()> {
        let Some(delivery) = self.dot1x_delivery(&service_sid) else {
            return Ok(());
        };
        if let Err(e) = self
            .stations
            .handle(mac, Event::RegistrationOk, now, &self.timeouts)
        {
            tracing::warn!(%mac, error = %e, "802.1X start refused by the state machine");
        }
        let frame = Frame::AssociationResponse(AssociationResponseRepr {
            header: self.header_to(mac),
            capability: capability::ESS,
            status: StatusCode::Success,
            elements: vec![AidResponse {
                aid,
                switch_count: 0,
                response_interval: 0,
            }
            .to_ie()],
        });
        let request = EapPacket::identity_request(1)
            .to_bytes()
            .unwrap_or_default();
        if let Some(peer) = self.peers.get_mut(&mac) {
            peer.channel = channel;
            peer.service_sid = Some(service_sid.clone());
            peer.assoc_response = Some(frame.clone());
            peer.dot1x = Some(Dot1x {
                sids,
                service_sid,
                delivery,
                aid,
                identity: None,
                state: None,
                last_request: request.clone(),
                last_id: 1,
                done: false,
            });
        }
        self.stats.associated += 1;
        self.send(channel, now, &frame);
        self.send_eapol(now, channel, mac, &eap_pdu(&request));
        Ok(())
    }

    /// Re-sends the last EAP request of a conversation in progress; whether one was sent.
    pub(super) fn resend_eap(&mut self, now: u64, channel: u8, mac: MacAddr) -> bool {
        let Some(d) = self.peers.get(&mac).and_then(|p| p.dot1x.as_ref()) else {
            return false;
        };
        if d.done {
            return false;
        }
        let pdu = eap_pdu(&d.last_request);
        self.send_eapol(now, channel, mac, &pdu);
        true
    }

    /// An EAPOL EAP packet from `mac` (the whole EAPOL PDU). What is malformed, oversized
    /// (over [`MAX_EAP_LEN`](crate::eap::MAX_EAP_LEN)), not a response, sent with no 802.1X
    /// conversation while a 4-way handshake runs, or not relayable (a response before the
    /// identity, an identity RADIUS cannot carry) is refused: counted in `eapol_refused`,
    /// logged, and never relayed.
    pub(super) fn on_eap(&mut self, now: u64, channel: u8, mac: MacAddr, pdu: &[u8]) {
        let Some(eap) = eap_of(pdu) else {
            self.stats.eapol_refused += 1;
            tracing::debug!(%mac, "malformed EAPOL EAP-Packet refused");
            return;
        };
        let packet = match EapPacket::parse(&eap) {
            Ok((p, _)) if p.code == EapCode::Response => p,
            Ok((p, _)) => {
                self.stats.eapol_refused += 1;
                tracing::debug!(%mac, code = ?p.code, "EAP packet that is not a response refused");
                return;
            }
            Err(e) => {
                self.stats.eapol_refused += 1;
                tracing::debug!(%mac, error = %e, "EAP packet refused");
                return;
            }
        };
        let Some(peer) = self.peers.get_mut(&mac) else {
            self.stats.rx_ignored += 1;
            return;
        };
        let Some(d) = peer.dot1x.as_mut() else {
            if peer.handshake.is_some() {
                self.stats.eapol_refused += 1;
                tracing::debug!(%mac, "EAP packet refused: no 802.1X, a 4-way handshake runs");
            } else {
                self.stats.rx_ignored += 1;
            }
            return;
        };
        if d.done || packet.identifier != d.last_id {
            // A late duplicate: the server has moved on.
            self.stats.rx_ignored += 1;
            return;
        }
        if packet.kind() == Some(crate::eap::TYPE_IDENTITY) && d.identity.is_none() {
            let identity = packet.data.get(1..).unwrap_or_default();
            if !(1..=MAX_VALUE_LEN).contains(&identity.len()) {
                // It goes in User-Name, of 1 to 253 bytes (RFC 2865 §5.1).
                self.stats.eapol_refused += 1;
                let len = identity.len();
                tracing::debug!(%mac, len, "EAP identity refused: not 1 to 253 bytes");
                return;
            }
            d.identity = Some(identity.to_vec());
        }
        let Some(identity) = d.identity.clone() else {
            self.stats.eapol_refused += 1;
            tracing::debug!(%mac, "EAP response before the identity refused");
            return;
        };
        let (state, sids) = (d.state.clone(), d.sids.clone());
        let Some(relay) = self.relay.as_mut() else {
            return;
        };
        let answer = relay.relay(
            mac,
            &identity,
            &eap[..4 + packet.data.len()],
            state.as_deref(),
            &sids,
        );
        match answer {
            Ok(RelayAnswer::Challenge { eap: next, state }) => {
                let id = EapPacket::parse(&next).map(|(p, _)| p.identifier);
                let Ok(id) = id else {
                    return self.end_dot1x(now, channel, mac, "malformed EAP from the AAA server");
                };
                if let Some(d) = self.peers.get_mut(&mac).and_then(|p| p.dot1x.as_mut()) {
                    d.state = state;
                    d.last_request = next.clone();
                    d.last_id = id;
                }
                self.send_eapol(now, channel, mac, &eap_pdu(&next));
            }
            Ok(RelayAnswer::Accept {
                eap: ok,
                msk,
                service,
            }) => {
                let (Some(msk), Ok(info)) = (msk, service) else {
                    return self.end_dot1x(
                        now,
                        channel,
                        mac,
                        "Access-Accept without MSK or service information",
                    );
                };
                self.dot1x_accepted(now, channel, mac, ok, &msk, info);
            }
            Ok(RelayAnswer::Reject { .. }) => {
                self.stats.eap_rejected += 1;
                self.end_dot1x(now, channel, mac, "Access-Reject");
            }
            Err(e) => {
                tracing::warn!(%mac, error = %e, "EAP relay to the AAA server failed");
                self.end_dot1x(now, channel, mac, "AAA server unreachable");
            }
        }
    }

    fn dot1x_accepted(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        success: Option<Vec<u8>>,
        msk: &[u8; 64],
        info: crate::wire::m2m::ServiceInfoRepr,
    ) {
        let Some(d) = self.peers.get(&mac).and_then(|p| p.dot1x.clone()) else {
            return;
        };
        let configuration =
            match self.configure(now, channel, mac, d.aid, d.service_sid.clone(), info) {
                Ok(Some(c)) => c,
                _ => return self.end_dot1x(now, channel, mac, "no report window"),
            };
        if let Some(dd) = self.peers.get_mut(&mac).and_then(|p| p.dot1x.as_mut()) {
            dd.done = true;
        }
        self.stats.eap_accepted += 1;
        let mut success = success
            .and_then(|s| EapPacket::parse(&s).ok().map(|(p, _)| p))
            .filter(|p| p.code == EapCode::Success)
            .unwrap_or(EapPacket {
                code: EapCode::Success,
                identifier: d.last_id,
                data: Vec::new(),
            })
            .to_bytes()
            .unwrap_or_default();
        let mut bytes = vec![0u8; crate::wire::ie::list_len(&configuration)];
        crate::wire::ie::emit_list(&configuration, &mut bytes);
        let in_m3 = match d.delivery {
            Delivery::EapSuccess => match success_config::seal(msk, &bytes) {
                Ok(sealed) => {
                    success.extend_from_slice(&sealed);
                    false
                }
                Err(_) => return self.end_dot1x(now, channel, mac, "configuration too large"),
            },
            _ => true,
        };
        self.send_eapol(now, channel, mac, &eap_pdu(&success));
        let pmk = Pmk::from_msk(msk).ok();
        let config = in_m3.then_some(configuration.as_slice());
        if !self.start_handshake(now, channel, mac, config, pmk, Akm::Ieee8021x) {
            self.deregister(now, mac, Event::Deauth);
            self.deauth(now, channel, mac);
        }
    }

    /// Ends a conversation that failed: EAP-Failure, station gone, no configuration.
    fn end_dot1x(&mut self, now: u64, channel: u8, mac: MacAddr, why: &'static str) {
        tracing::debug!(%mac, why, "802.1X failed");
        let id = self
            .peers
            .get(&mac)
            .and_then(|p| p.dot1x.as_ref())
            .map_or(0, |d| d.last_id);
        let failure = EapPacket {
            code: EapCode::Failure,
            identifier: id,
            data: Vec::new(),
        }
        .to_bytes()
        .unwrap_or_default();
        self.send_eapol(now, channel, mac, &eap_pdu(&failure));
        self.deregister(now, mac, Event::Deauth);
        self.deauth(now, channel, mac);
    }
}
