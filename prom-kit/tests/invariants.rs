//! Every family type through the shared invariant harness
//! (`prom_kit_test_support::invariants`): writers creating, updating and removing series
//! while scrapes run in text, OpenMetrics and protobuf, each scrape checked for a valid
//! exposition, each identity at most once, counters never decreasing unless removed,
//! every value under its own labels, and the quiet end state exactly what the writers
//! did.
#![cfg(all(feature = "derive", feature = "testing", feature = "protobuf"))]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prom_kit::clock::ManualClock;
use prom_kit::{
    Collector, CollectorOutput, CompactFamily, Counter, DenseFamily, Descriptor, Family, LabelSet,
    LabelValue, MetricType, Registry, TypedFamily,
};
use prom_kit_test_support::invariants::{Report, Run, Subject, check, label_value as value};
use std::sync::Mutex;

/// Keys of the open (hashed) subjects: label values that need escaping among them.
const KEYS: usize = 1_000;

/// The harness's settings: CI's, or `PROM_KIT_INVARIANTS_SCALE` times as many scrapes
/// and operations (and as long a time limit) for a long run.
fn settings() -> Run {
    let scale: u32 = std::env::var("PROM_KIT_INVARIANTS_SCALE")
        .ok()
        .and_then(|scale| scale.parse().ok())
        .unwrap_or(1);
    let run = Run::default();
    Run {
        min_scrapes: run.min_scrapes * scale as usize,
        min_operations: run.min_operations * u64::from(scale),
        max_time: run.max_time * scale,
        ..run
    }
}

/// Runs `subject` through the harness and checks that it ran long enough to mean
/// something.
fn run(registry: &Registry, subject: impl Subject + 'static) -> Report {
    let subject: Arc<dyn Subject> = Arc::new(subject);
    let report = check(registry, "subject", &subject, settings());
    eprintln!(
        "{}: {report:?}",
        std::thread::current().name().unwrap_or("subject")
    );
    assert!(report.scrapes >= 20, "only {} scrapes", report.scrapes);
    assert!(
        report.operations >= 3 * 20_000 || report.scrapes >= 60,
        "{report:?}"
    );
    if subject.can_remove() {
        assert!(report.removals > 0);
    }
    report
}

struct HashedFamily(Family<Counter>);

impl Subject for HashedFamily {
    fn keys(&self) -> usize {
        KEYS
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        vec![("k".into(), value(key)), ("constant".into(), "c".into())]
    }
    fn add(&self, key: usize, amount: u64) {
        // Through the per-thread cache on odd keys, the shared table on even ones.
        let values = [value(key), "c".to_owned()];
        if key % 2 == 0 {
            self.0.labels(&values).unwrap().inc_by(amount);
        } else {
            self.0.with(&values, |c| c.inc_by(amount)).unwrap();
        }
    }
    fn remove(&self, key: usize) {
        self.0.remove(&[value(key), "c".to_owned()]).unwrap();
    }
}

#[test]
fn family() {
    let registry = Registry::new();
    let family: Family<Counter> = Family::new(["k", "constant"]).unwrap();
    registry.register("subject", "S.", family.clone()).unwrap();
    run(&registry, HashedFamily(family));
}

/// A family whose series expire: every 500th addition moves its clock past the idle
/// time, so idle series leave at the next scrape while writers race them.
struct Expiring {
    family: Family<Counter>,
    clock: ManualClock,
    additions: AtomicU64,
}

impl Subject for Expiring {
    fn keys(&self) -> usize {
        KEYS
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        vec![("k".into(), value(key))]
    }
    fn add(&self, key: usize, amount: u64) {
        self.family
            .with(&[value(key)], |c| c.inc_by(amount))
            .unwrap();
        if self.additions.fetch_add(1, Ordering::Relaxed) % 500 == 0 {
            self.clock.advance(Duration::from_secs(61));
        }
    }
    fn remove(&self, key: usize) {
        self.family.remove(&[value(key)]).unwrap();
    }
    fn expires(&self) -> bool {
        true
    }
}

#[test]
fn expiring_family() {
    let registry = Registry::new();
    let clock = ManualClock::new();
    let family: Family<Counter> = Family::builder(["k"])
        .expire_after(Duration::from_secs(60))
        .clock(clock.clone())
        .build()
        .unwrap();
    registry.register("subject", "S.", family.clone()).unwrap();
    run(
        &registry,
        Expiring {
            family,
            clock,
            additions: AtomicU64::new(0),
        },
    );
}

struct Compact(CompactFamily<Counter>);

impl Subject for Compact {
    fn keys(&self) -> usize {
        KEYS
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        // Two labels sharing values across series: ids are shared and freed.
        vec![("k".into(), value(key)), ("group".into(), value(key % 7))]
    }
    fn add(&self, key: usize, amount: u64) {
        self.0
            .inc_by(&[value(key), value(key % 7)], amount)
            .unwrap();
    }
    fn remove(&self, key: usize) {
        self.0.remove(&[value(key), value(key % 7)]).unwrap();
    }
}

#[test]
fn compact_family() {
    let registry = Registry::new();
    let family: CompactFamily<Counter> = CompactFamily::new(["k", "group"]).unwrap();
    registry.register("subject", "S.", family.clone()).unwrap();
    run(&registry, Compact(family));
}

/// An open label set (an integer field): the hashed path of `TypedFamily`, found in
/// the per-thread cache by its packed value.
#[derive(LabelSet)]
struct Shard {
    shard: u16,
}

struct TypedHashed(TypedFamily<Shard, Counter>);

impl Subject for TypedHashed {
    fn keys(&self) -> usize {
        KEYS
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        vec![("shard".into(), key.to_string())]
    }
    fn add(&self, key: usize, amount: u64) {
        let shard = u16::try_from(key).unwrap();
        self.0.with(&Shard { shard }, |c| c.inc_by(amount));
    }
    fn remove(&self, key: usize) {
        let shard = u16::try_from(key).unwrap();
        self.0.remove(&Shard { shard });
    }
}

#[test]
fn typed_family_of_open_labels() {
    let registry = Registry::new();
    let family: TypedFamily<Shard, Counter> = TypedFamily::new().unwrap();
    registry.register("subject", "S.", family.clone()).unwrap();
    run(&registry, TypedHashed(family));
}

/// An open label set that does not pack (a string field): the hashed path of
/// `TypedFamily`, found in the per-thread cache by its formatted values.
#[derive(LabelSet)]
struct NamedShard {
    shard: String,
}

struct TypedNamed(TypedFamily<NamedShard, Counter>);

impl Subject for TypedNamed {
    fn keys(&self) -> usize {
        KEYS
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        vec![("shard".into(), key.to_string())]
    }
    fn add(&self, key: usize, amount: u64) {
        let shard = key.to_string();
        self.0.with(&NamedShard { shard }, |c| c.inc_by(amount));
    }
    fn remove(&self, key: usize) {
        let shard = key.to_string();
        self.0.remove(&NamedShard { shard });
    }
}

#[test]
fn typed_family_of_string_labels() {
    let registry = Registry::new();
    let family: TypedFamily<NamedShard, Counter> = TypedFamily::new().unwrap();
    registry.register("subject", "S.", family.clone()).unwrap();
    run(&registry, TypedNamed(family));
}

/// Methods, for the closed label sets.
#[derive(Clone, Copy, LabelValue)]
enum Verb {
    Get,
    Put,
    Post,
    Delete,
}

const VERBS: [Verb; 4] = [Verb::Get, Verb::Put, Verb::Post, Verb::Delete];
const VERB_TEXT: [&str; 4] = ["Get", "Put", "Post", "Delete"];

/// A closed label set (an enum and a `bool`): the dense path of `TypedFamily`.
#[derive(LabelSet)]
struct Call {
    verb: Verb,
    cached: bool,
}

fn call(key: usize) -> Call {
    Call {
        verb: VERBS[key / 2],
        cached: key % 2 == 1,
    }
}

fn call_labels(key: usize) -> Vec<(String, String)> {
    vec![
        ("verb".into(), VERB_TEXT[key / 2].into()),
        ("cached".into(), (key % 2 == 1).to_string()),
    ]
}

struct TypedDense(TypedFamily<Call, Counter>);

impl Subject for TypedDense {
    fn keys(&self) -> usize {
        8
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        call_labels(key)
    }
    fn add(&self, key: usize, amount: u64) {
        self.0.with(&call(key), |c| c.inc_by(amount));
    }
    fn remove(&self, key: usize) {
        self.0.remove(&call(key));
    }
}

#[test]
fn typed_family_of_closed_labels() {
    let registry = Registry::new();
    let family: TypedFamily<Call, Counter> = TypedFamily::new().unwrap();
    registry.register("subject", "S.", family.clone()).unwrap();
    run(&registry, TypedDense(family));
}

/// Methods, for the dense family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, LabelValue)]
enum Method {
    Get,
    Put,
    Post,
    Delete,
}

const METHODS: [Method; 4] = [Method::Get, Method::Put, Method::Post, Method::Delete];

struct Dense(DenseFamily<Counter, (Method, bool)>);

impl Subject for Dense {
    fn keys(&self) -> usize {
        8
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        let mut labels = call_labels(key);
        labels[0].0 = "method".into();
        labels
    }
    fn add(&self, key: usize, amount: u64) {
        self.0
            .labels((METHODS[key / 2], key % 2 == 1))
            .inc_by(amount);
    }
    fn remove(&self, key: usize) {
        self.0.remove((METHODS[key / 2], key % 2 == 1));
    }
}

#[test]
fn dense_family() {
    let registry = Registry::new();
    let family: DenseFamily<Counter, (Method, bool)> =
        DenseFamily::new(["method", "cached"]).unwrap();
    registry.register("subject", "S.", family.clone()).unwrap();
    run(&registry, Dense(family));
}

/// A collector exposing a map the writers change: the registry's collector path.
struct Model {
    values: Arc<Mutex<HashMap<usize, u64>>>,
    descriptor: Descriptor,
}

impl Collector for Model {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let values = self.values.lock().unwrap().clone();
        let mut family = out.family(&self.descriptor);
        for (key, total) in values {
            #[allow(clippy::cast_precision_loss, reason = "totals stay below 2^53")]
            family.counter(&[value(key)], total as f64)?;
        }
        Ok(())
    }
}

struct Collected(Arc<Mutex<HashMap<usize, u64>>>);

impl Subject for Collected {
    fn keys(&self) -> usize {
        KEYS
    }
    fn labels(&self, key: usize) -> Vec<(String, String)> {
        vec![("k".into(), value(key))]
    }
    fn add(&self, key: usize, amount: u64) {
        *self.0.lock().unwrap().entry(key).or_insert(0) += amount;
    }
    fn remove(&self, key: usize) {
        self.0.lock().unwrap().remove(&key);
    }
}

#[test]
fn collector() {
    let registry = Registry::new();
    let values = Arc::new(Mutex::new(HashMap::new()));
    let descriptor = Descriptor::new("subject", "S.", MetricType::Counter)
        .unwrap()
        .with_label_names(["k"])
        .unwrap();
    registry.register_collector(Model {
        values: Arc::clone(&values),
        descriptor,
    });
    run(&registry, Collected(values));
}
