//! A 1M-series scrape through the real handler ([`prom_kit::scrape::MetricsHandler`], what
//! the adapters and the standalone server call), as one family and as 1,000: for text and
//! protobuf, without and with gzip, the time the handler takes and the peak heap it
//! allocates on top of what the registry holds — measured with a peak-tracking global
//! allocator, reset before each scrape. A gzipped body is streamed through the
//! compressor family by family, so its peak is the compressed body and the largest
//! family. Run with `cargo bench -p prom-kit-benches --bench scrape_memory`.

use std::time::Instant;

use peak_alloc::PeakAlloc;
use prom_kit::adapter::ScrapeRequest;
use prom_kit::scrape::MetricsHandler;
use prom_kit::{Counter, Family, Registry};

/// Tracks the live heap and its peak (no unsafe code of ours).
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const SERIES: usize = 1_000_000;
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// A registry of 1M counter series (2 labels) in `families` families.
fn registry(families: usize) -> Registry {
    let registry = Registry::new();
    let per_family = SERIES / families;
    for f in 0..families {
        let family: Family<Counter> = Family::builder(["method", "path"])
            .max_series(per_family + 1)
            .build()
            .unwrap();
        for i in 0..per_family {
            family
                .labels(&[METHODS[i % 4], &format!("/api/v1/item/{}", i / 4)])
                .unwrap()
                .inc_by(i as u64);
        }
        let name = if families == 1 {
            "requests".to_owned()
        } else {
            format!("requests_{f:04}")
        };
        registry.register(&name, "Requests.", family).unwrap();
    }
    registry
}

fn main() {
    for families in [1, 1_000] {
        scrape(&registry(families), families);
    }
}

/// Scrapes `registry` in every format, with and without gzip, and prints the table.
fn scrape(registry: &Registry, families: usize) {
    let handler = MetricsHandler::builder()
        .own_metrics(false)
        .build(registry)
        .unwrap();
    println!(
        "1M-series scrape through MetricsHandler::handle (counters, 2 labels, {families} {})",
        if families == 1 { "family" } else { "families" }
    );
    println!(
        "{:<10} {:<5} {:>9} {:>11} {:>16} {:>18}",
        "format", "gzip", "time ms", "body MiB", "peak extra MiB", "peak / body size"
    );
    for (format, accept) in [
        ("text", None),
        (
            "protobuf",
            Some(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
            ),
        ),
    ] {
        for gzip in [false, true] {
            let request = ScrapeRequest {
                method: "GET",
                accept,
                accept_encoding: gzip.then_some("gzip"),
                ..ScrapeRequest::default()
            };
            // Once to warm up (the handler sizes its buffer from the last body).
            drop(handler.handle(&request));
            let before = ALLOCATOR.current_usage();
            ALLOCATOR.reset_peak_usage();
            let start = Instant::now();
            let response = handler.handle(&request);
            let elapsed = start.elapsed();
            let peak = ALLOCATOR.peak_usage().saturating_sub(before);
            assert_eq!(response.status, 200);
            let body = response.body.len();
            println!(
                "{format:<10} {:<5} {:>9.1} {:>11.1} {:>16.1} {:>18.2}",
                if gzip { "yes" } else { "no" },
                elapsed.as_secs_f64() * 1e3,
                mib(body),
                mib(peak),
                peak as f64 / body as f64,
            );
        }
    }
}
