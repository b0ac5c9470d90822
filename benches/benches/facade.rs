//! Workload 8: the `metrics` facade with prom-kit as its backend (`prom-kit-metrics`)
//! against `metrics-exporter-prometheus`, same buckets, in one process: an increment
//! through a kept handle (next to prom-kit's own `Counter::inc`, the floor), a
//! `counter!` call with two static labels, and a `histogram!` record (the macros ask
//! the recorder for the handle at every call). Variants run interleaved (see
//! `prom_kit_benches::interleaved`); each figure is the median of its batches.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use prom_kit::{Buckets, Counter, Registry};
use prom_kit_benches::interleaved::Interleaved;

const ROUNDS: usize = 60;
const BATCH: u64 = 20_000;

fn prom_kit_recorder() -> prom_kit_metrics::PromKitRecorder {
    prom_kit_metrics::PromKitRecorder::builder(&Registry::new())
        .default_histogram(Buckets::DEFAULT)
        .build()
        .unwrap()
}

fn exporter_recorder() -> metrics_exporter_prometheus::PrometheusRecorder {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(Buckets::DEFAULT.bounds())
        .unwrap()
        .build_recorder()
}

fn counter_macro() {
    metrics::counter!("jobs_total", "queue" => "mail", "outcome" => "sent").increment(1);
}

fn histogram_macro(i: u64) {
    metrics::histogram!("mailer_send_duration_seconds").record(black_box(i as f64 * 1e-6));
}

/// Runs each variant's batch in turn for every round, then (not timed) `after` it.
fn run(results: &mut Interleaved, mut batch: impl FnMut(usize), mut after: impl FnMut(usize)) {
    for round in results.rounds() {
        for variant in results.order(round) {
            let start = Instant::now();
            batch(variant);
            results.record(round, variant, start.elapsed());
            after(variant);
        }
    }
}

fn facade(_: &mut Criterion) {
    let ours = prom_kit_recorder();
    let theirs = exporter_recorder();
    let recorders: [&dyn metrics::Recorder; 2] = [&ours, &theirs];

    let native = Counter::new();
    let handles: Vec<metrics::Counter> = recorders
        .iter()
        .map(|recorder| metrics::with_local_recorder(*recorder, || metrics::counter!("kept")))
        .collect();
    let mut kept = Interleaved::new(
        "8_facade_kept_handle",
        &[
            "prom_kit_counter",
            "prom_kit_metrics",
            "metrics_exporter_prometheus",
        ],
        ROUNDS,
        BATCH,
        "op",
    );
    run(
        &mut kept,
        |variant| {
            for _ in 0..BATCH {
                match variant {
                    0 => black_box(&native).inc(),
                    _ => black_box(&handles[variant - 1]).increment(1),
                }
            }
        },
        drop,
    );
    kept.finish();

    let mut counters = Interleaved::new(
        "8_facade_counter_macro",
        &["prom_kit_metrics", "metrics_exporter_prometheus"],
        ROUNDS,
        BATCH,
        "op",
    );
    run(
        &mut counters,
        |variant| {
            metrics::with_local_recorder(recorders[variant], || {
                for _ in 0..BATCH {
                    counter_macro();
                }
            });
        },
        drop,
    );
    counters.finish();

    let mut histograms = Interleaved::new(
        "8_facade_histogram_macro",
        &["prom_kit_metrics", "metrics_exporter_prometheus"],
        ROUNDS,
        BATCH,
        "op",
    );
    run(
        &mut histograms,
        |variant| {
            metrics::with_local_recorder(recorders[variant], || {
                for i in 0..BATCH {
                    histogram_macro(i);
                }
            });
        },
        |variant| {
            // The exporter keeps each recorded value until a scrape (or its upkeep task)
            // drains it into the buckets: drained after each batch, untimed, as a scrape
            // would.
            if variant == 1 {
                drop(theirs.handle().render());
            }
        },
    );
    histograms.finish();
}

criterion_group!(benches, facade);
criterion_main!(benches);
