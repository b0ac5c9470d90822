//! Collector output is untrusted: everything a collector writes is validated, so that a
//! faulty collector costs its own families (with an `ErrorKind::Collect` scrape error),
//! never a panic and never an exposition that the real parsers reject as a whole.

mod support;

use prom_kit::snapshot::{HistogramSnapshot, Snapshot, StateSetSnapshot};
use prom_kit::{
    Collector, CollectorOutput, Counter, Descriptor, ErrorKind, Format, MetricType, Registry,
    StateSet,
};

/// A collector that writes one healthy family, then runs `bad` and passes its result on.
struct Hostile<F>(F);

impl<F> Collector for Hostile<F>
where
    F: Fn(&mut CollectorOutput<'_>) -> prom_kit::Result<()> + Send + Sync + 'static,
{
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let healthy = Descriptor::new("collected_ok", "Fine.", MetricType::Gauge).unwrap();
        out.family(&healthy).gauge(&[] as &[&str], 1.0)?;
        (self.0)(out)
    }
}

fn descriptor(name: &str, kind: MetricType, labels: &[&str]) -> Descriptor {
    Descriptor::new(name, "Hostile.", kind)
        .unwrap()
        .with_label_names(labels.iter().copied())
        .unwrap()
}

/// Scrapes `registry` in every format: the scrape reports a `Collect` error whose chain
/// names `expected`, the other metrics are still there, nothing of the hostile
/// collector is, and the real parsers accept the text.
fn assert_refused(registry: &Registry, expected: ErrorKind) {
    #[cfg_attr(
        not(feature = "protobuf"),
        expect(unused_mut, reason = "protobuf adds a format")
    )]
    let mut formats = vec![Format::Text, Format::OpenMetrics];
    #[cfg(feature = "protobuf")]
    formats.push(Format::Protobuf);
    for format in formats {
        let mut out = Vec::new();
        let error = registry.encode(format, &mut out).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Collect, "{format:?}: {error}");
        let cause = std::error::Error::source(&error)
            .and_then(|s| s.downcast_ref::<prom_kit::Error>())
            .unwrap_or(&error);
        assert_eq!(cause.kind(), expected, "{format:?}: {error}");
        #[cfg(feature = "protobuf")]
        if format == Format::Protobuf {
            continue;
        }
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("kept_total 1"), "{text}");
        assert!(!text.contains("collected_ok"), "{text}");
        assert!(!text.contains("evil"), "{text}");
        if let Some(promtool) = support::promtool() {
            if format == Format::Text {
                support::promtool_check(&promtool, &text).unwrap();
            }
        }
        if let Some(python) = support::python() {
            support::python_parse(&python, &text, format == Format::OpenMetrics).unwrap();
        }
    }
}

fn registry_with(collector: impl Collector) -> Registry {
    let registry = Registry::new();
    let kept = Counter::new();
    kept.inc();
    registry.register("kept", "Kept.", kept).unwrap();
    registry.register_collector(collector);
    registry
}

#[test]
fn more_than_64_states_are_refused() {
    let states: Vec<Box<str>> = (0..65).map(|i| format!("s{i}").into()).collect();
    let registry = registry_with(Hostile(move |out: &mut CollectorOutput<'_>| {
        let d = descriptor("mode", MetricType::StateSet, &[]);
        out.family(&d).series(
            &[] as &[&str],
            Snapshot::StateSet(StateSetSnapshot {
                states: &states,
                active: u64::MAX,
            }),
        )
    }));
    assert_refused(&registry, ErrorKind::InvalidValue);
}

#[test]
fn repeated_states_are_refused() {
    let states: Vec<Box<str>> = vec!["on".into(), "off".into(), "on".into()];
    let registry = registry_with(Hostile(move |out: &mut CollectorOutput<'_>| {
        let d = descriptor("mode", MetricType::StateSet, &[]);
        out.family(&d).series(
            &[] as &[&str],
            Snapshot::StateSet(StateSetSnapshot {
                states: &states,
                active: 1,
            }),
        )
    }));
    assert_refused(&registry, ErrorKind::InvalidValue);
}

#[test]
fn histogram_counts_that_overflow_are_refused() {
    let registry = registry_with(Hostile(|out: &mut CollectorOutput<'_>| {
        let d = descriptor("latency", MetricType::Histogram, &[]);
        out.family(&d).series(
            &[] as &[&str],
            Snapshot::Histogram(HistogramSnapshot {
                bounds: &[1.0],
                counts: &[u64::MAX, 1],
                sum: 1.0,
                created: None,
                exemplars: &[],
                native: None,
            }),
        )
    }));
    assert_refused(&registry, ErrorKind::InvalidValue);
}

#[test]
fn near_maximal_histogram_counts_are_exposed() {
    // Up to u64::MAX in total is fine, and exact in the text.
    let registry = Registry::new();
    registry.register_collector(Hostile(|out: &mut CollectorOutput<'_>| {
        let d = descriptor("latency", MetricType::Histogram, &[]);
        out.family(&d).series(
            &[] as &[&str],
            Snapshot::Histogram(HistogramSnapshot {
                bounds: &[1.0],
                counts: &[u64::MAX - 1, 1],
                sum: 1.0,
                created: None,
                exemplars: &[],
                native: None,
            }),
        )
    }));
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("latency_bucket{le=\"+Inf\"} 18446744073709551615\n"),
        "{text}"
    );
}

#[test]
fn injected_info_text_is_refused() {
    for pairs in [
        "a=\"x\"} 1\nevil_metric 666\n# x{b=\"y\"",
        "a=\"x\",a=\"y\"",
        "__name__=\"evil\"",
        "a=\"unterminated",
        "a=\"x\"\n",
        "a=\"x\\q\"",
    ] {
        let registry = registry_with(Hostile(move |out: &mut CollectorOutput<'_>| {
            let d = descriptor("build", MetricType::Info, &[]);
            out.family(&d).series(&[] as &[&str], Snapshot::Info(pairs))
        }));
        let mut text = Vec::new();
        let error = registry.encode(Format::Text, &mut text).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Collect, "{pairs:?}");
        let text = String::from_utf8(text).unwrap();
        assert!(!text.contains("evil"), "{text}");
        if let Some(python) = support::python() {
            support::python_parse(&python, &text, false).unwrap();
        }
    }
    let registry = registry_with(Hostile(|out: &mut CollectorOutput<'_>| {
        let d = descriptor("build", MetricType::Info, &["version"]);
        out.family(&d)
            .series(&["1"], Snapshot::Info("version=\"2\""))
    }));
    assert_refused(&registry, ErrorKind::DuplicateLabelName);
}

#[test]
fn well_formed_info_text_is_exposed() {
    let registry = Registry::new();
    registry.register_collector(Hostile(|out: &mut CollectorOutput<'_>| {
        let d = descriptor("build", MetricType::Info, &["host"]);
        out.family(&d)
            .series(&["a"], Snapshot::Info("version=\"1.2\\\"x\\\\\\n\""))
    }));
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("build_info{host=\"a\",version=\"1.2\\\"x\\\\\\n\"} 1\n"),
        "{text}"
    );
}

#[test]
fn collector_labels_clashing_with_constant_labels_are_refused() {
    // A state set's own label is one the type adds: reserved, as at registration.
    for (labels, kind, expected) in [
        (
            &["region"][..],
            MetricType::Gauge,
            ErrorKind::DuplicateLabelName,
        ),
        (&[][..], MetricType::StateSet, ErrorKind::ReservedLabelName),
    ] {
        let root = Registry::new();
        let kept = Counter::new();
        kept.inc();
        root.register("kept", "Kept.", kept).unwrap();
        let view = root.with_labels([("region", "eu")]).unwrap();
        let name = if kind == MetricType::StateSet {
            "region"
        } else {
            "pool"
        };
        let labels: Vec<&'static str> = labels.to_vec();
        view.register_collector(Hostile(move |out: &mut CollectorOutput<'_>| {
            let d = descriptor(name, kind, &labels);
            let mut family = out.family(&d);
            // The collector ignores the refusal and goes on: its output is dropped all the same.
            let values: Vec<&str> = labels.iter().map(|_| "x").collect();
            let snapshot = if kind == MetricType::StateSet {
                Snapshot::StateSet(StateSetSnapshot {
                    states: &[],
                    active: 0,
                })
            } else {
                Snapshot::Gauge(prom_kit::snapshot::Number::Float(1.0))
            };
            let refused = family.series(&values, snapshot).unwrap_err();
            assert_eq!(refused.kind(), expected);
            Ok(())
        }));
        assert_refused(&root, expected);
    }
}

#[test]
fn state_set_names_must_be_label_names_once_prefixed() {
    let root = Registry::new();
    let kept = Counter::new();
    kept.inc();
    root.register("kept", "Kept.", kept).unwrap();
    let view = root.with_prefix("app:v1").unwrap();
    view.register_collector(Hostile(|out: &mut CollectorOutput<'_>| {
        let d = descriptor("mode", MetricType::StateSet, &[]);
        out.family(&d).series(
            &[] as &[&str],
            Snapshot::StateSet(StateSetSnapshot {
                states: &["on".into()],
                active: 1,
            }),
        )
    }));
    assert_refused(&root, ErrorKind::InvalidLabelName);
}

#[test]
fn registered_state_sets_need_a_label_name() {
    let registry = Registry::new();
    let state = || StateSet::new(["on", "off"]).unwrap();
    let error = registry.register("app:mode", "Mode.", state()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidLabelName);
    let error = registry
        .with_prefix("app:v1")
        .unwrap()
        .register("mode", "Mode.", state())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidLabelName);
    let error = registry
        .register_with_unit("mode", "Mode.", "a:b", state())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidLabelName);
    let error = registry.register("__mode", "Mode.", state()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ReservedLabelName);
    // Nothing was registered, and a valid name still works.
    assert_eq!(registry.encode_text().unwrap(), "");
    registry
        .with_prefix("app_v1")
        .unwrap()
        .register("mode", "Mode.", state())
        .unwrap();
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("app_v1_mode{app_v1_mode=\"on\"} 0\n"),
        "{text}"
    );
    if let Some(promtool) = support::promtool() {
        support::promtool_check(&promtool, &text).unwrap();
    }
}

#[cfg(feature = "protobuf")]
#[test]
fn invalid_native_buckets_are_refused() {
    use prom_kit::snapshot::NativeSnapshot;
    /// Schema, zero threshold, positive buckets, count.
    type Case = (i32, f64, Vec<(i32, u64)>, u64);
    let cases: Vec<Case> = vec![
        (9, 0.0, vec![], 0),                             // schema beyond 8
        (3, -1.0, vec![], 0),                            // negative zero threshold
        (3, f64::NAN, vec![], 0),                        // NaN zero threshold
        (3, 0.0, vec![(2, 1), (1, 1)], 2),               // keys not ascending
        (3, 0.0, vec![(i32::MIN, 1), (i32::MAX, 1)], 2), // keys out of range
        (3, 0.0, vec![(1, u64::MAX)], u64::MAX),         // count beyond i64
        (3, 0.0, vec![(1, 5)], 4),                       // buckets above the count
        (
            3,
            0.0,
            vec![(1, u64::MAX / 2), (2, u64::MAX / 2 + 2)],
            u64::MAX,
        ), // overflow
    ];
    for (schema, zero_threshold, positive, count) in cases {
        let registry = registry_with(Hostile(move |out: &mut CollectorOutput<'_>| {
            let d = descriptor("native", MetricType::Histogram, &[]);
            out.family(&d).series(
                &[] as &[&str],
                Snapshot::Histogram(HistogramSnapshot {
                    bounds: &[],
                    counts: &[0],
                    sum: 0.0,
                    created: None,
                    exemplars: &[],
                    native: Some(NativeSnapshot {
                        schema,
                        zero_threshold,
                        zero_count: 0,
                        count,
                        sum: 0.0,
                        positive: &positive,
                        negative: &[],
                    }),
                }),
            )
        }));
        assert_refused(&registry, ErrorKind::InvalidValue);
    }
}

/// Issue 25, defect 4: a collector that writes one series twice (the same family, the
/// same label values) is refused like any other invalid output — whether it passes the
/// error on or goes on regardless — so no scraper sees the repeated identity.
#[test]
fn repeated_series_are_refused() {
    for propagate in [true, false] {
        let registry = registry_with(Hostile(move |out: &mut CollectorOutput<'_>| {
            let d = descriptor("evil_twice", MetricType::Gauge, &["a"]);
            let mut family = out.family(&d);
            family.gauge(&["x"], 1.0)?;
            let repeated = family.gauge(&["x"], 2.0);
            if propagate {
                repeated?;
            }
            Ok(())
        }));
        assert_refused(&registry, ErrorKind::InvalidValue);
    }
    // An info series' identity includes its own pairs, in any order.
    let registry = registry_with(Hostile(|out: &mut CollectorOutput<'_>| {
        let d = descriptor("evil_build", MetricType::Info, &["host"]);
        let mut family = out.family(&d);
        family.series(&["a"], Snapshot::Info("version=\"1\",os=\"linux\""))?;
        family.series(&["a"], Snapshot::Info("os=\"linux\",version=\"1\""))
    }));
    assert_refused(&registry, ErrorKind::InvalidValue);
    // Distinct series of one family, and the same values in two families, are fine.
    let registry = Registry::new();
    registry.register_collector(Hostile(|out: &mut CollectorOutput<'_>| {
        let d = descriptor("twice", MetricType::Gauge, &["a"]);
        let mut family = out.family(&d);
        family.gauge(&["x"], 1.0)?;
        family.gauge(&["y"], 2.0)?;
        let e = descriptor("also", MetricType::Gauge, &["a"]);
        out.family(&e).gauge(&["x"], 3.0)?;
        let info = descriptor("build", MetricType::Info, &["host"]);
        let mut family = out.family(&info);
        family.series(&["a"], Snapshot::Info("version=\"1\""))?;
        family.series(&["a"], Snapshot::Info("version=\"2\""))
    }));
    let text = registry.encode_text().unwrap();
    for line in [
        "twice{a=\"x\"} 1\n",
        "twice{a=\"y\"} 2\n",
        "also{a=\"x\"} 3\n",
        "build_info{host=\"a\",version=\"1\"} 1\n",
        "build_info{host=\"a\",version=\"2\"} 1\n",
    ] {
        assert!(text.contains(line), "{line:?} missing from {text}");
    }
}
