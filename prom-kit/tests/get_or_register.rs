//! `Registry::get_or_register`: the registered handle comes back for the same metric
//! (through views, under a race), and anything else under the name is an error that
//! leaves the registry unchanged.

use prom_kit::{Counter, ErrorKind, Family, Gauge, Histogram, HistogramConfig, Registry};

#[test]
fn racing_registrations_share_one_metric() {
    let registry = Registry::new();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                let family: Family<Counter> = registry
                    .get_or_register("jobs", "Jobs.", Family::new(["queue"]).unwrap())
                    .unwrap();
                for _ in 0..1000 {
                    family.with(&["mail"], Counter::inc).unwrap();
                }
            });
        }
    });
    assert!(
        registry
            .encode_text()
            .unwrap()
            .contains("jobs_total{queue=\"mail\"} 8000\n")
    );
}

#[test]
fn views_find_their_own_metric_and_only_theirs() {
    let registry = Registry::new();
    let eu = registry
        .with_prefix("app")
        .unwrap()
        .with_labels([("region", "eu")])
        .unwrap();
    let us = registry
        .with_prefix("app")
        .unwrap()
        .with_labels([("region", "us")])
        .unwrap();
    let a = eu.get_or_register("up", "Up.", Gauge::new()).unwrap();
    let b = eu.get_or_register("up", "Up.", Gauge::new()).unwrap();
    a.set(1.0);
    assert_eq!(b.get(), 1.0);
    let other_labels = us.get_or_register("up", "Up.", Gauge::new()).unwrap_err();
    assert_eq!(other_labels.kind(), ErrorKind::AlreadyRegistered);
    assert!(
        other_labels.to_string().contains("constant labels"),
        "{other_labels}"
    );
}

#[test]
fn anything_else_under_the_name_is_refused() {
    let registry = Registry::new();
    registry
        .get_or_register("load", "Load.", Gauge::new())
        .unwrap();
    let cases = [
        registry
            .get_or_register("load", "Other help.", Gauge::new())
            .map(drop),
        registry
            .get_or_register("load", "Load.", Counter::new())
            .map(drop),
        registry
            .get_or_register("load", "Load.", Family::<Gauge>::new(["cpu"]).unwrap())
            .map(drop),
        registry
            .get_or_register("load_ratio", "Load.", Gauge::new())
            .and_then(|_| {
                registry.get_or_register_with_unit("load", "Load.", "ratio", Gauge::new())
            })
            .map(drop),
    ];
    for (i, case) in cases.into_iter().enumerate() {
        assert_eq!(
            case.unwrap_err().kind(),
            ErrorKind::AlreadyRegistered,
            "case {i}"
        );
    }
    let native = Histogram::with_config(HistogramConfig::native(
        prom_kit::metrics::NativeBuckets::new(1.1).unwrap(),
    ));
    let classic = Histogram::new(prom_kit::Buckets::DEFAULT);
    registry
        .get_or_register("latency", "Latency.", classic)
        .unwrap();
    let error = registry
        .get_or_register("latency", "Latency.", native)
        .unwrap_err();
    assert!(error.to_string().contains("options"), "{error}");
    // Nothing above changed the registry.
    assert_eq!(
        registry.encode_text().unwrap().matches("# TYPE").count(),
        3,
        "{}",
        registry.encode_text().unwrap()
    );
    // A unit registration matches itself.
    let bytes = registry
        .get_or_register_with_unit("sent", "Sent.", "bytes", Counter::new())
        .unwrap();
    bytes.inc_by(3);
    let again = registry
        .get_or_register_with_unit("sent", "Sent.", "bytes", Counter::new())
        .unwrap();
    assert_eq!(again.get(), 3.0);
}
