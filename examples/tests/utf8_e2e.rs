//! A UTF-8 registry (dotted OpenTelemetry names, a `target_info`) judged by the real
//! tools of Prometheus 2.42, which know nothing of UTF-8 names: `promtool check metrics`
//! accepts the exposition under every escaping scheme, and a real Prometheus scraping
//! prom-kit's server stores the names escaped with underscores and answers queries.

mod support;

use std::time::Duration;

use prom_kit::adapter::RequestInfo;
use prom_kit::encoding::{EscapingScheme, Format};
use prom_kit::http::{HttpMetrics, NamingScheme};
use prom_kit::push::PushClient;
use prom_kit::{Counter, Family, Histogram, NameValidation, Registry};
use prom_kit_test_support::tools::promtool;
use prom_kit_test_support::{promtool_check, run_with_stdin};
use support::{Prometheus, Pushgateway, request, tool};

/// A UTF-8 registry with dotted names everywhere names can be.
fn utf8_registry() -> Registry {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    registry
        .set_target_info([("service.name", "shop"), ("service.version", "1.4.2")])
        .unwrap();
    let orders: Family<Counter> = Family::new(["order.kind"]).unwrap();
    orders.labels(&["express"]).unwrap().inc_by(3);
    registry
        .with_labels([("deployment.environment", "prod")])
        .unwrap()
        .register("shop.orders", "Orders placed.", orders)
        .unwrap();
    let latency = Histogram::new(prom_kit::Buckets::new([0.1, 1.0]).unwrap());
    latency.observe(0.05);
    latency.observe(0.5);
    registry
        .register_with_unit("db.query.duration", "Query time.", "seconds", latency)
        .unwrap();
    let http = HttpMetrics::builder()
        .naming(NamingScheme::OpenTelemetryUtf8)
        .build(&registry)
        .unwrap();
    http.start(
        &RequestInfo {
            method: "GET",
            route: Some("/items/{id}"),
            path: "/items/7",
            request_size: None,
        },
        Vec::new(),
    )
    .unwrap()
    .finish(200, None);
    registry
}

#[test]
fn promtool_accepts_every_escaping_scheme() {
    let Some(promtool) = promtool() else {
        return;
    };
    let registry = utf8_registry();
    for scheme in [
        EscapingScheme::Underscores,
        EscapingScheme::Dots,
        EscapingScheme::Values,
    ] {
        let mut out = Vec::new();
        registry
            .encode(
                prom_kit::EncodeOptions::new(Format::Text).escaping(scheme),
                &mut out,
            )
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains("{\""),
            "no quoted name under {scheme:?}:\n{text}"
        );
        if scheme == EscapingScheme::Underscores {
            let report = promtool_check(&promtool, &text)
                .unwrap_or_else(|e| panic!("promtool refused underscores: {e}"));
            assert!(report.trim().is_empty(), "lint findings:\n{report}\n{text}");
            continue;
        }
        // `dots` and `values` names parse; their shapes (`U__…`, `_dot_`) only draw
        // naming-style lint findings (promtool's exit code 3), never a parse error (1).
        let (ok, stdout, stderr) =
            run_with_stdin(&promtool, &["check", "metrics"], text.as_bytes());
        let report = format!("{stdout}{stderr}");
        assert!(
            ok || (!report.trim().is_empty()
                && report.lines().all(|l| l.contains("metric names should"))),
            "{scheme:?}:\n{report}\n--- input ---\n{text}"
        );
    }
}

#[test]
fn prometheus_2_stores_escaped_names_and_answers_queries() {
    let Some(prometheus_binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let registry = utf8_registry();
    let server = prom_kit::server::start_http_server("127.0.0.1:0", &registry).unwrap();
    let address = server.local_addr();
    // Prometheus 2.42 names no escaping: it is answered with underscores.
    let answer = request(
        address,
        "GET",
        "/metrics",
        &[(
            "Accept",
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        )],
    );
    let text = answer.text();
    assert!(
        text.starts_with("# HELP target Target metadata.\n# TYPE target info\ntarget_info{"),
        "{text}"
    );
    assert!(!text.contains("{\""), "{text}");

    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: utf8\n  static_configs:\n  - targets: ['{address}']\n"
    );
    let prometheus = Prometheus::start(&prometheus_binary, &config, 14, &[]);
    prometheus.wait_for("up{job=\"utf8\"}", Duration::from_secs(30), |v| v == 1.0);
    let checks = [
        (
            "shop_orders_total{order_kind=\"express\",deployment_environment=\"prod\"}",
            3.0,
        ),
        ("db_query_duration_seconds_count", 2.0),
        ("db_query_duration_seconds_bucket{le=\"0.1\"}", 1.0),
        (
            "target_info{service_name=\"shop\",service_version=\"1.4.2\"}",
            1.0,
        ),
        (
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/items/{id}\",http_response_status_code=\"200\"}",
            1.0,
        ),
        (
            "http_server_active_requests{http_request_method=\"GET\"}",
            0.0,
        ),
    ];
    for (query, expected) in checks {
        let got = prometheus.wait_for(query, Duration::from_secs(30), |_| true);
        assert_eq!(got, expected, "{query}");
    }
    server.shutdown();
}

#[test]
fn pushgateway_1_5_takes_a_utf8_registry_escaped_with_underscores() {
    let Some(binary) = tool("prometheus-pushgateway", "prometheus-pushgateway") else {
        return;
    };
    let gateway = Pushgateway::start(&binary, 15);
    let client = PushClient::builder(&gateway.url(), "utf8")
        .grouping("zone", "eu")
        .build()
        .unwrap();
    client.push_blocking(&utf8_registry()).unwrap();
    let metrics = gateway.metrics();
    for needle in [
        "shop_orders_total{deployment_environment=\"prod\",instance=\"\",job=\"utf8\",order_kind=\"express\",zone=\"eu\"} 3",
        "target_info{instance=\"\",job=\"utf8\",service_name=\"shop\",service_version=\"1.4.2\",zone=\"eu\"} 1",
    ] {
        assert!(metrics.contains(needle), "{needle} missing:\n{metrics}");
    }
}
