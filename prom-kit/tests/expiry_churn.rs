//! Churn with idle-series expiry, measured by a counting allocator: 100 000 new series
//! per minute, each updated once and then left idle, for ten minutes of a manual clock
//! (one million series in all), swept every 15 s as scrapes would. Live memory must stay
//! flat from minute to minute and return to its baseline once the last series expire.
//!
//! One `#[test]` in this binary: the allocator counts globally, and the test harness
//! allocates when it reports other tests.

use std::alloc::System;
use std::thread;
use std::time::Duration;

use prom_kit::clock::ManualClock;
use prom_kit::{Counter, Family, Registry};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated and not yet freed, in the whole process (`stats_alloc` books a
/// reallocation's growth as allocated and its shrinking as freed).
fn live() -> i64 {
    let stats = ALLOCATOR.stats();
    let bytes = |n: usize| i64::try_from(n).unwrap();
    bytes(stats.bytes_allocated) - bytes(stats.bytes_deallocated)
}

const PER_MINUTE: usize = 100_000;
const MINUTES: usize = 10;
const SCRAPE: Duration = Duration::from_secs(15);
const SCRAPES_PER_MINUTE: usize = 4;
const TTL: Duration = Duration::from_secs(60);

#[test]
fn a_churning_family_returns_to_its_baseline_memory() {
    let clock = ManualClock::new();
    let family: Family<Counter> = Family::builder(["tenant", "request"])
        .max_series(None)
        .expire_after(TTL)
        .clock(clock.clone())
        .build()
        .unwrap();
    let registry = Registry::new();
    registry
        .register("churned", "Series made and forgotten.", family.clone())
        .unwrap();
    let baseline = live();

    let steps_per_minute = SCRAPES_PER_MINUTE;
    let per_step = PER_MINUTE / steps_per_minute;
    let mut at_minute_end = Vec::new();
    let mut peak_series = 0;
    let mut next_id = 0usize;
    for _minute in 0..MINUTES {
        for _step in 0..steps_per_minute {
            // Request handlers on a thread of their own, as a server's workers are; each
            // new series is updated once and never again.
            let first = next_id;
            next_id += per_step;
            let workers = family.clone();
            thread::spawn(move || {
                for id in first..first + per_step {
                    let tenant = format!("tenant-{}", id % 97);
                    let request = format!("req-{id}");
                    workers
                        .with(&[tenant.as_str(), request.as_str()], Counter::inc)
                        .unwrap();
                }
            })
            .join()
            .unwrap();
            peak_series = peak_series.max(family.len());
            clock.advance(SCRAPE);
            family.sweep();
        }
        at_minute_end.push((family.len(), live() - baseline));
    }
    // The last series go idle and are swept away.
    clock.advance(TTL);
    family.sweep();
    clock.advance(SCRAPE);
    family.sweep();
    let after = live() - baseline;

    eprintln!("series created: {next_id}; peak series alive: {peak_series}");
    for (minute, (series, bytes)) in at_minute_end.iter().enumerate() {
        eprintln!(
            "minute {:>2}: {series:>7} series, {:>10} bytes above baseline ({} bytes/series)",
            minute + 1,
            bytes,
            bytes / i64::try_from((*series).max(1)).unwrap()
        );
    }
    eprintln!(
        "after the last expiry: {} series, {after} bytes above baseline",
        family.len()
    );

    assert_eq!(next_id, PER_MINUTE * MINUTES);
    assert!(family.is_empty(), "{} series left", family.len());
    assert!(
        after <= 4 * 1024,
        "{after} bytes above the baseline after every series expired"
    );
    // Flat from minute to minute once the first series expire (minute 2 still holds
    // the tables grown for the peak): the last minute holds no more than the third.
    let (_, third) = at_minute_end[2];
    let (_, last) = at_minute_end[MINUTES - 1];
    assert!(
        last <= third + third / 20,
        "memory grows with churn: {third} bytes after minute 3, {last} after minute {MINUTES}"
    );
    let text = registry.encode_text().unwrap();
    assert!(!text.contains("churned_total{"), "{text}");
}
