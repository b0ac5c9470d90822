//! Bad input gets a typed error, never a panic, and never changes the registry.

use prom_kit::labels::{LabelSet, LabelVisitor};
use prom_kit::{
    Buckets, Collector, CollectorOutput, CompactFamily, Counter, CounterFn, DenseFamily,
    Descriptor, ErrorKind, Family, Gauge, Histogram, Info, MetricType, Registry, StateSet, Summary,
    TypedFamily,
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

/// A label set named `BAD_NAMES[I]`, which `#[derive(LabelSet)]` would refuse to compile.
struct Named<const I: usize>;

/// An empty name, a reserved `__` name, and a histogram's own `le`.
const BAD_NAMES: [&str; 3] = ["", "__x", "le"];

impl<const I: usize> LabelSet for Named<I> {
    const NAMES: &'static [&'static str] = std::slice::from_ref(&BAD_NAMES[I]);
    fn visit_values<R>(&self, visitor: impl LabelVisitor<R>) -> R {
        visitor.visit(&["v"])
    }
}

/// The error of every family constructor given the label name `BAD_NAMES[I]`, by
/// constructor, for a histogram family (whose own label is `le`).
fn every_constructor<const I: usize>() -> Vec<(&'static str, prom_kit::Result<()>)> {
    let name = BAD_NAMES[I];
    vec![
        ("Family::new", Family::<Histogram>::new([name]).map(drop)),
        (
            "FamilyBuilder::build",
            Family::<Histogram>::builder([name]).build().map(drop),
        ),
        (
            "DenseFamily::new",
            DenseFamily::<Histogram, (bool,)>::new([name]).map(drop),
        ),
        (
            "FamilyBuilder::build_dense",
            Family::<Histogram>::builder([name])
                .build_dense::<(bool,)>()
                .map(drop),
        ),
        (
            "TypedFamily::new",
            TypedFamily::<Named<I>, Histogram>::new().map(drop),
        ),
        (
            "TypedFamilyBuilder::build",
            TypedFamily::<Named<I>, Histogram>::builder()
                .build()
                .map(drop),
        ),
        (
            "Descriptor::with_label_names",
            Descriptor::new("x", "", MetricType::Histogram)
                .and_then(|d| d.with_label_names([name]))
                .map(drop),
        ),
    ]
}

#[test]
fn every_family_constructor_refuses_a_label_name_no_registry_takes_with_the_same_error() {
    let expected = [
        (
            ErrorKind::InvalidLabelName,
            "invalid label name: \"\": a label name cannot be empty",
        ),
        (
            ErrorKind::ReservedLabelName,
            "reserved label name: \"__x\": label names starting with `__` are reserved for \
             Prometheus' own use",
        ),
        (
            ErrorKind::ReservedLabelName,
            "reserved label name: \"le\": a histogram adds it to its bucket series itself",
        ),
    ];
    let results = [
        every_constructor::<0>(),
        every_constructor::<1>(),
        every_constructor::<2>(),
    ];
    for ((kind, text), results) in expected.into_iter().zip(results) {
        for (constructor, result) in results {
            let error = result.expect_err(constructor);
            assert_eq!(error.kind(), kind, "{constructor}");
            assert_eq!(error.to_string(), text, "{constructor}");
        }
    }
    // A compact family holds counters and gauges, which add no label: only `le` passes.
    for (name, text) in BAD_NAMES.into_iter().zip(expected.map(|(_, text)| text)) {
        let compact = CompactFamily::<Counter>::new([name]);
        let built = CompactFamily::<Gauge>::builder([name]).build();
        if name == "le" {
            assert!(compact.is_ok() && built.is_ok());
        } else {
            assert_eq!(compact.unwrap_err().to_string(), text);
            assert_eq!(built.unwrap_err().to_string(), text);
        }
    }
    assert_eq!(
        Family::<Summary>::new(["quantile"])
            .unwrap_err()
            .to_string(),
        "reserved label name: \"quantile\": a summary adds it to its quantile series itself"
    );
    assert_eq!(
        Family::<Counter>::new(["a", "a"]).unwrap_err().to_string(),
        "duplicate label name: \"a\" is given twice"
    );
}

#[test]
fn a_name_only_a_utf8_registry_takes_is_judged_at_registration_stating_the_rule() {
    // The family does not know where it goes: a UTF-8 registry takes `bad-label`.
    let family: Family<Counter> = Family::new(["bad-label"]).unwrap();
    let utf8 = Registry::with_name_validation(prom_kit::NameValidation::Utf8);
    utf8.register("x", "", family.clone()).unwrap();
    let error = Registry::new().register("x", "", family).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidLabelName);
    assert_eq!(
        error.to_string(),
        "invalid label name: \"bad-label\" does not match [a-zA-Z_][a-zA-Z0-9_]* \
         (legacy name validation; a registry made with NameValidation::Utf8 accepts it)"
    );
    // A name UTF-8 registries refuse too gets no hint (`9a` is `__9a` with dots).
    assert_eq!(
        Registry::new()
            .with_labels([("9a", "x")])
            .unwrap_err()
            .to_string(),
        "invalid label name: \"9a\" does not match [a-zA-Z_][a-zA-Z0-9_]* (legacy name \
         validation)"
    );
}

#[test]
fn name_errors_state_the_rule() {
    let registry = Registry::new();
    let cases = [
        (
            registry.register("9x", "", Counter::new()),
            "invalid metric name: \"9x\" does not match [a-zA-Z_:][a-zA-Z0-9_:]* (legacy name \
             validation; a registry made with NameValidation::Utf8 accepts it)",
        ),
        (
            registry.register("", "", Counter::new()),
            "invalid metric name: \"\": a metric name cannot be empty",
        ),
        (
            registry.register_with_unit("x", "", "a b", Counter::new()),
            "invalid unit: \"a b\": a unit is a non-empty run of [a-zA-Z0-9_:], appended to \
             the name as `_<unit>`",
        ),
        (
            registry
                .with_labels([("service", "api")])
                .and_then(|view| view.register("c", "", Family::<Counter>::new(["service"])?)),
            "duplicate label name: \"service\" is a label of the family and a constant label \
             of the view",
        ),
        (
            registry
                .with_labels([("le", "x")])
                .and_then(|view| view.register("h", "", Histogram::new(Buckets::DEFAULT))),
            "reserved label name: \"le\": a histogram adds it to its bucket series itself",
        ),
        (
            registry.unregister("nope"),
            "metric not registered: no family \"nope\" is registered through this view",
        ),
        (
            Counter::new()
                .inc_by_with_exemplar(1, &[("trace-id", "a")])
                .map(drop),
            // Exemplar labels are legacy names wherever they go: no hint.
            "invalid label name: \"trace-id\" does not match [a-zA-Z_][a-zA-Z0-9_]*",
        ),
    ];
    for (result, text) in cases {
        assert_eq!(result.unwrap_err().to_string(), text);
    }
    assert_eq!(registry.encode_text().unwrap(), "");
}

#[test]
fn a_taken_name_says_by_what_and_how_to_share_it() {
    let registry = Registry::new();
    registry.register("jobs", "Jobs.", Counter::new()).unwrap();
    assert_eq!(
        registry
            .register("jobs_total", "Jobs.", Gauge::new())
            .unwrap_err()
            .to_string(),
        "metric already registered: \"jobs_total\" is taken by the family \"jobs\"; to share \
         one metric between two registrations, use Registry::get_or_register"
    );
    assert_eq!(
        registry
            .get_or_register("jobs", "Other help.", Counter::new())
            .unwrap_err()
            .to_string(),
        "metric already registered: \"jobs\" is registered as another metric: its help, \
         unit, type or label names differ"
    );
}

#[cfg(all(feature = "http", feature = "scrape"))]
#[test]
fn a_name_taken_by_a_metric_set_names_the_set() {
    let registry = Registry::new();
    let _http = prom_kit::http::HttpMetrics::builder()
        .build(&registry)
        .unwrap();
    let family: Family<Counter> = Family::new(["path"]).unwrap();
    assert_eq!(
        registry
            .register("http_requests", "Mine.", family.clone())
            .unwrap_err()
            .to_string(),
        "metric already registered: \"http_requests\" is taken by the family \
         \"http_requests\" registered by HttpMetrics; to share one metric between two \
         registrations, use Registry::get_or_register"
    );
    assert_eq!(
        registry
            .get_or_register("http_requests", "Mine.", family)
            .unwrap_err()
            .to_string(),
        "metric already registered: \"http_requests\" is registered as another metric by \
         HttpMetrics: its help, unit, type or label names differ"
    );
    // A second scrape handler on one registry (which should turn its own metrics off).
    let _handler = prom_kit::scrape::MetricsHandler::new(&registry).unwrap();
    assert_eq!(
        prom_kit::scrape::MetricsHandler::new(&registry)
            .unwrap_err()
            .to_string(),
        "metric already registered: \"prom_kit_scrapes\" is taken by the family \
         \"prom_kit_scrapes\" registered by MetricsHandler; to share one metric between two \
         registrations, use Registry::get_or_register"
    );
    // Registered by hand first, the name is the user's: the metric set's error says so.
    let registry = Registry::new();
    registry
        .register("http_requests", "Mine.", Counter::new())
        .unwrap();
    let error = prom_kit::http::HttpMetrics::builder()
        .build(&registry)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "metric already registered: \"http_requests\" is taken by the family \
         \"http_requests\"; to share one metric between two registrations, use \
         Registry::get_or_register"
    );
}

#[cfg(feature = "server")]
#[tokio::test]
async fn a_server_that_cannot_bind_names_its_address_and_the_cause() {
    use prom_kit::server::{Server, start_http_server};

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    // What the system says of a second listener on the address ("Address already in
    // use (os error 98)" on Linux).
    let cause = std::net::TcpListener::bind(address).unwrap_err();
    let expected = format!("I/O error: binding the metrics server to {address}: {cause}");
    let on_thread = start_http_server(address, &Registry::new()).unwrap_err();
    assert_eq!(on_thread.kind(), ErrorKind::Io);
    assert_eq!(on_thread.to_string(), expected);
    let on_runtime = Server::for_registry(&Registry::new())
        .unwrap()
        .start(address)
        .await
        .unwrap_err();
    assert_eq!(on_runtime.to_string(), expected);
    // The cause stays reachable, for a caller that matches on it.
    let source = std::error::Error::source(&on_thread).unwrap();
    assert_eq!(
        source.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::AddrInUse
    );
}

/// A server that could not start leaves the registry as it found it: the scrape
/// handler it made takes its own metrics back out, so a second attempt, on another
/// port, starts (before, it failed with `AlreadyRegistered`). A handler the caller made
/// keeps its metrics: they are the caller's.
#[cfg(feature = "server")]
#[tokio::test]
async fn a_server_that_cannot_start_can_be_started_again_on_the_same_registry() {
    use prom_kit::scrape::MetricsHandler;
    use prom_kit::server::{Server, start_http_server};

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let registry = Registry::new();
    assert!(start_http_server(address, &registry).is_err());
    assert_eq!(registry.encode_text().unwrap(), "");
    let on_thread = start_http_server("127.0.0.1:0", &registry).unwrap();
    on_thread.shutdown();

    let registry = Registry::new();
    let failed = Server::for_registry(&registry)
        .unwrap()
        .start(address)
        .await;
    assert!(failed.is_err());
    assert_eq!(registry.encode_text().unwrap(), "");
    let running = Server::for_registry(&registry)
        .unwrap()
        .start("127.0.0.1:0")
        .await
        .unwrap();
    running.shutdown().await;

    let registry = Registry::new();
    let handler = MetricsHandler::new(&registry).unwrap();
    assert!(Server::new(handler).start(address).await.is_err());
    assert!(
        registry
            .encode_text()
            .unwrap()
            .contains("# TYPE prom_kit_scrapes_total counter\n"),
        "the caller's handler keeps its metrics"
    );
}

#[cfg(feature = "push")]
#[test]
fn a_push_that_cannot_connect_names_the_gateway_and_the_cause() {
    // A port nothing listens on any more.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cause = std::net::TcpStream::connect(address).unwrap_err();
    let client = prom_kit::push::PushClient::builder(&format!("http://{address}"), "batch")
        .build()
        .unwrap();
    let error = client.push_blocking(&Registry::new()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert_eq!(
        error.to_string(),
        format!(
            "transport error: cannot connect to the Pushgateway at {address} (PUT \
             http://{address}/metrics/job/batch): tcp connect error: {cause}"
        )
    );
}

#[test]
fn a_failed_collection_says_what_failed_and_why() {
    let registry = Registry::new();
    registry
        .register("neg", "", CounterFn::new(|| -1.0))
        .unwrap();
    let mut out = Vec::new();
    let error = registry
        .encode(prom_kit::Format::Text, &mut out)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "collector failed: the family \"neg\": invalid value: a counter's total is never \
         negative or NaN, and this one is -1"
    );
    registry.unregister("neg").unwrap();
    registry.register_collector(Broken);
    let error = registry
        .encode(prom_kit::Format::Text, &mut out)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "collector failed: a collector: wrong number of label values: expected 1 label values \
         (a), got 2"
    );
}
