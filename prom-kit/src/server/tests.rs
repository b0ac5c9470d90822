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
    let server = start_http_server("127.0.0.1:0", &registry()).unwrap();
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
    let server = Server::for_registry(&registry())
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
    let error = start_http_server(address, &registry()).unwrap_err();
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
    let server = start_http_server("127.0.0.1:0", &registry).unwrap();
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

/// A started server with short limits, on its own thread.
fn limited_server(header: Duration, idle: Duration, max_connections: usize) -> ServerThread {
    Server::for_registry(&registry())
        .unwrap()
        .header_read_timeout(header)
        .idle_timeout(idle)
        .max_connections(max_connections)
        .start_on_thread("127.0.0.1:0")
        .unwrap()
}

/// Whether the server closed `stream` within `within` (a read sees end of stream or a
/// reset), sending nothing.
fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buffer = [0u8; 256];
    match stream.read(&mut buffer) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => matches!(
            error.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
        ),
    }
}

/// Reads one whole `/-/healthy` response from a keep-alive connection.
fn read_health_response(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut response = Vec::new();
    let mut buffer = [0u8; 512];
    while !response.ends_with(b"\r\n\r\nOK\n") {
        let n = stream.read(&mut buffer).unwrap();
        assert_ne!(n, 0, "closed early: {}", String::from_utf8_lossy(&response));
        response.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8(response).unwrap()
}

/// Connections sending a head slowly are closed after the header-read timeout, however
/// they trickle; scrapes keep succeeding meanwhile.
#[test]
fn slowloris_connections_are_closed_after_the_header_timeout() {
    let server = limited_server(Duration::from_millis(500), Duration::from_secs(60), 512);
    let address = server.local_addr();
    let started = std::time::Instant::now();
    let mut slow: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut stream = TcpStream::connect(address).unwrap();
            stream
                .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            stream
        })
        .collect();
    // Trickle one more header line to half of them: it must not extend their deadline.
    for stream in slow.iter_mut().step_by(2) {
        std::thread::sleep(Duration::from_millis(2));
        let _ = stream.write_all(b"X-Slow: 1\r\n");
    }
    assert!(get(address, "/metrics", "").contains("served_total 9\n"));
    for stream in &mut slow {
        assert!(closed_by_server(stream, Duration::from_secs(3)));
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(get(address, "/metrics", "").contains("served_total 9\n"));
    server.shutdown();
}

/// A keep-alive connection is closed after the idle timeout, not before.
#[test]
fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let server = limited_server(Duration::from_secs(10), Duration::from_millis(400), 512);
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    for _ in 0..2 {
        stream
            .write_all(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let response = read_health_response(&mut stream);
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        // Still open well inside the idle timeout: the next request is served.
        std::thread::sleep(Duration::from_millis(150));
    }
    let idle = std::time::Instant::now();
    assert!(closed_by_server(&mut stream, Duration::from_secs(3)));
    let waited = idle.elapsed();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    server.shutdown();
}

/// At the connection limit a new client takes the place of the connection waiting for a
/// request head, not of the one idle between requests.
#[test]
fn at_the_limit_a_new_client_evicts_a_connection_not_in_use() {
    let server = limited_server(Duration::from_secs(30), Duration::from_secs(60), 2);
    let address = server.local_addr();
    let mut idle = TcpStream::connect(address).unwrap();
    idle.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_health_response(&mut idle).starts_with("HTTP/1.1 200 OK"));
    let mut partial = half_open(address).unwrap();
    partial.set_nonblocking(false).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let response = scrape_within(address, Duration::from_secs(2)).unwrap();
    assert!(response.contains("served_total 9\n"), "{response}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(closed_by_server(&mut partial, Duration::from_secs(1)));
    // The idle connection was spared: it is served again.
    idle.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_health_response(&mut idle).starts_with("HTTP/1.1 200 OK"));
    server.shutdown();
}

/// At the connection limit, when every connection is serving a request, a new client
/// waits until one is done.
#[test]
fn at_the_limit_a_new_client_waits_while_every_connection_serves() {
    let registry = registry();
    registry.register_collector(Slow);
    let server = Server::for_registry(&registry)
        .unwrap()
        .max_connections(2)
        .start_on_thread("127.0.0.1:0")
        .unwrap();
    let address = server.local_addr();
    let scrapes: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(move || get(address, "/metrics", "")))
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let response = get(address, "/metrics", "");
    let waited = started.elapsed();
    assert!(response.contains("slow_value 1\n"), "{response}");
    // Served once a scrape in progress (300 ms each) was done, in 300 ms more.
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    for scrape in scrapes {
        assert!(scrape.join().unwrap().contains("slow_value 1\n"));
    }
    server.shutdown();
}

/// A shutdown does not wait for connections that never sent a complete request.
#[test]
fn shutdown_does_not_wait_for_incomplete_requests() {
    let server = limited_server(Duration::from_secs(30), Duration::from_secs(60), 512);
    let address = server.local_addr();
    let mut partial = TcpStream::connect(address).unwrap();
    partial.write_all(b"GET /metrics HTTP/1.1\r\n").unwrap();
    let silent = TcpStream::connect(address).unwrap();
    // A keep-alive connection idle after a request.
    let mut idle = TcpStream::connect(address).unwrap();
    idle.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_health_response(&mut idle).starts_with("HTTP/1.1 200 OK"));
    std::thread::sleep(Duration::from_millis(100));
    let started = std::time::Instant::now();
    server.shutdown();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "shutdown waited {took:?}");
    assert!(closed_by_server(&mut partial, Duration::from_secs(1)));
    assert!(closed_by_server(&mut idle, Duration::from_secs(1)));
    drop(silent);
}

/// A scrape of a large registry on a current-thread runtime does not stall the runtime:
/// a ticker task on the same runtime stays on time while it is encoded.
#[tokio::test(flavor = "current_thread")]
async fn large_scrapes_do_not_stall_a_current_thread_runtime() {
    let registry = Registry::new();
    let family: crate::Family<Counter> = crate::Family::builder(["id"])
        .max_series(None)
        .build()
        .unwrap();
    for i in 0..200_000 {
        family.with(&[i.to_string()], Counter::inc).unwrap();
    }
    registry.register("items", "Items.", family).unwrap();
    let server = Server::for_registry(&registry)
        .unwrap()
        .start("127.0.0.1:0")
        .await
        .unwrap();
    let address = server.local_addr();
    let ticker = tokio::spawn(prom_kit_test_support::worst_lateness(
        150,
        Duration::from_millis(5),
    ));
    // Scrape from a client on the same runtime, several times.
    let mut sizes = Vec::new();
    for _ in 0..3 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(
            &mut stream,
            b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut body = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut body)
            .await
            .unwrap();
        sizes.push(body.len());
    }
    let worst = ticker.await.unwrap();
    // Gzipped, 200k series still take hundreds of kilobytes.
    assert!(sizes.iter().all(|&n| n > 200_000), "{sizes:?}");
    // Encoding and gzipping 200k series in OpenMetrics takes about 0.5 s in a debug
    // build; on the runtime's own thread the ticker would be that late.
    assert!(
        worst < Duration::from_millis(150),
        "the ticker was {worst:?} late"
    );
    server.shutdown().await;
}

/// An async collector that never answers in time.
struct Stuck;

impl crate::registry::AsyncCollector for Stuck {
    fn collect(&self) -> crate::registry::CollectFuture<'_> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(crate::registry::collector_fn(|_| Ok(())))
        })
    }
}

#[test]
fn the_server_bounds_async_collectors_by_the_scrape_timeout() {
    let registry = registry();
    registry.register_async_collector(Stuck);
    let handler = MetricsHandler::builder()
        .on_error(crate::scrape::ScrapeErrorPolicy::Continue)
        .build(&registry)
        .unwrap();
    let server = Server::new(handler).start_on_thread("127.0.0.1:0").unwrap();
    let address = server.local_addr();
    let started = std::time::Instant::now();
    let response = get(
        address,
        "/metrics",
        "X-Prometheus-Scrape-Timeout-Seconds: 0.4\r\n",
    );
    let elapsed = started.elapsed();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.contains("served_total 9\n"), "{response}");
    assert!(
        response.contains("prom_kit_scrape_errors_total{cause=\"collector_timeout\"} 1\n"),
        "{response}"
    );
    // 0.4 s less the margin would leave 150 ms; half of it, 200 ms, is kept.
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    server.shutdown();
}

/// Opens a connection that sends part of a request head and then nothing.
fn half_open(address: SocketAddr) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .ok()?;
    stream.set_nonblocking(true).ok()?;
    Some(stream)
}

/// Whether the server has closed `stream` (a non-blocking read sees end of stream or an
/// error other than "nothing yet").
fn closed_now(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 64];
    match stream.read(&mut buffer) {
        Ok(read) => read == 0,
        Err(error) => error.kind() != std::io::ErrorKind::WouldBlock,
    }
}

/// A scrape with `Connection: close` that must be answered within `within`.
fn scrape_within(address: SocketAddr, within: Duration) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(within))?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// A reconnecting slowloris attacker holds three times the connection limit in half-open
/// connections, replacing each one the server closes at once; the header-read timeout is
/// far away. Scrapes still succeed, promptly: at the limit a new connection takes the
/// place of the oldest one without a complete request head.
#[test]
fn scrapes_succeed_under_a_reconnecting_slowloris_attacker() {
    const LIMIT: usize = 8;
    let server = limited_server(Duration::from_secs(30), Duration::from_secs(60), LIMIT);
    let address = server.local_addr();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attacker = std::thread::spawn({
        let stop = std::sync::Arc::clone(&stop);
        move || {
            let mut held: Vec<TcpStream> = Vec::new();
            let mut opened = 0usize;
            // Bounded: until told to stop, or 2000 rounds of 5 ms.
            for _ in 0..2000 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                held.retain_mut(|stream| !closed_now(stream));
                while held.len() < 3 * LIMIT {
                    let Some(stream) = half_open(address) else {
                        break;
                    };
                    held.push(stream);
                    opened += 1;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            opened
        }
    });
    // The attacker fills the limit (and the listen backlog behind it) first.
    std::thread::sleep(Duration::from_millis(300));
    let mut outcomes = Vec::new();
    for _ in 0..10 {
        let started = std::time::Instant::now();
        // Generous for a loaded CI machine: without eviction a scrape waits for the
        // attacker's connections to reach their 30 s header timeout.
        let response = scrape_within(address, Duration::from_secs(5));
        let ok = response
            .as_ref()
            .is_ok_and(|r| r.contains("served_total 9\n"));
        outcomes.push((ok, started.elapsed(), response.err()));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let opened = attacker.join().unwrap();
    assert!(opened >= 3 * LIMIT, "the attacker opened {opened}");
    let failed: Vec<_> = outcomes.iter().filter(|(ok, ..)| !ok).collect();
    assert!(
        failed.is_empty(),
        "failed scrapes: {failed:?} of {outcomes:?}"
    );
    server.shutdown();
}
