//! UTF-8 names judged by Python's `prometheus_client` 0.26 (the version that speaks
//! Prometheus 3's escaping), on thousands of generated names:
//! - each escaping scheme escapes metric and label names exactly as Python's client does
//!   (except where Python departs from Go, the reference: `dots` rewrites legacy names
//!   in Python only);
//! - Python's text and OpenMetrics parsers read prom-kit's quoted (`allow-utf-8`) output
//!   back to the exact original names, label values and sample values.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use prom_kit::encoding::{EscapingScheme, Format};
use prom_kit::{Counter, Family, Gauge, NameValidation, Registry};
use prom_kit_test_support::tools::{python_utf8, run_with_stdin};
use serde_json::Value;

/// Characters names are made of: legacy ones, the separators OpenTelemetry uses, the
/// characters the text formats escape, and some beyond ASCII.
const ALPHABET: &[&str] = &[
    "a", "Z", "_", "_", ".", ".", "-", ":", "9", "0", " ", "é", "花", "😱", "\"", "\\", "\n", "U",
    "/", "=", "{", "}", ",", "#", "\u{0100}", "\u{200b}",
];

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Names(u64);

impl Names {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("small")
    }

    fn name(&mut self) -> String {
        let length = 1 + self.below(12);
        (0..length)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }
}

/// Names every generated set includes: the interesting fixed cases.
const FIXED: &[&str] = &[
    "my_metric",
    "my.metric",
    "http.server.request.duration",
    "a-b",
    "9x",
    "x9",
    "a:b",
    "U__foo",
    "U__",
    "label with 😱",
    "花火",
    "a\"b\\c\nd",
    "_",
    "a__b",
    "http.status:sum",
    "_dot_",
];

fn generated(count: usize, seed: u64) -> Vec<String> {
    let mut names = Names(seed);
    let mut all: Vec<String> = FIXED.iter().map(|s| (*s).to_owned()).collect();
    all.extend((0..count).map(|_| names.name()));
    all
}

/// Prints Python's escaped metric and label names for each scheme.
const ESCAPE_SCRIPT: &str = r#"
import json, sys
from prometheus_client.openmetrics.exposition import escape_metric_name, escape_label_name
names = json.load(sys.stdin)
out = {}
for scheme in ["underscores", "dots", "values"]:
    out[scheme] = {
        "metric": [escape_metric_name(n, scheme) for n in names],
        "label": [escape_label_name(n, scheme) for n in names],
    }
json.dump(out, sys.stdout)
"#;

#[test]
fn escaping_matches_python_on_generated_names() {
    let Some(python) = python_utf8() else {
        return;
    };
    let names = generated(4000, 0x5eed_0001);
    let input = serde_json::to_vec(&names).unwrap();
    let (ok, stdout, stderr) = run_with_stdin(&python, &["-c", ESCAPE_SCRIPT], &input);
    assert!(ok, "{stderr}");
    let python: Value = serde_json::from_str(&stdout).unwrap();
    let mut compared = 0;
    let mut python_quirks = 0;
    for (param, scheme) in [
        ("underscores", EscapingScheme::Underscores),
        ("dots", EscapingScheme::Dots),
        ("values", EscapingScheme::Values),
    ] {
        for (kind, theirs) in [
            ("metric", &python[param]["metric"]),
            ("label", &python[param]["label"]),
        ] {
            for (name, expected) in names.iter().zip(theirs.as_array().unwrap()) {
                let ours = if kind == "metric" {
                    scheme.escape_metric_name(name)
                } else {
                    scheme.escape_label_name(name)
                };
                let expected = expected.as_str().unwrap();
                // Label names starting with `__` are reserved: no registry holds one.
                if kind == "label" && name.starts_with("__") {
                    continue;
                }
                // Go leaves legacy-valid names alone under `dots` too; Python rewrites
                // their underscores. Go is the reference there.
                let legacy = if kind == "metric" {
                    EscapingScheme::Underscores.escape_metric_name(name) == name.as_str()
                } else {
                    EscapingScheme::Underscores.escape_label_name(name) == name.as_str()
                };
                if scheme == EscapingScheme::Dots && legacy {
                    assert_eq!(ours, name.as_str(), "{kind} {name:?}");
                    continue;
                }
                // Python's legacy-name regex ends in `$`, which also matches before a
                // final newline, so it leaves `a\n` unescaped (and unparseable). Go's
                // check, and ours, escape it.
                if name.ends_with('\n') && expected == name.as_str() {
                    assert_ne!(ours, name.as_str(), "{kind} {name:?}");
                    python_quirks += 1;
                    continue;
                }
                assert_eq!(ours, expected, "{param} {kind} name {name:?}");
                compared += 1;
            }
        }
    }
    eprintln!(
        "{compared} escaped names equal to Python's; {python_quirks} names ending in a \
         newline that Python leaves unescaped"
    );
    assert!(compared > 20_000, "{compared}");
}

/// Parses an exposition with Python's parser (`text` or `openmetrics`) and prints every
/// sample as `[family, type, sample name, labels, value]`.
const PARSE_SCRIPT: &str = r#"
import json, sys
which = sys.argv[1]
if which == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
text = sys.stdin.read()
out = []
for family in text_string_to_metric_families(text):
    for s in family.samples:
        out.append([family.name, family.type, s.name, s.labels, s.value])
json.dump(out, sys.stdout)
"#;

/// One sample as the parsers report it.
type Parsed = (String, String, String, Vec<(String, String)>, f64);

fn parse(python: &std::path::Path, format: &str, text: &str) -> BTreeSet<String> {
    let (ok, stdout, stderr) =
        run_with_stdin(python, &["-c", PARSE_SCRIPT, format], text.as_bytes());
    assert!(
        ok,
        "Python's {format} parser refused prom-kit's output: {stderr}\n{text}"
    );
    let samples: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    samples
        .iter()
        .map(|s| {
            let mut labels: Vec<(String, String)> = s[3]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            labels.sort();
            let parsed: Parsed = (
                s[0].as_str().unwrap().to_owned(),
                s[1].as_str().unwrap().to_owned(),
                s[2].as_str().unwrap().to_owned(),
                labels,
                s[4].as_f64().unwrap(),
            );
            format!("{parsed:?}")
        })
        .collect()
}

#[test]
fn python_parsers_read_quoted_names_back_exactly() {
    let Some(python) = python_utf8() else {
        return;
    };
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    registry.set_openmetrics_created(false);
    let mut expected_text = BTreeSet::new();
    let mut expected_om = BTreeSet::new();
    let mut families = 0;
    let mut taken = BTreeSet::new();
    let mut names = Names(0x5eed_0002);
    for (i, name) in generated(600, 0x5eed_0003).into_iter().enumerate() {
        // Family names must differ also once a type's suffixes are added.
        let base = format!("{name}_{i}");
        if !taken.insert(base.clone()) {
            continue;
        }
        // Label names start with a legacy letter: a registry refuses most others (a
        // name that starts outside the legacy set is `__…` with dots, a reserved name).
        let label = format!("l{}", names.name());
        let other = format!("o{}_b", names.name());
        let value_a = names.name();
        let value_b = if i % 5 == 0 {
            String::new()
        } else {
            names.name()
        };
        let sort = |mut v: Vec<(String, String)>| {
            v.sort();
            v
        };
        let labels = sort(vec![
            (label.clone(), value_a.clone()),
            (other.clone(), value_b.clone()),
        ]);
        let help = format!("Help for {name:?} \\ \" \n end.");
        if i % 2 == 0 {
            let family: Family<Gauge> = Family::new([label.as_str(), other.as_str()]).unwrap();
            registry.register(&base, &help, family.clone()).unwrap();
            let value = i as f64 + 0.5;
            family
                .labels(&[value_a.as_str(), value_b.as_str()])
                .unwrap()
                .set(value);
            for set in [&mut expected_text, &mut expected_om] {
                let parsed: Parsed = (
                    base.clone(),
                    "gauge".into(),
                    base.clone(),
                    labels.clone(),
                    value,
                );
                set.insert(format!("{parsed:?}"));
            }
        } else {
            let family: Family<Counter> = Family::new([label.as_str(), other.as_str()]).unwrap();
            registry.register(&base, &help, family.clone()).unwrap();
            family
                .labels(&[value_a.as_str(), value_b.as_str()])
                .unwrap()
                .inc_by(i as u64);
            for set in [&mut expected_text, &mut expected_om] {
                let parsed: Parsed = (
                    base.clone(),
                    "counter".into(),
                    format!("{base}_total"),
                    labels.clone(),
                    i as f64,
                );
                set.insert(format!("{parsed:?}"));
            }
        }
        families += 1;
    }
    for (format, python_format, expected) in [
        (Format::Text, "text", &expected_text),
        (Format::OpenMetrics, "openmetrics", &expected_om),
    ] {
        let mut out = Vec::new();
        registry
            .encode(
                prom_kit::EncodeOptions::new(format).escaping(EscapingScheme::AllowUtf8),
                &mut out,
            )
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let parsed = parse(&python, python_format, &text);
        let missing: Vec<&String> = expected.difference(&parsed).take(5).collect();
        let extra: Vec<&String> = parsed.difference(expected).take(5).collect();
        let mut report = String::new();
        let _ = write!(report, "missing {missing:#?}\nunexpected {extra:#?}");
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{python_format}: {report}"
        );
    }
    eprintln!("{families} families with generated names read back exactly in both formats");
    assert!(families > 300, "{families}");
}

#[test]
fn underscore_escaped_output_parses_with_the_names_python_escapes_to() {
    let Some(python) = python_utf8() else {
        return;
    };
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    let family: Family<Gauge> = Family::new(["http.route", "tier"]).unwrap();
    registry
        .register("http.server.active_requests", "Active.", family.clone())
        .unwrap();
    family.labels(&["/a.b", "gold"]).unwrap().set(3.0);
    let text = registry.encode_text().unwrap();
    let parsed = parse(&python, "text", &text);
    let expected: Parsed = (
        "http_server_active_requests".into(),
        "gauge".into(),
        "http_server_active_requests".into(),
        vec![
            ("http_route".into(), "/a.b".into()),
            ("tier".into(), "gold".into()),
        ],
        3.0,
    );
    assert_eq!(parsed, BTreeSet::from([format!("{expected:?}")]), "{text}");
}

/// Escapes `names` as Python does and parses each exposition with Python's text parser:
/// prints `{"escaped": {scheme: {"metric": [...], "label": [...]}}, "parsed": {scheme:
/// [[sample name, {labels}, value], ...] or an error message}}`.
const ESCAPE_AND_PARSE_SCRIPT: &str = r#"
import json, sys
from prometheus_client.openmetrics.exposition import escape_metric_name, escape_label_name
from prometheus_client.parser import text_string_to_metric_families
given = json.load(sys.stdin)
out = {"escaped": {}, "parsed": {}}
for scheme, text in given["expositions"].items():
    out["escaped"][scheme] = {
        "metric": [escape_metric_name(n, scheme) for n in given["metrics"]],
        "label": [escape_label_name(n, scheme) for n in given["labels"]],
    }
    try:
        out["parsed"][scheme] = [
            [s.name, s.labels, s.value]
            for family in text_string_to_metric_families(text)
            for s in family.samples
        ]
    except Exception as e:
        out["parsed"][scheme] = "%s: %s" % (type(e).__name__, e)
json.dump(out, sys.stdout)
"#;

/// Every generated name a UTF-8 registry accepts, as a family name and as a label name,
/// reaches Python's parser under every escaping scheme (no reserved `__` label, no
/// repeated name), written exactly as Python's client escapes it.
#[test]
fn accepted_generated_names_escape_as_python_does_and_parse_under_every_scheme() {
    let Some(python) = python_utf8() else {
        return;
    };
    let (registry, accepted, refused) = registry_of_generated_names();
    let schemes = [
        ("underscores", EscapingScheme::Underscores),
        ("dots", EscapingScheme::Dots),
        ("values", EscapingScheme::Values),
    ];
    let mut expositions = serde_json::Map::new();
    for (param, scheme) in schemes {
        let mut out = Vec::new();
        registry
            .encode(
                prom_kit::EncodeOptions::new(Format::Text).escaping(scheme),
                &mut out,
            )
            .unwrap();
        expositions.insert(param.into(), String::from_utf8(out).unwrap().into());
    }
    let input = serde_json::json!({
        "metrics": accepted.iter().map(|a| &a.0).collect::<Vec<_>>(),
        "labels": accepted.iter().map(|a| a.1.as_deref().unwrap_or("x")).collect::<Vec<_>>(),
        "expositions": expositions,
    });
    let (ok, stdout, stderr) = run_with_stdin(
        &python,
        &["-c", ESCAPE_AND_PARSE_SCRIPT],
        &serde_json::to_vec(&input).unwrap(),
    );
    assert!(ok, "{stderr}");
    let python: Value = serde_json::from_str(&stdout).unwrap();
    let mut compared = 0;
    for (param, scheme) in schemes {
        let parsed = &python["parsed"][param];
        let Some(samples) = parsed.as_array() else {
            panic!("Python's parser refused the {param} exposition: {parsed}");
        };
        assert_eq!(samples.len(), accepted.len(), "{param}");
        let escaped = &python["escaped"][param];
        for sample in samples {
            // The value is the family's index in `accepted`.
            let i: usize = sample[2].as_f64().unwrap().to_string().parse().unwrap();
            let (metric, label) = &accepted[i];
            let read_metric = sample[0].as_str().unwrap();
            let labels = sample[1].as_object().unwrap();
            let read_label = labels.keys().next().map(String::as_str);
            assert_eq!(
                read_metric,
                scheme.escape_metric_name(metric),
                "{param} {metric:?}"
            );
            assert_eq!(
                read_label,
                label
                    .as_deref()
                    .map(|l| scheme.escape_label_name(l))
                    .as_deref(),
                "{param} {label:?}"
            );
            // Python's own escaping, for every name we escape (Python's `dots` rewrites
            // legacy names too, which Go leaves alone; a final newline passes Python's
            // legacy-name check).
            let pairs = [
                ("metric", Some(metric), Some(read_metric)),
                ("label", label.as_ref(), read_label),
            ];
            for (kind, name, ours) in pairs {
                let (Some(name), Some(ours)) = (name, ours) else {
                    continue;
                };
                if ours == name.as_str() || name.ends_with('\n') {
                    continue;
                }
                assert_eq!(
                    ours,
                    escaped[kind][i].as_str().unwrap(),
                    "{param} {kind} {name:?}"
                );
                compared += 1;
            }
        }
    }
    eprintln!(
        "{} families of generated names parse under every scheme ({compared} escaped names \
         equal to Python's); {} label names and {} family names refused",
        accepted.len(),
        refused.0,
        refused.1
    );
    assert!(
        accepted.len() > 700 && compared > 3000,
        "{} {compared}",
        accepted.len()
    );
}

/// The family name and label name (if accepted) of each family registered.
type Accepted = Vec<(String, Option<String>)>;

/// A UTF-8 registry of one gauge family per generated name that it accepts, the name
/// as a label name, another generated name as the family name (a gauge without labels
/// if the label name is refused); each family's value is its index in the list
/// returned, with the counts of label names and family names refused.
fn registry_of_generated_names() -> (Registry, Accepted, (usize, usize)) {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    let mut accepted: Accepted = Vec::new();
    let (mut refused_labels, mut refused_families) = (0, 0);
    let names = generated(1500, 0x5eed_0004);
    for (i, name) in names.iter().enumerate() {
        let metric = &names[(i * 7 + 3) % names.len()];
        // Half of the label names start with a legacy letter: most generated names
        // start with a character that `dots` writes `__` (refused), the rest of the name
        // is what the escaping is tested on.
        let label = if i % 2 == 0 {
            name.clone()
        } else {
            format!("l{name}")
        };
        let family = Family::<Gauge>::new([label.as_str()]);
        refused_labels += usize::from(family.is_err());
        let gauge = Gauge::new();
        let registered = match &family {
            Ok(family) => registry.register(metric, "", family.clone()),
            Err(_) => registry.register(metric, "", gauge.clone()),
        };
        if registered.is_err() {
            refused_families += 1;
            continue;
        }
        let value = accepted.len() as f64;
        match &family {
            Ok(family) => family.labels(&["v"]).unwrap().set(value),
            Err(_) => gauge.set(value),
        }
        accepted.push((metric.clone(), family.is_ok().then_some(label)));
    }
    (registry, accepted, (refused_labels, refused_families))
}
