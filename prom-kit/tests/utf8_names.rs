//! UTF-8 metric and label names (Prometheus 3): which registry accepts them, and how each
//! escaping scheme writes them in every format.

use prom_kit::encoding::{EscapingScheme, Format};
use prom_kit::{
    Buckets, Collector, CollectorOutput, Counter, Descriptor, ErrorKind, Family, Gauge, Histogram,
    Info, MetricType, NameValidation, Registry, StateSet,
};

fn encode(registry: &Registry, format: Format, escaping: EscapingScheme) -> String {
    let mut out = Vec::new();
    registry
        .encode(
            prom_kit::EncodeOptions::new(format).escaping(escaping),
            &mut out,
        )
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn legacy_registries_refuse_utf8_names_where_they_meet_them() {
    let registry = Registry::new();
    assert_eq!(registry.name_validation(), NameValidation::Legacy);
    let kind = |result: prom_kit::Result<()>| result.unwrap_err().kind();
    assert_eq!(
        kind(registry.register("a.b", "", Counter::new())),
        ErrorKind::InvalidMetricName
    );
    let family: Family<Counter> = Family::new(["http.route"]).unwrap();
    assert_eq!(
        kind(registry.register("requests", "", family)),
        ErrorKind::InvalidLabelName
    );
    let info = Info::new([("service.name", "shop")]).unwrap();
    assert_eq!(
        kind(registry.register("build", "", info)),
        ErrorKind::InvalidLabelName
    );
    assert_eq!(
        registry.with_prefix("app.v1").unwrap_err().kind(),
        ErrorKind::InvalidMetricName
    );
    assert_eq!(
        registry
            .with_labels([("deploy.env", "prod")])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidLabelName
    );
    assert!(
        registry.encode_text().unwrap().is_empty(),
        "nothing registered"
    );

    // Reserved names stay refused in both modes.
    let utf8 = Registry::with_name_validation(NameValidation::Utf8);
    for registry in [&registry, &utf8] {
        let family: Family<Counter> = Family::new(["ok"]).unwrap();
        assert!(registry.register("", "", family).is_err());
        assert_eq!(
            registry.with_labels([("__xy", "1")]).unwrap_err().kind(),
            ErrorKind::ReservedLabelName
        );
        let le: prom_kit::Result<Family<Histogram>> = Family::new(["le"]);
        assert_eq!(le.unwrap_err().kind(), ErrorKind::ReservedLabelName);
    }
    assert_eq!(
        Family::<Counter>::new(["__a.b"]).unwrap_err().kind(),
        ErrorKind::ReservedLabelName
    );
    assert_eq!(
        Family::<Counter>::new([""]).unwrap_err().kind(),
        ErrorKind::InvalidLabelName
    );
}

/// A collector whose family has a dotted name.
struct Dotted;

impl Collector for Dotted {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let descriptor = Descriptor::new("pool.size", "Pool size.", MetricType::Gauge)?
            .with_label_names(["pool.name"])?;
        out.family(&descriptor).gauge(&["main"], 3.0)
    }
}

#[test]
fn collectors_are_held_to_their_registry_validation() {
    let legacy = Registry::new();
    legacy.register_collector(Dotted);
    let error = legacy.encode_text().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Collect);
    assert!(!error.to_string().is_empty());
    let mut partial = Vec::new();
    let _ = legacy.encode(Format::Text, &mut partial);
    assert!(partial.is_empty(), "{}", String::from_utf8_lossy(&partial));

    let utf8 = Registry::with_name_validation(NameValidation::Utf8);
    utf8.register_collector(Dotted);
    assert_eq!(
        encode(&utf8, Format::Text, EscapingScheme::AllowUtf8),
        "# HELP \"pool.size\" Pool size.\n# TYPE \"pool.size\" gauge\n{\"pool.size\",\"pool.name\"=\"main\"} 3\n"
    );
    assert_eq!(
        encode(&utf8, Format::Text, EscapingScheme::Underscores),
        "# HELP pool_size Pool size.\n# TYPE pool_size gauge\npool_size{pool_name=\"main\"} 3\n"
    );
}

/// A UTF-8 registry with one family of each shape that names can affect.
fn utf8_registry() -> Registry {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    registry.set_openmetrics_created(false);
    let requests: Family<Counter> = Family::new(["http.route", "ok_label"]).unwrap();
    registry
        .register("my.metric", "Help \"q\" \\ back\nnl.", requests.clone())
        .unwrap();
    requests.labels(&["/x", "v"]).unwrap().inc();
    let duration = Histogram::new(Buckets::new([0.5]).unwrap());
    registry
        .register("req.dur", "Durations.", duration.clone())
        .unwrap();
    duration.observe(0.25);
    let mode = StateSet::new(["on", "off"]).unwrap();
    mode.set("on").unwrap();
    registry.register("app.mode", "Mode.", mode).unwrap();
    let info = Info::new([("service.name", "shop"), ("version", "1.2")]).unwrap();
    registry.register("build", "Build.", info).unwrap();
    let legacy = Gauge::new();
    registry
        .with_labels([("deploy.env", "prod")])
        .unwrap()
        .register("plain_gauge", "Plain.", legacy.clone())
        .unwrap();
    legacy.set(2.0);
    registry
}

#[test]
fn allow_utf8_quotes_the_names_that_need_it() {
    let registry = utf8_registry();
    assert_eq!(
        encode(&registry, Format::Text, EscapingScheme::AllowUtf8),
        r#"# HELP "app.mode" Mode.
# TYPE "app.mode" gauge
{"app.mode","app.mode"="on"} 1
{"app.mode","app.mode"="off"} 0
# HELP build_info Build.
# TYPE build_info gauge
build_info{"service.name"="shop",version="1.2"} 1
# HELP "my.metric_total" Help "q" \\ back\nnl.
# TYPE "my.metric_total" counter
{"my.metric_total","http.route"="/x",ok_label="v"} 1
# HELP plain_gauge Plain.
# TYPE plain_gauge gauge
plain_gauge{"deploy.env"="prod"} 2
# HELP "req.dur" Durations.
# TYPE "req.dur" histogram
{"req.dur_bucket",le="0.5"} 1
{"req.dur_bucket",le="+Inf"} 1
{"req.dur_sum"} 0.25
{"req.dur_count"} 1
"#
    );
    assert_eq!(
        encode(&registry, Format::OpenMetrics, EscapingScheme::AllowUtf8),
        r#"# HELP "app.mode" Mode.
# TYPE "app.mode" stateset
{"app.mode","app.mode"="on"} 1
{"app.mode","app.mode"="off"} 0
# HELP build Build.
# TYPE build info
build_info{"service.name"="shop",version="1.2"} 1
# HELP "my.metric" Help \"q\" \\ back\nnl.
# TYPE "my.metric" counter
{"my.metric_total","http.route"="/x",ok_label="v"} 1
# HELP plain_gauge Plain.
# TYPE plain_gauge gauge
plain_gauge{"deploy.env"="prod"} 2
# HELP "req.dur" Durations.
# TYPE "req.dur" histogram
{"req.dur_bucket",le="0.5"} 1
{"req.dur_bucket",le="+Inf"} 1
{"req.dur_sum"} 0.25
{"req.dur_count"} 1
# EOF
"#
    );
}

#[test]
fn escaping_schemes_rewrite_metric_and_label_names() {
    let registry = utf8_registry();
    assert_eq!(
        encode(&registry, Format::Text, EscapingScheme::Underscores),
        r#"# HELP app_mode Mode.
# TYPE app_mode gauge
app_mode{app_mode="on"} 1
app_mode{app_mode="off"} 0
# HELP build_info Build.
# TYPE build_info gauge
build_info{service_name="shop",version="1.2"} 1
# HELP my_metric_total Help "q" \\ back\nnl.
# TYPE my_metric_total counter
my_metric_total{http_route="/x",ok_label="v"} 1
# HELP plain_gauge Plain.
# TYPE plain_gauge gauge
plain_gauge{deploy_env="prod"} 2
# HELP req_dur Durations.
# TYPE req_dur histogram
req_dur_bucket{le="0.5"} 1
req_dur_bucket{le="+Inf"} 1
req_dur_sum 0.25
req_dur_count 1
"#
    );
    let values = encode(&registry, Format::OpenMetrics, EscapingScheme::Values);
    for line in [
        "# TYPE U__my_2e_metric counter\n",
        "U__my_2e_metric_total{U__http_2e_route=\"/x\",ok_label=\"v\"} 1\n",
        "U__req_2e_dur_bucket{le=\"0.5\"} 1\n",
        "U__app_2e_mode{U__app_2e_mode=\"on\"} 1\n",
        "build_info{U__service_2e_name=\"shop\",version=\"1.2\"} 1\n",
        "plain_gauge{U__deploy_2e_env=\"prod\"} 2\n",
    ] {
        assert!(values.contains(line), "{line}in\n{values}");
    }
    let dots = encode(&registry, Format::Text, EscapingScheme::Dots);
    assert!(
        dots.contains("my_dot_metric_total{http_dot_route=\"/x\",ok_label=\"v\"} 1\n"),
        "{dots}"
    );
    // Legacy names stay as they are under every scheme (Go's rule, dots included).
    assert!(
        dots.contains("plain_gauge{deploy_dot_env=\"prod\"} 2\n"),
        "{dots}"
    );
}

#[test]
fn legacy_registries_write_the_same_bytes_under_every_scheme() {
    let registry = Registry::new();
    let family: Family<Counter> = Family::new(["route"]).unwrap();
    registry
        .register("requests", "Requests.", family.clone())
        .unwrap();
    family.labels(&["/a.b"]).unwrap().inc();
    for format in [Format::Text, Format::OpenMetrics] {
        let reference = encode(&registry, format, EscapingScheme::Underscores);
        for scheme in [
            EscapingScheme::AllowUtf8,
            EscapingScheme::Dots,
            EscapingScheme::Values,
        ] {
            assert_eq!(encode(&registry, format, scheme), reference);
        }
    }
}

#[test]
fn label_values_and_help_are_never_escaped_as_names() {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    let family: Family<Gauge> = Family::new(["a\"b\\c\nd", "v"]).unwrap();
    registry.register("x", "", family.clone()).unwrap();
    family.labels(&["1", "x.y \"z\""]).unwrap().set(1.0);
    assert_eq!(
        encode(&registry, Format::Text, EscapingScheme::AllowUtf8),
        "# TYPE x gauge\nx{\"a\\\"b\\\\c\\nd\"=\"1\",v=\"x.y \\\"z\\\"\"} 1\n"
    );
    assert_eq!(
        encode(&registry, Format::Text, EscapingScheme::Values),
        "# TYPE x gauge\nx{U__a_22_b_5c_c_a_d=\"1\",v=\"x.y \\\"z\\\"\"} 1\n"
    );
    // Lookups find the series again by the raw values.
    assert_eq!(family.len(), 1);
    family.labels(&["1", "x.y \"z\""]).unwrap().inc();
    assert_eq!(family.len(), 1);
    assert!(family.remove(&["1", "x.y \"z\""]).unwrap());
}

#[test]
fn names_that_a_scheme_writes_alike_cannot_both_be_registered() {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    registry.register("a.b", "", Gauge::new()).unwrap();
    for (clashing, scheme) in [
        ("a_b", "underscores"),
        ("a-b", "underscores"),
        ("a_dot_b", "dots"),
        ("U__a_2e_b", "values"),
    ] {
        let error = registry.register(clashing, "", Gauge::new()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AlreadyRegistered, "{clashing}");
        assert!(error.to_string().contains(scheme), "{clashing}: {error}");
    }
    // Sample names count too: the counter `x.y` writes `x_y_total` under underscores.
    registry.register("x.y", "", Counter::new()).unwrap();
    assert_eq!(
        registry
            .register("x_y_total", "", Gauge::new())
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyRegistered
    );
    // Unregistering frees every form of the name.
    registry.unregister("a.b").unwrap();
    registry.register("a_b", "", Gauge::new()).unwrap();

    // A collector's family that would be written like a registered one is dropped.
    registry.register("pool_size", "", Gauge::new()).unwrap();
    registry.register_collector(Dotted);
    let error = registry.encode_text().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Collect);
    assert!(error.to_string().contains("pool.size"), "{error}");
    let mut out = Vec::new();
    let _ = registry.encode(
        prom_kit::EncodeOptions::new(Format::Text).escaping(EscapingScheme::AllowUtf8),
        &mut out,
    );
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("pool.size"), "{text}");
    assert_eq!(text.matches("# TYPE pool_size gauge").count(), 1, "{text}");

    // A legacy registry has nothing to escape.
    let legacy = Registry::new();
    legacy.register("a_b", "", Gauge::new()).unwrap();
    legacy.register("a_dot_b", "", Gauge::new()).unwrap();
}

/// A collector whose info pairs are given as rendered text.
struct RawInfo(&'static str);

impl Collector for RawInfo {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let descriptor = Descriptor::new("raw", "Raw.", MetricType::Info)?;
        out.family(&descriptor)
            .series(&[] as &[&str], prom_kit::snapshot::Snapshot::Info(self.0))
    }
}

#[test]
fn label_names_that_a_scheme_writes_alike_or_reserved_are_refused() {
    // Found by the utf8_names fuzz target: `{` and `"` are both `_` with underscores
    // (and `__`, a reserved name, with dots).
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    assert_eq!(
        registry
            .set_target_info([("a{", ""), ("a\"", "")])
            .unwrap_err()
            .kind(),
        ErrorKind::DuplicateLabelName
    );
    let error = registry
        .set_target_info([("a.b", ""), ("a-b", "")])
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::DuplicateLabelName);
    assert!(error.to_string().contains("underscores"), "{error}");
    assert_eq!(
        Family::<Counter>::new(["a.b", "a_b"]).unwrap_err().kind(),
        ErrorKind::DuplicateLabelName
    );
    // `._name._` is `__name__` with underscores: it would overwrite the metric name;
    // `_.x` is `__x` with underscores, `花火` is `____` with dots.
    assert!(Family::<Counter>::new(["x_.", "y花火"]).is_ok());
    for reserved in ["._name._", "-_type-_", "._unit_.", "_.x", "花火", "{", "\""] {
        assert_eq!(
            Family::<Counter>::new([reserved]).unwrap_err().kind(),
            ErrorKind::ReservedLabelName,
            "{reserved}"
        );
    }
    // Across a view's constant labels and a family's own.
    let view = registry.with_labels([("a.b", "1")]).unwrap();
    let family: Family<Counter> = Family::new(["a_b"]).unwrap();
    assert_eq!(
        view.register("c", "", family).unwrap_err().kind(),
        ErrorKind::DuplicateLabelName
    );
    // And in a collector's info pairs: the family is dropped, the scrape stays valid.
    registry.register("ok", "", Gauge::new()).unwrap();
    registry.register_collector(RawInfo(r#""a.b"="1",a_b="2""#));
    assert_eq!(
        registry.encode_text().unwrap_err().kind(),
        ErrorKind::Collect
    );
    let mut out = Vec::new();
    let _ = registry.encode(
        prom_kit::EncodeOptions::new(Format::Text).escaping(EscapingScheme::Underscores),
        &mut out,
    );
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("raw_info"), "{text}");
    assert!(text.contains("ok 0\n"), "{text}");
}

/// UTF-8 label names that an escaping scheme writes with a leading `__` (reserved for
/// Prometheus: Python's parser refuses the whole exposition, Prometheus 2 stores the
/// label as an ordinary one), the scheme, and what it writes.
const ESCAPED_TO_RESERVED: [(&str, &str, &str); 6] = [
    ("._x", "underscores", "__x"),
    ("-.", "underscores", "__"),
    ("1x", "dots", "__x"),
    ("été", "dots", "__t__"),
    ("🔥", "dots", "__"),
    ("_x.y", "dots", "__x_dot_y"),
];

#[test]
fn label_names_escaped_to_a_reserved_name_are_refused_naming_the_scheme() {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    registry.register("ok", "", Gauge::new()).unwrap();
    for (name, scheme, escaped) in ESCAPED_TO_RESERVED {
        let check = |what: &str, result: prom_kit::Result<()>| {
            let error = result.expect_err(&format!("{what} {name:?}"));
            assert_eq!(
                error.kind(),
                ErrorKind::ReservedLabelName,
                "{what} {name:?}"
            );
            let message = error.to_string();
            assert!(
                message.contains(scheme) && message.contains(&format!("{escaped:?}")),
                "{what} {name:?}: {message}"
            );
        };
        check("family", Family::<Counter>::new(["ok", name]).map(drop));
        check(
            "compact family",
            prom_kit::CompactFamily::<Counter>::new([name]).map(drop),
        );
        check(
            "descriptor",
            Descriptor::new("d", "", MetricType::Gauge)
                .and_then(|d| d.with_label_names([name]))
                .map(drop),
        );
        check(
            "constant label",
            registry.with_labels([(name, "v")]).map(drop),
        );
        check("info", Info::new([("ok", "v"), (name, "v")]).map(drop));
        check("target info", registry.set_target_info([(name, "v")]));
        let mode = StateSet::new(["on"]).unwrap();
        check("state set", registry.register(name, "", mode));
        // A collector's info pairs, checked at every scrape: the family is dropped.
        let pairs: &'static str = Box::leak(format!("{name:?}=\"v\"").into_boxed_str());
        let id = registry.register_collector(RawInfo(pairs));
        let error = registry.encode_text().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Collect);
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        assert!(
            cause.is_some_and(|c| c.contains(scheme) && c.contains("reserved")),
            "collector {name:?}: {error}"
        );
        let mut text = Vec::new();
        let _ = registry.encode(
            prom_kit::EncodeOptions::new(Format::Text).escaping(EscapingScheme::Dots),
            &mut text,
        );
        assert_eq!(text, b"# TYPE ok gauge\nok 0\n", "collector {name:?}");
        assert!(registry.unregister_collector(id));
    }
    // Names that no scheme writes with a leading `__` stay accepted.
    for fine in ["_x", "x_", "x.y", "a花", "a1", "x.__", "_dot_"] {
        assert!(Family::<Counter>::new([fine]).is_ok(), "{fine}");
    }
}

/// A state set's name is its family's name and its states' label name; a name escaped
/// differently as the two (`:` stays in a family name but not in a label name) would
/// give states whose label is not their family's name, which Python's strict parser
/// refuses (found by `escaping_properties` once the parser checked state sets).
#[test]
fn state_set_names_escaped_differently_as_family_and_label_are_refused() {
    let registry = utf8_registry();
    for name in ["a:", "mode:x", "a.b:c"] {
        let mode = StateSet::new(["on", "off"]).unwrap();
        let error = registry.register(name, "Mode.", mode).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidLabelName, "{name}: {error}");
        assert!(error.to_string().contains("underscores"), "{name}: {error}");
    }
    // Escaped alike as both: accepted, and the states carry their family's name.
    let mode = StateSet::new(["on", "off"]).unwrap();
    registry.register("deploy.mode", "Mode.", mode).unwrap();
    let mut text = Vec::new();
    registry
        .encode(
            prom_kit::EncodeOptions::new(Format::OpenMetrics).escaping(EscapingScheme::Underscores),
            &mut text,
        )
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("deploy_mode{deploy_mode=\"on\"} 0\n"),
        "{text}"
    );
}
