//! The gateway's per-station state machine (issue 4: "unknown → authenticated →
//! associated+registered → configured → scheduled → reporting, plus standby and deregistered;
//! timeouts and retries explicit; invalid transitions logged and refused").
//!
//! [`Station::handle`] applies an [`Event`]; an event the table below does not list for the
//! current state is refused with [`InvalidTransition`] and changes nothing (the caller logs it).
//! Every waiting state carries a deadline; [`Station::poll`] fires once it is reached
//! (`now_us >= deadline_us`) and either retries (new deadline, attempt counted) or falls back.
//! Times are microseconds on the gateway's clock (the TSF); [`Timeouts`] are milliseconds.
//!
//! # Events
//!
//! | from                          | event                                   | to            | deadline                          | caller's job                                  |
//! |-------------------------------|-----------------------------------------|---------------|-----------------------------------|-----------------------------------------------|
//! | (new, [`Station::new`])       | a request passed the SID filter         | Unknown       | now + `auth_ms`                   | answer the probe / expect authentication      |
//! | Unknown                       | `AuthRequest`                           | Authenticated | now + `auth_ms`                   | send the authentication response             |
//! | Authenticated                 | `AuthRequest`                           | Authenticated | now + `auth_ms`                   | re-send it (the terminal lost the first one) |
//! | Deregistered                  | `AuthRequest`                           | Authenticated | now + `auth_ms`                   | a terminal joining again                     |
//! | Authenticated                 | `AssocRequest { aid }`                  | Associated    | now + `registration_ms`           | start the registration (`Registrar`)          |
//! | Associated                    | `RegistrationOk`                        | Registered    | now + `assoc_ms`                  | send the association response + configuration |
//! | Associated                    | `RegistrationFailed`                    | Deregistered  | none, **AID freed**               | refuse the association (status code)          |
//! | Registered                    | `ConfigDelivered`                       | Configured    | now + `config_ms`                 | the terminal acked its configuration         |
//! | Configured                    | `ScheduleAccepted { first_report_us, period_us }` | Scheduled | first window + `report_grace_ms` | release the service time allocation      |
//! | Scheduled, Reporting, Standby | `ReportReceived`                        | Reporting     | next window after now + grace     | store and ack the report                     |
//! | Scheduled, Reporting          | `StandbyRequested`                      | Standby       | now + `standby_ms`                | keep the AID and slot, expect no report      |
//! | Standby                       | `WakeUp`                                | Scheduled     | next window from now + grace      | expect reports again                         |
//! | every state but Unknown and Deregistered | `Deauth`                     | Deregistered  | none, **AID freed** (if held)     | release the scheduler slot                   |
//!
//! Anything else is an [`InvalidTransition`], e.g. an association request before
//! authentication or a duplicate one while registration is pending, a report before the
//! schedule is accepted, a registration result outside `Associated`, `Deauth` from `Unknown`.
//! An `AssocRequest` whose AID is outside 1..=8191 is refused the same way.
//!
//! Report windows: `ScheduleAccepted` sets the first window start and the period (a zero
//! period counts as 1 µs). A report (or a missed window) moves the expected window to the first
//! one strictly after `now`; `WakeUp` to the first one at or after `now`. Arithmetic saturates.
//!
//! # Timeouts ([`Station::poll`])
//!
//! | state                | on deadline, while `retries < max_retries`              | then (retries exhausted)          |
//! |----------------------|---------------------------------------------------------|-----------------------------------|
//! | Unknown              | — (the terminal drives authentication)                  | Unknown: forget the station       |
//! | Authenticated        | — (the terminal drives authentication)                  | Unknown: forget the station       |
//! | Associated           | retry the registration; now + `registration_ms`         | Deregistered, AID freed           |
//! | Registered           | re-send the association response; now + `assoc_ms`      | Deregistered, AID freed           |
//! | Configured           | re-send the service time allocation; now + `config_ms`  | Deregistered, AID freed           |
//! | Scheduled, Reporting | report missed (poll it if configured); next window + grace | Deregistered, AID freed        |
//! | Standby              | —                                                       | Deregistered, AID freed           |
//!
//! `retries` counts the attempts in the current state and is reset by every accepted event; in
//! Scheduled/Reporting it counts consecutive missed windows (windows passed while nobody
//! polled count as one miss).

use thiserror::Error;

use super::sid_filter::Matched;
use crate::wire::m2m::{Sid, MAX_AID};
use crate::wire::MacAddr;

/// Microseconds per millisecond.
const US_PER_MS: u64 = 1_000;

/// Where a station is in its life at this gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Passed the SID filter, nothing else yet (waiting `auth_ms` for authentication).
    Unknown,
    /// Authenticated; waiting for the association request.
    Authenticated,
    /// Association request received, AID reserved; registration with the M2M server pending.
    Associated,
    /// Registered; the association response with the configuration is out, awaiting its ack.
    Registered,
    /// The terminal holds its configuration; waiting for it to accept a service time.
    Configured,
    /// Service time accepted; waiting for the first report.
    Scheduled,
    /// Reporting in its windows.
    Reporting,
    /// Asleep on purpose (no reports expected), AID and slot kept until `standby_ms`.
    Standby,
    /// Gone: no AID, no deadline. Only a new authentication brings it back.
    Deregistered,
}

/// Something that happened to a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// Authentication request received.
    AuthRequest,
    /// Association request (its SIDs already passed the filter) with the AID the table reserved.
    AssocRequest {
        /// AID for the station, 1..=8191.
        aid: u16,
    },
    /// The `Registrar` accepted the registration.
    RegistrationOk,
    /// The `Registrar` refused the registration.
    RegistrationFailed,
    /// The terminal acknowledged the association response carrying its configuration.
    ConfigDelivered,
    /// The terminal accepted a service time allocation.
    ScheduleAccepted {
        /// Start of its first report window, µs.
        first_report_us: u64,
        /// Report period, µs (0 counts as 1).
        period_us: u64,
    },
    /// A MAC-layer report arrived.
    ReportReceived,
    /// The terminal announced a long sleep.
    StandbyRequested,
    /// The terminal is back from standby.
    WakeUp,
    /// Deauthentication / disassociation, from the terminal or the operator.
    Deauth,
}

/// A state change that happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// The AID given up by this transition: release its scheduler slot and allocation.
    pub freed_aid: Option<u16>,
}

/// An event refused in a state; the station is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("event {event:?} refused in state {state:?}")]
pub struct InvalidTransition {
    /// The (unchanged) state.
    pub state: State,
    /// The refused event.
    pub event: Event,
}

/// What a passed deadline did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutAction {
    /// Try again in `state` (see the module table for what to re-send); `attempt` is
    /// 1..=`max_retries`. A new deadline is set.
    Retry {
        /// The state that timed out (unchanged).
        state: State,
        /// Which retry this is, from 1.
        attempt: u8,
    },
    /// Retries exhausted (or none apply): the station fell back.
    FallBack(Transition),
}

/// Timeouts of the waiting states, milliseconds, and the retry budget. The defaults are
/// `[timeouts]`'s in the config file ([`crate::config::TimeoutsConfig`] takes them from here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// Authenticated: wait for the association request. Default 10 000 ms.
    pub auth_ms: u64,
    /// Registered: wait for the terminal's ack of the association response. Default 5 000 ms.
    pub assoc_ms: u64,
    /// Associated: wait for the `Registrar`'s answer (a round trip to the M2M server).
    /// Default 5 000 ms.
    pub registration_ms: u64,
    /// Configured: wait for the terminal to accept a service time. Default 5 000 ms.
    pub config_ms: u64,
    /// Scheduled/Reporting: how late after its window start a report may come. Default
    /// 30 000 ms.
    pub report_grace_ms: u64,
    /// Standby: how long the AID and slot are kept without a wake-up. Default 86 400 000 ms
    /// (one day, the longest report period).
    pub standby_ms: u64,
    /// Retries per waiting state (consecutive missed windows in Scheduled/Reporting) before
    /// falling back. Default 3.
    pub max_retries: u8,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            auth_ms: 10_000,
            assoc_ms: 5_000,
            registration_ms: 5_000,
            config_ms: 5_000,
            report_grace_ms: 30_000,
            standby_ms: 86_400_000,
            max_retries: 3,
        }
    }
}

/// Timeouts for unit tests: distinct values per state (not the defaults), so each test sees
/// which one applied.
#[cfg(test)]
pub(crate) fn test_timeouts() -> Timeouts {
    Timeouts {
        auth_ms: 5_000,
        assoc_ms: 2_000,
        registration_ms: 3_000,
        config_ms: 5_000,
        report_grace_ms: 10_000,
        standby_ms: 86_400_000,
        max_retries: 3,
    }
}

fn ms(v: u64) -> u64 {
    v.saturating_mul(US_PER_MS)
}

/// One station as the gateway sees it.
#[derive(Debug, PartialEq, Eq)]
pub struct Station {
    mac: MacAddr,
    sids: Vec<Sid>,
    aid: Option<u16>,
    state: State,
    deadline_us: Option<u64>,
    retries: u8,
    next_report_us: u64,
    period_us: u64,
}

impl Station {
    /// A station in `Unknown` at `now_us`, for a request that passed the SID filter (the
    /// token's served SIDs become the station's). It waits `auth_ms` for authentication.
    pub fn new(mac: MacAddr, matched: Matched, now_us: u64, t: &Timeouts) -> Station {
        Station {
            mac,
            sids: matched.into_sids(),
            aid: None,
            state: State::Unknown,
            deadline_us: Some(now_us.saturating_add(ms(t.auth_ms))),
            retries: 0,
            next_report_us: 0,
            period_us: 0,
        }
    }

    /// Its MAC address.
    pub fn mac(&self) -> MacAddr {
        self.mac
    }

    /// The served SIDs it matched.
    pub fn sids(&self) -> &[Sid] {
        &self.sids
    }

    /// Its AID, held from the association request until deregistration.
    pub fn aid(&self) -> Option<u16> {
        self.aid
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// When [`poll`](Self::poll) fires, µs (`None` in Deregistered only).
    pub fn deadline_us(&self) -> Option<u64> {
        self.deadline_us
    }

    /// Retries spent in the current state (consecutive missed windows when reporting).
    pub fn retries(&self) -> u8 {
        self.retries
    }

    /// Start of the expected report window, µs (Scheduled, Reporting, Standby).
    pub fn next_report_us(&self) -> Option<u64> {
        match self.state {
            State::Scheduled | State::Reporting | State::Standby => Some(self.next_report_us),
            _ => None,
        }
    }

    /// Applies `event` at `now_us`. Refused events leave the station unchanged.
    pub fn handle(
        &mut self,
        event: Event,
        now_us: u64,
        t: &Timeouts,
    ) -> Result<Transition, InvalidTransition> {
        use State as S;
        let from = self.state;
        let invalid = InvalidTransition { state: from, event };
        let (to, deadline) = match (from, event) {
            (S::Unknown | S::Authenticated | S::Deregistered, Event::AuthRequest) => {
                (S::Authenticated, Some(now_us.saturating_add(ms(t.auth_ms))))
            }
            (S::Authenticated, Event::AssocRequest { aid }) => {
                if aid == 0 || aid > MAX_AID {
                    return Err(invalid);
                }
                self.aid = Some(aid);
                (
                    S::Associated,
                    Some(now_us.saturating_add(ms(t.registration_ms))),
                )
            }
            (S::Associated, Event::RegistrationOk) => {
                (S::Registered, Some(now_us.saturating_add(ms(t.assoc_ms))))
            }
            (S::Associated, Event::RegistrationFailed) => return Ok(self.deregister()),
            (S::Registered, Event::ConfigDelivered) => {
                (S::Configured, Some(now_us.saturating_add(ms(t.config_ms))))
            }
            (
                S::Configured,
                Event::ScheduleAccepted {
                    first_report_us,
                    period_us,
                },
            ) => {
                self.period_us = period_us.max(1);
                self.next_report_us = first_report_us;
                (S::Scheduled, Some(self.report_deadline(t)))
            }
            (S::Scheduled | S::Reporting | S::Standby, Event::ReportReceived) => {
                self.next_report_us = self.window_after(now_us);
                (S::Reporting, Some(self.report_deadline(t)))
            }
            (S::Scheduled | S::Reporting, Event::StandbyRequested) => {
                (S::Standby, Some(now_us.saturating_add(ms(t.standby_ms))))
            }
            (S::Standby, Event::WakeUp) => {
                self.next_report_us = self.window_from(now_us);
                (S::Scheduled, Some(self.report_deadline(t)))
            }
            (
                S::Authenticated
                | S::Associated
                | S::Registered
                | S::Configured
                | S::Scheduled
                | S::Reporting
                | S::Standby,
                Event::Deauth,
            ) => return Ok(self.deregister()),
            _ => return Err(invalid),
        };
        self.state = to;
        self.deadline_us = deadline;
        self.retries = 0;
        Ok(Transition {
            from,
            to,
            freed_aid: None,
        })
    }

    /// Fires the deadline if `now_us` reached it: a retry (new deadline) or a fall-back (see
    /// the module table). `None` if there is no deadline or it is still ahead.
    pub fn poll(&mut self, now_us: u64, t: &Timeouts) -> Option<TimeoutAction> {
        let deadline = self.deadline_us?;
        if now_us < deadline {
            return None;
        }
        let state = self.state;
        let retry_deadline = match state {
            State::Associated => Some(now_us.saturating_add(ms(t.registration_ms))),
            State::Registered => Some(now_us.saturating_add(ms(t.assoc_ms))),
            State::Configured => Some(now_us.saturating_add(ms(t.config_ms))),
            State::Scheduled | State::Reporting => None, // computed below, only if retrying
            State::Unknown | State::Authenticated => {
                self.state = State::Unknown;
                self.deadline_us = None;
                self.retries = 0;
                return Some(TimeoutAction::FallBack(Transition {
                    from: state,
                    to: State::Unknown,
                    freed_aid: None,
                }));
            }
            State::Standby => return Some(TimeoutAction::FallBack(self.deregister())),
            // No deadline is ever set here; clear a stray one.
            State::Deregistered => {
                self.deadline_us = None;
                return None;
            }
        };
        if self.retries >= t.max_retries {
            return Some(TimeoutAction::FallBack(self.deregister()));
        }
        self.retries += 1;
        self.deadline_us = Some(match retry_deadline {
            Some(d) => d,
            None => {
                self.next_report_us = self.window_after(now_us);
                self.report_deadline(t)
            }
        });
        Some(TimeoutAction::Retry {
            state,
            attempt: self.retries,
        })
    }

    /// Goes to Deregistered from anywhere, giving up the AID.
    fn deregister(&mut self) -> Transition {
        let from = self.state;
        self.state = State::Deregistered;
        self.deadline_us = None;
        self.retries = 0;
        self.next_report_us = 0;
        self.period_us = 0;
        Transition {
            from,
            to: State::Deregistered,
            freed_aid: self.aid.take(),
        }
    }

    fn report_deadline(&self, t: &Timeouts) -> u64 {
        self.next_report_us.saturating_add(ms(t.report_grace_ms))
    }

    /// The first window start strictly after `now_us`, and at least one period after the
    /// current one.
    fn window_after(&self, now_us: u64) -> u64 {
        let period = self.period_us.max(1);
        let k = if now_us >= self.next_report_us {
            (now_us - self.next_report_us) / period + 1
        } else {
            1
        };
        self.next_report_us.saturating_add(k.saturating_mul(period))
    }

    /// The first window start at or after `now_us` (the current one if still ahead).
    fn window_from(&self, now_us: u64) -> u64 {
        let period = self.period_us.max(1);
        if now_us <= self.next_report_us {
            return self.next_report_us;
        }
        let k = (now_us - self.next_report_us).div_ceil(period);
        self.next_report_us.saturating_add(k.saturating_mul(period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: MacAddr = MacAddr([2, 0, 0, 0, 0x10, 1]);
    const T0: u64 = 1_000_000;
    const AID: u16 = 17;
    const FIRST: u64 = 60_000_000;
    const PERIOD: u64 = 60_000_000;

    const ALL_STATES: [State; 9] = [
        State::Unknown,
        State::Authenticated,
        State::Associated,
        State::Registered,
        State::Configured,
        State::Scheduled,
        State::Reporting,
        State::Standby,
        State::Deregistered,
    ];

    const ALL_EVENTS: [Event; 10] = [
        Event::AuthRequest,
        Event::AssocRequest { aid: AID },
        Event::RegistrationOk,
        Event::RegistrationFailed,
        Event::ConfigDelivered,
        Event::ScheduleAccepted {
            first_report_us: FIRST,
            period_us: PERIOD,
        },
        Event::ReportReceived,
        Event::StandbyRequested,
        Event::WakeUp,
        Event::Deauth,
    ];

    fn t() -> Timeouts {
        test_timeouts()
    }

    fn sta() -> Station {
        match Sid::user("acme") {
            Ok(sid) => Station::new(MAC, Matched::for_test(vec![sid]), T0, &t()),
            Err(e) => panic!("{e}"),
        }
    }

    fn ok(s: &mut Station, e: Event, now: u64) -> Transition {
        match s.handle(e, now, &t()) {
            Ok(tr) => tr,
            Err(err) => panic!("{err}"),
        }
    }

    /// The shortest path of accepted events from Unknown to `state`.
    fn path_to(state: State) -> Vec<Event> {
        use Event as E;
        let sched = E::ScheduleAccepted {
            first_report_us: FIRST,
            period_us: PERIOD,
        };
        let base = [
            E::AuthRequest,
            E::AssocRequest { aid: AID },
            E::RegistrationOk,
            E::ConfigDelivered,
            sched,
        ];
        match state {
            State::Unknown => vec![],
            State::Authenticated => base[..1].to_vec(),
            State::Associated => base[..2].to_vec(),
            State::Registered => base[..3].to_vec(),
            State::Configured => base[..4].to_vec(),
            State::Scheduled => base.to_vec(),
            State::Reporting => [&base[..], &[E::ReportReceived]].concat(),
            State::Standby => [&base[..], &[E::StandbyRequested]].concat(),
            State::Deregistered => vec![E::AuthRequest, E::Deauth],
        }
    }

    fn in_state(state: State) -> Station {
        let mut s = sta();
        for e in path_to(state) {
            ok(&mut s, e, T0);
        }
        assert_eq!(s.state(), state);
        s
    }

    /// Expected target of every (state, event) pair: the module's table, written again.
    fn expected(from: State, e: Event) -> Option<State> {
        use Event as E;
        use State as S;
        Some(match (from, e) {
            (S::Unknown | S::Authenticated | S::Deregistered, E::AuthRequest) => S::Authenticated,
            (S::Authenticated, E::AssocRequest { .. }) => S::Associated,
            (S::Associated, E::RegistrationOk) => S::Registered,
            (S::Associated, E::RegistrationFailed) => S::Deregistered,
            (S::Registered, E::ConfigDelivered) => S::Configured,
            (S::Configured, E::ScheduleAccepted { .. }) => S::Scheduled,
            (S::Scheduled | S::Reporting | S::Standby, E::ReportReceived) => S::Reporting,
            (S::Scheduled | S::Reporting, E::StandbyRequested) => S::Standby,
            (S::Standby, E::WakeUp) => S::Scheduled,
            (S::Unknown | S::Deregistered, E::Deauth) => return None,
            (_, E::Deauth) => S::Deregistered,
            _ => return None,
        })
    }

    #[test]
    fn every_pair_follows_the_table() {
        let mut valid = 0;
        let mut refused = 0;
        for from in ALL_STATES {
            for e in ALL_EVENTS {
                let mut s = in_state(from);
                let before_aid = s.aid();
                let before_deadline = s.deadline_us();
                match (expected(from, e), s.handle(e, T0 + 5, &t())) {
                    (Some(to), Ok(tr)) => {
                        valid += 1;
                        assert_eq!(tr.from, from);
                        assert_eq!(tr.to, to);
                        assert_eq!(s.state(), to, "{from:?} {e:?}");
                        assert_eq!(s.retries(), 0);
                        if to == State::Deregistered {
                            assert_eq!(tr.freed_aid, before_aid, "{from:?} {e:?}");
                            assert_eq!(s.aid(), None);
                            assert_eq!(s.deadline_us(), None);
                        } else {
                            assert_eq!(tr.freed_aid, None);
                            assert!(s.deadline_us().is_some(), "{from:?} {e:?}");
                        }
                    }
                    (None, Err(err)) => {
                        refused += 1;
                        assert_eq!(
                            err,
                            InvalidTransition {
                                state: from,
                                event: e
                            }
                        );
                        assert_eq!(s.state(), from);
                        assert_eq!(s.aid(), before_aid);
                        assert_eq!(s.deadline_us(), before_deadline);
                    }
                    (want, got) => panic!("{from:?} + {e:?}: expected {want:?}, got {got:?}"),
                }
            }
        }
        assert_eq!(valid + refused, 90);
        assert_eq!(valid, 21);
    }

    #[test]
    fn auth_sets_auth_deadline() {
        let mut s = sta();
        let tr = ok(&mut s, Event::AuthRequest, T0);
        assert_eq!(
            tr,
            Transition {
                from: State::Unknown,
                to: State::Authenticated,
                freed_aid: None
            }
        );
        assert_eq!(s.deadline_us(), Some(T0 + 5_000_000));
        // A retransmitted authentication re-arms the deadline.
        ok(&mut s, Event::AuthRequest, T0 + 1_000);
        assert_eq!(s.deadline_us(), Some(T0 + 1_000 + 5_000_000));
    }

    #[test]
    fn assoc_takes_aid_and_registration_deadline() {
        let mut s = in_state(State::Authenticated);
        ok(&mut s, Event::AssocRequest { aid: 8191 }, T0);
        assert_eq!(s.aid(), Some(8191));
        assert_eq!(s.deadline_us(), Some(T0 + 3_000_000));
    }

    #[test]
    fn assoc_with_bad_aid_refused() {
        for aid in [0, 8192, u16::MAX] {
            let mut s = in_state(State::Authenticated);
            let e = Event::AssocRequest { aid };
            assert_eq!(
                s.handle(e, T0, &t()),
                Err(InvalidTransition {
                    state: State::Authenticated,
                    event: e
                })
            );
            assert_eq!(s.aid(), None);
            assert_eq!(s.state(), State::Authenticated);
        }
    }

    #[test]
    fn registration_failed_frees_aid() {
        let mut s = in_state(State::Associated);
        let tr = ok(&mut s, Event::RegistrationFailed, T0);
        assert_eq!(tr.freed_aid, Some(AID));
        assert_eq!(s.state(), State::Deregistered);
        // It may come back through authentication, without its old AID.
        ok(&mut s, Event::AuthRequest, T0);
        assert_eq!(s.aid(), None);
    }

    #[test]
    fn waiting_deadlines() {
        let mut s = in_state(State::Associated);
        ok(&mut s, Event::RegistrationOk, T0);
        assert_eq!(s.deadline_us(), Some(T0 + 2_000_000));
        ok(&mut s, Event::ConfigDelivered, T0);
        assert_eq!(s.deadline_us(), Some(T0 + 5_000_000));
        ok(
            &mut s,
            Event::ScheduleAccepted {
                first_report_us: FIRST,
                period_us: PERIOD,
            },
            T0,
        );
        assert_eq!(s.next_report_us(), Some(FIRST));
        assert_eq!(s.deadline_us(), Some(FIRST + 10_000_000));
        ok(&mut s, Event::StandbyRequested, T0);
        assert_eq!(s.deadline_us(), Some(T0 + 86_400_000_000));
    }

    #[test]
    fn report_windows_advance() {
        let mut s = in_state(State::Scheduled);
        // On time (a little after the window start): next window one period later.
        ok(&mut s, Event::ReportReceived, FIRST + 3);
        assert_eq!(s.next_report_us(), Some(FIRST + PERIOD));
        assert_eq!(s.deadline_us(), Some(FIRST + PERIOD + 10_000_000));
        // Early (before its window): still the next window.
        ok(&mut s, Event::ReportReceived, FIRST + PERIOD - 5);
        assert_eq!(s.next_report_us(), Some(FIRST + 2 * PERIOD));
        // Very late: the first window after now.
        ok(&mut s, Event::ReportReceived, FIRST + 5 * PERIOD + 1);
        assert_eq!(s.next_report_us(), Some(FIRST + 6 * PERIOD));
    }

    #[test]
    fn wake_up_resumes_at_next_window() {
        let mut s = in_state(State::Standby);
        ok(&mut s, Event::WakeUp, FIRST + 2 * PERIOD + 1);
        assert_eq!(s.state(), State::Scheduled);
        assert_eq!(s.next_report_us(), Some(FIRST + 3 * PERIOD));
        let mut s = in_state(State::Standby);
        ok(&mut s, Event::WakeUp, FIRST - 1);
        assert_eq!(s.next_report_us(), Some(FIRST));
        // A report from standby wakes it up too.
        let mut s = in_state(State::Standby);
        ok(&mut s, Event::ReportReceived, FIRST);
        assert_eq!(s.state(), State::Reporting);
    }

    #[test]
    fn zero_period_counts_as_one() {
        let mut s = in_state(State::Configured);
        ok(
            &mut s,
            Event::ScheduleAccepted {
                first_report_us: 10,
                period_us: 0,
            },
            T0,
        );
        ok(&mut s, Event::ReportReceived, 20);
        assert_eq!(s.next_report_us(), Some(21));
    }

    #[test]
    fn saturating_times() {
        let mut s = in_state(State::Configured);
        ok(
            &mut s,
            Event::ScheduleAccepted {
                first_report_us: u64::MAX - 1,
                period_us: u64::MAX,
            },
            u64::MAX,
        );
        assert_eq!(s.deadline_us(), Some(u64::MAX));
        ok(&mut s, Event::ReportReceived, u64::MAX);
        assert_eq!(s.next_report_us(), Some(u64::MAX));
        assert_eq!(
            s.poll(u64::MAX, &t()),
            Some(TimeoutAction::Retry {
                state: State::Reporting,
                attempt: 1
            })
        );
    }

    #[test]
    fn poll_before_deadline_does_nothing() {
        let mut s = in_state(State::Associated);
        let d = s.deadline_us().unwrap_or_default();
        assert_eq!(s.poll(d - 1, &t()), None);
        assert_eq!(s.state(), State::Associated);
        assert!(s.poll(d, &t()).is_some());
        assert_eq!(sta().poll(T0 + 5_000_000 - 1, &t()), None);
        assert_eq!(in_state(State::Deregistered).poll(u64::MAX, &t()), None);
    }

    #[test]
    fn unknown_waits_auth_ms_then_is_forgotten() {
        let mut s = sta();
        assert_eq!(s.deadline_us(), Some(T0 + 5_000_000));
        assert_eq!(
            s.poll(T0 + 5_000_000, &t()),
            Some(TimeoutAction::FallBack(Transition {
                from: State::Unknown,
                to: State::Unknown,
                freed_aid: None
            }))
        );
        assert_eq!(s.deadline_us(), None);
        // Forgotten: nothing fires again.
        assert_eq!(s.poll(u64::MAX, &t()), None);
    }

    #[test]
    fn auth_timeout_back_to_unknown() {
        let mut s = in_state(State::Authenticated);
        let d = T0 + 5_000_000;
        assert_eq!(
            s.poll(d, &t()),
            Some(TimeoutAction::FallBack(Transition {
                from: State::Authenticated,
                to: State::Unknown,
                freed_aid: None
            }))
        );
        assert_eq!(s.state(), State::Unknown);
        assert_eq!(s.deadline_us(), None);
    }

    /// Associated, Registered, Configured: `max_retries` retries `timeout` apart, then
    /// Deregistered with the AID freed.
    #[test]
    fn waiting_states_retry_then_deregister() {
        for (state, timeout_ms) in [
            (State::Associated, 3_000),
            (State::Registered, 2_000),
            (State::Configured, 5_000),
        ] {
            let mut s = in_state(state);
            let mut now = s.deadline_us().unwrap_or_default();
            for attempt in 1..=3 {
                assert_eq!(
                    s.poll(now, &t()),
                    Some(TimeoutAction::Retry { state, attempt })
                );
                assert_eq!(s.state(), state);
                assert_eq!(s.retries(), attempt);
                assert_eq!(s.deadline_us(), Some(now + timeout_ms * 1_000));
                now += timeout_ms * 1_000;
            }
            assert_eq!(
                s.poll(now, &t()),
                Some(TimeoutAction::FallBack(Transition {
                    from: state,
                    to: State::Deregistered,
                    freed_aid: Some(AID)
                }))
            );
            assert_eq!(s.aid(), None);
            assert_eq!(s.deadline_us(), None);
        }
    }

    #[test]
    fn accepted_event_resets_retries() {
        let mut s = in_state(State::Associated);
        let d = s.deadline_us().unwrap_or_default();
        assert!(s.poll(d, &t()).is_some());
        assert_eq!(s.retries(), 1);
        ok(&mut s, Event::RegistrationOk, d + 1);
        assert_eq!(s.retries(), 0);
    }

    #[test]
    fn zero_retries_falls_back_at_once() {
        let t0 = Timeouts {
            max_retries: 0,
            ..t()
        };
        let mut s = in_state(State::Registered);
        let d = s.deadline_us().unwrap_or_default();
        assert!(matches!(
            s.poll(d, &t0),
            Some(TimeoutAction::FallBack(Transition {
                to: State::Deregistered,
                freed_aid: Some(AID),
                ..
            }))
        ));
    }

    #[test]
    fn missed_reports_then_deregister() {
        let mut s = in_state(State::Reporting);
        // in_state reported at T0 < FIRST: next window is FIRST + PERIOD.
        assert_eq!(s.next_report_us(), Some(FIRST + PERIOD));
        let grace = 10_000_000;
        for attempt in 1..=3u8 {
            let window = FIRST + u64::from(attempt) * PERIOD;
            assert_eq!(s.poll(window + grace - 1, &t()), None);
            assert_eq!(
                s.poll(window + grace, &t()),
                Some(TimeoutAction::Retry {
                    state: State::Reporting,
                    attempt
                })
            );
            assert_eq!(s.next_report_us(), Some(window + PERIOD));
        }
        // A report now would reset the count; instead the fourth window passes too.
        let window = FIRST + 4 * PERIOD;
        assert!(matches!(
            s.poll(window + grace, &t()),
            Some(TimeoutAction::FallBack(Transition {
                from: State::Reporting,
                to: State::Deregistered,
                freed_aid: Some(AID)
            }))
        ));
    }

    #[test]
    fn report_after_miss_resets_count() {
        let mut s = in_state(State::Scheduled);
        assert!(s.poll(FIRST + 10_000_000, &t()).is_some());
        assert_eq!(s.retries(), 1);
        ok(&mut s, Event::ReportReceived, FIRST + PERIOD + 1);
        assert_eq!(s.retries(), 0);
        assert_eq!(s.state(), State::Reporting);
    }

    #[test]
    fn standby_times_out_to_deregistered() {
        let mut s = in_state(State::Standby);
        let d = T0 + 86_400_000_000;
        assert_eq!(s.poll(d - 1, &t()), None);
        assert_eq!(
            s.poll(d, &t()),
            Some(TimeoutAction::FallBack(Transition {
                from: State::Standby,
                to: State::Deregistered,
                freed_aid: Some(AID)
            }))
        );
    }
}
