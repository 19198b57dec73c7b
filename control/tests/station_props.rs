//! Station properties (issue 4, Gateway): the SID filter against a model, no allocation on a
//! silent answer, random event sequences through the state machine and the station table, and
//! the full 8191-AID population.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use subgate_control::station::{
    Event, FilterResult, InvalidTransition, Matched, SidFilter, State, Station, StationError,
    Stations, TimeoutAction, Timeouts, Transition, Unmatched,
};
use subgate_control::wire::m2m::{NotSupportedReason, Sid, SidNotSupportedRepr, MAX_AID};
use subgate_control::wire::MacAddr;

// ---- counting allocator (this test binary only) -------------------------------------------

/// Counts allocations made by the current thread, so parallel tests do not disturb a count.
struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: never panic inside the allocator, even during thread teardown.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

#[allow(unsafe_code)]
// SAFETY: forwards every call to `System` unchanged; the thread-local counter is a `Cell`
// with const init and no destructor, so touching it never allocates or re-enters.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

// ---- helpers ------------------------------------------------------------------------------

fn sid(s: &str) -> Sid {
    match s.parse() {
        Ok(sid) => sid,
        Err(e) => panic!("{e}"),
    }
}

/// A pool of SIDs of every named type; filters and requests draw from it.
fn pool() -> Vec<Sid> {
    [
        "service:metering",
        "service:gas",
        "service:heat",
        "user:acme-water",
        "user:other",
        "server:10.0.0.7",
        "server:2001:db8::7",
        "server:https://m2m.example/acme",
        "terminal:02:00:00:00:10:01",
        "sid42:01ff",
    ]
    .iter()
    .map(|s| sid(s))
    .collect()
}

/// A token from a filter that serves `service:metering` (the only way to get one).
fn matched() -> Matched {
    let f = SidFilter::new(vec![sid("service:metering")], vec![], Unmatched::Silent);
    match f.check(&[]) {
        FilterResult::Match(m) => m,
        other => panic!("wildcard refused: {other:?}"),
    }
}

fn mac(i: u32) -> MacAddr {
    let b = i.to_be_bytes();
    MacAddr([2, 0, b[0], b[1], b[2], b[3]])
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// States that hold an AID.
fn holds_aid(s: State) -> bool {
    match s {
        State::Associated
        | State::Registered
        | State::Configured
        | State::Scheduled
        | State::Reporting
        | State::Standby => true,
        State::Unknown | State::Authenticated | State::Deregistered => false,
    }
}

// ---- SID filter ---------------------------------------------------------------------------

/// Model of the filter: the documented table, by brute force over lists.
fn model_check(
    served: &[Sid],
    corr: &[(Sid, Sid)],
    unmatched: Unmatched,
    req: &[Sid],
) -> FilterResult {
    let mut served_dedup: Vec<Sid> = Vec::new();
    for s in served {
        if !served_dedup.contains(s) {
            served_dedup.push(s.clone());
        }
    }
    let resolve = |r: &Sid| -> Option<Sid> {
        if served_dedup.contains(r) {
            return Some(r.clone());
        }
        corr.iter()
            .find(|(a, b)| a == r && served_dedup.contains(b))
            .map(|(_, b)| b.clone())
    };
    let refuse = || match unmatched {
        Unmatched::Silent => FilterResult::Silent,
        Unmatched::NotSupported => FilterResult::NotSupported(SidNotSupportedRepr {
            reason: NotSupportedReason::NotServed,
            sids: req.to_vec(),
        }),
    };
    if req.is_empty() {
        return if served_dedup.is_empty() {
            refuse()
        } else {
            FilterResult::Match(expect_match(&served_dedup))
        };
    }
    let mut out: Vec<Sid> = Vec::new();
    for r in req {
        if let Some(s) = resolve(r) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    if out.is_empty() {
        refuse()
    } else {
        FilterResult::Match(expect_match(&out))
    }
}

/// A `Matched` with exactly these SIDs, built the only legal way: a wildcard check on a filter
/// serving them.
fn expect_match(sids: &[Sid]) -> Matched {
    match SidFilter::new(sids.to_vec(), vec![], Unmatched::Silent).check(&[]) {
        FilterResult::Match(m) => m,
        other => panic!("{other:?}"),
    }
}

fn idx_vec(max_len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..10, 0..max_len)
}

proptest! {
    #[test]
    fn filter_matches_model(
        served in idx_vec(6),
        corr in prop::collection::vec((0usize..10, 0usize..10), 0..6),
        req in idx_vec(6),
        not_supported in any::<bool>(),
    ) {
        let p = pool();
        let served: Vec<Sid> = served.iter().map(|&i| p[i].clone()).collect();
        let corr: Vec<(Sid, Sid)> =
            corr.iter().map(|&(a, b)| (p[a].clone(), p[b].clone())).collect();
        let req: Vec<Sid> = req.iter().map(|&i| p[i].clone()).collect();
        let unmatched = if not_supported { Unmatched::NotSupported } else { Unmatched::Silent };
        let f = SidFilter::new(served.clone(), corr.clone(), unmatched);
        prop_assert_eq!(f.check(&req), model_check(&served, &corr, unmatched, &req));
    }
}

#[test]
fn filter_equality_correspondence_silent_not_supported_wildcard() {
    let served = vec![sid("service:metering"), sid("user:acme-water")];
    let corr = vec![(sid("server:10.0.0.7"), sid("service:metering"))];
    for unmatched in [Unmatched::Silent, Unmatched::NotSupported] {
        let f = SidFilter::new(served.clone(), corr.clone(), unmatched);
        // Equality.
        match f.check(&[sid("user:acme-water")]) {
            FilterResult::Match(m) => assert_eq!(m.sids(), &[sid("user:acme-water")]),
            other => panic!("{other:?}"),
        }
        // Correspondence: server id → service type.
        match f.check(&[sid("server:10.0.0.7")]) {
            FilterResult::Match(m) => assert_eq!(m.sids(), &[sid("service:metering")]),
            other => panic!("{other:?}"),
        }
        // Wildcard (no SID element): everything served.
        match f.check(&[]) {
            FilterResult::Match(m) => assert_eq!(m.sids(), served.as_slice()),
            other => panic!("{other:?}"),
        }
        // No match: silent or "not supported" as configured.
        let req = [sid("service:gas"), sid("server:10.0.0.8")];
        let want = match unmatched {
            Unmatched::Silent => FilterResult::Silent,
            Unmatched::NotSupported => FilterResult::NotSupported(SidNotSupportedRepr {
                reason: NotSupportedReason::NotServed,
                sids: req.to_vec(),
            }),
        };
        assert_eq!(f.check(&req), want);
    }
}

#[test]
fn silent_answer_allocates_nothing() {
    let p = pool();
    let f = SidFilter::new(
        p[..3].to_vec(),
        vec![(p[5].clone(), p[0].clone())],
        Unmatched::Silent,
    );
    let req = p[6..].to_vec(); // none served, none corresponds
                               // Warm up (nothing lazy should remain, but be fair).
    assert_eq!(f.check(&req), FilterResult::Silent);
    let before = allocs();
    for _ in 0..1_000 {
        let r = f.check(&req);
        assert!(matches!(r, FilterResult::Silent));
    }
    assert_eq!(allocs() - before, 0, "a Silent answer allocated");
    // The counter works: a match allocates.
    let before = allocs();
    let r = f.check(&p[..1]);
    assert!(matches!(r, FilterResult::Match(_)));
    assert!(allocs() > before);
}

// ---- state machine on random sequences ----------------------------------------------------

fn event_strategy() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::AuthRequest),
        (0u16..=8200).prop_map(|aid| Event::AssocRequest { aid }),
        Just(Event::RegistrationOk),
        Just(Event::RegistrationFailed),
        Just(Event::ConfigDelivered),
        (
            any::<u64>(),
            prop_oneof![Just(0u64), 1u64..10_000_000, any::<u64>()]
        )
            .prop_map(|(first_report_us, period_us)| Event::ScheduleAccepted {
                first_report_us,
                period_us
            }),
        Just(Event::ReportReceived),
        Just(Event::StandbyRequested),
        Just(Event::WakeUp),
        Just(Event::Deauth),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Event(Event),
    Poll,
}

fn step_strategy() -> impl Strategy<Value = (Step, u64)> {
    (
        prop_oneof![
            3 => event_strategy().prop_map(Step::Event),
            1 => Just(Step::Poll),
        ],
        prop_oneof![0u64..1_000, 0u64..100_000_000, any::<u64>()],
    )
}

fn timeouts_strategy() -> impl Strategy<Value = Timeouts> {
    (
        prop::array::uniform6(prop_oneof![Just(0u64), 0u64..100_000, any::<u64>()]),
        0u8..5,
    )
        .prop_map(|(ms, max_retries)| Timeouts {
            auth_ms: ms[0],
            assoc_ms: ms[1],
            registration_ms: ms[2],
            config_ms: ms[3],
            report_grace_ms: ms[4],
            standby_ms: ms[5],
            max_retries,
        })
}

/// Everything observable about a station.
fn snapshot(s: &Station) -> (State, Option<u16>, Option<u64>, u8, Option<u64>) {
    (
        s.state(),
        s.aid(),
        s.deadline_us(),
        s.retries(),
        s.next_report_us(),
    )
}

fn check_station(s: &Station, t: &Timeouts) -> Result<(), TestCaseError> {
    // Exhaustive: a state outside the enum would not compile; this names every one.
    prop_assert_eq!(s.aid().is_some(), holds_aid(s.state()), "{:?}", snapshot(s));
    if let Some(aid) = s.aid() {
        prop_assert!((1..=MAX_AID).contains(&aid));
    }
    if s.state() == State::Deregistered {
        prop_assert_eq!(s.deadline_us(), None);
    }
    if s.state() != State::Unknown && s.state() != State::Deregistered {
        prop_assert!(s.deadline_us().is_some());
    }
    prop_assert!(s.retries() <= t.max_retries);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn station_random_sequences(
        steps in prop::collection::vec(step_strategy(), 0..60),
        t in timeouts_strategy(),
        start in any::<u64>(),
    ) {
        let mut s = Station::new(mac(1), matched(), start, &t);
        let mut now = start;
        for (step, dt) in steps {
            now = now.saturating_add(dt);
            let before = snapshot(&s);
            match step {
                Step::Event(e) => match s.handle(e, now, &t) {
                    Ok(tr) => {
                        prop_assert_eq!(tr.from, before.0);
                        prop_assert_eq!(tr.to, s.state());
                        if tr.to == State::Deregistered {
                            prop_assert_eq!(tr.freed_aid, before.1);
                        } else {
                            prop_assert_eq!(tr.freed_aid, None);
                        }
                    }
                    Err(err) => {
                        prop_assert_eq!(err, InvalidTransition { state: before.0, event: e });
                        prop_assert_eq!(snapshot(&s), before);
                    }
                },
                Step::Poll => match s.poll(now, &t) {
                    None => prop_assert_eq!(snapshot(&s), before),
                    Some(TimeoutAction::Retry { state, attempt }) => {
                        prop_assert_eq!(state, before.0);
                        prop_assert_eq!(s.state(), before.0);
                        prop_assert_eq!(attempt, s.retries());
                        prop_assert!(attempt >= 1 && attempt <= t.max_retries);
                        prop_assert!(before.2.is_some_and(|d| d <= now));
                    }
                    Some(TimeoutAction::FallBack(tr)) => {
                        prop_assert_eq!(tr.from, before.0);
                        prop_assert_eq!(tr.to, s.state());
                        prop_assert_eq!(tr.freed_aid, before.1);
                        let fell = matches!(tr.to, State::Deregistered | State::Unknown);
                        prop_assert!(fell);
                        prop_assert_eq!(s.aid(), None);
                        prop_assert_eq!(s.deadline_us(), None);
                    }
                },
            }
            check_station(&s, &t)?;
        }
    }
}

// ---- station table on random sequences ----------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Insert(u32),
    Associate(u32),
    Handle(u32, Event),
    Poll,
    Remove(u32),
}

fn op_strategy(macs: u32) -> impl Strategy<Value = (Op, u64)> {
    (
        prop_oneof![
            2 => (0..macs).prop_map(Op::Insert),
            2 => (0..macs).prop_map(Op::Associate),
            6 => ((0..macs), event_strategy()).prop_map(|(m, e)| Op::Handle(m, e)),
            2 => Just(Op::Poll),
            1 => (0..macs).prop_map(Op::Remove),
        ],
        prop_oneof![0u64..1_000, 0u64..10_000_000, 0u64..u64::MAX / 4],
    )
}

/// The table's invariants, checked from the outside.
fn check_table(st: &Stations, t: &Timeouts) -> Result<(), TestCaseError> {
    let mut seen = HashSet::new();
    for s in st.iter() {
        check_station(s, t)?;
        prop_assert!(
            s.state() != State::Deregistered,
            "deregistered station kept"
        );
        if let Some(aid) = s.aid() {
            prop_assert!(seen.insert(aid), "AID {} held twice", aid);
            prop_assert!(st.aid_in_use(aid));
        }
    }
    prop_assert_eq!(seen.len(), st.aids_in_use(), "AID pool out of step");
    prop_assert!(st.len() <= st.max_stations());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn table_random_sequences(
        ops in prop::collection::vec(op_strategy(8), 0..120),
        t in timeouts_strategy(),
        max_stations in 1usize..8,
    ) {
        let mut st = Stations::new(max_stations);
        let mut now = 0u64;
        for (op, dt) in ops {
            now = now.saturating_add(dt);
            let aids_before: HashMap<MacAddr, Option<u16>> =
                st.iter().map(|s| (s.mac(), s.aid())).collect();
            let mut transitions: Vec<(MacAddr, Transition)> = Vec::new();
            match op {
                Op::Insert(i) => {
                    let len = st.len();
                    match st.get_or_insert_after_filter(mac(i), matched(), now, &t) {
                        Ok(s) => prop_assert_eq!(s.mac(), mac(i)),
                        Err(e) => {
                            prop_assert_eq!(e, StationError::Full(max_stations));
                            prop_assert_eq!(len, max_stations);
                        }
                    }
                }
                Op::Associate(i) => {
                    if let Ok(tr) = st.associate(mac(i), now, &t) {
                        prop_assert_eq!(tr.to, State::Associated);
                        transitions.push((mac(i), tr));
                    }
                }
                Op::Handle(i, e) => match st.handle(mac(i), e, now, &t) {
                    Ok(tr) => transitions.push((mac(i), tr)),
                    Err(StationError::AssocViaAssociate) => {
                        let is_assoc = matches!(e, Event::AssocRequest { .. });
                        prop_assert!(is_assoc);
                    }
                    Err(StationError::NotFound(m)) => {
                        prop_assert_eq!(m, mac(i));
                        prop_assert!(st.get(&m).is_none());
                    }
                    Err(StationError::Invalid(inv)) => {
                        prop_assert_eq!(Some(inv.state), st.get(&mac(i)).map(Station::state));
                    }
                    Err(other) => prop_assert!(false, "unexpected {other:?}"),
                },
                Op::Poll => {
                    for (m, action) in st.poll(now, &t) {
                        if let TimeoutAction::FallBack(tr) = action {
                            transitions.push((m, tr));
                        }
                    }
                }
                Op::Remove(i) => {
                    if let Some(s) = st.remove(&mac(i)) {
                        if let Some(aid) = s.aid() {
                            prop_assert!(!st.aid_in_use(aid));
                        }
                    }
                }
            }
            // Deregistration always frees the AID the station held, and forgets the station.
            for (m, tr) in transitions {
                if tr.to == State::Deregistered {
                    prop_assert_eq!(tr.freed_aid, aids_before.get(&m).copied().flatten());
                    prop_assert!(st.get(&m).is_none());
                    if let Some(aid) = tr.freed_aid {
                        prop_assert!(!st.aid_in_use(aid));
                    }
                }
            }
            check_table(&st, &t)?;
        }
    }
}

// ---- the full AID space -------------------------------------------------------------------

#[test]
fn all_8191_aids_allocate_and_free() {
    let t = Timeouts::default();
    let n = u32::from(MAX_AID);
    let mut st = Stations::new(usize::from(MAX_AID) + 10);
    for i in 0..n {
        ok(st.get_or_insert_after_filter(mac(i), matched(), 0, &t));
        ok(st.handle(mac(i), Event::AuthRequest, 0, &t));
        let tr = ok(st.associate(mac(i), 0, &t));
        assert_eq!(tr.to, State::Associated);
        // Lowest free first: the i-th station gets AID i + 1.
        assert_eq!(st.get(&mac(i)).and_then(Station::aid), Some((i + 1) as u16));
    }
    assert_eq!(st.aids_in_use(), usize::from(MAX_AID));
    // Full: the 8192nd association is refused and leaves the station authenticated.
    ok(st.get_or_insert_after_filter(mac(n), matched(), 0, &t));
    ok(st.handle(mac(n), Event::AuthRequest, 0, &t));
    assert_eq!(st.associate(mac(n), 0, &t), Err(StationError::NoFreeAid));
    assert_eq!(
        st.get(&mac(n)).map(Station::state),
        Some(State::Authenticated)
    );

    // Deregister every third station: exactly their AIDs come free.
    let mut freed = Vec::new();
    for i in (0..n).step_by(3) {
        let tr = ok(st.handle(mac(i), Event::Deauth, 1, &t));
        assert_eq!(tr.freed_aid, Some((i + 1) as u16));
        freed.push((i + 1) as u16);
    }
    assert_eq!(st.aids_in_use(), usize::from(MAX_AID) - freed.len());
    // They are handed out again, lowest first.
    for (k, want) in freed.iter().enumerate() {
        let m = mac(100_000 + k as u32);
        ok(st.get_or_insert_after_filter(m, matched(), 2, &t));
        ok(st.handle(m, Event::AuthRequest, 2, &t));
        ok(st.associate(m, 2, &t));
        assert_eq!(st.get(&m).and_then(Station::aid), Some(*want));
    }
    assert_eq!(st.aids_in_use(), usize::from(MAX_AID));
    // Unique, all in range.
    let aids: HashSet<u16> = st.iter().filter_map(Station::aid).collect();
    assert_eq!(aids.len(), usize::from(MAX_AID));
    assert!(aids.iter().all(|a| (1..=MAX_AID).contains(a)));

    // Registration times out everywhere: max_retries retries, then all AIDs are freed.
    let mut fallbacks = 0;
    for round in 0..=t.max_retries {
        let fired = st.poll(u64::MAX - 1 + u64::from(round.min(1)), &t);
        fallbacks += fired
            .iter()
            .filter(|(_, a)| matches!(a, TimeoutAction::FallBack(_)))
            .count();
    }
    // The authenticated one fell back to Unknown too (auth_ms passed) and was forgotten.
    assert_eq!(fallbacks, usize::from(MAX_AID) + 1);
    assert_eq!(st.aids_in_use(), 0);
    assert!(st.is_empty());
}
