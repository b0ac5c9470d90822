//! The standard conformance app, described once for every framework ([`AppSpec`]), and
//! what frameworks do differently on their own ([`Framework`]).

use std::sync::Arc;
use std::time::Duration;

use prom_kit::http::{HttpMetrics, NamingScheme};
use prom_kit::scrape::{MetricsHandler, MetricsHandlerBuilder, ScrapeErrorPolicy};
use prom_kit::{NameValidation, Registry};
use tokio::sync::Notify;

/// The request header whose value is the `tenant` label.
pub const TENANT_HEADER: &str = "x-tenant";
/// The request header whose value is the `trace_id` exemplar label.
pub const TRACE_HEADER: &str = "x-trace-id";

/// The header value on which the app's hooks ([`tenant`], [`exemplar`]) panic, as a
/// buggy hook might.
pub const PANICKING_HOOK: &str = "panic";

/// The `tenant` label of a request, from its [`TENANT_HEADER`] (`None` when absent or
/// not visible ASCII): the adapter's extra-labels hook.
///
/// # Panics
///
/// On the header value [`PANICKING_HOOK`], for the cases that check a hook's panic is
/// contained.
pub fn tenant(header: Option<&str>) -> String {
    let tenant = header.unwrap_or("none");
    assert_ne!(tenant, PANICKING_HOOK, "the tenant hook panics");
    tenant.to_owned()
}

/// The exemplar of a request, from its [`TRACE_HEADER`]: the adapter's exemplar hook.
/// It decodes `%00` to a NUL, as a client-controlled decoder might, so that a request
/// can hand the registry an exemplar it must refuse.
///
/// # Panics
///
/// On the header value [`PANICKING_HOOK`], as [`tenant`].
pub fn exemplar(header: Option<&str>) -> Option<Vec<(String, String)>> {
    let trace = header?;
    assert_ne!(trace, PANICKING_HOOK, "the exemplar hook panics");
    Some(vec![("trace_id".to_owned(), trace.replace("%00", "\0"))])
}

/// How many threads serve the app's requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// One thread runs the server and every request's task: a tokio current-thread
    /// runtime (axum), one worker (actix-web).
    SingleThread,
    /// Two threads share the requests: a tokio multi-thread runtime with two workers
    /// (axum), two workers (actix-web).
    MultiThread,
}

/// What a framework does on its own, under any middleware, where the frameworks differ:
/// the cases expect each framework's own answer.
#[derive(Clone, Copy, Debug)]
pub struct Framework {
    /// The status of a request to a route's path with a method the route has no handler
    /// for (axum: 405; actix-web `App::route` with a method guard: 404). The middleware
    /// still labels it with the route's template.
    pub unrouted_method: u16,
    /// Whether a `HEAD` request runs the `GET` handler (axum) rather than being such a
    /// request (actix-web).
    pub head_runs_get: bool,
    /// Whether the server drops a request whose client closes the connection while the
    /// handler runs (hyper, under axum), or lets the handler run to completion unaware
    /// (actix-http, which allows half-closed connections by default).
    pub cancels_on_disconnect: bool,
    /// Whether a graceful stop may drop requests in flight, a known bug of the framework:
    /// actix-server up to 2.8 (2.6 is the newest for this workspace's Rust 1.85) can end a
    /// worker on its closed connection channel before the worker reads the stop command,
    /// dropping that worker's requests (actix/actix-net#945, fixed after 2.8).
    pub graceful_stop_may_drop_requests: bool,
}

/// The gate of the `/wait` route: requests wait on it until the test opens it.
#[derive(Clone, Debug, Default)]
pub struct Gate(Arc<Notify>);

impl Gate {
    /// Waits until the gate is opened (once per [`Gate::open`]).
    pub async fn wait(&self) {
        self.0.notified().await;
    }

    /// Lets one waiting request through (or the next one to come, if none waits).
    pub fn open(&self) {
        self.0.notify_one();
    }
}

/// The standard app, as the suite asks an adapter to serve it:
///
/// | Route | Method | Answer |
/// |---|---|---|
/// | `/metrics` | `GET`, `HEAD` | [`AppSpec::handler`] (the adapter's metrics endpoint) |
/// | `/users/{id}` | `GET` | 200 [`USER`](super::handlers::USER) |
/// | `/users/{id}` | `POST` | 201, empty |
/// | `/fails` | `GET` | the handler fails: 400 [`FAILS`](super::handlers::FAILS) |
/// | `/wait` | `GET` | 200 [`RELEASED`](super::handlers::RELEASED) once [`AppSpec::gate`] opens |
/// | `/stream` | `GET` | 200, [`stream`](super::handlers::stream)ed: 3 × 1000 bytes, 100 ms apart |
/// | `/slow` | `GET` | 200 [`DONE`](super::handlers::DONE) after [`SLOW`](super::handlers::SLOW) |
/// | `/lateness` | `GET` | 200, [`lateness`](super::handlers::lateness) of its own runtime |
/// | `/health` | `GET` | 200 [`HEALTH`](super::handlers::HEALTH) |
///
/// Every route but `/metrics` goes through the adapter's middleware, recording into
/// [`AppSpec::metrics`] with the `tenant` label from [`tenant`] and exemplars from
/// [`exemplar`]. Other paths are the router's own 404; other methods on a route, the
/// framework's [`Framework::unrouted_method`].
#[derive(Debug)]
pub struct AppSpec {
    /// Where everything is recorded; the cases read it directly.
    pub registry: Registry,
    /// The request metrics the adapter's middleware records into: `/metrics` excluded,
    /// body sizes on, the extra label `tenant`, trace exemplars on (one per series an
    /// hour).
    pub metrics: HttpMetrics,
    /// The handler of `/metrics` on [`AppSpec::registry`].
    pub handler: MetricsHandler,
    /// The gate of `/wait`.
    pub gate: Gate,
    /// How many threads serve requests.
    pub runtime: Runtime,
    /// How long a graceful stop waits for requests in flight before it stops the server
    /// anyway (whole seconds).
    pub shutdown_timeout: Duration,
}

impl AppSpec {
    /// The standard app on a new registry, served on `runtime`.
    pub fn new(runtime: Runtime) -> Self {
        Self::with_handler(runtime, |handler| handler)
    }

    /// The standard app with `/metrics` limited to `limit` concurrent scrapes (503
    /// beyond).
    pub fn with_scrape_limit(runtime: Runtime, limit: usize) -> Self {
        Self::with_handler(runtime, |handler| handler.max_concurrent_scrapes(limit))
    }

    /// The standard app with `/metrics` serving what it can when a collector fails or
    /// misses its deadline ([`ScrapeErrorPolicy::Continue`]).
    pub fn lenient(runtime: Runtime) -> Self {
        Self::with_handler(runtime, |handler| {
            handler.on_error(ScrapeErrorPolicy::Continue)
        })
    }

    /// The standard app on a registry that takes UTF-8 names, its request metrics under
    /// the OpenTelemetry conventions' dotted names.
    ///
    /// # Panics
    ///
    /// If the request metrics or the metrics handler cannot be built.
    pub fn utf8(runtime: Runtime) -> Self {
        let registry = Registry::with_name_validation(NameValidation::Utf8);
        let metrics = HttpMetrics::builder()
            .naming(NamingScheme::OpenTelemetryUtf8)
            .exclude_path("/metrics")
            .extra_labels(["tenant"])
            .build(&registry)
            .expect("the request metrics register on a new registry");
        let handler = MetricsHandler::new(&registry)
            .expect("the handler's own metrics register on a new registry");
        Self::assemble(runtime, registry, metrics, handler)
    }

    /// The standard app, its metrics handler configured by `configure`.
    ///
    /// # Panics
    ///
    /// If the request metrics or the metrics handler cannot be built: nothing else is
    /// registered in the new registry.
    fn with_handler(
        runtime: Runtime,
        configure: impl FnOnce(MetricsHandlerBuilder) -> MetricsHandlerBuilder,
    ) -> Self {
        let registry = Registry::new();
        let metrics = HttpMetrics::builder()
            .exclude_path("/metrics")
            .body_sizes(true)
            .extra_labels(["tenant"])
            .trace_exemplars(true)
            // A series keeps its first trace for the whole case, however slow the machine.
            .trace_exemplar_interval(Duration::from_secs(3600))
            .build(&registry)
            .expect("the request metrics register on a new registry");
        let handler = configure(MetricsHandler::builder())
            .build(&registry)
            .expect("the handler's own metrics register on a new registry");
        Self::assemble(runtime, registry, metrics, handler)
    }

    /// The app around its registry, metrics and handler, with a closed gate and a 5 s
    /// shutdown timeout.
    fn assemble(
        runtime: Runtime,
        registry: Registry,
        metrics: HttpMetrics,
        handler: MetricsHandler,
    ) -> Self {
        Self {
            registry,
            metrics,
            handler,
            gate: Gate::default(),
            runtime,
            shutdown_timeout: Duration::from_secs(5),
        }
    }
}
