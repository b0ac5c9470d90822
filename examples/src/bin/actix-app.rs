//! An actix-web service exposing business gauges: the Rust counterpart of the flask
//! example, with `face_search_metric{method,path,project}` and two status gauges, plus
//! prom-kit's request metrics middleware and `/metrics`.
//!
//! ```text
//! cargo run -p prom-kit-examples --bin actix-app     # LISTEN_ADDR, default 127.0.0.1:3001
//! curl -X POST http://127.0.0.1:3001/vesionbook/v1.0/user/search
//! curl http://127.0.0.1:3001/metrics
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use prom_kit::collectors::ProcessCollector;
use prom_kit::http::HttpMetrics;
use prom_kit::metrics::NativeBuckets;
use prom_kit::scrape::MetricsHandler;
use prom_kit::{Buckets, Family, Gauge, GaugeFn, HistogramConfig, Registry};
use prom_kit_actix::{RequestMetrics, metrics_resource};

const PROJECT: &str = "vesionbook";

/// The business gauges, shared with the handlers.
#[derive(Clone)]
struct FaceSearch {
    calls: Family<Gauge>,
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    prom_kit_examples::exit_status("actix-app", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new());
    let face_search = FaceSearch {
        calls: Family::new(["method", "path", "project"])?,
    };
    registry.register(
        "face_search_metric",
        "face search metrics",
        face_search.calls.clone(),
    )?;

    // The flask app set these two from its dependencies' health at every scrape; here a
    // background check keeps the state and the gauges read it at scrape time.
    let mux_up = Arc::new(AtomicBool::new(true));
    let manage_up = Arc::new(AtomicBool::new(true));
    let (mux, manage) = (Arc::clone(&mux_up), Arc::clone(&manage_up));
    registry.register(
        "mux_status",
        "Whether the mux dependency answers (1) or not (0).",
        GaugeFn::new(move || f64::from(u8::from(mux.load(Ordering::Relaxed)))),
    )?;
    registry.register(
        "manage_status",
        "Whether the management dependency answers (1) or not (0).",
        GaugeFn::new(move || f64::from(u8::from(manage.load(Ordering::Relaxed)))),
    )?;
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            // A real service would probe its dependencies here.
            mux_up.store(true, Ordering::Relaxed);
            manage_up.store(true, Ordering::Relaxed);
        }
    });

    // Native buckets too (stored natively by a Prometheus with native histograms on).
    let http = HttpMetrics::builder()
        .exclude_path("/metrics")
        .duration_histogram(HistogramConfig::both(
            Buckets::DEFAULT,
            NativeBuckets::new(1.1)?,
        ))
        .build(&registry)?;
    let handler = MetricsHandler::new(&registry)?;
    let address = prom_kit_examples::listen_addr("127.0.0.1:3001");
    let server = HttpServer::new(move || {
        App::new()
            .wrap(RequestMetrics::new(http.clone()))
            .app_data(web::Data::new(face_search.clone()))
            .service(metrics_resource("/metrics", handler.clone()))
            .route("/vesionbook/v1.0/user/feature", web::post().to(search))
            .route("/vesionbook/v1.0/user/search", web::post().to(search))
            .route(
                "/",
                web::get().to(|| async { HttpResponse::Ok().body("hello from actix-app\n") }),
            )
    })
    .workers(2)
    // Its own signal handling starts with the server's first poll, after the address is
    // announced; ours is installed before.
    .disable_signals()
    .bind(&address)?;
    let stop = prom_kit_examples::shutdown_signal()?;
    for bound in server.addrs() {
        println!("actix-app listening on http://{bound}");
    }
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        stop.await;
        handle.stop(true).await;
    });
    server.await?;
    Ok(())
}

/// Counts a face search call under its method and route.
///
/// The route's template, not `request.path()`: actix routes the percent-decoded path, so
/// `/vesionbook/v1.0/user/%73earch` reaches this handler too, and a raw path label would
/// make a new series of every spelling a client sends.
async fn search(request: HttpRequest, face_search: web::Data<FaceSearch>) -> HttpResponse {
    let route = request.match_pattern();
    let route = route.as_deref().unwrap_or("<unmatched>");
    match face_search
        .calls
        .labels(&[request.method().as_str(), route, PROJECT])
    {
        Ok(gauge) => {
            gauge.inc();
            HttpResponse::Ok().body("searched\n")
        }
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
