//! Owned information elements, for `Repr`s that must keep every element (known or not) so a
//! frame re-emits byte for byte. [`super::Element`]/[`super::Elements`] are the borrowed view.

use super::{Element, ElementId, Elements, Error, Result};

/// Largest element body: the length octet is one byte.
pub const MAX_BODY_LEN: usize = 255;

/// Element header: id and length octets.
pub const HEADER_LEN: usize = 2;

/// One element with its body copied out of the frame. The body length is checked on
/// construction, so emitting never fails.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ie {
    id: ElementId,
    body: Vec<u8>,
}

impl Ie {
    /// An element; `Oversized` if the body is over 255 bytes.
    pub fn new(id: ElementId, body: Vec<u8>) -> Result<Ie> {
        if body.len() > MAX_BODY_LEN {
            return Err(Error::Oversized);
        }
        Ok(Ie { id, body })
    }

    /// An element with a fixed-size body; the size limit is checked at compile time.
    pub fn fixed<const N: usize>(id: ElementId, body: [u8; N]) -> Ie {
        const { assert!(N <= MAX_BODY_LEN, "element body over 255 bytes") };
        Ie {
            id,
            body: body.to_vec(),
        }
    }

    /// Element id.
    pub fn id(&self) -> ElementId {
        self.id
    }

    /// Body (without id and length).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Copies a borrowed element.
    pub fn from_element(e: &Element<'_>) -> Ie {
        Ie {
            id: e.id,
            body: e.body.to_vec(),
        }
    }

    /// Bytes on the wire.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.body.len()
    }

    /// Writes the element at the start of `buf` (at least `buffer_len()` long); returns the
    /// bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        buf[0] = self.id.into();
        // Length fits: checked in `new` (bodies from the wire are at most 255 by framing).
        buf[1] = self.body.len() as u8;
        buf[HEADER_LEN..self.buffer_len()].copy_from_slice(&self.body);
        self.buffer_len()
    }
}

/// Parses `buf` as a whole number of elements (`Truncated` if the last one runs past the end).
pub fn parse_list(buf: &[u8]) -> Result<Vec<Ie>> {
    Elements::new(buf)
        .map(|e| e.map(|e| Ie::from_element(&e)))
        .collect()
}

/// Bytes the elements take on the wire.
pub fn list_len(ies: &[Ie]) -> usize {
    ies.iter().map(Ie::buffer_len).sum()
}

/// Writes the elements back to back into `buf` (at least `list_len` long); returns the bytes
/// written.
pub fn emit_list(ies: &[Ie], buf: &mut [u8]) -> usize {
    let mut at = 0;
    for ie in ies {
        at += ie.emit(&mut buf[at..]);
    }
    at
}

/// The first element with `id`.
pub fn find(ies: &[Ie], id: ElementId) -> Option<&Ie> {
    ies.iter().find(|e| e.id == id)
}

/// Vendor-specific elements (id 221) whose body starts with `oui`: where the M2M elements
/// live, so gateway code can pick them out of any management frame.
pub fn vendor<'a>(ies: &'a [Ie], oui: [u8; 3]) -> impl Iterator<Item = &'a Ie> + 'a {
    ies.iter()
        .filter(move |e| e.id == ElementId::VendorSpecific && e.body.starts_with(&oui))
}

#[cfg(test)]
mod tests {
    use super::*;

    // SSID "ab", then a vendor element with OUI 02:53:47 and one payload byte 0x01.
    static LIST: [u8; 10] = [0x00, 0x02, b'a', b'b', 0xDD, 0x04, 0x02, 0x53, 0x47, 0x01];

    #[test]
    fn parse_emit_and_find() {
        let ies = parse_list(&LIST).expect("valid list");
        assert_eq!(ies.len(), 2);
        assert_eq!(list_len(&ies), LIST.len());
        assert_eq!(find(&ies, ElementId::Ssid).map(Ie::body), Some(&b"ab"[..]));
        assert_eq!(vendor(&ies, [0x02, 0x53, 0x47]).count(), 1);
        assert_eq!(vendor(&ies, [0x00, 0x50, 0xF2]).count(), 0);
        let mut out = [0xA5u8; 10];
        assert_eq!(emit_list(&ies, &mut out), 10);
        assert_eq!(out, LIST);
    }

    #[test]
    fn rejects_oversized_body_and_truncated_list() {
        assert_eq!(
            Ie::new(ElementId::Ssid, vec![0; 256]),
            Err(Error::Oversized)
        );
        assert_eq!(parse_list(&LIST[..9]), Err(Error::Truncated));
    }
}
