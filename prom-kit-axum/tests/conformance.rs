//! The adapter conformance suite of `prom-kit-test-support`, run against the axum adapter:
//! the standard app as an axum `Router` under `MetricsLayer`, served by `axum::serve`.

use std::future::IntoFuture;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use prom_kit_axum::{MetricsEndpoint, MetricsLayer};
use prom_kit_test_support::conformance::{
    Adapter, AppSpec, Framework, RunningApp, Runtime, TENANT_HEADER, TRACE_HEADER, exemplar,
    handlers, tenant,
};

/// The axum adapter under the conformance suite.
struct Axum;

impl Adapter for Axum {
    const NAME: &'static str = "axum";
    /// A method a route has no handler for is answered 405; `GET` handlers serve `HEAD`;
    /// hyper drops a request whose client closes the connection; a graceful shutdown
    /// lets every request in flight finish.
    const FRAMEWORK: Framework = Framework {
        unrouted_method: 405,
        head_runs_get: true,
        cancels_on_disconnect: true,
        graceful_stop_may_drop_requests: false,
    };

    fn start(app: AppSpec) -> RunningApp {
        RunningApp::serve(move |listener, stop| {
            let runtime = match app.runtime {
                Runtime::SingleThread => tokio::runtime::Builder::new_current_thread(),
                Runtime::MultiThread => {
                    let mut builder = tokio::runtime::Builder::new_multi_thread();
                    builder.worker_threads(2);
                    builder
                }
            }
            .enable_all()
            .build()?;
            let grace = app.shutdown_timeout;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let graceful = stop.clone();
                let serve = axum::serve(listener, router(app))
                    .with_graceful_shutdown(async move {
                        graceful.requested().await;
                    })
                    .into_future();
                tokio::select! {
                    served = serve => served,
                    () = stop.forced(grace) => Ok(()),
                }
            })
        })
    }
}

/// A header's value as text, if present and visible ASCII.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

/// The standard app as a `Router`.
fn router(app: AppSpec) -> Router {
    let AppSpec {
        metrics,
        handler,
        gate,
        ..
    } = app;
    Router::new()
        .route(
            "/users/{id}",
            get(|| async { handlers::USER }).post(|| async { StatusCode::CREATED }),
        )
        .route(
            "/fails",
            get(|| async { Err::<(), _>((StatusCode::BAD_REQUEST, handlers::FAILS)) }),
        )
        .route("/wait", get(move || handlers::wait(gate.clone())))
        .route(
            "/stream",
            get(|| async { Body::from_stream(handlers::stream()) }),
        )
        .route("/slow", get(handlers::slow))
        .route("/lateness", get(handlers::lateness))
        .route("/health", get(|| async { handlers::HEALTH }))
        .route_service("/metrics", MetricsEndpoint::new(handler))
        .layer(
            MetricsLayer::new(metrics)
                .extra_labels(|parts| vec![tenant(header(&parts.headers, TENANT_HEADER))])
                .exemplar(|parts| exemplar(header(&parts.headers, TRACE_HEADER))),
        )
}

prom_kit_test_support::conformance_suite!(Axum);
