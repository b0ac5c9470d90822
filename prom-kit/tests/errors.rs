//! Bad input gets a typed error, never a panic, and never changes the registry.

use prom_kit::{
    Buckets, Collector, CollectorOutput, Counter, CounterFn, DenseFamily, Descriptor, ErrorKind,
    Family, Gauge, Histogram, Info, MetricType, Registry, StateSet, Summary,
};

#[test]
fn invalid_metric_names() {
    let registry = Registry::new();
    for name in [
        "",
        "1abc",
        "with-dash",
        "with space",
        "ünicode",
        "dot.ted",
        "a{b}",
        "\n",
    ] {
        let err = registry.register(name, "help", Counter::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidMetricName, "{name:?}");
        assert!(err.to_string().contains("invalid metric name"), "{err}");
    }
    assert_eq!(
        registry.with_prefix("bad prefix").unwrap_err().kind(),
        ErrorKind::InvalidMetricName
    );
    assert_eq!(registry.encode_text().unwrap(), "");
}

#[test]
fn invalid_and_reserved_label_names() {
    // Refused when the family is made, whatever registry it goes to.
    for (names, kind) in [
        (vec![""], ErrorKind::InvalidLabelName),
        (vec!["__reserved"], ErrorKind::ReservedLabelName),
        // `__zero` with dots: reserved once escaped.
        (vec!["0zero"], ErrorKind::ReservedLabelName),
        (vec!["dup", "dup"], ErrorKind::DuplicateLabelName),
    ] {
        assert_eq!(
            Family::<Counter>::new(names.clone()).unwrap_err().kind(),
            kind,
            "{names:?}"
        );
        assert_eq!(
            Descriptor::new("x", "", MetricType::Gauge)
                .unwrap()
                .with_label_names(names.clone())
                .unwrap_err()
                .kind(),
            kind
        );
    }
    // Valid UTF-8 names, refused by a registry in the default legacy mode.
    for names in [vec!["ok", "bad-name"], vec!["zero.0"], vec!["a:b"]] {
        let family = Family::<Counter>::new(names.clone()).unwrap();
        assert_eq!(
            Registry::new()
                .register("x", "", family)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidLabelName,
            "{names:?}"
        );
        let utf8 = Registry::with_name_validation(prom_kit::NameValidation::Utf8);
        let family = Family::<Counter>::new(names.clone()).unwrap();
        assert!(utf8.register("x", "", family).is_ok(), "{names:?}");
    }
    assert_eq!(
        Family::<Histogram>::new(["le"]).unwrap_err().kind(),
        ErrorKind::ReservedLabelName
    );
    assert_eq!(
        Family::<Summary>::new(["quantile"]).unwrap_err().kind(),
        ErrorKind::ReservedLabelName
    );
    assert!(Family::<Counter>::new(["le", "quantile"]).is_ok());
    assert_eq!(
        Info::new([("__name__", "x")]).unwrap_err().kind(),
        ErrorKind::ReservedLabelName
    );
    assert_eq!(
        Info::new([("a", "1"), ("a", "2")]).unwrap_err().kind(),
        ErrorKind::DuplicateLabelName
    );
    let registry = Registry::new();
    assert_eq!(
        registry
            .with_labels([("a", "1"), ("a", "2")])
            .unwrap_err()
            .kind(),
        ErrorKind::DuplicateLabelName
    );
    assert_eq!(
        registry
            .with_labels([("bad name", "1")])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidLabelName
    );
}

#[test]
fn label_clashes_at_registration() {
    let registry = Registry::new();
    let view = registry
        .with_labels([("le", "x"), ("service", "api")])
        .unwrap();
    let family: Family<Counter> = Family::new(["service"]).unwrap();
    assert_eq!(
        view.register("c", "", family).unwrap_err().kind(),
        ErrorKind::DuplicateLabelName
    );
    assert_eq!(
        view.register("h", "", Histogram::new(Buckets::DEFAULT))
            .unwrap_err()
            .kind(),
        ErrorKind::ReservedLabelName
    );
    let template = StateSet::new(["on", "off"]).unwrap();
    let state: Family<StateSet> = Family::builder(["mode"])
        .options(prom_kit::metrics::StateNames::from_template(&template))
        .build()
        .unwrap();
    assert_eq!(
        registry.register("mode", "", state).unwrap_err().kind(),
        ErrorKind::ReservedLabelName
    );
    assert_eq!(registry.encode_text().unwrap(), "");
}

/// A label of one value, for a dense family given too many names.
#[derive(Clone, Copy, prom_kit_derive::LabelValue)]
#[label(rename_all = "lowercase")]
enum One {
    #[expect(dead_code, reason = "the family is refused before any lookup")]
    A,
}

#[test]
fn wrong_label_counts() {
    let family: Family<Gauge> = Family::new(["a", "b"]).unwrap();
    for values in [vec![], vec!["1"], vec!["1", "2", "3"]] {
        assert_eq!(
            family.labels(&values).unwrap_err().kind(),
            ErrorKind::LabelCount
        );
        assert_eq!(
            family.get(&values).unwrap_err().kind(),
            ErrorKind::LabelCount
        );
        assert_eq!(
            family.remove(&values).unwrap_err().kind(),
            ErrorKind::LabelCount
        );
    }
    assert!(family.is_empty());
    assert_eq!(
        DenseFamily::<Counter, (One,)>::new(["a", "b"])
            .unwrap_err()
            .kind(),
        ErrorKind::LabelCount
    );
}

#[test]
fn invalid_buckets() {
    let lists: [&[f64]; 6] = [
        &[],
        &[1.0, 0.5],
        &[1.0, 1.0],
        &[f64::NAN],
        &[f64::NEG_INFINITY],
        &[0.5, f64::INFINITY, 1.0],
    ];
    for list in lists {
        let err = Buckets::new(list).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidBuckets, "{list:?}");
    }
    assert_eq!(
        Buckets::linear(1.0, -1.0, 3).unwrap_err().kind(),
        ErrorKind::InvalidBuckets
    );
    assert_eq!(
        Buckets::exponential(-1.0, 2.0, 3).unwrap_err().kind(),
        ErrorKind::InvalidBuckets
    );
    assert_eq!(
        Buckets::exponential_range(5.0, 1.0, 3).unwrap_err().kind(),
        ErrorKind::InvalidBuckets
    );
}

#[test]
fn invalid_values() {
    let counter = Counter::new();
    for value in [-1.0, f64::NAN, f64::NEG_INFINITY, -f64::MIN_POSITIVE] {
        assert_eq!(
            counter.inc_by_f64(value).unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
    }
    assert_eq!(counter.get(), 0.0);
    assert_eq!(
        StateSet::new(["a"]).unwrap().set("b").unwrap_err().kind(),
        ErrorKind::InvalidValue
    );
    assert_eq!(
        StateSet::new(["a", "a"]).unwrap_err().kind(),
        ErrorKind::InvalidValue
    );
    assert_eq!(
        Descriptor::new("x", "", MetricType::Gauge)
            .unwrap()
            .with_unit("a b")
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidUnit
    );
}

/// One registration attempt under a given name.
type Attempt = Box<dyn Fn(&Registry, &str) -> prom_kit::Result<()>>;

#[test]
fn duplicates_and_clashing_sample_names_leave_the_registry_unchanged() {
    let registry = Registry::new();
    registry
        .register("x", "A counter.", Counter::new())
        .unwrap();
    registry
        .register("hist", "A histogram.", Histogram::new(Buckets::DEFAULT))
        .unwrap();
    let before = registry.encode_text().unwrap();
    let attempts: Vec<(&str, Attempt)> = vec![
        ("x", Box::new(|r, n| r.register(n, "", Counter::new()))),
        (
            "x_total",
            Box::new(|r, n| r.register(n, "", Counter::new())),
        ),
        ("x_total", Box::new(|r, n| r.register(n, "", Gauge::new()))),
        ("x", Box::new(|r, n| r.register(n, "", Gauge::new()))),
        (
            "x_created",
            Box::new(|r, n| r.register(n, "", Gauge::new())),
        ),
        (
            "hist_bucket",
            Box::new(|r, n| r.register(n, "", Gauge::new())),
        ),
        (
            "hist_count",
            Box::new(|r, n| r.register(n, "", Summary::new())),
        ),
        ("hist", Box::new(|r, n| r.register(n, "", Summary::new()))),
    ];
    for (name, attempt) in attempts {
        let err = attempt(&registry, name).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyRegistered, "{name}");
    }
    // A summary `hist_x` has `hist_x_count`; a gauge `hist_x` alone clashes with nothing.
    assert_eq!(registry.encode_text().unwrap(), before);
    registry.unregister("x_total").unwrap();
    registry
        .register("x_total", "Now a gauge.", Gauge::new())
        .unwrap();
    assert_eq!(
        registry.unregister("nope").unwrap_err().kind(),
        ErrorKind::NotRegistered
    );
}

struct Broken;

impl Collector for Broken {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let descriptor = Descriptor::new("broken", "", MetricType::Gauge)
            .unwrap()
            .with_label_names(["a"])
            .unwrap();
        let mut family = out.family(&descriptor);
        family.gauge(&["1"], 1.0)?;
        family.gauge(&["1", "2"], 2.0)?;
        Ok(())
    }
}

struct Clashing;

impl Collector for Clashing {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let descriptor = Descriptor::new("ok_total", "", MetricType::Gauge).unwrap();
        out.family(&descriptor).gauge(&(), 1.0)
    }
}

struct WrongType;

impl Collector for WrongType {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let descriptor = Descriptor::new("typed", "", MetricType::Gauge).unwrap();
        out.family(&descriptor).counter(&(), 1.0)
    }
}

#[test]
fn failing_collectors_are_dropped_and_reported() {
    let registry = Registry::new();
    registry.register("ok", "Fine.", Counter::new()).unwrap();
    let id = registry.register_collector(Broken);
    let mut out = Vec::new();
    let err = registry
        .encode(prom_kit::Format::Text, &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Collect);
    let source = std::error::Error::source(&err).expect("cause kept");
    assert!(
        source.to_string().contains("wrong number of label values"),
        "{source}"
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "# HELP ok_total Fine.\n# TYPE ok_total counter\nok_total 0\n"
    );
    assert!(registry.unregister_collector(id));
    assert!(!registry.unregister_collector(id));

    for collector in [
        Box::new(|r: &Registry| r.register_collector(Clashing)) as Box<dyn Fn(&Registry) -> _>,
        Box::new(|r: &Registry| r.register_collector(WrongType)),
    ] {
        let id = collector(&registry);
        let mut out = Vec::new();
        assert_eq!(
            registry
                .encode(prom_kit::Format::OpenMetrics, &mut out)
                .unwrap_err()
                .kind(),
            ErrorKind::Collect
        );
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with("# EOF\n") && !text.contains("ok_total 1") && !text.contains("typed"),
            "{text}"
        );
        registry.unregister_collector(id);
    }

    registry
        .register("neg", "", CounterFn::new(|| -1.0))
        .unwrap();
    let mut out = Vec::new();
    let err = registry
        .encode(prom_kit::Format::Text, &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Collect);
    assert!(!String::from_utf8(out).unwrap().contains("neg"));
}

#[test]
fn exemplar_label_limit() {
    let counter = Counter::new();
    // 8 characters of name + 120 of value = 128: allowed.
    counter
        .inc_by_with_exemplar(1, &[("trace_id", &"a".repeat(120))])
        .unwrap();
    let err = counter
        .inc_by_with_exemplar(1, &[("trace_id", &"a".repeat(121))])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert_eq!(counter.get(), 1.0, "a refused exemplar does not count");
    // Characters, not bytes: 120 two-byte characters are still 120.
    counter
        .inc_by_with_exemplar(1, &[("trace_id", &"é".repeat(120))])
        .unwrap();
    let histogram = Histogram::new(Buckets::DEFAULT);
    assert_eq!(
        histogram
            .observe_with_exemplar(1.0, &[("bad name", "x")])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidLabelName
    );
    assert_eq!(histogram.count(), 0);
}
