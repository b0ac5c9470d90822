//! Workload 6: heap bytes per series of a 100,000-series counter family (2 labels:
//! 4 methods × 25,000 paths), measured with a counting global allocator — the live bytes
//! after creating the family and its series, minus those before, divided by the series.
//! Run with `cargo bench -p prom-kit-benches --bench memory`.

use std::alloc::System;
use std::hint::black_box;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

/// Counts every allocation and deallocation (no unsafe code of ours).
#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const SERIES: usize = 100_000;
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

/// The label values of series `i`.
fn labels(i: usize) -> (&'static str, String) {
    (METHODS[i % 4], format!("/api/v1/item/{}", i / 4))
}

/// Bytes per series that `build` keeps alive (the labels given to it are freed after).
fn per_series<T>(name: &str, build: impl FnOnce() -> T) {
    let region = Region::new(ALLOCATOR);
    let kept = build();
    let stats = region.change();
    // Reallocations are already counted in the allocated and deallocated totals.
    let live = stats.bytes_allocated as f64 - stats.bytes_deallocated as f64;
    let bytes = live / SERIES as f64;
    println!("{name:<20} {bytes:>8.1} bytes/series");
    black_box(kept);
}

#[derive(Clone, Hash, PartialEq, Eq, Debug, prometheus_client::encoding::EncodeLabelSet)]
struct Labels {
    method: &'static str,
    path: String,
}

/// `measured`'s way to label with run-time strings: each label interned by a `ParaCord`.
#[derive(Clone, Copy, PartialEq, Debug, measured::LabelGroup)]
#[label(set = MeasuredLabelSet)]
struct MeasuredLabels<'a> {
    #[label(dynamic_with = paracord::ParaCord)]
    method: &'a str,
    #[label(dynamic_with = paracord::ParaCord)]
    path: &'a str,
}

/// prom-kit's bytes per series over family sizes from 1k to 1M series.
fn scaling() {
    println!("prom-kit heap bytes per series by family size (counter family, 2 labels)");
    for series in [1_000, 10_000, 100_000, 1_000_000] {
        let region = Region::new(ALLOCATOR);
        let family: prom_kit::Family<prom_kit::Counter> =
            prom_kit::Family::builder(["method", "path"])
                .max_series(series + 1)
                .build()
                .unwrap();
        for i in 0..series {
            let (method, path) = labels(i);
            family.labels(&[method, path.as_str()]).unwrap().inc();
        }
        let stats = region.change();
        let live = stats.bytes_allocated as f64 - stats.bytes_deallocated as f64;
        println!(
            "scaling {series} series {:.1} bytes/series",
            live / series as f64
        );
        black_box(family);
    }
    println!("prom-kit CompactFamily heap bytes per series by family size");
    for series in [1_000, 10_000, 100_000, 1_000_000] {
        let region = Region::new(ALLOCATOR);
        let family: prom_kit::CompactFamily<prom_kit::Counter> =
            prom_kit::CompactFamily::builder(["method", "path"])
                .max_series(None)
                .build()
                .unwrap();
        for i in 0..series {
            let (method, path) = labels(i);
            family.inc(&[method, path.as_str()]).unwrap();
        }
        let stats = region.change();
        let live = stats.bytes_allocated as f64 - stats.bytes_deallocated as f64;
        println!(
            "scaling compact {series} series {:.1} bytes/series",
            live / series as f64
        );
        black_box(family);
    }
}

/// The label values of series `i` under one way of sharing values between series.
type Pattern = fn(usize) -> Vec<String>;

/// `Family` and `CompactFamily` side by side, by how much the series share their label
/// values: a `CompactFamily` stores each distinct value once, so it saves most when
/// values repeat across series, and little when most of a series' text is its own.
fn sharing_patterns() {
    let patterns: [(&str, &[&str], Pattern); 3] = [
        (
            "values repeat (4 methods x 25,000 paths)",
            &["method", "path"],
            |i| vec![METHODS[i % 4].to_owned(), format!("/api/v1/item/{}", i / 4)],
        ),
        (
            "a distinct value per series (4 methods x 100,000 paths)",
            &["method", "path"],
            |i| vec![METHODS[i % 4].to_owned(), format!("/api/v1/item/{i}")],
        ),
        (
            "mixed (4 methods x 100 routes x 10 tenants, a distinct request id)",
            &["method", "route", "tenant", "request_id"],
            |i| {
                vec![
                    METHODS[i % 4].to_owned(),
                    format!("/api/v1/route/{}", i % 100),
                    format!("tenant-{}", i % 10),
                    format!("{:016x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                ]
            },
        ),
    ];
    println!("heap bytes per series by value sharing, {SERIES} counter series");
    for (pattern, names, values) in patterns {
        let (family, _) = live_bytes(|| {
            let family: prom_kit::Family<prom_kit::Counter> =
                prom_kit::Family::builder(names.iter().copied())
                    .max_series(None)
                    .build()
                    .unwrap();
            for i in 0..SERIES {
                family.labels(&values(i)).unwrap().inc();
            }
            family
        });
        let (compact, _) = live_bytes(|| {
            let family: prom_kit::CompactFamily<prom_kit::Counter> =
                prom_kit::CompactFamily::builder(names.iter().copied())
                    .max_series(None)
                    .build()
                    .unwrap();
            for i in 0..SERIES {
                family.inc(&values(i)).unwrap();
            }
            family
        });
        println!(
            "sharing | {pattern} | {:.1} | {:.1} | {:.0} %",
            family / SERIES as f64,
            compact / SERIES as f64,
            100.0 * (1.0 - compact / family)
        );
    }
}

/// The heap bytes `build` keeps alive, and what it built.
fn live_bytes<T>(build: impl FnOnce() -> T) -> (f64, T) {
    let region = Region::new(ALLOCATOR);
    let kept = build();
    let stats = region.change();
    (
        stats.bytes_allocated as f64 - stats.bytes_deallocated as f64,
        kept,
    )
}

fn main() {
    sharing_patterns();
    scaling();
    println!("heap bytes per series, {SERIES}-series counter family with 2 labels");
    per_series("prom_kit", || {
        let family: prom_kit::Family<prom_kit::Counter> =
            prom_kit::Family::builder(["method", "path"])
                .max_series(None)
                .build()
                .unwrap();
        for i in 0..SERIES {
            let (method, path) = labels(i);
            family.labels(&[method, path.as_str()]).unwrap().inc();
        }
        family
    });
    per_series("prom_kit_compact", || {
        let family: prom_kit::CompactFamily<prom_kit::Counter> =
            prom_kit::CompactFamily::builder(["method", "path"])
                .max_series(None)
                .build()
                .unwrap();
        for i in 0..SERIES {
            let (method, path) = labels(i);
            family.inc(&[method, path.as_str()]).unwrap();
        }
        family
    });
    per_series("prometheus_client", || {
        let family = prometheus_client::metrics::family::Family::<
            Labels,
            prometheus_client::metrics::counter::Counter,
        >::default();
        for i in 0..SERIES {
            let (method, path) = labels(i);
            family.get_or_create(&Labels { method, path }).inc();
        }
        family
    });
    per_series("fastmetrics", || {
        let family = fastmetrics::metrics::family::Family::<
            prom_kit_benches::FastRequest,
            fastmetrics::metrics::counter::Counter,
        >::default();
        for i in 0..SERIES {
            let (method, path) = labels(i);
            family.with_or_new(&prom_kit_benches::FastRequest { method, path }, |counter| {
                counter.inc();
            });
        }
        family
    });
    per_series("measured", || {
        let family = measured::CounterVec::with_label_set(MeasuredLabelSet {
            method: paracord::ParaCord::default(),
            path: paracord::ParaCord::default(),
        });
        for i in 0..SERIES {
            let (method, path) = labels(i);
            family.inc(MeasuredLabels {
                method,
                path: &path,
            });
        }
        family
    });
    per_series("prometheus", || {
        let family =
            prometheus::IntCounterVec::new(prometheus::Opts::new("c", "help"), &["method", "path"])
                .unwrap();
        for i in 0..SERIES {
            let (method, path) = labels(i);
            family.with_label_values(&[method, path.as_str()]).inc();
        }
        family
    });
    per_series("metrics", || {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        metrics::with_local_recorder(&recorder, || {
            for i in 0..SERIES {
                let (method, path) = labels(i);
                metrics::counter!("c", "method" => method, "path" => path).increment(1);
            }
        });
        recorder
    });
}
