//! End to end: the `grpc-app` example serves real gRPC calls made by its own client mode
//! over TCP; its `/metrics` (on `METRICS_ADDR`) passes promtool, and a real Prometheus
//! scraping it answers `sum(grpc_server_handled_total{grpc_code="OK"})` with the exact
//! number of successful calls. It also stops cleanly on SIGTERM, within its shutdown grace
//! even with a call unfinished.

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Prometheus, request, run_with_stdin, start_app_with, tool};

const GREETINGS: u32 = 37;

#[test]
fn prometheus_counts_every_grpc_call_of_the_example() {
    let binary = env!("CARGO_BIN_EXE_grpc-app");
    let (mut app, addresses) = start_app_with(
        binary,
        &[
            ("LISTEN_ADDR", "127.0.0.1:0"),
            ("METRICS_ADDR", "127.0.0.1:0"),
        ],
        2,
    );
    let (grpc, metrics) = (addresses[0], addresses[1]);

    // Before any call the series exist at zero (preinitialized).
    let before = request(metrics, "GET", "/metrics", &[]).text();
    assert!(before.contains(
        "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\",grpc_code=\"Unavailable\"} 0\n"
    ), "{before}");

    let client = Command::new(binary)
        .args(["client", &format!("http://{grpc}"), &GREETINGS.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .expect("run the client");
    assert!(client.status.success(), "client failed");
    let client_metrics = String::from_utf8(client.stdout).unwrap();
    assert!(client_metrics.contains(&format!(
        "grpc_client_handled_total{{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\",grpc_code=\"OK\"}} {GREETINGS}\n"
    )), "{client_metrics}");

    let text = request(metrics, "GET", "/metrics", &[]).text();
    for expected in [
        format!("grpc_server_handled_total{{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\",grpc_code=\"OK\"}} {GREETINGS}\n"),
        "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\",grpc_code=\"InvalidArgument\"} 1\n".to_owned(),
        "grpc_server_msg_sent_total{grpc_type=\"server_stream\",grpc_service=\"demo.Greeter\",grpc_method=\"Countdown\"} 5\n".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected} missing:\n{text}");
    }
    if let Some(promtool) = tool("promtool", "prometheus") {
        for body in [&text, &client_metrics] {
            let (ok, report) = run_with_stdin(&promtool, &["check", "metrics"], body.as_bytes());
            assert!(ok && report.trim().is_empty(), "promtool: {report}\n{body}");
        }
    }

    let Some(prometheus_binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: grpc-app\n    static_configs:\n      - targets: ['{metrics}']\n"
    );
    let prometheus = Prometheus::start(&prometheus_binary, &config, 17, &[]);
    let ok_calls = f64::from(GREETINGS + 1);
    prometheus.wait_for(
        "sum(grpc_server_handled_total{grpc_code=\"OK\"})",
        Duration::from_secs(30),
        |v| v == ok_calls,
    );
    assert_eq!(
        prometheus.value("sum(grpc_server_handled_total{grpc_code=\"InvalidArgument\"})"),
        Some(1.0)
    );
    assert_eq!(
        prometheus.value("sum(grpc_server_started_total) - sum(grpc_server_handled_total)"),
        Some(0.0)
    );
    assert_eq!(
        prometheus.value("sum(grpc_server_handling_seconds_count)"),
        Some(ok_calls + 1.0)
    );

    // SIGTERM stops it cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &app.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while !app.exited() {
        assert!(Instant::now() < deadline, "grpc-app ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(app.exit_success());
}

/// The bytes of an HTTP/2 connection that starts a `SayHello` call and never sends its
/// request message: the preface, empty SETTINGS, and a HEADERS frame without
/// `END_STREAM` (header fields as HPACK literals, nothing indexed or compressed).
fn unfinished_call(authority: SocketAddr) -> Vec<u8> {
    let authority = authority.to_string();
    let mut block = Vec::new();
    for (name, value) in [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", "/demo.Greeter/SayHello"),
        (":authority", authority.as_str()),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ] {
        // A literal header field without indexing, with a new name.
        block.push(0);
        for text in [name, value] {
            block.push(u8::try_from(text.len()).unwrap());
            block.extend_from_slice(text.as_bytes());
        }
    }
    let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    let length = u32::try_from(block.len()).unwrap().to_be_bytes();
    // HEADERS with END_HEADERS only, on stream 1.
    bytes.extend_from_slice(&[length[1], length[2], length[3], 0x1, 0x4, 0, 0, 0, 1]);
    bytes.extend_from_slice(&block);
    bytes
}

/// SIGTERM while a gRPC call waits for its request message (and a client holds half a
/// request head on the metrics port): the app stops within its grace.
#[cfg(unix)]
#[test]
fn grpc_app_exits_within_the_grace_with_an_unfinished_call() {
    const GRACE: Duration = Duration::from_secs(1);
    const MARGIN: Duration = Duration::from_secs(5);
    let (mut app, addresses) = start_app_with(
        env!("CARGO_BIN_EXE_grpc-app"),
        &[
            ("LISTEN_ADDR", "127.0.0.1:0"),
            ("METRICS_ADDR", "127.0.0.1:0"),
            ("SHUTDOWN_GRACE", "1"),
        ],
        2,
    );
    let (grpc, metrics) = (addresses[0], addresses[1]);
    let mut call = TcpStream::connect(grpc).expect("connect");
    call.write_all(&unfinished_call(grpc))
        .expect("start a call");
    let mut partial = TcpStream::connect(metrics).expect("connect");
    partial
        .write_all(b"GET /metrics HTTP/1.1\r\n")
        .expect("send half a head");
    // The call has reached the service (the metrics layer counts it as started).
    let started = "grpc_server_started_total{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\"} 1\n";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !request(metrics, "GET", "/metrics", &[])
        .text()
        .contains(started)
    {
        assert!(Instant::now() < deadline, "the call never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &app.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let signalled = Instant::now();
    while !app.exited() {
        assert!(
            signalled.elapsed() < GRACE + MARGIN,
            "grpc-app still runs {:?} after SIGTERM, with a call unfinished",
            signalled.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(app.exit_success(), "grpc-app exited with an error");
    drop((call, partial));
}
