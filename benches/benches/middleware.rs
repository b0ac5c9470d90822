//! Workload 7: the cost a metrics middleware adds to a request, in process (no network):
//! an axum router and an actix-web app answering `GET /users/{id}`, without a metrics
//! layer, with prom-kit's, and with the peer middleware (`axum-prometheus`,
//! `actix-web-prom`). Time per request, body included.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use prom_kit::Registry;
use prom_kit::http::HttpMetrics;
use tower::ServiceExt;

fn axum_router() -> Router {
    Router::new().route("/users/{id}", get(|| async { "a user" }))
}

/// The router finalized once, as `axum::serve` does (`with_state(())`), so that a
/// request does not convert its routes again.
fn finalized(router: Router) -> Router {
    router.with_state(())
}

/// Sends `iters` requests through `router` on a single-threaded runtime.
fn run_axum(runtime: &tokio::runtime::Runtime, router: &Router, iters: u64) -> Duration {
    runtime.block_on(async {
        let start = Instant::now();
        for i in 0..iters {
            let request = axum::http::Request::get(format!("/users/{}", i % 100))
                .body(Body::empty())
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            let body = response.into_body().collect().await.unwrap();
            std::hint::black_box(body);
        }
        start.elapsed()
    })
}

fn axum(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("7_middleware_axum");
    let plain = finalized(axum_router());
    group.bench_function("no_metrics", |b| {
        b.iter_custom(|iters| run_axum(&runtime, &plain, iters));
    });
    // What axum itself charges for any layer: `Router::layer` re-wraps every route in a
    // new boxed service, even for a layer that does nothing.
    let identity = finalized(axum_router().layer(tower::layer::util::Identity::new()));
    group.bench_function("no_metrics_identity_layer", |b| {
        b.iter_custom(|iters| run_axum(&runtime, &identity, iters));
    });
    let registry = Registry::new();
    let ours = finalized(axum_router().layer(prom_kit_axum::MetricsLayer::new(
        HttpMetrics::builder().build(&registry).unwrap(),
    )));
    group.bench_function("prom_kit", |b| {
        b.iter_custom(|iters| run_axum(&runtime, &ours, iters));
    });
    // axum-prometheus spawns its recorder's upkeep task, so it needs the runtime.
    let _inside = runtime.enter();
    let (layer, _handle) = axum_prometheus::PrometheusMetricLayer::pair();
    let peer = finalized(axum_router().layer(layer));
    group.bench_function("axum_prometheus", |b| {
        b.iter_custom(|iters| run_axum(&runtime, &peer, iters));
    });
    group.finish();
}

/// Builds an actix app with `wrap` applied by `variant` and sends `iters` requests.
fn run_actix(variant: &'static str, iters: u64) -> Duration {
    actix_web::rt::System::new().block_on(async move {
        use actix_web::{App, HttpResponse, test, web};
        let route = || web::get().to(|| async { HttpResponse::Ok().body("a user") });
        let call = |i: u64| {
            test::TestRequest::get()
                .uri(&format!("/users/{}", i % 100))
                .to_request()
        };
        macro_rules! measure {
            ($app:expr) => {{
                let app = test::init_service($app.route("/users/{id}", route())).await;
                let start = Instant::now();
                for i in 0..iters {
                    let response = test::call_service(&app, call(i)).await;
                    std::hint::black_box(test::read_body(response).await);
                }
                start.elapsed()
            }};
        }
        match variant {
            "prom_kit" => {
                let registry = Registry::new();
                let metrics = HttpMetrics::builder().build(&registry).unwrap();
                measure!(App::new().wrap(prom_kit_actix::RequestMetrics::new(metrics)))
            }
            "actix_web_prom" => {
                let prometheus = actix_web_prom::PrometheusMetricsBuilder::new("api")
                    .build()
                    .unwrap();
                measure!(App::new().wrap(prometheus))
            }
            _ => measure!(App::new()),
        }
    })
}

fn actix(c: &mut Criterion) {
    let mut group = c.benchmark_group("7_middleware_actix");
    for variant in ["no_metrics", "prom_kit", "actix_web_prom"] {
        group.bench_function(variant, |b| {
            b.iter_custom(|iters| run_actix(variant, iters));
        });
    }
    group.finish();
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
