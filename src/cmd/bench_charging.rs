//! `subgate bench control --charging`: usage events folded into charging records with
//! durability (every batch one committed SQLite transaction, WAL + synchronous=FULL), and
//! the records checked against the usage afterwards.

use anyhow::{bail, Context, Result};
use std::time::Instant;
use subgate_control::charging::{
    Book, Class, Profile, ProfileTable, ServicePlan, SubscriptionPlan, Usage,
};
use subgate_control::store::charging::RecordFilter;
use subgate_control::store::Store;
use subgate_dsp::rng::Rng;

/// Runs the benchmark: `events` usage events from `devices` terminals over 100
/// subscriptions of 4 services each (profiles cycling through all 16), committed in
/// batches of `batch`.
pub fn run(dir: &std::path::Path, events: usize, batch: usize, devices: usize) -> Result<()> {
    if events == 0 || batch == 0 || devices == 0 {
        bail!("--events, --batch and --devices must be positive");
    }
    let table = ProfileTable::default();
    let plans: Vec<SubscriptionPlan> = (0..100)
        .map(|s| SubscriptionPlan {
            subscription: format!("provider-{s:03}"),
            services: (0..4)
                .map(|v| {
                    let profile = Profile::from_number(((s * 4 + v) % 16 + 1) as u8)
                        .map(|p| table.limits(p))
                        .unwrap_or_default();
                    ServicePlan {
                        service: format!("service-{v}"),
                        limits: profile,
                    }
                })
                .collect(),
            factor: 16,
        })
        .collect();
    let db = dir.join("charging.db");
    let store = Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    let mut book = Book::open(store, plans.clone())?;
    let mut rng = Rng::new(7);
    // the events, made before the clock starts: a report (20-200 bytes up) or a downlink
    // (configuration / group request, 20-120 bytes) every 2 ms of virtual time
    let evs: Vec<Usage> = (0..events)
        .map(|i| {
            let dev = rng.below(devices as u64) as usize;
            let plan = &plans[dev % plans.len()];
            let svc = &plan.services[(dev / plans.len()) % plan.services.len()];
            let up = rng.below(10) < 8;
            let class =
                Class::ALL[if up { 0 } else { 1 } + if dev.is_multiple_of(50) { 2 } else { 0 }];
            Usage {
                at_ms: 2 * i as u64,
                subscription: plan.subscription.clone(),
                service: svc.service.clone(),
                device: format!("meter-{dev:06}"),
                class,
                bytes: if up {
                    20 + rng.below(181)
                } else {
                    20 + rng.below(101)
                },
            }
        })
        .collect();
    let carried: u64 = evs.iter().map(|u| u.bytes).sum();
    let start = Instant::now();
    let mut closed = 0usize;
    let mut commits = 0usize;
    for chunk in evs.chunks(batch) {
        closed += book.record_all(chunk)?.len();
        commits += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let store = book.store();
    let stored = store.charging_records(&RecordFilter::default())?;
    let (open, _) = store.charging_state()?;
    let in_records: u64 = stored
        .iter()
        .map(|r| r.record.volumes.total())
        .chain(open.iter().map(|r| r.volumes.total()))
        .sum();
    println!(
        "charging: {events} usage events from {devices} terminals, 100 subscriptions x 4 services (profiles 1-16), batches of {batch}"
    );
    println!(
        "  {:.0} events/s with durability ({commits} commits, {:.2} ms per commit), {closed} records closed, {} open",
        events as f64 / secs,
        secs * 1e3 / commits as f64,
        open.len()
    );
    println!(
        "  bytes carried {carried}, in records {in_records}: {}",
        if carried == in_records {
            "every byte in exactly one record"
        } else {
            "MISMATCH"
        }
    );
    println!("  goal: >= 100 000 usage events/s folded into records with durability");
    if carried != in_records {
        bail!("the records hold {in_records} bytes, {carried} were carried");
    }
    Ok(())
}
