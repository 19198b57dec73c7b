//! 802.11 MAC addresses, headers and frames (written by the MAC-frames work).

use std::fmt;
use std::str::FromStr;

/// A 48-bit IEEE MAC address (terminal id, BSSID, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The broadcast address ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: MacAddr = MacAddr([0xFF; 6]);

    /// Whether the group bit is set (broadcast or multicast).
    pub const fn is_group(&self) -> bool {
        self.0[0] & 1 == 1
    }

    /// Reads an address from the first six bytes of `b`.
    ///
    /// # Panics
    /// If `b` is shorter than six bytes (callers check lengths first).
    pub fn from_bytes(b: &[u8]) -> Self {
        let mut a = [0u8; 6];
        a.copy_from_slice(&b[..6]);
        MacAddr(a)
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// Error for text that is not six hex octets separated by ':' or '-'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMacError(pub String);

impl fmt::Display for ParseMacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a MAC address (six hex octets like 02:00:00:00:00:01): {:?}",
            self.0
        )
    }
}

impl std::error::Error for ParseMacError {}

impl FromStr for MacAddr {
    type Err = ParseMacError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 {
            return Err(ParseMacError(s.to_string()));
        }
        let mut a = [0u8; 6];
        for (o, p) in a.iter_mut().zip(parts) {
            if p.len() != 2 {
                return Err(ParseMacError(s.to_string()));
            }
            *o = u8::from_str_radix(p, 16).map_err(|_| ParseMacError(s.to_string()))?;
        }
        Ok(MacAddr(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse() {
        let a: MacAddr = "02:00:00:00:10:0a".parse().unwrap_or_default();
        assert_eq!(a, MacAddr([2, 0, 0, 0, 0x10, 0x0a]));
        assert_eq!(a.to_string(), "02:00:00:00:10:0a");
        assert!("02:00:00:00:10".parse::<MacAddr>().is_err());
        assert!("02:00:00:00:10:zz".parse::<MacAddr>().is_err());
        assert!(MacAddr::BROADCAST.is_group());
    }
}
