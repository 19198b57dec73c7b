//! Key data of EAPOL-Key messages: the RSNE and key data encapsulations (KDEs,
//! 802.11-2020 12.7.2, Figure 12-35: `DD | length | OUI (3) | data type | data`), padded for
//! key wrap. Message 3 carries the GTK KDE and subgate's configuration KDE (under
//! [`SUBGATE_OUI`], data type [`CONFIG_KDE_TYPE`]): the M2M service information and service
//! time allocation elements, encrypted with the rest of the key data.

use crate::wire::m2m::SUBGATE_OUI;

/// The IEEE 802.11 OUI of the standard KDEs.
pub const IEEE_OUI: [u8; 3] = [0x00, 0x0F, 0xAC];
/// GTK KDE data type (802.11-2020 Table 12-9).
pub const GTK_KDE_TYPE: u8 = 1;
/// subgate's configuration KDE data type (under [`SUBGATE_OUI`]).
pub const CONFIG_KDE_TYPE: u8 = 1;
/// Element id of a KDE (and of the padding byte).
const KDE_ID: u8 = 0xDD;
/// Element id of the RSNE.
const RSNE_ID: u8 = 48;

/// AKM suite selectors (802.11-2020 Table 9-151) subgate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Akm {
    /// 802.1X (PMK from the EAP MSK): suite 00-0F-AC:1.
    Ieee8021x,
    /// PSK: suite 00-0F-AC:2.
    Psk,
}

/// The RSNE both sides send in messages 2 and 3: version 1, CCMP-128 group and pairwise
/// cipher, one AKM, no capabilities. The authenticator refuses a message 2 with another one.
pub fn rsne(akm: Akm) -> Vec<u8> {
    let akm = match akm {
        Akm::Ieee8021x => 1,
        Akm::Psk => 2,
    };
    vec![
        RSNE_ID, 20, 1, 0, 0x00, 0x0F, 0xAC, 4, 1, 0, 0x00, 0x0F, 0xAC, 4, 1, 0, 0x00, 0x0F, 0xAC,
        akm, 0, 0,
    ]
}

/// One item of key data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyDataItem {
    /// An RSNE, whole (id and length included).
    Rsne(Vec<u8>),
    /// GTK KDE: key id 0–3, Tx bit, the group key.
    Gtk {
        /// Key id.
        key_id: u8,
        /// Transmit bit.
        tx: bool,
        /// GTK.
        key: Vec<u8>,
    },
    /// subgate's configuration KDE: M2M elements (service information, service time).
    Config(Vec<u8>),
    /// Any other element or KDE, whole, kept as it came.
    Other(Vec<u8>),
}

/// Malformed key data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KdeError {
    /// An element's length runs past the end.
    #[error("key data element runs past the end")]
    Truncated,
    /// A KDE too short for its OUI and type, or a GTK KDE without a key.
    #[error("malformed KDE")]
    Malformed,
    /// More than one GTK or configuration KDE.
    #[error("repeated KDE")]
    Repeated,
}

/// Writes the items, in order (no padding: see [`pad`]). Items whose body would not fit an
/// element (over 255 bytes) are `Malformed`.
pub fn emit(items: &[KeyDataItem]) -> Result<Vec<u8>, KdeError> {
    let mut out = Vec::new();
    for item in items {
        match item {
            KeyDataItem::Rsne(b) | KeyDataItem::Other(b) => out.extend_from_slice(b),
            KeyDataItem::Gtk { key_id, tx, key } => {
                let mut data = vec![(key_id & 3) | if *tx { 4 } else { 0 }, 0];
                data.extend_from_slice(key);
                kde(&mut out, IEEE_OUI, GTK_KDE_TYPE, &data)?;
            }
            KeyDataItem::Config(c) => kde(&mut out, SUBGATE_OUI, CONFIG_KDE_TYPE, c)?,
        }
    }
    Ok(out)
}

fn kde(out: &mut Vec<u8>, oui: [u8; 3], kind: u8, data: &[u8]) -> Result<(), KdeError> {
    let len = u8::try_from(4 + data.len()).map_err(|_| KdeError::Malformed)?;
    out.extend_from_slice(&[KDE_ID, len]);
    out.extend_from_slice(&oui);
    out.push(kind);
    out.extend_from_slice(data);
    Ok(())
}

/// Pads key data for AES key wrap (802.11-2020 12.7.2): when it is shorter than 16 bytes or
/// not a multiple of 8, one `DD` byte and then zeros up to the next multiple of 8 (≥ 16).
pub fn pad(data: &mut Vec<u8>) {
    if data.len() >= 16 && data.len().is_multiple_of(8) {
        return;
    }
    data.push(KDE_ID);
    while data.len() < 16 || !data.len().is_multiple_of(8) {
        data.push(0);
    }
}

/// Parses key data (after unwrapping); padding at the end (`DD` then only zeros) is dropped.
pub fn parse(mut data: &[u8]) -> Result<Vec<KeyDataItem>, KdeError> {
    let mut items = Vec::new();
    let (mut gtk, mut config) = (false, false);
    while let Some(&id) = data.first() {
        if id == KDE_ID && data[1..].iter().all(|&b| b == 0) {
            break; // padding
        }
        let len = *data.get(1).ok_or(KdeError::Truncated)? as usize;
        let whole = data.get(..2 + len).ok_or(KdeError::Truncated)?;
        let body = &whole[2..];
        data = &data[2 + len..];
        let item = match id {
            RSNE_ID => KeyDataItem::Rsne(whole.to_vec()),
            KDE_ID => {
                if body.len() < 4 {
                    return Err(KdeError::Malformed);
                }
                let (oui, kind, rest) = ([body[0], body[1], body[2]], body[3], &body[4..]);
                match (oui, kind) {
                    (IEEE_OUI, GTK_KDE_TYPE) => {
                        if rest.len() < 2 + 16 {
                            return Err(KdeError::Malformed);
                        }
                        if std::mem::replace(&mut gtk, true) {
                            return Err(KdeError::Repeated);
                        }
                        KeyDataItem::Gtk {
                            key_id: rest[0] & 3,
                            tx: rest[0] & 4 != 0,
                            key: rest[2..].to_vec(),
                        }
                    }
                    (SUBGATE_OUI, CONFIG_KDE_TYPE) => {
                        if std::mem::replace(&mut config, true) {
                            return Err(KdeError::Repeated);
                        }
                        KeyDataItem::Config(rest.to_vec())
                    }
                    _ => KeyDataItem::Other(whole.to_vec()),
                }
            }
            _ => KeyDataItem::Other(whole.to_vec()),
        };
        items.push(item);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<KeyDataItem> {
        vec![
            KeyDataItem::Rsne(rsne(Akm::Psk)),
            KeyDataItem::Gtk {
                key_id: 1,
                tx: false,
                key: vec![0x42; 16],
            },
            KeyDataItem::Config(vec![0xDD, 3, 0x02, 0x53, 0x47]),
        ]
    }

    #[test]
    fn round_trip_with_padding() {
        let mut bytes = emit(&items()).unwrap();
        let unpadded = bytes.len();
        pad(&mut bytes);
        assert!(bytes.len() >= 16 && bytes.len().is_multiple_of(8) && bytes.len() > unpadded);
        assert_eq!(bytes[unpadded], 0xDD);
        assert_eq!(parse(&bytes).unwrap(), items());
    }

    #[test]
    fn rsne_layout() {
        let r = rsne(Akm::Ieee8021x);
        assert_eq!(r.len(), 22);
        assert_eq!(r[1] as usize, r.len() - 2);
        assert_eq!(&r[14..20], &[1, 0, 0x00, 0x0F, 0xAC, 1]);
    }

    #[test]
    fn short_data_pads_to_16() {
        let mut v = vec![1, 2, 3];
        pad(&mut v);
        assert_eq!(v.len(), 16);
        let mut v = vec![0u8; 24];
        pad(&mut v);
        assert_eq!(v.len(), 24, "aligned data is left alone");
    }

    #[test]
    fn malformed_key_data_is_refused() {
        assert_eq!(parse(&[48]), Err(KdeError::Truncated));
        assert_eq!(parse(&[48, 5, 1]), Err(KdeError::Truncated));
        assert_eq!(parse(&[0xDD, 2, 0, 0x0F]), Err(KdeError::Malformed));
        // A GTK KDE with a short key.
        assert_eq!(
            parse(&[0xDD, 7, 0x00, 0x0F, 0xAC, 1, 0, 0, 9]),
            Err(KdeError::Malformed)
        );
        let mut twice = emit(&items()[2..]).unwrap();
        twice.extend(emit(&items()[2..]).unwrap());
        assert_eq!(parse(&twice), Err(KdeError::Repeated));
        // Unknown KDEs and elements are kept, not refused.
        let other = [0xDD, 4, 0x00, 0x0F, 0xAC, 9, 0x7F, 1, 0];
        assert_eq!(
            parse(&other).unwrap(),
            vec![
                KeyDataItem::Other(other[..6].to_vec()),
                KeyDataItem::Other(other[6..].to_vec())
            ]
        );
    }
}
