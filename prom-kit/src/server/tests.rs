use std::io::{Read, Write};
use std::net::TcpStream;

use super::*;
use crate::Counter;

/// One `Connection: close` request; returns the raw response.
fn get(address: SocketAddr, path: &str, extra: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn registry() -> Registry {
    let registry = Registry::new();
    let counter = Counter::new();
    counter.inc_by(9);
    registry.register("served", "Served.", counter).unwrap();
    registry
}

#[test]
fn thread_server_serves_metrics_health_and_404() {
    let server = start_http_server("127.0.0.1:0", registry()).unwrap();
    let address = server.local_addr();
    assert_ne!(address.port(), 0);
    let metrics = get(address, "/metrics", "");
    assert!(metrics.starts_with("HTTP/1.1 200 OK\r\n"), "{metrics}");
    assert!(metrics.contains("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert!(metrics.ends_with("served_total 9\n") || metrics.contains("served_total 9\n"));
    let openmetrics = get(
        address,
        "/metrics",
        "Accept: application/openmetrics-text\r\n",
    );
    assert!(openmetrics.contains("# EOF\n"));
    assert!(get(address, "/-/healthy", "").starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(get(address, "/other", "").starts_with("HTTP/1.1 404"));
    server.shutdown();
    assert!(
        TcpStream::connect(address).is_err(),
        "the listener is closed after shutdown"
    );
}

#[tokio::test]
async fn runtime_server_custom_path_and_graceful_stop() {
    let server = Server::for_registry(registry())
        .unwrap()
        .path("/custom")
        .start("127.0.0.1:0")
        .await
        .unwrap();
    let address = server.local_addr();
    let response = tokio::task::spawn_blocking(move || get(address, "/custom", ""))
        .await
        .unwrap();
    assert!(response.contains("served_total 9\n"), "{response}");
    let missing = tokio::task::spawn_blocking(move || get(address, "/metrics", ""))
        .await
        .unwrap();
    assert!(missing.starts_with("HTTP/1.1 404"));
    server.shutdown().await;
    assert!(TcpStream::connect(address).is_err());
}

#[test]
fn bind_errors_are_typed() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let error = start_http_server(address, registry()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io);
}

/// A collector that takes its time, so a scrape is in progress when shutdown begins.
struct Slow;

impl crate::Collector for Slow {
    fn collect(&self, out: &mut crate::CollectorOutput<'_>) -> Result<()> {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let descriptor = crate::Descriptor::new("slow_value", "Slow.", crate::MetricType::Gauge)?;
        out.family(&descriptor).gauge(&(), 1.0)
    }
}

#[test]
fn shutdown_lets_a_scrape_in_progress_finish() {
    let registry = registry();
    registry.register_collector(Slow);
    let server = start_http_server("127.0.0.1:0", registry).unwrap();
    let address = server.local_addr();
    let scrape = std::thread::spawn(move || get(address, "/metrics", ""));
    std::thread::sleep(std::time::Duration::from_millis(100));
    let started = std::time::Instant::now();
    server.shutdown();
    let response = scrape.join().unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.contains("slow_value 1\n"), "{response}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(TcpStream::connect(address).is_err());
}
