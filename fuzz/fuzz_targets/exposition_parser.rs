//! `prom_kit::testing::parse` on arbitrary text, as both formats: never a panic; an
//! accepted exposition holds only valid names — legacy ones (checked by the fuzz crate's
//! own, independent rules) or, quoted as Prometheus 3 writes them, any non-empty text —
//! no label repeated in a sample, no series repeated in a family, and every sample in a
//! family whose name starts its own. An accepted OpenMetrics exposition also keeps its
//! types' rules: a histogram bucket's `le` is a number other than NaN and its count a
//! non-negative integer, each histogram series ends with a `+Inf` bucket, a quantile is
//! within 0..=1.

#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use prom_kit::testing::{MetricFamily, Syntax, parse};
use prom_kit_fuzz::{is_label_name, is_metric_name};

/// A label value as a number (`+Inf` and `-Inf` included).
fn number(text: &str) -> Option<f64> {
    match text {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// The OpenMetrics rules of histograms and summaries over an accepted `family`.
fn check_openmetrics_rules(family: &MetricFamily) {
    let kind = family.kind.as_deref().unwrap_or("unknown");
    let bucket_name = format!("{}_bucket", family.name);
    if matches!(kind, "histogram" | "gaugehistogram") {
        // Per series (its labels but `le`, in order), the last bucket's bound.
        let mut last = Vec::<(Vec<(String, String)>, f64)>::new();
        for sample in family.samples.iter().filter(|s| s.name == bucket_name) {
            let le = sample
                .label("le")
                .unwrap_or_else(|| panic!("no le: {sample:?}"));
            let bound = number(le).unwrap_or_else(|| panic!("le {le:?}: {sample:?}"));
            assert!(!bound.is_nan(), "{sample:?}");
            assert!(
                sample.value >= 0.0 && sample.value.fract() == 0.0,
                "{sample:?}"
            );
            let mut series: Vec<(String, String)> = sample
                .labels
                .iter()
                .filter(|(n, _)| n != "le")
                .cloned()
                .collect();
            series.sort();
            match last.iter_mut().find(|(s, _)| *s == series) {
                Some((_, before)) => *before = bound,
                None => last.push((series, bound)),
            }
        }
        for (series, bound) in &last {
            assert_eq!(*bound, f64::INFINITY, "no +Inf bucket last: {series:?}");
        }
    }
    if kind == "summary" {
        for sample in family.samples.iter().filter(|s| s.name == family.name) {
            let quantile = sample.label("quantile").and_then(number);
            assert!(
                quantile.is_some_and(|q| (0.0..=1.0).contains(&q)),
                "{sample:?}"
            );
        }
    }
}

fuzz_target!(|text: &str| {
    for syntax in [Syntax::Text, Syntax::OpenMetrics] {
        let Ok(exposition) = parse(text, syntax) else {
            continue;
        };
        for family in &exposition.families {
            assert!(
                is_metric_name(&family.name) || !family.name.is_empty(),
                "{family:?}"
            );
            for sample in &family.samples {
                assert!(
                    is_metric_name(&sample.name) || !sample.name.is_empty(),
                    "{sample:?}"
                );
                assert!(sample.name.starts_with(&family.name), "{family:?}");
                for (name, _) in &sample.labels {
                    assert!(!name.is_empty(), "{sample:?}");
                    let escaped = name.contains(['"', '\\', '\n']);
                    let bare = !escaped && !text.contains(&format!("\"{name}\"="));
                    assert!(!bare || is_label_name(name), "{sample:?}");
                }
                let mut names: Vec<&str> = sample.labels.iter().map(|(n, _)| n.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                assert_eq!(
                    names.len(),
                    sample.labels.len(),
                    "a repeated label: {sample:?}"
                );
            }
            let mut series = BTreeSet::new();
            for sample in &family.samples {
                let mut labels = sample.labels.clone();
                labels.sort();
                assert!(
                    series.insert((&sample.name, labels)),
                    "a repeated series: {sample:?}"
                );
            }
            if syntax == Syntax::OpenMetrics {
                check_openmetrics_rules(family);
            }
        }
    }
});
