//! Workload 5: encoding a registry of 10,000 counter series (2 labels) and 1,000 histogram
//! series (1 label, Prometheus' 11 default buckets) to the text format, per library, next
//! to the encoding floor (every series' `name{labels} ` text rendered once; a scrape only
//! copies those bytes and formats the values with `itoa`/`ryu` into a reused buffer).
//! prom-kit also encodes the registry to protobuf (what Prometheus asks for first when
//! native histograms are enabled). Throughput is per series; the exposition sizes are
//! printed once.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use prom_kit_benches::exposition::{
    COUNTERS, DEFAULT_BUCKETS, HISTOGRAMS, METHODS, encode_floor, floor, path, prom_kit_registry,
    value,
};

#[derive(Clone, Hash, PartialEq, Eq, Debug, prometheus_client::encoding::EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    path: String,
}

#[derive(Clone, Hash, PartialEq, Eq, Debug, prometheus_client::encoding::EncodeLabelSet)]
struct PathLabels {
    path: String,
}

fn prometheus_client_registry() -> prometheus_client::registry::Registry {
    use prometheus_client::metrics::{counter::Counter, family::Family, histogram::Histogram};
    let mut registry = prometheus_client::registry::Registry::default();
    let counters = Family::<RequestLabels, Counter>::default();
    for i in 0..COUNTERS {
        counters
            .get_or_create(&RequestLabels {
                method: METHODS[i % 4],
                path: path(i),
            })
            .inc_by(i as u64);
    }
    let histograms =
        Family::<PathLabels, Histogram>::new_with_constructor(|| Histogram::new(DEFAULT_BUCKETS));
    for i in 0..HISTOGRAMS {
        histograms
            .get_or_create(&PathLabels { path: path(i) })
            .observe(value(i));
    }
    registry.register("requests", "Requests.", counters);
    registry.register("latency_seconds", "Latency.", histograms);
    registry
}

fn fastmetrics_registry() -> fastmetrics::registry::Registry {
    use fastmetrics::metrics::{counter::Counter, family::Family, histogram::Histogram};
    use prom_kit_benches::{FastPath, FastRequest};
    let mut registry = fastmetrics::registry::Registry::default();
    let counters = Family::<FastRequest, Counter>::default();
    for i in 0..COUNTERS {
        let labels = FastRequest {
            method: METHODS[i % 4],
            path: path(i),
        };
        counters.with_or_new(&labels, |counter| counter.inc_by(i as u64));
    }
    let histograms = Family::<FastPath, Histogram>::new(|| Histogram::new(DEFAULT_BUCKETS));
    for i in 0..HISTOGRAMS {
        histograms.with_or_new(&FastPath { path: path(i) }, |h| h.observe(value(i)));
    }
    registry
        .register("requests", "Requests.", counters)
        .unwrap()
        .register("latency_seconds", "Latency.", histograms)
        .unwrap();
    registry
}

fn prometheus_registry() -> prometheus::Registry {
    let registry = prometheus::Registry::new();
    let counters = prometheus::IntCounterVec::new(
        prometheus::Opts::new("requests_total", "Requests."),
        &["method", "path"],
    )
    .unwrap();
    for i in 0..COUNTERS {
        counters
            .with_label_values(&[METHODS[i % 4], &path(i)])
            .inc_by(i as u64);
    }
    let histograms = prometheus::HistogramVec::new(
        prometheus::HistogramOpts::new("latency_seconds", "Latency."),
        &["path"],
    )
    .unwrap();
    for i in 0..HISTOGRAMS {
        histograms.with_label_values(&[&path(i)]).observe(value(i));
    }
    registry.register(Box::new(counters)).unwrap();
    registry.register(Box::new(histograms)).unwrap();
    registry
}

fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&DEFAULT_BUCKETS)
        .unwrap()
        .build_recorder();
    metrics::with_local_recorder(&recorder, || {
        metrics::describe_counter!("requests_total", "Requests.");
        metrics::describe_histogram!("latency_seconds", "Latency.");
        for i in 0..COUNTERS {
            metrics::counter!("requests_total", "method" => METHODS[i % 4], "path" => path(i))
                .increment(i as u64);
        }
        for i in 0..HISTOGRAMS {
            metrics::histogram!("latency_seconds", "path" => path(i)).record(value(i));
        }
    });
    recorder.handle()
}

#[derive(Clone, Copy, PartialEq, Debug, measured::LabelGroup)]
#[label(set = RequestSet)]
struct MeasuredRequest<'a> {
    #[label(dynamic_with = paracord::ParaCord)]
    method: &'a str,
    #[label(dynamic_with = paracord::ParaCord)]
    path: &'a str,
}

#[derive(Clone, Copy, PartialEq, Debug, measured::LabelGroup)]
#[label(set = PathSet)]
struct MeasuredPath<'a> {
    #[label(dynamic_with = paracord::ParaCord)]
    path: &'a str,
}

#[derive(measured::MetricGroup)]
struct MeasuredMetrics {
    /// Requests.
    requests: measured::CounterVec<RequestSet>,
    /// Latency.
    latency_seconds: measured::HistogramVec<PathSet, 11>,
}

fn measured_metrics() -> MeasuredMetrics {
    let metrics = MeasuredMetrics {
        requests: measured::CounterVec::with_label_set(RequestSet {
            method: paracord::ParaCord::default(),
            path: paracord::ParaCord::default(),
        }),
        latency_seconds: measured::HistogramVec::with_label_set_and_metadata(
            PathSet {
                path: paracord::ParaCord::default(),
            },
            measured::metric::histogram::Thresholds::with_buckets(DEFAULT_BUCKETS),
        ),
    };
    for i in 0..COUNTERS {
        let p = path(i);
        metrics.requests.inc_by(
            MeasuredRequest {
                method: METHODS[i % 4],
                path: &p,
            },
            i as u64,
        );
    }
    for i in 0..HISTOGRAMS {
        let p = path(i);
        metrics
            .latency_seconds
            .observe(MeasuredPath { path: &p }, value(i));
    }
    metrics
}

/// `fastmetrics`' text encoder, in its Prometheus text and OpenMetrics profiles.
fn bench_fastmetrics(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    fast: &fastmetrics::registry::Registry,
    sizes: &mut Vec<(&'static str, usize)>,
) {
    let mut text = String::new();
    for (name, profile) in [
        (
            "fastmetrics_text",
            fastmetrics::format::text::TextProfile::PrometheusV0_0_4,
        ),
        (
            "fastmetrics_openmetrics",
            fastmetrics::format::text::TextProfile::OpenMetricsV1_0_0 {
                escaping_scheme: fastmetrics::format::text::EscapingScheme::Underscores,
            },
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                text.clear();
                fastmetrics::format::text::encode(&mut text, fast, profile).unwrap();
                black_box(text.len())
            });
        });
        sizes.push((name, text.len()));
    }
}

fn encoding(c: &mut Criterion) {
    let ours = prom_kit_registry(COUNTERS, HISTOGRAMS);
    let client = prometheus_client_registry();
    let tikv = prometheus_registry();
    let handle = metrics_handle();
    let measured = measured_metrics();
    let fast = fastmetrics_registry();
    let floor = floor(COUNTERS, HISTOGRAMS);

    let mut group = c.benchmark_group("5_encode_10k_counters_1k_histograms");
    group.throughput(Throughput::Elements((COUNTERS + HISTOGRAMS) as u64));
    let mut bytes = Vec::new();
    let mut sizes = Vec::new();

    group.bench_function("floor", |b| {
        b.iter(|| {
            bytes.clear();
            encode_floor(&floor, &mut bytes);
            black_box(bytes.len())
        });
    });
    sizes.push(("floor", bytes.len()));
    for (name, format) in [
        ("prom_kit_text", prom_kit::Format::Text),
        ("prom_kit_openmetrics", prom_kit::Format::OpenMetrics),
        ("prom_kit_protobuf", prom_kit::Format::Protobuf),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                bytes.clear();
                ours.encode(format, &mut bytes).unwrap();
                black_box(bytes.len())
            });
        });
        sizes.push((name, bytes.len()));
    }
    // The same registry without `_created` samples (Go's default; see
    // `Registry::set_openmetrics_created`).
    let ours_without_created = prom_kit_registry(COUNTERS, HISTOGRAMS);
    ours_without_created.set_openmetrics_created(false);
    group.bench_function("prom_kit_openmetrics_no_created", |b| {
        b.iter(|| {
            bytes.clear();
            ours_without_created
                .encode(prom_kit::Format::OpenMetrics, &mut bytes)
                .unwrap();
            black_box(bytes.len())
        });
    });
    sizes.push(("prom_kit_openmetrics_no_created", bytes.len()));
    let mut text = String::new();
    group.bench_function("prometheus_client_openmetrics", |b| {
        b.iter(|| {
            text.clear();
            prometheus_client::encoding::text::encode(&mut text, &client).unwrap();
            black_box(text.len())
        });
    });
    sizes.push(("prometheus_client_openmetrics", text.len()));
    bench_fastmetrics(&mut group, &fast, &mut sizes);
    group.bench_function("prometheus_text", |b| {
        b.iter(|| {
            bytes.clear();
            prometheus::Encoder::encode(
                &prometheus::TextEncoder::new(),
                &tikv.gather(),
                &mut bytes,
            )
            .unwrap();
            black_box(bytes.len())
        });
    });
    sizes.push(("prometheus_text", bytes.len()));
    let mut rendered = String::new();
    group.bench_function("metrics_text", |b| {
        b.iter(|| {
            rendered = handle.render();
            black_box(rendered.len())
        });
    });
    sizes.push(("metrics_text", rendered.len()));
    let mut encoder = measured::text::BufferedTextEncoder::new();
    let mut measured_len = 0;
    group.bench_function("measured_text", |b| {
        b.iter(|| {
            measured::MetricGroup::collect_group_into(&measured, &mut encoder).unwrap();
            measured_len = encoder.finish().len();
            black_box(measured_len)
        });
    });
    sizes.push(("measured_text", measured_len));
    group.finish();
    for (name, size) in sizes {
        eprintln!("exposition size {name}: {size} bytes");
    }
}

criterion_group! {
    name = encoding_benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = encoding
}
criterion_main!(encoding_benches);
