//! The differential test on histograms, gauge histograms and summaries: generated valid
//! ones, then broken (or validly varied) in one of the ways OpenMetrics rules on — no
//! `+Inf` bucket, decreasing bucket counts, `le` that is no number, `NaN`, a non-canonical
//! `+Inf` or missing, `le` not increasing, `_count` other than the `+Inf` bucket, `_sum`
//! without `_count` or the reverse, negative or fractional counts, a `NaN` or negative
//! sum, a negative bound beside a `_sum`, a quantile out of range or missing, a negative
//! quantile value, a series split in two, timestamps mixed, going back or forward within
//! a series — and both parsers must agree.

use super::{Path, Syntax, agree_with_python, label_value, parse, python_utf8, sample_line};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// One series of a generated distribution.
#[derive(Clone, Debug)]
struct Series {
    labels: Vec<(&'static str, String)>,
    /// Bucket bounds (histograms) or quantiles (summaries), as written.
    bounds: &'static [&'static str],
    /// Per bucket, what it adds to the cumulative count; per quantile, its value's index.
    steps: Vec<u8>,
    sum: &'static str,
    /// Whether `_sum` and `_count` (`_gsum`, `_gcount`) are written.
    totals: bool,
    timestamp: Option<&'static str>,
}

/// A generated histogram, gauge histogram or summary.
#[derive(Clone, Debug)]
struct Distribution {
    kind: &'static str,
    series: Vec<Series>,
}

const BOUNDS: &[&[&str]] = &[
    &["0.5", "2", "+Inf"],
    &["+Inf"],
    &["-1", "0", "1e3", "+Inf"],
];
const QUANTILES: &[&[&str]] = &[&["0.5", "0.99"], &[], &["0", "1"]];
const QUANTILE_VALUES: &[&str] = &["0", "1.5", "NaN", "1e3"];

fn distribution() -> impl Strategy<Value = Distribution> {
    (
        prop::sample::select(vec!["histogram", "gaugehistogram", "summary"]),
        prop::collection::vec(
            (
                prop::collection::btree_map(
                    prop::sample::select(vec!["a", "b"]),
                    label_value(),
                    0..3,
                ),
                0usize..3,
                prop::collection::vec(0u8..4, 4),
                prop::sample::select(vec!["0", "2.5", "1e3", "+Inf", "-2.5"]),
                any::<bool>(),
                prop::option::of(prop::sample::select(vec!["1", "1700000000.5"])),
            ),
            1..4,
        ),
    )
        .prop_map(|(kind, series)| {
            let mut seen = Vec::new();
            let series = series
                .into_iter()
                .filter_map(|(labels, shape, steps, sum, totals, timestamp)| {
                    let labels: Vec<(&str, String)> = labels.into_iter().collect();
                    if seen.contains(&labels) {
                        return None;
                    }
                    seen.push(labels.clone());
                    let summary = kind == "summary";
                    let bounds = if summary { QUANTILES } else { BOUNDS }[shape];
                    let negative = bounds.first().is_some_and(|b| b.starts_with('-'));
                    // Valid as generated: a sum below zero only beside negative buckets of
                    // a gauge histogram; a histogram with negative buckets has no sum.
                    let sum = if sum.starts_with('-') && !(kind == "gaugehistogram" && negative) {
                        "2.5"
                    } else {
                        sum
                    };
                    let totals = totals && !(kind == "histogram" && negative);
                    Some(Series {
                        labels,
                        bounds,
                        steps,
                        sum,
                        totals,
                        timestamp,
                    })
                })
                .collect();
            Distribution { kind, series }
        })
}

/// Renders distributions `d0`, `d1`, … as OpenMetrics lines (`# EOF` included).
fn render(distributions: &[Distribution]) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, distribution) in distributions.iter().enumerate() {
        let name = format!("d{i}");
        let kind = distribution.kind;
        lines.push(format!("# TYPE {name} {kind}"));
        lines.push(format!("# HELP {name} Distribution {i}."));
        let (sum, count) = if kind == "gaugehistogram" {
            ("_gsum", "_gcount")
        } else {
            ("_sum", "_count")
        };
        for series in &distribution.series {
            let mut total = 0u32;
            for (bound, step) in series.bounds.iter().zip(&series.steps) {
                let mut labels = series.labels.clone();
                let value = if kind == "summary" {
                    labels.push(("quantile", (*bound).to_owned()));
                    QUANTILE_VALUES[usize::from(*step)].to_owned()
                } else {
                    labels.push(("le", (*bound).to_owned()));
                    total += u32::from(*step);
                    total.to_string()
                };
                let bucket = if kind == "summary" {
                    name.clone()
                } else {
                    format!("{name}_bucket")
                };
                lines.push(sample_line(&bucket, &labels, &value, series.timestamp));
            }
            if series.totals {
                let total = total.to_string();
                for (suffix, value) in [(sum, series.sum), (count, total.as_str())] {
                    lines.push(sample_line(
                        &format!("{name}{suffix}"),
                        &series.labels,
                        value,
                        series.timestamp,
                    ));
                }
            }
        }
    }
    lines.push("# EOF".to_owned());
    lines
}

/// Where a sample line's value starts: after its name and (quote-aware) label set.
fn value_start(line: &str) -> Option<usize> {
    let name_end = line.find(['{', ' '])?;
    if line[name_end..].starts_with(' ') {
        return Some(name_end + 1);
    }
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in line.char_indices().skip(name_end) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '}' if !quoted => return Some(i + 2),
            _ => {}
        }
    }
    None
}

/// The sample name of a line.
fn sample_name(line: &str) -> &str {
    &line[..line.find(['{', ' ']).unwrap_or(line.len())]
}

/// Replaces the value of a sample line (keeping its timestamp).
fn set_value(line: &mut String, value: &str) {
    if let Some(start) = value_start(line) {
        let end = line[start..].find(' ').map_or(line.len(), |i| start + i);
        line.replace_range(start..end, value);
    }
}

/// Replaces (or, with `None`, removes) the label `name`, written last in a label set.
fn set_label(line: &mut String, name: &str, value: Option<&str>) {
    let Some(at) = line.rfind(&format!("{name}=\"")) else {
        return;
    };
    let value_at = at + name.len() + 2;
    let Some(len) = line[value_at..].find('"') else {
        return;
    };
    if let Some(value) = value {
        line.replace_range(value_at..value_at + len, value);
    } else {
        // `{le="x"}` goes whole (the label set held only it); `,le="x"` with its comma.
        let end = value_at + len + if line[..at].ends_with('{') { 2 } else { 1 };
        line.replace_range(at - 1..end, "");
    }
}

/// The type of the family line `i` belongs to (from the `# TYPE` above it).
fn family_kind(lines: &[String], i: usize) -> &str {
    lines[..i]
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("# TYPE "))
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
}

/// Whether a sample line carries a timestamp.
fn has_timestamp(line: &str) -> bool {
    value_start(line).is_some_and(|start| line[start..].contains(' '))
}

/// Breaks (or validly varies) `lines` in way `how` at the `at`-th line it applies to;
/// past the last way, leaves them as they are.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per way of breaking, each a line or a few"
)]
fn mutate(mut lines: Vec<String>, how: usize, at: usize) -> Vec<String> {
    let bucket = |l: &str| sample_name(l).ends_with("_bucket");
    let count = |l: &str| sample_name(l).ends_with("count");
    let sum = |l: &str| sample_name(l).ends_with("sum");
    let quantile = |l: &str| l.contains("quantile=\"");
    let pick = |lines: &[String], test: &dyn Fn(&str) -> bool| {
        let found: Vec<usize> = (0..lines.len()).filter(|&i| test(&lines[i])).collect();
        (!found.is_empty()).then(|| found[at % found.len()])
    };
    let with =
        |test: &dyn Fn(&str) -> bool, lines: &mut Vec<String>, edit: &dyn Fn(&mut String)| {
            if let Some(i) = pick(lines, test) {
                edit(&mut lines[i]);
            }
        };
    match how {
        1 => {
            if let Some(i) = pick(&lines, &|l| l.contains("le=\"+Inf\"")) {
                lines.remove(i);
            }
        }
        2 => with(&bucket, &mut lines, &|l| set_value(l, "1000")),
        3 => with(&bucket, &mut lines, &|l| set_label(l, "le", Some("x"))),
        4 => with(&bucket, &mut lines, &|l| set_label(l, "le", Some("NaN"))),
        5 => with(&|l| l.contains("le=\"+Inf\""), &mut lines, &|l| {
            set_label(l, "le", Some("Inf"));
        }),
        6 => with(&bucket, &mut lines, &|l| set_label(l, "le", None)),
        7 => {
            // Two neighbouring buckets trade bounds.
            let pair =
                |l: &[String], i: usize| bucket(&l[i]) && l.get(i + 1).is_some_and(|n| bucket(n));
            let found: Vec<usize> = (0..lines.len()).filter(|&i| pair(&lines, i)).collect();
            if !found.is_empty() {
                let i = found[at % found.len()];
                let bound = |l: &str| {
                    l[l.rfind("le=\"").unwrap_or(0) + 4..]
                        .split('"')
                        .next()
                        .unwrap_or("")
                        .to_owned()
                };
                let (first, second) = (bound(&lines[i]), bound(&lines[i + 1]));
                set_label(&mut lines[i], "le", Some(&second));
                set_label(&mut lines[i + 1], "le", Some(&first));
            }
        }
        8 => with(&count, &mut lines, &|l| {
            let start = value_start(l).unwrap_or(0);
            let value: u32 = l[start..]
                .split(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            set_value(l, &(value + 1).to_string());
        }),
        9 => {
            if let Some(i) = pick(&lines, &count) {
                lines.remove(i);
            }
        }
        10 => {
            if let Some(i) = pick(&lines, &sum) {
                lines.remove(i);
            }
        }
        11 => with(&bucket, &mut lines, &|l| set_value(l, "-1")),
        12 => with(&bucket, &mut lines, &|l| set_value(l, "1.5")),
        13 => with(&count, &mut lines, &|l| set_value(l, "2.5")),
        14 => with(&sum, &mut lines, &|l| set_value(l, "NaN")),
        15 => with(&sum, &mut lines, &|l| set_value(l, "-1")),
        16 => with(
            &|l| l.contains("le=\"0.5\"") || l.contains("le=\"-1\""),
            &mut lines,
            &|l| {
                set_label(l, "le", Some("-5"));
            },
        ),
        17 => with(&quantile, &mut lines, &|l| {
            set_label(l, "quantile", Some("2"));
        }),
        18 => with(&quantile, &mut lines, &|l| set_value(l, "-1")),
        19 => with(&quantile, &mut lines, &|l| set_label(l, "quantile", None)),
        20 => {
            // A bucket or quantile moved to the end of its family: a series split in two
            // when the family has others.
            if let Some(i) = pick(&lines, &|l| bucket(l) || quantile(l)) {
                let line = lines.remove(i);
                let end = (i..lines.len())
                    .find(|&j| lines[j].starts_with('#'))
                    .unwrap_or(i);
                lines.insert(end, line);
            }
        }
        21 => with(&|l| sum(l) || count(l), &mut lines, &|l| {
            // A timestamp going back, or one on only part of a series.
            let start = value_start(l).unwrap_or(0);
            match l[start..].find(' ') {
                Some(space) => l.replace_range(start + space + 1.., "0.5"),
                None => l.push_str(" 5"),
            }
        }),
        22 | 25 => {
            // A later timestamp on a count: a new group for a histogram's checks (22),
            // valid in a summary (25).
            let summary = how == 25;
            let found: Vec<usize> = (0..lines.len())
                .filter(|&i| count(&lines[i]) && has_timestamp(&lines[i]))
                .filter(|&i| (family_kind(&lines, i) == "summary") == summary)
                .collect();
            if !found.is_empty() {
                let line = &mut lines[found[at % found.len()]];
                let start = value_start(line).unwrap_or(0);
                if let Some(space) = line[start..].find(' ') {
                    line.replace_range(start + space + 1.., "1800000000");
                }
            }
        }
        23 => with(&|l| l.contains("le=\"2\""), &mut lines, &|l| {
            set_label(l, "le", Some("2.0e0"));
        }),
        24 => {
            // `_count` before `_sum`: still one series, in another order.
            if let Some(i) = pick(&lines, &sum) {
                if lines.get(i + 1).is_some_and(|l| count(l)) {
                    lines.swap(i, i + 1);
                }
            }
        }
        _ => {}
    }
    lines
}

/// How many ways [`mutate`] knows, counting its "none" past the last.
const WAYS: usize = 30;

#[test]
fn holds_distributions_to_the_rules_pythons_openmetrics_parser_does() {
    let Some(python) = python_utf8() else {
        return;
    };
    let mut runner = TestRunner::new(Config {
        cases: 1,
        ..Config::default()
    });
    // Each of the 30 ways (the last few: none) on as many cases.
    let strategy = prop::collection::vec(
        (prop::collection::vec(distribution(), 1..3), any::<usize>()),
        WAYS * 30,
    );
    let cases: Vec<(usize, String)> = strategy
        .new_tree(&mut runner)
        .unwrap()
        .current()
        .iter()
        .enumerate()
        .map(|(i, (distributions, at))| {
            let how = i % WAYS;
            let mut text = mutate(render(distributions), how, *at).join("\n");
            text.push('\n');
            (how, text)
        })
        .collect();
    let texts: Vec<String> = cases.iter().map(|(_, text)| text.clone()).collect();
    let python: &Path = &python;
    let (accepted, refused) = agree_with_python(python, &texts);
    assert!(
        accepted > 60 && refused > 200,
        "{accepted} accepted, {refused} refused"
    );
    // Both agree; each way of breaking was refused at least once, each valid variation
    // accepted at least once (so the cases reach every rule).
    let mut tally = [(0, 0); WAYS];
    for (how, text) in &cases {
        let refused = parse(text, Syntax::OpenMetrics).is_err();
        tally[*how].0 += usize::from(!refused);
        tally[*how].1 += usize::from(refused);
    }
    eprintln!("accepted, refused by way: {tally:?}");
    for (how, (accepted, refused)) in tally.iter().enumerate() {
        match how {
            0 => assert_eq!(*refused, 0, "generated cases refused: {tally:?}"),
            1..=22 => assert!(*refused > 0, "way {how} never refused: {tally:?}"),
            23..=25 => assert!(*accepted > 0, "way {how} never accepted: {tally:?}"),
            _ => {}
        }
    }
}
