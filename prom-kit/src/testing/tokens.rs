//! The pieces of an exposition line the parser reads: names, quoted label values and
//! names, label sets, `# HELP` text, values, timestamps and exemplars.

use std::collections::HashSet;

/// Whether `name` is a valid metric name.
pub(super) fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Whether `name` is a valid label name.
fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Label pairs in the order written.
pub(super) type Labels = Vec<(String, String)>;

/// Reads `name="value",…}` (after `{`); returns the pairs and the rest after `}`. No
/// label name may repeat.
pub(super) fn read_label_pairs(rest: &str) -> Result<(Labels, &str), String> {
    let (labels, rest) = read_pairs(rest)?;
    // A few names compare with those before them; more go through a set, where comparing
    // each with all before it would be quadratic in a line's labels.
    let repeated = if labels.len() <= 8 {
        (1..labels.len())
            .find(|&i| labels[..i].iter().any(|(n, _)| *n == labels[i].0))
            .map(|i| labels[i].0.as_str())
    } else {
        let mut names = HashSet::with_capacity(labels.len());
        labels
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| !names.insert(*n))
    };
    match repeated {
        Some(name) => Err(format!("label {name} repeated")),
        None => Ok((labels, rest)),
    }
}

/// Reads `name="value",…}` (after `{`), repeats allowed.
fn read_pairs(mut rest: &str) -> Result<(Labels, &str), String> {
    let mut labels: Labels = Vec::new();
    if let Some(after) = rest.strip_prefix('}') {
        return Ok((labels, after));
    }
    loop {
        let (name, after_name) = if rest.starts_with('"') {
            // Prometheus 3: a label name outside the legacy set, quoted.
            read_quoted_name(rest)?
        } else {
            let eq = rest.find('=').ok_or_else(|| format!("no = in {rest:?}"))?;
            let name = &rest[..eq];
            if !is_label_name(name) {
                return Err(format!("invalid label name {name:?}"));
            }
            (name.to_owned(), &rest[eq..])
        };
        let name = name.as_str();
        let after_eq = after_name
            .strip_prefix('=')
            .ok_or_else(|| format!("expected = after the label name {name:?}"))?;
        let (value, after) = read_quoted(after_eq)?;
        labels.push((name.to_owned(), value));
        if let Some(after) = after.strip_prefix('}') {
            return Ok((labels, after));
        }
        rest = after
            .strip_prefix(',')
            .ok_or_else(|| format!("expected , or }} before {after:?}"))?;
    }
}

/// Reads a quoted metric or label name (Prometheus 3's syntax for names outside the
/// legacy set; escapes as in label values): non-empty.
pub(super) fn read_quoted_name(text: &str) -> Result<(String, &str), String> {
    let (name, rest) = read_quoted(text)?;
    if name.is_empty() {
        return Err("an empty quoted name".into());
    }
    Ok((name, rest))
}

/// Reads a quoted label value (escapes `\\`, `\"`, `\n`); returns it and the rest.
fn read_quoted(text: &str) -> Result<(String, &str), String> {
    let mut rest = text.strip_prefix('"').ok_or("a label value is quoted")?;
    let mut value = String::new();
    loop {
        // The text up to the next quote or backslash goes in whole.
        let at = rest.find(['"', '\\']).ok_or("unterminated label value")?;
        value.push_str(&rest[..at]);
        if rest[at..].starts_with('"') {
            return Ok((value, &rest[at + 1..]));
        }
        let mut escaped = rest[at + 1..].chars();
        match escaped.next() {
            Some('\\') => value.push('\\'),
            Some('"') => value.push('"'),
            Some('n') => value.push('\n'),
            other => return Err(format!("invalid escape {other:?}")),
        }
        rest = escaped.as_str();
    }
}

/// Unescapes a `# HELP` text (`\\` and `\n`; also `\"` in OpenMetrics, where a bare
/// quote is taken as it is, as Prometheus and Python's parser take it).
pub(super) fn unescape_help(text: &str, openmetrics: bool) -> Result<String, String> {
    let mut help = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            help.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => help.push('\\'),
            Some('n') => help.push('\n'),
            Some('"') if openmetrics => help.push('"'),
            other => return Err(format!("invalid escape {other:?} in # HELP")),
        }
    }
    Ok(help)
}

/// Parses a sample value: a decimal or exponent number, `NaN`, `+Inf`, `-Inf`.
pub(super) fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "NaN" => return Ok(f64::NAN),
        "+Inf" | "Inf" => return Ok(f64::INFINITY),
        "-Inf" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    let numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !numeric || text.is_empty() {
        return Err(format!("invalid value {text:?}"));
    }
    text.parse().map_err(|_| format!("invalid value {text:?}"))
}

/// Parses a timestamp: any number in OpenMetrics (seconds), an integer in text 0.0.4
/// (milliseconds).
pub(super) fn parse_timestamp(text: &str, openmetrics: bool) -> Result<f64, String> {
    if !openmetrics {
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "invalid timestamp {text:?} (milliseconds, an integer)"
            ));
        }
    }
    let value = parse_value(text)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("invalid timestamp {text:?}"))
    }
}

/// An exemplar: `# {trace_id="…"} value timestamp`.
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    /// Its label pairs, values unescaped.
    pub labels: Vec<(String, String)>,
    /// Its value.
    pub value: f64,
    /// Its timestamp, if any.
    pub timestamp: Option<f64>,
}

/// Parses an exemplar: `{labels} value [timestamp]`, its labels at most 128 characters.
pub(super) fn parse_exemplar(text: &str) -> Result<Exemplar, String> {
    let after = text.strip_prefix('{').ok_or("an exemplar starts with {")?;
    let (labels, rest) = read_label_pairs(after)?;
    let length: usize = labels
        .iter()
        .map(|(n, v)| n.chars().count() + v.chars().count())
        .sum();
    if length > 128 {
        return Err(format!(
            "exemplar labels of {length} characters (at most 128)"
        ));
    }
    let rest = rest
        .strip_prefix(' ')
        .ok_or("expected a space before the exemplar value")?;
    let mut fields = rest.split(' ');
    let value = parse_value(fields.next().unwrap_or(""))?;
    let timestamp = fields
        .next()
        .map(|t| parse_timestamp(t, true))
        .transpose()?;
    if fields.next().is_some() {
        return Err("text after the exemplar's timestamp".into());
    }
    Ok(Exemplar {
        labels,
        value,
        timestamp,
    })
}
