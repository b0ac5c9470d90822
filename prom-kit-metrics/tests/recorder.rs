//! The recorder's behaviour through the facade's own macros: every operation, HELP and
//! units, names, refusals, bounds, and the hostile label values the encoders must escape.

use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
    with_local_recorder,
};
use prom_kit::testing::{Syntax, parse};
use prom_kit::{Buckets, Counter, Format, HistogramConfig, NameValidation, Registry};
use prom_kit_metrics::{Matcher, PromKitRecorder};

fn text(registry: &Registry) -> String {
    registry.encode_text().expect("encodes")
}

fn openmetrics(registry: &Registry) -> String {
    String::from_utf8(registry.render(Format::OpenMetrics).expect("encodes")).expect("UTF-8")
}

/// The value of the sample `name{labels}` in the text exposition, parsed strictly.
fn value(registry: &Registry, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let exposition = text(registry);
    let parsed = parse(&exposition, Syntax::Text).expect("a valid exposition");
    samples(&parsed)
        .find(|sample| {
            sample.name == name
                && sample.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| sample.labels.iter().any(|(n, w)| n == k && w == v))
        })
        .map(|sample| sample.value)
}

fn samples(
    parsed: &prom_kit::testing::Exposition,
) -> impl Iterator<Item = &prom_kit::testing::Sample> {
    parsed.families.iter().flat_map(|family| &family.samples)
}

fn errors(registry: &Registry, cause: &str) -> f64 {
    value(
        registry,
        "prom_kit_facade_errors_total",
        &[("cause", cause)],
    )
    .unwrap_or(0.0)
}

#[test]
fn every_facade_operation_lands_in_the_registry() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry)
        .histogram(
            Matcher::Full("latency_seconds".into()),
            Buckets::new([0.1, 1.0]).unwrap(),
        )
        .build()
        .unwrap();
    with_local_recorder(&recorder, || {
        counter!("jobs_total", "queue" => "mail").increment(2);
        counter!("jobs_total", "queue" => "mail").increment(3);
        counter!("bytes_read").absolute(40);
        counter!("bytes_read").absolute(25); // older than the total: ignored
        let depth = gauge!("queue_depth");
        depth.set(10.0);
        depth.increment(2.5);
        depth.decrement(0.5);
        let latency = histogram!("latency_seconds");
        latency.record(0.05);
        latency.record(0.5);
        latency.record(5.0);
    });
    assert_eq!(
        text(&registry),
        "\
# HELP bytes_read_total bytes_read
# TYPE bytes_read_total counter
bytes_read_total 40
# HELP jobs_total jobs_total
# TYPE jobs_total counter
jobs_total{queue=\"mail\"} 5
# HELP latency_seconds latency_seconds
# TYPE latency_seconds histogram
latency_seconds_bucket{le=\"0.1\"} 1
latency_seconds_bucket{le=\"1\"} 2
latency_seconds_bucket{le=\"+Inf\"} 3
latency_seconds_sum 5.55
latency_seconds_count 3
# HELP queue_depth queue_depth
# TYPE queue_depth gauge
queue_depth 12
"
    );
}

#[test]
fn a_kept_handle_and_a_repeated_call_update_one_series() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry).build().unwrap();
    with_local_recorder(&recorder, || {
        let kept = counter!("hits", "path" => "/");
        for _ in 0..10 {
            kept.increment(1);
            counter!("hits", "path" => "/").increment(1);
        }
    });
    assert_eq!(value(&registry, "hits_total", &[("path", "/")]), Some(20.0));
}

#[test]
fn descriptions_set_help_before_and_after_the_first_sample_and_a_unit_the_name_ends_with() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry).build().unwrap();
    with_local_recorder(&recorder, || {
        describe_histogram!("request_duration_seconds", Unit::Seconds, "Time to answer.");
        histogram!("request_duration_seconds").record(0.2);
        describe_gauge!("memory", Unit::Bytes, "Memory in use."); // no `_bytes` suffix
        gauge!("memory").set(1.0);
        counter!("late").increment(1);
    });
    let before = text(&registry);
    assert!(before.contains("# HELP late_total late\n"), "{before}");
    with_local_recorder(&recorder, || {
        describe_counter!("late", "Described after use.");
    });
    let after = openmetrics(&registry);
    assert!(
        after.contains("# HELP late Described after use.\n"),
        "{after}"
    );
    assert!(
        after.contains("# HELP request_duration_seconds Time to answer.\n"),
        "{after}"
    );
    assert!(
        after.contains("# UNIT request_duration_seconds seconds\n"),
        "{after}"
    );
    // A unit never renames a metric: the name is the same whether or not described first.
    assert!(
        after.contains("# TYPE memory gauge\n") && !after.contains("# UNIT memory"),
        "{after}"
    );
    assert_eq!(value(&registry, "late_total", &[]), Some(1.0));
}

#[test]
fn names_are_sanitised_in_a_legacy_registry_and_kept_in_a_utf8_one() {
    let legacy = Registry::new();
    let recorder = PromKitRecorder::builder(&legacy).build().unwrap();
    with_local_recorder(&recorder, || {
        counter!("http.server.requests", "http.method" => "GET", "__meta" => "x").increment(1);
        // Sanitises to the same name and labels: the same series.
        counter!("http_server.requests", "http_method" => "GET", "_meta" => "x").increment(1);
        gauge!("9lives").set(9.0);
    });
    assert_eq!(
        value(
            &legacy,
            "http_server_requests_total",
            &[("http_method", "GET"), ("_meta", "x")]
        ),
        Some(2.0)
    );
    assert_eq!(value(&legacy, "_lives", &[]), Some(9.0));

    let utf8 = Registry::with_name_validation(NameValidation::Utf8);
    let recorder = PromKitRecorder::builder(&utf8).build().unwrap();
    with_local_recorder(&recorder, || {
        counter!("http.server.requests", "http.method" => "GET").increment(1);
    });
    let options = prom_kit::EncodeOptions::new(Format::Text)
        .escaping(prom_kit::encoding::EscapingScheme::AllowUtf8);
    let exposition = String::from_utf8(utf8.render(options).unwrap()).unwrap();
    assert!(
        exposition.contains("{\"http.server.requests_total\",\"http.method\"=\"GET\"} 1\n"),
        "{exposition}"
    );
}

#[test]
fn clashes_are_refused_with_a_typed_cause_and_leave_the_registry_intact() {
    let registry = Registry::new();
    let native = Counter::new();
    registry
        .register("orders", "Orders placed.", native.clone())
        .unwrap();
    native.inc();
    let recorder = PromKitRecorder::builder(&registry).build().unwrap();
    with_local_recorder(&recorder, || {
        // Taken natively, under either spelling.
        counter!("orders").increment(5);
        counter!("orders_total").increment(5);
        gauge!("orders").set(5.0);
        // Another facade type under a name in use.
        counter!("mixed").increment(1);
        gauge!("mixed").set(3.0);
        histogram!("mixed").record(3.0);
        // Label names other than the first key's.
        counter!("shape", "a" => "1").increment(1);
        counter!("shape", "b" => "1").increment(1);
        counter!("shape").increment(1);
        counter!("shape", "a" => "1", "b" => "2").increment(1);
        // Reserved or repeated once sanitised.
        histogram!("sizes", "le" => "1").record(1.0);
        counter!("twice", "a.b" => "1", "a_b" => "2").increment(1);
        counter!("").increment(1);
    });
    assert_eq!(value(&registry, "orders_total", &[]), Some(1.0));
    assert_eq!(value(&registry, "mixed_total", &[]), Some(1.0));
    assert_eq!(value(&registry, "shape_total", &[("a", "1")]), Some(1.0));
    // Counted once per facade name and cause: `orders` and `orders_total` (the gauge
    // `orders` is the same name and cause), `mixed`, `shape`, `sizes` and `twice`, "".
    assert_eq!(errors(&registry, "name_taken"), 2.0);
    assert_eq!(errors(&registry, "type"), 1.0);
    assert_eq!(errors(&registry, "label_names"), 1.0);
    assert_eq!(errors(&registry, "label_name"), 2.0);
    assert_eq!(errors(&registry, "name"), 1.0);
    // Repeated, they count nothing more.
    with_local_recorder(&recorder, || {
        for _ in 0..10 {
            counter!("orders").increment(1);
            gauge!("mixed").set(1.0);
            counter!("shape", "b" => "1").increment(1);
        }
    });
    assert_eq!(errors(&registry, "name_taken"), 2.0);
    assert_eq!(errors(&registry, "type"), 1.0);
    assert_eq!(errors(&registry, "label_names"), 1.0);
    // A refused name stays refused; the metric that holds it keeps working.
    with_local_recorder(&recorder, || counter!("shape", "a" => "1").increment(1));
    assert_eq!(value(&registry, "shape_total", &[("a", "1")]), Some(2.0));
    // A metric that failed on its first key's labels is made by a later, valid key.
    with_local_recorder(&recorder, || histogram!("sizes", "kind" => "x").record(1.0));
    assert_eq!(value(&registry, "sizes_count", &[("kind", "x")]), Some(1.0));
}

#[test]
fn hostile_label_values_are_escaped_and_read_back_exactly() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry).build().unwrap();
    let controls: String = (0u8..0x20).chain([0x7f]).map(char::from).collect();
    let values = [
        controls.clone(),
        String::new(),
        "\"quoted\" \\ back\\slash\nnew line".to_owned(),
        "x".repeat(64 * 1024),
        "ünïcødé 🦀".to_owned(),
    ];
    with_local_recorder(&recorder, || {
        for (i, v) in values.iter().enumerate() {
            counter!("hostile", "v" => v.clone()).increment(i as u64 + 1);
        }
    });
    let exposition = text(&registry);
    let parsed = parse(&exposition, Syntax::Text).expect("valid");
    for (i, v) in values.iter().enumerate() {
        let found = samples(&parsed)
            .find(|s| s.name == "hostile_total" && s.labels.iter().any(|(_, w)| w == v))
            .unwrap_or_else(|| panic!("value {i} not read back"));
        assert_eq!(found.value, i as f64 + 1.0);
    }
    let openmetrics = openmetrics(&registry);
    parse(&openmetrics, Syntax::OpenMetrics).expect("valid OpenMetrics");
}

#[test]
fn max_series_bounds_each_metric_with_an_overflow_series() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry)
        .max_series(Matcher::Prefix("tenant".into()), 10)
        .build()
        .unwrap();
    with_local_recorder(&recorder, || {
        for user in 0..1_000 {
            counter!("tenant_requests", "user" => user.to_string()).increment(1);
        }
        for user in 0..5 {
            counter!("other_requests", "user" => user.to_string()).increment(1);
        }
    });
    let exposition = text(&registry);
    let parsed = parse(&exposition, Syntax::Text).expect("valid");
    let tenant: Vec<_> = samples(&parsed)
        .filter(|s| s.name == "tenant_requests_total")
        .collect();
    assert_eq!(tenant.len(), 11, "10 series and the overflow one");
    assert_eq!(tenant.iter().map(|s| s.value).sum::<f64>(), 1_000.0);
    assert_eq!(
        samples(&parsed)
            .filter(|s| s.name == "other_requests_total")
            .count(),
        5
    );
}

#[test]
fn idle_series_of_an_expiring_metric_leave_and_come_back_from_zero() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry)
        .expire_after(
            Matcher::Prefix("session".into()),
            Duration::from_millis(200),
        )
        .build()
        .unwrap();
    with_local_recorder(&recorder, || {
        counter!("session_events", "id" => "a").increment(1);
        counter!("session_events", "id" => "b").increment(1);
    });
    text(&registry); // the sweep that sees both change
    let kept = with_local_recorder(&recorder, || counter!("session_events", "id" => "b"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while value(&registry, "session_events_total", &[("id", "a")]).is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the idle series never left"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // `b` is idle but its handle is kept: hidden, and back with its value on update.
    assert_eq!(
        value(&registry, "session_events_total", &[("id", "b")]),
        None
    );
    kept.increment(1);
    assert_eq!(
        value(&registry, "session_events_total", &[("id", "b")]),
        Some(2.0)
    );
    // `a` was freed: it starts again from zero.
    with_local_recorder(&recorder, || {
        counter!("session_events", "id" => "a").increment(1);
    });
    assert_eq!(
        value(&registry, "session_events_total", &[("id", "a")]),
        Some(1.0)
    );
    assert!(
        PromKitRecorder::builder(&registry)
            .expire_after(Matcher::Prefix("x".into()), Duration::ZERO)
            .build()
            .is_err()
    );
}

#[test]
fn a_registry_view_prefixes_and_labels_every_facade_metric() {
    let registry = Registry::new();
    let view = registry
        .with_prefix("deps")
        .unwrap()
        .with_labels([("source", "facade")])
        .unwrap();
    let recorder = PromKitRecorder::builder(&view).build().unwrap();
    with_local_recorder(&recorder, || {
        describe_counter!("pool.checkouts", "Connections checked out.");
        counter!("pool.checkouts", "pool" => "main").increment(4);
    });
    let exposition = text(&registry);
    assert!(
        exposition.contains("# HELP deps_pool_checkouts_total Connections checked out.\n"),
        "{exposition}"
    );
    assert_eq!(
        value(
            &registry,
            "deps_pool_checkouts_total",
            &[("source", "facade"), ("pool", "main")]
        ),
        Some(4.0)
    );
}

#[test]
fn native_histograms_are_chosen_per_matcher() {
    use prom_kit::metrics::native::NativeBuckets;
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry)
        .histogram(
            Matcher::Prefix("rpc".into()),
            HistogramConfig::both(
                Buckets::new([1.0]).unwrap(),
                NativeBuckets::new(1.1).unwrap(),
            ),
        )
        .build()
        .unwrap();
    with_local_recorder(&recorder, || {
        histogram!("rpc_duration_seconds").record(0.5);
        histogram!("other_seconds").record(0.5);
    });
    let exposition = text(&registry);
    assert!(
        exposition.contains("rpc_duration_seconds_bucket{le=\"1\"} 1\n"),
        "{exposition}"
    );
    assert!(
        exposition.contains("other_seconds_bucket{le=\"0.5\"} 1\n"),
        "{exposition}"
    );
    // In protobuf, the matched histogram carries native buckets (schema 3 for a growth
    // factor of 1.1), the other none.
    let families =
        prom_kit_test_support::proto::decode(&registry.render(Format::Protobuf).unwrap());
    let schema = |name: &str| {
        let family = families
            .iter()
            .find(|f| f.name.as_deref() == Some(name))
            .unwrap();
        family.metric[0].histogram.as_ref().unwrap().schema
    };
    assert_eq!(schema("rpc_duration_seconds"), Some(3));
    assert_eq!(schema("other_seconds"), None);
}

#[test]
fn non_finite_values_are_recorded_as_prom_kit_records_them() {
    let registry = Registry::new();
    let recorder = PromKitRecorder::builder(&registry).build().unwrap();
    with_local_recorder(&recorder, || {
        gauge!("g_nan").set(f64::NAN);
        gauge!("g_inf").set(f64::INFINITY);
        gauge!("g_neg_inf").set(f64::NEG_INFINITY);
        counter!("c_max").increment(u64::MAX);
        counter!("c_max").increment(1); // saturates, never wraps to a reset
        histogram!("h_inf").record(f64::INFINITY);
    });
    assert!(value(&registry, "g_nan", &[]).unwrap().is_nan());
    assert_eq!(value(&registry, "g_inf", &[]), Some(f64::INFINITY));
    assert_eq!(value(&registry, "g_neg_inf", &[]), Some(f64::NEG_INFINITY));
    assert_eq!(value(&registry, "c_max_total", &[]), Some(u64::MAX as f64));
    assert_eq!(value(&registry, "h_inf_count", &[]), Some(1.0));
    parse(&openmetrics(&registry), Syntax::OpenMetrics).expect("valid OpenMetrics");
}
