use std::sync::Arc;

use super::*;
use crate::metrics::NativeBuckets;

/// Classic counts read by a scrape never exceed the native count it reads after
/// them (the protobuf `sample_count`), and the sum (kept by the native counts) is that
/// of exactly the observations counted, in any interleaving with an observer.
#[test]
fn loom_classic_counts_stay_within_the_native_count() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    // A scrape waits by reading every bucket slot of the cold copy: many branches.
    builder.max_branches = 1_000_000;
    builder.check(|| {
        let histogram = Arc::new(Histogram::with_config(HistogramConfig::both(
            Buckets::new([1.0]).unwrap(),
            NativeBuckets::new(2.0).unwrap().max_buckets(8).unwrap(),
        )));
        let observer = {
            let histogram = Arc::clone(&histogram);
            loom::thread::spawn(move || {
                histogram.observe(0.5);
                histogram.observe(2.0);
            })
        };
        let mut scratch = Scratch::default();
        let Snapshot::Histogram(snapshot) = histogram.snapshot(&mut scratch) else {
            unreachable!()
        };
        let classic: u64 = snapshot.counts.iter().sum();
        let native = snapshot.native.unwrap();
        assert!(classic <= native.count);
        let expected_sum = [0.0, 0.5, 2.5][usize::try_from(native.count).unwrap()];
        assert_eq!(snapshot.sum, expected_sum);
        observer.join().unwrap();
        let Snapshot::Histogram(after) = histogram.snapshot(&mut scratch) else {
            unreachable!()
        };
        assert_eq!(after.counts.iter().sum::<u64>(), 2);
        assert_eq!(after.native.unwrap().count, 2);
        assert_eq!(after.sum, 2.5);
    });
}
