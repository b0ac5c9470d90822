//! Differential test against `metrics-exporter-prometheus` 0.18: generated sequences of
//! facade calls (names to sanitise, hostile label values, every operation) recorded
//! through both recorders; the parsed expositions must hold the same series with the
//! same values, modulo the documented differences, each normalised here by name:
//!
//! 1. counters: prom-kit exposes `<name>_total`, the exporter `<name>` (unless the name
//!    ends with `_total`);
//! 2. label values with a backslash: the exporter drops a backslash before `\` or `"`
//!    (its escaper treats it as escaping the next character); prom-kit writes each value
//!    exactly (checked separately below);
//! 3. infinite values: the exporter writes Rust's `inf` and `-inf`, which the format
//!    spells `+Inf` and `-Inf` (Prometheus' Go parser accepts both; strict parsers only
//!    the latter) — its samples are read with that spelling fixed;
//! 4. an empty label value: prom-kit omits nothing and the exporter writes `l=""`;
//!    Prometheus reads both as the label being absent, so both are compared without it.
//!
//! The generated names avoid the other documented differences (see the crate docs):
//! label names starting with `__`, keys whose names sanitise alike, and one name used with
//! two label sets or two types.

use std::collections::BTreeMap;

use metrics::{Key, Label, Recorder};
use metrics_exporter_prometheus::PrometheusBuilder;
use prom_kit::testing::{Syntax, parse};
use prom_kit::{Buckets, Format, Registry};
use prom_kit_metrics::PromKitRecorder;
use prom_kit_test_support::exposition::{ParsedFamily, promtool_check, python_parse, same_value};
use prom_kit_test_support::tools;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const BUCKETS: [f64; 5] = [0.005, 0.1, 1.0, 10.0, 1e6];

/// Facade names, each with its label names: dots and dashes to sanitise, a leading digit.
const METRICS: [(&str, &[&str]); 6] = [
    ("jobs_total", &["queue"]),
    ("http.server.requests", &["http.method", "status"]),
    ("cache-hits", &[]),
    ("9lives", &["who"]),
    ("queue.depth", &["queue"]),
    ("db.latency", &["db.op"]),
];

/// Label values: every control character, quotes, newlines, empty, long, non-ASCII.
fn values() -> Vec<String> {
    let controls: String = (1u8..0x20).chain([0x7f]).map(char::from).collect();
    vec![
        "mail".into(),
        String::new(),
        controls,
        "\0nul".into(),
        "\"quoted\"".into(),
        "line\nbreak".into(),
        "tab\tand\rreturn".into(),
        "ünïcødé 🦀".into(),
        "x".repeat(4096),
        "{a=\"b\"} 1".into(),
        "\\".into(),
        "a\\b".into(),
        "end\\".into(),
        "\\\"".into(),
        "\\\\n".into(),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Increment(u64),
    Absolute(u64),
    Set(f64),
    Add(f64),
    Sub(f64),
    Record(f64),
}

/// One facade call: which metric (by index), its label values (by index), the op.
#[derive(Clone, Debug)]
struct Call {
    metric: usize,
    values: Vec<usize>,
    op: Op,
}

fn gauge_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e9..1e9f64,
        Just(0.0),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]
}

fn call(value_count: usize) -> impl Strategy<Value = Call> {
    (
        0..METRICS.len(),
        prop::collection::vec(0..value_count, 2),
        any::<u8>(),
        gauge_value(),
        0u64..1 << 40,
    )
        .prop_map(|(metric, values, which, float, int)| {
            // The metric's type is fixed by its index: counters, gauges, histograms.
            let op = match (metric % 3, which % 3) {
                (0, 0 | 1) => Op::Increment(int),
                (0, _) => Op::Absolute(int.saturating_mul(2)),
                (1, 0) => Op::Set(float),
                (1, 1) => Op::Add(float.clamp(-1e6, 1e6)),
                (1, _) => Op::Sub(float.clamp(-1e6, 1e6)),
                _ => Op::Record(float.abs().min(1e7)),
            };
            Call { metric, values, op }
        })
}

fn key(call: &Call, values: &[String]) -> Key {
    let (name, label_names) = METRICS[call.metric];
    let labels: Vec<Label> = label_names
        .iter()
        .zip(&call.values)
        .map(|(name, value)| Label::new(*name, values[*value].clone()))
        .collect();
    Key::from_parts(name, labels)
}

fn apply(recorder: &dyn Recorder, call: &Call, values: &[String]) {
    let key = key(call, values);
    let metadata = metrics::Metadata::new("differential", metrics::Level::INFO, None);
    match call.op {
        Op::Increment(n) => recorder.register_counter(&key, &metadata).increment(n),
        Op::Absolute(n) => recorder.register_counter(&key, &metadata).absolute(n),
        Op::Set(v) => recorder.register_gauge(&key, &metadata).set(v),
        Op::Add(v) => recorder.register_gauge(&key, &metadata).increment(v),
        Op::Sub(v) => recorder.register_gauge(&key, &metadata).decrement(v),
        Op::Record(v) => recorder.register_histogram(&key, &metadata).record(v),
    }
}

/// A series' identity: sample name and its non-empty labels, sorted.
type Identity = (String, BTreeMap<String, String>);

fn samples(exposition: &str) -> BTreeMap<Identity, f64> {
    let parsed =
        parse(exposition, Syntax::Text).unwrap_or_else(|e| panic!("{e:?} in\n{exposition}"));
    let mut out = BTreeMap::new();
    for family in parsed.families {
        for sample in family.samples {
            // Bucket bounds as numbers: `1e6` and `1000000` are one bound.
            let labels = sample
                .labels
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| match (k.as_str(), v.parse::<f64>()) {
                    ("le", Ok(bound)) => (k, bound.to_string()),
                    _ => (k, v),
                })
                .collect();
            let previous = out.insert((sample.name.clone(), labels), sample.value);
            assert!(previous.is_none(), "{} twice in\n{exposition}", sample.name);
        }
    }
    out
}

/// What the exporter's escaper makes of `value`, as a parser reads it back.
fn as_exporter_shows(value: &str) -> String {
    let escaped = metrics_exporter_prometheus::formatting::sanitize_label_value(value);
    let mut out = String::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// prom-kit's samples renamed and revalued as the exporter writes them (differences 1, 2 and 4).
fn normalised(prom_kit: BTreeMap<Identity, f64>) -> BTreeMap<Identity, f64> {
    normalised_as(prom_kit, true)
}

/// As [`normalised`]; counters keep their `_total` unless `rename_counters` (Python's
/// text parser adds it to the exporter's counters itself).
fn normalised_as(
    prom_kit: BTreeMap<Identity, f64>,
    rename_counters: bool,
) -> BTreeMap<Identity, f64> {
    prom_kit
        .into_iter()
        .filter(|((name, _), _)| !name.starts_with("prom_kit_facade_errors"))
        .map(|((name, labels), value)| {
            // Only counters' sample names end with `_total`; `jobs_total` is named so.
            let name = match name.strip_suffix("_total") {
                Some(base) if rename_counters && name != "jobs_total" => base.to_owned(),
                _ => name,
            };
            let labels = labels
                .into_iter()
                .map(|(k, v)| {
                    let shown = if k == "le" { v } else { as_exporter_shows(&v) };
                    (k, shown)
                })
                .filter(|(_, v)| !v.is_empty())
                .collect();
            ((name, labels), value)
        })
        .collect()
}

/// Records `calls` through both recorders; returns (prom-kit's registry, the exporter's
/// text).
fn record_both(calls: &[Call], values: &[String]) -> (Registry, String) {
    let registry = Registry::new();
    let ours = PromKitRecorder::builder(&registry)
        .default_histogram(Buckets::new(BUCKETS).unwrap())
        .build()
        .unwrap();
    let theirs = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .unwrap()
        .build_recorder();
    for call in calls {
        apply(&ours, call, values);
        apply(&theirs, call, values);
    }
    (registry, theirs.handle().render())
}

fn compare(registry: &Registry, exporter: &str) {
    let ours = normalised(samples(&registry.encode_text().unwrap()));
    let theirs = samples(
        &exporter
            .replace(" inf\n", " +Inf\n")
            .replace(" -inf\n", " -Inf\n"),
    );
    same_series(&ours, &theirs, || {
        format!(
            "--- exporter ---\n{exporter}\n--- prom-kit ---\n{}",
            registry.encode_text().unwrap()
        )
    });
}

/// Asserts that prom-kit's normalised samples and the exporter's are the same series
/// with the same values.
fn same_series(
    ours: &BTreeMap<Identity, f64>,
    theirs: &BTreeMap<Identity, f64>,
    context: impl Fn() -> String,
) {
    for (identity, value) in theirs {
        let mine = ours
            .get(identity)
            .unwrap_or_else(|| panic!("{identity:?} only in the exporter's output\n{}", context()));
        assert!(
            same_value(*mine, *value),
            "{identity:?}: prom-kit {mine}, exporter {value}"
        );
    }
    assert_eq!(
        ours.len(),
        theirs.len(),
        "prom-kit has series the exporter has not\n{}",
        context()
    );
}

/// The samples Python's parser read, as [`samples`] reads them, counters' names without
/// `_total`.
fn python_samples(families: &[ParsedFamily]) -> BTreeMap<Identity, f64> {
    families
        .iter()
        .flat_map(|family| &family.samples)
        .map(|sample| {
            let labels = sample
                .labels
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| match (k.as_str(), v.parse::<f64>()) {
                    ("le", Ok(bound)) => (k.clone(), bound.to_string()),
                    _ => (k.clone(), v.clone()),
                })
                .collect();
            // Python's text parser moves `_total` between a counter's family and sample
            // names by its own rules: compared without it.
            let name = sample.name.strip_suffix("_total").unwrap_or(&sample.name);
            ((name.to_owned(), labels), sample.value)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn both_recorders_expose_the_same_series_and_values(
        calls in prop::collection::vec(call(values().len()), 1..60)
    ) {
        let values = values();
        let (registry, exporter) = record_both(&calls, &values);
        compare(&registry, &exporter);
    }
}

/// One long sequence judged by the real parsers: Python's text parser reads both
/// expositions alike, and prom-kit's passes `promtool check metrics` and Python's strict
/// OpenMetrics parser.
#[test]
fn the_real_parsers_read_both_alike() {
    let values = values();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let calls = prop::collection::vec(call(values.len()), 400)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let (registry, exporter) = record_both(&calls, &values);
    compare(&registry, &exporter);

    let text = registry.encode_text().unwrap();
    if let Some(promtool) = tools::promtool() {
        promtool_check(&promtool, &text).unwrap();
    }
    if let Some(python) = tools::python() {
        // Python's text parser reads both alike (it takes the exporter's `inf` as is);
        // counters' names are compared without `_total`, so neither side is renamed.
        let ours = normalised(python_samples(
            &python_parse(&python, &text, false).unwrap(),
        ));
        let theirs = python_samples(&python_parse(&python, &exporter, false).unwrap());
        assert!(theirs.len() > 100, "{} series", theirs.len());
        same_series(&ours, &theirs, || {
            format!("--- exporter ---\n{exporter}\n--- prom-kit ---\n{text}")
        });
        let openmetrics = String::from_utf8(registry.render(Format::OpenMetrics).unwrap()).unwrap();
        python_parse(&python, &openmetrics, true).unwrap();
    }
}

/// Difference 2, shown: prom-kit reads back every value exactly; the exporter loses a
/// backslash before `\` or `"`.
#[test]
fn prom_kit_keeps_backslashes_the_exporter_drops() {
    let values = vec!["a\\\\b".to_owned(), "say \\\"hi\\\"".to_owned()];
    let calls: Vec<Call> = (0..values.len())
        .map(|i| Call {
            metric: 0,
            values: vec![i],
            op: Op::Increment(1),
        })
        .collect();
    let (registry, exporter) = record_both(&calls, &values);
    let ours = samples(&registry.encode_text().unwrap());
    let theirs = samples(&exporter);
    for value in &values {
        let identity = (
            "jobs_total".to_owned(),
            BTreeMap::from([("queue".to_owned(), value.clone())]),
        );
        assert_eq!(ours.get(&identity), Some(&1.0), "{value:?}");
        assert_eq!(theirs.get(&identity), None, "{value:?}");
        let lossy = (
            "jobs_total".to_owned(),
            BTreeMap::from([("queue".to_owned(), as_exporter_shows(value))]),
        );
        assert_eq!(theirs.get(&lossy), Some(&1.0), "{value:?}");
    }
}

/// The documented differences the generated calls avoid, shown: keys that sanitise
/// alike, a label name starting with `__`, counters without `_total`, and a histogram
/// without configured buckets.
#[test]
fn the_other_documented_differences() {
    let registry = Registry::new();
    let ours = PromKitRecorder::builder(&registry).build().unwrap();
    let theirs = PrometheusBuilder::new().build_recorder();
    for recorder in [&ours as &dyn Recorder, &theirs] {
        metrics::with_local_recorder(recorder, || {
            metrics::counter!("a.b").increment(1);
            metrics::counter!("a_b").increment(1);
            metrics::counter!("reserved", "__x" => "1").increment(1);
            metrics::histogram!("latency").record(0.5);
        });
    }
    let ours = registry.encode_text().unwrap();
    let theirs = theirs.handle().render();
    // One series holding both here; one of the two, the other's counts lost, there.
    assert!(ours.contains("\na_b_total 2\n"), "{ours}");
    assert_eq!(theirs.matches("a_b 1\n").count(), 1, "{theirs}");
    assert!(!theirs.contains("a_b 2\n"), "{theirs}");
    assert!(ours.contains("reserved_total{_x=\"1\"} 1\n"), "{ours}");
    assert!(theirs.contains("reserved{__x=\"1\"} 1\n"), "{theirs}");
    // Default buckets here; a summary there.
    assert!(ours.contains("# TYPE latency histogram\n"), "{ours}");
    assert!(theirs.contains("# TYPE latency summary\n"), "{theirs}");
}
