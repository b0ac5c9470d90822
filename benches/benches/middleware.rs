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
    let plain = axum_router();
    group.bench_function("no_metrics", |b| {
        b.iter_custom(|iters| run_axum(&runtime, &plain, iters));
    });
    let registry = Registry::new();
    let ours = axum_router().layer(prom_kit_axum::MetricsLayer::new(
        HttpMetrics::builder().build(&registry).unwrap(),
    ));
    group.bench_function("prom_kit", |b| {
        b.iter_custom(|iters| run_axum(&runtime, &ours, iters));
    });
    // axum-prometheus spawns its recorder's upkeep task, so it needs the runtime.
    let _inside = runtime.enter();
    let (layer, _handle) = axum_prometheus::PrometheusMetricLayer::pair();
    let peer = axum_router().layer(layer);
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
                measure!(App::new().wrap(prom_kit_actix::Metrics::new(metrics)))
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

criterion_group! {
    name = middleware;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = axum, actix
}
criterion_main!(middleware);
