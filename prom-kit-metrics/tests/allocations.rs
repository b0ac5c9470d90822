//! What the facade's paths allocate, counted by a global allocator: nothing after a key's
//! first call (a repeated macro call, an update through a handle), and on a first call
//! no more than the series itself — what prom-kit's own family allocates for a new series
//! — plus the handle the facade needs.

use std::alloc::System;

use metrics::{counter, gauge, histogram, with_local_recorder};
use prom_kit::{Counter, Family, Registry};
use prom_kit_metrics::PromKitRecorder;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn allocations(f: impl FnOnce()) -> usize {
    let region = Region::new(ALLOCATOR);
    f();
    let change = region.change();
    change.allocations + change.reallocations
}

const LABELS: [&str; 100] = {
    let mut labels = [""; 100];
    let digits = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f", "g", "h",
        "i", "j",
    ];
    let mut i = 0;
    while i < 100 {
        labels[i] = digits[i % 20];
        i += 1;
    }
    labels
};

// One test: the counts are of the whole process, so nothing may run beside it.
#[test]
fn allocations_of_the_facade_paths() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry).build().unwrap();
    with_local_recorder(&recorder, || {
        // Make each metric (its family, its registration) and a first series.
        counter!("jobs", "queue" => "mail", "shard" => "a").increment(1);
        gauge!("depth", "queue" => "mail").set(1.0);
        histogram!("latency", "route" => "/").record(0.1);

        let repeated = allocations(|| {
            for _ in 0..1_000 {
                counter!("jobs", "queue" => "mail", "shard" => "a").increment(1);
                gauge!("depth", "queue" => "mail").increment(1.0);
                histogram!("latency", "route" => "/").record(0.2);
            }
        });
        assert_eq!(repeated, 0, "a repeated macro call allocated");

        let kept = counter!("jobs", "queue" => "mail", "shard" => "a");
        let kept_gauge = gauge!("depth", "queue" => "mail");
        let kept_histogram = histogram!("latency", "route" => "/");
        let through_handles = allocations(|| {
            for i in 0..1_000 {
                kept.increment(1);
                kept.absolute(5_000 + i);
                kept_gauge.set(2.0);
                kept_histogram.record(0.3);
            }
        });
        assert_eq!(
            through_handles, 0,
            "an update through a kept handle allocated"
        );
    });

    // First calls: 20 new series of one metric (static label values; the `LABELS` table
    // repeats 20 values), against prom-kit's own family making the same 20 series.
    let family: Family<Counter> = Family::new(["queue", "shard"]).unwrap();
    family.labels(&["warm", "up"]).unwrap().inc();
    let native = allocations(|| {
        for value in &LABELS[..20] {
            family.labels(&["mail", *value]).unwrap().inc();
        }
    });
    let facade = with_local_recorder(&recorder, || {
        allocations(|| {
            for value in &LABELS[..20] {
                counter!("jobs", "queue" => "mail", "shard" => *value).increment(1);
            }
        })
    });
    // Per series: the handle (an `Arc`), the copy of the key the handle table keeps (its
    // label list), and the label list the macro itself builds for a key whose values are
    // not literals; then the handle table's growth (16 shards, each growing from empty).
    let per_series_extra = 3;
    assert!(
        facade <= native + 20 * per_series_extra + 2 * 16,
        "20 first calls allocated {facade} times, prom-kit's own family {native}"
    );
    eprintln!("20 first calls: facade {facade} allocations, prom-kit's family {native}");
}
