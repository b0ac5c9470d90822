//! [`CompactFamily`]: its values against a model, its exposition against `Family`'s,
//! its value store freed with its series, its limit, and concurrent use with removals.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use proptest::prelude::*;

use super::CompactFamily;
use crate::encoding::Format;
use crate::labels::OVERFLOW_LABEL_VALUE;
use crate::{Counter, ErrorKind, Family, Gauge, Registry};

/// The sample lines of `registry`'s exposition in `format`, sorted (series order is
/// not part of the format).
fn sorted_exposition(registry: &Registry, format: Format) -> Vec<String> {
    let mut out = Vec::new();
    registry.encode(format, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

#[test]
fn counters_count_and_saturate() {
    let family: CompactFamily<Counter> = CompactFamily::new(["a", "b"]).unwrap();
    assert_eq!(family.get(&["x", "y"]).unwrap(), None);
    family.inc(&["x", "y"]).unwrap();
    family.inc_by(&["x", "y"], 41).unwrap();
    family.inc_by(&["y", "x"], 7).unwrap();
    assert_eq!(family.get(&["x", "y"]).unwrap(), Some(42));
    assert_eq!(family.get(&["y", "x"]).unwrap(), Some(7));
    family.inc_by(&["x", "y"], u64::MAX).unwrap();
    family.inc(&["x", "y"]).unwrap();
    assert_eq!(family.get(&["x", "y"]).unwrap(), Some(u64::MAX));
    assert_eq!((family.len(), family.stored_values()), (2, 2));
}

#[test]
fn gauges_hold_any_float() {
    let family: CompactFamily<Gauge> = CompactFamily::new(["queue"]).unwrap();
    family.add(&["q"], 2.5).unwrap();
    family.add(&["q"], -4.0).unwrap();
    assert_eq!(family.get(&["q"]).unwrap(), Some(-1.5));
    let registry = Registry::new();
    registry
        .register("depth", "Depth.", family.clone())
        .unwrap();
    for (value, written) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "+Inf"),
        (f64::NEG_INFINITY, "-Inf"),
        (-0.0, "0"),
        (f64::MAX, "1.7976931348623157e308"),
    ] {
        family.set(&["q"], value).unwrap();
        let text = registry.encode_text().unwrap();
        assert!(
            text.ends_with(&format!("depth{{queue=\"q\"}} {written}\n")),
            "{text}"
        );
    }
}

#[test]
fn wrong_label_counts_are_refused() {
    let family: CompactFamily<Counter> = CompactFamily::new(["a", "b"]).unwrap();
    for values in [&["x"][..], &["x", "y", "z"][..], &[][..]] {
        assert_eq!(
            family.inc(values).unwrap_err().kind(),
            ErrorKind::LabelCount
        );
        assert_eq!(
            family.get(values).unwrap_err().kind(),
            ErrorKind::LabelCount
        );
        assert_eq!(
            family.remove(values).unwrap_err().kind(),
            ErrorKind::LabelCount
        );
    }
    assert!(family.is_empty());
    assert_eq!(family.stored_values(), 0);
    for bad in [&["__reserved"][..], &["a", "a"][..], &[""][..]] {
        assert!(
            CompactFamily::<Counter>::new(bad.iter().copied()).is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn no_labels_and_many_labels() {
    let single: CompactFamily<Counter> = CompactFamily::new(Vec::<String>::new()).unwrap();
    single.inc(&[] as &[&str]).unwrap();
    single.inc(&[] as &[&str]).unwrap();
    assert_eq!(single.get(&[] as &[&str]).unwrap(), Some(2));
    let names: Vec<String> = (0..12).map(|i| format!("l{i}")).collect();
    let wide: CompactFamily<Counter> = CompactFamily::new(names).unwrap();
    let values: Vec<String> = (0..12).map(|i| format!("v{i}")).collect();
    wide.inc_by(&values, 3).unwrap();
    assert_eq!(wide.get(&values).unwrap(), Some(3));
    assert!(wide.remove(&values).unwrap());
    assert_eq!((wide.len(), wide.stored_values()), (0, 0));
}

#[test]
fn removal_frees_values_and_a_freed_id_never_mixes_series() {
    let family: CompactFamily<Counter> = CompactFamily::new(["method", "path"]).unwrap();
    family.inc_by(&["GET", "/a"], 1).unwrap();
    family.inc_by(&["GET", "/b"], 2).unwrap();
    assert_eq!(family.stored_values(), 3);
    assert!(family.remove(&["GET", "/a"]).unwrap());
    assert!(!family.remove(&["GET", "/a"]).unwrap());
    assert!(!family.remove(&["never", "seen"]).unwrap());
    // "/a" is freed; "GET" is still used by "/b".
    assert_eq!(family.stored_values(), 2);
    // The freed id goes to the next new value.
    family.inc_by(&["PUT", "/c"], 5).unwrap();
    assert_eq!(family.get(&["GET", "/a"]).unwrap(), None);
    assert_eq!(family.get(&["GET", "/b"]).unwrap(), Some(2));
    assert_eq!(family.get(&["PUT", "/c"]).unwrap(), Some(5));
    // A recreated series starts at zero.
    family.inc(&["GET", "/a"]).unwrap();
    assert_eq!(family.get(&["GET", "/a"]).unwrap(), Some(1));
    family.clear();
    assert_eq!((family.len(), family.stored_values()), (0, 0));
    assert_eq!(family.get(&["GET", "/b"]).unwrap(), None);
}

#[test]
fn a_full_family_counts_new_series_in_the_overflow_series() {
    let family: CompactFamily<Counter> = CompactFamily::builder(["user"])
        .max_series(2)
        .build()
        .unwrap();
    for user in ["ada", "bob", "cy", "dee", "ada"] {
        family.inc(&[user]).unwrap();
    }
    assert_eq!(family.get(&["ada"]).unwrap(), Some(2));
    assert_eq!(family.get(&["cy"]).unwrap(), None);
    assert_eq!(family.get(&[OVERFLOW_LABEL_VALUE]).unwrap(), Some(2));
    // The overflow series is not counted, and the values of the refused series were not
    // stored.
    assert_eq!((family.len(), family.stored_values()), (2, 3));
    assert!(family.remove(&["bob"]).unwrap());
    family.inc(&["cy"]).unwrap();
    assert_eq!(family.get(&["cy"]).unwrap(), Some(1));
    assert_eq!(family.get(&[OVERFLOW_LABEL_VALUE]).unwrap(), Some(2));
    assert!(family.remove(&[OVERFLOW_LABEL_VALUE]).unwrap());
    assert_eq!(family.len(), 2);
    let none: CompactFamily<Counter> = CompactFamily::builder(["user"])
        .max_series(0)
        .build()
        .unwrap();
    none.inc(&["ada"]).unwrap();
    assert_eq!(none.get(&[OVERFLOW_LABEL_VALUE]).unwrap(), Some(1));
    assert_eq!(none.len(), 0);
}

/// Label values that stress the exposition: every control character, quotes,
/// backslashes, non-ASCII text, empty and huge values.
fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = (0_u8..0x20)
        .chain([0x7f])
        .map(|b| format!("c{}", char::from(b)))
        .collect();
    values.extend(
        [
            "",
            "\"",
            "\\",
            "\\n",
            "a\nb",
            "\u{2028}",
            "ü/€/𝄞",
            "__overflow_",
        ]
        .map(str::to_owned),
    );
    values.push("x".repeat(70_000));
    values
}

#[test]
fn the_exposition_is_the_one_family_writes_for_the_same_series() {
    let compact: CompactFamily<Counter> = CompactFamily::new(["path", "kind"]).unwrap();
    let reference: Family<Counter> = Family::new(["path", "kind"]).unwrap();
    for (i, value) in hostile_values().iter().enumerate() {
        let values = [value.as_str(), if i % 2 == 0 { "even" } else { "odd" }];
        compact.inc_by(&values, i as u64).unwrap();
        reference.labels(&values).unwrap().inc_by(i as u64);
    }
    let (ours, theirs) = (Registry::new(), Registry::new());
    ours.register("hostile", "Every byte.", compact).unwrap();
    // The reference without `_created`, which a compact counter does not carry.
    theirs.set_openmetrics_created(false);
    theirs
        .register("hostile", "Every byte.", reference)
        .unwrap();
    for format in [Format::Text, Format::OpenMetrics] {
        assert_eq!(
            sorted_exposition(&ours, format),
            sorted_exposition(&theirs, format),
            "{format:?}"
        );
    }
}

/// One operation of the model test.
#[derive(Debug, Clone)]
enum Op {
    Inc(usize, usize, u64),
    Remove(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..6_usize, 0..6_usize, 0..1_000_u64).prop_map(|(a, b, n)| Op::Inc(a, b, n)),
        1 => (0..6_usize, 0..6_usize).prop_map(|(a, b)| Op::Remove(a, b)),
    ]
}

proptest! {
    /// Any sequence of updates and removals leaves the values a map would hold, the
    /// values those series use stored and no other, and the exposition `Family` writes.
    #[test]
    fn matches_a_model(ops in proptest::collection::vec(op(), 0..200)) {
        const VALUES: [&str; 6] = ["", "a", "b\n", "\"", "x", "a"];
        let family: CompactFamily<Counter> = CompactFamily::new(["p", "q"]).unwrap();
        let mut model: HashMap<(usize, usize), u64> = HashMap::new();
        let key = |a: usize, b: usize| (if a == 5 { 1 } else { a }, if b == 5 { 1 } else { b });
        for op in ops {
            match op {
                Op::Inc(a, b, n) => {
                    family.inc_by(&[VALUES[a], VALUES[b]], n).unwrap();
                    *model.entry(key(a, b)).or_default() += n;
                }
                Op::Remove(a, b) => {
                    let removed = family.remove(&[VALUES[a], VALUES[b]]).unwrap();
                    prop_assert_eq!(removed, model.remove(&key(a, b)).is_some());
                }
            }
        }
        for (a, first) in VALUES.iter().enumerate() {
            for (b, second) in VALUES.iter().enumerate() {
                prop_assert_eq!(family.get(&[first, second]).unwrap(), model.get(&key(a, b)).copied());
            }
        }
        prop_assert_eq!(family.len(), model.len());
        let used: std::collections::HashSet<usize> = model.keys().flat_map(|&(a, b)| [a, b]).collect();
        prop_assert_eq!(family.stored_values(), used.len());
        let reference: Family<Counter> = Family::new(["p", "q"]).unwrap();
        for (&(a, b), &n) in &model {
            reference.labels(&[VALUES[a], VALUES[b]]).unwrap().inc_by(n);
        }
        let (ours, theirs) = (Registry::new(), Registry::new());
        ours.register("m", "M.", family).unwrap();
        theirs.set_openmetrics_created(false);
        theirs.register("m", "M.", reference).unwrap();
        prop_assert_eq!(sorted_exposition(&ours, Format::OpenMetrics), sorted_exposition(&theirs, Format::OpenMetrics));
    }
}

/// Threads updating, creating and removing series at once, and a scraper: each thread's
/// own series end with exactly the model's value, shared series lose nothing that was
/// not removed, and once everything is removed no value is left stored.
#[test]
fn concurrent_updates_creations_removals_and_scrapes() {
    const THREADS: usize = 4;
    let family: CompactFamily<Counter> = CompactFamily::builder(["owner", "key"])
        .max_series(100_000)
        .build()
        .unwrap();
    let registry = Registry::new();
    registry
        .register("stress", "Stress.", family.clone())
        .unwrap();
    let start = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (family, start) = (family.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let owner = format!("t{t}");
                let mut model: HashMap<String, u64> = HashMap::new();
                for n in 0..20_000_u64 {
                    let key = format!("k{}", n % 97);
                    family.inc(&[owner.as_str(), key.as_str()]).unwrap();
                    *model.entry(key.clone()).or_default() += 1;
                    // A series every thread shares, never removed.
                    family.inc(&["shared", "all"]).unwrap();
                    if n % 5 == 0 {
                        let removed = format!("k{}", (n * 7) % 97);
                        let existed = family.remove(&[owner.as_str(), removed.as_str()]).unwrap();
                        assert_eq!(existed, model.remove(&removed).is_some());
                    }
                }
                (owner, model)
            })
        })
        .collect();
    start.wait();
    for _ in 0..30 {
        let text = registry.encode_text().unwrap();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.starts_with("stress_total{owner=\""), "{line}");
            line.rsplit(' ').next().unwrap().parse::<u64>().unwrap();
        }
    }
    for worker in workers {
        let (owner, model) = worker.join().unwrap();
        for n in 0..97 {
            let key = format!("k{n}");
            let value = family.get(&[owner.as_str(), key.as_str()]).unwrap();
            assert_eq!(value, model.get(&key).copied(), "{owner} {key}");
            family.remove(&[owner.as_str(), key.as_str()]).unwrap();
        }
    }
    assert_eq!(
        family.get(&["shared", "all"]).unwrap(),
        Some(20_000 * THREADS as u64)
    );
    assert_eq!((family.len(), family.stored_values()), (1, 2));
    assert!(family.remove(&["shared", "all"]).unwrap());
    assert_eq!((family.len(), family.stored_values()), (0, 0));
}

/// Issue 25, defect 1: threads incrementing and removing the same 5,000 keys while a
/// scraper encodes. A removed series recreated with other label-value ids must not show
/// up twice in one scrape (once as its old self in a shard already read, once as its new
/// self in a shard read later), so no scrape holds one identity twice.
#[test]
fn no_scrape_holds_a_series_twice_while_keys_are_removed_and_recreated() {
    const KEYS: usize = 5_000;
    let family: CompactFamily<Counter> = CompactFamily::new(["k"]).unwrap();
    let registry = Registry::new();
    registry.register("c", "C.", family.clone()).unwrap();
    let keys: Arc<Vec<String>> = Arc::new((0..KEYS).map(|i| format!("k{i}")).collect());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..3_u64)
        .map(|seed| {
            let (family, keys, stop) = (family.clone(), Arc::clone(&keys), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // xorshift: a different key order per thread.
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let key = &keys[usize::try_from(state % KEYS as u64).unwrap()];
                    if state % 3 == 0 {
                        family.remove(&[key.as_str()]).unwrap();
                    } else {
                        family.inc(&[key.as_str()]).unwrap();
                    }
                }
            })
        })
        .collect();
    let mut worst = 0;
    for _ in 0..300 {
        let text = registry.encode_text().unwrap();
        let mut seen = std::collections::HashSet::new();
        let duplicates = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.rsplit_once(' ').map(|(series, _)| series))
            .filter(|series| !seen.insert(*series))
            .count();
        worst = worst.max(duplicates);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    assert_eq!(worst, 0, "a scrape held {worst} series twice");
}
