//! Workload 7: the cost a metrics middleware adds to a request, in process (no network):
//! an axum router and an actix-web app answering `GET /users/{id}`, without a metrics
//! layer, with prom-kit's, and with the peer middleware (`axum-prometheus`,
//! `actix-web-prom`). Time per request, body included.
//!
//! The variants of a framework run interleaved — alternating batches in one process,
//! the order rotated every round — so that the machine's drift over a run (other tenants
//! of a shared VM, frequency changes) falls on all of them alike, and the differences
//! mean something; each variant's figure is the median of its batches.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use prom_kit::Registry;
use prom_kit::http::HttpMetrics;
use prom_kit_benches::interleaved::Interleaved;
use prom_kit_benches::requests::{actix_gets, axum_gets_with};

fn axum_router() -> Router {
    Router::new().route("/users/{id}", get(|| async { "a user" }))
}

/// The router finalized once, as `axum::serve` does (`with_state(())`), so that a
/// request does not convert its routes again.
fn finalized(router: Router) -> Router {
    router.with_state(())
}

/// Batches per variant in an interleaved comparison.
const ROUNDS: usize = 60;
/// Requests per batch.
const BATCH: u64 = 200;

/// Rounds run before any is recorded.
const WARM_UP_ROUNDS: usize = prom_kit_benches::interleaved::WARM_UP_ROUNDS;

/// An interleaved comparison of middleware variants, per request.
fn interleaved(group: &'static str, names: &[&'static str]) -> Interleaved {
    Interleaved::new(group, names, ROUNDS, BATCH, "request")
}

/// Sends `count` requests through `router`, each with `traceparent` if given; the time
/// they took.
async fn axum_batch(router: &Router, count: u64, traceparent: Option<&'static str>) -> Duration {
    let start = Instant::now();
    axum_gets_with(router, count, traceparent).await;
    start.elapsed()
}

/// A sampled W3C trace context, as a traced client sends it.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// axum without a layer, with one that does nothing (axum re-wraps every route in a new
/// boxed service for any layer), with prom-kit's and with `axum-prometheus`, in
/// alternating batches on one current-thread runtime; and prom-kit's on requests that
/// carry a sampled `traceparent`, with trace exemplars off and on (their cost is the
/// difference of those two).
fn axum(_: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let registry = Registry::new();
    let ours = HttpMetrics::builder().build(&registry).unwrap();
    let traced_off = HttpMetrics::builder().build(&Registry::new()).unwrap();
    let traced_on = HttpMetrics::builder()
        .trace_exemplars(true)
        .build(&Registry::new())
        .unwrap();
    // axum-prometheus spawns its recorder's upkeep task, so it needs the runtime.
    let _inside = runtime.enter();
    let (peer_layer, _handle) = axum_prometheus::PrometheusMetricLayer::pair();
    let routers = [
        finalized(axum_router()),
        finalized(axum_router().layer(tower::layer::util::Identity::new())),
        finalized(axum_router().layer(prom_kit_axum::MetricsLayer::new(ours))),
        finalized(axum_router().layer(peer_layer)),
        finalized(axum_router().layer(prom_kit_axum::MetricsLayer::new(traced_off))),
        finalized(axum_router().layer(prom_kit_axum::MetricsLayer::new(traced_on))),
    ];
    let traced = [None, None, None, None, Some(TRACEPARENT), Some(TRACEPARENT)];
    let mut results = interleaved(
        "7_middleware_axum",
        &[
            "no_metrics",
            "no_metrics_identity_layer",
            "prom_kit",
            "axum_prometheus",
            "prom_kit_traceparent_exemplars_off",
            "prom_kit_traceparent_exemplars_on",
        ],
    );
    runtime.block_on(async {
        for round in 0..WARM_UP_ROUNDS + ROUNDS {
            for variant in results.order(round) {
                let elapsed = axum_batch(&routers[variant], BATCH, traced[variant]).await;
                results.record(round, variant, elapsed);
            }
        }
    });
    results.finish();
}

/// Sends `count` requests to an actix `app`; the time they took.
async fn actix_batch<S, B>(app: &S, count: u64) -> Duration
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let start = Instant::now();
    actix_gets(app, count).await;
    start.elapsed()
}

/// actix-web without a middleware, with prom-kit's and with `actix-web-prom`, in
/// alternating batches in one actix system.
fn actix(_: &mut Criterion) {
    use actix_web::{App, HttpResponse, test, web};
    let route = || web::get().to(|| async { HttpResponse::Ok().body("a user") });
    let mut results = interleaved(
        "7_middleware_actix",
        &["no_metrics", "prom_kit", "actix_web_prom"],
    );
    actix_web::rt::System::new().block_on(async {
        let plain = test::init_service(App::new().route("/users/{id}", route())).await;
        let registry = Registry::new();
        let metrics = HttpMetrics::builder().build(&registry).unwrap();
        let ours = test::init_service(
            App::new()
                .wrap(prom_kit_actix::RequestMetrics::new(metrics))
                .route("/users/{id}", route()),
        )
        .await;
        let prometheus = actix_web_prom::PrometheusMetricsBuilder::new("api")
            .build()
            .unwrap();
        let peer =
            test::init_service(App::new().wrap(prometheus).route("/users/{id}", route())).await;
        for round in 0..WARM_UP_ROUNDS + ROUNDS {
            for variant in results.order(round) {
                let elapsed = match variant {
                    0 => actix_batch(&plain, BATCH).await,
                    1 => actix_batch(&ours, BATCH).await,
                    _ => actix_batch(&peer, BATCH).await,
                };
                results.record(round, variant, elapsed);
            }
        }
    });
    results.finish();
}

/// Where the middleware's time goes, per request, outside any framework: the two clock
/// reads, the metric updates alone (handles held), and the whole of what the core does
/// (`HttpMetrics::start` + `RequestTracker::finish`: clock, series lookup, updates).
/// The framework glue is the rest of the layer's overhead in the groups above.
fn breakdown(c: &mut Criterion) {
    let mut group = c.benchmark_group("7_middleware_breakdown");
    group.bench_function("clock_reads", |b| {
        b.iter(|| std::hint::black_box(Instant::now()).elapsed().as_secs_f64());
    });
    group.bench_function("clock_reads_quanta", |b| {
        b.iter(|| {
            let start = std::hint::black_box(quanta::Instant::now());
            quanta::Instant::now().duration_since(start).as_secs_f64()
        });
    });
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    let held = registry.clone();
    let requests =
        prom_kit::Family::<prom_kit::Counter>::new(["method", "route", "status"]).unwrap();
    let duration =
        prom_kit::Family::<prom_kit::Histogram>::new(["method", "route", "status"]).unwrap();
    let in_flight = prom_kit::Family::<prom_kit::Gauge>::new(["method", "route"]).unwrap();
    let (counter, histogram, gauge) = (
        requests.labels(&["GET", "/users/{id}", "200"]).unwrap(),
        duration.labels(&["GET", "/users/{id}", "200"]).unwrap(),
        in_flight.labels(&["GET", "/users/{id}"]).unwrap(),
    );
    group.bench_function("updates_only", |b| {
        b.iter(|| {
            gauge.inc();
            counter.inc();
            histogram.observe(std::hint::black_box(0.000_25));
            gauge.dec();
        });
    });
    let info = prom_kit::adapter::RequestInfo {
        method: "GET",
        route: Some("/users/{id}"),
        path: "/users/7",
        request_size: None,
    };
    // A request's start and finish with the route `route()` hands over.
    let mut core = |name: &str, route: &dyn Fn() -> std::borrow::Cow<'static, str>| {
        group.bench_function(name, |b| {
            b.iter(|| {
                let route = route();
                let info = prom_kit::adapter::RequestInfo {
                    route: Some(&route),
                    ..info
                };
                let tracker = metrics
                    .start(std::hint::black_box(&info), Vec::new())
                    .unwrap();
                tracker.finish(200, Some(6));
            });
        });
    };
    // As axum hands it over: the same text for every request.
    core("core_start_finish", &|| {
        std::borrow::Cow::Borrowed("/users/{id}")
    });
    // As actix hands it over: a new `String` per request.
    core("core_start_finish_owned_route", &|| {
        std::borrow::Cow::Owned(String::from("/users/{id}"))
    });
    drop(held);
    group.finish();
}

criterion_group! {
    name = middleware;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = breakdown, axum, actix
}
criterion_main!(middleware);
