//! `prom_kit::testing`: the parser reads everything prom-kit writes (every metric type,
//! hostile label values, exemplars, both formats) and refuses what the formats forbid;
//! `sample_value`, `series_count`, `compare_exposition` (with its diff) and
//! `Registry::lint` answer from a live registry.
#![cfg(feature = "testing")]

use prom_kit::metrics::{HistogramConfig, NativeBuckets};
use prom_kit::testing::{Syntax, compare_exposition, parse, sample_value, series_count};
use prom_kit::{
    Buckets, Counter, Family, Format, Gauge, Histogram, Info, Registry, StateSet, Summary,
};

fn kitchen_sink() -> Registry {
    let registry = Registry::new();
    let requests: Family<Counter> = Family::new(["path", "code"]).unwrap();
    registry
        .register(
            "requests",
            "Requests \\ \"served\"\nhere.",
            requests.clone(),
        )
        .unwrap();
    requests.labels(&["/a\"b\\c\nd", "200"]).unwrap().inc_by(3);
    requests
        .labels(&["é\u{0}\t", "500"])
        .unwrap()
        .inc_by_with_exemplar(1, &[("trace_id", "abc")])
        .unwrap();
    let latency = Histogram::with_config(HistogramConfig::both(
        Buckets::new([0.1, 1.0]).unwrap(),
        NativeBuckets::new(1.1).unwrap(),
    ));
    registry
        .register_with_unit("latency", "Latency.", "seconds", latency.clone())
        .unwrap();
    latency.observe(0.05);
    latency.observe(f64::INFINITY);
    let temperature = Gauge::new();
    temperature.set(f64::NAN);
    registry
        .register("temperature", "Temperature.", temperature)
        .unwrap();
    let summary = Summary::new();
    summary.observe(-2.0);
    registry.register("checkout", "Checkout.", summary).unwrap();
    registry
        .register(
            "build",
            "Build.",
            Info::new([("version", "1.2.3")]).unwrap(),
        )
        .unwrap();
    let mode = StateSet::new(["idle", "busy"]).unwrap();
    mode.set("busy").unwrap();
    registry.register("mode", "Mode.", mode).unwrap();
    let big = Counter::new();
    big.inc_by(u64::MAX);
    registry.register("big", "Big.", big).unwrap();
    registry
}

#[test]
fn the_parser_reads_everything_prom_kit_writes() {
    let registry = kitchen_sink();
    for (format, syntax) in [
        (Format::Text, Syntax::Text),
        (Format::OpenMetrics, Syntax::OpenMetrics),
    ] {
        let text = String::from_utf8(registry.render(format).unwrap()).unwrap();
        let exposition = parse(&text, syntax).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let names: Vec<&str> = exposition
            .families
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names.len(), 7, "{names:?}");
        let requests = exposition
            .families
            .iter()
            .find(|f| f.name.starts_with("requests"))
            .unwrap();
        assert_eq!(
            requests.help.as_deref(),
            Some("Requests \\ \"served\"\nhere.")
        );
        let hostile = requests
            .samples
            .iter()
            .find(|s| {
                s.labels
                    .contains(&("path".to_owned(), "/a\"b\\c\nd".to_owned()))
            })
            .unwrap();
        assert_eq!(hostile.value, 3.0);
        if syntax == Syntax::OpenMetrics {
            let traced = requests
                .samples
                .iter()
                .find(|s| s.exemplar.is_some())
                .unwrap();
            assert_eq!(
                traced.exemplar.as_ref().unwrap().labels,
                [("trace_id".to_owned(), "abc".to_owned())]
            );
            let latency = exposition
                .families
                .iter()
                .find(|f| f.name == "latency_seconds")
                .unwrap();
            assert_eq!(latency.unit.as_deref(), Some("seconds"));
        }
    }
}

#[test]
fn the_parser_refuses_what_the_formats_forbid() {
    let om = |body: &str| parse(&format!("{body}# EOF\n"), Syntax::OpenMetrics);
    for bad in [
        "a{b=\"1\",b=\"2\"} 1\n",
        "a{1b=\"1\"} 1\n",
        "a{b=\"open} 1\n",
        "a{b=\"\\t\"} 1\n",
        "a 0x10\n",
        "a  1\n",
        "a 1 2 3\n",
        "\n",
        "# TYPE a gauge\na 1\n# HELP a late\n",
        "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n",
        "# TYPE a counter\na_total -1\n",
        "# TYPE a counter\na_total NaN\n",
        "# TYPE a gauge\na 1 # {t=\"1\"} 1\n",
        "# TYPE a counter\na_total 1 # {t=\"",
        "# TYPE a bogus\n",
        "# UNIT a seconds\n",
        "# TYPE a gauge\n# TYPE a gauge\n",
        "# comment\n",
        "1a 1\n",
        "a 1\na 1\n",
    ] {
        assert!(om(bad).is_err(), "accepted {bad:?}");
    }
    let long = format!(
        "# TYPE a counter\na_total 1 # {{t=\"{}\"}} 1\n",
        "x".repeat(128)
    );
    assert!(om(&long).is_err(), "exemplar labels over 128 characters");
    assert!(
        parse("# TYPE a gauge\na 1\n", Syntax::OpenMetrics).is_err(),
        "no # EOF"
    );
    assert!(
        parse("a 1\n# EOF\nb 1\n", Syntax::OpenMetrics).is_err(),
        "after # EOF"
    );
    // Text 0.0.4 takes comments and blank lines, and only integer timestamps.
    assert!(parse("# a comment\n\na 1 1700000000000\n", Syntax::Text).is_ok());
    assert!(parse("a 1 1.5\n", Syntax::Text).is_err());
    assert!(parse("a 1", Syntax::Text).is_err(), "no final newline");
    let error = parse("a 1\nb{ 2\n", Syntax::Text).unwrap_err();
    assert_eq!(error.line, 2, "{error}");
}

/// OpenMetrics families broken against their type's rules, each with what is wrong:
/// Python's strict parser (`prometheus_client` 0.26) refuses every one.
const BROKEN_DISTRIBUTIONS: &[(&str, &str)] = &[
    (
        "no +Inf bucket",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
    ),
    ("no buckets", "# TYPE h histogram\nh_sum 1\nh_count 2\n"),
    (
        "bucket counts decrease",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n",
    ),
    (
        "le is not a number",
        "# TYPE h histogram\nh_bucket{le=\"x\"} 1\nh_bucket{le=\"+Inf\"} 1\n",
    ),
    (
        "le is NaN",
        "# TYPE h histogram\nh_bucket{le=\"NaN\"} 1\nh_bucket{le=\"+Inf\"} 1\n",
    ),
    (
        "+Inf not written +Inf",
        "# TYPE h histogram\nh_bucket{le=\"Inf\"} 1\n",
    ),
    ("a bucket without le", "# TYPE h histogram\nh_bucket 1\n"),
    (
        "le decreases",
        "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n",
    ),
    (
        "count is not the +Inf bucket",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
    ),
    (
        "a sum without a count",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n",
    ),
    (
        "a count without a sum",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n",
    ),
    (
        "a sum with negative buckets",
        "# TYPE h histogram\nh_bucket{le=\"-1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
    ),
    (
        "a fractional bucket count",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1.5\n",
    ),
    (
        "an infinite bucket count",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} +Inf\n",
    ),
    (
        "a negative bucket count",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} -1\n",
    ),
    (
        "a fractional count",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2.5\n",
    ),
    (
        "a NaN sum",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum NaN\nh_count 2\n",
    ),
    (
        "a negative sum",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum -1\nh_count 2\n",
    ),
    (
        "sum and count at another time than the buckets",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1 1\nh_sum 1 2\nh_count 1 2\n",
    ),
    (
        "a series split in two",
        "# TYPE h histogram\nh_bucket{a=\"1\",le=\"+Inf\"} 1\nh_bucket{a=\"2\",le=\"+Inf\"} 1\nh_created{a=\"1\"} 1\n",
    ),
    (
        "a negative gsum with non-negative buckets",
        "# TYPE g gaugehistogram\ng_bucket{le=\"+Inf\"} 1\ng_gsum -1\ng_gcount 1\n",
    ),
    (
        "a gsum without a gcount",
        "# TYPE g gaugehistogram\ng_bucket{le=\"+Inf\"} 1\ng_gsum 1\n",
    ),
    (
        "a NaN gsum",
        "# TYPE g gaugehistogram\ng_bucket{le=\"+Inf\"} 1\ng_gsum NaN\ng_gcount 1\n",
    ),
    (
        "a timestamp on part of a series",
        "# TYPE s summary\ns_sum 1 1\ns_count 1\n",
    ),
    (
        "timestamps going back",
        "# TYPE s summary\ns_sum 1 2\ns_count 1 1\n",
    ),
    (
        "a quantile above 1",
        "# TYPE s summary\ns{quantile=\"2\"} 1\n",
    ),
    (
        "a quantile that is not a number",
        "# TYPE s summary\ns{quantile=\"x\"} 1\n",
    ),
    (
        "a quantile sample without quantile",
        "# TYPE s summary\ns 1\n",
    ),
    (
        "a negative quantile value",
        "# TYPE s summary\ns{quantile=\"0.5\"} -1\n",
    ),
    (
        "a fractional summary count",
        "# TYPE s summary\ns_sum 1\ns_count 1.5\n",
    ),
    (
        "a counter split in two",
        "# TYPE c counter\nc_total{a=\"1\"} 1\nc_total{a=\"2\"} 1\nc_created{a=\"1\"} 1\n",
    ),
    (
        "a state neither 0 nor 1",
        "# TYPE m stateset\nm{m=\"a\"} 2\n",
    ),
    (
        "a state without its label",
        "# TYPE m stateset\nm{x=\"a\"} 1\n",
    ),
    ("an info value other than 1", "# TYPE i info\ni_info 2\n"),
    (
        "a unit on info",
        "# TYPE i_seconds info\n# UNIT i_seconds seconds\n",
    ),
];

/// OpenMetrics families on the edges of their type's rules, which Python's strict parser
/// accepts.
const VALID_DISTRIBUTIONS: &[&str] = &[
    "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n",
    "# TYPE h histogram\nh_bucket{le=\"-1\"} 1\nh_bucket{le=\"+Inf\"} 2\n",
    "# TYPE h histogram\nh_bucket{le=\"1e0\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1.0\n",
    "# TYPE h histogram\nh_bucket{a=\"1\",le=\"+Inf\"} 1 1\nh_sum{a=\"1\"} 1 1\nh_count{a=\"1\"} 1 1\nh_bucket{a=\"2\",le=\"+Inf\"} 1\nh_created{a=\"2\"} 1\n",
    "# TYPE g gaugehistogram\ng_bucket{le=\"-1\"} 1\ng_bucket{le=\"+Inf\"} 1\ng_gsum -3\ng_gcount 1\n",
    "# TYPE s summary\ns{quantile=\"0.5\"} NaN\ns_sum 1\ns_count 1\n",
    "# TYPE s summary\ns_sum 1 1\ns_count 1 2\n",
    "# TYPE s summary\ns_count 1\n",
];

/// OpenMetrics' rules for histograms, gauge histograms, summaries, state sets and info,
/// as Python's strict parser holds them.
#[test]
fn the_parser_holds_openmetrics_distributions_to_their_rules() {
    let om = |body: &str| parse(&format!("{body}# EOF\n"), Syntax::OpenMetrics);
    let accepted: Vec<&str> = BROKEN_DISTRIBUTIONS
        .iter()
        .filter(|(_, bad)| om(bad).is_ok())
        .map(|(why, _)| *why)
        .collect();
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
    for good in VALID_DISTRIBUTIONS {
        if let Err(e) = om(good) {
            panic!("refused ({e}):\n{good}");
        }
    }
    // A check at a series' end names its last line.
    let error = om("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n# TYPE g gauge\ng 1\n").unwrap_err();
    assert_eq!(error.line, 2, "{error}");
    assert!(error.message.contains("+Inf"), "{error}");
    // The text format takes what Go's parser takes: `le` and `quantile` are numbers.
    assert!(parse("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", Syntax::Text).is_err());
    assert!(parse("# TYPE s summary\ns{quantile=\"x\"} 1\n", Syntax::Text).is_err());
    let text = "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n";
    assert!(parse(text, Syntax::Text).is_ok());
}

#[test]
fn helpers_read_a_live_registry() {
    let registry = kitchen_sink();
    assert_eq!(
        sample_value(
            &registry,
            "requests_total",
            &[("code", "200"), ("path", "/a\"b\\c\nd")]
        ),
        Some(3.0)
    );
    assert_eq!(
        sample_value(&registry, "requests_total", &[("code", "200")]),
        None,
        "labels must match exactly"
    );
    assert_eq!(
        sample_value(&registry, "big_total", &[]),
        Some(u64::MAX as f64)
    );
    assert!(
        sample_value(&registry, "temperature", &[])
            .unwrap()
            .is_nan()
    );
    assert_eq!(series_count(&registry, "requests_total"), 2);
    assert_eq!(
        series_count(&registry, "latency_seconds"),
        1,
        "buckets are one series"
    );
    assert_eq!(series_count(&registry, "nope"), 0);

    let small = Registry::new();
    let jobs: Family<Counter> = Family::new(["queue"]).unwrap();
    small.register("jobs", "Jobs.", jobs.clone()).unwrap();
    small.register("up", "Up.", Gauge::new()).unwrap();
    jobs.labels(&["b"]).unwrap().inc();
    jobs.labels(&["a"]).unwrap().inc_by(2);
    // Order-independent, and limited to the families named.
    let expected = "# TYPE jobs_total counter\n# HELP jobs_total Jobs.\njobs_total{queue=\"a\"} 2\njobs_total{queue=\"b\"} 1\n";
    assert_eq!(
        compare_exposition(&small, expected, Some(&["jobs_total"])),
        Ok(())
    );
    let diff = compare_exposition(&small, expected, None).unwrap_err();
    assert!(diff.contains("+ up 0"), "{diff}");
    let wrong = expected.replace("} 2", "} 5");
    let diff = compare_exposition(&small, &wrong, Some(&["jobs_total"])).unwrap_err();
    assert!(
        diff.contains("- jobs_total{queue=\"a\"} 5")
            && diff.contains("+ jobs_total{queue=\"a\"} 2"),
        "{diff}"
    );
    assert!(compare_exposition(&small, "not an exposition {", None).is_err());
}

#[test]
fn registries_lint_with_promlint_rules() {
    let registry = Registry::new();
    registry
        .register("queue_depth", "Jobs waiting.", Gauge::new())
        .unwrap();
    assert_eq!(registry.lint(), []);
    registry
        .register("uploadSize_kilobytes", "Upload size.", Gauge::new())
        .unwrap();
    let problems: Vec<String> = registry.lint().into_iter().map(|p| p.text).collect();
    assert_eq!(
        problems,
        [
            "metric names should be written in 'snake_case' not 'camelCase'",
            "use base unit \"bytes\" instead of \"kilobytes\""
        ]
    );
}

#[test]
fn the_parser_reads_prometheus_3_quoted_names() {
    use prom_kit::NameValidation;
    use prom_kit::encoding::EscapingScheme;
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    let orders: Family<Counter> = Family::new(["order.kind", "plain"]).unwrap();
    registry
        .register("shop.orders", "Orders.", orders.clone())
        .unwrap();
    orders.labels(&["express", "x"]).unwrap().inc_by(4);
    registry
        .register("legacy_name", "Legacy.", Gauge::new())
        .unwrap();
    for (format, syntax) in [
        (Format::Text, Syntax::Text),
        (Format::OpenMetrics, Syntax::OpenMetrics),
    ] {
        let mut out = Vec::new();
        registry
            .encode(
                prom_kit::EncodeOptions::new(format).escaping(EscapingScheme::AllowUtf8),
                &mut out,
            )
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("{\"shop.orders_total\",\"order.kind\"=\"express\""),
            "{text}"
        );
        let exposition = parse(&text, syntax).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let sample = exposition
            .families
            .iter()
            .flat_map(|f| &f.samples)
            .find(|s| s.name == "shop.orders_total")
            .unwrap_or_else(|| panic!("{exposition:?}"));
        assert_eq!(
            sample.labels,
            [
                ("order.kind".to_owned(), "express".to_owned()),
                ("plain".to_owned(), "x".to_owned())
            ]
        );
        assert_eq!(sample.value, 4.0);
    }
    for bad in [
        "{\"\"} 1\n",
        "{\"a.b\" 1\n",
        "{\"a.b\",\"\"=\"x\"} 1\n",
        "# TYPE \"a.b\"counter\n",
    ] {
        assert!(parse(bad, Syntax::Text).is_err(), "accepted {bad:?}");
    }
}
