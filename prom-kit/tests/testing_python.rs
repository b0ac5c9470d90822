//! `prom_kit::testing::parse` against Python's OpenMetrics parser (`prometheus_client`
//! 0.26) on generated expositions: valid ones and ones broken in the ways real output
//! breaks (no `# EOF`, a blank line, a repeated or invalid label name, an unterminated
//! quote, a bad value, metadata after samples, a family split in two, a negative counter,
//! an exemplar on a gauge, a unit the name does not end with), and histograms, gauge
//! histograms and summaries broken in the ways `distributions.rs` lists. Both must accept
//! the same inputs and read the same samples from them.
#![cfg(feature = "testing")]

#[path = "testing_python/distributions.rs"]
mod distributions;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use prom_kit::testing::{Syntax, parse};
use prom_kit_test_support::tools::{python_utf8, run_with_stdin};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// Reads a JSON list of expositions and prints, for each, `null` if Python's parser in
/// `module` refuses it, or its samples as `[name, {labels}, value-as-text]`.
fn python_script(module: &str) -> String {
    format!(
        "import json, sys\n\
         from {module} import text_string_to_metric_families\n\
         results = []\n\
         for text in json.load(sys.stdin):\n    \
             try:\n        \
                 samples = []\n        \
                 for family in text_string_to_metric_families(text):\n            \
                     for s in family.samples:\n                \
                         samples.append([s.name, s.labels, repr(float(s.value))])\n        \
                 results.append(samples)\n    \
             except Exception:\n        \
                 results.append(None)\n\
         print(json.dumps(results))\n"
    )
}

/// One series of a generated family: labels, value, timestamp.
type Series = (
    Vec<(&'static str, String)>,
    &'static str,
    Option<&'static str>,
);

/// One family of a generated exposition.
#[derive(Clone, Debug)]
struct Family {
    kind: &'static str,
    series: Vec<Series>,
}

const VALUES: &[&str] = &["0", "1", "2.5", "1e3", "+Inf", "NaN", "-7", "0.001"];
const LABEL_NAMES: &[&str] = &["a", "b", "code", "_x"];

fn label_value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("x".to_owned()),
            Just("é".to_owned()),
            Just("\\\\".to_owned()),
            Just("\\\"".to_owned()),
            Just("\\n".to_owned()),
            Just(" ".to_owned()),
            Just("{}=,#".to_owned()),
        ],
        0..4,
    )
    .prop_map(|parts| parts.concat())
}

fn family() -> impl Strategy<Value = Family> {
    (
        prop::sample::select(vec!["gauge", "counter", "unknown"]),
        prop::collection::vec(
            (
                prop::collection::btree_map(prop::sample::select(LABEL_NAMES), label_value(), 0..3),
                prop::sample::select(VALUES),
                prop::option::of(prop::sample::select(vec!["1", "1700000000.5", "-3"])),
            ),
            1..4,
        ),
    )
        .prop_map(|(kind, series)| {
            let mut seen = Vec::new();
            let series = series
                .into_iter()
                .filter_map(|(labels, value, timestamp)| {
                    let labels: Vec<(&str, String)> = labels.into_iter().collect();
                    // One line per label set: Python keeps the first of duplicates.
                    if seen.contains(&labels) {
                        return None;
                    }
                    seen.push(labels.clone());
                    // Counters count: keep their values valid unless a mutation breaks one.
                    let value = if kind == "counter" && matches!(value, "-7" | "NaN") {
                        "3"
                    } else {
                        value
                    };
                    Some((labels, value, timestamp))
                })
                .collect();
            Family { kind, series }
        })
}

/// One sample line: `name{labels} value [timestamp]`.
fn sample_line(
    name: &str,
    labels: &[(&str, String)],
    value: &str,
    timestamp: Option<&str>,
) -> String {
    let mut line = name.to_owned();
    if !labels.is_empty() {
        let pairs: Vec<String> = labels.iter().map(|(n, v)| format!("{n}=\"{v}\"")).collect();
        line.push('{');
        line.push_str(&pairs.join(","));
        line.push('}');
    }
    line.push(' ');
    line.push_str(value);
    if let Some(timestamp) = timestamp {
        line.push(' ');
        line.push_str(timestamp);
    }
    line
}

/// Renders families `f0`, `f1`, … as OpenMetrics.
fn render(families: &[Family]) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, family) in families.iter().enumerate() {
        let name = format!("f{i}");
        lines.push(format!("# TYPE {name} {}", family.kind));
        lines.push(format!("# HELP {name} Family {i}."));
        let sample = if family.kind == "counter" {
            format!("{name}_total")
        } else {
            name.clone()
        };
        for (labels, value, timestamp) in &family.series {
            lines.push(sample_line(&sample, labels, value, *timestamp));
        }
    }
    lines.push("# EOF".to_owned());
    lines
}

/// Breaks `lines` in one of the ways real output breaks (or not at all, for `0`).
fn mutate(mut lines: Vec<String>, how: usize, at: usize) -> Vec<String> {
    let sample_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].starts_with('#'))
        .collect();
    let pick = |n: usize| {
        sample_lines
            .get(at % sample_lines.len().max(1))
            .copied()
            .unwrap_or(n)
    };
    match how {
        1 => {
            lines.pop();
        }
        2 => lines.insert(1, String::new()),
        3 => {
            let i = pick(0);
            lines[i] = lines[i].replacen(' ', "{a=\"1\",a=\"2\"} ", 1);
        }
        4 => {
            let i = pick(0);
            lines[i] = lines[i].replacen(' ', "{1b=\"1\"} ", 1);
        }
        5 => {
            let i = pick(0);
            lines[i] = lines[i].replacen(' ', "{a=\"open} ", 1);
        }
        6 => {
            let i = pick(0);
            let (name, _) = lines[i].split_once(' ').unwrap_or(("x", ""));
            lines[i] = format!("{name} 0x10");
        }
        7 => {
            let i = pick(0);
            lines.insert(i + 1, "# HELP f0 Late.".to_owned());
        }
        8 => {
            // Another series of the first family, after the others (split in two when
            // there are others).
            let series = lines[2].replacen(' ', "{zz=\"split\"} ", 1);
            if !lines[2].contains('{') {
                let eof = lines.len() - 1;
                lines.insert(eof, series);
            }
        }
        9 => {
            let i = pick(0);
            if let Some((name, _)) = lines[i].split_once(' ') {
                lines[i] = format!("{name} -1");
            }
        }
        10 => {
            let i = pick(0);
            lines[i].push_str(" # {t=\"1\"} 1");
        }
        11 => lines.insert(0, "# UNIT f0 seconds".to_owned()),
        _ => {}
    }
    lines
}

/// Our reading of `text`: `None` if refused, else each sample as Python reports it.
/// A sample as both sides report it: name, labels, value.
type Read<V> = (String, BTreeMap<String, String>, V);

fn ours(text: &str) -> Option<Vec<Read<f64>>> {
    let exposition = parse(text, Syntax::OpenMetrics).ok()?;
    Some(
        exposition
            .families
            .iter()
            .flat_map(|f| &f.samples)
            .map(|s| (s.name.clone(), s.labels.iter().cloned().collect(), s.value))
            .collect(),
    )
}

#[test]
fn accepts_and_reads_what_pythons_openmetrics_parser_does() {
    let Some(python) = python_utf8() else {
        return;
    };
    let mut runner = TestRunner::new(Config {
        cases: 1,
        ..Config::default()
    });
    let strategy = prop::collection::vec(
        (
            prop::collection::vec(family(), 1..4),
            0usize..14,
            any::<usize>(),
        ),
        400,
    );
    let cases = strategy.new_tree(&mut runner).unwrap().current();
    let texts: Vec<String> = cases
        .iter()
        .map(|(families, how, at)| {
            let mut text = mutate(render(families), *how, *at).join("\n");
            text.push('\n');
            text
        })
        .collect();
    let (accepted, refused) = agree_with_python(&python, &texts);
    assert!(
        accepted > 50 && refused > 50,
        "{accepted} accepted, {refused} refused"
    );
}

/// Asserts that our OpenMetrics parser and Python's accept the same `texts` and read
/// the same samples from them; returns how many both accepted and both refused.
fn agree_with_python(python: &Path, texts: &[String]) -> (usize, usize) {
    let input = serde_json::to_vec(texts).unwrap();
    let (ok, stdout, stderr) = run_with_stdin(
        python,
        &["-c", &python_script("prometheus_client.openmetrics.parser")],
        &input,
    );
    assert!(ok, "python failed: {stderr}");
    let theirs: Vec<Option<Vec<Read<String>>>> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(theirs.len(), texts.len());
    let (mut accepted, mut refused) = (0, 0);
    for (text, theirs) in texts.iter().zip(theirs) {
        let ours = ours(text);
        match (&ours, &theirs) {
            (None, None) => refused += 1,
            (Some(ours), Some(theirs)) => {
                accepted += 1;
                assert_eq!(ours.len(), theirs.len(), "sample counts differ for\n{text}");
                for ((name, labels, value), (their_name, their_labels, their_value)) in
                    ours.iter().zip(theirs)
                {
                    assert_eq!((name, labels), (their_name, their_labels), "\n{text}");
                    let their_value: f64 = match their_value.as_str() {
                        "inf" => f64::INFINITY,
                        "-inf" => f64::NEG_INFINITY,
                        "nan" => f64::NAN,
                        other => other.parse().unwrap(),
                    };
                    assert!(
                        value == &their_value || (value.is_nan() && their_value.is_nan()),
                        "{name}: {value} vs {their_value} in\n{text}"
                    );
                }
            }
            _ => panic!(
                "we {} but Python {}:\n{text}",
                if ours.is_some() { "accept" } else { "refuse" },
                if theirs.is_some() {
                    "accepts"
                } else {
                    "refuses"
                },
            ),
        }
    }
    eprintln!("{accepted} accepted and {refused} refused by both parsers");
    (accepted, refused)
}

/// Renders families as text 0.0.4 (counters named with their `_total`, millisecond
/// timestamps).
fn render_text(families: &[Family]) -> String {
    let mut text = String::new();
    for (i, family) in families.iter().enumerate() {
        let name = if family.kind == "counter" {
            format!("f{i}_total")
        } else {
            format!("f{i}")
        };
        let kind = if family.kind == "unknown" {
            "untyped"
        } else {
            family.kind
        };
        let _ = write!(text, "# HELP {name} Family {i}.\n# TYPE {name} {kind}\n");
        for (labels, value, timestamp) in &family.series {
            // Text 0.0.4 timestamps are integer milliseconds.
            let timestamp = timestamp.map(|t| if t.contains('.') { "1700000000500" } else { t });
            text.push_str(&sample_line(&name, labels, value, timestamp));
            text.push('\n');
        }
    }
    text
}

/// On valid text 0.0.4 (Python's text parser is lenient, so only what we accept is
/// compared): we accept every generated exposition and read what Python reads.
#[test]
fn reads_text_format_as_pythons_parser_does() {
    let Some(python) = python_utf8() else {
        return;
    };
    let mut runner = TestRunner::new(Config {
        cases: 1,
        ..Config::default()
    });
    let strategy = prop::collection::vec(prop::collection::vec(family(), 1..4), 200);
    let texts: Vec<String> = strategy
        .new_tree(&mut runner)
        .unwrap()
        .current()
        .iter()
        .map(|families| render_text(families))
        .collect();
    let input = serde_json::to_vec(&texts).unwrap();
    let (ok, stdout, stderr) = run_with_stdin(
        &python,
        &["-c", &python_script("prometheus_client.parser")],
        &input,
    );
    assert!(ok, "python failed: {stderr}");
    let theirs: Vec<Option<Vec<Read<String>>>> = serde_json::from_str(&stdout).unwrap();
    for (text, theirs) in texts.iter().zip(theirs) {
        let exposition = parse(text, Syntax::Text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let theirs = theirs.unwrap_or_else(|| panic!("Python refuses\n{text}"));
        let ours: Vec<Read<f64>> = exposition
            .families
            .iter()
            .flat_map(|f| &f.samples)
            .map(|s| (s.name.clone(), s.labels.iter().cloned().collect(), s.value))
            .collect();
        assert_eq!(ours.len(), theirs.len(), "\n{text}");
        for ((name, labels, value), (their_name, their_labels, their_value)) in
            ours.iter().zip(&theirs)
        {
            assert_eq!((name, labels), (their_name, their_labels), "\n{text}");
            let their_value: f64 = match their_value.as_str() {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                other => other.parse().unwrap(),
            };
            assert!(
                value == &their_value || (value.is_nan() && their_value.is_nan()),
                "\n{text}"
            );
        }
    }
}
