//! Finding the label names an exposition uses, to refuse pushes that would clash with
//! the grouping key before anything is sent.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::labels::render::rendered_names;

/// Every label name used by a sample in `text` (the text format prom-kit writes).
pub(crate) fn label_names(text: &str) -> BTreeSet<Cow<'_, str>> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.find('{').map(|open| &line[open + 1..]))
        .flat_map(rendered_names)
        .collect()
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
