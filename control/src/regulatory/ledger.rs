//! Airtime within a sliding window: the check behind every duty-cycle and dwell limit.
//!
//! Frames are booked into buckets of `window / BUCKETS_PER_WINDOW` by their start time, in
//! any order (the gateway decides some frames before others that go out earlier). A real
//! window `[x, x + W)` meets only frames that start in `(x − MAX_FRAME_US, x + W)`, and
//! those lie in at most `run` consecutive buckets, `run = ⌈(W + MAX_FRAME_US) / b⌉ + 1`.
//! A frame is admitted only if every run of that many buckets that holds it stays within
//! the limit, so every real window does too. The price is a little headroom: up to
//! `(MAX_FRAME_US + 2b) / W` of the window, 0.6 % of it for an hour's window.

use std::collections::BTreeMap;

/// Buckets per window: the check's resolution.
pub const BUCKETS_PER_WINDOW: u64 = 360;

/// Longest frame the ledger books, µs. An S1G PPDU lasts at most a few tens of ms (the
/// gateway's frames a few ms); a longer one is refused.
pub const MAX_FRAME_US: u64 = 50_000;

/// Shortest bucket, µs.
const MIN_BUCKET_US: u64 = 1_000;

/// Airtime booked per bucket for one limit.
#[derive(Debug, Clone)]
pub struct DutyLedger {
    window_us: u64,
    limit_us: u64,
    bucket_us: u64,
    run: u64,
    buckets: BTreeMap<u64, u64>,
    total_us: u64,
    frames: u64,
    /// The most any run of buckets has held after a booking, µs.
    peak_us: u64,
    /// Lowest bucket still kept (older ones are pruned).
    floor: u64,
}

impl DutyLedger {
    /// A ledger allowing `limit_us` of airtime within any `window_us`.
    pub fn new(window_us: u64, limit_us: u64) -> DutyLedger {
        let window_us = window_us.max(1);
        let bucket_us = (window_us / BUCKETS_PER_WINDOW).max(MIN_BUCKET_US);
        let run = (window_us + MAX_FRAME_US).div_ceil(bucket_us) + 1;
        DutyLedger {
            window_us,
            limit_us,
            bucket_us,
            run,
            buckets: BTreeMap::new(),
            total_us: 0,
            frames: 0,
            peak_us: 0,
            floor: 0,
        }
    }

    /// The window, µs.
    pub fn window_us(&self) -> u64 {
        self.window_us
    }

    /// Airtime allowed within any window, µs.
    pub fn limit_us(&self) -> u64 {
        self.limit_us
    }

    /// Airtime booked in all, µs.
    pub fn total_us(&self) -> u64 {
        self.total_us
    }

    /// Frames booked.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The most any run of buckets holding `bucket` would hold with `extra_us` more in it.
    fn worst_run_with(&self, bucket: u64, extra_us: u64) -> u64 {
        let lo = bucket.saturating_sub(self.run - 1);
        let hi = bucket.saturating_add(self.run - 1);
        // Airtime per bucket from lo to hi, with the new frame in its bucket.
        let span = (hi - lo + 1) as usize;
        let mut v = vec![0u64; span];
        for (&k, &us) in self.buckets.range(lo..=hi) {
            v[(k - lo) as usize] = us;
        }
        v[(bucket - lo) as usize] += extra_us;
        let run = self.run as usize;
        let mut sum: u64 = v.iter().take(run).sum();
        let mut worst = sum;
        for i in run..span {
            sum = sum + v[i] - v[i - run];
            worst = worst.max(sum);
        }
        worst
    }

    /// Whether a frame of `airtime_us` starting at `at_us` keeps every window within `cap_us`
    /// (at most the limit). Nothing is booked.
    pub fn fits(&self, at_us: u64, airtime_us: u64, cap_us: u64) -> bool {
        if airtime_us > MAX_FRAME_US {
            return false;
        }
        let bucket = at_us / self.bucket_us;
        if bucket < self.floor {
            // Older than anything kept: its windows were forgotten; refuse rather than guess.
            return false;
        }
        self.worst_run_with(bucket, airtime_us) <= cap_us.min(self.limit_us)
    }

    /// Books a frame (whether or not it fits: an unenforced limit is still measured).
    pub fn book(&mut self, at_us: u64, airtime_us: u64) {
        let bucket = (at_us / self.bucket_us).max(self.floor);
        *self.buckets.entry(bucket).or_insert(0) += airtime_us;
        self.total_us = self.total_us.saturating_add(airtime_us);
        self.frames += 1;
        self.peak_us = self.peak_us.max(self.worst_run_with(bucket, 0));
    }

    /// The most airtime any run of buckets has held since the start: an upper bound of the
    /// busiest real window.
    pub fn peak_us(&self) -> u64 {
        self.peak_us
    }

    /// Forgets buckets too old to matter for frames starting at or after `now_us` minus two
    /// windows (the gateway never places a frame that far back).
    pub fn prune(&mut self, now_us: u64) {
        let keep = now_us.saturating_sub(2 * self.window_us + MAX_FRAME_US) / self.bucket_us;
        let keep = keep.saturating_sub(self.run);
        if keep > self.floor {
            self.buckets = self.buckets.split_off(&keep);
            self.floor = keep;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact busiest window of `frames` (start, airtime): windows ending at each frame end.
    fn exact_peak(frames: &[(u64, u64)], window: u64) -> u64 {
        frames
            .iter()
            .map(|&(s, a)| {
                let end = s + a;
                let from = end.saturating_sub(window);
                frames
                    .iter()
                    .map(|&(fs, fa)| (fs + fa).min(end).saturating_sub(fs.max(from)))
                    .sum::<u64>()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn never_lets_a_window_exceed_the_limit_whatever_the_order() {
        let window = 60_000_000; // a minute
        let limit = 600_000; // 1 %
        let mut ledger = DutyLedger::new(window, limit);
        let mut booked = Vec::new();
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut refused = 0;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // frames over ten minutes, decided out of order, 1-20 ms long
            let at = x % 600_000_000;
            let air = 1_000 + (x >> 40) % 19_000;
            if ledger.fits(at, air, limit) {
                ledger.book(at, air);
                booked.push((at, air));
            } else {
                refused += 1;
            }
        }
        assert!(refused > 0, "the offered load must exceed the limit");
        let peak = exact_peak(&booked, window);
        assert!(peak <= limit, "busiest window {peak} µs > {limit} µs");
        // the offered load (35 % on average) saturates the limit: conservative, not idle
        assert!(peak >= limit * 9 / 10, "busiest window {peak} µs");
        assert!(ledger.peak_us() >= peak);
    }

    #[test]
    fn a_lower_cap_stops_a_class_early_and_prune_keeps_recent_windows() {
        let mut ledger = DutyLedger::new(10_000_000, 100_000);
        let mut t = 0;
        while ledger.fits(t, 5_000, 50_000) {
            ledger.book(t, 5_000);
            t += 100_000;
        }
        assert!(ledger.total_us() <= 50_000 && ledger.total_us() >= 40_000);
        assert!(ledger.fits(t, 5_000, 100_000));
        ledger.prune(100_000_000);
        assert!(ledger.fits(100_000_000, 5_000, 5_000));
        assert!(!ledger.fits(0, 5_000, 100_000), "forgotten past is refused");
        assert!(!ledger.fits(100_000_000, MAX_FRAME_US + 1, 100_000));
    }
}
