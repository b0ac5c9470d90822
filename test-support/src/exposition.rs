//! Judging an exposition with the real parsers: `promtool check metrics` and Python's
//! `prometheus_client` parsers (the strict OpenMetrics one included).

use std::collections::BTreeMap;
use std::path::Path;

use crate::tools::run_with_stdin;

/// `promtool check metrics` on `text`: Ok with its output, or Err with the reason.
pub fn promtool_check(promtool: &Path, text: &str) -> Result<String, String> {
    let (ok, stdout, stderr) = run_with_stdin(promtool, &["check", "metrics"], text.as_bytes());
    if ok {
        Ok(format!("{stdout}{stderr}"))
    } else {
        Err(format!(
            "promtool check metrics failed:\n{stdout}{stderr}\n--- input ---\n{text}"
        ))
    }
}

/// One sample as a Python parser saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedSample {
    /// The sample name (`requests_total`).
    pub name: String,
    /// The label pairs.
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
    /// The exemplar's labels, if the sample carries one.
    pub exemplar: Option<BTreeMap<String, String>>,
}

/// One family as a Python parser saw it.
#[derive(Clone, Debug)]
pub struct ParsedFamily {
    /// The family name.
    pub name: String,
    /// The type (`counter`, `gauge`, …).
    pub kind: String,
    /// The help text.
    pub help: String,
    /// The unit (OpenMetrics), or empty.
    pub unit: String,
    /// The samples.
    pub samples: Vec<ParsedSample>,
}

const PARSE_SCRIPT: &str = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families as parse_text
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
data = sys.stdin.buffer.read().decode("utf-8")
parse = parse_openmetrics if sys.argv[1] == "openmetrics" else parse_text
out = []
for family in parse(data):
    out.append({
        "name": family.name, "type": family.type,
        "help": family.documentation or "", "unit": family.unit or "",
        "samples": [{"name": s.name, "labels": s.labels, "value": repr(float(s.value)),
                     "exemplar": dict(s.exemplar.labels) if getattr(s, "exemplar", None) else None}
                    for s in family.samples],
    })
print(json.dumps(out))
"#;

/// Parses `text` with `prometheus_client.parser` (text format) or, when `openmetrics`,
/// with the strict `prometheus_client.openmetrics.parser`.
pub fn python_parse(
    python: &Path,
    text: &str,
    openmetrics: bool,
) -> Result<Vec<ParsedFamily>, String> {
    let mode = if openmetrics { "openmetrics" } else { "text" };
    let (ok, stdout, stderr) = run_with_stdin(python, &["-c", PARSE_SCRIPT, mode], text.as_bytes());
    if !ok {
        return Err(format!(
            "python {mode} parser rejected the input:\n{stderr}\n--- input ---\n{text}"
        ));
    }
    let json: serde_json::Value =
        serde_json::from_str(&stdout).map_err(|e| format!("bad JSON {e}: {stdout}"))?;
    let families = json
        .as_array()
        .ok_or("not a list")?
        .iter()
        .map(|f| ParsedFamily {
            name: f["name"].as_str().unwrap_or_default().to_owned(),
            kind: f["type"].as_str().unwrap_or_default().to_owned(),
            help: f["help"].as_str().unwrap_or_default().to_owned(),
            unit: f["unit"].as_str().unwrap_or_default().to_owned(),
            samples: f["samples"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|s| ParsedSample {
                    name: s["name"].as_str().unwrap_or_default().to_owned(),
                    labels: s["labels"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (k.clone(), v.as_str().unwrap_or_default().to_owned())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    value: s["value"]
                        .as_str()
                        .unwrap_or("nan")
                        .parse()
                        .unwrap_or(f64::NAN),
                    exemplar: s["exemplar"].as_object().map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    }),
                })
                .collect(),
        })
        .collect();
    Ok(families)
}

/// Whether two sample values are the same, NaN included.
pub fn same_value(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Finds the sample `name{labels}` in parsed families.
pub fn find_sample<'a>(
    families: &'a [ParsedFamily],
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a ParsedSample> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| s.name == name && s.labels == wanted)
}
