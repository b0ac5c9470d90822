//! A background worker without a web framework: it does periodic work, records metrics,
//! and serves them with prom-kit's standalone server, together with the process and
//! tokio runtime collectors, its build facts and a `target_info`.
//!
//! Its registry takes UTF-8 names (Prometheus 3): the OpenTelemetry-style counter
//! `worker.items.processed` reaches a scraper that negotiates UTF-8 as it is, quoted, and
//! every other scraper as `worker_items_processed`.
//!
//! ```text
//! cargo run -p prom-kit-examples --bin worker        # LISTEN_ADDR, default 127.0.0.1:9100
//! curl http://127.0.0.1:9100/metrics                 # underscores
//! curl -H 'Accept: text/plain;version=1.0.0;escaping=allow-utf-8' http://127.0.0.1:9100/metrics
//! ```

use std::time::{Duration, Instant};

use prom_kit::collectors::{ProcessCollector, TokioCollector};
use prom_kit::{
    Buckets, Counter, Family, Gauge, Histogram, NameValidation, Registry, server::Server,
};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prom_kit_examples::exit_status("worker", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    registry.set_target_info([
        ("service.name", "worker"),
        ("service.version", env!("CARGO_PKG_VERSION")),
    ])?;
    registry.register("worker_build", "Build facts.", prom_kit::build_info!())?;
    registry.register_collector(ProcessCollector::new());
    registry.register_collector(TokioCollector::current()?);
    let batches: Family<Counter> = Family::new(["outcome"])?;
    let batch_duration = Histogram::new(Buckets::exponential(0.001, 2.0, 12)?);
    let queue_depth = Gauge::new();
    let last_success = Gauge::new();
    registry.register(
        "worker_batches",
        "Batches processed, by outcome.",
        batches.clone(),
    )?;
    registry.register_with_unit(
        "worker_batch_duration",
        "Time per batch.",
        "seconds",
        batch_duration.clone(),
    )?;
    registry.register("worker_queue_depth", "Items waiting.", queue_depth.clone())?;
    let items: Family<Counter> = Family::new(["item.kind"])?;
    registry.register("worker.items.processed", "Items processed.", items.clone())?;
    registry.register(
        "worker_last_success_timestamp_seconds",
        "When a batch last succeeded.",
        last_success.clone(),
    )?;

    let server = Server::for_registry(&registry)?
        .start(prom_kit_examples::listen_addr("127.0.0.1:9100"))
        .await?;
    let stop = prom_kit_examples::shutdown_signal()?;
    println!(
        "worker serving metrics on http://{}/metrics",
        server.local_addr()
    );

    let work = async {
        let (ok, failed) = (batches.labels(&["ok"])?, batches.labels(&["failed"])?);
        let (small, large) = (items.labels(&["small"])?, items.labels(&["large"])?);
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        for n in 0u64.. {
            tick.tick().await;
            queue_depth.set((n % 17) as f64);
            small.inc_by(n % 5);
            large.inc_by(n % 2);
            let started = Instant::now();
            tokio::time::sleep(Duration::from_millis(5 + n % 30)).await;
            batch_duration.observe(started.elapsed().as_secs_f64());
            if n % 10 == 9 {
                failed.inc();
            } else {
                ok.inc();
                last_success.set_to_current_time();
            }
        }
        Ok::<(), prom_kit::Error>(())
    };
    tokio::select! {
        result = work => result?,
        () = stop => {},
    }
    server.shutdown().await;
    Ok(())
}
