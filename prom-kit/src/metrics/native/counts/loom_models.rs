//! loom models of the hot/cold flip: every interleaving (to a bounded number of
//! preemptions) of observers with a scrape, and with a change of resolution.

use std::sync::Arc;

use super::*;

fn model(check: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    // Each scrape reads every slot of both copies' bucket tables: many branches.
    builder.max_branches = 1_000_000;
    builder.check(check);
}

/// Buckets plus the zero bucket: what a snapshot holds in buckets.
fn in_buckets(snapshot: &NativeSnapshot<'_>) -> u64 {
    snapshot.zero_count
        + snapshot.positive.iter().map(|(_, c)| c).sum::<u64>()
        + snapshot.negative.iter().map(|(_, c)| c).sum::<u64>()
}

/// A scrape during two observations sees a consistent copy: its buckets hold exactly
/// the observations it counts; afterwards nothing is lost.
#[test]
fn loom_flip_gives_consistent_snapshots() {
    model(|| {
        let config = NativeBuckets::new(2.0).unwrap().max_buckets(8).unwrap();
        let counts = Arc::new(NativeCounts::new(config, false));
        let observers: Vec<_> = [1.5, -3.0]
            .into_iter()
            .map(|value| {
                let counts = Arc::clone(&counts);
                loom::thread::spawn(move || counts.observe(value))
            })
            .collect();
        let mut scratch = NativeScratch::default();
        let during = counts.snapshot(&mut scratch);
        assert!(during.count <= 2);
        assert_eq!(in_buckets(&during), during.count);
        for observer in observers {
            observer.join().unwrap();
        }
        let after = counts.snapshot(&mut scratch);
        assert_eq!(after.count, 2);
        assert_eq!(in_buckets(&after), 2);
        assert_eq!(after.positive, [(1, 1)]);
        assert_eq!(after.negative, [(2, 1)]);
    });
}

/// An observation that crosses the bucket limit halves the resolution while a scrape
/// runs: the scrape stays consistent, and no observation is lost in the fold.
#[test]
fn loom_resolution_change_races_a_scrape() {
    model(|| {
        let config = NativeBuckets::new(1.1).unwrap().max_buckets(1).unwrap();
        let counts = Arc::new(NativeCounts::new(config, false));
        let observer = {
            let counts = Arc::clone(&counts);
            loom::thread::spawn(move || {
                counts.observe(1.0);
                counts.observe(100.0);
            })
        };
        let mut scratch = NativeScratch::default();
        let during = counts.snapshot(&mut scratch);
        assert_eq!(in_buckets(&during), during.count);
        observer.join().unwrap();
        let after = counts.snapshot(&mut scratch);
        assert_eq!(after.count, 2);
        assert_eq!(in_buckets(&after), 2);
    });
}
