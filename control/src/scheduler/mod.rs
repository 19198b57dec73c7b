//! Report-window scheduling (issue 4, DESIGN §4 "Slot scheduling"): every terminal gets an
//! initial service time and a duration on one channel, repeating with its report period, so
//! that no two terminals' windows on a channel ever overlap, whatever the mix of periods.
//!
//! # Time base
//! All times are TSF µs (`u64`). Periods are whole seconds and must divide the configured
//! hyperperiod (default 86 400 s, a day): a period that does not is refused with
//! [`ScheduleError::PeriodNotDividing`], so every schedule repeats exactly each hyperperiod.
//! A terminal's windows are `[initial + k·P, initial + k·P + duration)`, k = 0, 1, …; its
//! *offset* is `(initial − epoch) mod P`, and every offset is chosen with
//! `offset + duration ≤ P`, so each window lies inside its period (counted from the epoch).
//!
//! # What a window holds
//! The `duration` asked for is the terminal's window: its report PPDU, SIFS and the gateway's
//! ACK ([`window_us`] computes it from the PHY's own sample counts). After each window the
//! scheduler also holds [`SchedulerConfig::guard_us`] (default [`DEFAULT_GUARD_US`] = 2 ms)
//! free of any other window: the margin for the sleeping terminal's clock drift between beacons
//! (a 20 ppm crystal drifts 1.2 ms a minute) and turnaround. So the channel time held per
//! report is report + ACK + guard, and two windows on a channel are always at least
//! `guard_us` apart.
//!
//! # Algorithm
//! Each channel keeps its reservations (window + guard) grouped by period class. Two
//! periodic reservations with periods P and Q collide at some time iff their start
//! residues modulo `g = gcd(P, Q)` collide on the circle of length `g` (the differences
//! `i·P − j·Q` are exactly the multiples of `g`). So each class keeps its members *folded*
//! modulo its gcd with every other class present (a `BTreeMap` of (residue, length) →
//! count), and a candidate offset `o` for period P is free iff, for every class Q, the
//! interval `[o mod g, o mod g + len)` collides with nothing in Q's fold modulo
//! `gcd(P, Q)`. This test is exact — no hyperperiod timeline is materialised, and it is
//! not limited to harmonic periods (40 s and 60 s fold modulo 20 s); for harmonic periods
//! (60 | 900 | 3 600 | 86 400) the gcd is simply the shorter period.
//!
//! [`Scheduler::allocate`] tries channels from the least loaded and, on each, searches the
//! offsets as a tree (best fit for periodic windows): the fold moduli, closed under lcm, form
//! a divisibility chain `c₀ | c₁ | … | P` (for harmonic periods, the periods themselves:
//! 60 s | 900 s | 3 600 s | 86 400 s). Level 0 scans residues mod `c₀` upwards; each level
//! below refines its parent's residue to the `c_k / c_{k−1}` residues mod `c_k`, probing the
//! folds that depend on nothing finer. So a new one-hour window goes to the lowest one-minute
//! residue with room, then the lowest 15-minute residue under it, …: long periods stack on
//! residues already shared instead of each taking a fresh one (8 191 terminals of four
//! periods fit on two channels at 78 % instead of needing six). A blocked probe says how far
//! the candidate must move to clear what it hit, and a failed subtree how far its residue must
//! move, so every step is a jump over a reservation, never a µs walk; the search is complete
//! (it finds a free offset whenever one exists). Each channel remembers, per (period,
//! length), the level-0 residue of its last success — everything below it was blocked then
//! and insertions only block more — so a burst of allocations does not rescan; any release
//! clears these hints.
//!
//! [`Scheduler::request`] probes the proposal itself (one probe per class per channel), and if
//! it collides scans forwards and backwards from it, in time order, for the nearest free
//! offset on every channel, jumping the same way.
//!
//! Why this and not a slot grid over the hyperperiod: windows have arbitrary µs durations
//! (a grid quantises airtime away), and an interval timeline over 86 400 s would hold one
//! entry per *occurrence* (1 440 per one-minute terminal), where a fold holds one per
//! terminal.
//!
//! # Complexity
//! With `n` terminals on a channel, `c` distinct periods there and `C` channels: a probe is
//! `O(c · (log n + k))`, `k` the distinct (residue, length) entries within one window length
//! of the candidate (a handful: identical residues are counted once). Inserting or removing
//! is `O(c · log n)`; memory is `O(n · c)`. A search makes one probe per reservation it has
//! to jump over: for `allocate`, with the hints, that is the windows stacked on the residue
//! it lands in (≤ P / c₀ of them) — `O(C · c · (P/c₀ + …) · log n)` per allocation, in
//! practice a few probes; without hints (after a release) up to `O(n)` probes once. For
//! `request`, the reservations between the proposal and the nearest gap. Measured in
//! `control/tests/scheduler_props.rs` (release build, this 2-core machine): 8 191 terminals
//! of four periods on four channels in ≈ 15 ms, on two channels in ≈ 17 ms.

mod airtime;
mod channel;
mod fold;

use std::fmt;

pub use airtime::{ack_airtime_us, ack_mcs, airtime_us, window_us, ACK_PSDU_LEN, SIFS_US};

use crate::wire::m2m::{ResourceResult, ServiceTimeRepr, TimeWindow, MAX_AID};

use channel::Channel;

/// Microseconds per second.
pub const US_PER_S: u64 = 1_000_000;
/// Default guard after every window, µs: clock-drift and turnaround margin.
pub const DEFAULT_GUARD_US: u32 = 2_000;
/// Default hyperperiod, s: one day, a multiple of every usual report period (1 min, 15 min,
/// 1 h, 1 day).
pub const DEFAULT_HYPERPERIOD_S: u32 = 86_400;
/// Default channel list: S1G channel 1 only.
pub const DEFAULT_CHANNEL: u8 = 1;

/// Scheduler settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// S1G channel numbers the gateway schedules reports on (non-empty, no duplicates).
    /// Default `[1]`.
    pub channels: Vec<u8>,
    /// Hyperperiod, s: every report period must divide it. Default 86 400 (a day).
    pub hyperperiod_s: u32,
    /// Free time held after every window, µs (clock drift, turnaround). Default 2 000.
    pub guard_us: u32,
    /// TSF time the schedule counts offsets from, µs. Default 0.
    pub epoch_tsf_us: u64,
    /// The gateway's access period, held on every channel before any terminal is placed:
    /// beacon, downlink and contention for unscheduled terminals. `None` (default): none.
    pub access: Option<AccessPeriod>,
}

/// A window the gateway keeps for itself on every channel: `duration_us` from the start of
/// every `period_s` (counted from the epoch). Terminal windows and their guards never
/// overlap it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessPeriod {
    /// Repeats every this many seconds (the superframe); must divide the hyperperiod.
    pub period_s: u32,
    /// Length, µs; shorter than the period.
    pub duration_us: u32,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            channels: vec![DEFAULT_CHANNEL],
            hyperperiod_s: DEFAULT_HYPERPERIOD_S,
            guard_us: DEFAULT_GUARD_US,
            epoch_tsf_us: 0,
            access: None,
        }
    }
}

/// Why a [`SchedulerConfig`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    /// `channels` is empty.
    NoChannels,
    /// A channel number appears twice.
    DuplicateChannel(u8),
    /// `hyperperiod_s` is 0.
    ZeroHyperperiod,
    /// The access period is empty, not shorter than its period, or its period does not
    /// divide the hyperperiod.
    BadAccessPeriod(AccessPeriod),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoChannels => f.write_str("scheduler: no channels configured"),
            ConfigError::DuplicateChannel(c) => write!(f, "scheduler: channel {c} listed twice"),
            ConfigError::ZeroHyperperiod => f.write_str("scheduler: hyperperiod must be ≥ 1 s"),
            ConfigError::BadAccessPeriod(a) => write!(
                f,
                "scheduler: access period of {} µs every {} s must be > 0, shorter than its \
                 period, and its period must divide the hyperperiod",
                a.duration_us, a.period_s
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Why a window could not be allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleError {
    /// The AID is 0 or above 8191.
    InvalidTerminal(u16),
    /// Report period 0 (report-on-indication terminals get no window).
    ZeroPeriod,
    /// The period does not divide the hyperperiod.
    PeriodNotDividing {
        /// Requested period, s.
        period_s: u32,
        /// Configured hyperperiod, s.
        hyperperiod_s: u32,
    },
    /// Window duration 0.
    ZeroDuration,
    /// Window plus guard longer than the period (it would overlap its own next window).
    WindowTooLong {
        /// Requested window, µs.
        duration_us: u32,
        /// Configured guard, µs.
        guard_us: u32,
        /// Requested period, s.
        period_s: u32,
    },
    /// No channel has a free window of this length and period.
    Full {
        /// Requested period, s.
        period_s: u32,
        /// Requested window, µs.
        duration_us: u32,
    },
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ScheduleError::InvalidTerminal(aid) => write!(f, "AID {aid} is not in 1..={MAX_AID}"),
            ScheduleError::ZeroPeriod => f.write_str("report period 0 has no window"),
            ScheduleError::PeriodNotDividing {
                period_s,
                hyperperiod_s,
            } => write!(
                f,
                "report period {period_s} s does not divide the hyperperiod {hyperperiod_s} s"
            ),
            ScheduleError::ZeroDuration => f.write_str("window duration 0"),
            ScheduleError::WindowTooLong {
                duration_us,
                guard_us,
                period_s,
            } => write!(
                f,
                "window {duration_us} µs + guard {guard_us} µs does not fit a {period_s} s period"
            ),
            ScheduleError::Full {
                period_s,
                duration_us,
            } => write!(
                f,
                "no channel has a free {duration_us} µs window every {period_s} s"
            ),
        }
    }
}

impl std::error::Error for ScheduleError {}

/// A terminal's recurring report window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Allocation {
    /// The terminal's AID.
    pub terminal: u16,
    /// Channel number.
    pub channel: u8,
    /// Seconds between windows.
    pub period_s: u32,
    /// TSF time of the first window, µs (≥ the epoch).
    pub initial_time_us: u64,
    /// Window length, µs (report + SIFS + ACK; the guard follows it).
    pub duration_us: u32,
    /// `(initial_time_us − epoch) mod period`, µs; `offset_us + duration_us ≤ period`.
    pub offset_us: u64,
}

impl Allocation {
    /// Period, µs.
    pub const fn period_us(&self) -> u64 {
        self.period_s as u64 * US_PER_S
    }

    /// The first window starting at or after `tsf_us` (and not before the initial time), as
    /// `(start, end)` µs; `None` only past the end of the TSF range.
    pub fn window_at_or_after(&self, tsf_us: u64) -> Option<(u64, u64)> {
        let p = self.period_us().max(1);
        let start = if tsf_us <= self.initial_time_us {
            self.initial_time_us
        } else {
            let k = (tsf_us - self.initial_time_us).div_ceil(p);
            self.initial_time_us.checked_add(k.checked_mul(p)?)?
        };
        Some((start, start.checked_add(u64::from(self.duration_us))?))
    }

    /// The service time allocation element sent to the terminal (first window =
    /// `initial_time_us`).
    pub fn service_time(&self) -> ServiceTimeRepr {
        ServiceTimeRepr {
            window: TimeWindow {
                initial_time: self.initial_time_us,
                duration: self.duration_us,
            },
            period: self.period_s,
            channel: self.channel,
        }
    }

    /// The same allocation with its first window moved to the first one at or after
    /// `tsf_us`: what to send a terminal that joins after the initial time.
    pub fn service_time_from(&self, tsf_us: u64) -> ServiceTimeRepr {
        let mut repr = self.service_time();
        if let Some((start, _)) = self.window_at_or_after(tsf_us) {
            repr.window.initial_time = start;
        }
        repr
    }
}

impl From<&Allocation> for ServiceTimeRepr {
    fn from(a: &Allocation) -> Self {
        a.service_time()
    }
}

impl From<Allocation> for ServiceTimeRepr {
    fn from(a: Allocation) -> Self {
        a.service_time()
    }
}

/// The answer to a terminal's resource request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The proposed window is free and is now the terminal's allocation.
    Accept(Allocation),
    /// The proposal collides; this nearest free window is now the terminal's allocation.
    CounterProposal(Allocation),
    /// Nothing can be granted; the terminal keeps its previous allocation, if any.
    Reject(ScheduleError),
}

impl Decision {
    /// The resource-response result code.
    pub const fn result(&self) -> ResourceResult {
        match self {
            Decision::Accept(_) => ResourceResult::Accept,
            Decision::CounterProposal(_) => ResourceResult::CounterProposal,
            Decision::Reject(_) => ResourceResult::Reject,
        }
    }

    /// The granted allocation (accept or counter-proposal).
    pub const fn allocation(&self) -> Option<&Allocation> {
        match self {
            Decision::Accept(a) | Decision::CounterProposal(a) => Some(a),
            Decision::Reject(_) => None,
        }
    }
}

/// How much of one channel the schedule uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelOccupancy {
    /// Channel number.
    pub channel: u8,
    /// Terminals allocated on it.
    pub terminals: usize,
    /// Fraction of time inside windows (Σ duration / period).
    pub airtime: f64,
    /// Fraction of time held: windows plus their guards (Σ (duration + guard) / period).
    pub reserved: f64,
}

/// A window found by [`Scheduler::windows_in`]: `(terminal AID, start µs, end µs)`.
pub type ScheduledWindow = (u16, u64, u64);

/// Allocates non-overlapping periodic report windows over the configured channels.
#[derive(Debug, Clone)]
pub struct Scheduler {
    config: SchedulerConfig,
    hyperperiod_us: u64,
    channels: Vec<Channel>,
    /// Indexed by AID (0 unused).
    allocations: Vec<Option<Allocation>>,
}

impl Scheduler {
    /// A scheduler with nothing allocated.
    pub fn new(config: SchedulerConfig) -> Result<Scheduler, ConfigError> {
        if config.channels.is_empty() {
            return Err(ConfigError::NoChannels);
        }
        if config.hyperperiod_s == 0 {
            return Err(ConfigError::ZeroHyperperiod);
        }
        for (i, c) in config.channels.iter().enumerate() {
            if config.channels[..i].contains(c) {
                return Err(ConfigError::DuplicateChannel(*c));
            }
        }
        let hyperperiod_us = u64::from(config.hyperperiod_s) * US_PER_S;
        let mut channels: Vec<Channel> = config.channels.iter().map(|&c| Channel::new(c)).collect();
        if let Some(a) = config.access {
            let p = u64::from(a.period_s) * US_PER_S;
            if a.period_s == 0
                || a.duration_us == 0
                || u64::from(a.duration_us) >= p
                || !config.hyperperiod_s.is_multiple_of(a.period_s)
            {
                return Err(ConfigError::BadAccessPeriod(a));
            }
            for ch in &mut channels {
                ch.reserve(p, 0, u64::from(a.duration_us), hyperperiod_us);
            }
        }
        Ok(Scheduler {
            hyperperiod_us,
            channels,
            allocations: vec![None; usize::from(MAX_AID) + 1],
            config,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &SchedulerConfig {
        &self.config
    }

    /// Gives `terminal` the earliest free window of `duration_us` every `period_s` seconds, on
    /// the least loaded channel that has one. A terminal that already has an allocation gets a
    /// new one (its old window is free for the search); on error it keeps the old one.
    pub fn allocate(
        &mut self,
        terminal: u16,
        period_s: u32,
        duration_us: u32,
    ) -> Result<Allocation, ScheduleError> {
        let (p, len) = self.validate(terminal, period_s, duration_us)?;
        let old = self.take(terminal);
        for ci in self.channel_order(None) {
            if let Some(o) = self.channels[ci].pack(p, len, u64::from(duration_us)) {
                let initial = self.config.epoch_tsf_us.saturating_add(o);
                return Ok(self.commit(ci, terminal, period_s, duration_us, initial, o));
            }
        }
        if let Some(a) = old {
            self.restore(a);
        }
        Err(ScheduleError::Full {
            period_s,
            duration_us,
        })
    }

    /// Whether a window of `duration_us` every `period_s` could ever be allocated (period
    /// and length valid for this configuration; free room is not checked).
    pub fn check_request(&self, period_s: u32, duration_us: u32) -> Result<(), ScheduleError> {
        self.validate(1, period_s, duration_us).map(|_| ())
    }

    /// A terminal's resource request: its proposed window, repeating every `period_s`.
    /// Accepted if free on some channel (its current one first); otherwise the nearest free
    /// window in time (forwards or backwards, over all channels) is counter-proposed. Either
    /// way the granted window replaces the terminal's allocation. Rejected — keeping the old
    /// allocation — if the request is invalid or no channel has room.
    pub fn request(&mut self, terminal: u16, proposal: TimeWindow, period_s: u32) -> Decision {
        let (p, len) = match self.validate(terminal, period_s, proposal.duration) {
            Ok(v) => v,
            Err(e) => return Decision::Reject(e),
        };
        let d = u64::from(proposal.duration);
        let last = p - d;
        let epoch = self.config.epoch_tsf_us;
        let old = self.take(terminal);
        let order = self.channel_order(old.map(|a| a.channel));
        let op = offset_of(proposal.initial_time, epoch, p);

        if op <= last {
            for &ci in &order {
                if self.channels[ci].first_free(p, len, op, op).is_some() {
                    let initial = if proposal.initial_time >= epoch {
                        proposal.initial_time
                    } else {
                        epoch.saturating_add(op)
                    };
                    let a = self.commit(ci, terminal, period_s, proposal.duration, initial, op);
                    return Decision::Accept(a);
                }
            }
        }

        // (distance µs, channel index, offset, forwards?)
        let mut best: Option<(u64, usize, u64, bool)> = None;
        let start = op.min(last);
        for &ci in &order {
            let ch = &mut self.channels[ci];
            let fwd = ch
                .first_free(p, len, start, last)
                .or_else(|| ch.first_free(p, len, 0, start));
            let bwd = ch
                .last_free(p, len, start, 0)
                .or_else(|| ch.last_free(p, len, last, start));
            let cands = [
                fwd.map(|f| ((f + p - op) % p, f, true)),
                bwd.map(|b| ((op + p - b) % p, b, false)),
            ];
            for (dist, o, forwards) in cands.into_iter().flatten() {
                let nearer = match best {
                    None => true,
                    Some((bd, ..)) => dist < bd,
                };
                if nearer {
                    best = Some((dist, ci, o, forwards));
                }
            }
        }
        let Some((dist, ci, o, forwards)) = best else {
            if let Some(a) = old {
                self.restore(a);
            }
            return Decision::Reject(ScheduleError::Full {
                period_s,
                duration_us: proposal.duration,
            });
        };
        let t = proposal.initial_time;
        let near = if forwards {
            t.checked_add(dist)
        } else {
            t.checked_sub(dist)
        };
        let initial = match near {
            Some(x) if x >= epoch => x,
            _ => epoch.saturating_add(o),
        };
        Decision::CounterProposal(self.commit(
            ci,
            terminal,
            period_s,
            proposal.duration,
            initial,
            o,
        ))
    }

    /// Frees `terminal`'s window; returns the allocation it had.
    pub fn release(&mut self, terminal: u16) -> Option<Allocation> {
        self.take(terminal)
    }

    /// `terminal`'s current allocation.
    pub fn allocation(&self, terminal: u16) -> Option<&Allocation> {
        self.allocations.get(usize::from(terminal))?.as_ref()
    }

    /// Every current allocation, by AID.
    pub fn allocations(&self) -> impl Iterator<Item = &Allocation> + '_ {
        self.allocations.iter().flatten()
    }

    /// Number of terminals with an allocation.
    pub fn len(&self) -> usize {
        self.channels.iter().map(Channel::terminals).sum()
    }

    /// Whether nothing is allocated.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Per channel, in configuration order: terminals and the fraction of time used.
    pub fn occupancy(&self) -> Vec<ChannelOccupancy> {
        let h = self.hyperperiod_us as f64;
        self.channels
            .iter()
            .map(|c| ChannelOccupancy {
                channel: c.number,
                terminals: c.terminals(),
                airtime: c.windows_per_h() as f64 / h,
                reserved: c.reserved_per_h() as f64 / h,
            })
            .collect()
    }

    /// Windows on `channel` whose start lies in `[from_us, to_us)` (TSF µs), sorted by start,
    /// as `(terminal, start, end)`: for the beacon's report indication and for checking.
    /// Empty for a channel that is not configured.
    pub fn windows_in(
        &self,
        channel: u8,
        from_us: u64,
        to_us: u64,
    ) -> impl Iterator<Item = ScheduledWindow> {
        let mut out = Vec::new();
        let epoch = self.config.epoch_tsf_us;
        let from = from_us.max(epoch);
        if let (Some(ch), true) = (
            self.channels.iter().find(|c| c.number == channel),
            to_us > from,
        ) {
            for (aid, _, p) in ch.members_starting_in(from - epoch, to_us - epoch) {
                let Some(a) = self.allocation(aid) else {
                    continue;
                };
                let Some((mut s, _)) = a.window_at_or_after(from) else {
                    continue;
                };
                while s < to_us {
                    out.push((aid, s, s.saturating_add(u64::from(a.duration_us))));
                    match s.checked_add(p) {
                        Some(n) => s = n,
                        None => break,
                    }
                }
            }
        }
        out.sort_unstable_by_key(|&(aid, s, _)| (s, aid));
        out.into_iter()
    }

    /// Checks a request; returns (period µs, reserved length µs).
    fn validate(
        &self,
        terminal: u16,
        period_s: u32,
        duration_us: u32,
    ) -> Result<(u64, u64), ScheduleError> {
        if terminal == 0 || terminal > MAX_AID {
            return Err(ScheduleError::InvalidTerminal(terminal));
        }
        if period_s == 0 {
            return Err(ScheduleError::ZeroPeriod);
        }
        if !self.config.hyperperiod_s.is_multiple_of(period_s) {
            return Err(ScheduleError::PeriodNotDividing {
                period_s,
                hyperperiod_s: self.config.hyperperiod_s,
            });
        }
        if duration_us == 0 {
            return Err(ScheduleError::ZeroDuration);
        }
        let p = u64::from(period_s) * US_PER_S;
        let d = u64::from(duration_us);
        let len = d + u64::from(self.config.guard_us);
        if len > p || d >= p {
            return Err(ScheduleError::WindowTooLong {
                duration_us,
                guard_us: self.config.guard_us,
                period_s,
            });
        }
        Ok((p, len))
    }

    /// Channel indices to try: `prefer` first, then by load, then configuration order.
    fn channel_order(&self, prefer: Option<u8>) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.channels.len()).collect();
        idx.sort_by_key(|&i| {
            let c = &self.channels[i];
            (Some(c.number) != prefer, c.reserved_per_h(), i)
        });
        idx
    }

    fn channel_index(&self, number: u8) -> Option<usize> {
        self.channels.iter().position(|c| c.number == number)
    }

    /// Records a checked-free window.
    fn commit(
        &mut self,
        ci: usize,
        terminal: u16,
        period_s: u32,
        duration_us: u32,
        initial_time_us: u64,
        offset_us: u64,
    ) -> Allocation {
        let a = Allocation {
            terminal,
            channel: self.channels[ci].number,
            period_s,
            initial_time_us,
            duration_us,
            offset_us,
        };
        self.restore(a);
        a
    }

    /// Puts an allocation (checked free earlier) on its channel and in the table.
    fn restore(&mut self, a: Allocation) {
        let h = self.hyperperiod_us;
        let guard = u64::from(self.config.guard_us);
        if let Some(ci) = self.channel_index(a.channel) {
            let d = u64::from(a.duration_us);
            self.channels[ci].insert(a.terminal, a.period_us(), a.offset_us, d, d + guard, h);
        }
        if let Some(slot) = self.allocations.get_mut(usize::from(a.terminal)) {
            *slot = Some(a);
        }
    }

    /// Removes `terminal`'s allocation from its channel and the table.
    fn take(&mut self, terminal: u16) -> Option<Allocation> {
        let a = self.allocations.get_mut(usize::from(terminal))?.take()?;
        let h = self.hyperperiod_us;
        let guard = u64::from(self.config.guard_us);
        if let Some(ci) = self.channel_index(a.channel) {
            let d = u64::from(a.duration_us);
            self.channels[ci].remove(a.terminal, a.period_us(), a.offset_us, d, d + guard, h);
        }
        Some(a)
    }
}

/// `(t − epoch) mod p` for any `t`, µs.
fn offset_of(t: u64, epoch: u64, p: u64) -> u64 {
    if t >= epoch {
        (t - epoch) % p
    } else {
        (p - (epoch - t) % p) % p
    }
}

#[cfg(test)]
mod tests;
