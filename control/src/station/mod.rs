//! Per-station state at the gateway: the SID filter that runs before any of it exists, the
//! station state machine, and the table of stations with AID allocation.
//!
//! - [`sid_filter`]: [`SidFilter::check`] answers a probe or association request's SIDs with
//!   [`FilterResult::Match`] (holding a [`Matched`] token), `NotSupported` or `Silent`.
//! - [`fsm`]: [`Station`], its [`State`]s, [`Event`]s, [`Timeouts`] and the transition table.
//! - [`Stations`] (here): stations keyed by MAC, bounded in number, each associated station
//!   holding a unique AID in 1..=8191 (lowest free first). A station can only enter the table
//!   through [`Stations::get_or_insert_after_filter`], which consumes a [`Matched`] token that
//!   only the filter builds: no state for frames whose SIDs the gateway does not serve.
//!
//! The table keeps its own invariants, so it hands out `&Station` only and drives the state
//! machine itself ([`Stations::associate`], [`Stations::handle`], [`Stations::poll`]):
//! - an AID is reserved for an association request and released by every transition that
//!   frees it (returned as [`Transition::freed_aid`] so the caller also releases the scheduler
//!   slot), and by [`Stations::remove`];
//! - a station that reaches `Deregistered`, or falls back to `Unknown` by timeout, is
//!   forgotten (removed from the table): a terminal that comes back starts again from the
//!   SID filter;
//! - deadlines are indexed in time order, so [`Stations::poll`] costs O(log n) per due
//!   station, not a scan of the table.

pub mod fsm;
pub mod sid_filter;

use std::collections::{BTreeSet, HashMap};

use thiserror::Error;

use crate::wire::m2m::MAX_AID;
use crate::wire::MacAddr;

pub use fsm::{Event, InvalidTransition, State, Station, TimeoutAction, Timeouts, Transition};
pub use sid_filter::{FilterResult, Matched, SidFilter, Unmatched};

/// Bits per word of the AID bitmap.
const WORD_BITS: usize = u64::BITS as usize;
/// Words of the AID bitmap: bits 0..=MAX_AID (bit 0, never an AID, is kept set).
const AID_WORDS: usize = (MAX_AID as usize) / WORD_BITS + 1;

/// Why the table refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum StationError {
    /// The table holds its maximum number of stations.
    #[error("station table full ({0} stations)")]
    Full(usize),
    /// No station with this MAC (never filtered in, or forgotten).
    #[error("no station {0}")]
    NotFound(MacAddr),
    /// Every AID 1..=8191 is taken.
    #[error("no free AID (1..={MAX_AID} all taken)")]
    NoFreeAid,
    /// The state machine refused the event (station unchanged).
    #[error(transparent)]
    Invalid(#[from] InvalidTransition),
    /// `AssocRequest` given to [`Stations::handle`]: use [`Stations::associate`], which
    /// reserves the AID.
    #[error("association requests go through Stations::associate, which reserves the AID")]
    AssocViaAssociate,
}

/// The lowest-free AID allocator over 1..=8191: a bitmap, O(128 words) per allocation.
#[derive(Debug, Clone)]
struct AidPool {
    used: [u64; AID_WORDS],
    count: usize,
}

impl AidPool {
    fn new() -> AidPool {
        let mut used = [0u64; AID_WORDS];
        used[0] = 1; // AID 0 is not an AID.
        AidPool { used, count: 0 }
    }

    fn alloc(&mut self) -> Option<u16> {
        let (w, word) = self
            .used
            .iter()
            .enumerate()
            .find(|(_, word)| **word != u64::MAX)?;
        let bit = word.trailing_ones() as usize;
        let aid = w * WORD_BITS + bit;
        let aid = u16::try_from(aid).ok().filter(|a| *a <= MAX_AID)?;
        self.used[w] |= 1 << bit;
        self.count += 1;
        Some(aid)
    }

    fn free(&mut self, aid: u16) {
        if aid == 0 || aid > MAX_AID {
            return;
        }
        let (w, bit) = (usize::from(aid) / WORD_BITS, usize::from(aid) % WORD_BITS);
        if self.used[w] & (1 << bit) != 0 {
            self.used[w] &= !(1 << bit);
            self.count -= 1;
        }
    }

    fn is_used(&self, aid: u16) -> bool {
        aid != 0
            && aid <= MAX_AID
            && self.used[usize::from(aid) / WORD_BITS] & (1 << (usize::from(aid) % WORD_BITS)) != 0
    }
}

/// The gateway's stations, keyed by MAC.
#[derive(Debug)]
pub struct Stations {
    max_stations: usize,
    stations: HashMap<MacAddr, Station>,
    aids: AidPool,
    /// `(deadline_us, mac)` of every station with a deadline.
    deadlines: BTreeSet<(u64, MacAddr)>,
}

impl Stations {
    /// An empty table holding at most `max_stations` stations (in any state; at most 8191 of
    /// them can hold an AID).
    pub fn new(max_stations: usize) -> Stations {
        Stations {
            max_stations,
            stations: HashMap::new(),
            aids: AidPool::new(),
            deadlines: BTreeSet::new(),
        }
    }

    /// Maximum number of stations.
    pub fn max_stations(&self) -> usize {
        self.max_stations
    }

    /// Stations held.
    pub fn len(&self) -> usize {
        self.stations.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }

    /// AIDs in use.
    pub fn aids_in_use(&self) -> usize {
        self.aids.count
    }

    /// Stations still joining: in the table without an AID (not associated yet).
    pub fn joining(&self) -> usize {
        self.stations.len() - self.aids.count
    }

    /// Whether `mac` is in the table without an AID (still joining).
    pub fn is_joining(&self, mac: &MacAddr) -> bool {
        self.stations.get(mac).is_some_and(|s| s.aid().is_none())
    }

    /// Whether `aid` is reserved.
    pub fn aid_in_use(&self, aid: u16) -> bool {
        self.aids.is_used(aid)
    }

    /// The station with this MAC.
    pub fn get(&self, mac: &MacAddr) -> Option<&Station> {
        self.stations.get(mac)
    }

    /// Every station, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Station> {
        self.stations.values()
    }

    /// The station for `mac`, created in `Unknown` (deadline now + `auth_ms`) if absent; only
    /// callable with the [`Matched`] token of a request that passed the SID filter. An existing
    /// station is returned unchanged (the token is dropped). `Full` at `max_stations`.
    pub fn get_or_insert_after_filter(
        &mut self,
        mac: MacAddr,
        matched: Matched,
        now_us: u64,
        t: &Timeouts,
    ) -> Result<&Station, StationError> {
        if !self.stations.contains_key(&mac) {
            if self.stations.len() >= self.max_stations {
                return Err(StationError::Full(self.max_stations));
            }
            let station = Station::new(mac, matched, now_us, t);
            if let Some(d) = station.deadline_us() {
                self.deadlines.insert((d, mac));
            }
            self.stations.insert(mac, station);
        }
        self.stations.get(&mac).ok_or(StationError::NotFound(mac))
    }

    /// Applies an association request: reserves the lowest free AID and hands it to the state
    /// machine (`Authenticated` → `Associated`). On refusal nothing changes (the AID is
    /// returned to the pool). `NoFreeAid` when all 8191 are taken. A refusal for the state
    /// reports `Event::AssocRequest { aid: 0 }`: no AID was reserved.
    pub fn associate(
        &mut self,
        mac: MacAddr,
        now_us: u64,
        t: &Timeouts,
    ) -> Result<Transition, StationError> {
        let state = self
            .stations
            .get(&mac)
            .ok_or(StationError::NotFound(mac))?
            .state();
        if state != State::Authenticated {
            // Refuse before touching the pool; the AID in the error is a placeholder.
            return Err(InvalidTransition {
                state,
                event: Event::AssocRequest { aid: 0 },
            }
            .into());
        }
        let aid = self.aids.alloc().ok_or(StationError::NoFreeAid)?;
        match self.apply(mac, |s| s.handle(Event::AssocRequest { aid }, now_us, t)) {
            Ok(tr) => Ok(tr),
            Err(e) => {
                self.aids.free(aid);
                Err(e)
            }
        }
    }

    /// Applies any other event (see the [`fsm`] table). `AssocViaAssociate` for an
    /// `AssocRequest`.
    pub fn handle(
        &mut self,
        mac: MacAddr,
        event: Event,
        now_us: u64,
        t: &Timeouts,
    ) -> Result<Transition, StationError> {
        if matches!(event, Event::AssocRequest { .. }) {
            return Err(StationError::AssocViaAssociate);
        }
        self.apply(mac, |s| s.handle(event, now_us, t))
    }

    /// Fires every deadline reached at `now_us` (in deadline order) and returns what each did.
    /// Freed AIDs are back in the pool; forgotten stations are removed.
    pub fn poll(&mut self, now_us: u64, t: &Timeouts) -> Vec<(MacAddr, TimeoutAction)> {
        // Take the due entries first, so a retry whose new deadline is already due (a zero
        // timeout) waits for the next poll instead of firing again in this one.
        let mut due = Vec::new();
        while let Some(&(deadline, mac)) = self.deadlines.first() {
            if deadline > now_us {
                break;
            }
            self.deadlines.pop_first();
            due.push(mac);
        }
        let mut out = Vec::with_capacity(due.len());
        for mac in due {
            let Some(station) = self.stations.get_mut(&mac) else {
                continue;
            };
            let action = station.poll(now_us, t);
            if let Some(d) = station.deadline_us() {
                self.deadlines.insert((d, mac));
            }
            let Some(action) = action else {
                continue;
            };
            if let TimeoutAction::FallBack(tr) = action {
                self.settle(mac, &tr);
            }
            out.push((mac, action));
        }
        out
    }

    /// Removes a station (operator action, or a caller's own eviction), releasing its AID.
    pub fn remove(&mut self, mac: &MacAddr) -> Option<Station> {
        let station = self.stations.remove(mac)?;
        if let Some(d) = station.deadline_us() {
            self.deadlines.remove(&(d, *mac));
        }
        if let Some(aid) = station.aid() {
            self.aids.free(aid);
        }
        Some(station)
    }

    /// Runs `f` on the station, keeping the deadline index, the AID pool and the table in step.
    fn apply(
        &mut self,
        mac: MacAddr,
        f: impl FnOnce(&mut Station) -> Result<Transition, InvalidTransition>,
    ) -> Result<Transition, StationError> {
        let station = self
            .stations
            .get_mut(&mac)
            .ok_or(StationError::NotFound(mac))?;
        let old = station.deadline_us();
        let tr = f(station)?;
        let new = station.deadline_us();
        if old != new {
            if let Some(d) = old {
                self.deadlines.remove(&(d, mac));
            }
            if let Some(d) = new {
                self.deadlines.insert((d, mac));
            }
        }
        self.settle(mac, &tr);
        Ok(tr)
    }

    /// After a transition: release a freed AID, forget a deregistered or timed-out station.
    fn settle(&mut self, mac: MacAddr, tr: &Transition) {
        if let Some(aid) = tr.freed_aid {
            self.aids.free(aid);
        }
        // `handle` never leads to Unknown: only a timeout does, and then nothing is held.
        let forget = matches!(tr.to, State::Deregistered | State::Unknown);
        if forget {
            self.remove(&mac);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::m2m::Sid;

    fn matched() -> Matched {
        match Sid::service("metering") {
            Ok(s) => Matched::for_test(vec![s]),
            Err(e) => panic!("{e}"),
        }
    }

    fn mac(i: u32) -> MacAddr {
        let b = i.to_be_bytes();
        MacAddr([2, 0, b[0], b[1], b[2], b[3]])
    }

    fn t() -> Timeouts {
        super::fsm::test_timeouts()
    }

    fn join(st: &mut Stations, m: MacAddr) -> Result<Transition, StationError> {
        st.get_or_insert_after_filter(m, matched(), 0, &t())?;
        st.handle(m, Event::AuthRequest, 0, &t())?;
        st.associate(m, 0, &t())
    }

    #[test]
    fn aid_pool_lowest_free() {
        let mut p = AidPool::new();
        assert_eq!(p.alloc(), Some(1));
        assert_eq!(p.alloc(), Some(2));
        assert_eq!(p.alloc(), Some(3));
        p.free(2);
        assert!(!p.is_used(2));
        assert_eq!(p.alloc(), Some(2));
        p.free(0);
        p.free(9000);
        p.free(5); // not in use: ignored
        assert_eq!(p.count, 3);
    }

    #[test]
    fn insert_bounded_and_idempotent() {
        let mut st = Stations::new(2);
        assert!(st
            .get_or_insert_after_filter(mac(1), matched(), 0, &t())
            .is_ok());
        assert!(st
            .get_or_insert_after_filter(mac(1), matched(), 0, &t())
            .is_ok());
        assert!(st
            .get_or_insert_after_filter(mac(2), matched(), 0, &t())
            .is_ok());
        assert_eq!(
            st.get_or_insert_after_filter(mac(3), matched(), 0, &t())
                .err(),
            Some(StationError::Full(2))
        );
        assert_eq!(st.len(), 2);
    }

    #[test]
    fn associate_needs_authentication() {
        let mut st = Stations::new(4);
        assert_eq!(
            st.associate(mac(1), 0, &t()),
            Err(StationError::NotFound(mac(1)))
        );
        assert!(st
            .get_or_insert_after_filter(mac(1), matched(), 0, &t())
            .is_ok());
        assert!(matches!(
            st.associate(mac(1), 0, &t()),
            Err(StationError::Invalid(InvalidTransition {
                state: State::Unknown,
                ..
            }))
        ));
        assert_eq!(st.aids_in_use(), 0);
        assert_eq!(
            st.handle(mac(1), Event::AssocRequest { aid: 5 }, 0, &t()),
            Err(StationError::AssocViaAssociate)
        );
    }

    #[test]
    fn deauth_frees_aid_and_forgets() {
        let mut st = Stations::new(4);
        assert!(join(&mut st, mac(1)).is_ok());
        assert!(join(&mut st, mac(2)).is_ok());
        assert_eq!(st.get(&mac(2)).and_then(Station::aid), Some(2));
        let tr = st.handle(mac(1), Event::Deauth, 1, &t());
        assert_eq!(
            tr,
            Ok(Transition {
                from: State::Associated,
                to: State::Deregistered,
                freed_aid: Some(1)
            })
        );
        assert!(st.get(&mac(1)).is_none());
        assert!(!st.aid_in_use(1));
        assert!(join(&mut st, mac(3)).is_ok());
        assert_eq!(st.get(&mac(3)).and_then(Station::aid), Some(1));
    }

    #[test]
    fn poll_fires_in_order_and_forgets() {
        let mut st = Stations::new(4);
        assert!(join(&mut st, mac(1)).is_ok()); // Associated, deadline 3 s
        assert!(st
            .get_or_insert_after_filter(mac(2), matched(), 0, &t())
            .is_ok()); // Unknown, 5 s
        assert!(st.poll(2_999_999, &t()).is_empty());
        assert_eq!(
            st.poll(3_000_000, &t()),
            vec![(
                mac(1),
                TimeoutAction::Retry {
                    state: State::Associated,
                    attempt: 1
                }
            )]
        );
        let fired = st.poll(5_000_000, &t());
        assert_eq!(
            fired,
            vec![(
                mac(2),
                TimeoutAction::FallBack(Transition {
                    from: State::Unknown,
                    to: State::Unknown,
                    freed_aid: None
                })
            )]
        );
        assert!(st.get(&mac(2)).is_none());
        // Three more registration timeouts: deregistered, AID freed, forgotten.
        let fired = st.poll(u64::MAX, &t());
        assert_eq!(fired.len(), 1);
        let fired = st.poll(u64::MAX, &t());
        assert_eq!(fired.len(), 1);
        let fired = st.poll(u64::MAX, &t());
        assert!(matches!(
            fired.as_slice(),
            [(
                _,
                TimeoutAction::FallBack(Transition {
                    freed_aid: Some(1),
                    ..
                })
            )]
        ));
        assert!(st.is_empty());
        assert_eq!(st.aids_in_use(), 0);
    }

    #[test]
    fn remove_frees_aid() {
        let mut st = Stations::new(4);
        assert!(join(&mut st, mac(1)).is_ok());
        assert!(st.remove(&mac(1)).is_some());
        assert_eq!(st.aids_in_use(), 0);
        assert!(st.poll(u64::MAX, &t()).is_empty());
    }
}
