//! The `worker` example serves its metrics, the process and tokio collectors' included,
//! through the standalone server, and stops cleanly on SIGTERM.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{request, run_with_stdin, start_app, tool};

#[test]
fn worker_serves_process_and_runtime_metrics() {
    let (mut process, address) = start_app(env!("CARGO_BIN_EXE_worker"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = request(address, "GET", "/metrics", &[]).text();
        if text.contains("worker_batches_total{outcome=\"ok\"}") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    for needle in [
        "# TYPE process_cpu_seconds_total counter",
        "process_open_fds ",
        "process_resident_memory_bytes ",
        "tokio_workers ",
        "tokio_alive_tasks ",
        "worker_batches_total{outcome=\"ok\"}",
        "worker_batch_duration_seconds_bucket{le=\"+Inf\"}",
        "worker_items_processed_total{item_kind=\"small\"}",
        "worker_build_info{version=\"",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    assert!(
        text.starts_with(
            "# HELP target_info Target metadata.\n# TYPE target_info gauge\n\
             target_info{service_name=\"worker\",service_version=\""
        ),
        "{text}"
    );
    // A scraper that negotiates UTF-8 gets the dotted names, quoted.
    let utf8 = request(
        address,
        "GET",
        "/metrics",
        &[("Accept", "text/plain;version=1.0.0;escaping=allow-utf-8")],
    );
    assert_eq!(
        utf8.header("content-type"),
        Some("text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8")
    );
    let quoted = utf8.text();
    for needle in [
        "# TYPE \"worker.items.processed_total\" counter\n",
        "{\"worker.items.processed_total\",\"item.kind\"=\"small\"} ",
        "target_info{\"service.name\"=\"worker\",",
    ] {
        assert!(quoted.contains(needle), "{needle} missing:\n{quoted}");
    }
    assert_eq!(request(address, "GET", "/-/healthy", &[]).status, 200);
    if let Some(promtool) = tool("promtool", "prometheus") {
        let (ok, report) = run_with_stdin(&promtool, &["check", "metrics"], text.as_bytes());
        assert!(ok && report.trim().is_empty(), "{report}");
    }
    let killed = Command::new("kill")
        .args(["-TERM", &process.pid().to_string()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while !process.exited() {
        assert!(Instant::now() < deadline, "worker ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(process.exit_success());
}
