//! Finding the label names an exposition uses, to refuse pushes that would clash with
//! the grouping key before anything is sent.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::labels::render::rendered_names;

/// Every label name used by a sample in `text` (the text format prom-kit writes, names
/// quoted or not).
pub(crate) fn label_names(text: &str) -> BTreeSet<Cow<'_, str>> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            line.find('{')
                .map(|open| skip_quoted_metric_name(&line[open + 1..]))
        })
        .flat_map(rendered_names)
        .collect()
}

/// The label pairs of a sample's braces: past a quoted metric name (`"a.b",` or
/// `"a.b"}`), if the braces start with one.
fn skip_quoted_metric_name(braces: &str) -> &str {
    let Some(quoted) = braces.strip_prefix('"') else {
        return braces;
    };
    let bytes = quoted.as_bytes();
    let mut end = 0;
    while end < bytes.len() && bytes[end] != b'"' {
        end += if bytes[end] == b'\\' { 2 } else { 1 };
    }
    match quoted.get(end + 1..) {
        // A quoted name followed by `=` is the first label's, not the metric's.
        Some(rest) if rest.starts_with('=') => braces,
        Some(rest) => rest.strip_prefix(',').unwrap_or(""),
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_past_quoted_metric_names() {
        let text = "# TYPE \"a.b\" gauge\n{\"a.b\",\"zone.x\"=\"eu\",k=\"v\"} 1\n{\"a.b\"} 2\n{\"q\\\"\"=\"1\"} 3\n";
        assert_eq!(
            label_names(text).into_iter().collect::<Vec<_>>(),
            ["k", "q\"", "zone.x"]
        );
    }

    #[test]
    fn finds_names_past_tricky_values() {
        let text = "# HELP a x{y=\"z\"}\na_total{k=\"v\\\",job=\\\"x\",instance=\"a{b=\\\"c\\\"}\"} 1\nb 2\nc{le=\"1\"} 3\n";
        assert_eq!(
            label_names(text).into_iter().collect::<Vec<_>>(),
            ["instance", "k", "le"]
        );
    }
}
