//! The README's axum and actix-web snippets, as written there, serve requests and
//! metrics; its quick start is the `quickstart` program, word for word, and serves both
//! metric sets.

mod support;

use std::net::SocketAddr;

use support::{request, start_app};

/// The README's quick start shows `examples/src/bin/quickstart.rs` whole: the program
/// the next test runs is the one a newcomer copies.
#[test]
fn the_readme_quick_start_is_the_quickstart_program() {
    let readme = include_str!("../../README.md");
    let program = include_str!("../src/bin/quickstart.rs");
    let block = format!("```rust\n{program}```\n");
    assert_eq!(
        readme.matches(&block).count(),
        1,
        "README.md must show examples/src/bin/quickstart.rs verbatim in one ```rust block"
    );
}

/// The README's facade snippet is `facade-app`'s code: each of its code lines is one of
/// the program's (which the Prometheus end-to-end test runs).
#[test]
fn the_readme_facade_snippet_is_the_facade_app_code() {
    let readme = include_str!("../../README.md");
    let program: Vec<&str> = include_str!("../src/bin/facade-app.rs")
        .lines()
        .map(str::trim)
        .collect();
    let section = readme
        .split("## Libraries instrumented with the `metrics` facade")
        .nth(1)
        .expect("the README's facade section");
    let snippet = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("its snippet");
    assert!(
        snippet.lines().count() < 20,
        "the section shows it in under 20 lines"
    );
    for line in snippet.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        assert!(program.contains(&line), "{line:?} is not facade-app's");
    }
}

/// The quick start serves its business metrics and the request metrics side by side
/// (no name taken twice), and the request metrics count unrouted requests too.
#[test]
fn the_quickstart_program_serves_both_metric_sets() {
    let (_app, address) = start_app(env!("CARGO_BIN_EXE_quickstart"));
    for _ in 0..3 {
        let response = request(address, "POST", "/orders", &[]);
        assert_eq!(response.status, 200);
        assert!(["paid\n", "declined\n"].contains(&response.text().as_str()));
    }
    assert_eq!(request(address, "GET", "/nowhere", &[]).status, 404);
    let metrics = request(address, "GET", "/metrics", &[]).text();
    let value = |prefix: &str| -> f64 {
        metrics
            .lines()
            .filter(|line| line.starts_with(prefix))
            .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum()
    };
    assert_eq!(value("shop_orders_total{outcome="), 3.0, "{metrics}");
    assert_eq!(
        value("shop_payment_duration_seconds_count "),
        3.0,
        "{metrics}"
    );
    assert_eq!(
        value("http_requests_total{method=\"POST\",route=\"/orders\",status=\"200\"}"),
        3.0,
        "{metrics}"
    );
    assert_eq!(
        value("http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\"}"),
        1.0,
        "{metrics}"
    );
    assert!(!metrics.contains("route=\"/metrics\""), "{metrics}");
}

fn check_served(address: SocketAddr) {
    assert_eq!(request(address, "GET", "/users/7", &[]).status, 200);
    let metrics = request(address, "GET", "/metrics", &[]).text();
    assert!(
        metrics.contains(
            "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"} 1\n"
        ),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_axum_snippet() -> Result<(), Box<dyn std::error::Error>> {
    use axum::{Router, routing::get};
    use prom_kit::Registry;
    use prom_kit::http::HttpMetrics;
    use prom_kit::scrape::MetricsHandler;
    use prom_kit_axum::{MetricsEndpoint, MetricsLayer};

    let registry = Registry::new();
    let http = HttpMetrics::builder()
        .exclude_path("/metrics")
        .build(&registry)?;
    let app: Router = Router::new()
        .route("/users/{id}", get(|| async { "a user" }))
        .route_service(
            "/metrics",
            MetricsEndpoint::new(MetricsHandler::new(&registry)?),
        )
        .layer(MetricsLayer::new(http));
    // prom-kit-axum's `server` feature: timeouts, a connection limit and a bounded
    // shutdown, which `axum::serve` leaves out.
    let server = prom_kit_axum::app_server(app).start("127.0.0.1:0").await?;
    let address = server.local_addr();
    tokio::task::spawn_blocking(move || check_served(address)).await?;
    // The README waits for Ctrl-C here.
    server.shutdown().await; // requests in progress get up to 5 s
    Ok(())
}

#[actix_web::test]
async fn readme_actix_snippet() -> Result<(), Box<dyn std::error::Error>> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use prom_kit::Registry;
    use prom_kit::http::HttpMetrics;
    use prom_kit::scrape::MetricsHandler;
    use prom_kit_actix::{RequestMetrics, metrics_resource};

    let registry = Registry::new();
    let http = HttpMetrics::builder()
        .exclude_path("/metrics")
        .build(&registry)?;
    let handler = MetricsHandler::new(&registry)?;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(RequestMetrics::new(http.clone()))
            .service(metrics_resource("/metrics", handler.clone()))
            .route(
                "/users/{id}",
                web::get().to(|| async { HttpResponse::Ok().body("a user") }),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")?;
    let address = server.addrs()[0];
    let running = server.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);
    actix_web::rt::task::spawn_blocking(move || check_served(address)).await?;
    handle.stop(true).await;
    Ok(())
}

#[test]
fn readme_worker_and_batch_snippets() -> Result<(), Box<dyn std::error::Error>> {
    use prom_kit::collectors::ProcessCollector;
    use prom_kit::push::PushClient;
    use prom_kit::{Counter, Gauge, Registry};

    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new());
    let jobs = Counter::new();
    registry.register("jobs", "Jobs done.", jobs.clone())?;
    let server = prom_kit::server::start_http_server("127.0.0.1:0", &registry)?;
    jobs.inc();
    let text = request(server.local_addr(), "GET", "/metrics", &[]).text();
    assert!(
        text.contains("jobs_total 1\n") && text.contains("process_open_fds "),
        "{text}"
    );
    server.shutdown();

    let registry = Registry::new();
    let records = Gauge::new();
    registry.register(
        "nightly_last_run_records",
        "Records the last run processed.",
        records.clone(),
    )?;
    records.set(1234.0);
    // Nothing listens on port 9: the push is built as in the README and fails to connect.
    let client = PushClient::builder("http://127.0.0.1:9", "nightly")
        .instance_from_hostname()
        .build()?;
    let error = client.push_blocking(&registry).unwrap_err();
    assert_eq!(error.kind(), prom_kit::ErrorKind::Transport);
    Ok(())
}

#[test]
fn readme_native_histogram_snippet() -> Result<(), Box<dyn std::error::Error>> {
    use prom_kit::metrics::{HistogramConfig, NativeBuckets};
    use prom_kit::{Buckets, Histogram};

    let latency = Histogram::with_config(HistogramConfig::both(
        Buckets::DEFAULT,
        NativeBuckets::new(1.1)?,
    ));
    latency.observe_with_exemplar(0.042, &[("trace_id", "4bf92f3577b34da6")])?;
    let registry = prom_kit::Registry::new();
    registry.register("latency_seconds", "Latency.", latency)?;
    let body = String::from_utf8(registry.render(prom_kit::Format::OpenMetrics)?)?;
    assert!(body.contains(
        "latency_seconds_bucket{le=\"0.05\"} 1 # {trace_id=\"4bf92f3577b34da6\"} 0.042 "
    ));
    Ok(())
}

#[test]
fn readme_utf8_snippet() -> Result<(), Box<dyn std::error::Error>> {
    use prom_kit::{Counter, Family, NameValidation, Registry};

    let registry = Registry::with_name_validation(NameValidation::Utf8); // default: Legacy
    let orders: Family<Counter> = Family::new(["order.kind"])?;
    registry.register("shop.orders", "Orders placed.", orders.clone())?;
    registry.set_target_info([("service.name", "shop"), ("service.version", "1.4.2")])?;
    registry.register("shop_build", "Build facts.", prom_kit::build_info!())?;
    orders.labels(&["express"])?.inc();

    // What the README's table says each scraper receives.
    let server = prom_kit::server::start_http_server("127.0.0.1:0", &registry)?;
    let address = server.local_addr();
    for (accept, expected) in [
        (
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.3",
            "{\"shop.orders_total\",\"order.kind\"=\"express\"} 1",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=underscores",
            "shop_orders_total{order_kind=\"express\"} 1",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=dots",
            "shop_dot_orders_total{order_dot_kind=\"express\"} 1",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=values",
            "U__shop_2e_orders_total{U__order_2e_kind=\"express\"} 1",
        ),
        ("*/*", "shop_orders_total{order_kind=\"express\"} 1"),
    ] {
        let text = request(address, "GET", "/metrics", &[("Accept", accept)]).text();
        assert!(
            text.contains(expected),
            "{accept}: {expected} missing:\n{text}"
        );
        assert!(text.contains("target_info{"), "{text}");
    }
    let named = request(
        address,
        "GET",
        "/metrics?name[]=shop_orders_total&name[]=target_info",
        &[],
    )
    .text();
    assert!(
        named.starts_with("# HELP target_info Target metadata.\n"),
        "{named}"
    );
    assert!(named.contains("shop_orders_total{order_kind=\"express\"} 1\n"));
    assert!(!named.contains("shop_build_info"), "{named}");
    server.shutdown();
    Ok(())
}

/// A minimal greeter for the README's gRPC snippet.
struct MyGreeter;

#[tonic::async_trait]
impl prom_kit_examples::greeter::generated::greeter_server::Greeter for MyGreeter {
    async fn say_hello(
        &self,
        request: tonic::Request<prom_kit_examples::greeter::HelloRequest>,
    ) -> Result<tonic::Response<prom_kit_examples::greeter::HelloReply>, tonic::Status> {
        Ok(tonic::Response::new(
            prom_kit_examples::greeter::HelloReply {
                message: format!("Hello, {}!", request.into_inner().name),
            },
        ))
    }

    type CountdownStream =
        tokio_stream::Empty<Result<prom_kit_examples::greeter::CountdownReply, tonic::Status>>;

    async fn countdown(
        &self,
        _: tonic::Request<prom_kit_examples::greeter::CountdownRequest>,
    ) -> Result<tonic::Response<Self::CountdownStream>, tonic::Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_grpc_snippet() -> Result<(), Box<dyn std::error::Error>> {
    use prom_kit::grpc::{GrpcMethods, GrpcMetrics, GrpcType};
    use prom_kit::{Buckets, Registry};
    use prom_kit_examples::greeter::HelloRequest;
    use prom_kit_examples::greeter::generated::greeter_client::GreeterClient;
    use prom_kit_examples::greeter::generated::greeter_server::GreeterServer;
    use prom_kit_tonic::GrpcMetricsLayer;

    let registry = Registry::new();
    let methods = GrpcMethods::new().service(
        "demo.Greeter",
        [
            ("SayHello", GrpcType::Unary),
            ("Countdown", GrpcType::ServerStream),
        ],
    );
    let grpc = GrpcMetrics::server()
        .methods(methods)
        .duration_histogram(Buckets::DEFAULT)
        .build(&registry)?;
    let metrics = prom_kit::server::serve("127.0.0.1:0", &registry).await?; // /metrics
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(GrpcMetricsLayer::new(grpc))
            .add_service(GreeterServer::new(MyGreeter))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))?
        .connect()
        .await?;
    let mut client = GreeterClient::new(channel);
    client
        .say_hello(HelloRequest {
            name: "README".into(),
        })
        .await?;
    let metrics_address = metrics.local_addr();
    let expected = "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\",grpc_code=\"OK\"} 1\n";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let text = tokio::task::spawn_blocking(move || {
            request(metrics_address, "GET", "/metrics", &[]).text()
        })
        .await?;
        if text.contains(expected) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.abort();
    metrics.shutdown().await;
    Ok(())
}
