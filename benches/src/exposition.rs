//! The exposition every encoding benchmark measures: 10,000 counter series (2 labels) and
//! 1,000 histogram series (1 label, Prometheus' 11 default buckets), or the same shape
//! scaled, in a prom-kit registry, and the encoding floor: every series' `name{labels} `
//! text rendered once, so that a scrape only copies those bytes and formats the values
//! with `itoa`/`ryu` into a reused buffer.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counter series of the standard exposition.
pub const COUNTERS: usize = 10_000;
/// Histogram series of the standard exposition.
pub const HISTOGRAMS: usize = 1_000;
/// The counters' `method` values, in turn.
pub const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
/// Prometheus' default buckets.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `path` label value of series `i`.
pub fn path(i: usize) -> String {
    format!("/api/v1/item/{i}")
}

/// The value histogram series `i` observes once.
pub fn value(i: usize) -> f64 {
    (i % 2000) as f64 / 100.0
}

/// `requests_total{method, path}` with `counters` series (series `i` counts `i`) and
/// `latency_seconds{path}` with `histograms` series, no limit on either.
///
/// # Panics
///
/// Never: the names and label values are valid.
pub fn prom_kit_registry(counters: usize, histograms: usize) -> prom_kit::Registry {
    let registry = prom_kit::Registry::new();
    let requests: prom_kit::Family<prom_kit::Counter> =
        prom_kit::Family::builder(["method", "path"])
            .max_series(None)
            .build()
            .unwrap();
    for i in 0..counters {
        requests
            .labels(&[METHODS[i % 4], &path(i)])
            .unwrap()
            .inc_by(i as u64);
    }
    let latency: prom_kit::Family<prom_kit::Histogram> = prom_kit::Family::builder(["path"])
        .max_series(None)
        .build()
        .unwrap();
    for i in 0..histograms {
        latency.labels(&[path(i)]).unwrap().observe(value(i));
    }
    registry
        .register("requests", "Requests.", requests)
        .unwrap();
    registry
        .register("latency_seconds", "Latency.", latency)
        .unwrap();
    registry
}

/// The encoding floor of [`prom_kit_registry`]'s exposition: pre-rendered series
/// prefixes, values formatted into a reused buffer.
#[derive(Debug)]
pub struct Floor {
    counters: Vec<(Box<str>, AtomicU64)>,
    histograms: Vec<FloorHistogram>,
}

/// One histogram series of the floor: a prefix per bucket, the `_sum` and `_count`
/// prefixes, per-bucket counts and the sum's bits.
#[derive(Debug)]
struct FloorHistogram {
    buckets: Vec<Box<str>>,
    sum_prefix: Box<str>,
    count_prefix: Box<str>,
    counts: [AtomicU64; 12],
    sum: AtomicU64,
}

/// The floor of an exposition of `counters` counter and `histograms` histogram series.
pub fn floor(counters: usize, histograms: usize) -> Floor {
    let counters = (0..counters)
        .map(|i| {
            (
                format!(
                    "requests_total{{method=\"{}\",path=\"{}\"}} ",
                    METHODS[i % 4],
                    path(i)
                )
                .into_boxed_str(),
                AtomicU64::new(i as u64),
            )
        })
        .collect();
    let histograms = (0..histograms)
        .map(|i| {
            let p = path(i);
            let buckets = DEFAULT_BUCKETS
                .iter()
                .map(|b| {
                    format!("latency_seconds_bucket{{path=\"{p}\",le=\"{b}\"}} ").into_boxed_str()
                })
                .chain(std::iter::once(
                    format!("latency_seconds_bucket{{path=\"{p}\",le=\"+Inf\"}} ").into_boxed_str(),
                ))
                .collect();
            let counts: [AtomicU64; 12] = std::array::from_fn(|_| AtomicU64::new(0));
            counts[DEFAULT_BUCKETS.partition_point(|b| *b < value(i))]
                .fetch_add(1, Ordering::Relaxed);
            FloorHistogram {
                buckets,
                sum_prefix: format!("latency_seconds_sum{{path=\"{p}\"}} ").into_boxed_str(),
                count_prefix: format!("latency_seconds_count{{path=\"{p}\"}} ").into_boxed_str(),
                counts,
                sum: AtomicU64::new(value(i).to_bits()),
            }
        })
        .collect();
    Floor {
        counters,
        histograms,
    }
}

/// Appends the floor's text exposition to `out`.
pub fn encode_floor(floor: &Floor, out: &mut Vec<u8>) {
    out.extend_from_slice(b"# HELP requests_total Requests.\n# TYPE requests_total counter\n");
    let mut integer = itoa::Buffer::new();
    let mut float = ryu::Buffer::new();
    for (prefix, value) in &floor.counters {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(integer.format(value.load(Ordering::Relaxed)).as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"# HELP latency_seconds Latency.\n# TYPE latency_seconds histogram\n");
    for histogram in &floor.histograms {
        let mut cumulative = 0;
        for (prefix, bucket) in histogram.buckets.iter().zip(&histogram.counts) {
            cumulative += bucket.load(Ordering::Relaxed);
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(integer.format(cumulative).as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(histogram.sum_prefix.as_bytes());
        out.extend_from_slice(
            float
                .format(f64::from_bits(histogram.sum.load(Ordering::Relaxed)))
                .as_bytes(),
        );
        out.push(b'\n');
        out.extend_from_slice(histogram.count_prefix.as_bytes());
        out.extend_from_slice(integer.format(cumulative).as_bytes());
        out.push(b'\n');
    }
}
