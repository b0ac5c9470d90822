//! Workload 9: how prom-kit's costs grow with the number of series — encoding a
//! registry of 1k, 10k, 100k and 1M counter series (2 labels) to text and to protobuf
//! (time per scrape; per series in `RESULTS.md`), and a string-keyed lookup in a family
//! of 10 to 1M series (values cycling through 4,096 series, more than a thread's lookup
//! cache holds, so most lookups reach the shared table). Memory per series over the same
//! range is in the `memory` bench.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use prom_kit::{Counter, Family, Format, Registry};

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// The label values of series `i`.
fn labels(i: usize) -> (&'static str, String) {
    (METHODS[i % 4], format!("/api/v1/item/{}", i / 4))
}

fn family(series: usize) -> Family<Counter> {
    let family: Family<Counter> = Family::builder(["method", "path"])
        .max_series(series + 1)
        .build()
        .unwrap();
    for i in 0..series {
        let (method, path) = labels(i);
        family
            .labels(&[method, path.as_str()])
            .unwrap()
            .inc_by(i as u64);
    }
    family
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("9_scaling_encode");
    group.sample_size(10);
    let mut out = Vec::new();
    for series in SIZES {
        let registry = Registry::new();
        registry
            .register("requests", "Requests.", family(series))
            .unwrap();
        group.throughput(Throughput::Elements(series as u64));
        for (name, format) in [("text", Format::Text), ("protobuf", Format::Protobuf)] {
            group.bench_with_input(BenchmarkId::new(name, series), &series, |b, _| {
                b.iter(|| {
                    out.clear();
                    registry.encode(format, &mut out).unwrap();
                    black_box(out.len())
                });
            });
        }
        // Free the largest buffer before the next registry is built.
        out = Vec::new();
    }
    group.finish();
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("9_scaling_lookup");
    for series in [10, 1_000, 100_000, 1_000_000] {
        let family = family(series);
        // 4,096 existing series (or all of them), as the strings a request builds anew.
        let used = series.min(4_096);
        let values: Vec<(&'static str, String)> =
            (0..used).map(|k| labels(k * (series / used))).collect();
        let mut i = 0;
        group.bench_with_input(BenchmarkId::new("str", series), &series, |b, _| {
            b.iter(|| {
                i = (i + 1) % used;
                let (method, path) = &values[i];
                family
                    .with(&[*method, path.as_str()], Counter::inc)
                    .unwrap();
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = scaling;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = encode, lookup
}
criterion_main!(scaling);
