//! Information elements: `id, length, body` triplets, walked as `(rest, item)`.
//! Unknown ids keep their raw bytes so they are re-emitted unchanged.

use super::{Error, Result};

crate::enum_with_unknown! {
    /// Element ids this gateway names (802.11-2020 Table 9-92; S1G ids from 802.11ah).
    pub enum ElementId(u8) {
        /// SSID.
        Ssid = 0,
        /// Traffic indication map.
        Tim = 5,
        /// Challenge text: subgate's gateway nonce for the registration proof, in the
        /// authentication response.
        ChallengeText = 16,
        /// Vendor specific (our M2M elements live here, under subgate's OUI).
        VendorSpecific = 221,
        /// Extension (id extension in the first body byte).
        Extension = 255,
        /// RAW parameter set.
        RawParameterSet = 208,
        /// AID request.
        AidRequest = 210,
        /// AID response.
        AidResponse = 211,
        /// S1G beacon compatibility.
        S1gBeaconCompatibility = 213,
        /// Short beacon interval.
        ShortBeaconInterval = 214,
        /// S1G capabilities.
        S1gCapabilities = 217,
        /// S1G operation.
        S1gOperation = 232,
    }
}

/// One element, borrowed from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    /// Element id.
    pub id: ElementId,
    /// Body (without id and length).
    pub body: &'a [u8],
}

impl<'a> Element<'a> {
    /// Parses the first element of `buf`, returning it and the bytes after it.
    pub fn parse(buf: &'a [u8]) -> Result<(&'a [u8], Element<'a>)> {
        if buf.len() < 2 {
            return Err(Error::Truncated);
        }
        let len = buf[1] as usize;
        let body = buf.get(2..2 + len).ok_or(Error::Truncated)?;
        Ok((
            &buf[2 + len..],
            Element {
                id: ElementId::from(buf[0]),
                body,
            },
        ))
    }

    /// Bytes this element takes on the wire.
    pub fn buffer_len(&self) -> usize {
        2 + self.body.len()
    }

    /// Writes the element into the start of `buf`; returns the bytes written.
    ///
    /// # Panics
    /// If the body is over 255 bytes or `buf` is shorter than `buffer_len()`.
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        assert!(self.body.len() <= 255, "element body over 255 bytes");
        buf[0] = self.id.into();
        buf[1] = self.body.len() as u8;
        buf[2..2 + self.body.len()].copy_from_slice(self.body);
        self.buffer_len()
    }
}

/// Iterator over the elements of a frame body; yields `Err` once and stops on bad framing.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Elements<'a> {
    /// Elements packed in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Elements {
            rest: buf,
            failed: false,
        }
    }

    /// Checks that `buf` is a whole number of well-formed elements.
    pub fn check(buf: &'a [u8]) -> Result<()> {
        for e in Elements::new(buf) {
            e?;
        }
        Ok(())
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Element<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        match Element::parse(self.rest) {
            Ok((rest, e)) => {
                self.rest = rest;
                Some(Ok(e))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TWO: [u8; 9] = [
        0x00, 0x03, b'a', b'b', b'c', // SSID "abc"
        0xC8, 0x02, 0x11, 0x22, // id 200 (unknown here), 2 bytes
    ];

    #[test]
    fn walks_and_keeps_unknown_ids() {
        let v: Vec<Element> = Elements::new(&TWO).filter_map(|e| e.ok()).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].id, ElementId::Ssid);
        assert_eq!(v[1].id, ElementId::Unknown(200));
        let mut out = [0xA5u8; 9];
        let n = v[0].emit(&mut out);
        v[1].emit(&mut out[n..]);
        assert_eq!(out, TWO);
    }

    #[test]
    fn rejects_a_length_past_the_end() {
        assert_eq!(Elements::check(&TWO[..8]), Err(Error::Truncated));
        assert_eq!(Elements::check(&[0x00]), Err(Error::Truncated));
        assert_eq!(Elements::check(&[]), Ok(()));
    }
}
