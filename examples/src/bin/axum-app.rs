//! An axum service that counts its requests: the Rust counterpart of the aiohttp example
//! (`requests_total`), plus prom-kit's request metrics middleware and `/metrics`.
//!
//! It is served by `prom_kit_axum::app_server` rather than `axum::serve`: connections
//! get a header-read timeout and an idle timeout, and on SIGTERM or Ctrl-C requests in
//! progress get a grace period (`SHUTDOWN_GRACE`, 5 s) instead of an unbounded wait.
//!
//! ```text
//! cargo run -p prom-kit-examples --bin axum-app      # LISTEN_ADDR, default 127.0.0.1:3000
//! curl http://127.0.0.1:3000/users/7
//! curl http://127.0.0.1:3000/metrics
//! ```

use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderName};
use axum::routing::{get, post};
use prom_kit::collectors::ProcessCollector;
use prom_kit::http::HttpMetrics;
use prom_kit::metrics::NativeBuckets;
use prom_kit::scrape::MetricsHandler;
use prom_kit::{
    Buckets, Counter, HistogramConfig, LabelSet, LabelValue, Metrics, Registry, TypedFamily,
};
use prom_kit_axum::{MetricsEndpoint, MetricsLayer};

/// The products on sale: a closed set, so the `product` label stays bounded.
#[derive(Clone, Copy, LabelValue)]
#[label(rename_all = "lowercase")]
enum Product {
    Book,
    Pen,
    Lamp,
}

impl Product {
    /// The product a path segment names, if it is one.
    fn parse(text: &str) -> Option<Self> {
        [Self::Book, Self::Pen, Self::Lamp]
            .into_iter()
            .find(|product| prom_kit::labels::LabelValue::as_label_value(product) == text)
    }
}

/// The labels of an order.
#[derive(LabelSet)]
struct OrderLabels {
    product: Product,
}

/// The business metrics the handlers update.
#[derive(Clone, Metrics)]
struct AppMetrics {
    /// Requests handled by the app.
    requests: Counter,
    /// Orders placed, by product.
    orders: TypedFamily<OrderLabels, Counter>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prom_kit_examples::exit_status("axum-app", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new());
    let app_metrics = AppMetrics::register(&registry)?;
    // Native buckets too: a Prometheus with native histograms enabled stores the
    // duration natively; text scrapers still get the classic buckets.
    let http = HttpMetrics::builder()
        .exclude_path("/metrics")
        .exclude_path("/health")
        .duration_histogram(HistogramConfig::both(
            Buckets::DEFAULT,
            NativeBuckets::new(1.1)?,
        ))
        // A request of a sampled trace (W3C `traceparent`) links its count and
        // duration to that trace, at most once per route series every 100 ms.
        .trace_exemplars(true)
        .build(&registry)?;

    let app = Router::new()
        .route("/", get(|| async { "hello from axum-app\n" }))
        .route("/users/{id}", get(user))
        .route("/orders/{product}", post(order))
        .route("/slow", get(slow))
        .route("/health", get(|| async { "ok\n" }))
        .route_service(
            "/metrics",
            MetricsEndpoint::new(MetricsHandler::new(&registry)?),
        )
        // Requests that carry a trace id get it attached to their count and duration as
        // an exemplar (visible in OpenMetrics/protobuf scrapes).
        .layer(MetricsLayer::new(http).exemplar(|parts| {
            let trace = parts.headers.get("x-trace-id")?.to_str().ok()?;
            Some(vec![("trace_id".to_owned(), trace.to_owned())])
        }))
        .with_state(app_metrics);

    let stop = prom_kit_examples::shutdown_signal()?;
    // Header-read and idle timeouts, a connection limit, and a bounded graceful shutdown.
    let server = prom_kit_axum::app_server(app)
        .shutdown_grace(prom_kit_examples::shutdown_grace())
        .start(prom_kit_examples::listen_addr("127.0.0.1:3000"))
        .await?;
    println!("axum-app listening on http://{}", server.local_addr());
    stop.await;
    server.shutdown().await;
    Ok(())
}

async fn user(
    State(metrics): State<AppMetrics>,
    Path(id): Path<u64>,
) -> ([(HeaderName, &'static str); 1], String) {
    metrics.requests.inc();
    (
        [(CONTENT_TYPE, "application/json")],
        format!("{{\"id\":{id}}}\n"),
    )
}

async fn order(State(metrics): State<AppMetrics>, Path(product): Path<String>) -> StatusCode {
    metrics.requests.inc();
    // Products come from a small catalogue; anything else is refused, so the label
    // stays bounded (and the typed lookup cannot fail).
    let Some(product) = Product::parse(&product) else {
        return StatusCode::NOT_FOUND;
    };
    metrics.orders.with(&OrderLabels { product }, Counter::inc);
    StatusCode::CREATED
}

async fn slow(State(metrics): State<AppMetrics>) -> &'static str {
    metrics.requests.inc();
    tokio::time::sleep(Duration::from_millis(300)).await;
    "slow response\n"
}
