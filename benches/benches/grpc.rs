//! Workload 8: the cost the gRPC metrics layer adds to a unary call, in process (no
//! network): tonic's routes for the echo service answering `promkit.test.Echo/Unary`,
//! without a layer, with `GrpcMetricsLayer` (started, handled, messages both ways, the
//! handling-time histogram), and with native buckets too. Time per call, from the
//! request to the response's trailers.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use prom_kit::grpc::{GrpcMethods, GrpcMetrics, GrpcType};
use prom_kit::metrics::{HistogramConfig, NativeBuckets};
use prom_kit::{Buckets, Registry};
use prom_kit_benches::requests::unary_calls;
use prom_kit_test_support::grpc::{ECHO_SERVICE, Echo, EchoServer};
use prom_kit_tonic::GrpcMetricsLayer;
use tonic::service::Routes;
use tower::{Layer, Service};

/// Makes `iters` unary calls through `service` on a single-threaded runtime; every
/// response is read to its trailers, and must say `grpc-status: 0`.
fn run<S, B>(runtime: &tokio::runtime::Runtime, service: &S, iters: u64) -> Duration
where
    S: Service<http::Request<tonic::body::Body>, Response = http::Response<B>> + Clone,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    runtime.block_on(async {
        let start = Instant::now();
        unary_calls(service, iters).await;
        start.elapsed()
    })
}

fn methods() -> GrpcMethods {
    GrpcMethods::new().method(ECHO_SERVICE, "Unary", GrpcType::Unary)
}

fn grpc(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let routes = Routes::new(EchoServer::new(Echo));
    let mut group = c.benchmark_group("8_grpc_unary");
    group.bench_function("no_layer", |b| {
        b.iter_custom(|iters| run(&runtime, &routes, iters));
    });
    let registry = Registry::new();
    let classic = GrpcMetrics::server()
        .methods(methods())
        .duration_histogram(Buckets::DEFAULT)
        .build(&registry)
        .unwrap();
    let layered = GrpcMetricsLayer::new(classic).layer(routes.clone());
    group.bench_function("prom_kit", |b| {
        b.iter_custom(|iters| run(&runtime, &layered, iters));
    });
    let registry = Registry::new();
    let native = GrpcMetrics::server()
        .methods(methods())
        .duration_histogram(HistogramConfig::both(
            prom_kit::Buckets::DEFAULT,
            NativeBuckets::new(1.1).unwrap(),
        ))
        .build(&registry)
        .unwrap();
    let layered_native = GrpcMetricsLayer::new(native).layer(routes.clone());
    group.bench_function("prom_kit_native", |b| {
        b.iter_custom(|iters| run(&runtime, &layered_native, iters));
    });
    group.finish();
}

criterion_group! {
    name = grpc_benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = grpc
}
criterion_main!(grpc_benches);
