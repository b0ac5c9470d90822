//! Reading a series' rendered label text (`a="x",b="y"`) back into `(name, raw value)`
//! pairs, for the protobuf format, which carries raw values.

use std::borrow::Cow;

#[cfg(test)]
use crate::labels::render::rendered_pairs;
use crate::labels::render::{closing_quote, unescape, unescape_owned};

/// The index of the first `"` or `\\` in `bytes` from `from` on (`bytes.len()` if none),
/// eight bytes at a time: label values are scanned on every protobuf scrape.
#[inline]
fn quote_or_backslash(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    /// The high bit of each byte of `word` equal to `byte` is set (and possibly of
    /// bytes above the first match, which the lowest set bit never is).
    fn matches(word: u64, byte: u8) -> u64 {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS
    }
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let found = matches(word, b'"') | matches(word, b'\\');
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\\' {
        at += 1;
    }
    at.min(bytes.len())
}

/// Calls `f` with each `(name, raw value)` pair of rendered label text (`a="x",b="y"`),
/// for encoders that need raw values (protobuf): values without escapes are passed as
/// they are, others unescaped into `buffer` (so nothing is allocated once it has grown).
///
/// One pass over the bytes per pair (the end of the value and whether it has escapes
/// found together), as this runs for every series of every protobuf scrape; text that
/// is not well-formed ends the pairs early rather than panicking.
pub(crate) fn for_each_raw_pair(text: &str, buffer: &mut String, mut f: impl FnMut(&str, &str)) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b',' {
            at += 1;
        }
        let (name, after_name) = if bytes.get(at) == Some(&b'"') {
            let Some(quoted) = text.get(at + 1..) else {
                return;
            };
            let end = closing_quote(quoted.as_bytes());
            let Some(name) = quoted.get(..end) else {
                return;
            };
            (unescape_owned(name), at + 1 + end + 1)
        } else {
            let start = at;
            while at < bytes.len() && bytes[at] != b'=' {
                at += 1;
            }
            let Some(name) = text.get(start..at) else {
                return;
            };
            (Cow::Borrowed(name), at)
        };
        if bytes.get(after_name..after_name + 2) != Some(b"=\"".as_slice()) {
            return;
        }
        let start = after_name + 2;
        let mut end = quote_or_backslash(bytes, start);
        let mut escaped = false;
        while bytes.get(end) == Some(&b'\\') {
            escaped = true;
            end = quote_or_backslash(bytes, end + 2);
        }
        let Some(raw) = text.get(start..end.min(bytes.len())) else {
            return;
        };
        f(&name, if escaped { unescape(raw, buffer) } else { raw });
        at = end + 1;
    }
}

/// Splits rendered label text (`a="x",b="y"`) back into `(name, raw value)` pairs, for
/// encoders that need raw values (protobuf).
#[cfg(test)]
pub(crate) fn parse_rendered(text: &str) -> Vec<(String, String)> {
    let mut buffer = String::new();
    rendered_pairs(text)
        .map(|(name, escaped)| (name.into_owned(), unescape(escaped, &mut buffer).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::render::{render_pairs, render_series};

    fn names(list: &[&str]) -> Vec<Box<str>> {
        list.iter().map(|n| Box::from(*n)).collect()
    }

    #[test]
    fn parses_back() {
        let n = names(&["a", "b", "c"]);
        let values = ["x\"y,z=\"", "1\\2\n3", ""];
        let text = render_series(&n, &values);
        let expected: Vec<(String, String)> = n
            .iter()
            .zip(values)
            .map(|(n, v)| (n.to_string(), v.to_owned()))
            .collect();
        assert_eq!(parse_rendered(&text), expected);
        assert!(parse_rendered("").is_empty());
    }

    /// Every pair `for_each_raw_pair` gives, as a list.
    fn raw_pairs(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut buffer = String::new();
        for_each_raw_pair(text, &mut buffer, |n, v| {
            out.push((n.to_owned(), v.to_owned()));
        });
        out
    }

    proptest::proptest! {
        /// The one-pass reader gives the pairs back exactly, quoted (UTF-8) names
        /// included, whatever the values hold.
        #[test]
        fn one_pass_reader_gives_the_values_back(
            values in proptest::collection::vec("(?s).{0,12}", 1..4),
            quoted in proptest::bool::ANY,
        ) {
            let names: Vec<&str> = if quoted { vec!["a.b", "ü", "c"] } else { vec!["a", "b_c", "d"] };
            let pairs: Vec<(&str, &str)> = names.iter().copied().zip(values.iter().map(String::as_str)).collect();
            let mut text = String::new();
            render_pairs(&mut text, pairs.iter().copied());
            let expected: Vec<(String, String)> = pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
            proptest::prop_assert_eq!(raw_pairs(&text), expected);
        }

        /// Text that is not well-formed never panics the reader.
        #[test]
        fn malformed_text_never_panics(text in "(?s).{0,40}") {
            let _ = raw_pairs(&text);
        }
    }
}
