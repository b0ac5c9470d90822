//! End to end: the `grpc-app` example serves real gRPC calls made by its own client mode
//! over TCP; its `/metrics` (on `METRICS_ADDR`) passes promtool, and a real Prometheus
//! scraping it answers `sum(grpc_server_handled_total{grpc_code="OK"})` with the exact
//! number of successful calls. It also stops cleanly on SIGTERM.

mod support;

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
