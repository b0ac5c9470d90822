//! Exemplars end to end: the axum example attaches the `x-trace-id` of a request (its
//! exemplar hook) or, without one, the trace of a sampled W3C `traceparent` (its trace
//! exemplars) to its count and duration, and a real Prometheus 2.42 with
//! `exemplar-storage` stores them (`/api/v1/query_exemplars`), over OpenMetrics and over
//! protobuf — the sampled traces only.

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{Prometheus, encode_query, request, start_app, tool};

/// The trace ids Prometheus holds as exemplars for `query` over the last 10 minutes.
fn exemplar_trace_ids(prometheus: &Prometheus, query: &str) -> Vec<String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let path = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        encode_query(query),
        now - 600,
        now + 60
    );
    let response = request(prometheus.address, "GET", &path, &[]);
    let json: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(json["status"], "success", "{json}");
    json["data"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["labels"]["trace_id"].as_str().map(str::to_owned))
        .collect()
}

fn wait_for_trace(prometheus: &Prometheus, query: &str, trace: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ids = exemplar_trace_ids(prometheus, query);
        if ids.iter().any(|id| id == trace) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{trace} never showed up for {query}; saw {ids:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn run(slot: u16, flags: &[&str]) {
    let Some(binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let (_app, address) = start_app(env!("CARGO_BIN_EXE_axum-app"));
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: axum-app\n  static_configs:\n  - targets: ['{address}']\n"
    );
    let prometheus = Prometheus::start(&binary, &config, slot, flags);
    prometheus.wait_for("up{job=\"axum-app\"}", Duration::from_secs(30), |v| {
        v == 1.0
    });
    for trace in [format!("trace-{slot}-a"), format!("trace-{slot}-b")] {
        let response = request(address, "GET", "/users/42", &[("x-trace-id", &trace)]);
        assert_eq!(response.status, 200);
        wait_for_trace(
            &prometheus,
            "http_requests_total{route=\"/users/{id}\"}",
            &trace,
        );
        // Scraped as OpenMetrics the duration is classic (`_bucket` series); over
        // protobuf the example's native buckets make it one native series.
        let duration = if flags.iter().any(|f| f.contains("native-histograms")) {
            "http_request_duration_seconds{route=\"/users/{id}\"}"
        } else {
            "http_request_duration_seconds_bucket{route=\"/users/{id}\"}"
        };
        wait_for_trace(&prometheus, duration, &trace);
    }
    // W3C trace context: an unsampled trace is never an exemplar; a sampled one, sent
    // after the series' sampler interval (100 ms), is.
    let unsampled = format!("{slot:0>32}");
    let sampled = format!("{:0>32}", slot * 1000 + 1);
    let header = |trace: &str, flags: &str| format!("00-{trace}-00f067aa0ba902b7-{flags}");
    for (trace, flags) in [(&unsampled, "00"), (&sampled, "01")] {
        std::thread::sleep(Duration::from_millis(150));
        let traceparent = header(trace, flags);
        let response = request(address, "GET", "/users/7", &[("traceparent", &traceparent)]);
        assert_eq!(response.status, 200);
    }
    wait_for_trace(
        &prometheus,
        "http_requests_total{route=\"/users/{id}\"}",
        &sampled,
    );
    let duration = if flags.iter().any(|f| f.contains("native-histograms")) {
        "http_request_duration_seconds{route=\"/users/{id}\"}"
    } else {
        "http_request_duration_seconds_bucket{route=\"/users/{id}\"}"
    };
    wait_for_trace(&prometheus, duration, &sampled);
    for query in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "http_request_duration_seconds",
    ] {
        let ids = exemplar_trace_ids(&prometheus, query);
        assert!(!ids.contains(&unsampled), "{query}: {ids:?}");
    }
}

#[test]
fn prometheus_stores_exemplars_scraped_as_openmetrics() {
    run(11, &["--enable-feature=exemplar-storage"]);
}

#[test]
fn prometheus_stores_exemplars_scraped_as_protobuf() {
    run(12, &["--enable-feature=exemplar-storage,native-histograms"]);
}
