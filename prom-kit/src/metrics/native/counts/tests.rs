use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::*;

fn native(factor: f64) -> NativeBuckets {
    NativeBuckets::new(factor).unwrap()
}

fn total(snapshot: &NativeSnapshot<'_>) -> u64 {
    snapshot.zero_count
        + snapshot
            .positive
            .iter()
            .chain(snapshot.negative)
            .map(|(_, c)| c)
            .sum::<u64>()
}

#[test]
fn default_zero_threshold_is_two_to_the_minus_128() {
    assert_eq!(NativeBuckets::DEFAULT_ZERO_THRESHOLD, 2f64.powi(-128));
}

#[test]
fn observations_land_in_their_buckets() {
    let counts = NativeCounts::new(native(2.0), true); // schema 0: powers of two
    for v in [
        1.0,
        1.5,
        2.0,
        3.0,
        -3.0,
        0.0,
        1e-40,
        f64::NAN,
        f64::INFINITY,
    ] {
        counts.observe(v);
    }
    let mut scratch = NativeScratch::default();
    let snapshot = counts.snapshot(&mut scratch);
    assert_eq!(snapshot.schema, 0);
    assert_eq!(snapshot.count, 9, "NaN counts too");
    assert_eq!(
        snapshot.zero_count, 2,
        "0 and 1e-40 are within the zero threshold"
    );
    // 1 -> bucket 0 (0.5, 1]; 1.5, 2 -> 1; 3 -> 2; +Inf -> past f64::MAX.
    assert_eq!(snapshot.positive, &[(0, 1), (1, 2), (2, 1), (1025, 1)]);
    assert_eq!(snapshot.negative, &[(2, 1)]);
    assert!(snapshot.sum.is_nan());
    // A second snapshot sees the same cumulative state.
    let again = counts.snapshot(&mut scratch);
    assert_eq!(
        (again.count, again.zero_count, again.positive.len()),
        (9, 2, 4)
    );
}

#[test]
fn scrapes_are_consistent_while_observing() {
    let counts = NativeCounts::new(native(1.1), true);
    let stop = AtomicBool::new(false);
    let observed = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..3)
            .map(|w| {
                let (counts, stop) = (&counts, &stop);
                scope.spawn(move || {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) || n < 10_000 {
                        let v = ((n % 97) as f64 + 1.0) * if w == 0 { -0.01 } else { 0.01 };
                        counts.observe(v);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let mut scratch = NativeScratch::default();
        let mut last = 0;
        for _ in 0..200 {
            let snapshot = counts.snapshot(&mut scratch);
            assert_eq!(snapshot.count, total(&snapshot), "count equals the buckets");
            assert!(snapshot.count >= last, "count never goes back");
            last = snapshot.count;
        }
        stop.store(true, Ordering::Relaxed);
        writers.into_iter().map(|w| w.join().unwrap()).sum::<u64>()
    });
    let mut scratch = NativeScratch::default();
    let snapshot = counts.snapshot(&mut scratch);
    assert_eq!(snapshot.count, observed);
    assert_eq!(total(&snapshot), observed);
}

#[test]
fn too_many_buckets_halve_the_resolution() {
    let counts = NativeCounts::new(native(1.01).max_buckets(20).unwrap(), false);
    let start = counts.initial_schema();
    assert_eq!(start, 7); // 2^(1/128) <= 1.01 < 2^(1/64)
    for i in 1..=1000 {
        counts.observe(f64::from(i));
    }
    let mut scratch = NativeScratch::default();
    let snapshot = counts.snapshot(&mut scratch);
    assert!(snapshot.schema < start, "schema {}", snapshot.schema);
    assert!(
        snapshot.positive.len() <= 20 + 1,
        "{} buckets",
        snapshot.positive.len()
    );
    assert_eq!(snapshot.count, 1000);
    assert_eq!(total(&snapshot), 1000, "no observation lost in rescaling");
    // Every value is still in the bucket its key says at the final schema.
    let mut expected = std::collections::BTreeMap::new();
    for i in 1..=1000 {
        *expected
            .entry(bucket_key(f64::from(i), snapshot.schema))
            .or_insert(0u64) += 1;
    }
    assert_eq!(
        snapshot.positive,
        expected.into_iter().collect::<Vec<_>>().as_slice()
    );
}

#[test]
fn the_zero_bucket_widens_when_allowed() {
    let config = native(2.0)
        .max_buckets(4)
        .unwrap()
        .max_zero_threshold(1.0)
        .unwrap();
    let counts = NativeCounts::new(config, false);
    for v in [0.01, 0.1, 1.0, 10.0, 100.0] {
        counts.observe(v);
    }
    let mut scratch = NativeScratch::default();
    let snapshot = counts.snapshot(&mut scratch);
    assert!(snapshot.zero_threshold > NativeBuckets::DEFAULT_ZERO_THRESHOLD);
    assert!(snapshot.zero_threshold <= 1.0);
    assert_eq!(snapshot.schema, 0, "widening comes before halving");
    assert!(snapshot.zero_count >= 1);
    assert_eq!(total(&snapshot), 5);
}

#[test]
fn resets_when_due_and_allowed() {
    let config = native(2.0)
        .max_buckets(2)
        .unwrap()
        .min_reset_duration(Duration::from_nanos(1));
    let counts = NativeCounts::new(config, true);
    std::thread::sleep(Duration::from_millis(2));
    for v in [1.0, 4.0, 16.0] {
        counts.observe(v);
    }
    let mut scratch = NativeScratch::default();
    let snapshot = counts.snapshot(&mut scratch);
    assert!(
        snapshot.count < 3,
        "reset dropped the earlier counts: {snapshot:?}"
    );
    assert_eq!(snapshot.count, total(&snapshot));
    counts.reset();
    assert_eq!(counts.snapshot(&mut scratch).count, 0);
}
