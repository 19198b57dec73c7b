//! Scheduler properties on random populations, checked by brute force over the hyperperiod,
//! and the 8191-terminal population (issue 4, "What it must show" 1 and 3).

use std::collections::BTreeMap;
use std::time::Instant;

use proptest::prelude::*;
use subgate_control::scheduler::{
    Allocation, Decision, ScheduleError, Scheduler, SchedulerConfig, US_PER_S,
};
use subgate_control::wire::m2m::{ResourceResult, TimeWindow, MAX_AID};

const EPOCH: u64 = 1_234_567;

fn scheduler(channels: Vec<u8>, hyperperiod_s: u32, guard_us: u32) -> Scheduler {
    let cfg = SchedulerConfig {
        channels,
        hyperperiod_s,
        guard_us,
        epoch_tsf_us: EPOCH,
        access: None,
    };
    match Scheduler::new(cfg) {
        Ok(s) => s,
        Err(e) => panic!("config refused: {e}"),
    }
}

/// Brute force over every occurrence in one steady-state hyperperiod (and a bit), from the
/// allocations alone (not the scheduler's folds): per channel, sorted windows must be at least
/// the guard apart; every window lies inside its period (counted from the epoch); every
/// terminal has H/P windows per hyperperiod; and `windows_in` lists exactly these windows.
/// Returns the windows checked.
fn check(s: &Scheduler, expected: &BTreeMap<u16, (u32, u32)>) -> Result<usize, TestCaseError> {
    let cfg = s.config();
    let h = u64::from(cfg.hyperperiod_s) * US_PER_S;
    let guard = u64::from(cfg.guard_us);
    let allocs: Vec<Allocation> = s.allocations().copied().collect();
    prop_assert_eq!(allocs.len(), expected.len());
    prop_assert_eq!(s.len(), expected.len());
    // One hyperperiod in steady state (after every initial time, which are all < epoch + 2H),
    // plus the windows starting just after it that a window crossing its end could hit.
    let max_len = allocs
        .iter()
        .map(|a| u64::from(a.duration_us))
        .max()
        .unwrap_or(0);
    let from = EPOCH + 2 * h;
    let to = from + h + max_len + guard;
    let mut total = 0;
    for &ch in &cfg.channels {
        let mut w: Vec<(u64, u16, u64)> = Vec::new();
        for a in allocs.iter().filter(|a| a.channel == ch) {
            let p = a.period_us();
            prop_assert_eq!(
                expected.get(&a.terminal),
                Some(&(a.period_s, a.duration_us))
            );
            prop_assert!(a.initial_time_us >= EPOCH);
            prop_assert!(a.initial_time_us < EPOCH + 2 * p.max(h));
            prop_assert_eq!((a.initial_time_us - EPOCH) % p, a.offset_us);
            prop_assert!(
                a.offset_us + u64::from(a.duration_us) <= p,
                "{:?} leaves its period",
                a
            );
            let mut t = a.initial_time_us + (from - a.initial_time_us).div_ceil(p) * p;
            let mut in_h = 0;
            while t < to {
                w.push((t, a.terminal, t + u64::from(a.duration_us)));
                if t < from + h {
                    in_h += 1;
                }
                t += p;
            }
            prop_assert_eq!(in_h, h / p, "{:?}", a);
        }
        w.sort_unstable();
        for pair in w.windows(2) {
            let ((_, x, end), (start, y, _)) = (pair[0], pair[1]);
            prop_assert!(
                end + guard <= start,
                "channel {}: terminal {} ends at {}, terminal {} starts at {} (guard {})",
                ch,
                x,
                end,
                y,
                start,
                guard
            );
        }
        let listed: Vec<(u64, u16, u64)> = s
            .windows_in(ch, from, to)
            .map(|(aid, st, en)| (st, aid, en))
            .collect();
        prop_assert_eq!(&listed, &w);
        total += w.len();
    }
    Ok(total)
}

#[derive(Debug, Clone)]
enum Op {
    Allocate {
        aid: u16,
        period: usize,
        duration_us: u32,
    },
    Request {
        aid: u16,
        period: usize,
        at_us: u64,
        duration_us: u32,
    },
    Release {
        aid: u16,
    },
}

fn op(max_aid: u16, max_duration_us: u32, span_us: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1..=max_aid, 0usize..8, 1..=max_duration_us).prop_map(|(aid, period, duration_us)| {
            Op::Allocate { aid, period, duration_us }
        }),
        3 => (1..=max_aid, 0usize..8, 0..span_us, 1..=max_duration_us).prop_map(
            |(aid, period, at_us, duration_us)| Op::Request { aid, period, at_us, duration_us }
        ),
        2 => (1..=max_aid).prop_map(|aid| Op::Release { aid }),
    ]
}

/// Applies `ops`, keeping the expected (period, duration) of every terminal, and checks after
/// every few steps. Periods index `periods` (mod its length).
fn run(mut s: Scheduler, periods: &[u32], ops: &[Op]) -> Result<usize, TestCaseError> {
    let mut expected: BTreeMap<u16, (u32, u32)> = BTreeMap::new();
    let mut granted = 0;
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Allocate {
                aid,
                period,
                duration_us,
            } => {
                let p = periods[period % periods.len()];
                let before = s.allocation(aid).copied();
                match s.allocate(aid, p, duration_us) {
                    Ok(a) => {
                        prop_assert_eq!(
                            (a.terminal, a.period_s, a.duration_us),
                            (aid, p, duration_us)
                        );
                        expected.insert(aid, (p, duration_us));
                        granted += 1;
                    }
                    Err(ScheduleError::Full { .. } | ScheduleError::WindowTooLong { .. }) => {
                        prop_assert_eq!(s.allocation(aid).copied(), before);
                    }
                    Err(e) => prop_assert!(false, "unexpected {}", e),
                }
            }
            Op::Request {
                aid,
                period,
                at_us,
                duration_us,
            } => {
                let p = periods[period % periods.len()];
                let before = s.allocation(aid).copied();
                let proposal = TimeWindow {
                    initial_time: EPOCH + at_us,
                    duration: duration_us,
                };
                match s.request(aid, proposal, p) {
                    Decision::Accept(a) => {
                        prop_assert_eq!(a.initial_time_us, proposal.initial_time);
                        prop_assert_eq!(a.duration_us, duration_us);
                        expected.insert(aid, (p, duration_us));
                        granted += 1;
                    }
                    Decision::CounterProposal(a) => {
                        prop_assert_eq!(a.duration_us, duration_us);
                        // The proposal itself was not free (or left its period): it differs.
                        prop_assert!(
                            a.offset_us != (at_us % a.period_us())
                                || (at_us % a.period_us()) + u64::from(duration_us) > a.period_us()
                        );
                        expected.insert(aid, (p, duration_us));
                        granted += 1;
                    }
                    Decision::Reject(
                        ScheduleError::Full { .. } | ScheduleError::WindowTooLong { .. },
                    ) => {
                        prop_assert_eq!(s.allocation(aid).copied(), before);
                    }
                    Decision::Reject(e) => prop_assert!(false, "unexpected {}", e),
                }
            }
            Op::Release { aid } => {
                let had = expected.remove(&aid).is_some();
                prop_assert_eq!(s.release(aid).is_some(), had);
            }
        }
        if i % 16 == 15 {
            check(&s, &expected)?;
        }
    }
    check(&s, &expected)?;
    let occ = s.occupancy();
    prop_assert!(occ
        .iter()
        .all(|c| c.reserved <= 1.0 + 1e-9 && c.airtime <= c.reserved));
    // Release everything: the channels are empty again.
    for aid in expected.keys() {
        prop_assert!(s.release(*aid).is_some());
    }
    prop_assert!(s.is_empty());
    prop_assert!(s
        .occupancy()
        .iter()
        .all(|c| c.terminals == 0 && c.reserved.abs() < 1e-9));
    Ok(granted)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Harmonic periods from 1 min to 1 day (each divides the next), windows up to 4 s so
    /// that 1–3 channels fill up and requests get counter-proposed or rejected, with releases
    /// and re-requests.
    #[test]
    fn harmonic_populations_never_overlap(
        channels in 1usize..=3,
        guard_us in 0u32..5_000,
        ops in prop::collection::vec(op(120, 4_000_000, 86_400 * US_PER_S), 1..160),
    ) {
        let s = scheduler((1..=channels as u8).collect(), 86_400, guard_us);
        run(s, &[60, 300, 900, 1_800, 3_600, 21_600, 43_200, 86_400], &ops)?;
    }

    /// Non-harmonic periods that all divide one hour (gcds from 2 s to 60 s), short hyperperiod,
    /// windows up to 2 s so that the gcd folds actually bind.
    #[test]
    fn non_harmonic_populations_never_overlap(
        channels in 1usize..=2,
        guard_us in 0u32..20_000,
        ops in prop::collection::vec(op(80, 2_000_000, 3_600 * US_PER_S), 1..120),
    ) {
        let s = scheduler((1..=channels as u8).collect(), 3_600, guard_us);
        run(s, &[8, 12, 18, 30, 40, 45, 60, 120], &ops)?;
    }
}

/// The population: 8191 terminals (the S1G AID limit), periods 1 min, 15 min, 1 h and
/// 1 day in turn, 40 ms windows, default 2 ms guard, four channels. All must be placed, with
/// zero overlaps by brute force over the hyperperiod; time and occupancy are printed.
#[test]
fn allocates_8191_terminals_of_mixed_periods() {
    let periods = [60u32, 900, 3_600, 86_400];
    let mut s = scheduler(vec![1, 3, 5, 7], 86_400, 2_000);
    let started = Instant::now();
    for aid in 1..=MAX_AID {
        let p = periods[usize::from(aid) % periods.len()];
        if let Err(e) = s.allocate(aid, p, 40_000) {
            panic!(
                "terminal {aid} (period {p} s) refused: {e}; {:?}",
                s.occupancy()
            );
        }
    }
    let took = started.elapsed();
    assert_eq!(s.len(), usize::from(MAX_AID));
    println!(
        "allocated {} terminals (periods 60/900/3600/86400 s, 40 ms windows, 2 ms guard, 4 channels) in {:.1} ms",
        s.len(),
        took.as_secs_f64() * 1e3
    );
    for c in s.occupancy() {
        println!(
            "  channel {}: {} terminals, airtime {:.1} %, reserved (with guards) {:.1} %",
            c.channel,
            c.terminals,
            c.airtime * 100.0,
            c.reserved * 100.0
        );
    }

    // Brute force over the whole day: every occurrence of every window.
    let expected: BTreeMap<u16, (u32, u32)> = s
        .allocations()
        .map(|a| (a.terminal, (a.period_s, 40_000)))
        .collect();
    let checked = match check(&s, &expected) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    };
    println!("  brute force: {checked} windows over one day and a bit, zero overlaps");

    // Churn: release a quarter and let them request fresh windows at arbitrary times.
    let started = Instant::now();
    let mut accepted = 0;
    for aid in (1..=MAX_AID).step_by(4) {
        s.release(aid);
    }
    for aid in (1..=MAX_AID).step_by(4) {
        let p = periods[usize::from(aid) % periods.len()];
        let at = EPOCH + u64::from(aid) * 7_919_113 % (u64::from(p) * US_PER_S);
        let d = s.request(
            aid,
            TimeWindow {
                initial_time: at,
                duration: 40_000,
            },
            p,
        );
        match d.result() {
            ResourceResult::Accept => accepted += 1,
            ResourceResult::CounterProposal => {}
            _ => panic!("terminal {aid} rejected: {d:?}"),
        }
    }
    println!(
        "  re-requested {} windows ({} accepted as proposed) in {:.1} ms",
        (1..=MAX_AID).step_by(4).count(),
        accepted,
        started.elapsed().as_secs_f64() * 1e3
    );
    if let Err(e) = check(&s, &expected) {
        panic!("{e}");
    }
}

/// The same population packed onto two channels (≈ 78 % held): only works because long
/// periods stack on shared one-minute residues instead of each taking a fresh one.
#[test]
fn packs_8191_terminals_onto_two_channels() {
    let periods = [60u32, 900, 3_600, 86_400];
    let mut s = scheduler(vec![1, 2], 86_400, 2_000);
    let started = Instant::now();
    for aid in 1..=MAX_AID {
        let p = periods[usize::from(aid) % periods.len()];
        if let Err(e) = s.allocate(aid, p, 40_000) {
            panic!(
                "terminal {aid} (period {p} s) refused: {e}; {:?}",
                s.occupancy()
            );
        }
    }
    println!(
        "packed {} terminals onto 2 channels in {:.1} ms",
        s.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    for c in s.occupancy() {
        println!(
            "  channel {}: {} terminals, airtime {:.1} %, reserved {:.1} %",
            c.channel,
            c.terminals,
            c.airtime * 100.0,
            c.reserved * 100.0
        );
    }
    let expected: BTreeMap<u16, (u32, u32)> = s
        .allocations()
        .map(|a| (a.terminal, (a.period_s, 40_000)))
        .collect();
    if let Err(e) = check(&s, &expected) {
        panic!("{e}");
    }
}
