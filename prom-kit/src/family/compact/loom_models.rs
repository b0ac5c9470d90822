//! The id and shard protocol of [`CompactFamily`] under loom: a series removed and made
//! again with other ids, racing a scrape that reads one shard at a time.

use std::collections::HashMap;

use super::*;
use crate::family::Visit;

/// Every (label text, value) pair one scrape of `family` reads.
fn scrape(family: &CompactFamily<Counter>) -> Vec<(String, u64)> {
    let mut series = Vec::new();
    family.for_each_series(|visit| {
        if let Visit::Series(labels, value) = visit {
            series.push((labels.to_owned(), *value));
        }
    });
    series
}

/// A writer removes `a` (freeing its id), makes `b` (which takes that id) and `a` again
/// (with a new id) while a scrape runs: in every interleaving the scrape holds each
/// series at most once, and each value under its own labels (`a` counts 1 or 10, never
/// `b`'s 100; `b` counts 100). The hasher's seed is fixed under loom; several pairs of
/// values put `a` and `b` in the same shard or in different ones, and the ids `a` has
/// before and after in the same or different shards.
#[test]
fn loom_a_series_made_again_is_read_at_most_once_under_its_own_labels() {
    for (a, b) in [("a", "b"), ("x", "y"), ("GET", "POST"), ("/1", "/2")] {
        model(a, b);
    }
}

fn model(a: &'static str, b: &'static str) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.max_branches = 1_000_000;
    builder.check(move || {
        let family: CompactFamily<Counter> = CompactFamily::new(["k"]).unwrap();
        family.inc_by(&[a], 1).unwrap();
        let writer = {
            let family = family.clone();
            loom::thread::spawn(move || {
                assert!(family.remove(&[a]).unwrap());
                family.inc_by(&[b], 100).unwrap();
                family.inc_by(&[a], 10).unwrap();
            })
        };
        let read = scrape(&family);
        writer.join().unwrap();
        let mut seen = HashMap::new();
        for (labels, value) in read {
            assert!(
                seen.insert(labels.clone(), value).is_none(),
                "{labels} read twice in one scrape"
            );
            let allowed: &[u64] = if labels == format!("k=\"{a}\"") {
                &[1, 10]
            } else if labels == format!("k=\"{b}\"") {
                &[100]
            } else {
                panic!("unknown series {labels}")
            };
            assert!(allowed.contains(&value), "{labels} read as {value}");
        }
        // After the writer: exactly its two series, with their values.
        let mut last = scrape(&family);
        last.sort();
        let mut expected = [(format!("k=\"{a}\""), 10), (format!("k=\"{b}\""), 100)];
        expected.sort();
        assert_eq!(last, expected);
    });
}
