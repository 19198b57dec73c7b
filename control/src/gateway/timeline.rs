//! The gateway's time on air, per channel: superframes of `beacon_interval` each starting with
//! the beacon, then the gateway's downlink part, then the contention (uplink) part for
//! unscheduled terminals, then the scheduled report windows until the next beacon:
//!
//! ```text
//! |beacon| downlink …            | contention …           | report windows …             |beacon|
//! 0      beacon_us               downlink_us              access_us                      superframe
//! ```
//!
//! The scheduler holds `[0, access_us)` of every superframe on every channel, so no report
//! window ever overlaps the gateway's own part. [`Downlink`] places every frame the gateway
//! sends (other than beacons) back to back, SIFS apart, in the first downlink part at or
//! after the time it was asked for that still has room; frames never spill into contention.

use std::collections::HashMap;

use crate::scheduler::SIFS_US;

/// Superframe layout, µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// Superframe length (the beacon interval).
    pub superframe_us: u64,
    /// Time held for the beacon at the start of each superframe.
    pub beacon_us: u64,
    /// End of the downlink part, from the superframe start.
    pub downlink_us: u64,
    /// End of the access period (downlink + contention), from the superframe start.
    pub access_us: u64,
}

impl Timeline {
    /// Start of the superframe holding `t` (superframes start at multiples of its length).
    pub fn superframe_start(&self, t: u64) -> u64 {
        t - t % self.superframe_us.max(1)
    }

    /// Start of the first superframe at or after `t`.
    pub fn next_superframe(&self, t: u64) -> u64 {
        let s = self.superframe_start(t);
        if s == t {
            t
        } else {
            s.saturating_add(self.superframe_us)
        }
    }

    /// The contention part `[start, end)` of the superframe starting at `s`.
    pub fn contention(&self, s: u64) -> (u64, u64) {
        (s + self.downlink_us, s + self.access_us)
    }

    /// The downlink part left for frames other than the beacon, `[start, end)`.
    pub fn downlink(&self, s: u64) -> (u64, u64) {
        (s + self.beacon_us + SIFS_US, s + self.downlink_us)
    }
}

/// Places the gateway's frames in downlink parts, per channel.
#[derive(Debug, Clone)]
pub struct Downlink {
    timeline: Timeline,
    /// Channel → first free µs for the next frame.
    cursor: HashMap<u8, u64>,
    /// Superframes looked at before a frame is given up (the queue is that far behind).
    max_ahead: u64,
}

impl Downlink {
    /// An empty plan; frames more than `max_ahead` superframes behind are refused.
    pub fn new(timeline: Timeline, max_ahead: u64) -> Downlink {
        Downlink {
            timeline,
            cursor: HashMap::new(),
            max_ahead,
        }
    }

    /// The start of the first slot in a downlink part on `channel` at or after `not_before`
    /// with room for `airtime_us`, within `max_ahead` superframes; nothing is taken.
    pub fn slot(&self, channel: u8, not_before: u64, airtime_us: u64) -> Option<u64> {
        let t = &self.timeline;
        let cursor = self.cursor.get(&channel).copied().unwrap_or(0);
        let mut s = t.superframe_start(not_before.max(cursor));
        for _ in 0..=self.max_ahead {
            let (start, end) = t.downlink(s);
            let at = start.max(not_before).max(cursor);
            if at.saturating_add(airtime_us) <= end {
                return Some(at);
            }
            s = s.saturating_add(t.superframe_us);
        }
        None
    }

    /// Takes the slot [`slot`](Self::slot) found: later frames on `channel` go after it.
    pub fn take(&mut self, channel: u8, at: u64, airtime_us: u64) {
        self.cursor.insert(channel, at + airtime_us + SIFS_US);
    }

    /// The start time for a frame of `airtime_us` on `channel`, not before `not_before`;
    /// `None` if no downlink part within `max_ahead` superframes has room (or the frame is
    /// longer than a downlink part).
    pub fn place(&mut self, channel: u8, not_before: u64, airtime_us: u64) -> Option<u64> {
        let at = self.slot(channel, not_before, airtime_us)?;
        self.take(channel, at, airtime_us);
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeline = Timeline {
        superframe_us: 1_000_000,
        beacon_us: 10_000,
        downlink_us: 100_000,
        access_us: 200_000,
    };

    #[test]
    fn frames_go_back_to_back_in_downlink_parts() {
        let mut d = Downlink::new(T, 10);
        // asked for during contention of superframe 0: next superframe's downlink
        assert_eq!(d.place(1, 150_000, 30_000), Some(1_010_160));
        assert_eq!(d.place(1, 150_000, 30_000), Some(1_040_320));
        // a third would end at 1_100_480, after the part (1_100_000): superframe 2
        assert_eq!(d.place(1, 150_000, 30_000), Some(2_010_160));
        assert_eq!(d.place(1, 150_000, 30_000), Some(2_040_320));
        // another channel has its own cursor; inside a downlink part: right away
        assert_eq!(d.place(2, 20_000, 1_000), Some(20_000));
        // longer than a downlink part: never
        assert_eq!(d.place(3, 0, 95_000), None);
    }

    #[test]
    fn superframe_arithmetic() {
        assert_eq!(T.superframe_start(1_500_000), 1_000_000);
        assert_eq!(T.next_superframe(1_000_000), 1_000_000);
        assert_eq!(T.next_superframe(1_000_001), 2_000_000);
        assert_eq!(T.contention(2_000_000), (2_100_000, 2_200_000));
    }
}
