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
use prom_kit_test_support::invariants::{Run, Subject, check};

const KEYS: usize = 1_000;

fn value(key: usize) -> String {
    match key % 4 {
        0 => format!("k{key}"),
        1 => format!("quote\"{key}"),
        2 => format!("line\n{key}\\"),
        _ => format!("été {key}"),
    }
}

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
