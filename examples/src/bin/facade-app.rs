//! An axum service whose code records through the `metrics` facade — a handler, and the
//! small `mailer` "library" below, as a dependency would — while the app records with
//! prom-kit: `prom-kit-metrics` makes the facade write into the app's registry, so one
//! `/metrics` serves both.
//!
//! ```text
//! cargo run -p prom-kit-examples --bin facade-app    # LISTEN_ADDR, default 127.0.0.1:3000
//! curl -X POST http://127.0.0.1:3000/send/example.org
//! curl http://127.0.0.1:3000/metrics
//! ```

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use prom_kit::http::HttpMetrics;
use prom_kit::scrape::MetricsHandler;
use prom_kit::{Buckets, Counter, Registry};
use prom_kit_axum::{MetricsEndpoint, MetricsLayer};
use prom_kit_metrics::{Matcher, PromKitRecorder};

/// What a dependency instrumented with the `metrics` facade looks like: it knows
/// nothing of prom-kit.
mod mailer {
    use std::time::{Duration, Instant};

    /// Describes the library's metrics (HELP text and unit), as libraries do at start.
    pub(crate) fn describe() {
        metrics::describe_counter!("mailer.sent", "Mails sent, by recipient domain.");
        metrics::describe_histogram!(
            "mailer.send.duration_seconds",
            metrics::Unit::Seconds,
            "Time to hand a mail to the relay."
        );
    }

    /// "Sends" a mail: waits as long as a relay would, and records it.
    pub(crate) async fn send(domain: &str) {
        let start = Instant::now();
        tokio::time::sleep(Duration::from_millis(20)).await;
        metrics::counter!("mailer.sent", "domain" => domain.to_owned()).increment(1);
        metrics::histogram!("mailer.send.duration_seconds").record(start.elapsed().as_secs_f64());
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prom_kit_examples::exit_status("facade-app", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    // Everything recorded through the facade lands in `registry`; a domain label from
    // user input is bounded (past 100 domains, one overflow series).
    let buckets = Buckets::exponential(0.001, 2.0, 14)?;
    PromKitRecorder::builder(&registry)
        .histogram(Matcher::Suffix("_seconds".into()), buckets)
        .max_series(Matcher::Prefix("mailer.".into()), 100)
        .install()?;
    mailer::describe();
    // The app's own metrics, with prom-kit.
    let sends = Counter::new();
    registry.register("app_sends", "Send requests accepted.", sends.clone())?;
    let http = HttpMetrics::builder()
        .exclude_path("/metrics")
        .build(&registry)?;

    let app = Router::new()
        .route("/send/{domain}", post(send))
        .route_service(
            "/metrics",
            MetricsEndpoint::new(MetricsHandler::new(&registry)?),
        )
        .layer(MetricsLayer::new(http))
        .with_state(sends);
    let stop = prom_kit_examples::shutdown_signal()?;
    let server = prom_kit_axum::app_server(app)
        .shutdown_grace(prom_kit_examples::shutdown_grace())
        .start(prom_kit_examples::listen_addr("127.0.0.1:3000"))
        .await?;
    println!("facade-app listening on http://{}", server.local_addr());
    stop.await;
    server.shutdown().await;
    Ok(())
}

async fn send(State(sends): State<Counter>, Path(domain): Path<String>) -> &'static str {
    sends.inc();
    // A handler may record through the facade too.
    metrics::counter!("app.handled", "handler" => "send").increment(1);
    mailer::send(&domain).await;
    "sent\n"
}
