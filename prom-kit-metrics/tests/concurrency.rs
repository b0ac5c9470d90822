//! Facade calls from many threads while scrapes run, through the shared invariant
//! harness (`prom_kit_test_support::invariants`): every scrape valid in text, OpenMetrics
//! and protobuf, each identity at most once, counters never decreasing, every value under
//! its own labels, and the quiet end state exactly what the writers recorded. Half the
//! additions go through a freshly asked handle (the macros' path), half through a handle
//! kept per key; a first lookup of a key races its other writers' and the scrapes.

use std::sync::{Arc, OnceLock};

use metrics::{Key, Label, Recorder};
use prom_kit::Registry;
use prom_kit_metrics::{Matcher, PromKitRecorder};
use prom_kit_test_support::invariants::{Run, Subject, check, label_value as value};

const KEYS: usize = 1_000;

struct Facade {
    recorder: PromKitRecorder,
    keys: Vec<Key>,
    kept: Vec<OnceLock<metrics::Counter>>,
}

const METADATA: metrics::Metadata<'static> =
    metrics::Metadata::new("concurrency", metrics::Level::INFO, None);

impl Subject for Facade {
    fn keys(&self) -> usize {
        KEYS
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        vec![("k".into(), value(key)), ("constant".into(), "c".into())]
    }
    fn add(&self, key: usize, amount: u64) {
        if amount % 2 == 0 {
            self.recorder
                .register_counter(&self.keys[key], &METADATA)
                .increment(amount);
        } else {
            self.kept[key]
                .get_or_init(|| self.recorder.register_counter(&self.keys[key], &METADATA))
                .increment(amount);
        }
    }
    fn remove(&self, _: usize) {}
    fn can_remove(&self) -> bool {
        false
    }
}

#[test]
fn facade_counters_keep_the_invariants_under_concurrent_scrapes() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry)
        .max_series(Matcher::Full("subject".into()), None)
        .build()
        .unwrap();
    let keys = (0..KEYS)
        .map(|key| {
            Key::from_parts(
                "subject",
                vec![Label::new("k", value(key)), Label::new("constant", "c")],
            )
        })
        .collect();
    let facade = Facade {
        recorder,
        keys,
        kept: (0..KEYS).map(|_| OnceLock::new()).collect(),
    };
    let subject: Arc<dyn Subject> = Arc::new(facade);
    let report = check(&registry, "subject", &subject, Run::default());
    eprintln!("facade: {report:?}");
    assert!(report.scrapes >= 20, "only {} scrapes", report.scrapes);
    assert!(report.most_series > 0);
}

/// Threads filling a bounded metric past its limit at once: every increment is counted
/// (in its key's series or the overflow one), and afterwards each key that holds a
/// series of its own is updated there — the overflow series is never taken for a key's
/// own, nor a key's for the overflow.
#[test]
fn keys_racing_to_the_cardinality_limit_keep_every_count_in_place() {
    const LIMIT: usize = 50;
    const KEYS: usize = 200;
    const ROUNDS: usize = 10;
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry)
        .max_series(Matcher::Full("bounded".into()), LIMIT)
        .build()
        .unwrap();
    let keys: Vec<Key> = (0..KEYS)
        .map(|key| Key::from_parts("bounded", vec![Label::new("k", key.to_string())]))
        .collect();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (recorder, keys) = (&recorder, &keys);
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    for i in 0..KEYS {
                        let key = (i * 7 + thread * 13 + round) % KEYS;
                        recorder
                            .register_counter(&keys[key], &METADATA)
                            .increment(1);
                    }
                }
            });
        }
    });
    let values = |registry: &Registry| -> Vec<(String, f64)> {
        let text = registry.encode_text().unwrap();
        let parsed = prom_kit::testing::parse(&text, prom_kit::testing::Syntax::Text).unwrap();
        parsed
            .families
            .iter()
            .flat_map(|f| &f.samples)
            .filter(|s| s.name == "bounded_total")
            .map(|s| (s.label("k").unwrap_or_default().to_owned(), s.value))
            .collect()
    };
    let before = values(&registry);
    assert_eq!(before.len(), LIMIT + 1, "the limit and the overflow series");
    let total: f64 = before.iter().map(|(_, v)| v).sum();
    assert_eq!(total, (4 * KEYS * ROUNDS) as f64);
    // One more increment of every key: a key with its own series counts there, every
    // other key in the overflow series.
    for key in &keys {
        recorder.register_counter(key, &METADATA).increment(1);
    }
    let after = values(&registry);
    let own: Vec<&str> = before
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != prom_kit::labels::OVERFLOW_LABEL_VALUE)
        .collect();
    for (key, value) in &after {
        let was = before.iter().find(|(k, _)| k == key).unwrap().1;
        let expected = if *key == prom_kit::labels::OVERFLOW_LABEL_VALUE {
            was + (KEYS - own.len()) as f64
        } else {
            was + 1.0
        };
        assert_eq!(*value, expected, "{key}");
    }
}
