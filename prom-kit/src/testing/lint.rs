//! [`lint`]: Go's `promlint` rules over an exposition — names, suffixes, units, reserved
//! labels and help — returned as a list of [`Problem`]s.

use std::collections::BTreeSet;

use super::exposition::{Exposition, MetricFamily};

/// One rule a family breaks.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The family.
    pub metric: String,
    /// What is wrong, in promlint's words.
    pub text: String,
}

/// Abbreviations that stand for units (promlint's list).
const UNIT_ABBREVIATIONS: &[&str] = &[
    "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
];

/// Units that are not base units, and the base unit to use instead.
const NON_BASE_UNITS: &[(&str, &str)] = &[
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("weeks", "seconds"),
    ("milliseconds", "seconds"),
    ("microseconds", "seconds"),
    ("nanoseconds", "seconds"),
    ("kilobytes", "bytes"),
    ("megabytes", "bytes"),
    ("gigabytes", "bytes"),
    ("terabytes", "bytes"),
    ("petabytes", "bytes"),
    ("kilograms", "grams"),
    ("millimeters", "meters"),
    ("centimeters", "meters"),
    ("kilometers", "meters"),
    ("fahrenheit", "celsius"),
    ("percent", "ratio"),
];

/// The type names a metric name should not contain.
const TYPES: &[&str] = &["counter", "gauge", "histogram", "summary", "untyped"];

/// Checks every family of `exposition` against promlint's rules; the problems come sorted
/// by family.
///
/// ```
/// use prom_kit::testing::{lint, parse, Syntax};
///
/// let exposition = parse("\
/// ## TYPE requestLatency_milliseconds gauge
/// requestLatency_milliseconds 3
/// ", Syntax::Text)?;
/// let problems: Vec<String> = lint(&exposition).into_iter().map(|p| p.text).collect();
/// assert_eq!(problems, [
///     "no help text",
///     "metric names should be written in 'snake_case' not 'camelCase'",
///     "use base unit \"seconds\" instead of \"milliseconds\"",
/// ]);
/// # Ok::<(), prom_kit::testing::ParseError>(())
/// ```
pub fn lint(exposition: &Exposition) -> Vec<Problem> {
    let mut problems = BTreeSet::new();
    for family in &exposition.families {
        let mut add = |text: String| {
            problems.insert(Problem {
                metric: family.name.clone(),
                text,
            });
        };
        for text in family_problems(family) {
            add(text);
        }
    }
    let mut problems: Vec<Problem> = problems.into_iter().collect();
    // Within a family, the order of the rules below.
    problems.sort_by_key(|p| (p.metric.clone(), rule_order(&p.text)));
    problems
}

/// The position of a problem's rule, to list a family's problems in a stable order.
fn rule_order(text: &str) -> usize {
    [
        "no help",
        "counter metrics",
        "non-counter",
        "non-histogram and non-summary",
        "non-histogram metrics",
        "non-summary metrics",
        "metric name should not include type",
        "metric names should not contain ':'",
        "metric names should be written",
        "label names should be written",
        "metric names should not contain abbreviated",
        "use base unit",
    ]
    .iter()
    .position(|prefix| text.starts_with(prefix))
    .unwrap_or(usize::MAX)
}

/// The problems of one family.
fn family_problems(family: &MetricFamily) -> Vec<String> {
    let mut problems = Vec::new();
    let name = family.name.as_str();
    let kind = family.kind.as_deref().unwrap_or("untyped");
    if family.help.as_deref().is_none_or(str::is_empty) {
        problems.push("no help text".to_owned());
    }
    let counter_name = family
        .samples
        .iter()
        .map(|s| s.name.as_str())
        .chain(std::iter::once(name))
        .any(|n| n.ends_with("_total"));
    if kind == "counter" && !counter_name {
        problems.push("counter metrics should have \"_total\" suffix".to_owned());
    }
    if kind != "counter" && name.ends_with("_total") {
        problems.push("non-counter metrics should not have \"_total\" suffix".to_owned());
    }
    if !matches!(kind, "histogram" | "summary" | "gaugehistogram") {
        for suffix in ["_count", "_sum", "_bucket"] {
            if name.ends_with(suffix) {
                problems.push(format!(
                    "non-histogram and non-summary metrics should not have \"{suffix}\" suffix"
                ));
            }
        }
    }
    let labels: BTreeSet<&str> = family
        .samples
        .iter()
        .flat_map(|s| s.labels.iter().map(|(n, _)| n.as_str()))
        .collect();
    if !matches!(kind, "histogram" | "gaugehistogram") && labels.contains("le") {
        problems.push("non-histogram metrics should not have \"le\" label".to_owned());
    }
    if kind != "summary" && labels.contains("quantile") {
        problems.push("non-summary metrics should not have \"quantile\" label".to_owned());
    }
    let parts: Vec<&str> = name.split('_').collect();
    for type_name in TYPES {
        if parts.iter().skip(1).any(|part| part == type_name) {
            problems.push(format!("metric name should not include type '{type_name}'"));
        }
    }
    if name.contains(':') {
        problems.push("metric names should not contain ':'".to_owned());
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        problems.push("metric names should be written in 'snake_case' not 'camelCase'".to_owned());
    }
    if labels
        .iter()
        .any(|l| l.chars().any(|c| c.is_ascii_uppercase()))
    {
        problems.push("label names should be written in 'snake_case' not 'camelCase'".to_owned());
    }
    let lower: Vec<String> = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
    if lower
        .iter()
        .skip(1)
        .any(|part| UNIT_ABBREVIATIONS.contains(&part.as_str()))
    {
        problems.push("metric names should not contain abbreviated units".to_owned());
    }
    for (unit, base) in NON_BASE_UNITS {
        if lower.iter().any(|part| part == unit) {
            problems.push(format!("use base unit \"{base}\" instead of \"{unit}\""));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Syntax, parse};

    fn problems(text: &str) -> Vec<String> {
        lint(&parse(text, Syntax::Text).unwrap())
            .into_iter()
            .map(|p| format!("{}: {}", p.metric, p.text))
            .collect()
    }

    #[test]
    fn each_rule_fires_on_its_case_and_not_on_good_names() {
        assert_eq!(
            problems("# HELP ok_seconds Fine.\n# TYPE ok_seconds gauge\nok_seconds 1\n"),
            Vec::<String>::new()
        );
        let cases = [
            (
                "# HELP a Help.\n# TYPE a counter\na 1\n",
                "a: counter metrics should have \"_total\" suffix",
            ),
            (
                "# HELP a_total H.\n# TYPE a_total gauge\na_total 1\n",
                "a_total: non-counter metrics should not have \"_total\" suffix",
            ),
            (
                "# HELP a_count H.\n# TYPE a_count gauge\na_count 1\n",
                "a_count: non-histogram and non-summary metrics should not have \"_count\" suffix",
            ),
            (
                "# HELP a H.\n# TYPE a gauge\na{le=\"1\"} 1\n",
                "a: non-histogram metrics should not have \"le\" label",
            ),
            (
                "# HELP a H.\n# TYPE a gauge\na{quantile=\"1\"} 1\n",
                "a: non-summary metrics should not have \"quantile\" label",
            ),
            (
                "# HELP a_gauge H.\n# TYPE a_gauge gauge\na_gauge 1\n",
                "a_gauge: metric name should not include type 'gauge'",
            ),
            (
                "# HELP a:b H.\n# TYPE a:b gauge\na:b 1\n",
                "a:b: metric names should not contain ':'",
            ),
            (
                "# HELP a H.\n# TYPE a gauge\na{httpCode=\"1\"} 1\n",
                "a: label names should be written in 'snake_case' not 'camelCase'",
            ),
            (
                "# HELP a_ms H.\n# TYPE a_ms gauge\na_ms 1\n",
                "a_ms: metric names should not contain abbreviated units",
            ),
            (
                "# HELP disk_kilobytes H.\n# TYPE disk_kilobytes gauge\ndisk_kilobytes 1\n",
                "disk_kilobytes: use base unit \"bytes\" instead of \"kilobytes\"",
            ),
            (
                "# HELP cpu_percent H.\n# TYPE cpu_percent gauge\ncpu_percent 1\n",
                "cpu_percent: use base unit \"ratio\" instead of \"percent\"",
            ),
            ("# TYPE a gauge\na 1\n", "a: no help text"),
        ];
        for (text, expected) in cases {
            assert_eq!(problems(text), [expected], "{text}");
        }
    }
}
