//! Looking up an existing series allocates nothing, on every lookup path (the benches
//! issue's "zero allocations on a hit"), counted by a global allocator.

use std::alloc::System;

use prom_kit::{Counter, DenseFamily, Family, Histogram};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The allocator's counts are global, and the test harness allocates on its own thread
/// whenever a test ends: the counting runs as the binary's only test, its parts in turn.
#[test]
fn lookups_allocate_nothing() {
    hits_do_not_allocate();
    a_full_family_answers_new_combinations_without_allocating();
}

#[derive(Clone, Copy, prom_kit::LabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
}

const METHODS: [&str; 2] = ["GET", "POST"];
const STATUSES: [&str; 3] = ["200", "404", "500"];

/// Runs `lookups` once to create the series and fill this thread's cache, then again
/// under the counting allocator; returns the allocations of the second round.
fn allocations_on_hits(mut lookups: impl FnMut()) -> usize {
    lookups();
    let region = Region::new(ALLOCATOR);
    lookups();
    region.change().allocations
}

fn hits_do_not_allocate() {
    let family: Family<Counter> = Family::new(["method", "status"]).unwrap();
    let owned: Vec<[String; 2]> = (0..6)
        .map(|i| [METHODS[i % 2].to_owned(), STATUSES[i % 3].to_owned()])
        .collect();
    let interned: Vec<[&'static str; 2]> = owned
        .iter()
        .map(|[m, s]| [prom_kit::labels::intern(m), prom_kit::labels::intern(s)])
        .collect();
    let each = |f: &dyn Fn(usize)| (0..6).for_each(f);

    let with_static = allocations_on_hits(|| {
        each(&|i| {
            family
                .with_static(&[METHODS[i % 2], STATUSES[i % 3]], Counter::inc)
                .unwrap();
        });
    });
    let with_strings =
        allocations_on_hits(|| each(&|i| family.with(&owned[i], Counter::inc).unwrap()));
    let with_interned =
        allocations_on_hits(|| each(&|i| family.with_static(&interned[i], Counter::inc).unwrap()));
    let handles = allocations_on_hits(|| each(&|i| family.labels(&owned[i]).unwrap().inc()));
    // Strings the cache has never seen (other copies of the same text, at other
    // addresses) miss it; the series still exists, so the shared tables answer without
    // allocating either. Each round uses copies no earlier round used.
    let rounds: Vec<Vec<[String; 2]>> = (0..2).map(|_| owned.clone()).collect();
    let round = std::cell::Cell::new(0);
    let fresh_strings = allocations_on_hits(|| {
        let copies = &rounds[round.replace(round.get() + 1)];
        each(&|i| {
            let values = [copies[i][0].as_str(), copies[i][1].as_str()];
            family.with(&values, Counter::inc).unwrap();
        });
    });
    assert_eq!(
        [
            with_static,
            with_strings,
            with_interned,
            handles,
            fresh_strings
        ],
        [0; 5]
    );
    assert_eq!(family.len(), 6);
    assert_eq!(family.with(&["GET", "200"], Counter::get).unwrap(), 10.0);

    let dense: DenseFamily<Counter, (Method,)> = DenseFamily::new(["method"]).unwrap();
    assert_eq!(
        allocations_on_hits(|| {
            dense.labels((Method::Get,)).inc();
            dense.labels((Method::Post,)).inc();
        }),
        0
    );

    let histograms: Family<Histogram> = Family::new(["route"]).unwrap();
    assert_eq!(
        allocations_on_hits(|| {
            histograms
                .with_static(&["/users/{id}"], |h| h.observe(0.1))
                .unwrap();
        }),
        0
    );
}

fn a_full_family_answers_new_combinations_without_allocating() {
    let family: Family<Counter> = Family::builder(["path"]).max_series(2).build().unwrap();
    family.with(&["/a"], Counter::inc).unwrap();
    family.with(&["/b"], Counter::inc).unwrap();
    // The first overflow creates the overflow series.
    family.with(&["/first-overflow"], Counter::inc).unwrap();
    // Attacker-chosen paths, each new, made before counting.
    let paths: Vec<String> = (0..1_000).map(|i| format!("/random/{i}")).collect();
    let region = Region::new(ALLOCATOR);
    for path in &paths {
        family.with(&[path.as_str()], Counter::inc).unwrap();
    }
    for path in paths.iter().take(10) {
        family.labels(&[path.as_str()]).unwrap().inc();
    }
    assert_eq!(region.change().allocations, 0);
    assert_eq!(family.len(), 3);
    assert_eq!(
        family
            .with(&[prom_kit::labels::OVERFLOW_LABEL_VALUE], Counter::get)
            .unwrap(),
        1_011.0
    );
}
