//! Rendering label pairs once, as exposition text, and matching lookups against it.
//!
//! A series stores its labels as the text the encoders copy verbatim:
//! `name1="value1",name2="value2"`, values escaped (`\\`, `\"`, `\n`). A name outside
//! the legacy set (`[a-zA-Z_][a-zA-Z0-9_]*`, possible in a UTF-8 registry) is quoted and
//! escaped the same way: `"http.route"="/x"`, as Prometheus 3 reads it; encoders that
//! escape names for older scrapers rewrite such names. Lookups compare the caller's raw
//! values against that text without unescaping or allocating.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hasher};

use super::values::LabelValues;
use crate::name::{EscapingScheme, label_name_needs_quotes};

/// Where escaped text is appended: a `String` or a byte buffer.
pub(crate) trait TextSink {
    fn push_text(&mut self, text: &str);
}

impl TextSink for String {
    fn push_text(&mut self, text: &str) {
        self.push_str(text);
    }
}

impl TextSink for Vec<u8> {
    fn push_text(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }
}

/// Appends `value` with the label-value escapes of both text formats.
pub(crate) fn escape_label_value(out: &mut impl TextSink, value: &str) {
    escape_with(out, value, |b| match b {
        b'\\' => Some("\\\\"),
        b'"' => Some("\\\""),
        b'\n' => Some("\\n"),
        _ => None,
    });
}

/// Appends `value`, replacing every byte for which `escape` returns a replacement.
/// The bytes escaped are ASCII, so the split points are always character boundaries.
pub(crate) fn escape_with(
    out: &mut impl TextSink,
    value: &str,
    escape: impl Fn(u8) -> Option<&'static str>,
) {
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(replacement) = escape(b) {
            out.push_text(&value[start..i]);
            out.push_text(replacement);
            start = i + 1;
        }
    }
    out.push_text(&value[start..]);
}

/// Appends a label name: as it is if it is a legacy name, else quoted.
pub(crate) fn render_label_name(out: &mut impl TextSink, name: &str) {
    if label_name_needs_quotes(name) {
        out.push_text("\"");
        escape_label_value(out, name);
        out.push_text("\"");
    } else {
        out.push_text(name);
    }
}

/// Appends `name="value"` pairs separated by commas.
pub(crate) fn render_pairs<'a>(
    out: &mut String,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push(',');
        }
        render_label_name(out, name);
        out.push_str("=\"");
        escape_label_value(out, value);
        out.push('"');
    }
}

/// Renders the label text of one series of a family with label names `names`.
pub(crate) fn render_series<V: LabelValues + ?Sized>(names: &[Box<str>], values: &V) -> Box<str> {
    let mut out = String::with_capacity(names.iter().map(|n| n.len() + 8).sum());
    render_pairs(
        &mut out,
        names
            .iter()
            .enumerate()
            .map(|(i, name)| (&**name, values.label_value(i))),
    );
    out.into_boxed_str()
}

/// Whether `text` (as made by [`render_series`] with `names`) holds exactly `values`.
#[inline]
pub(crate) fn series_matches<V: LabelValues + ?Sized>(
    text: &str,
    names: &[Box<str>],
    values: &V,
) -> bool {
    let text = text.as_bytes();
    let mut pos = 0;
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            pos += 1; // the comma
        }
        // The text was rendered from these names: skip one, quoted or not.
        pos += if text.get(pos) == Some(&b'"') {
            let quoted = text.get(pos + 1..).unwrap_or_default();
            closing_quote(quoted) + 2
        } else {
            name.len()
        };
        pos += 2; // `="`
        let Some(next) = match_escaped(text, pos, values.label_value(i).as_bytes()) else {
            return false;
        };
        pos = next + 1; // the closing quote
    }
    pos == text.len()
}

/// Matches the escaped form of `value` at `text[pos..]` followed by a closing quote;
/// returns the quote's position.
#[inline]
fn match_escaped(text: &[u8], pos: usize, value: &[u8]) -> Option<usize> {
    // Fast path: the value needs no escaping, so it must appear verbatim.
    let end = pos + value.len();
    if text.get(pos..end) == Some(value) && text.get(end) == Some(&b'"') {
        return Some(end);
    }
    let mut t = pos;
    for &b in value {
        let expected: &[u8] = match b {
            b'\\' => b"\\\\",
            b'"' => b"\\\"",
            b'\n' => b"\\n",
            _ => std::slice::from_ref(&b),
        };
        if text.get(t..t + expected.len()) != Some(expected) {
            return None;
        }
        t += expected.len();
    }
    (text.get(t) == Some(&b'"')).then_some(t)
}

/// Hashes label values; a separator byte that never occurs in UTF-8 keeps
/// `("ab", "c")` and `("a", "bc")` apart.
#[inline]
pub(crate) fn hash_values<V: LabelValues + ?Sized>(state: &impl BuildHasher, values: &V) -> u64 {
    let mut hasher = state.build_hasher();
    for i in 0..values.label_count() {
        hasher.write(values.label_value(i).as_bytes());
        hasher.write_u8(0xff);
    }
    hasher.finish()
}

/// [`hash_values`] of the raw values that `text` (as made by [`render_series`]) holds,
/// for tables that keep the text but not the hash.
pub(crate) fn hash_rendered(state: &impl BuildHasher, text: &str) -> u64 {
    let mut hasher = state.build_hasher();
    let mut unescaped = String::new();
    for (_, escaped) in rendered_pairs(text) {
        hasher.write(unescape(escaped, &mut unescaped).as_bytes());
        hasher.write_u8(0xff);
    }
    hasher.finish()
}

/// The position of the first unescaped `"` in `bytes` (its length if there is none).
pub(crate) fn closing_quote(bytes: &[u8]) -> usize {
    let mut end = 0;
    while end < bytes.len() && bytes[end] != b'"' {
        end += if bytes[end] == b'\\' { 2 } else { 1 };
    }
    end.min(bytes.len())
}

/// The `(name, escaped value)` pairs of well-formed rendered label text
/// (`a="x","b.c"="y"`), names unquoted and unescaped.
pub(crate) fn rendered_pairs(text: &str) -> impl Iterator<Item = (Cow<'_, str>, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        rest = rest.strip_prefix(',').unwrap_or(rest);
        let (name, after_name) = if let Some(quoted) = rest.strip_prefix('"') {
            let end = closing_quote(quoted.as_bytes());
            (
                unescape_owned(&quoted[..end]),
                quoted.get(end + 1..).unwrap_or(""),
            )
        } else {
            // Unquoted names hold no `=`.
            let eq = rest.find('=')?;
            (Cow::Borrowed(&rest[..eq]), &rest[eq..])
        };
        let after = after_name.strip_prefix("=\"")?;
        let end = closing_quote(after.as_bytes());
        rest = after.get(end + 1..).unwrap_or("");
        Some((name, &after[..end]))
    })
}

/// The identity of a series with label text `labels` (as [`render_series`] makes it) and
/// an info sample's own `pairs` (checked by [`check_rendered`]): the pairs in name
/// order, so that one set of pairs written in two orders is one series.
pub(crate) fn info_identity(labels: &str, pairs: &str) -> String {
    let mut sorted: Vec<(Cow<'_, str>, &str)> = rendered_pairs(pairs).collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut identity = String::with_capacity(labels.len() + pairs.len() + 1);
    identity.push_str(labels);
    // No label text holds a raw newline: the two parts cannot run into each other.
    identity.push('\n');
    for (i, (name, escaped)) in sorted.iter().enumerate() {
        if i > 0 {
            identity.push(',');
        }
        render_label_name(&mut identity, name);
        identity.push_str("=\"");
        identity.push_str(escaped);
        identity.push('"');
    }
    identity
}

/// Checks rendered label text that did not come from [`render_pairs`] (an info metric's
/// pairs from a collector) as strictly as the real parsers read it: `name="value"` pairs
/// separated by single commas, names non-empty and unreserved (quoted if outside the
/// legacy set), none repeated, names and values whose only escapes are `\\`, `\"` and
/// `\n` and that hold no raw newline. Returns the names, unquoted; whether they are
/// legacy names is for the caller to check under its registry's validation.
pub(crate) fn check_rendered(text: &str) -> crate::Result<Vec<Cow<'_, str>>> {
    use crate::error::{Error, ErrorKind};
    let malformed = || {
        Error::new(
            ErrorKind::InvalidValue,
            format!("malformed label pairs {text:?}"),
        )
    };
    // The length of a quoted string's body (escapes checked), up to its closing quote.
    let quoted_body = |body: &str| -> crate::Result<usize> {
        let bytes = body.as_bytes();
        let mut end = 0;
        loop {
            match bytes.get(end) {
                None | Some(b'\n') => return Err(malformed()),
                Some(b'"') => return Ok(end),
                Some(b'\\') => match bytes.get(end + 1) {
                    Some(b'\\' | b'"' | b'n') => end += 2,
                    _ => return Err(malformed()),
                },
                Some(_) => end += 1,
            }
        }
    };
    let mut names: Vec<Cow<'_, str>> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if !names.is_empty() {
            rest = rest.strip_prefix(',').ok_or_else(malformed)?;
        }
        let name = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted_body(quoted)?;
            let name = unescape_owned(&quoted[..end]);
            // A quoted name must need its quotes: legacy names are written bare.
            if !label_name_needs_quotes(&name) {
                return Err(malformed());
            }
            rest = &quoted[end + 1..];
            name
        } else {
            let eq = rest.find('=').ok_or_else(malformed)?;
            let name = &rest[..eq];
            if label_name_needs_quotes(name) {
                return Err(Error::about(ErrorKind::InvalidLabelName, name));
            }
            rest = &rest[eq..];
            Cow::Borrowed(name)
        };
        crate::name::NameValidation::Utf8.check_label_name(&name)?;
        if names.contains(&name) {
            return Err(Error::about(ErrorKind::DuplicateLabelName, &name));
        }
        names.push(name);
        let value = rest.strip_prefix("=\"").ok_or_else(malformed)?;
        let end = quoted_body(value)?;
        rest = &value[end + 1..];
    }
    Ok(names)
}

/// Appends well-formed rendered label text with every quoted name (one outside the
/// legacy set) unquoted and escaped by `scheme`; values are copied as they are.
pub(crate) fn rewrite_label_names(out: &mut String, text: &str, scheme: EscapingScheme) {
    // A quoted name starts the text or follows a comma; without one, nothing changes.
    if !text.starts_with('"') && !text.contains(",\"") {
        out.push_str(text);
        return;
    }
    let start = out.len();
    for (name, value) in rendered_pairs(text) {
        if out.len() > start {
            out.push(',');
        }
        out.push_str(&scheme.escape_label_name(&name));
        out.push_str("=\"");
        out.push_str(value);
        out.push('"');
    }
}

/// The names of rendered label text that is known to be well-formed, unquoted.
pub(crate) fn rendered_names(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    rendered_pairs(text).map(|(name, _)| name)
}

/// Undoes the escapes of a quoted name or value without a caller's buffer.
pub(crate) fn unescape_owned(escaped: &str) -> Cow<'_, str> {
    if escaped.contains('\\') {
        let mut buffer = String::new();
        unescape(escaped, &mut buffer);
        Cow::Owned(buffer)
    } else {
        Cow::Borrowed(escaped)
    }
}

/// Undoes [`escape_label_value`] on one rendered value: the value itself when it has no
/// escapes, else its unescaped text in `buffer`.
pub(crate) fn unescape<'a>(escaped: &'a str, buffer: &'a mut String) -> &'a str {
    if !escaped.contains('\\') {
        return escaped;
    }
    buffer.clear();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => buffer.push('\n'),
                Some(other) => buffer.push(other),
                None => buffer.push('\\'),
            }
        } else {
            buffer.push(c);
        }
    }
    buffer
}

/// The raw (unescaped) values of well-formed rendered label text, in order.
pub(crate) fn rendered_values(text: &str) -> Vec<String> {
    let mut buffer = String::new();
    rendered_pairs(text)
        .map(|(_, escaped)| unescape(escaped, &mut buffer).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn names(list: &[&str]) -> Vec<Box<str>> {
        list.iter().map(|s| Box::from(*s)).collect()
    }

    #[test]
    fn renders_and_escapes() {
        let text = render_series(&names(&["a", "b"]), &["x\"y", "1\\2\n3"]);
        assert_eq!(&*text, r#"a="x\"y",b="1\\2\n3""#);
    }

    #[test]
    fn matches_exactly_and_is_collision_safe() {
        let n = names(&["a", "b"]);
        let text = render_series(&n, &["ab", "c"]);
        assert!(series_matches(&text, &n, &["ab", "c"]));
        assert!(!series_matches(&text, &n, &["a", "bc"]));
        assert!(!series_matches(&text, &n, &["ab", "cd"]));
        assert!(!series_matches(&text, &n, &["ab", ""]));
        let tricky = render_series(&n, &["q\"", "\\"]);
        assert!(series_matches(&tricky, &n, &["q\"", "\\"]));
        assert!(!series_matches(&tricky, &n, &["q", "\\"]));
        let empty = render_series(&names(&[]), &[] as &[&str]);
        assert!(series_matches(&empty, &names(&[]), &[] as &[&str]));
    }

    #[test]
    fn rendered_text_hashes_like_its_values() {
        let state = foldhash::fast::FixedState::with_seed(3);
        let n = names(&["a", "b", "c"]);
        for values in [
            ["x", "y", "z"],
            ["", "", ""],
            ["x\"y,z=\"", "1\\2\n3", "=\""],
            ["\\", "\"", "\n"],
            ["ab", "c", "é\\\""],
        ] {
            let text = render_series(&n, &values);
            assert_eq!(
                hash_rendered(&state, &text),
                hash_values(&state, &values),
                "{text}"
            );
        }
        assert_eq!(
            hash_rendered(&state, ""),
            hash_values(&state, &[] as &[&str])
        );
    }

    #[test]
    fn hashes_differ_on_split_point() {
        let state = foldhash::fast::FixedState::with_seed(7);
        assert_ne!(
            hash_values(&state, &["ab", "c"]),
            hash_values(&state, &["a", "bc"])
        );
    }

    #[test]
    fn checks_foreign_rendered_text_strictly() {
        assert_eq!(check_rendered("").unwrap(), Vec::<&str>::new());
        assert_eq!(check_rendered(r#"a="x",b="y\"\\\nz""#).unwrap(), ["a", "b"]);
        let mut ours = String::new();
        render_pairs(&mut ours, [("v", "q\"\\\n\r\t\0,=}")]);
        assert_eq!(check_rendered(&ours).unwrap(), ["v"]);
        for (bad, kind) in [
            (r#"a="x"}"#, ErrorKind::InvalidValue),
            (r#"a="x",,b="y""#, ErrorKind::InvalidLabelName),
            (r#"a="x","#, ErrorKind::InvalidValue),
            (r#"a="x" ,b="y""#, ErrorKind::InvalidValue),
            (r#"a="x"#, ErrorKind::InvalidValue),
            ("a=x", ErrorKind::InvalidValue),
            ("a=\"x\ny\"", ErrorKind::InvalidValue),
            (r#"a="x\t""#, ErrorKind::InvalidValue),
            (r#"a="x\""#, ErrorKind::InvalidValue),
            (r#"a:b="x""#, ErrorKind::InvalidLabelName),
            (r#"__a="x""#, ErrorKind::ReservedLabelName),
            (r#"a="x",a="y""#, ErrorKind::DuplicateLabelName),
            (r#"a="x"} 1\nevil{b="y""#, ErrorKind::InvalidValue),
            ("a", ErrorKind::InvalidValue),
            ("=\"x\"", ErrorKind::InvalidLabelName),
        ] {
            assert_eq!(check_rendered(bad).unwrap_err().kind(), kind, "{bad}");
        }
    }
}
