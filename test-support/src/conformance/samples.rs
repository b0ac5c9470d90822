//! Reading what a server recorded: a strict parser of one scrape (text format or
//! OpenMetrics, exemplars not expected) and lookups of sample values.

use std::collections::HashSet;
use std::thread;
use std::time::{Duration, Instant};

use prom_kit::Registry;

/// One sample line: name, label pairs (values unescaped), value.
pub type Sample = (String, Vec<(String, String)>, f64);

/// How long the cases wait, at most, for a server to record what a client saw: a server
/// may finish a response's bookkeeping just after the client has read its last byte.
pub const RECORD_LIMIT: Duration = Duration::from_secs(5);

/// Parses one scrape strictly: only `# HELP`, `# TYPE` (and in OpenMetrics `# UNIT`)
/// comments, every other line a well-formed sample, no series twice, and OpenMetrics
/// ending in `# EOF`.
///
/// # Panics
///
/// On anything else, with the offending line.
pub fn parse_exposition(text: &str, openmetrics: bool) -> Vec<Sample> {
    let body = if openmetrics {
        text.strip_suffix("# EOF\n")
            .unwrap_or_else(|| panic!("OpenMetrics without a final `# EOF`: {text}"))
    } else {
        text
    };
    assert!(body.is_empty() || body.ends_with('\n'), "cut short: {text}");
    let mut seen = HashSet::new();
    let mut samples = Vec::new();
    for line in body.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let kind = comment.split(' ').next().unwrap_or("");
            assert!(
                matches!(kind, "HELP" | "TYPE") || (openmetrics && kind == "UNIT"),
                "unexpected comment {line:?}"
            );
            continue;
        }
        let sample = parse_sample(line).unwrap_or_else(|e| panic!("malformed line {line:?}: {e}"));
        assert!(
            seen.insert((sample.0.clone(), sample.1.clone())),
            "series twice: {line}"
        );
        samples.push(sample);
    }
    samples
}

/// `name{labels} value [timestamp]` (exemplars are not expected here).
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .ok_or("no value")?;
    let (name, mut rest) = line.split_at(name_end);
    if name.is_empty() {
        return Err("no name".into());
    }
    let mut labels = Vec::new();
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = inner.strip_prefix('}') {
                rest = after;
                break;
            }
            let (label, after) = inner.split_once("=\"").ok_or("no `=\"`")?;
            if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("label name {label:?}"));
            }
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().ok_or("unterminated value")? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        other => return Err(format!("escape \\{other}")),
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.push((label.to_owned(), value));
            inner = &after[end + 1..];
            inner = inner.strip_prefix(',').unwrap_or(inner);
        }
    }
    let rest = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let mut tokens = rest.split(' ');
    let value = match tokens.next().unwrap_or("") {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        token => token.parse().map_err(|e| format!("value {token:?}: {e}"))?,
    };
    if let Some(timestamp) = tokens.next() {
        timestamp
            .parse::<f64>()
            .map_err(|e| format!("timestamp {timestamp:?}: {e}"))?;
    }
    if tokens.next().is_some() {
        return Err("trailing text".into());
    }
    Ok((name.to_owned(), labels, value))
}

/// The samples of `registry` now, in the text format.
///
/// # Panics
///
/// If the registry cannot be encoded or its exposition does not parse.
pub fn scrape(registry: &Registry) -> Vec<Sample> {
    parse_exposition(&registry.encode_text().expect("encode the registry"), false)
}

/// Scrapes `registry` every 2 ms until `done` holds for its samples or `limit` has
/// passed; returns the last samples (the caller asserts on them).
pub fn poll(registry: &Registry, limit: Duration, done: impl Fn(&[Sample]) -> bool) -> Vec<Sample> {
    let deadline = Instant::now() + limit;
    loop {
        let samples = scrape(registry);
        if done(&samples) || Instant::now() >= deadline {
            return samples;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// The sum of the values of the samples named `name`.
pub fn total(samples: &[Sample], name: &str) -> f64 {
    samples.iter().filter(|s| s.0 == name).map(|s| s.2).sum()
}

/// The value of the sample `name` with exactly `labels` (in the exposition's order).
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| {
            n == name
                && l.len() == labels.len()
                && l.iter().zip(labels).all(|(a, b)| a.0 == b.0 && a.1 == b.1)
        })
        .map(|s| s.2)
}

/// The samples named `name` that have (at least) the label pairs `labels`.
pub fn matching<'a>(
    samples: &'a [Sample],
    name: &'a str,
    labels: &'a [(&str, &str)],
) -> impl Iterator<Item = &'a Sample> + 'a {
    samples.iter().filter(move |(n, l, _)| {
        n == name
            && labels
                .iter()
                .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
    })
}
