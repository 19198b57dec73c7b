//! The bodies of subgate's fuzz targets (one `fuzz_targets/<name>.rs` each calls the
//! function of its name). Each takes arbitrary bytes the way the gateway takes them from
//! outside — the radio, the network, files — and must neither panic nor loop; where we emit
//! what we parsed, the emitted bytes must parse again.
//!
//! Inputs that carry a sequence (the gateway, the 4-way handshake) are read as records:
//! one length byte, then that many bytes (cut short at the end of the input).

use std::sync::OnceLock;

use subgate_control::aggregate::MemoryNorthbound;
use subgate_control::config::{Config, Delivery};
use subgate_control::gateway::Gateway;
use subgate_control::radius::{Packet as RadiusPacket, Repr as RadiusRepr};
use subgate_control::registrar::{Registrar, Registration, RegistrationError, RegistrationRequest};
use subgate_control::rsn::{Akm, Authenticator, Gtk, Pmk};
use subgate_control::store::Store;
use subgate_control::wire::m2m::{DataFormat, M2mAction, M2mElement, ServiceInfoRepr};
use subgate_control::wire::{ie, strip_fcs, with_fcs, Element, Frame, MacAddr};
use subgate_drivers::burst_stream::{Deframer, Item, Reassembler};
use subgate_dsp::rx::{Receiver, ReceiverConfig};
use subgate_dsp::{Complex32, Format};

/// Splits `data` into length-prefixed records.
pub fn records(mut data: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (&len, rest) = data.split_first()?;
        let n = usize::from(len).min(rest.len());
        let (rec, tail) = rest.split_at(n);
        data = tail;
        Some(rec)
    })
}

/// A MAC frame (no FCS, and with one): parse; what parses is emitted and must parse again.
pub fn mac_frame(data: &[u8]) {
    for bytes in [Some(data), strip_fcs(data).ok()].into_iter().flatten() {
        if let Ok(frame) = Frame::parse(bytes) {
            let emitted = frame.to_bytes();
            assert_eq!(emitted.len(), frame.buffer_len());
            if let Err(e) = Frame::parse(&emitted) {
                panic!("{frame:?} emitted as {emitted:02x?} does not parse: {e}");
            }
        }
    }
}

/// Element lists and the M2M elements in them, and M2M action bodies.
pub fn m2m_elements(data: &[u8]) {
    if let Ok(ies) = ie::parse_list(data) {
        let mut buf = vec![0; ie::list_len(&ies)];
        ie::emit_list(&ies, &mut buf);
        assert!(
            ie::parse_list(&buf).is_ok(),
            "an emitted element list parses"
        );
    }
    let mut rest = data;
    while let Ok((tail, e)) = Element::parse(rest) {
        if let Ok(m2m) = M2mElement::from_element(&e) {
            if let Ok(ie) = m2m.to_ie() {
                let mut buf = vec![0; ie.buffer_len()];
                ie.emit(&mut buf);
                let again = Element::parse(&buf).map(|(_, e)| M2mElement::from_element(&e));
                assert!(
                    matches!(again, Ok(Ok(_))),
                    "{m2m:?} emitted as {buf:02x?} does not parse"
                );
            }
        }
        if tail.len() >= rest.len() {
            break;
        }
        rest = tail;
    }
    let _ = M2mAction::parse_bytes(data);
}

/// Accepts every registration: lets the fuzzer reach configured and scheduled stations.
struct AcceptAll;

impl Registrar for AcceptAll {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        let user = req
            .sids
            .first()
            .cloned()
            .ok_or(RegistrationError::UnknownUser)?;
        Ok(Registration {
            service: ServiceInfoRepr {
                report_period: 60,
                data_format: DataFormat::Cbor,
                data_amount: 32,
                server: None,
            },
            user,
        })
    }
}

/// A gateway on channels 1 and 3 with the default configuration (configuration in the
/// association response; `deliver_four_way` for the 4-way handshake).
fn gateway(deliver_four_way: bool) -> Option<Gateway> {
    let mut config = Config::default();
    config.radio.channels = vec![1, 3];
    config.service.sids = vec!["service:metering".into(), "service:alarms".into()];
    if deliver_four_way {
        config.security.delivery = Delivery::FourWay;
        config.security.passphrase = "fuzzing passphrase".into();
    }
    Gateway::new(
        &config,
        Box::new(AcceptAll),
        Store::open_in_memory().ok()?,
        Box::new(MemoryNorthbound::new()),
        1,
    )
    .ok()
}

/// A gateway fed a sequence of received frames. Each record: a control byte (bit 0: the
/// channel, 1 or 3; bit 1: send the bytes as they are instead of adding a good FCS; bits
/// 3..7: time to advance, in 100 ms steps, polling the gateway), then the frame. An input
/// whose second byte has its low three bits set gets a gateway delivering configurations in
/// the 4-way handshake (one in eight: its PMK costs 4 096 HMAC rounds per input).
pub fn gateway_rx(data: &[u8]) {
    let four_way = data.get(1).is_some_and(|b| b & 7 == 7);
    let Some(mut gw) = gateway(four_way) else {
        return;
    };
    let mut now = 0u64;
    for rec in records(data) {
        let Some((&ctl, frame)) = rec.split_first() else {
            continue;
        };
        now += u64::from(ctl >> 3) * 100_000;
        gw.poll(now);
        let channel = if ctl & 1 == 0 { 1 } else { 3 };
        if ctl & 2 != 0 {
            gw.handle_rx(now, channel, frame);
        } else {
            gw.handle_rx(now, channel, &with_fcs(frame));
        }
        let _ = gw.drain_transmissions();
    }
    gw.flush(now);
    gw.poll(now + 5_000_000);
}

/// PBKDF2 runs 4 096 HMAC rounds: the fuzzed handshakes share one PMK.
fn pmk() -> Option<Pmk> {
    static PMK: OnceLock<Option<Pmk>> = OnceLock::new();
    PMK.get_or_init(|| Pmk::from_passphrase("fuzzing passphrase", b"subgate").ok())
        .clone()
}

/// The authenticator side of the 4-way handshake fed supplicant EAPOL-Key PDUs: records,
/// each a PDU; a record of one byte re-sends message 3 (or message 1 when its value is 0).
pub fn eapol_authenticator(data: &[u8]) {
    let Some(pmk) = pmk() else {
        return;
    };
    let gtk = Gtk {
        key_id: 1,
        key: vec![0x42; 16],
    };
    let aa = MacAddr([2, 0, 0, 0, 0, 1]);
    let spa = MacAddr([2, 0, 0, 0, 0, 2]);
    let config = Some(vec![0xdd, 4, 0x00, 0x0f, 0xac, 0x99]);
    let Ok(mut auth) = Authenticator::new(pmk, Akm::Psk, aa, spa, [7; 32], &gtk, config) else {
        return;
    };
    let _ = auth.message1();
    for rec in records(data) {
        match rec {
            [0] => {
                let _ = auth.message1();
            }
            [_] => {
                let _ = auth.resend_message3();
            }
            pdu => {
                let _ = auth.on_message(pdu);
            }
        }
    }
    let _ = auth.is_complete();
}

/// A RADIUS packet: parsed, its EAP-Message attributes reassembled, emitted and parsed
/// again.
pub fn radius(data: &[u8]) {
    let Ok(packet) = RadiusPacket::new_checked(data) else {
        return;
    };
    let Ok(repr) = RadiusRepr::parse(&packet) else {
        return;
    };
    let eap = repr.eap_message();
    if let Ok(bytes) = repr.to_bytes() {
        let again = RadiusPacket::new_checked(&bytes).and_then(|p| RadiusRepr::parse(&p));
        match again {
            Ok(r) => assert_eq!(r.eap_message(), eap, "EAP message survives a round trip"),
            Err(e) => panic!("{repr:?} emitted as {bytes:02x?} does not parse: {e}"),
        }
    }
    // The EAP message split back into attributes reassembles to itself.
    if let Some(eap) = eap {
        let mut r = RadiusRepr {
            attributes: Vec::new(),
            ..repr
        };
        r.push_eap_message(&eap);
        assert_eq!(r.eap_message().as_deref(), Some(eap.as_slice()));
    }
}

/// A SigMF metadata file.
pub fn sigmf_meta(data: &[u8]) {
    let _ = subgate_drivers::sigmf::check_meta(std::path::Path::new("fuzz.sigmf-meta"), data);
}

/// The front end's burst stream: deframed in pieces (the record lengths), segments
/// reassembled into bursts.
pub fn burst_stream(data: &[u8]) {
    let mut deframer = Deframer::new();
    let mut reassembler = Reassembler::new();
    for rec in records(data) {
        deframer.push(rec);
        while let Some(item) = deframer.next_item() {
            if let Item::Segment(seg) = item {
                let _ = reassembler.push(seg);
            }
        }
    }
    let _ = deframer.stats();
}

/// The gateway's configuration file: parsed and validated (which also builds the
/// transmit limits from the band files).
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = text.parse::<Config>() {
        let _ = config.validate();
        let _ = config.to_commented_toml();
    }
}

/// The PHY receiver fed samples: the first byte picks the format (bit 0: 1 or 2 MHz) and
/// the sample encoding (bit 1: little-endian i16 pairs scaled to ±1, else f32 pairs as
/// they are, NaN and infinities included); the rest are the samples.
pub fn phy_rx(data: &[u8]) {
    let Some((&ctl, body)) = data.split_first() else {
        return;
    };
    let format = if ctl & 1 == 0 {
        Format::S1g1M
    } else {
        Format::S1gShort2M
    };
    let samples: Vec<Complex32> = if ctl & 2 != 0 {
        body.chunks_exact(4)
            .map(|c| {
                let i = i16::from_le_bytes([c[0], c[1]]);
                let q = i16::from_le_bytes([c[2], c[3]]);
                Complex32::new(f32::from(i) / 32768.0, f32::from(q) / 32768.0)
            })
            .collect()
    } else {
        body.chunks_exact(8)
            .map(|c| {
                Complex32::new(
                    f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    f32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                )
            })
            .collect()
    };
    let mut rx = Receiver::new(ReceiverConfig::new(format));
    let mut out = Vec::new();
    // in two pieces: the receiver keeps state across calls
    let half = samples.len() / 2;
    rx.process(&samples[..half], &mut out);
    rx.process(&samples[half..], &mut out);
    // a padding of silence flushes a frame in progress
    rx.process(&vec![Complex32::new(0.0, 0.0); 4096], &mut out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_and_cut_short() {
        let r: Vec<&[u8]> = records(&[2, 1, 2, 0, 3, 9]).collect();
        assert_eq!(r, vec![&[1u8, 2][..], &[][..], &[9][..]]);
    }
}
