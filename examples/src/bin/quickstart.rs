//! The README's quick start, as a complete program: business metrics declared with the
//! derives, request metrics from the axum middleware, both served at `/metrics`.
//!
//! Run it with `cargo run -p prom-kit-examples --bin quickstart` (`LISTEN_ADDR` overrides
//! `127.0.0.1:3000`).

use std::sync::Arc;

use axum::{Router, routing::post};
use prom_kit::http::HttpMetrics;
use prom_kit::scrape::MetricsHandler;
use prom_kit::{Counter, Histogram, LabelSet, LabelValue, Metrics, Registry, TypedFamily};
use prom_kit_axum::{MetricsEndpoint, MetricsLayer};

#[derive(Clone, Copy, LabelValue)]
#[label(rename_all = "snake_case")]
enum Outcome {
    Paid,
    Declined,
}

/// The labels of an order: their names come from the type.
#[derive(LabelSet)]
struct OrderLabels {
    outcome: Outcome,
}

#[derive(Metrics)]
struct ShopMetrics {
    /// Orders placed, by outcome.
    orders: TypedFamily<OrderLabels, Counter>,
    /// Time taken to charge a card.
    #[metric(unit = "seconds")]
    payment_duration: Histogram,
}

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("quickstart: {error}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    // Every field registered in one step: shop_orders_total, shop_payment_duration_seconds.
    let shop = Arc::new(ShopMetrics::register(&registry.with_prefix("shop")?)?);
    // Request count, duration and in-flight requests by method, route and status
    // (http_requests_total, …): names HttpMetrics owns in this registry.
    let http = HttpMetrics::builder()
        .exclude_path("/metrics")
        .build(&registry)?;

    let app = Router::new()
        .route("/orders", post(move || place_order(Arc::clone(&shop))))
        .route_service(
            "/metrics",
            MetricsEndpoint::new(MetricsHandler::new(&registry)?),
        )
        .layer(MetricsLayer::new(http)); // `layer`, not `route_layer`: 404s are counted too

    let address = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    // Timeouts, a connection limit and a bounded shutdown, which `axum::serve` leaves out.
    let server = prom_kit_axum::app_server(app).start(address).await?;
    println!("quickstart listening on http://{}", server.local_addr());
    tokio::signal::ctrl_c().await?;
    server.shutdown().await; // requests in progress get up to 5 s
    Ok(())
}

async fn place_order(shop: Arc<ShopMetrics>) -> &'static str {
    let timer = shop.payment_duration.start_timer(); // observed when dropped
    tokio::time::sleep(std::time::Duration::from_millis(5)).await; // the card is charged
    let outcome = if rand_bit() {
        Outcome::Paid
    } else {
        Outcome::Declined
    };
    drop(timer);
    // Typed labels: no `Result`, no way to pass the wrong number of values.
    shop.orders.with(&OrderLabels { outcome }, Counter::inc);
    match outcome {
        Outcome::Paid => "paid\n",
        Outcome::Declined => "declined\n",
    }
}

/// A coin toss standing in for a payment provider.
fn rand_bit() -> bool {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .is_ok_and(|elapsed| elapsed.subsec_nanos() % 2 == 0)
}
