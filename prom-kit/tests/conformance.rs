//! Conformance against the real parsers: `promtool check metrics` (Prometheus 2.42) and
//! Python's `prometheus_client` text and strict OpenMetrics parsers. Each parses the
//! exposition of a registry exercising every type, escape and special float, and the
//! values they read back must equal what was recorded.

mod support;

use support::{
    KITCHEN_SINK_BUCKETS, find_sample, kitchen_sink, promtool, promtool_check, python,
    python_parse, same_value,
};

fn assert_common_samples(families: &[support::ParsedFamily], expected: &[support::ExpectedSample]) {
    for (name, labels, value) in expected {
        let labels: Vec<(&str, &str)> = labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sample = find_sample(families, name, &labels)
            .unwrap_or_else(|| panic!("sample {name}{labels:?} missing from {families:#?}"));
        assert!(
            same_value(sample.value, *value),
            "{name}{labels:?}: parsed {} but recorded {value}",
            sample.value
        );
    }
}

/// The kitchen sink's histogram buckets, `le` as the format under test writes it.
fn assert_buckets(families: &[support::ParsedFamily], buckets: [(&str, f64); 5]) {
    for (le, count) in buckets {
        let sample = find_sample(
            families,
            "request_duration_seconds_bucket",
            &[("route", "/users/{id}"), ("le", le)],
        )
        .unwrap_or_else(|| panic!("bucket le={le} missing"));
        assert!(
            same_value(sample.value, count),
            "le={le}: {} != {count}",
            sample.value
        );
    }
}

#[test]
fn promtool_accepts_the_text_format_without_lint_findings() {
    let Some(promtool) = promtool() else { return };
    let text = kitchen_sink().registry.encode_text().unwrap();
    let report = promtool_check(&promtool, &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.trim().is_empty(),
        "promtool lint findings:\n{report}\n--- input ---\n{text}"
    );
}

#[test]
fn python_text_parser_reads_back_every_value() {
    let Some(python) = python() else { return };
    let sink = kitchen_sink();
    let text = sink.registry.encode_text().unwrap();
    let families = python_parse(&python, &text, false).unwrap_or_else(|e| panic!("{e}"));
    assert_common_samples(&families, &sink.common);
    assert_buckets(
        &families,
        KITCHEN_SINK_BUCKETS.map(|(le, _, count)| (le, count)),
    );
    let requests = families
        .iter()
        .find(|f| f.name == "requests")
        .expect("requests family");
    assert_eq!(requests.kind, "counter");
    assert_eq!(
        requests.help,
        "Requests served.\nSecond line with \\ backslash and \"quotes\"."
    );
}

#[test]
fn python_strict_openmetrics_parser_reads_back_every_value() {
    let Some(python) = python() else { return };
    let sink = kitchen_sink();
    let text = openmetrics(&sink.registry);
    let families = python_parse(&python, &text, true).unwrap_or_else(|e| panic!("{e}"));
    assert_common_samples(&families, &sink.common);
    assert_buckets(
        &families,
        KITCHEN_SINK_BUCKETS.map(|(_, le, count)| (le, count)),
    );
    let kinds: Vec<(&str, &str)> = families
        .iter()
        .map(|f| (f.name.as_str(), f.kind.as_str()))
        .collect();
    for expected in [
        ("requests", "counter"),
        ("cpu_seconds", "counter"),
        ("temperature_celsius", "gauge"),
        ("request_duration_seconds", "histogram"),
        ("payload_bytes", "summary"),
        ("build", "info"),
        ("worker_mode", "stateset"),
        ("pool_connections", "gauge"),
    ] {
        assert!(kinds.contains(&expected), "{expected:?} not in {kinds:?}");
    }
    // Exemplars survive the strict parser.
    let plain = find_sample(
        &families,
        "http_requests_total",
        &[("method", "GET"), ("path", "plain")],
    )
    .unwrap();
    assert_eq!(
        plain
            .exemplar
            .as_ref()
            .and_then(|e| e.get("trace_id"))
            .map(String::as_str),
        Some("0af7651916cd43dd8448eb211c80319c")
    );
    let inf = find_sample(
        &families,
        "request_duration_seconds_bucket",
        &[("route", "/users/{id}"), ("le", "+Inf")],
    )
    .unwrap();
    let exemplar = inf.exemplar.as_ref().expect("+Inf bucket exemplar");
    assert_eq!(
        exemplar.get("span_id").map(String::as_str),
        Some("q\"uoted")
    );
    let cpu = families
        .iter()
        .find(|f| f.name == "cpu_seconds")
        .expect("cpu family");
    assert_eq!(cpu.unit, "seconds");
    let requests = families
        .iter()
        .find(|f| f.name == "requests")
        .expect("requests family");
    assert_eq!(
        requests.help,
        "Requests served.\nSecond line with \\ backslash and \"quotes\"."
    );
    // Counters, histograms and summaries carry a plausible `_created`.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for name in [
        "requests_created",
        "request_duration_seconds_created",
        "payload_bytes_created",
    ] {
        let created = families
            .iter()
            .flat_map(|f| &f.samples)
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert!(
            (now - created.value).abs() < 600.0,
            "{name} = {}",
            created.value
        );
    }
}

#[test]
fn openmetrics_histograms_with_negative_sums_still_parse() {
    let Some(python) = python() else { return };
    let registry = prom_kit::Registry::new();
    let negative = prom_kit::Histogram::new(prom_kit::Buckets::new([-1.0, 0.0, 1.0]).unwrap());
    for v in [-5.0, -0.5, 0.5] {
        negative.observe(v);
    }
    registry
        .register("delta", "Signed deltas.", negative)
        .unwrap();
    let nan = prom_kit::Summary::new();
    nan.observe(f64::NAN);
    registry.register("odd", "A NaN observation.", nan).unwrap();
    let text = openmetrics(&registry);
    let families = python_parse(&python, &text, true).unwrap_or_else(|e| panic!("{e}"));
    let inf = find_sample(&families, "delta_bucket", &[("le", "+Inf")]).expect("+Inf bucket");
    assert_eq!(inf.value, 3.0);
    assert!(find_sample(&families, "delta_sum", &[]).is_none());
    assert_eq!(
        find_sample(&families, "odd_count", &[])
            .expect("count")
            .value,
        1.0
    );
    // The text format keeps the sum.
    let text = registry.encode_text().unwrap();
    assert!(text.contains("delta_sum -5\n"), "{text}");
    assert!(text.contains("odd_sum NaN\n"), "{text}");
}

#[test]
#[ignore = "prints the kitchen-sink exposition for inspection"]
fn print_kitchen_sink() {
    let sink = kitchen_sink();
    println!("{}", sink.registry.encode_text().unwrap());
    println!("{}", openmetrics(&sink.registry));
}

/// The registry's OpenMetrics exposition, as text.
fn openmetrics(registry: &prom_kit::Registry) -> String {
    String::from_utf8(registry.render(prom_kit::Format::OpenMetrics).unwrap()).unwrap()
}
