//! What the fuzz targets share: a strict reader of the text expositions (the grammar the
//! real parsers enforce, written independently of prom-kit's encoder), a minimal
//! protobuf schema to decode the delimited format with prost, and reference
//! implementations to test prom-kit against.

use std::collections::BTreeMap;

/// One sample line as read back from an exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The sample's metric name (`requests_total`).
    pub name: String,
    /// The label pairs, values unescaped.
    pub labels: BTreeMap<String, String>,
    /// The value, as written.
    pub value: String,
    /// The exemplar's label pairs (OpenMetrics), values unescaped.
    pub exemplar: Option<BTreeMap<String, String>>,
}

/// Whether `name` is a valid metric name.
pub fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Whether `name` is a valid label name.
pub fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `text` is a sample value both formats accept.
fn is_value(text: &str) -> bool {
    if matches!(text, "NaN" | "+Inf" | "-Inf") {
        return true;
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (digits, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        !(whole.is_empty() && fraction.is_empty()) && all_digits(whole) && all_digits(fraction);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Reads a quoted string (`"…"`, escapes `\\`, `\"` and `\n` only, no raw newline) from
/// the start of `text`; returns its unescaped content and the rest after the quote.
fn read_quoted(text: &str) -> Result<(String, &str), String> {
    let mut chars = text
        .strip_prefix('"')
        .ok_or("expected a quote")?
        .char_indices();
    let mut content = String::new();
    let end = loop {
        match chars.next() {
            None => return Err("unterminated quoted string".into()),
            Some((i, '"')) => break i,
            Some((_, '\n')) => return Err("raw newline in a quoted string".into()),
            Some((_, '\\')) => match chars.next() {
                Some((_, '\\')) => content.push('\\'),
                Some((_, '"')) => content.push('"'),
                Some((_, 'n')) => content.push('\n'),
                other => return Err(format!("bad escape {other:?}")),
            },
            Some((_, c)) => content.push(c),
        }
    };
    Ok((content, &text[1 + end + 1..]))
}

/// Reads `{name="value",…}` from the start of `text`; returns the pairs and the rest.
fn read_labels(text: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let rest = text.strip_prefix('{').ok_or("expected {")?;
    read_label_pairs(rest, BTreeMap::new(), false)
}

/// Reads `name="value",…}` (after the opening brace, or after a quoted metric name's
/// comma); with `utf8`, a label name may be quoted (Prometheus 3's syntax: legacy names
/// bare, any other non-empty name quoted).
fn read_label_pairs(
    mut rest: &str,
    mut labels: BTreeMap<String, String>,
    utf8: bool,
) -> Result<(BTreeMap<String, String>, &str), String> {
    if let Some(after) = rest.strip_prefix('}') {
        return Ok((labels, after));
    }
    loop {
        let (name, after_name) = if utf8 && rest.starts_with('"') {
            let (name, after) = read_quoted(rest)?;
            if name.is_empty() || is_label_name(&name) {
                return Err(format!("label name {name:?} needs no quotes"));
            }
            (name, after)
        } else {
            let eq = rest.find('=').ok_or_else(|| format!("no = in {rest:?}"))?;
            let name = &rest[..eq];
            if !is_label_name(name) {
                return Err(format!("invalid label name {name:?}"));
            }
            (name.to_owned(), &rest[eq..])
        };
        let after_eq = after_name.strip_prefix('=').ok_or("expected =")?;
        let (value, after_value) =
            read_quoted(after_eq).map_err(|e| format!("label value: {e}"))?;
        if labels.insert(name.clone(), value).is_some() {
            return Err(format!("label {name} repeated"));
        }
        if let Some(after) = after_value.strip_prefix('}') {
            return Ok((labels, after));
        }
        rest = after_value
            .strip_prefix(',')
            .ok_or_else(|| format!("expected , or }} before {after_value:?}"))?;
    }
}

/// Checks a `# HELP` text's escapes.
fn check_help(text: &str, openmetrics: bool) -> Result<(), String> {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\' | 'n') => {}
                Some('"') if openmetrics => {}
                other => return Err(format!("bad HELP escape {other:?}")),
            }
        } else if c == '"' && openmetrics {
            return Err("raw quote in OpenMetrics HELP".into());
        }
    }
    Ok(())
}

/// Reads a whole text exposition (0.0.4, or OpenMetrics 1.0 when `openmetrics`) as
/// strictly as the real parsers do; returns its samples.
///
/// # Errors
///
/// The first violation found, with its line.
pub fn read_exposition(text: &str, openmetrics: bool) -> Result<Vec<Sample>, String> {
    read_exposition_as(text, openmetrics, false)
}

/// [`read_exposition`] for Prometheus 3's syntax: metric and label names outside the
/// legacy set quoted (`{"a.b","c.d"="x"} 1`, `# TYPE "a.b" gauge`), legacy names bare.
///
/// # Errors
///
/// The first violation found, with its line.
pub fn read_exposition_utf8(text: &str, openmetrics: bool) -> Result<Vec<Sample>, String> {
    read_exposition_as(text, openmetrics, true)
}

/// A quoted name must need its quotes: a legacy name is written bare.
fn check_quoted_name(name: &str) -> Result<(), String> {
    if name.is_empty() || is_metric_name(name) {
        return Err(format!("metric name {name:?} quoted without need"));
    }
    Ok(())
}

fn read_exposition_as(text: &str, openmetrics: bool, utf8: bool) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    let mut family: Option<String> = None;
    let mut lines = text.split_inclusive('\n').peekable();
    let mut saw_eof = false;
    while let Some(line) = lines.next() {
        let line = line
            .strip_suffix('\n')
            .ok_or_else(|| format!("unterminated last line {line:?}"))?;
        let fail = |why: String| format!("{why} in line {line:?}");
        if saw_eof {
            return Err(fail("content after # EOF".into()));
        }
        if let Some(comment) = line.strip_prefix("# ") {
            if comment == "EOF" && openmetrics {
                saw_eof = true;
                continue;
            }
            let (keyword, after_keyword) = comment.split_once(' ').unwrap_or((comment, ""));
            let (name, rest) = if utf8 && after_keyword.starts_with('"') {
                let (name, after) = read_quoted(after_keyword).map_err(fail)?;
                check_quoted_name(&name).map_err(fail)?;
                (name, after.strip_prefix(' '))
            } else {
                let (name, rest) = match after_keyword.split_once(' ') {
                    Some((name, rest)) => (name, Some(rest)),
                    None => (after_keyword, None),
                };
                if !is_metric_name(name) {
                    return Err(fail(format!("bad family name {name:?}")));
                }
                (name.to_owned(), rest)
            };
            let name = name.as_str();
            match (keyword, rest) {
                ("HELP", Some(help)) => check_help(help, openmetrics).map_err(fail)?,
                ("TYPE", Some(kind)) => {
                    let known: &[&str] = if openmetrics {
                        &[
                            "counter",
                            "gauge",
                            "histogram",
                            "gaugehistogram",
                            "stateset",
                            "info",
                            "summary",
                            "unknown",
                        ]
                    } else {
                        &["counter", "gauge", "histogram", "summary", "untyped"]
                    };
                    if !known.contains(&kind) {
                        return Err(fail(format!("unknown type {kind:?}")));
                    }
                    family = Some(name.to_owned());
                }
                ("UNIT", Some(unit)) if openmetrics => {
                    if !name.ends_with(&format!("_{unit}")) {
                        return Err(fail("the name does not end with its unit".into()));
                    }
                }
                _ => return Err(fail("unknown comment".into())),
            }
            continue;
        }
        let (name, labels, rest) = if utf8 && line.starts_with("{\"") {
            let (name, after) = read_quoted(&line[1..]).map_err(fail)?;
            check_quoted_name(&name).map_err(fail)?;
            let (labels, rest) = if let Some(pairs) = after.strip_prefix(',') {
                read_label_pairs(pairs, BTreeMap::new(), true).map_err(fail)?
            } else {
                let rest = after
                    .strip_prefix('}')
                    .ok_or_else(|| fail("expected , or } after the name".into()))?;
                (BTreeMap::new(), rest)
            };
            (name, labels, rest)
        } else {
            let name_end = line
                .find(['{', ' '])
                .ok_or_else(|| fail("no value".into()))?;
            let name = &line[..name_end];
            if !is_metric_name(name) {
                return Err(fail(format!("bad metric name {name:?}")));
            }
            let (labels, rest) = match line[name_end..].strip_prefix('{') {
                Some(pairs) => read_label_pairs(pairs, BTreeMap::new(), utf8).map_err(fail)?,
                None => (BTreeMap::new(), &line[name_end..]),
            };
            (name.to_owned(), labels, rest)
        };
        let family_name = family
            .as_deref()
            .ok_or_else(|| fail("sample before TYPE".into()))?;
        if !name.starts_with(family_name) {
            return Err(fail(format!("sample of another family than {family_name}")));
        }
        let rest = rest
            .strip_prefix(' ')
            .ok_or_else(|| fail("no space before the value".into()))?;
        let (value, exemplar) = match rest.split_once(" # ") {
            Some((value, exemplar)) if openmetrics => (value, Some(exemplar)),
            Some(_) => return Err(fail("exemplar in the text format".into())),
            None => (rest, None),
        };
        if !is_value(value) {
            return Err(fail(format!("bad value {value:?}")));
        }
        let exemplar = match exemplar {
            Some(text) => {
                let (pairs, rest) = read_labels(text).map_err(fail)?;
                let rest = rest
                    .strip_prefix(' ')
                    .ok_or_else(|| fail("exemplar value".into()))?;
                let (value, timestamp) = rest.split_once(' ').unwrap_or((rest, "0"));
                if !is_value(value) || !is_value(timestamp) {
                    return Err(fail("bad exemplar value or timestamp".into()));
                }
                let chars: usize = pairs
                    .iter()
                    .map(|(n, v)| n.chars().count() + v.chars().count())
                    .sum();
                if chars > 128 {
                    return Err(fail("exemplar labels over 128 characters".into()));
                }
                Some(pairs)
            }
            None => None,
        };
        samples.push(Sample {
            name,
            labels,
            value: value.to_owned(),
            exemplar,
        });
    }
    if openmetrics && !saw_eof {
        return Err("no # EOF".into());
    }
    Ok(samples)
}

/// The parts of Prometheus' `io.prometheus.client` protobuf schema the targets read.
pub mod proto {
    /// A label pair.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LabelPair {
        /// Name.
        #[prost(string, optional, tag = "1")]
        pub name: Option<String>,
        /// Value.
        #[prost(string, optional, tag = "2")]
        pub value: Option<String>,
    }

    /// A histogram bucket.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Bucket {
        /// Cumulative count.
        #[prost(uint64, optional, tag = "1")]
        pub cumulative_count: Option<u64>,
        /// Upper bound.
        #[prost(double, optional, tag = "2")]
        pub upper_bound: Option<f64>,
    }

    /// A span of native buckets.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BucketSpan {
        /// Gap to the previous span (or the first key).
        #[prost(sint32, optional, tag = "1")]
        pub offset: Option<i32>,
        /// Consecutive buckets.
        #[prost(uint32, optional, tag = "2")]
        pub length: Option<u32>,
    }

    /// A histogram, classic and native parts.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Histogram {
        /// Count.
        #[prost(uint64, optional, tag = "1")]
        pub sample_count: Option<u64>,
        /// Sum.
        #[prost(double, optional, tag = "2")]
        pub sample_sum: Option<f64>,
        /// Classic buckets.
        #[prost(message, repeated, tag = "3")]
        pub bucket: Vec<Bucket>,
        /// Native schema.
        #[prost(sint32, optional, tag = "5")]
        pub schema: Option<i32>,
        /// Zero threshold.
        #[prost(double, optional, tag = "6")]
        pub zero_threshold: Option<f64>,
        /// Zero count.
        #[prost(uint64, optional, tag = "7")]
        pub zero_count: Option<u64>,
        /// Negative spans.
        #[prost(message, repeated, tag = "9")]
        pub negative_span: Vec<BucketSpan>,
        /// Negative deltas.
        #[prost(sint64, repeated, tag = "10")]
        pub negative_delta: Vec<i64>,
        /// Positive spans.
        #[prost(message, repeated, tag = "12")]
        pub positive_span: Vec<BucketSpan>,
        /// Positive deltas.
        #[prost(sint64, repeated, tag = "13")]
        pub positive_delta: Vec<i64>,
    }

    /// A value holder (gauge, counter, untyped: field 1 is the value).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Value {
        /// The value.
        #[prost(double, optional, tag = "1")]
        pub value: Option<f64>,
    }

    /// A summary (count and sum).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Summary {
        /// Count.
        #[prost(uint64, optional, tag = "1")]
        pub sample_count: Option<u64>,
        /// Sum.
        #[prost(double, optional, tag = "2")]
        pub sample_sum: Option<f64>,
    }

    /// One series.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Metric {
        /// Labels.
        #[prost(message, repeated, tag = "1")]
        pub label: Vec<LabelPair>,
        /// Gauge.
        #[prost(message, optional, tag = "2")]
        pub gauge: Option<Value>,
        /// Counter.
        #[prost(message, optional, tag = "3")]
        pub counter: Option<Value>,
        /// Summary.
        #[prost(message, optional, tag = "4")]
        pub summary: Option<Summary>,
        /// Untyped.
        #[prost(message, optional, tag = "5")]
        pub untyped: Option<Value>,
        /// Histogram.
        #[prost(message, optional, tag = "7")]
        pub histogram: Option<Histogram>,
    }

    /// One family.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct MetricFamily {
        /// Name.
        #[prost(string, optional, tag = "1")]
        pub name: Option<String>,
        /// Help.
        #[prost(string, optional, tag = "2")]
        pub help: Option<String>,
        /// Type.
        #[prost(int32, optional, tag = "3")]
        pub r#type: Option<i32>,
        /// Series.
        #[prost(message, repeated, tag = "4")]
        pub metric: Vec<Metric>,
    }
}

/// Decodes a delimited protobuf exposition and checks what Prometheus checks: names and
/// label names valid, no family without series, native spans and deltas consistent with
/// the count, classic buckets cumulative and within the count.
///
/// # Errors
///
/// The first violation found.
pub fn read_protobuf(mut bytes: &[u8]) -> Result<Vec<proto::MetricFamily>, String> {
    use prost::Message;
    let mut families = Vec::new();
    while !bytes.is_empty() {
        let family = proto::MetricFamily::decode_length_delimited(&mut bytes)
            .map_err(|e| format!("undecodable family: {e}"))?;
        let name = family.name.clone().unwrap_or_default();
        if !is_metric_name(&name) {
            return Err(format!("bad family name {name:?}"));
        }
        if family.metric.is_empty() {
            return Err(format!("family {name} without series"));
        }
        for metric in &family.metric {
            let mut seen = std::collections::BTreeSet::new();
            for pair in &metric.label {
                let label = pair.name.clone().unwrap_or_default();
                if !is_label_name(&label) || !seen.insert(label.clone()) {
                    return Err(format!("bad or repeated label {label:?} in {name}"));
                }
            }
            if let Some(h) = &metric.histogram {
                check_histogram(h).map_err(|e| format!("{name}: {e}"))?;
            }
        }
        families.push(family);
    }
    Ok(families)
}

fn check_histogram(h: &proto::Histogram) -> Result<(), String> {
    let count = h.sample_count.unwrap_or(0);
    let mut previous = 0;
    for bucket in &h.bucket {
        let cumulative = bucket.cumulative_count.unwrap_or(0);
        if cumulative < previous || cumulative > count {
            return Err(format!(
                "classic bucket {cumulative} after {previous}, count {count}"
            ));
        }
        previous = cumulative;
    }
    let mut in_buckets = u128::from(h.zero_count.unwrap_or(0));
    for (spans, deltas) in [
        (&h.positive_span, &h.positive_delta),
        (&h.negative_span, &h.negative_delta),
    ] {
        let length: u64 = spans.iter().map(|s| u64::from(s.length.unwrap_or(0))).sum();
        if length != deltas.len() as u64 {
            return Err(format!(
                "spans cover {length} buckets, {} deltas",
                deltas.len()
            ));
        }
        let mut bucket = 0i128;
        for delta in deltas {
            bucket += i128::from(*delta);
            if bucket < 0 {
                return Err("a native bucket count below zero".into());
            }
            in_buckets += u128::try_from(bucket).unwrap_or(0);
        }
    }
    if h.schema.is_some() && in_buckets > u128::from(count) {
        return Err(format!("native buckets hold {in_buckets}, count {count}"));
    }
    Ok(())
}

/// RFC 9110 §12.5.3 acceptance of gzip, written from the RFC: the weight of an explicit
/// `gzip` (or `x-gzip`) element, else of `*`, else not acceptable; elements with an
/// invalid weight are ignored.
pub fn reference_accepts_gzip(header: &str) -> bool {
    fn weight(text: &str) -> Option<u32> {
        // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
        let bytes = text.as_bytes();
        let (first, rest) = bytes.split_first()?;
        let fraction = match rest {
            [] => &[][..],
            [b'.', digits @ ..] if digits.len() <= 3 && digits.iter().all(u8::is_ascii_digit) => {
                digits
            }
            _ => return None,
        };
        let mut thousandths = 0;
        for (i, d) in fraction.iter().enumerate() {
            thousandths += u32::from(d - b'0') * 10u32.pow(2 - i as u32);
        }
        match first {
            b'0' => Some(thousandths),
            b'1' if thousandths == 0 => Some(1000),
            _ => None,
        }
    }
    let mut explicit: Option<u32> = None;
    let mut wildcard: Option<u32> = None;
    for element in header.split(',') {
        let mut params = element.split(';');
        let coding = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = Some(1000);
        for param in params {
            if let Some((key, value)) = param.split_once('=') {
                if key.trim().eq_ignore_ascii_case("q") {
                    q = weight(value.trim());
                }
            }
        }
        let Some(q) = q else { continue };
        let slot = match coding.as_str() {
            "gzip" | "x-gzip" => &mut explicit,
            "*" => &mut wildcard,
            _ => continue,
        };
        *slot = Some(slot.map_or(q, |old| old.max(q)));
    }
    explicit.or(wildcard).is_some_and(|q| q > 0)
}

/// A name for fuzzing registries: mostly a valid metric or label name (so that inputs
/// get past validation and reach the encoders), sometimes arbitrary text (so that the
/// validation itself is fuzzed too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(pub String);

impl<'a> arbitrary::Arbitrary<'a> for Name {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCXYZ_:";
        const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_:";
        let mode: u8 = u.arbitrary()?;
        if mode % 8 == 0 {
            return Ok(Self(u.arbitrary()?));
        }
        let len = u.int_in_range(1..=12)?;
        let mut name = String::with_capacity(len);
        for i in 0..len {
            let alphabet = if i == 0 { FIRST } else { REST };
            name.push(char::from(*u.choose(alphabet)?));
        }
        // Label names cannot hold `:`; most of the time, keep them out.
        if mode % 8 < 6 {
            name = name.replace(':', "_");
        }
        Ok(Self(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_prometheus_3_quoted_names() {
        let text = "# HELP \"my.metric\" Help \\\"q\\\".\n# TYPE \"my.metric\" counter\n{\"my.metric_total\",\"http.route\"=\"/x\",ok=\"v\"} 1\n# TYPE plain gauge\nplain{\"a b\"=\"1\"} 2\n# EOF\n";
        let samples = read_exposition_utf8(text, true).unwrap();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].name, "my.metric_total");
        assert_eq!(samples[0].labels["http.route"], "/x");
        assert_eq!(samples[1].labels["a b"], "1");
        assert!(
            read_exposition(text, true).is_err(),
            "the legacy reader refuses it"
        );
        for bad in [
            "# TYPE \"legacy\" gauge\n{\"legacy\"} 1\n",
            "# TYPE \"a.b gauge\n",
            "# TYPE \"a.b\" gauge\n{\"a.b\" 1\n",
            "# TYPE \"a.b\" gauge\n{\"a.b\",\"ok\"=\"1\"} 1\n",
            "# TYPE \"a.b\" gauge\n{\"a.b\",x=\"1\n\"} 1\n",
        ] {
            assert!(read_exposition_utf8(bad, false).is_err(), "{bad:?}");
        }
    }
}
