//! Instruction counts of the hot paths the README names, under callgrind (gungraun):
//! identical from run to run on any machine load, so that `.ci/instructions` can hold
//! each path to its committed count (`benches/instructions.json`). Criterion's benches
//! keep the wall-clock comparisons with the peer crates.
//!
//! Each benchmark returns what its setup made, so that dropping it (a registry, a
//! runtime) is not counted. Every update benchmark runs [`OPS`] operations, so a path's count per operation is
//! its total over `OPS` (the loop adds about two instructions per operation); a
//! middleware benchmark sends [`REQUESTS`] requests through an in-process service on a
//! current-thread runtime, with and without the metrics layer, its service built and
//! warmed in its setup; an encoding benchmark encodes once, its registry built in its
//! setup (not counted), into a buffer that already has room for it. Next to each encoding
//! size, its floor: the series' lines rendered once, only copied and their values
//! formatted (`prom_kit_benches::exposition`).
//!
//! Run it with `cargo bench -p prom-kit-benches --bench instructions` (it needs valgrind
//! and `gungraun-runner` of the same version as the `gungraun` dependency).

#![allow(
    missing_docs,
    reason = "gungraun's macros generate undocumented modules"
)]

use std::hint::black_box;

use gungraun::{library_benchmark, library_benchmark_group, main};
use prom_kit::http::HttpMetrics;
use prom_kit::metrics::NativeBuckets;
use prom_kit::{
    Buckets, CompactFamily, Counter, DenseFamily, Family, Format, Histogram, HistogramConfig,
    LabelSet, LabelValue, Registry, TypedFamily,
};
use prom_kit_benches::exposition::{
    COUNTERS, Floor, HISTOGRAMS, encode_floor, floor, prom_kit_registry,
};
use prom_kit_benches::requests::{actix_gets, axum_gets, unary_calls};

/// Operations per update benchmark.
const OPS: u64 = 1000;

/// Requests per middleware benchmark.
const REQUESTS: u64 = 100;

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
fn counter_inc(counter: Counter) -> Counter {
    for _ in 0..OPS {
        black_box(&counter).inc();
    }
    counter
}

fn orders() -> TypedFamily<OrderLabels, Counter> {
    TypedFamily::new().unwrap()
}

#[library_benchmark]
#[bench::ops(setup = orders)]
fn readme_quick_start(
    orders: TypedFamily<OrderLabels, Counter>,
) -> TypedFamily<OrderLabels, Counter> {
    for i in 0..OPS {
        let outcome = if i % 2 == 0 {
            Outcome::Paid
        } else {
            Outcome::Declined
        };
        black_box(&orders).with(&OrderLabels { outcome }, Counter::inc);
    }
    orders
}

fn typed_requests() -> TypedFamily<Request, Counter> {
    TypedFamily::new().unwrap()
}

#[library_benchmark]
#[bench::ops(setup = typed_requests)]
fn typed_integer_label(requests: TypedFamily<Request, Counter>) -> TypedFamily<Request, Counter> {
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
    requests
}

fn requests() -> Family<Counter> {
    Family::new(["method", "status"]).unwrap()
}

#[library_benchmark]
#[bench::ops(setup = requests)]
fn family_with(requests: Family<Counter>) -> Family<Counter> {
    for i in 0..OPS {
        let status = STATUS_TEXTS[(i % 3) as usize];
        black_box(&requests)
            .with(&["GET", status], Counter::inc)
            .unwrap();
    }
    requests
}

#[library_benchmark]
#[bench::ops(setup = requests)]
fn family_with_static(requests: Family<Counter>) -> Family<Counter> {
    for i in 0..OPS {
        let status = STATUS_TEXTS[(i % 3) as usize];
        black_box(&requests)
            .with_static(&["GET", status], Counter::inc)
            .unwrap();
    }
    requests
}

/// What `Family::with` is held to: a hash map keyed by the two strings, filled
/// beforehand, as a hand-written registry would keep its counters.
type StringMap =
    hashbrown::HashMap<(&'static str, &'static str), Counter, foldhash::fast::FixedState>;

fn string_map() -> StringMap {
    STATUS_TEXTS
        .iter()
        .map(|&status| (("GET", status), Counter::new()))
        .collect()
}

#[library_benchmark]
#[bench::ops(setup = string_map)]
fn hand_written_string_map(map: StringMap) -> StringMap {
    for i in 0..OPS {
        let status = STATUS_TEXTS[(i % 3) as usize];
        if let Some(counter) = black_box(&map).get(&("GET", status)) {
            counter.inc();
        }
    }
    map
}

fn kept_handle() -> Counter {
    requests().labels(&["GET", "200"]).unwrap()
}

#[library_benchmark]
#[bench::ops(setup = kept_handle)]
fn family_kept_handle(ok: Counter) -> Counter {
    for _ in 0..OPS {
        black_box(&ok).inc();
    }
    ok
}

fn dense_requests() -> DenseFamily<Counter, (Method,)> {
    DenseFamily::new(["method"]).unwrap()
}

#[library_benchmark]
#[bench::ops(setup = dense_requests)]
fn dense_family(requests: DenseFamily<Counter, (Method,)>) -> DenseFamily<Counter, (Method,)> {
    for i in 0..OPS {
        let method = if i % 2 == 0 {
            Method::Get
        } else {
            Method::Post
        };
        black_box(&requests).labels((method,)).inc();
    }
    requests
}

fn compact_requests() -> CompactFamily<Counter> {
    CompactFamily::new(["method", "status"]).unwrap()
}

#[library_benchmark]
#[bench::ops(setup = compact_requests)]
fn compact_family(requests: CompactFamily<Counter>) -> CompactFamily<Counter> {
    for i in 0..OPS {
        let status = STATUS_TEXTS[(i % 3) as usize];
        black_box(&requests).inc(&["GET", status]).unwrap();
    }
    requests
}

/// Observations spread over the default buckets.
fn observe_all(histogram: &Histogram) {
    for i in 0..OPS {
        black_box(histogram).observe((i % 100) as f64 * 0.05);
    }
}

/// `histogram` after one observation: the process-wide tables of native bucket bounds are
/// built at the first observation of any native histogram, once per process, not per
/// observation.
fn warmed(histogram: Histogram) -> Histogram {
    histogram.observe(1.0);
    histogram
}

fn classic() -> Histogram {
    warmed(Histogram::new(Buckets::DEFAULT))
}

fn native() -> Histogram {
    warmed(Histogram::native(NativeBuckets::new(1.1).unwrap()))
}

fn both() -> Histogram {
    warmed(Histogram::with_config(HistogramConfig::both(
        Buckets::DEFAULT,
        NativeBuckets::new(1.1).unwrap(),
    )))
}

#[library_benchmark]
#[bench::classic(setup = classic)]
#[bench::native(setup = native)]
#[bench::both(setup = both)]
fn histogram_observe(histogram: Histogram) -> Histogram {
    observe_all(&histogram);
    histogram
}

/// A registry to encode in a format, into a buffer already as large as its exposition
/// (as a scrape handler reuses its buffer).
type Encoding = (Registry, Format, Vec<u8>);

/// `registry` with a buffer for its exposition in `format`.
fn to_encode(registry: Registry, format: Format) -> Encoding {
    let size = registry.render(format).unwrap().len();
    (registry, format, Vec::with_capacity(size))
}

/// The standard exposition (10,000 counter series, 1,000 histogram series) to encode in
/// `format`.
fn registry_10k(format: Format) -> Encoding {
    to_encode(prom_kit_registry(COUNTERS, HISTOGRAMS), format)
}

/// The same exposition at 1,000,000 counter series and 100,000 histogram series.
fn registry_1m(format: Format) -> Encoding {
    to_encode(prom_kit_registry(COUNTERS * 100, HISTOGRAMS * 100), format)
}

#[library_benchmark]
#[bench::text(setup = registry_10k, args = (Format::Text,))]
#[bench::openmetrics(setup = registry_10k, args = (Format::OpenMetrics,))]
#[bench::protobuf(setup = registry_10k, args = (Format::Protobuf,))]
fn encode_10k((registry, format, mut out): Encoding) -> Encoding {
    registry.encode(format, &mut out).unwrap();
    (registry, format, out)
}

#[library_benchmark]
#[bench::text(setup = registry_1m, args = (Format::Text,))]
#[bench::openmetrics(setup = registry_1m, args = (Format::OpenMetrics,))]
#[bench::protobuf(setup = registry_1m, args = (Format::Protobuf,))]
fn encode_1m((registry, format, mut out): Encoding) -> Encoding {
    registry.encode(format, &mut out).unwrap();
    (registry, format, out)
}

/// The encoding floor of an exposition of `counters` and `histograms` series, and a
/// buffer as large as its text.
fn floor_of(counters: usize, histograms: usize) -> (Floor, Vec<u8>) {
    let floor = floor(counters, histograms);
    let mut out = Vec::new();
    encode_floor(&floor, &mut out);
    let buffer = Vec::with_capacity(out.len());
    (floor, buffer)
}

// The floor of the text encoding: what any encoder of these series must at least do.
#[library_benchmark]
#[bench::text(setup = floor_of, args = (COUNTERS, HISTOGRAMS))]
fn encode_10k_floor((floor, mut out): (Floor, Vec<u8>)) -> (Floor, Vec<u8>) {
    encode_floor(&floor, &mut out);
    (floor, out)
}

#[library_benchmark]
#[bench::text(setup = floor_of, args = (COUNTERS * 100, HISTOGRAMS * 100))]
fn encode_1m_floor((floor, mut out): (Floor, Vec<u8>)) -> (Floor, Vec<u8>) {
    encode_floor(&floor, &mut out);
    (floor, out)
}

/// A service built and warmed, that sends [`REQUESTS`] requests each time it is called.
type Requests = Box<dyn FnMut()>;

/// A current-thread runtime, as a benchmark's driver.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `router` (finalized as `axum::serve` does) answering `GET /users/{id}`.
/// With `layer` `None`, no layer; `Some(false)`, a layer that does nothing (axum wraps
/// every route in a new boxed service for any layer); `Some(true)`, prom-kit's.
fn axum_requests(layer: Option<bool>) -> Requests {
    use axum::routing::get;
    let router = axum::Router::new().route("/users/{id}", get(|| async { "a user" }));
    let router = match layer {
        Some(true) => {
            let metrics = HttpMetrics::builder().build(&Registry::new()).unwrap();
            router.layer(prom_kit_axum::MetricsLayer::new(metrics))
        }
        Some(false) => router.layer(tower::layer::util::Identity::new()),
        None => router,
    }
    .with_state(());
    let runtime = runtime();
    let send = move |count: u64| runtime.block_on(axum_gets(&router, count));
    send(REQUESTS);
    Box::new(move || send(REQUESTS))
}

/// An actix-web app (its default features) answering `GET /users/{id}`.
fn actix_requests(layered: bool) -> Requests {
    use actix_web::{App, HttpResponse, test, web};
    let system = actix_web::rt::System::new();
    let route = || web::get().to(|| async { HttpResponse::Ok().body("a user") });
    let app: Box<dyn FnMut(u64)> = if layered {
        let metrics = HttpMetrics::builder().build(&Registry::new()).unwrap();
        let app = system.block_on(test::init_service(
            App::new()
                .wrap(prom_kit_actix::RequestMetrics::new(metrics))
                .route("/users/{id}", route()),
        ));
        Box::new(move |count| system.block_on(actix_gets(&app, count)))
    } else {
        let app = system.block_on(test::init_service(App::new().route("/users/{id}", route())));
        Box::new(move |count| system.block_on(actix_gets(&app, count)))
    };
    let mut send = app;
    send(REQUESTS);
    Box::new(move || send(REQUESTS))
}

/// tonic's routes for the echo service answering unary calls, read to their trailers.
fn tonic_requests(layered: bool) -> Requests {
    use prom_kit::grpc::{GrpcMethods, GrpcMetrics, GrpcType};
    use prom_kit_test_support::grpc::{ECHO_SERVICE, Echo, EchoServer};
    use tower::Layer;
    let routes = tonic::service::Routes::new(EchoServer::new(Echo));
    let runtime = runtime();
    let mut send: Box<dyn FnMut(u64)> = if layered {
        let metrics = GrpcMetrics::server()
            .methods(GrpcMethods::new().method(ECHO_SERVICE, "Unary", GrpcType::Unary))
            .build(&Registry::new())
            .unwrap();
        let service = prom_kit_tonic::GrpcMetricsLayer::new(metrics).layer(routes);
        Box::new(move |count| runtime.block_on(unary_calls(&service, count)))
    } else {
        Box::new(move |count| runtime.block_on(unary_calls(&routes, count)))
    };
    send(REQUESTS);
    Box::new(move || send(REQUESTS))
}

/// A client service answering every request at once with `200`, as the transport under
/// the HTTP client layer.
fn client_requests(layered: bool) -> Requests {
    use prom_kit::http_client::{HttpClientLayer, HttpClientMetrics};
    use tower::{Layer, ServiceExt};
    let transport = tower::service_fn(|_request: http::Request<String>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::from("ok")))
    });
    let runtime = runtime();
    let mut send: Box<dyn FnMut(u64)> = if layered {
        let metrics = HttpClientMetrics::builder()
            .build(&Registry::new())
            .unwrap();
        let client = HttpClientLayer::new(metrics).layer(transport);
        Box::new(move |count| {
            runtime.block_on(async {
                for i in 0..count {
                    let response = client.clone().oneshot(client_request(i)).await.unwrap();
                    black_box(response);
                }
            });
        })
    } else {
        Box::new(move |count| {
            runtime.block_on(async {
                for i in 0..count {
                    let response = transport.oneshot(client_request(i)).await.unwrap();
                    black_box(response);
                }
            });
        })
    };
    send(REQUESTS);
    Box::new(move || send(REQUESTS))
}

/// A client's `GET http://api.example:8080/users/{i}`.
fn client_request(i: u64) -> http::Request<String> {
    http::Request::get(format!("http://api.example:8080/users/{}", i % 100))
        .body(String::new())
        .unwrap()
}

#[library_benchmark]
#[bench::axum_none(setup = axum_requests, args = (None,))]
#[bench::axum_identity_layer(setup = axum_requests, args = (Some(false),))]
#[bench::axum_prom_kit(setup = axum_requests, args = (Some(true),))]
#[bench::actix_none(setup = actix_requests, args = (false,))]
#[bench::actix_prom_kit(setup = actix_requests, args = (true,))]
#[bench::tonic_none(setup = tonic_requests, args = (false,))]
#[bench::tonic_prom_kit(setup = tonic_requests, args = (true,))]
#[bench::client_none(setup = client_requests, args = (false,))]
#[bench::client_prom_kit(setup = client_requests, args = (true,))]
fn per_request(mut requests: Requests) -> Requests {
    requests();
    requests
}

/// A `metrics` facade recorder with its series made (the first call of each key done):
/// prom-kit's (`prom-kit-metrics`) or `metrics-exporter-prometheus`'s, the same buckets.
fn facade(prom_kit: bool) -> Box<dyn metrics::Recorder> {
    let recorder: Box<dyn metrics::Recorder> = if prom_kit {
        let registry = Registry::new();
        Box::new(
            prom_kit_metrics::PromKitRecorder::builder(&registry)
                .default_histogram(Buckets::DEFAULT)
                .build()
                .expect("a recorder"),
        )
    } else {
        Box::new(
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(Buckets::DEFAULT.bounds())
                .expect("buckets")
                .build_recorder(),
        )
    };
    metrics::with_local_recorder(&*recorder, facade_calls);
    recorder
}

/// The facade calls of the README's section: a counter with two static labels and a
/// histogram, each asked for at every call, as the macros do.
fn facade_calls() {
    metrics::counter!("jobs_total", "queue" => "mail", "outcome" => "sent").increment(1);
    metrics::histogram!("mailer_send_duration_seconds").record(0.02);
    for domain in ["example.org", "example.com", "mail.test"] {
        metrics::counter!("mailer.sent", "domain" => domain.to_owned()).increment(1);
    }
}

#[library_benchmark]
#[bench::prom_kit(setup = facade, args = (true,))]
#[bench::exporter(setup = facade, args = (false,))]
fn facade_counter_macro(recorder: Box<dyn metrics::Recorder>) -> Box<dyn metrics::Recorder> {
    metrics::with_local_recorder(&*recorder, || {
        for _ in 0..OPS {
            metrics::counter!("jobs_total", "queue" => "mail", "outcome" => "sent").increment(1);
        }
    });
    recorder
}

#[library_benchmark]
#[bench::prom_kit(setup = facade, args = (true,))]
#[bench::exporter(setup = facade, args = (false,))]
fn facade_histogram_macro(recorder: Box<dyn metrics::Recorder>) -> Box<dyn metrics::Recorder> {
    metrics::with_local_recorder(&*recorder, || {
        for _ in 0..OPS {
            metrics::histogram!("mailer_send_duration_seconds").record(black_box(0.02));
        }
    });
    recorder
}

// The README's facade call as written: a `counter!` whose label value is an owned
// `String` (a domain from the request), so the facade builds the key anew each call.
#[library_benchmark]
#[bench::prom_kit(setup = facade, args = (true,))]
#[bench::exporter(setup = facade, args = (false,))]
fn facade_readme_call(recorder: Box<dyn metrics::Recorder>) -> Box<dyn metrics::Recorder> {
    let domains = ["example.org", "example.com", "mail.test"];
    metrics::with_local_recorder(&*recorder, || {
        for i in 0..OPS {
            let domain = black_box(domains[usize::try_from(i % 3).unwrap_or(0)]);
            metrics::counter!("mailer.sent", "domain" => domain.to_owned()).increment(1);
        }
    });
    recorder
}

/// A kept facade handle, and the recorder that made it.
fn facade_handle(prom_kit: bool) -> (metrics::Counter, Box<dyn metrics::Recorder>) {
    let recorder = facade(prom_kit);
    let handle = metrics::with_local_recorder(
        &*recorder,
        || metrics::counter!("jobs_total", "queue" => "mail", "outcome" => "sent"),
    );
    (handle, recorder)
}

#[library_benchmark]
#[bench::prom_kit(setup = facade_handle, args = (true,))]
#[bench::exporter(setup = facade_handle, args = (false,))]
fn facade_kept_handle(
    kept: (metrics::Counter, Box<dyn metrics::Recorder>),
) -> (metrics::Counter, Box<dyn metrics::Recorder>) {
    for _ in 0..OPS {
        black_box(&kept.0).increment(1);
    }
    kept
}

library_benchmark_group!(
    name = facade;
    benchmarks = facade_kept_handle, facade_counter_macro, facade_histogram_macro, facade_readme_call
);

library_benchmark_group!(
    name = updates;
    benchmarks =
        counter_inc,
        readme_quick_start,
        typed_integer_label,
        family_with,
        hand_written_string_map,
        family_with_static,
        family_kept_handle,
        dense_family,
        compact_family,
        histogram_observe
);

library_benchmark_group!(
    name = middleware;
    benchmarks = per_request
);

library_benchmark_group!(
    name = encoding;
    benchmarks = encode_10k_floor, encode_10k
);

library_benchmark_group!(
    name = encoding_1m;
    benchmarks = encode_1m_floor, encode_1m
);

main!(
    library_benchmark_groups = updates,
    facade,
    middleware,
    encoding,
    encoding_1m
);
