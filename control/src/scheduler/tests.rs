//! One test per scheduler behaviour; each schedule is also checked by brute force.

use super::*;
use crate::wire::m2m::ServiceTimePacket;
use subgate_dsp::{Format, Mcs};

const S: u64 = US_PER_S;
const MS: u64 = 1_000;
/// An epoch that is not 0, so offsets and TSF times differ.
const EPOCH: u64 = 7_000_000;

fn sched(channels: &[u8], hyperperiod_s: u32, guard_us: u32) -> Scheduler {
    let cfg = SchedulerConfig {
        channels: channels.to_vec(),
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

fn window(at: u64, duration: u64) -> TimeWindow {
    TimeWindow {
        initial_time: at,
        duration: duration as u32,
    }
}

fn ok(r: Result<Allocation, ScheduleError>) -> Allocation {
    match r {
        Ok(a) => a,
        Err(e) => panic!("allocation refused: {e}"),
    }
}

/// Brute force, independent of the scheduler's folds: every occurrence of every allocation
/// over two hyperperiods, per channel, sorted; consecutive windows must be at least the
/// guard apart, and each window must lie inside its period (counted from the epoch).
/// Returns the number of windows checked.
fn assert_no_overlap(s: &Scheduler) -> usize {
    let cfg = s.config();
    let h = u64::from(cfg.hyperperiod_s) * S;
    let guard = u64::from(cfg.guard_us);
    let mut checked = 0;
    for &ch in &cfg.channels {
        let mut w: Vec<(u64, u64, u16)> = Vec::new();
        for a in s.allocations().filter(|a| a.channel == ch) {
            let p = a.period_us();
            assert_eq!((a.initial_time_us - EPOCH) % p, a.offset_us, "{a:?}");
            assert!(
                a.offset_us + u64::from(a.duration_us) <= p,
                "{a:?} leaves its period"
            );
            let mut t = a.initial_time_us;
            while t < a.initial_time_us + 2 * h {
                w.push((t, t + u64::from(a.duration_us), a.terminal));
                t += p;
            }
        }
        w.sort_unstable();
        for pair in w.windows(2) {
            let ((_, end, x), (start, _, y)) = (pair[0], pair[1]);
            assert!(
                end + guard <= start,
                "channel {ch}: terminal {x} ends at {end}, terminal {y} starts at {start}"
            );
        }
        checked += w.len();
    }
    checked
}

#[test]
fn accepts_a_free_proposal() {
    let mut s = sched(&[1], 3600, 2_000);
    let d = s.request(5, window(EPOCH + 10 * S, 40 * MS), 60);
    let Decision::Accept(a) = d else {
        panic!("expected accept, got {d:?}");
    };
    assert_eq!(d.result(), ResourceResult::Accept);
    assert_eq!(a.initial_time_us, EPOCH + 10 * S);
    assert_eq!(a.offset_us, 10 * S);
    assert_eq!((a.channel, a.period_s, a.duration_us), (1, 60, 40_000));
    assert_eq!(s.allocation(5), Some(&a));
    // A proposal far in the future, for the same offset, is echoed as it is.
    let d = s.request(6, window(EPOCH + 3 * 60 * S + 20 * S, 40 * MS), 60);
    assert_eq!(d.result(), ResourceResult::Accept);
    assert_eq!(
        d.allocation().map(|a| a.initial_time_us),
        Some(EPOCH + 200 * S)
    );
    assert_no_overlap(&s);
}

#[test]
fn counter_proposes_the_nearest_free_window() {
    let mut s = sched(&[1], 3600, 2_000);
    assert_eq!(
        s.request(1, window(EPOCH + 10 * S, 40 * MS), 60).result(),
        ResourceResult::Accept
    );
    // 30 ms into terminal 1's window: the nearest free start is after its window and guard
    // (12 ms later), not before it (72 ms earlier).
    let d = s.request(2, window(EPOCH + 10 * S + 30 * MS, 40 * MS), 60);
    let Decision::CounterProposal(a) = d else {
        panic!("expected counter-proposal, got {d:?}");
    };
    assert_eq!(a.initial_time_us, EPOCH + 10 * S + 42 * MS);
    // 10 ms before terminal 1's window: backwards (32 ms) beats forwards (52 ms, and then
    // terminal 2 is in the way too).
    let d = s.request(3, window(EPOCH + 10 * S - 10 * MS, 40 * MS), 60);
    assert_eq!(d.result(), ResourceResult::CounterProposal);
    assert_eq!(
        d.allocation().map(|a| a.initial_time_us),
        Some(EPOCH + 10 * S - 42 * MS)
    );
    assert_no_overlap(&s);
}

#[test]
fn counter_proposal_respects_other_periods() {
    // A daily window at offset 0 blocks the minute terminal only at its own phase: a
    // one-minute proposal at 0 collides with it, and the counter-proposal follows it.
    let mut s = sched(&[1], 86_400, 1_000);
    assert_eq!(
        s.request(1, window(EPOCH, 10 * MS), 86_400).result(),
        ResourceResult::Accept
    );
    let d = s.request(2, window(EPOCH + 120 * S, 10 * MS), 60);
    assert_eq!(d.result(), ResourceResult::CounterProposal);
    assert_eq!(
        d.allocation().map(|a| a.initial_time_us),
        Some(EPOCH + 120 * S + 11 * MS)
    );
    // A 15-minute proposal at another minute phase is free of the daily window, and the
    // minute terminal holds 11..22 ms of each minute, not 0..11 ms.
    let d = s.request(3, window(EPOCH + 60 * S, 10 * MS), 900);
    assert_eq!(d.result(), ResourceResult::Accept);
    // At phase 0 it collides with the daily window; forwards the minute terminal is in the way
    // up to 22 ms; backwards, window and guard end right where the daily window starts, 11 ms
    // earlier — before the epoch, so the first window is one period later.
    let d = s.request(4, window(EPOCH, 10 * MS), 900);
    assert_eq!(d.result(), ResourceResult::CounterProposal);
    assert_eq!(
        d.allocation().map(|a| a.initial_time_us),
        Some(EPOCH + 900 * S - 11 * MS)
    );
    assert_no_overlap(&s);
}

#[test]
fn proposal_crossing_its_period_is_moved_inside() {
    let mut s = sched(&[1], 60, 0);
    // Starts 10 ms before the end of a 1 s period and lasts 40 ms.
    let d = s.request(1, window(EPOCH + 990 * MS, 40 * MS), 1);
    assert_eq!(d.result(), ResourceResult::CounterProposal);
    let a = d.allocation().copied();
    assert_eq!(a.map(|a| a.offset_us), Some(960 * MS));
    assert_eq!(a.map(|a| a.initial_time_us), Some(EPOCH + 960 * MS));
}

#[test]
fn proposal_before_the_epoch_starts_at_the_epoch() {
    let mut s = sched(&[1], 60, 0);
    let d = s.request(1, window(EPOCH - 500 * MS, 40 * MS), 1);
    assert_eq!(d.result(), ResourceResult::Accept);
    let a = d.allocation().copied();
    assert_eq!(a.map(|a| a.initial_time_us), Some(EPOCH + 500 * MS));
}

#[test]
fn rejects_when_the_channel_is_full() {
    // Two 480 ms windows + 20 ms guards fill a 1 s period.
    let mut s = sched(&[3], 60, 20_000);
    let a = ok(s.allocate(1, 1, 480_000));
    let b = ok(s.allocate(2, 1, 480_000));
    assert_eq!((a.offset_us, b.offset_us), (0, 500 * MS));
    let full = ScheduleError::Full {
        period_s: 1,
        duration_us: 480_000,
    };
    assert_eq!(s.allocate(3, 1, 480_000), Err(full));
    assert_eq!(
        s.request(3, window(EPOCH, 480 * MS), 1),
        Decision::Reject(full)
    );
    assert_eq!(s.allocation(3), None);
    // A longer period does not help: every second is taken.
    assert!(matches!(
        s.allocate(3, 60, 1_000),
        Err(ScheduleError::Full { .. })
    ));
    // A terminal whose request is rejected keeps what it had.
    let d = s.request(1, window(EPOCH, 700 * MS), 1);
    assert!(matches!(d, Decision::Reject(ScheduleError::Full { .. })));
    assert_eq!(s.allocation(1), Some(&a));
    let occ = s.occupancy();
    assert_eq!(occ.len(), 1);
    assert_eq!((occ[0].channel, occ[0].terminals), (3, 2));
    assert!((occ[0].reserved - 1.0).abs() < 1e-12);
    assert!((occ[0].airtime - 0.96).abs() < 1e-12);
}

#[test]
fn second_channel_takes_the_overflow() {
    let mut s = sched(&[1, 6], 60, 20_000);
    let a = ok(s.allocate(1, 1, 480_000));
    let b = ok(s.allocate(2, 1, 480_000));
    // Least loaded first: the two land on different channels at offset 0.
    assert_ne!(a.channel, b.channel);
    assert_eq!((a.offset_us, b.offset_us), (0, 0));
    ok(s.allocate(3, 1, 480_000));
    ok(s.allocate(4, 1, 480_000));
    assert!(s.allocate(5, 1, 480_000).is_err());
    assert_eq!(s.len(), 4);
    assert_no_overlap(&s);
}

#[test]
fn release_frees_the_window() {
    let mut s = sched(&[1], 60, 20_000);
    ok(s.allocate(1, 1, 480_000));
    let b = ok(s.allocate(2, 1, 480_000));
    assert!(s.allocate(3, 1, 480_000).is_err());
    assert_eq!(s.release(2), Some(b));
    assert_eq!(s.release(2), None);
    assert_eq!(s.allocation(2), None);
    let c = ok(s.allocate(3, 1, 480_000));
    assert_eq!(c.offset_us, b.offset_us);
    // Reallocating moves a terminal: its old window is free for its own new search.
    let c2 = ok(s.allocate(3, 1, 300_000));
    assert_eq!(c2.offset_us, b.offset_us);
    assert_eq!(s.len(), 2);
    assert_no_overlap(&s);
}

#[test]
fn mixed_periods_never_overlap() {
    // Heavy windows so classes interleave tightly: 1 min, 15 min, 1 h, 1 day.
    let mut s = sched(&[1, 2], 86_400, 2_000);
    let periods = [60, 900, 3_600, 86_400];
    let mut granted = 0;
    for aid in 1..=1_200u16 {
        let p = periods[usize::from(aid) % periods.len()];
        let d = 40_000 + 1_000 * u32::from(aid % 7);
        if s.allocate(aid, p, d).is_ok() {
            granted += 1;
        }
    }
    assert_eq!(granted, 1_200, "{:?}", s.occupancy());
    for aid in (1..=1_200u16).step_by(3) {
        s.release(aid);
    }
    for aid in (1..=1_200u16).step_by(3) {
        let p = periods[usize::from(aid / 3) % periods.len()];
        let at = EPOCH + u64::from(aid) * 997 * MS;
        assert_ne!(
            s.request(aid, window(at, 45 * MS), p).result(),
            ResourceResult::Reject
        );
    }
    assert!(assert_no_overlap(&s) > 0);
}

#[test]
fn non_harmonic_periods_are_exact() {
    // 40 s and 60 s share only multiples of 20 s: both classes must avoid each other mod 20 s.
    let mut s = sched(&[1], 120, 0);
    let mut n = 0;
    for aid in 1..=400u16 {
        let p = if aid % 2 == 0 { 40 } else { 60 };
        if s.allocate(aid, p, 97_000).is_ok() {
            n += 1;
        }
    }
    // The 20 s circle fits 206 residues of 97 ms; a residue hosts two 40 s terminals (at
    // phases 0 and 20 s) or three 60 s ones, never a mix: room for all 400.
    assert_eq!(n, 400);
    assert_no_overlap(&s);
}

#[test]
fn refuses_invalid_requests() {
    let mut s = sched(&[1], 86_400, 2_000);
    assert_eq!(
        s.allocate(1, 7, 1_000),
        Err(ScheduleError::PeriodNotDividing {
            period_s: 7,
            hyperperiod_s: 86_400
        })
    );
    assert_eq!(s.allocate(1, 0, 1_000), Err(ScheduleError::ZeroPeriod));
    assert_eq!(s.allocate(1, 60, 0), Err(ScheduleError::ZeroDuration));
    assert_eq!(
        s.allocate(1, 1, 999_000),
        Err(ScheduleError::WindowTooLong {
            duration_us: 999_000,
            guard_us: 2_000,
            period_s: 1
        })
    );
    assert_eq!(
        s.allocate(0, 60, 1_000),
        Err(ScheduleError::InvalidTerminal(0))
    );
    assert_eq!(
        s.allocate(8192, 60, 1_000),
        Err(ScheduleError::InvalidTerminal(8192))
    );
    assert_eq!(
        s.request(1, window(0, 1_000), 7).result(),
        ResourceResult::Reject
    );
    assert!(s.is_empty());
    assert!(s.allocate(8191, 60, 1_000).is_ok());
    // Messages name the numbers.
    let e = ScheduleError::PeriodNotDividing {
        period_s: 7,
        hyperperiod_s: 86_400,
    };
    assert_eq!(
        e.to_string(),
        "report period 7 s does not divide the hyperperiod 86400 s"
    );
}

#[test]
fn refuses_bad_configs() {
    let base = SchedulerConfig::default();
    assert_eq!(base.guard_us, 2_000);
    assert_eq!(base.hyperperiod_s, 86_400);
    let no_channels = SchedulerConfig {
        channels: vec![],
        ..base.clone()
    };
    assert_eq!(
        Scheduler::new(no_channels).err(),
        Some(ConfigError::NoChannels)
    );
    let dup = SchedulerConfig {
        channels: vec![1, 3, 1],
        ..base.clone()
    };
    assert_eq!(
        Scheduler::new(dup).err(),
        Some(ConfigError::DuplicateChannel(1))
    );
    let zero = SchedulerConfig {
        hyperperiod_s: 0,
        ..base
    };
    assert_eq!(
        Scheduler::new(zero).err(),
        Some(ConfigError::ZeroHyperperiod)
    );
}

#[test]
fn windows_in_lists_starts_in_range() {
    let mut s = sched(&[1, 2], 3_600, 2_000);
    let a = ok(s.allocate(10, 60, 40_000)); // channel 1, offset 0
    let b = ok(s.allocate(11, 900, 40_000)); // channel 2, offset 0
    let c = ok(s.allocate(12, 60, 40_000)); // channel 2, the lighter, after terminal 11
    let on1: Vec<_> = s.windows_in(a.channel, EPOCH, EPOCH + 120 * S).collect();
    let mut expect = vec![];
    for al in [a, b, c].iter().filter(|x| x.channel == a.channel) {
        let mut t = al.initial_time_us;
        while t < EPOCH + 120 * S {
            expect.push((al.terminal, t, t + 40_000));
            t += al.period_us();
        }
    }
    expect.sort_by_key(|&(aid, s, _)| (s, aid));
    assert_eq!(on1, expect);
    // A beacon interval (100 ms) right at a window's start lists just that window.
    let beacon: Vec<_> = s
        .windows_in(a.channel, EPOCH + 60 * S, EPOCH + 60 * S + 100 * MS)
        .collect();
    assert_eq!(beacon, vec![(10, EPOCH + 60 * S, EPOCH + 60 * S + 40_000)]);
    // Before the epoch, on an unknown channel, or an empty range: nothing.
    assert_eq!(s.windows_in(a.channel, 0, EPOCH).count(), 0);
    assert_eq!(s.windows_in(9, EPOCH, EPOCH + 3_600 * S).count(), 0);
    assert_eq!(s.windows_in(a.channel, EPOCH + S, EPOCH + S).count(), 0);
    // A range that wraps the period: 59.99 s .. 60.01 s after the epoch.
    let wrap: Vec<_> = s
        .windows_in(a.channel, EPOCH + 59_990 * MS, EPOCH + 60_010 * MS)
        .collect();
    assert_eq!(wrap, vec![(10, EPOCH + 60 * S, EPOCH + 60 * S + 40_000)]);
}

#[test]
fn allocation_becomes_a_service_time_element() {
    let mut s = sched(&[37], 86_400, 2_000);
    let w = window_us(Format::S1g1M, Mcs(2), 64);
    let a = ok(s.allocate(42, 900, w as u32));
    let repr: ServiceTimeRepr = a.into();
    assert_eq!(repr.window.initial_time, EPOCH);
    assert_eq!(u64::from(repr.window.duration), w);
    assert_eq!((repr.period, repr.channel), (900, 37));
    // It survives the wire (the parser refuses windows not shorter than their period).
    let mut buf = [0xa5u8; crate::wire::m2m::service::TIME_LEN];
    repr.emit(&mut ServiceTimePacket::new_unchecked(&mut buf[..]));
    let parsed = ServiceTimePacket::new_checked(&buf[..]).and_then(|p| ServiceTimeRepr::parse(&p));
    assert_eq!(parsed, Ok(repr));
    // A terminal joining later is told its next window.
    let later = a.service_time_from(EPOCH + 1_000 * S);
    assert_eq!(later.window.initial_time, EPOCH + 1_800 * S);
    assert_eq!(
        a.window_at_or_after(EPOCH + 900 * S),
        Some((EPOCH + 900 * S, EPOCH + 900 * S + w))
    );
}
