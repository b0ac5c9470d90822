//! The Pushgateway client against a real `prometheus-pushgateway`: push, push-add,
//! read back, grouping labels with `/`, a space and an empty value, delete, a rejected
//! push surfacing the gateway's message, the periodic handle's cleanup, the `push-job`
//! example, and a real Prometheus scraping the gateway with `honor_labels: true`.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use prom_kit::push::{GatewayResponse, PushClient};
use prom_kit::{Counter, ErrorKind, Gauge, Registry, Summary};
use support::{Prometheus, Pushgateway, tool};

fn registry_with(name: &str, value: f64) -> Registry {
    let registry = Registry::new();
    let gauge = Gauge::new();
    gauge.set(value);
    registry.register(name, "An e2e gauge.", gauge).unwrap();
    registry
}

/// The sample lines of `metric` in the gateway's exposition.
fn lines(text: &str, metric: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} ")))
        .map(str::to_owned)
        .collect()
}

fn wait_until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn push_push_add_delete_and_errors_against_the_real_gateway() {
    let Some(binary) = tool("prometheus-pushgateway", "prometheus-pushgateway") else {
        return;
    };
    let gateway = Pushgateway::start(&binary, 2);
    let client = PushClient::builder(&gateway.url(), "e2e")
        .grouping("path", "/var/tmp")
        .grouping("space", "a b")
        .grouping("empty", "")
        .build()
        .unwrap();

    // PUT: the group holds exactly what was pushed.
    let first = registry_with("e2e_value", 42.0);
    let events = Counter::new();
    events.inc_by(7);
    first.register("e2e_events", "Events.", events).unwrap();
    client.push_blocking(&first).unwrap();
    let text = gateway.metrics();
    // The gateway decoded every grouping value (and adds an empty `instance`).
    let group = "empty=\"\",instance=\"\",job=\"e2e\",path=\"/var/tmp\",space=\"a b\"";
    assert_eq!(
        lines(&text, "e2e_value"),
        [format!("e2e_value{{{group}}} 42")],
        "{text}"
    );
    assert_eq!(
        lines(&text, "e2e_events_total"),
        [format!("e2e_events_total{{{group}}} 7")]
    );

    // POST: replaces same-named families only.
    client
        .push_add_blocking(&registry_with("e2e_other", 1.0))
        .unwrap();
    let text = gateway.metrics();
    assert_eq!(lines(&text, "e2e_value").len(), 1, "{text}");
    assert_eq!(
        lines(&text, "e2e_other"),
        [format!("e2e_other{{{group}}} 1")]
    );

    // PUT again: the families not pushed are gone.
    client
        .push_blocking(&registry_with("e2e_other", 2.0))
        .unwrap();
    let text = gateway.metrics();
    assert!(lines(&text, "e2e_value").is_empty(), "{text}");
    assert_eq!(
        lines(&text, "e2e_other"),
        [format!("e2e_other{{{group}}} 2")]
    );

    // A family whose type differs from the same name in another group is refused.
    let other_group = PushClient::builder(&gateway.url(), "e2e_conflict")
        .build()
        .unwrap();
    let conflicting = Registry::new();
    conflicting
        .register("e2e_other", "An e2e gauge.", Summary::new())
        .unwrap();
    let error = other_group.push_blocking(&conflicting).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
    let answer = std::error::Error::source(&error)
        .and_then(|s| s.downcast_ref::<GatewayResponse>())
        .expect("the gateway's answer");
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("e2e_other"), "{answer}");
    assert!(error.to_string().contains("400"), "{error}");

    // DELETE: the group is gone.
    client.delete_blocking().unwrap();
    let text = gateway.metrics();
    assert!(lines(&text, "e2e_other").is_empty(), "{text}");
    assert!(!text.contains("path=\"/var/tmp\""), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_pushes_are_deleted_on_shutdown_and_drop() {
    let Some(binary) = tool("prometheus-pushgateway", "prometheus-pushgateway") else {
        return;
    };
    let gateway = Pushgateway::start(&binary, 3);
    let client = PushClient::builder(&gateway.url(), "periodic")
        .gzip(true)
        .build()
        .unwrap();
    let registry = registry_with("periodic_value", 1.0);
    let handle = client
        .start_periodic(registry.clone(), Duration::from_millis(100))
        .unwrap();
    let gateway = std::sync::Arc::new(gateway);
    let probe = std::sync::Arc::clone(&gateway);
    tokio::task::spawn_blocking(move || {
        wait_until("the periodic push", || {
            probe
                .metrics()
                .contains("periodic_value{instance=\"\",job=\"periodic\"} 1")
        });
    })
    .await
    .unwrap();
    assert_eq!(handle.last_error(), None);
    handle.shutdown().await.unwrap();
    assert!(
        !gateway.metrics().contains("periodic_value{"),
        "deleted on shutdown"
    );

    let dropped = client
        .start_periodic(registry, Duration::from_millis(100))
        .unwrap();
    let probe = std::sync::Arc::clone(&gateway);
    tokio::task::spawn_blocking(move || {
        wait_until("the second push", || {
            probe.metrics().contains("periodic_value{")
        });
    })
    .await
    .unwrap();
    drop(dropped);
    assert!(
        !gateway.metrics().contains("periodic_value{"),
        "deleted on drop"
    );
}

#[test]
fn push_job_example_exits_with_the_outcome() {
    let Some(binary) = tool("prometheus-pushgateway", "prometheus-pushgateway") else {
        return;
    };
    let gateway = Pushgateway::start(&binary, 4);
    let job = env!("CARGO_BIN_EXE_push-job");
    let output = Command::new(job)
        .env("PUSHGATEWAY_URL", gateway.url())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = gateway.metrics();
    assert!(
        text.contains("push_job_last_run_records{instance="),
        "{text}"
    );
    assert!(text.contains("} 858\n"), "{text}");

    // Make the gateway refuse the job's next push: another group holds one of its
    // names with another type.
    let squatter = PushClient::builder(&gateway.url(), "squatter")
        .build()
        .unwrap();
    let registry = Registry::new();
    registry
        .register("push_job_last_run_records", "Squatting.", Summary::new())
        .unwrap();
    // The squatter is itself refused (the job's group has the name as a gauge): delete
    // the job's group first, push the squatter, then run the job again.
    let job_group = PushClient::builder(&gateway.url(), "push_job")
        .instance_from_hostname()
        .build()
        .unwrap();
    job_group.delete_blocking().unwrap();
    squatter.push_blocking(&registry).unwrap();
    let output = Command::new(job)
        .env("PUSHGATEWAY_URL", gateway.url())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("400") && stderr.contains("push_job_last_run_records"),
        "{stderr}"
    );
}

#[test]
fn prometheus_scrapes_pushed_values_with_honor_labels() {
    let (Some(gateway_binary), Some(prometheus_binary)) = (
        tool("prometheus-pushgateway", "prometheus-pushgateway"),
        tool("prometheus", "prometheus"),
    ) else {
        return;
    };
    let gateway = Pushgateway::start(&gateway_binary, 5);
    let client = PushClient::builder(&gateway.url(), "nightly")
        .grouping("path", "/data/in")
        .build()
        .unwrap();
    client
        .push_blocking(&registry_with("nightly_records", 1234.0))
        .unwrap();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: pushgateway\n  honor_labels: true\n  static_configs:\n  - targets: ['{}']\n",
        gateway.address
    );
    let prometheus = Prometheus::start(&prometheus_binary, &config, 6, &[]);
    let value = prometheus.wait_for(
        "nightly_records{job=\"nightly\",path=\"/data/in\"}",
        Duration::from_secs(30),
        |v| v == 1234.0,
    );
    assert_eq!(value, 1234.0);
    // The gateway's own bookkeeping arrives with the pushed job label too.
    assert!(
        prometheus
            .value("push_time_seconds{job=\"nightly\"}")
            .unwrap()
            > 1.0e9
    );
}
