use std::sync::Arc;

use super::*;
use crate::metrics::NativeBuckets;

/// Classic counts read by a scrape never exceed the native count it reads after
/// them (the protobuf `sample_count`), in any interleaving with an observer.
#[test]
fn loom_classic_counts_stay_within_the_native_count() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
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
        assert!(classic <= snapshot.native.unwrap().count);
        observer.join().unwrap();
    });
}
