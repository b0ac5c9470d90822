//! prom-kit side by side with the crates a Rust user would otherwise pick —
//! `prometheus-client`, `prometheus` (tikv), `metrics` + `metrics-exporter-prometheus`,
//! `measured` and `fastmetrics` — each used as its documentation shows, plus physical baselines (a raw
//! atomic, a non-atomic increment) and "floors" (what the best known technique costs), all
//! measured in one run so that every claim is a ratio.
//!
//! Workloads (the benches issue numbers them): 1 counter increment, 2 the same counter
//! from two pinned threads, 3 labelled increment with lookup, 4 histogram observe (one and
//! two threads). Encoding, memory and middleware workloads join in later.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const STATUSES: [&str; 3] = ["200", "404", "500"];
const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// 64 values spread over 0.001–20, cycled by the histogram workloads.
fn histogram_values() -> Vec<f64> {
    (0..64)
        .map(|i| 0.001 * (20_000f64).powf(f64::from(i) / 63.0))
        .collect()
}

/// Runs `op(thread, i)` for `iters` iterations on each of two threads pinned to their own
/// cores and started from a spinning start line, so that the operations really overlap;
/// returns the slower thread's time (time per operation = result / iters).
fn contended(iters: u64, op: impl Fn(usize, u64) + Sync) -> Duration {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let ready = AtomicUsize::new(0);
    let go = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|thread| {
                let (ready, go, op, core) = (&ready, &go, &op, cores.get(thread).copied());
                scope.spawn(move || {
                    if let Some(core) = core {
                        core_affinity::set_for_current(core);
                    }
                    ready.fetch_add(1, Ordering::AcqRel);
                    while !go.load(Ordering::Acquire) {
                        std::hint::spin_loop();
                    }
                    let start = Instant::now();
                    for i in 0..iters {
                        op(thread, i);
                    }
                    start.elapsed()
                })
            })
            .collect();
        while ready.load(Ordering::Acquire) < 2 {
            std::hint::spin_loop();
        }
        go.store(true, Ordering::Release);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .max()
            .unwrap_or_default()
    })
}

/// One cache-padded cell per thread slot, summed at scrape: the contention floor.
#[repr(align(128))]
#[derive(Default)]
struct Padded(AtomicU64);

struct StripedCounter([Padded; 8]);

impl StripedCounter {
    fn new() -> Self {
        Self(std::array::from_fn(|_| Padded::default()))
    }
    #[inline]
    fn inc(&self, slot: usize) {
        self.0[slot & 7].0.fetch_add(1, Ordering::Relaxed);
    }
}

fn counter(c: &mut Criterion) {
    let mut group = c.benchmark_group("1_counter_inc");
    let raw = AtomicU64::new(0);
    group.bench_function("baseline_raw_atomic", |b| {
        b.iter(|| black_box(&raw).fetch_add(1, Ordering::Relaxed));
    });
    let mut plain = 0u64;
    group.bench_function("baseline_non_atomic", |b| {
        b.iter(|| {
            plain = black_box(plain) + 1;
        });
    });
    let ours = prom_kit::Counter::new();
    group.bench_function("prom_kit", |b| b.iter(|| black_box(&ours).inc()));
    let striped = prom_kit::StripedCounter::new();
    group.bench_function("prom_kit_striped", |b| b.iter(|| black_box(&striped).inc()));
    let client = prometheus_client::metrics::counter::Counter::<u64>::default();
    group.bench_function("prometheus_client", |b| b.iter(|| black_box(&client).inc()));
    let tikv = prometheus::IntCounter::new("c", "help").unwrap();
    group.bench_function("prometheus", |b| b.iter(|| black_box(&tikv).inc()));
    let measured = measured::Counter::new();
    group.bench_function("measured", |b| b.iter(|| black_box(&measured).inc()));
    let fast = <fastmetrics::metrics::counter::Counter>::default();
    group.bench_function("fastmetrics", |b| b.iter(|| black_box(&fast).inc()));
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = metrics::with_local_recorder(&recorder, || metrics::counter!("c"));
    group.bench_function("metrics", |b| b.iter(|| black_box(&handle).increment(1)));
    group.finish();
}

fn contended_counter(c: &mut Criterion) {
    let mut group = c.benchmark_group("2_counter_inc_2_threads");
    // Contended timings vary from run to run on a VM; measure them longer.
    group.measurement_time(Duration::from_secs(2));
    let raw = AtomicU64::new(0);
    group.bench_function("baseline_raw_atomic", |b| {
        b.iter_custom(|iters| {
            contended(iters, |_, _| {
                raw.fetch_add(1, Ordering::Relaxed);
            })
        });
    });
    // The same atomic in its own heap allocation, as every library's counter handle
    // keeps it: under contention its placement alone changes the cost.
    let heap = std::sync::Arc::new(AtomicU64::new(0));
    group.bench_function("baseline_heap_atomic", |b| {
        b.iter_custom(|iters| {
            contended(iters, |_, _| {
                heap.fetch_add(1, Ordering::Relaxed);
            })
        });
    });
    let striped = StripedCounter::new();
    group.bench_function("floor_striped", |b| {
        b.iter_custom(|iters| contended(iters, |t, _| striped.inc(t)));
    });
    let ours = prom_kit::Counter::new();
    group.bench_function("prom_kit", |b| {
        b.iter_custom(|iters| contended(iters, |_, _| ours.inc()));
    });
    let striped_ours = prom_kit::StripedCounter::new();
    group.bench_function("prom_kit_striped", |b| {
        b.iter_custom(|iters| contended(iters, |_, _| striped_ours.inc()));
    });
    let client = prometheus_client::metrics::counter::Counter::<u64>::default();
    group.bench_function("prometheus_client", |b| {
        b.iter_custom(|iters| {
            contended(iters, |_, _| {
                client.inc();
            })
        });
    });
    let tikv = prometheus::IntCounter::new("c", "help").unwrap();
    group.bench_function("prometheus", |b| {
        b.iter_custom(|iters| contended(iters, |_, _| tikv.inc()));
    });
    let measured = measured::Counter::new();
    group.bench_function("measured", |b| {
        b.iter_custom(|iters| contended(iters, |_, _| measured.inc()));
    });
    let fast = <fastmetrics::metrics::counter::Counter>::default();
    group.bench_function("fastmetrics", |b| {
        b.iter_custom(|iters| contended(iters, |_, _| fast.inc()));
    });
    group.finish();
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, measured::FixedCardinalityLabel)]
enum MeasuredMethod {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, measured::FixedCardinalityLabel)]
enum MeasuredStatus {
    Ok,
    NotFound,
    Error,
}

#[derive(Clone, Copy, PartialEq, Debug, measured::LabelGroup)]
#[label(set = MeasuredSet)]
struct MeasuredLabels {
    method: MeasuredMethod,
    status: MeasuredStatus,
}

#[derive(Clone, Copy, prom_kit::LabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Clone, Copy, prom_kit::LabelValue)]
enum Status {
    #[label(rename = "200")]
    Ok,
    #[label(rename = "404")]
    NotFound,
    #[label(rename = "500")]
    Error,
}

#[derive(Clone, Hash, PartialEq, Eq, Debug, prometheus_client::encoding::EncodeLabelSet)]
struct StaticLabels {
    method: &'static str,
    status: &'static str,
}

#[derive(Clone, Hash, PartialEq, Eq, Debug, prometheus_client::encoding::EncodeLabelSet)]
struct OwnedLabels {
    method: String,
    status: String,
}

/// Cycles through the 12 label combinations.
fn cycle() -> impl FnMut() -> usize {
    let mut i = 0usize;
    move || {
        i = (i + 1) % 12;
        i
    }
}

fn labelled(c: &mut Criterion) {
    let mut group = c.benchmark_group("3_labelled_inc");
    let owned: Vec<[String; 2]> = (0..12)
        .map(|i| [METHODS[i % 4].to_owned(), STATUSES[i % 3].to_owned()])
        .collect();
    labelled_prom_kit(&mut group, &owned);
    labelled_peers(&mut group, &owned);
    labelled_fastmetrics(&mut group, &owned);
    group.finish();
}

fn labelled_prom_kit(group: &mut BenchmarkGroup<'_, WallTime>, owned: &[[String; 2]]) {
    let mut next = cycle();
    // The string-lookup floor: a pre-populated hash table keyed by the two strings.
    let floor: hashbrown::HashMap<(&str, &str), AtomicU64, foldhash::fast::FixedState> = (0..12)
        .map(|i| ((METHODS[i % 4], STATUSES[i % 3]), AtomicU64::new(0)))
        .collect();
    group.bench_function("floor_string_lookup", |b| {
        b.iter(|| {
            let i = next();
            if let Some(c) = floor.get(&(METHODS[i % 4], STATUSES[i % 3])) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        });
    });
    let ours: prom_kit::Family<prom_kit::Counter> =
        prom_kit::Family::new(["method", "status"]).unwrap();
    // `&'static str` values: recognised by address, no byte comparison.
    group.bench_function("prom_kit_str", |b| {
        b.iter(|| {
            let i = next();
            let _ = ours.with_static(&[METHODS[i % 4], STATUSES[i % 3]], prom_kit::Counter::inc);
        });
    });
    // Run-time `String`s: found by address, confirmed by comparing the bytes.
    group.bench_function("prom_kit_string", |b| {
        b.iter(|| {
            let _ = ours.with(&owned[next()], prom_kit::Counter::inc);
        });
    });
    // The same run-time values, interned once when they become known.
    let interned: Vec<[&'static str; 2]> = owned
        .iter()
        .map(|[m, s]| [prom_kit::labels::intern(m), prom_kit::labels::intern(s)])
        .collect();
    group.bench_function("prom_kit_string_interned", |b| {
        b.iter(|| {
            let _ = ours.with_static(&interned[next()], prom_kit::Counter::inc);
        });
    });
    // The handle-returning lookup, for comparison with the peers' equivalent.
    group.bench_function("prom_kit_str_labels", |b| {
        b.iter(|| {
            let i = next();
            if let Ok(c) = ours.labels(&[METHODS[i % 4], STATUSES[i % 3]]) {
                c.inc();
            }
        });
    });
    // The memory-optimized family (no handles): every update looks its series up by
    // the values' stored ids, as `measured` does.
    let compact: prom_kit::CompactFamily<prom_kit::Counter> =
        prom_kit::CompactFamily::new(["method", "status"]).unwrap();
    group.bench_function("prom_kit_compact_string", |b| {
        b.iter(|| {
            let _ = compact.inc(&owned[next()]);
        });
    });
    let dense: prom_kit::DenseFamily<prom_kit::Counter, (Method, Status)> =
        prom_kit::DenseFamily::new(["method", "status"]).unwrap();
    let methods = [Method::Get, Method::Post, Method::Put, Method::Delete];
    let statuses = [Status::Ok, Status::NotFound, Status::Error];
    group.bench_function("prom_kit_enum", |b| {
        b.iter(|| {
            let i = next();
            dense.labels((methods[i % 4], statuses[i % 3])).inc();
        });
    });
    // A derived label set with an integer field: a hashed typed family, found in the
    // per-thread cache by the packed values.
    let typed: prom_kit::TypedFamily<TypedStatus, prom_kit::Counter> =
        prom_kit::TypedFamily::new().unwrap();
    let codes = [200u16, 404, 500];
    group.bench_function("prom_kit_typed_enum_u16", |b| {
        b.iter(|| {
            let i = next();
            typed.with(
                &TypedStatus {
                    method: methods[i % 4],
                    status: codes[i % 3],
                },
                prom_kit::Counter::inc,
            );
        });
    });
}

/// A label set of an enum and an integer, as the README's typed families show.
#[derive(prom_kit::LabelSet)]
struct TypedStatus {
    method: Method,
    status: u16,
}

/// `fastmetrics` as its documentation shows: a label-set struct, `with_or_new`.
fn labelled_fastmetrics(group: &mut BenchmarkGroup<'_, WallTime>, owned: &[[String; 2]]) {
    let mut next = cycle();
    let fast = fastmetrics::metrics::family::Family::<
        prom_kit_benches::FastStatic,
        fastmetrics::metrics::counter::Counter,
    >::default();
    group.bench_function("fastmetrics_str", |b| {
        b.iter(|| {
            let i = next();
            let labels = prom_kit_benches::FastStatic {
                method: METHODS[i % 4],
                status: STATUSES[i % 3],
            };
            fast.with_or_new(&labels, fastmetrics::metrics::counter::Counter::inc);
        });
    });
    // The typed shape: an enum's text and an integer.
    let fast_typed = fastmetrics::metrics::family::Family::<
        prom_kit_benches::FastStatus,
        fastmetrics::metrics::counter::Counter,
    >::default();
    let codes = [200u16, 404, 500];
    group.bench_function("fastmetrics_str_u16", |b| {
        b.iter(|| {
            let i = next();
            let labels = prom_kit_benches::FastStatus {
                method: METHODS[i % 4],
                status: codes[i % 3],
            };
            fast_typed.with_or_new(&labels, fastmetrics::metrics::counter::Counter::inc);
        });
    });
    let fast_owned = fastmetrics::metrics::family::Family::<
        prom_kit_benches::FastOwned,
        fastmetrics::metrics::counter::Counter,
    >::default();
    group.bench_function("fastmetrics_string", |b| {
        b.iter(|| {
            let [method, status] = &owned[next()];
            let labels = prom_kit_benches::FastOwned {
                method: method.clone(),
                status: status.clone(),
            };
            fast_owned.with_or_new(&labels, fastmetrics::metrics::counter::Counter::inc);
        });
    });
}

fn labelled_peers(group: &mut BenchmarkGroup<'_, WallTime>, owned: &[[String; 2]]) {
    let mut next = cycle();
    let client = prometheus_client::metrics::family::Family::<
        StaticLabels,
        prometheus_client::metrics::counter::Counter,
    >::default();
    group.bench_function("prometheus_client_str", |b| {
        b.iter(|| {
            let i = next();
            client
                .get_or_create(&StaticLabels {
                    method: METHODS[i % 4],
                    status: STATUSES[i % 3],
                })
                .inc();
        });
    });
    let client_owned = prometheus_client::metrics::family::Family::<
        OwnedLabels,
        prometheus_client::metrics::counter::Counter,
    >::default();
    group.bench_function("prometheus_client_string", |b| {
        b.iter(|| {
            let [method, status] = &owned[next()];
            client_owned
                .get_or_create(&OwnedLabels {
                    method: method.clone(),
                    status: status.clone(),
                })
                .inc();
        });
    });

    let tikv =
        prometheus::IntCounterVec::new(prometheus::Opts::new("c", "help"), &["method", "status"])
            .unwrap();
    group.bench_function("prometheus_str", |b| {
        b.iter(|| {
            let i = next();
            tikv.with_label_values(&[METHODS[i % 4], STATUSES[i % 3]])
                .inc();
        });
    });
    group.bench_function("prometheus_string", |b| {
        b.iter(|| {
            let [method, status] = &owned[next()];
            tikv.with_label_values(&[method.as_str(), status.as_str()])
                .inc();
        });
    });

    let measured_vec = measured::CounterVec::with_label_set(MeasuredSet {
        method: measured::label::StaticLabelSet::new(),
        status: measured::label::StaticLabelSet::new(),
    });
    let measured_methods = [
        MeasuredMethod::Get,
        MeasuredMethod::Post,
        MeasuredMethod::Put,
        MeasuredMethod::Delete,
    ];
    let measured_statuses = [
        MeasuredStatus::Ok,
        MeasuredStatus::NotFound,
        MeasuredStatus::Error,
    ];
    group.bench_function("measured_enum", |b| {
        b.iter(|| {
            let i = next();
            measured_vec.inc(MeasuredLabels {
                method: measured_methods[i % 4],
                status: measured_statuses[i % 3],
            });
        });
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        group.bench_function("metrics_str", |b| {
            b.iter(|| {
                let i = next();
                metrics::counter!("c", "method" => METHODS[i % 4], "status" => STATUSES[i % 3])
                    .increment(1);
            });
        });
        group.bench_function("metrics_string", |b| {
            b.iter(|| {
                let [method, status] = &owned[next()];
                metrics::counter!("c", "method" => method.clone(), "status" => status.clone())
                    .increment(1);
            });
        });
    });
}

/// A striped histogram: one cache-padded bucket set per thread slot, the contention floor.
#[repr(align(128))]
struct StripedBuckets {
    counts: [AtomicU64; 12],
    sum: AtomicU64,
}

fn striped_observe(stripes: &[StripedBuckets], slot: usize, value: f64) {
    let stripe = &stripes[slot & 7];
    let index = DEFAULT_BUCKETS.partition_point(|b| *b < value);
    stripe.counts[index].fetch_add(1, Ordering::Relaxed);
    let mut current = stripe.sum.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + value).to_bits();
        match stripe
            .sum
            .compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => break,
            Err(actual) => current = actual,
        }
    }
}

fn histograms(c: &mut Criterion) {
    let values = histogram_values();
    let pick = |i: u64| values[(i & 63) as usize];
    let ours = prom_kit::Histogram::new(prom_kit::Buckets::DEFAULT);
    let ours_striped = prom_kit::Histogram::with_config(
        prom_kit::metrics::HistogramConfig::classic(prom_kit::Buckets::DEFAULT).striped(true),
    );
    // Native buckets (factor 1.1: schema 3), alone and next to the classic ones.
    let ours_native =
        prom_kit::Histogram::native(prom_kit::metrics::NativeBuckets::new(1.1).unwrap());
    let ours_both = prom_kit::Histogram::with_config(prom_kit::metrics::HistogramConfig::both(
        prom_kit::Buckets::DEFAULT,
        prom_kit::metrics::NativeBuckets::new(1.1).unwrap(),
    ));
    let client = prometheus_client::metrics::histogram::Histogram::new(DEFAULT_BUCKETS);
    let tikv =
        prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("h", "help")).unwrap();
    let measured = measured::Histogram::<11>::with_metadata(
        measured::metric::histogram::Thresholds::with_buckets(DEFAULT_BUCKETS),
    );
    let fast = fastmetrics::metrics::histogram::Histogram::new(DEFAULT_BUCKETS);
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&DEFAULT_BUCKETS)
        .unwrap()
        .build_recorder();
    let metrics_handle = metrics::with_local_recorder(&recorder, || metrics::histogram!("h"));
    let stripes: Vec<StripedBuckets> = (0..8)
        .map(|_| StripedBuckets {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum: AtomicU64::new(0),
        })
        .collect();

    let mut single = c.benchmark_group("4_histogram_observe");
    let bench = |group: &mut BenchmarkGroup<'_, WallTime>, name: &str, observe: &dyn Fn(f64)| {
        let mut i = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                observe(black_box(pick(i)));
            });
        });
    };
    bench(&mut single, "floor_lock_free", &|v| {
        striped_observe(&stripes, 0, v);
    });
    bench(&mut single, "prom_kit", &|v| ours.observe(v));
    bench(&mut single, "prom_kit_striped", &|v| {
        ours_striped.observe(v);
    });
    bench(&mut single, "prom_kit_native", &|v| ours_native.observe(v));
    bench(&mut single, "prom_kit_classic_and_native", &|v| {
        ours_both.observe(v);
    });
    bench(&mut single, "prometheus_client", &|v| client.observe(v));
    bench(&mut single, "prometheus", &|v| tikv.observe(v));
    bench(&mut single, "measured", &|v| measured.observe(v));
    bench(&mut single, "fastmetrics", &|v| fast.observe(v));
    bench(&mut single, "metrics", &|v| metrics_handle.record(v));
    single.finish();

    let mut two = c.benchmark_group("4_histogram_observe_2_threads");
    two.measurement_time(Duration::from_secs(2));
    two.bench_function("floor_striped", |b| {
        b.iter_custom(|iters| contended(iters, |t, i| striped_observe(&stripes, t, pick(i))));
    });
    two.bench_function("prom_kit", |b| {
        b.iter_custom(|iters| contended(iters, |_, i| ours.observe(pick(i))));
    });
    two.bench_function("prom_kit_striped", |b| {
        b.iter_custom(|iters| contended(iters, |_, i| ours_striped.observe(pick(i))));
    });
    two.bench_function("prometheus_client", |b| {
        b.iter_custom(|iters| contended(iters, |_, i| client.observe(pick(i))));
    });
    two.bench_function("prometheus", |b| {
        b.iter_custom(|iters| contended(iters, |_, i| tikv.observe(pick(i))));
    });
    two.bench_function("measured", |b| {
        b.iter_custom(|iters| contended(iters, |_, i| measured.observe(pick(i))));
    });
    two.bench_function("fastmetrics", |b| {
        b.iter_custom(|iters| contended(iters, |_, i| fast.observe(pick(i))));
    });
    two.finish();
}

criterion_group! {
    name = peers;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30);
    targets = counter, contended_counter, labelled, histograms
}
criterion_main!(peers);
