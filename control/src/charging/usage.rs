//! What is counted: bytes carried, split by direction and by roaming.

use serde::{Deserialize, Serialize};

/// Which way the bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Terminal to gateway (reports).
    Uplink,
    /// Gateway to terminal (configuration, group requests).
    Downlink,
}

/// Whether the terminal is away from its home network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Roaming {
    /// The terminal's home network is the gateway's.
    Home,
    /// It is not.
    Roaming,
}

impl Roaming {
    /// Roaming is decided by the terminal's home network id against the gateway's.
    pub fn of(terminal_home: &str, gateway_network: &str) -> Roaming {
        if terminal_home == gateway_network {
            Roaming::Home
        } else {
            Roaming::Roaming
        }
    }
}

/// One of the four counted classes (direction × roaming).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Class {
    /// Direction.
    pub direction: Direction,
    /// Roaming or not.
    pub roaming: Roaming,
}

impl Class {
    /// The four classes, in the order [`Volumes`] keeps them.
    pub const ALL: [Class; 4] = [
        Class::new(Direction::Uplink, Roaming::Home),
        Class::new(Direction::Downlink, Roaming::Home),
        Class::new(Direction::Uplink, Roaming::Roaming),
        Class::new(Direction::Downlink, Roaming::Roaming),
    ];

    /// A class.
    pub const fn new(direction: Direction, roaming: Roaming) -> Class {
        Class { direction, roaming }
    }

    /// Position in [`Class::ALL`].
    pub const fn index(self) -> usize {
        (matches!(self.roaming, Roaming::Roaming) as usize) * 2
            + matches!(self.direction, Direction::Downlink) as usize
    }

    /// A short name for logs and close reasons (`UL non-roaming`, …).
    pub fn name(self) -> &'static str {
        match (self.direction, self.roaming) {
            (Direction::Uplink, Roaming::Home) => "UL non-roaming",
            (Direction::Downlink, Roaming::Home) => "DL non-roaming",
            (Direction::Uplink, Roaming::Roaming) => "UL roaming",
            (Direction::Downlink, Roaming::Roaming) => "DL roaming",
        }
    }
}

/// Byte counts per class (the record format's `…ULNonroaming`, `…DLNonroaming`,
/// `…ULRoaming`, `…DLRoaming`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volumes {
    /// Uplink, non-roaming.
    pub ul_home: u64,
    /// Downlink, non-roaming.
    pub dl_home: u64,
    /// Uplink, roaming.
    pub ul_roaming: u64,
    /// Downlink, roaming.
    pub dl_roaming: u64,
}

impl Volumes {
    /// The count of `class`.
    pub fn get(&self, class: Class) -> u64 {
        match class.index() {
            0 => self.ul_home,
            1 => self.dl_home,
            2 => self.ul_roaming,
            _ => self.dl_roaming,
        }
    }

    /// Adds `bytes` to `class` (saturating: a counter never wraps).
    pub fn add(&mut self, class: Class, bytes: u64) {
        let c = match class.index() {
            0 => &mut self.ul_home,
            1 => &mut self.dl_home,
            2 => &mut self.ul_roaming,
            _ => &mut self.dl_roaming,
        };
        *c = c.saturating_add(bytes);
    }

    /// All four added.
    pub fn total(&self) -> u64 {
        Class::ALL.iter().map(|&c| self.get(c)).sum()
    }

    /// Whether nothing was counted.
    pub fn is_zero(&self) -> bool {
        self.total() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_index_their_own_counter() {
        let mut v = Volumes::default();
        for (i, c) in Class::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            v.add(*c, 10 * (i as u64 + 1));
        }
        assert_eq!(
            (v.ul_home, v.dl_home, v.ul_roaming, v.dl_roaming),
            (10, 20, 30, 40)
        );
        assert_eq!(v.total(), 100);
        v.add(Class::ALL[0], u64::MAX);
        assert_eq!(v.ul_home, u64::MAX);
        assert_eq!(Roaming::of("001-01", "001-01"), Roaming::Home);
        assert_eq!(Roaming::of("001-02", "001-01"), Roaming::Roaming);
    }
}
