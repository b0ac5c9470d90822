//! Helpers shared by the integration tests: finding the real tools (required in CI,
//! skipped with a printed reason elsewhere), running them, and a registry that exercises
//! every metric type, escape and special value.

#![allow(
    dead_code,
    unreachable_pub,
    unused_imports,
    reason = "shared by several test binaries, each using a part (so `expect` would fail in some)"
)]

use prom_kit::{
    Buckets, Collector, CollectorOutput, CompactFamily, Counter, CounterFn, DenseFamily,
    Descriptor, Family, Gauge, GaugeFn, Histogram, Info, MetricType, Registry, StateSet, Summary,
};

pub use prom_kit_test_support::*;

/// Request methods, for the dense family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, prom_kit_derive::LabelValue)]
#[label(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
}

/// A sample name, its label pairs, and its value.
pub type ExpectedSample = (String, Vec<(String, String)>, f64);

/// A registry exercising every metric type, every escape and every special value, and
/// the samples (name, labels, value) each format must carry.
pub struct KitchenSink {
    pub registry: Registry,
    /// Samples that both formats expose identically.
    pub common: Vec<ExpectedSample>,
}

/// The `request_duration_seconds` buckets of the [`KitchenSink`]: `le` as the text
/// format writes it, as OpenMetrics writes it, and the cumulative count.
pub const KITCHEN_SINK_BUCKETS: [(&str, &str, f64); 5] = [
    ("0.01", "0.01", 1.0),
    ("0.1", "0.1", 3.0),
    ("1", "1.0", 4.0),
    ("10", "10.0", 5.0),
    ("+Inf", "+Inf", 6.0),
];

/// Label values that need escaping or are otherwise unusual.
pub const TRICKY_VALUES: &[&str] = &[
    "plain",
    "quote\"inside",
    "back\\slash",
    "new\nline",
    "",
    "ünïcödé 日本",
    "a,b=c{d}",
    "trailing\\",
    "\\n literal",
    "tab\tchar",
];

struct PoolCollector {
    descriptor: Descriptor,
}

impl Collector for PoolCollector {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let mut family = out.family(&self.descriptor);
        family.gauge(&["primary"], 4.0)?;
        family.gauge(&["replica"], 2.5)?;
        Ok(())
    }
}

fn s(v: &str) -> String {
    v.to_owned()
}

/// Builds the [`KitchenSink`].
#[expect(
    clippy::too_many_lines,
    reason = "one registry with every metric type, in one place"
)]
pub fn kitchen_sink() -> KitchenSink {
    let registry = Registry::new();
    let mut common = Vec::new();
    let mut expect = |name: &str, labels: &[(&str, &str)], value: f64| {
        common.push((
            s(name),
            labels.iter().map(|(k, v)| (s(k), s(v))).collect(),
            value,
        ));
    };

    let requests = Counter::new();
    requests.inc_by(7);
    registry
        .register(
            "requests",
            "Requests served.\nSecond line with \\ backslash and \"quotes\".",
            requests,
        )
        .unwrap();
    expect("requests_total", &[], 7.0);

    let cpu = Counter::new();
    cpu.inc_by_f64(1.5).unwrap();
    registry
        .register_with_unit("cpu", "CPU time.", "seconds", cpu)
        .unwrap();
    expect("cpu_seconds_total", &[], 1.5);

    registry
        .register(
            "bytes_sent_total",
            "Bytes sent (callback).",
            CounterFn::new(|| 1e20),
        )
        .unwrap();
    expect("bytes_sent_total", &[], 1e20);

    let temperature = Gauge::new();
    temperature.set(-3.25);
    registry
        .register_with_unit("temperature", "Room temperature.", "celsius", temperature)
        .unwrap();
    expect("temperature_celsius", &[], -3.25);

    let special: Family<Gauge> = Family::new(["kind"]).unwrap();
    for (kind, value) in [
        ("nan", f64::NAN),
        ("inf", f64::INFINITY),
        ("neg_inf", f64::NEG_INFINITY),
        ("zero", 0.0),
        ("tiny", 5e-324),
        ("huge", f64::MAX),
        ("negative_fraction", -0.000_123),
        ("big_integer", 9_007_199_254_740_992.0),
    ] {
        special.labels(&[kind]).unwrap().set(value);
        expect("special_values", &[("kind", kind)], value);
    }
    registry
        .register("special_values", "Special float values.", special)
        .unwrap();

    registry
        .register("answer", "Computed at scrape time.", GaugeFn::new(|| 42.0))
        .unwrap();
    expect("answer", &[], 42.0);

    let http: Family<Counter> = Family::new(["method", "path"]).unwrap();
    for (i, value) in TRICKY_VALUES.iter().enumerate() {
        let counter = http.labels(&["GET", value]).unwrap();
        if i == 0 {
            counter
                .inc_by_with_exemplar(1, &[("trace_id", "0af7651916cd43dd8448eb211c80319c")])
                .unwrap();
        } else {
            counter.inc_by(i as u64 + 1);
        }
        expect(
            "http_requests_total",
            &[("method", "GET"), ("path", value)],
            i as f64 + 1.0,
        );
    }
    registry
        .register("http_requests", "Requests by method and path.", http)
        .unwrap();

    // The compact storage mode: the same tricky values, stored once and rendered at
    // every scrape.
    let compact: CompactFamily<Counter> = CompactFamily::new(["method", "path"]).unwrap();
    let compact_gauges: CompactFamily<Gauge> = CompactFamily::new(["path"]).unwrap();
    for (i, value) in TRICKY_VALUES.iter().enumerate() {
        compact
            .inc_by(&["PUT", value], u64::MAX - i as u64)
            .unwrap();
        expect(
            "compact_requests_total",
            &[("method", "PUT"), ("path", value)],
            (u64::MAX - i as u64) as f64,
        );
        compact_gauges.set(&[value], -(i as f64) - 0.5).unwrap();
        expect("compact_depth", &[("path", value)], -(i as f64) - 0.5);
    }
    registry
        .register("compact_requests", "Requests, compact storage.", compact)
        .unwrap();
    registry
        .register("compact_depth", "Depth, compact storage.", compact_gauges)
        .unwrap();

    let dense: DenseFamily<Counter, (Method, bool)> = DenseFamily::new(["method", "ok"]).unwrap();
    dense.labels((Method::Post, false)).inc_by(3);
    registry
        .register("dense_requests", "Requests by typed labels.", dense)
        .unwrap();
    expect(
        "dense_requests_total",
        &[("method", "POST"), ("ok", "false")],
        3.0,
    );

    let latency: Family<Histogram> = Family::builder(["route"])
        .options(Buckets::new([0.01, 0.1, 1.0, 10.0]).unwrap())
        .build()
        .unwrap();
    for v in [0.005, 0.05, 0.05, 0.5, 5.0] {
        latency.labels(&["/users/{id}"]).unwrap().observe(v);
    }
    latency
        .labels(&["/users/{id}"])
        .unwrap()
        .observe_with_exemplar(
            50.0,
            &[("trace_id", "b7ad6b7169203331"), ("span_id", "q\"uoted")],
        )
        .unwrap();
    registry
        .register_with_unit("request_duration", "Request latency.", "seconds", latency)
        .unwrap();
    let route = ("route", "/users/{id}");
    expect("request_duration_seconds_count", &[route], 6.0);
    expect("request_duration_seconds_sum", &[route], 55.605);

    let sizes = Summary::new();
    sizes.observe(100.0);
    sizes.observe(28.0);
    registry
        .register_with_unit("payload", "Payload sizes.", "bytes", sizes)
        .unwrap();
    expect("payload_bytes_count", &[], 2.0);
    expect("payload_bytes_sum", &[], 128.0);

    registry
        .register(
            "build",
            "Build facts.",
            Info::new([("version", "1.2.3"), ("commit", "abc\"def")]).unwrap(),
        )
        .unwrap();
    expect(
        "build_info",
        &[("version", "1.2.3"), ("commit", "abc\"def")],
        1.0,
    );

    let mode = StateSet::new(["idle", "busy", "draining"]).unwrap();
    mode.set("busy").unwrap();
    registry
        .register("worker_mode", "Worker mode.", mode)
        .unwrap();
    expect("worker_mode", &[("worker_mode", "idle")], 0.0);
    expect("worker_mode", &[("worker_mode", "busy")], 1.0);
    expect("worker_mode", &[("worker_mode", "draining")], 0.0);

    let sub = registry
        .with_prefix("app")
        .unwrap()
        .with_labels([("region", "eu \"west\"")])
        .unwrap();
    let jobs: Family<Counter> = Family::new(["queue"]).unwrap();
    jobs.labels(&["mail"]).unwrap().inc_by(2);
    sub.register("jobs", "Jobs run.", jobs).unwrap();
    expect(
        "app_jobs_total",
        &[("region", "eu \"west\""), ("queue", "mail")],
        2.0,
    );

    let descriptor = Descriptor::new("pool_connections", "Open connections.", MetricType::Gauge)
        .unwrap()
        .with_label_names(["pool"])
        .unwrap();
    registry.register_collector(PoolCollector { descriptor });
    expect("pool_connections", &[("pool", "primary")], 4.0);
    expect("pool_connections", &[("pool", "replica")], 2.5);

    KitchenSink { registry, common }
}
