//! Hot-path benchmarks of the core crate next to the physical baselines (a raw atomic
//! increment). Peer crates join in the benches issue.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prom_kit::metrics::{HistogramConfig, NativeBuckets};
use prom_kit::{
    Buckets, Counter, DenseFamily, Family, Histogram, LabelSet, LabelValue, Registry, TypedFamily,
};

#[derive(Clone, Copy, LabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Clone, Copy, LabelValue)]
enum Status {
    #[label(rename = "200")]
    Ok,
    #[label(rename = "404")]
    NotFound,
    #[label(rename = "500")]
    Error,
}

/// The dense benchmark's labels as a derived label set.
#[derive(LabelSet)]
struct EnumLabels {
    method: Method,
    status: Status,
}

/// The string benchmark's labels as a derived label set.
#[derive(LabelSet)]
struct StrLabels {
    method: &'static str,
    status: &'static str,
}

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const STATUSES: [&str; 3] = ["200", "404", "500"];

fn counter(c: &mut Criterion) {
    let mut group = c.benchmark_group("counter_inc");
    let raw = AtomicU64::new(0);
    group.bench_function("raw_atomic", |b| {
        b.iter(|| black_box(&raw).fetch_add(1, Ordering::Relaxed));
    });
    let counter = Counter::new();
    group.bench_function("prom_kit", |b| b.iter(|| black_box(&counter).inc()));
    group.finish();
}

fn labelled(c: &mut Criterion) {
    let mut group = c.benchmark_group("labelled_inc");
    let family: Family<Counter> = Family::new(["method", "status"]).unwrap();
    let mut i = 0usize;
    group.bench_function("prom_kit_str", |b| {
        b.iter(|| {
            i = (i + 1) % 12;
            family
                .labels(&[METHODS[i % 4], STATUSES[i % 3]])
                .unwrap()
                .inc();
        });
    });
    let owned: Vec<[String; 2]> = (0..12)
        .map(|i| [METHODS[i % 4].to_owned(), STATUSES[i % 3].to_owned()])
        .collect();
    group.bench_function("prom_kit_string", |b| {
        b.iter(|| {
            i = (i + 1) % 12;
            family.labels(&owned[i]).unwrap().inc();
        });
    });
    let dense: DenseFamily<Counter, (Method, Status)> =
        DenseFamily::new(["method", "status"]).unwrap();
    let methods = [Method::Get, Method::Post, Method::Put, Method::Delete];
    let statuses = [Status::Ok, Status::NotFound, Status::Error];
    group.bench_function("prom_kit_enum", |b| {
        b.iter(|| {
            i = (i + 1) % 12;
            dense.labels((methods[i % 4], statuses[i % 3])).inc();
        });
    });
    // Typed label sets (`#[derive(LabelSet)]`): all closed fields take the dense path,
    // string fields the hashed one with the per-thread cache.
    let derived_dense: TypedFamily<EnumLabels, Counter> = TypedFamily::new().unwrap();
    group.bench_function("prom_kit_derived_enum", |b| {
        b.iter(|| {
            i = (i + 1) % 12;
            let labels = EnumLabels {
                method: methods[i % 4],
                status: statuses[i % 3],
            };
            derived_dense.with(black_box(&labels), Counter::inc);
        });
    });
    let derived_str: TypedFamily<StrLabels, Counter> = TypedFamily::new().unwrap();
    group.bench_function("prom_kit_derived_str", |b| {
        b.iter(|| {
            i = (i + 1) % 12;
            let labels = StrLabels {
                method: METHODS[i % 4],
                status: STATUSES[i % 3],
            };
            derived_str.with(black_box(&labels), Counter::inc);
        });
    });
    group.bench_function("prom_kit_with_str", |b| {
        b.iter(|| {
            i = (i + 1) % 12;
            family
                .with(black_box(&[METHODS[i % 4], STATUSES[i % 3]]), Counter::inc)
                .unwrap();
        });
    });
    // A full family (`max_series`) looked up with values it has never seen, as when a
    // client controls a label value: every lookup goes to the overflow series.
    let full: Family<Counter> = Family::builder(["path"]).max_series(100).build().unwrap();
    for n in 0..100 {
        full.with(&[format!("/known/{n}")], Counter::inc).unwrap();
    }
    let unseen: Vec<String> = (0..4096).map(|n| format!("/random/{n}")).collect();
    group.bench_function("prom_kit_full_family_unseen_values", |b| {
        b.iter(|| {
            i = (i + 1) % unseen.len();
            full.with(&[unseen[i].as_str()], Counter::inc).unwrap();
        });
    });
    group.finish();
}

fn histogram(c: &mut Criterion) {
    let mut group = c.benchmark_group("histogram_observe");
    let histogram = Histogram::new(Buckets::DEFAULT);
    let values: Vec<f64> = (0..64).map(|i| 0.001 * 1.2f64.powi(i)).collect();
    let mut i = 0usize;
    group.bench_function("prom_kit", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            histogram.observe(black_box(values[i]));
        });
    });
    let native = Histogram::native(NativeBuckets::new(1.1).unwrap());
    group.bench_function("prom_kit_native", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            native.observe(black_box(values[i]));
        });
    });
    let both = Histogram::with_config(HistogramConfig::both(
        Buckets::DEFAULT,
        NativeBuckets::new(1.1).unwrap(),
    ));
    group.bench_function("prom_kit_classic_and_native", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            both.observe(black_box(values[i]));
        });
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let registry = Registry::new();
    let counters: Family<Counter> = Family::builder(["method", "path"])
        .max_series(None)
        .build()
        .unwrap();
    for i in 0..10_000 {
        counters
            .labels(&[METHODS[i % 4], &format!("/api/v1/item/{i}")])
            .unwrap()
            .inc_by(i as u64);
    }
    let histograms: Family<Histogram> = Family::new(["path"]).unwrap();
    for i in 0..1_000 {
        histograms
            .labels(&[format!("/api/v1/item/{i}")])
            .unwrap()
            .observe(f64::from(i) / 100.0);
    }
    registry
        .register("requests", "Requests.", counters)
        .unwrap();
    registry
        .register("latency_seconds", "Latency.", histograms)
        .unwrap();
    let mut group = c.benchmark_group("encode_10k_counters_1k_histograms");
    group.throughput(Throughput::Elements(11_000));
    let mut buffer = Vec::new();
    for format in [prom_kit::Format::Text, prom_kit::Format::OpenMetrics] {
        group.bench_function(format!("{format:?}"), |b| {
            b.iter(|| {
                buffer.clear();
                registry.encode(format, &mut buffer).unwrap();
                black_box(buffer.len())
            });
        });
    }
    group.finish();
}

/// The hot path with and without idle-series expiry (`expire_after`): expiry records
/// nothing on updates, so the pairs should match; and what a sweep of 10 000 series costs.
fn expiry(c: &mut Criterion) {
    let mut group = c.benchmark_group("expiry");
    let plain: Family<Counter> = Family::new(["method", "status"]).unwrap();
    let expiring: Family<Counter> = Family::builder(["method", "status"])
        .expire_after(Duration::from_secs(600))
        .build()
        .unwrap();
    for (name, family) in [("plain", &plain), ("expiring", &expiring)] {
        let child = family.labels(&["GET", "200"]).unwrap();
        group.bench_function(format!("counter_inc/{name}"), |b| {
            b.iter(|| black_box(&child).inc());
        });
        let mut i = 0usize;
        group.bench_function(format!("with/{name}"), |b| {
            b.iter(|| {
                i = (i + 1) % 12;
                family
                    .with(&[METHODS[i % 4], STATUSES[i % 3]], Counter::inc)
                    .unwrap();
            });
        });
    }
    let swept: Family<Counter> = Family::builder(["id"])
        .expire_after(Duration::from_secs(600))
        .build()
        .unwrap();
    for n in 0..10_000 {
        swept.with(&[n.to_string()], Counter::inc).unwrap();
    }
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("sweep_10k_series", |b| b.iter(|| black_box(swept.sweep())));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = counter, labelled, histogram, encode, expiry
}
criterion_main!(benches);
