//! Instruction counts of the hot paths the README names, under callgrind (gungraun):
//! identical from run to run on any machine load, so that `.ci/instructions` can hold
//! each path to its committed count (`benches/instructions.json`). Criterion's benches
//! keep the wall-clock comparisons with the peer crates.
//!
//! Every update benchmark runs [`OPS`] operations, so a path's count per operation is
//! its total over `OPS` (the loop adds about two instructions per operation); an
//! encoding benchmark encodes once, its registry built in its setup (not counted).
//!
//! Run it with `cargo bench -p prom-kit-benches --bench instructions` (it needs valgrind
//! and `gungraun-runner` of the same version as the `gungraun` dependency).

#![allow(
    missing_docs,
    reason = "gungraun's macros generate undocumented modules"
)]

use std::hint::black_box;

use gungraun::{library_benchmark, library_benchmark_group, main};
use prom_kit::metrics::NativeBuckets;
use prom_kit::{
    Buckets, CompactFamily, Counter, DenseFamily, Family, Format, Histogram, HistogramConfig,
    LabelSet, LabelValue, Registry, TypedFamily,
};

/// Operations per update benchmark.
const OPS: u64 = 1000;

#[derive(Clone, Copy, LabelValue)]
#[label(rename_all = "snake_case")]
enum Outcome {
    Paid,
    Declined,
}

/// The README quick start's label set, as written there.
#[derive(LabelSet)]
struct OrderLabels {
    outcome: Outcome,
}

#[derive(Clone, Copy, LabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
}

/// A label set with an integer label: a hashed typed family.
#[derive(LabelSet)]
struct Request {
    method: Method,
    status: u16,
}

const STATUSES: [u16; 3] = [200, 404, 500];
const STATUS_TEXTS: [&str; 3] = ["200", "404", "500"];

#[library_benchmark]
#[bench::ops(setup = Counter::new)]
fn counter_inc(counter: Counter) {
    for _ in 0..OPS {
        black_box(&counter).inc();
    }
}

fn orders() -> TypedFamily<OrderLabels, Counter> {
    TypedFamily::new().unwrap()
}

#[library_benchmark]
#[bench::ops(setup = orders)]
fn readme_quick_start(orders: TypedFamily<OrderLabels, Counter>) {
    for i in 0..OPS {
        let outcome = if i % 2 == 0 {
            Outcome::Paid
        } else {
            Outcome::Declined
        };
        black_box(&orders).with(&OrderLabels { outcome }, Counter::inc);
    }
}

fn typed_requests() -> TypedFamily<Request, Counter> {
    TypedFamily::new().unwrap()
}

#[library_benchmark]
#[bench::ops(setup = typed_requests)]
fn typed_integer_label(requests: TypedFamily<Request, Counter>) {
    for i in 0..OPS {
        let status = STATUSES[(i % 3) as usize];
        black_box(&requests).with(
            &Request {
                method: Method::Get,
                status,
            },
            Counter::inc,
        );
    }
}

fn requests() -> Family<Counter> {
    Family::new(["method", "status"]).unwrap()
}

#[library_benchmark]
#[bench::ops(setup = requests)]
fn family_with(requests: Family<Counter>) {
    for i in 0..OPS {
        let status = STATUS_TEXTS[(i % 3) as usize];
        black_box(&requests)
            .with(&["GET", status], Counter::inc)
            .unwrap();
    }
}

#[library_benchmark]
#[bench::ops(setup = requests)]
fn family_with_static(requests: Family<Counter>) {
    for i in 0..OPS {
        let status = STATUS_TEXTS[(i % 3) as usize];
        black_box(&requests)
            .with_static(&["GET", status], Counter::inc)
            .unwrap();
    }
}

fn kept_handle() -> Counter {
    requests().labels(&["GET", "200"]).unwrap()
}

#[library_benchmark]
#[bench::ops(setup = kept_handle)]
fn family_kept_handle(ok: Counter) {
    for _ in 0..OPS {
        black_box(&ok).inc();
    }
}

fn dense_requests() -> DenseFamily<Counter, (Method,)> {
    DenseFamily::new(["method"]).unwrap()
}

#[library_benchmark]
#[bench::ops(setup = dense_requests)]
fn dense_family(requests: DenseFamily<Counter, (Method,)>) {
    for i in 0..OPS {
        let method = if i % 2 == 0 {
            Method::Get
        } else {
            Method::Post
        };
        black_box(&requests).labels((method,)).inc();
    }
}

fn compact_requests() -> CompactFamily<Counter> {
    CompactFamily::new(["method", "status"]).unwrap()
}

#[library_benchmark]
#[bench::ops(setup = compact_requests)]
fn compact_family(requests: CompactFamily<Counter>) {
    for i in 0..OPS {
        let status = STATUS_TEXTS[(i % 3) as usize];
        black_box(&requests).inc(&["GET", status]).unwrap();
    }
}

/// Observations spread over the default buckets.
fn observe_all(histogram: &Histogram) {
    for i in 0..OPS {
        black_box(histogram).observe((i % 100) as f64 * 0.05);
    }
}

fn classic() -> Histogram {
    Histogram::new(Buckets::DEFAULT)
}

fn native() -> Histogram {
    Histogram::native(NativeBuckets::new(1.1).unwrap())
}

fn both() -> Histogram {
    Histogram::with_config(HistogramConfig::both(
        Buckets::DEFAULT,
        NativeBuckets::new(1.1).unwrap(),
    ))
}

#[library_benchmark]
#[bench::classic(setup = classic)]
#[bench::native(setup = native)]
#[bench::both(setup = both)]
fn histogram_observe(histogram: Histogram) {
    observe_all(&histogram);
}

/// 10,000 counter series and 1,000 histogram series, as round 2 measured, to encode in
/// `format`.
fn registry_10k(format: Format) -> (Registry, Format) {
    let registry = Registry::new();
    let requests: Family<Counter> = Family::new(["path", "status"]).unwrap();
    for path in 0..2_500 {
        for status in STATUS_TEXTS.iter().chain(&["503"]) {
            requests
                .labels(&[format!("/api/v1/items/{path}").as_str(), status])
                .unwrap()
                .inc_by(path);
        }
    }
    registry
        .register("requests", "Requests.", requests)
        .unwrap();
    let latency: Family<Histogram> = Family::new(["path"]).unwrap();
    for path in 0..1_000 {
        let series = latency
            .labels(&[format!("/api/v1/items/{path}").as_str()])
            .unwrap();
        series.observe(f64::from(path) / 1000.0);
    }
    registry
        .register_with_unit("latency", "Latency.", "seconds", latency)
        .unwrap();
    (registry, format)
}

#[library_benchmark]
#[bench::text(setup = registry_10k, args = (Format::Text,))]
#[bench::openmetrics(setup = registry_10k, args = (Format::OpenMetrics,))]
#[bench::protobuf(setup = registry_10k, args = (Format::Protobuf,))]
fn encode_10k((registry, format): (Registry, Format)) -> Vec<u8> {
    black_box(registry.render(format).unwrap())
}

library_benchmark_group!(
    name = updates;
    benchmarks =
        counter_inc,
        readme_quick_start,
        typed_integer_label,
        family_with,
        family_with_static,
        family_kept_handle,
        dense_family,
        compact_family,
        histogram_observe
);

library_benchmark_group!(
    name = encoding;
    benchmarks = encode_10k
);

main!(library_benchmark_groups = updates, encoding);
