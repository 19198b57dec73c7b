//! Flood resistance (issue 10; `[limits]`, docs/hardening.md): the gateway's defences against
//! sources that cost more than a terminal ever should. Anyone in radio range can send probe,
//! authentication and association requests from any MAC address, thousands a second; what
//! such a source may take is bounded here:
//! - [`SourceLimiter`]: requests answered per source (token bucket per MAC), with a bounded
//!   table of sources;
//! - [`AnswerBudget`]: the share of each downlink part that answers to sources holding no
//!   AID may take, and how far ahead they may be queued — report acks and polls of
//!   scheduled terminals keep the rest;
//! - [`TokenBucket`]: registrar calls per second (the M2M or AAA server is not flooded);
//! - [`JoinQueue`]: the order stations started joining, so that a full joining table forgets
//!   the one joining longest rather than refusing newcomers (a flood of authentications
//!   cannot lock terminals out; a terminal evicted by a flood tries again).

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::config::LimitsConfig;
use crate::wire::MacAddr;

use super::Timeline;

/// Billionths of a token: the buckets count in integers, so that a refill is exact.
const NANO: u64 = 1_000_000_000;

/// A token bucket: `burst` tokens, refilled at `rate` per second of the gateway's clock.
#[derive(Debug, Clone)]
pub(super) struct TokenBucket {
    /// Refill, billionths of a token per µs (rate per second × 1 000).
    nano_per_us: u64,
    burst: u64,
    tokens: u64,
    last_us: u64,
}

impl TokenBucket {
    /// A full bucket.
    pub(super) fn new(rate_per_s: f64, burst: u32) -> TokenBucket {
        let burst = u64::from(burst).saturating_mul(NANO);
        TokenBucket {
            nano_per_us: ((rate_per_s * 1_000.0).round() as u64).max(1),
            burst,
            tokens: burst,
            last_us: 0,
        }
    }

    /// Tokens (in billionths) at `now_us`.
    fn level(&self, now_us: u64) -> u64 {
        let dt = now_us.saturating_sub(self.last_us);
        self.tokens
            .saturating_add(dt.saturating_mul(self.nano_per_us))
            .min(self.burst)
    }

    /// Takes a token at `now_us` if there is one.
    pub(super) fn take(&mut self, now_us: u64) -> bool {
        self.tokens = self.level(now_us);
        self.last_us = self.last_us.max(now_us);
        if self.tokens >= NANO {
            self.tokens -= NANO;
            true
        } else {
            false
        }
    }

    /// Whether the bucket would be full at `now_us` (nothing to remember about it).
    fn full_at(&self, now_us: u64) -> bool {
        self.level(now_us) >= self.burst
    }
}

/// Requests answered per source: a token bucket per MAC, at most `capacity` of them. When
/// the table is full, buckets that have refilled are forgotten (they hold nothing), then
/// the least recently used half.
#[derive(Debug)]
pub(super) struct SourceLimiter {
    rate_per_s: f64,
    burst: u32,
    capacity: usize,
    sources: HashMap<MacAddr, TokenBucket>,
}

impl SourceLimiter {
    pub(super) fn new(l: &LimitsConfig) -> SourceLimiter {
        SourceLimiter {
            rate_per_s: l.requests_per_source_per_s,
            burst: l.request_burst,
            capacity: l.sources_tracked,
            sources: HashMap::new(),
        }
    }

    /// Whether a request from `mac` at `now_us` is within its rate (and counts it).
    pub(super) fn allow(&mut self, mac: MacAddr, now_us: u64) -> bool {
        if !self.sources.contains_key(&mac) && self.sources.len() >= self.capacity {
            self.make_room(now_us);
        }
        let (rate, burst) = (self.rate_per_s, self.burst);
        self.sources
            .entry(mac)
            .or_insert_with(|| TokenBucket::new(rate, burst))
            .take(now_us)
    }

    /// Sources tracked now.
    pub(super) fn len(&self) -> usize {
        self.sources.len()
    }

    fn make_room(&mut self, now_us: u64) {
        self.sources.retain(|_, b| !b.full_at(now_us));
        if self.sources.len() >= self.capacity {
            let mut last: Vec<u64> = self.sources.values().map(|b| b.last_us).collect();
            let mid = last.len() / 2;
            let (_, cut, _) = last.select_nth_unstable(mid);
            let cut = *cut;
            self.sources.retain(|_, b| b.last_us > cut);
        }
    }
}

/// Airtime that answers to sources holding no AID may take per channel and downlink part.
#[derive(Debug)]
pub(super) struct AnswerBudget {
    timeline: Timeline,
    share_us: u64,
    horizon: u64,
    used: BTreeMap<(u8, u64), u64>,
}

/// What the budget says about an answer placed at a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// Room in this downlink part: send it there.
    Fits,
    /// This part's share is used: try the next superframe.
    NextPart,
    /// Beyond the horizon: drop it.
    Shed,
}

impl AnswerBudget {
    pub(super) fn new(timeline: Timeline, l: &LimitsConfig) -> AnswerBudget {
        let part = timeline.downlink_us.saturating_sub(timeline.beacon_us);
        AnswerBudget {
            timeline,
            share_us: (part as f64 * l.answer_share) as u64,
            horizon: u64::from(l.answer_horizon),
            used: BTreeMap::new(),
        }
    }

    /// An answer asked for at `asked_us`, `airtime_us` long, would go at `at_us` on `channel`.
    pub(super) fn check(&self, channel: u8, asked_us: u64, at_us: u64, airtime_us: u64) -> Answer {
        let t = &self.timeline;
        let first = t.superframe_start(asked_us);
        let part = t.superframe_start(at_us);
        if part > first.saturating_add(self.horizon.saturating_mul(t.superframe_us)) {
            return Answer::Shed;
        }
        let used = self.used.get(&(channel, part)).copied().unwrap_or(0);
        if used.saturating_add(airtime_us) <= self.share_us {
            Answer::Fits
        } else {
            Answer::NextPart
        }
    }

    /// Counts an answer sent at `at_us`.
    pub(super) fn take(&mut self, channel: u8, at_us: u64, airtime_us: u64) {
        let part = self.timeline.superframe_start(at_us);
        *self.used.entry((channel, part)).or_default() += airtime_us;
    }

    /// Forgets the parts before the superframe starting at `s`.
    pub(super) fn prune(&mut self, s: u64) {
        self.used.retain(|&(_, part), _| part >= s);
    }

    /// Parts tracked now.
    pub(super) fn len(&self) -> usize {
        self.used.len()
    }
}

/// The order in which stations started joining (oldest first). Entries of stations that
/// associated or went are skipped when found, and swept once the queue holds twice
/// `max_joining`.
#[derive(Debug, Default)]
pub(super) struct JoinQueue {
    order: VecDeque<MacAddr>,
}

impl JoinQueue {
    /// A station started joining.
    pub(super) fn push(&mut self, mac: MacAddr) {
        self.order.push_back(mac);
    }

    /// The station joining longest for which `joining` holds, taken off the queue.
    pub(super) fn pop_oldest(&mut self, joining: impl Fn(&MacAddr) -> bool) -> Option<MacAddr> {
        while let Some(mac) = self.order.pop_front() {
            if joining(&mac) {
                return Some(mac);
            }
        }
        None
    }

    /// Drops the entries for which `joining` no longer holds once the queue is longer than
    /// `bound`.
    pub(super) fn sweep(&mut self, bound: usize, joining: impl Fn(&MacAddr) -> bool) {
        if self.order.len() > bound {
            self.order.retain(|m| joining(m));
        }
    }

    /// Entries now.
    pub(super) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(i: u32) -> MacAddr {
        let b = i.to_be_bytes();
        MacAddr([2, 0, b[0], b[1], b[2], b[3]])
    }

    #[test]
    fn bucket_allows_burst_then_rate() {
        let mut b = TokenBucket::new(2.0, 3);
        assert!((0..3).all(|_| b.take(1_000_000)));
        assert!(!b.take(1_000_000));
        assert!(!b.take(1_400_000));
        assert!(b.take(1_500_000));
        assert!(!b.take(1_500_000));
    }

    #[test]
    fn source_table_stays_bounded_and_keeps_recent_sources() {
        let l = LimitsConfig {
            sources_tracked: 100,
            requests_per_source_per_s: 1.0,
            request_burst: 1,
            ..LimitsConfig::default()
        };
        let mut s = SourceLimiter::new(&l);
        for i in 0..10_000u32 {
            assert!(s.allow(mac(i), u64::from(i) * 100));
            assert!(s.len() <= 100);
        }
        // The most recent source is still limited.
        assert!(!s.allow(mac(9_999), 999_950));
    }

    #[test]
    fn answers_take_their_share_then_move_on_then_are_shed() {
        let t = Timeline {
            superframe_us: 1_000_000,
            beacon_us: 10_000,
            downlink_us: 110_000,
            access_us: 200_000,
        };
        let l = LimitsConfig {
            answer_share: 0.5,
            answer_horizon: 1,
            ..LimitsConfig::default()
        };
        let mut b = AnswerBudget::new(t, &l);
        assert_eq!(b.check(1, 500_000, 1_020_000, 30_000), Answer::Fits);
        b.take(1, 1_020_000, 30_000);
        assert_eq!(b.check(1, 500_000, 1_050_000, 30_000), Answer::NextPart);
        assert_eq!(b.check(2, 500_000, 1_050_000, 30_000), Answer::Fits);
        assert_eq!(b.check(1, 500_000, 2_020_000, 30_000), Answer::Shed);
        b.prune(2_000_000);
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn join_queue_skips_stations_that_moved_on() {
        let mut q = JoinQueue::default();
        for i in 0..5 {
            q.push(mac(i));
        }
        assert_eq!(q.pop_oldest(|m| *m != mac(0) && *m != mac(1)), Some(mac(2)));
        q.sweep(1, |m| *m == mac(4));
        assert_eq!(q.len(), 1);
    }
}
