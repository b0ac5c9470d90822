//! Finding the label names an exposition uses, to refuse pushes that would clash with
//! the grouping key before anything is sent.

use std::collections::BTreeSet;

/// Every label name used by a sample in `text` (the text format prom-kit writes).
pub(crate) fn label_names(text: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(open) = line.find('{') else { continue };
        let mut rest = &line[open + 1..];
        while let Some(eq) = rest.find("=\"") {
            names.insert(rest[..eq].trim_start_matches(','));
            // Skip the quoted value, honouring escapes.
            let bytes = rest.as_bytes();
            let mut i = eq + 2;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            rest = rest.get(i + 1..).unwrap_or("");
            if rest.starts_with('}') {
                break;
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_past_tricky_values() {
        let text = "# HELP a x{y=\"z\"}\na_total{k=\"v\\\",job=\\\"x\",instance=\"a{b=\\\"c\\\"}\"} 1\nb 2\nc{le=\"1\"} 3\n";
        assert_eq!(
            label_names(text).into_iter().collect::<Vec<_>>(),
            ["instance", "k", "le"]
        );
    }
}
