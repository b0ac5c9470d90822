//! Async collectors against a real Prometheus 2.42 with `scrape_timeout: 1s`: an axum app
//! (in this process) has an async collector that, for a while, takes 3 s. Every scrape
//! still succeeds within the timeout (`up` stays 1, `scrape_duration_seconds` below 1 s),
//! the slow collector's family is absent from the late scrapes while the others are
//! there, `prom_kit_scrape_errors_total{cause="collector_timeout"}` counts the misses, and
//! the family comes back once the collector is fast again.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use prom_kit::registry::{AsyncCollector, CollectFuture, collector_fn};
use prom_kit::scrape::{MetricsHandler, ScrapeErrorPolicy};
use prom_kit::{Counter, Descriptor, MetricType, Registry};
use prom_kit_axum::MetricsEndpoint;
use support::{Prometheus, tool};

/// Stock levels asked of a warehouse service, which is slow while `slow` is set.
struct WarehouseStock {
    slow: Arc<AtomicBool>,
    collections: Arc<AtomicU64>,
    descriptor: Descriptor,
}

impl AsyncCollector for WarehouseStock {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async move {
            self.collections.fetch_add(1, Ordering::Relaxed);
            let delay = if self.slow.load(Ordering::Relaxed) {
                Duration::from_secs(3)
            } else {
                Duration::from_millis(20)
            };
            tokio::time::sleep(delay).await;
            let descriptor = self.descriptor.clone();
            Ok(collector_fn(move |out| {
                let mut family = out.family(&descriptor);
                family.gauge(&["berlin"], 120.0)?;
                family.gauge(&["lisbon"], 35.0)?;
                Ok(())
            }))
        })
    }
}

/// Serves `registry` at `/metrics` on a multi-thread runtime of its own; returns the
/// runtime (dropping it stops the server) and the address.
fn serve(registry: &Registry) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let handler = MetricsHandler::builder()
        .on_error(ScrapeErrorPolicy::Continue)
        .build(registry)
        .unwrap();
    let app = Router::new().route_service("/metrics", MetricsEndpoint::new(handler));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await });
    (runtime, address)
}

#[test]
fn prometheus_scrapes_succeed_while_an_async_collector_is_slow() {
    let Some(binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let registry = Registry::new();
    let orders = Counter::new();
    orders.inc_by(5);
    registry.register("orders", "Orders.", orders).unwrap();
    let slow = Arc::new(AtomicBool::new(false));
    let collections = Arc::new(AtomicU64::new(0));
    registry.register_async_collector(WarehouseStock {
        slow: Arc::clone(&slow),
        collections: Arc::clone(&collections),
        descriptor: Descriptor::new("warehouse_stock", "Items in stock.", MetricType::Gauge)
            .unwrap()
            .with_label_names(["site"])
            .unwrap(),
    });
    let (_runtime, address) = serve(&registry);
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: shop\n  static_configs:\n  - targets: ['{address}']\n"
    );
    let prometheus = Prometheus::start(&binary, &config, 16, &[]);
    let stock = "sum(warehouse_stock{job=\"shop\"})";
    prometheus.wait_for(stock, Duration::from_secs(30), |v| v == 155.0);

    slow.store(true, Ordering::Relaxed);
    let timeouts = "prom_kit_scrape_errors_total{job=\"shop\",cause=\"collector_timeout\"}";
    prometheus.wait_for(timeouts, Duration::from_secs(30), |v| v >= 3.0);
    // The latest scrapes left the slow family out (Prometheus marked it stale), kept the
    // others, and finished within the timeout.
    assert!(
        prometheus.query("warehouse_stock{job=\"shop\"}").is_empty(),
        "the slow collector's family is still there"
    );
    assert_eq!(prometheus.value("orders_total{job=\"shop\"}"), Some(5.0));
    assert_eq!(
        prometheus.value("min_over_time(up{job=\"shop\"}[5s])"),
        Some(1.0),
        "a scrape failed while the collector was slow"
    );
    let slowest = prometheus
        .value("max_over_time(scrape_duration_seconds{job=\"shop\"}[5s])")
        .unwrap();
    assert!(slowest < 1.0, "a scrape took {slowest} s");

    slow.store(false, Ordering::Relaxed);
    prometheus.wait_for(stock, Duration::from_secs(30), |v| v == 155.0);
    assert!(collections.load(Ordering::Relaxed) >= 5);
}
