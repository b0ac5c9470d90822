//! The adapter conformance suite of `prom-kit-test-support`, run against the actix-web
//! adapter: the standard app as an actix `App` wrapped in `RequestMetrics`, served by a real
//! `HttpServer` in a `System` of its own (as actix-server's own `TestServer` does).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpResponse, HttpServer, web};
use prom_kit::http::HttpMetrics;
use prom_kit::scrape::MetricsHandler;
use prom_kit_actix::{RequestMetrics, metrics_resource};
use prom_kit_test_support::conformance::{
    Adapter, AppSpec, Framework, Gate, RunningApp, Runtime, Stop, TENANT_HEADER, TRACE_HEADER,
    exemplar, handlers, tenant,
};

/// The actix-web adapter under the conformance suite.
struct Actix;

impl Adapter for Actix {
    const NAME: &'static str = "actix";
    /// `App::route` with a method guard makes a resource that only that method enters: a
    /// request no route's guard admits is not found (`HEAD` on a `GET` route included).
    /// actix-http lets a handler run on after its client has closed the connection
    /// (actix-web issues #1313, #3462). actix-server 2.6 may end a worker before it reads
    /// a graceful stop, dropping its requests in flight (actix/actix-net#945; about one
    /// graceful stop in 40 here).
    const FRAMEWORK: Framework = Framework {
        unrouted_method: 404,
        head_runs_get: false,
        cancels_on_disconnect: false,
        graceful_stop_may_drop_requests: true,
    };

    fn start(app: AppSpec) -> RunningApp {
        RunningApp::serve(move |listener, stop| {
            let workers = match app.runtime {
                Runtime::SingleThread => 1,
                Runtime::MultiThread => 2,
            };
            let grace = app.shutdown_timeout.as_secs();
            let AppSpec {
                metrics,
                handler,
                gate,
                ..
            } = app;
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    self::app(metrics.clone(), handler.clone(), gate.clone())
                })
                .workers(workers)
                .disable_signals()
                .shutdown_timeout(grace)
                .listen(listener)?
                .run();
                let handle = server.handle();
                actix_web::rt::spawn(async move {
                    let graceful = stop.requested().await == Stop::Graceful;
                    handle.stop(graceful).await;
                });
                server.await
            })
        })
    }
}

/// A header's value as text, if present and visible ASCII.
fn header<'a>(request: &'a ServiceRequest, name: &str) -> Option<&'a str> {
    request.headers().get(name)?.to_str().ok()
}

/// The standard app as an `App` (built once per worker).
fn app(
    metrics: HttpMetrics,
    handler: MetricsHandler,
    gate: Gate,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(
            RequestMetrics::new(metrics)
                .extra_labels(|request| vec![tenant(header(request, TENANT_HEADER))])
                .exemplar(|request| exemplar(header(request, TRACE_HEADER))),
        )
        .service(metrics_resource("/metrics", handler))
        .route(
            "/users/{id}",
            web::get().to(|| async { HttpResponse::Ok().body(handlers::USER) }),
        )
        .route(
            "/users/{id}",
            web::post().to(|| async { HttpResponse::Created().finish() }),
        )
        .route(
            "/fails",
            web::get().to(|| async {
                Err::<HttpResponse, _>(actix_web::error::ErrorBadRequest(handlers::FAILS))
            }),
        )
        .route("/wait", web::get().to(move || handlers::wait(gate.clone())))
        .route(
            "/stream",
            web::get().to(|| async { HttpResponse::Ok().streaming(handlers::stream()) }),
        )
        .route("/slow", web::get().to(handlers::slow))
        .route("/lateness", web::get().to(handlers::lateness))
        .route(
            "/health",
            web::get().to(|| async { HttpResponse::Ok().body(handlers::HEALTH) }),
        )
}

prom_kit_test_support::conformance_suite!(Actix);
