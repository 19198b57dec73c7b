//! Configuration delivery by 4-way handshake (`security.delivery = "four-way"`): the
//! association response carries the AID only; message 1 follows in a data frame, and the
//! service information and service time go, wrapped with the KEK, in message 3 — sent only
//! after message 2's MIC proved the terminal holds the PMK. Until message 4 arrives the
//! terminal's resource requests are ignored: no configuration and no slot without the key.

use super::Gateway;
use crate::config::Delivery;
use crate::rsn::{Akm, AuthStep, Authenticator, Pmk};
use crate::wire::data::Repr as DataRepr;
use crate::wire::eapol;
use crate::wire::mac::fc_flags;
use crate::wire::{Frame, Ie, MacAddr};

impl Gateway {
    /// Whether `sid`'s configuration goes in the 4-way handshake.
    pub(super) fn delivers_by_handshake(&self, sid: &crate::wire::m2m::Sid) -> bool {
        self.delivery_of(sid) == Some(Delivery::FourWay)
    }

    /// The delivery of a served SID's configuration.
    pub(super) fn delivery_of(&self, sid: &crate::wire::m2m::Sid) -> Option<Delivery> {
        self.deliveries
            .iter()
            .find(|(s, _)| s == sid)
            .map(|(_, d)| *d)
    }

    /// Starts the handshake with `mac` keyed by `pmk`, carrying `config` (the elements the
    /// association response would otherwise carry) in message 3 if given, and sends the
    /// first message. `false` if there is no PMK (validation prevents it) or the
    /// configuration does not fit a KDE.
    pub(super) fn start_handshake(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        config: Option<&[Ie]>,
        pmk: Option<Pmk>,
        akm: Akm,
    ) -> bool {
        let Some(pmk) = pmk else {
            return false;
        };
        let bytes = config.map(|config| {
            let mut bytes = vec![0u8; crate::wire::ie::list_len(config)];
            crate::wire::ie::emit_list(config, &mut bytes);
            bytes
        });
        let mut anonce = [0u8; 32];
        for chunk in anonce.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_nonce());
        }
        let auth = Authenticator::new(pmk, akm, self.bssid, mac, anonce, &self.gtk, bytes);
        let Ok(mut auth) = auth else {
            tracing::warn!(%mac, "configuration too large for the configuration KDE");
            return false;
        };
        let m1 = auth.message1();
        if let Some(peer) = self.peers.get_mut(&mac) {
            peer.handshake = Some(auth);
        }
        self.send_eapol(now, channel, mac, &m1);
        true
    }

    /// Whether `mac` may be given a slot: no 802.1X and no handshake needed, or both
    /// completed.
    pub(super) fn keyed(&self, mac: &MacAddr) -> bool {
        let Some(p) = self.peers.get(mac) else {
            return true;
        };
        p.dot1x.as_ref().is_none_or(|d| d.done)
            && p.handshake.as_ref().is_none_or(Authenticator::is_complete)
    }

    /// The handshake's next retransmission (on the station's timeout): message 3 again if it
    /// was sent, else message 1; nothing once complete. Returns whether one was sent.
    pub(super) fn resend_handshake(&mut self, now: u64, channel: u8, mac: MacAddr) -> bool {
        if self.resend_eap(now, channel, mac) {
            return true;
        }
        let Some(auth) = self.peers.get_mut(&mac).and_then(|p| p.handshake.as_mut()) else {
            return false;
        };
        if auth.is_complete() {
            return false;
        }
        let pdu = match auth.resend_message3() {
            Ok(m3) => m3,
            Err(_) => auth.message1(),
        };
        self.send_eapol(now, channel, mac, &pdu);
        true
    }

    /// A data frame to the gateway: EAPOL-Key messages of a handshake in progress; anything
    /// else is ignored (user data is not carried yet).
    ///
    /// Any other EAPOL PDU from a station in an EAPOL conversation (a handshake, or 802.1X
    /// before its handshake) is refused — counted in `eapol_refused` and logged — like a
    /// forged or malformed key message; from a station in none it is ignored.
    pub(super) fn on_data(&mut self, now: u64, channel: u8, d: &DataRepr) {
        let mac = d.header.addr2;
        let Some(pdu) = eapol::pdu_of(&d.body) else {
            self.stats.rx_ignored += 1;
            return;
        };
        if pdu.get(1) == Some(&u8::from(eapol::PacketType::EapPacket)) {
            self.on_eap(now, channel, mac, pdu);
            return;
        }
        let Some(peer) = self.peers.get_mut(&mac) else {
            self.stats.rx_ignored += 1;
            return;
        };
        let Some(auth) = peer.handshake.as_mut() else {
            if peer.dot1x.is_some() {
                self.stats.eapol_refused += 1;
                tracing::debug!(%mac, "EAPOL frame refused: 802.1X runs, no 4-way handshake yet");
            } else {
                self.stats.rx_ignored += 1;
            }
            return;
        };
        match auth.on_message(pdu) {
            Ok(AuthStep::Send(m3)) => self.send_eapol(now, channel, mac, &m3),
            Ok(AuthStep::Complete { .. }) => {
                self.stats.handshakes += 1;
                tracing::debug!(%mac, "4-way handshake complete: configuration delivered");
            }
            Err(e) => {
                self.stats.eapol_refused += 1;
                tracing::debug!(%mac, error = %e, "EAPOL-Key message refused");
            }
        }
    }

    pub(super) fn send_eapol(&mut self, now: u64, channel: u8, mac: MacAddr, pdu: &[u8]) {
        let mut header = self.header_to(mac);
        header.flags = fc_flags::FROM_DS;
        self.send(channel, now, &Frame::Data(eapol::data_frame(header, pdu)));
    }
}
