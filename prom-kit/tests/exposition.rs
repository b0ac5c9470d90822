//! Exact exposition text for every metric type, in both formats.

use prom_kit::{
    Buckets, Counter, CounterFn, DenseFamily, Family, Gauge, GaugeFn, Histogram, Info, Registry,
    StateSet, Summary,
};

/// The OpenMetrics output with every `_created` value replaced by `<created>`, after
/// checking each is a plausible timestamp.
fn openmetrics(registry: &Registry) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    raw_openmetrics(registry)
        .lines()
        .map(|line| match line.split_once("_created") {
            Some((head, rest)) if !line.starts_with('#') => {
                let (labels, value) = rest.rsplit_once(' ').unwrap();
                let value: f64 = value.parse().unwrap();
                assert!((now - value).abs() < 600.0, "created {value} is not recent");
                format!("{head}_created{labels} <created>\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

#[test]
fn counter() {
    let registry = Registry::new();
    let c = Counter::new();
    c.inc_by(3);
    registry
        .register("jobs_total", "Jobs done.", c.clone())
        .unwrap();
    assert_eq!(
        registry.encode_text().unwrap(),
        "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 3\n"
    );
    c.inc_by_f64(0.5).unwrap();
    assert_eq!(
        openmetrics(&registry),
        "# HELP jobs Jobs done.\n# TYPE jobs counter\njobs_total 3.5\njobs_created <created>\n# EOF\n"
    );
}

#[test]
fn gauge_with_unit_and_special_values() {
    let registry = Registry::new();
    let family: Family<Gauge> = Family::new(["kind"]).unwrap();
    family.labels(&["nan"]).unwrap().set(f64::NAN);
    registry
        .register_with_unit("level_ratio", "Fill level.", "ratio", family.clone())
        .unwrap();
    assert_eq!(
        registry.encode_text().unwrap(),
        "# HELP level_ratio Fill level.\n# TYPE level_ratio gauge\nlevel_ratio{kind=\"nan\"} NaN\n"
    );
    family.labels(&["nan"]).unwrap().set(f64::NEG_INFINITY);
    assert_eq!(
        openmetrics(&registry),
        "# HELP level_ratio Fill level.\n# TYPE level_ratio gauge\n# UNIT level_ratio ratio\n\
         level_ratio{kind=\"nan\"} -Inf\n# EOF\n"
    );
}

#[test]
fn histogram() {
    let registry = Registry::new();
    let h = Histogram::new(Buckets::new([0.5, 1.0, 1e6]).unwrap());
    h.observe(0.25);
    h.observe(2.0);
    registry.register("size", "Sizes.", h).unwrap();
    assert_eq!(
        registry.encode_text().unwrap(),
        "# HELP size Sizes.\n# TYPE size histogram\n\
         size_bucket{le=\"0.5\"} 1\nsize_bucket{le=\"1\"} 1\nsize_bucket{le=\"1e+06\"} 2\nsize_bucket{le=\"+Inf\"} 2\n\
         size_sum 2.25\nsize_count 2\n"
    );
    assert_eq!(
        openmetrics(&registry),
        "# HELP size Sizes.\n# TYPE size histogram\n\
         size_bucket{le=\"0.5\"} 1\nsize_bucket{le=\"1.0\"} 1\nsize_bucket{le=\"1e+06\"} 2\nsize_bucket{le=\"+Inf\"} 2\n\
         size_sum 2.25\nsize_count 2\nsize_created <created>\n# EOF\n"
    );
}

#[test]
fn summary() {
    let registry = Registry::new();
    let s = Summary::new();
    s.observe(1.5);
    registry.register("rpc", "RPCs.", s).unwrap();
    assert_eq!(
        registry.encode_text().unwrap(),
        "# HELP rpc RPCs.\n# TYPE rpc summary\nrpc_sum 1.5\nrpc_count 1\n"
    );
    assert_eq!(
        openmetrics(&registry),
        "# HELP rpc RPCs.\n# TYPE rpc summary\nrpc_sum 1.5\nrpc_count 1\nrpc_created <created>\n# EOF\n"
    );
}

#[test]
fn info_and_stateset() {
    let registry = Registry::new();
    registry
        .register(
            "build_info",
            "Build.",
            Info::new([("version", "1.0")]).unwrap(),
        )
        .unwrap();
    let state = StateSet::new(["on", "off"]).unwrap();
    state.set_active("on", true).unwrap();
    state.set_active("off", true).unwrap();
    registry.register("power", "Power states.", state).unwrap();
    assert_eq!(
        registry.encode_text().unwrap(),
        "# HELP build_info Build.\n# TYPE build_info gauge\nbuild_info{version=\"1.0\"} 1\n\
         # HELP power Power states.\n# TYPE power gauge\npower{power=\"on\"} 1\npower{power=\"off\"} 1\n"
    );
    assert_eq!(
        openmetrics(&registry),
        "# HELP build Build.\n# TYPE build info\nbuild_info{version=\"1.0\"} 1\n\
         # HELP power Power states.\n# TYPE power stateset\npower{power=\"on\"} 1\npower{power=\"off\"} 1\n# EOF\n"
    );
}

#[test]
fn callbacks() {
    let registry = Registry::new();
    registry
        .register("load", "Load.", GaugeFn::new(|| 0.75))
        .unwrap();
    registry
        .register("ticks", "Ticks.", CounterFn::new(|| 12.0))
        .unwrap();
    assert_eq!(
        registry.encode_text().unwrap(),
        "# HELP load Load.\n# TYPE load gauge\nload 0.75\n# HELP ticks_total Ticks.\n# TYPE ticks_total counter\nticks_total 12\n"
    );
    // Callback counters have no creation time to report.
    assert_eq!(
        openmetrics(&registry),
        "# HELP load Load.\n# TYPE load gauge\nload 0.75\n# HELP ticks Ticks.\n# TYPE ticks counter\nticks_total 12\n# EOF\n"
    );
}

#[test]
fn escaping_in_help_and_labels() {
    let registry = Registry::new();
    let family: Family<Counter> = Family::new(["v"]).unwrap();
    family.labels(&["a\\b\"c\nd"]).unwrap().inc();
    registry
        .register("esc", "Help \\ with \"quotes\"\nand lines.", family)
        .unwrap();
    let text = registry.encode_text().unwrap();
    assert_eq!(
        text,
        "# HELP esc_total Help \\\\ with \"quotes\"\\nand lines.\n# TYPE esc_total counter\n\
         esc_total{v=\"a\\\\b\\\"c\\nd\"} 1\n"
    );
    let om = openmetrics(&registry);
    assert!(
        om.starts_with("# HELP esc Help \\\\ with \\\"quotes\\\"\\nand lines.\n"),
        "{om}"
    );
}

#[test]
fn empty_help_omits_the_help_line() {
    let registry = Registry::new();
    registry.register("quiet", "", Gauge::new()).unwrap();
    assert_eq!(
        registry.encode_text().unwrap(),
        "# TYPE quiet gauge\nquiet 0\n"
    );
}

#[test]
fn families_are_sorted_and_contiguous_and_stable() {
    let registry = Registry::new();
    let b: Family<Counter> = Family::new(["k"]).unwrap();
    let a = Gauge::new();
    registry.register("b", "B.", b.clone()).unwrap();
    registry.register("a", "A.", a).unwrap();
    for i in 0..50 {
        b.labels(&[format!("v{i}")]).unwrap().inc();
    }
    let first = registry.encode_text().unwrap();
    assert!(
        first.starts_with("# HELP a A.\n# TYPE a gauge\na 0\n# HELP b_total B.\n"),
        "{first}"
    );
    assert_eq!(
        first.lines().filter(|l| l.starts_with("b_total{")).count(),
        50
    );
    assert_eq!(registry.encode_text().unwrap(), first);
}

#[derive(Clone, Copy, prom_kit_derive::LabelValue)]
#[label(rename_all = "lowercase")]
enum Outcome {
    Ok,
    Failed,
}

#[test]
fn dense_family_and_const_labels() {
    let registry = Registry::new();
    let view = registry.with_labels([("service", "api")]).unwrap();
    let outcomes: DenseFamily<Counter, (Outcome,)> = DenseFamily::new(["outcome"]).unwrap();
    outcomes.labels((Outcome::Failed,)).inc();
    view.register("calls", "Calls.", outcomes).unwrap();
    assert_eq!(
        registry.encode_text().unwrap(),
        "# HELP calls_total Calls.\n# TYPE calls_total counter\ncalls_total{service=\"api\",outcome=\"failed\"} 1\n"
    );
}

#[test]
fn empty_registry() {
    let registry = Registry::new();
    assert_eq!(registry.encode_text().unwrap(), "");
    assert_eq!(raw_openmetrics(&registry), "# EOF\n");
}

#[test]
fn string_and_enum_values_mix_in_one_family() {
    let registry = Registry::new();
    let family: Family<Counter> = Family::new(["outcome", "path", "cached"]).unwrap();
    family.labels(&(Outcome::Ok, "/a", true)).unwrap().inc();
    family
        .labels(&("ok", String::from("/a"), "true"))
        .unwrap()
        .inc();
    registry
        .register("mixed", "Mixed.", family.clone())
        .unwrap();
    assert_eq!(family.len(), 1);
    assert_eq!(
        registry.encode_text().unwrap(),
        "# HELP mixed_total Mixed.\n# TYPE mixed_total counter\nmixed_total{outcome=\"ok\",path=\"/a\",cached=\"true\"} 2\n"
    );
}

#[test]
fn overflow_series_is_exposed() {
    let registry = Registry::new();
    let family: Family<Counter> = Family::builder(["path"]).max_series(1).build().unwrap();
    for path in ["/a", "/random/1", "/random/2"] {
        family.labels(&[path]).unwrap().inc();
    }
    registry.register("hits", "Hits.", family).unwrap();
    let text = registry.encode_text().unwrap();
    assert!(text.contains("hits_total{path=\"/a\"} 1\n"), "{text}");
    assert!(
        text.contains("hits_total{path=\"__overflow__\"} 2\n"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("hits_total")).count(),
        2
    );
}

#[test]
fn exemplars_only_in_openmetrics() {
    let registry = Registry::new();
    let requests = Counter::new();
    requests
        .inc_by_with_exemplar(2, &[("trace_id", "abc\"1")])
        .unwrap();
    registry
        .register("requests", "Requests.", requests)
        .unwrap();
    let latency = Histogram::new(Buckets::new([0.1, 1.0]).unwrap());
    latency.observe(0.05);
    latency
        .observe_with_exemplar(0.5, &[("trace_id", "def")])
        .unwrap();
    registry.register("latency", "Latency.", latency).unwrap();

    let text = registry.encode_text().unwrap();
    assert!(
        !text.contains("trace_id"),
        "no exemplars in the text format: {text}"
    );
    assert!(text.contains("requests_total 2\n") && text.contains("latency_bucket{le=\"1\"} 2\n"));

    let om = raw_openmetrics(&registry);
    let exemplar_lines: Vec<&str> = om.lines().filter(|l| l.contains(" # {")).collect();
    assert_eq!(exemplar_lines.len(), 2, "{om}");
    let (bucket, counter) = (exemplar_lines[0], exemplar_lines[1]);
    assert!(
        bucket.starts_with("latency_bucket{le=\"1.0\"} 2 # {trace_id=\"def\"} 0.5 "),
        "{bucket}"
    );
    assert!(
        counter.starts_with("requests_total 2 # {trace_id=\"abc\\\"1\"} 2 "),
        "{counter}"
    );
    let timestamp: f64 = counter.rsplit(' ').next().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - timestamp).abs() < 600.0);
    // The bucket without an exemplar carries none.
    assert!(om.contains("latency_bucket{le=\"0.1\"} 1\n"));
}

/// The registry's OpenMetrics exposition, as it is.
fn raw_openmetrics(registry: &Registry) -> String {
    String::from_utf8(registry.render(prom_kit::Format::OpenMetrics).unwrap()).unwrap()
}
