//! End to end: the example apps serve traffic (including unmatched URLs and a client
//! that disconnects mid-request), their `/metrics` pass promtool and Python's strict
//! OpenMetrics parser, and a real Prometheus scraping them every second answers queries
//! with the expected values — for `facade-app`, a `rate()` and a `histogram_quantile()`
//! over what its code records through the `metrics` facade.

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use support::{Prometheus, python, request, run_with_stdin, start_app, tool};

const USERS: u32 = 25;
const UNMATCHED: u32 = 40;
const SEARCHES: u32 = 11;
const SLOW: u32 = 3;

fn traffic(axum: SocketAddr, actix: SocketAddr) {
    for id in 0..USERS {
        assert_eq!(
            request(axum, "GET", &format!("/users/{id}"), &[]).status,
            200
        );
    }
    for product in ["book", "pen", "book"] {
        assert_eq!(
            request(axum, "POST", &format!("/orders/{product}"), &[]).status,
            201
        );
    }
    for n in 0..UNMATCHED {
        assert_eq!(
            request(axum, "GET", &format!("/random/{n}/{}", n * 7919), &[]).status,
            404
        );
        assert_eq!(
            request(actix, "GET", &format!("/random/{n}"), &[]).status,
            404
        );
    }
    for _ in 0..SLOW {
        assert_eq!(request(axum, "GET", "/slow", &[]).status, 200);
    }
    // actix routes the percent-decoded path: `/user/%73earch` is the search route, and
    // must be counted under its template, not as a new series per spelling.
    let search_spellings = [
        "search", "%73earch", "s%65arch", "se%61rch", "sea%72ch", "sear%63h", "searc%68",
    ];
    for i in 0..SEARCHES as usize {
        let search = search_spellings[i % search_spellings.len()];
        for path in [
            "/vesionbook/v1.0/user/feature".to_owned(),
            format!("/vesionbook/v1.0/user/{search}"),
        ] {
            assert_eq!(request(actix, "POST", &path, &[]).status, 200, "{path}");
        }
    }
    // A client that gives up in the middle of the slow request: the in-flight gauge
    // must come back to 0.
    let mut stream = TcpStream::connect(axum).expect("connect");
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .expect("send");
    std::thread::sleep(Duration::from_millis(50));
    drop(stream);
}

/// Mails "sent" through `facade-app`, each recorded by its `mailer` module through the
/// facade: `count` to each of three domains.
fn facade_traffic(facade: SocketAddr, count: u32) {
    for _ in 0..count {
        for domain in ["example.org", "example.com", "mail.test"] {
            assert_eq!(
                request(facade, "POST", &format!("/send/{domain}"), &[]).status,
                200
            );
        }
    }
}

fn check_exposition(addresses: &[SocketAddr]) {
    let promtool = tool("promtool", "prometheus");
    let python = python();
    for &address in addresses {
        let text = request(address, "GET", "/metrics", &[]);
        assert_eq!(text.status, 200);
        assert_eq!(
            text.header("content-type"),
            Some(prom_kit::encoding::TEXT_CONTENT_TYPE)
        );
        if let Some(promtool) = &promtool {
            let (ok, report) = run_with_stdin(promtool, &["check", "metrics"], &text.body);
            assert!(
                ok && report.trim().is_empty(),
                "promtool on {address}: {report}\n{}",
                text.text()
            );
        }
        let openmetrics = request(
            address,
            "GET",
            "/metrics",
            &[("Accept", "application/openmetrics-text;version=1.0.0")],
        );
        assert_eq!(
            openmetrics.header("content-type"),
            Some(prom_kit::encoding::OPENMETRICS_CONTENT_TYPE)
        );
        if let Some(python) = &python {
            let script = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\nprint(sum(len(f.samples) for f in p(sys.stdin.read())))";
            let (ok, output) = run_with_stdin(python, &["-c", script], &openmetrics.body);
            assert!(
                ok,
                "strict OpenMetrics parser on {address}: {output}\n{}",
                openmetrics.text()
            );
            assert!(output.trim().parse::<usize>().unwrap_or(0) > 10, "{output}");
        }
    }
}

/// What a real Prometheus answers over `facade-app`'s facade metrics: a `rate()` and a
/// `histogram_quantile()`.
fn check_facade_queries(prometheus: &Prometheus, facade: SocketAddr, wait: Duration) {
    // Facade metrics, recorded after Prometheus' first scrape so that `rate()` sees them
    // grow between two scrapes.
    facade_traffic(facade, 5);
    let rate = prometheus.wait_for(
        "sum(rate(mailer_sent_total{job=\"facade-app\"}[30s]))",
        wait,
        |v| v > 0.0,
    );
    assert!(rate > 0.0);
    assert_eq!(
        prometheus.value("count(mailer_sent_total{job=\"facade-app\"})"),
        Some(3.0),
        "one series per domain"
    );
    assert_eq!(
        prometheus.value("sum(app_handled_total{handler=\"send\"})"),
        prometheus.value("sum(app_sends_total)"),
        "the handler's facade counter and the app's own agree"
    );
    // Each send waits 20 ms: the median is in the buckets around it (2^k ms).
    let median = prometheus
        .wait_for(
            "histogram_quantile(0.5, sum by (le) (rate(mailer_send_duration_seconds_bucket{job=\"facade-app\"}[30s])))",
            wait,
            f64::is_finite,
        );
    assert!((0.016..=0.128).contains(&median), "median {median}");
}

#[test]
fn prometheus_scrapes_both_example_apps() {
    let Some(prometheus_binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let (_axum_process, axum) = start_app(env!("CARGO_BIN_EXE_axum-app"));
    let (_actix_process, actix) = start_app(env!("CARGO_BIN_EXE_actix-app"));
    let (_facade_process, facade) = start_app(env!("CARGO_BIN_EXE_facade-app"));
    traffic(axum, actix);
    facade_traffic(facade, 2);
    check_exposition(&[axum, actix, facade]);

    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: axum-app\n  static_configs:\n  - targets: ['{axum}']\n\
         - job_name: actix-app\n  static_configs:\n  - targets: ['{actix}']\n\
         - job_name: facade-app\n  static_configs:\n  - targets: ['{facade}']\n"
    );
    let prometheus = Prometheus::start(&prometheus_binary, &config, 0, &[]);
    let wait = Duration::from_secs(30);

    for job in ["axum-app", "actix-app", "facade-app"] {
        prometheus.wait_for(&format!("up{{job=\"{job}\"}}"), wait, |v| v == 1.0);
    }
    check_facade_queries(&prometheus, facade, wait);
    let users = prometheus.wait_for(
        "sum(http_requests_total{job=\"axum-app\",route=\"/users/{id}\",status=\"200\"})",
        wait,
        |v| v >= f64::from(USERS),
    );
    assert_eq!(users, f64::from(USERS));
    // Every unmatched URL shares one series per app.
    let unmatched = prometheus.query("http_requests_total{route=\"<unmatched>\"}");
    assert_eq!(unmatched.len(), 2, "{unmatched:?}");
    for job in ["axum-app", "actix-app"] {
        let value = prometheus.value(&format!(
            "sum(http_requests_total{{job=\"{job}\",route=\"<unmatched>\",status=\"404\"}})"
        ));
        assert_eq!(value, Some(f64::from(UNMATCHED)), "{job}");
    }
    assert_eq!(
        prometheus.value("sum(orders_total{product=\"book\"})"),
        Some(2.0)
    );
    assert!(
        prometheus
            .value("requests_total{job=\"axum-app\"}")
            .unwrap()
            >= f64::from(USERS + SLOW)
    );

    for path in [
        "/vesionbook/v1.0/user/feature",
        "/vesionbook/v1.0/user/search",
    ] {
        let value = prometheus.value(&format!(
            "face_search_metric{{method=\"POST\",path=\"{path}\",project=\"vesionbook\"}}"
        ));
        assert_eq!(value, Some(f64::from(SEARCHES)), "{path}");
        let counted = prometheus.value(&format!(
            "sum(http_requests_total{{job=\"actix-app\",route=\"{path}\"}})"
        ));
        assert_eq!(counted, Some(f64::from(SEARCHES)), "{path}");
    }
    // One series per route template, however the path was spelled.
    assert_eq!(
        prometheus.value("count(face_search_metric)"),
        Some(2.0),
        "{:?}",
        prometheus.query("face_search_metric")
    );
    assert_eq!(prometheus.value("mux_status"), Some(1.0));
    assert_eq!(prometheus.value("manage_status"), Some(1.0));

    // The /slow handler sleeps 300 ms: its median is in the (0.25, 0.5] bucket.
    let median = prometheus.value(
        "histogram_quantile(0.5, sum by (le) (http_request_duration_seconds_bucket{job=\"axum-app\",route=\"/slow\"}))",
    );
    let median = median.expect("a quantile");
    assert!((0.25..=0.5).contains(&median), "median {median}");

    // Both in-flight gauges settle at 0 once the abandoned requests are done.
    for job in ["axum-app", "actix-app"] {
        prometheus.wait_for(
            &format!("sum(http_requests_in_flight{{job=\"{job}\"}})"),
            wait,
            |v| v == 0.0,
        );
    }
    // The scrape handler counts Prometheus' own scrapes.
    assert!(
        prometheus
            .value("sum(prom_kit_scrapes_total{job=\"axum-app\",code=\"200\"})")
            .unwrap()
            >= 1.0
    );
}
