//! Name escaping for scrapers that do not take UTF-8 names: the schemes of Prometheus'
//! `escaping=` content-negotiation parameter, with the rules of Go's `model.EscapeName`
//! (`prometheus/common`), which Prometheus and the Go and Python clients share.

use std::borrow::Cow;
use std::fmt::Write as _;

/// How metric and label names that are not valid in the legacy character set reach a
/// scraper: the `escaping=` parameter of its `Accept` header.
///
/// Names that are legacy-valid (`[a-zA-Z_:][a-zA-Z0-9_:]*` for metrics,
/// `[a-zA-Z_][a-zA-Z0-9_]*` for labels) are written as they are under every scheme;
/// label values are never escaped.
///
/// ```
/// use prom_kit::encoding::EscapingScheme;
///
/// let name = "http.server.request.duration";
/// assert_eq!(EscapingScheme::AllowUtf8.escape_metric_name(name), name);
/// assert_eq!(EscapingScheme::Underscores.escape_metric_name(name), "http_server_request_duration");
/// assert_eq!(EscapingScheme::Dots.escape_metric_name(name), "http_dot_server_dot_request_dot_duration");
/// assert_eq!(EscapingScheme::Values.escape_metric_name(name), "U__http_2e_server_2e_request_2e_duration");
/// assert_eq!(EscapingScheme::Values.escape_metric_name("already_legacy"), "already_legacy");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EscapingScheme {
    /// Names are sent as they are; a name outside the legacy set is quoted
    /// (`{"http.server.duration"} 1`). Prometheus 3 asks for this by default.
    AllowUtf8,
    /// Every character outside the legacy set becomes `_` (the default when a scraper
    /// names no scheme).
    #[default]
    Underscores,
    /// `.` becomes `_dot_`, `_` becomes `__`, any other character outside the legacy
    /// set `__`.
    Dots,
    /// The name is prefixed `U__`; `_` becomes `__` and any other character outside the
    /// legacy set `_<hex code point>_` — the one reversible scheme.
    Values,
}

impl EscapingScheme {
    /// The scheme named by an `escaping=` parameter value, if it is one of the four.
    pub fn from_param(value: &str) -> Option<Self> {
        match value {
            "allow-utf-8" => Some(Self::AllowUtf8),
            "underscores" => Some(Self::Underscores),
            "dots" => Some(Self::Dots),
            "values" => Some(Self::Values),
            _ => None,
        }
    }

    /// The `escaping=` parameter value naming this scheme.
    pub fn as_param(self) -> &'static str {
        match self {
            Self::AllowUtf8 => "allow-utf-8",
            Self::Underscores => "underscores",
            Self::Dots => "dots",
            Self::Values => "values",
        }
    }

    /// `name` (a metric family name) as this scheme sends it: unchanged if it is valid
    /// in the legacy set or the scheme allows UTF-8, escaped otherwise.
    pub fn escape_metric_name(self, name: &str) -> Cow<'_, str> {
        if self == Self::AllowUtf8 || is_legacy_metric_name(name) {
            return Cow::Borrowed(name);
        }
        Cow::Owned(escape(name, self))
    }

    /// `name` (a label name) as this scheme sends it: unchanged if it is valid in the
    /// legacy label set or the scheme allows UTF-8, escaped otherwise (`:` is escaped
    /// too: Prometheus' text parser takes it in metric names only).
    pub fn escape_label_name(self, name: &str) -> Cow<'_, str> {
        if self == Self::AllowUtf8 || is_legacy_label_name(name) {
            return Cow::Borrowed(name);
        }
        Cow::Owned(escape_with(name, self, is_legacy_label_char))
    }
}

/// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn is_legacy_metric_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .char_indices()
            .all(|(i, c)| is_legacy_metric_char(c, i))
}

/// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`.
pub(crate) fn is_legacy_label_name(name: &str) -> bool {
    !name.is_empty() && name.char_indices().all(|(i, c)| is_legacy_label_char(c, i))
}

/// Whether `c` at byte position `i` may stand in a legacy metric name.
fn is_legacy_metric_char(c: char, i: usize) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
}

/// Whether `c` at byte position `i` may stand in a legacy label name.
fn is_legacy_label_char(c: char, i: usize) -> bool {
    c != ':' && is_legacy_metric_char(c, i)
}

/// Escapes a metric name that is not legacy-valid.
fn escape(name: &str, scheme: EscapingScheme) -> String {
    escape_with(name, scheme, is_legacy_metric_char)
}

/// Escapes `name` by `scheme`, keeping the characters `keep` accepts (Go's
/// `EscapeName`, one replacement per code point; an empty name stays empty).
fn escape_with(name: &str, scheme: EscapingScheme, keep: fn(char, usize) -> bool) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    match scheme {
        EscapingScheme::AllowUtf8 => out.push_str(name),
        EscapingScheme::Underscores => {
            for (i, c) in name.char_indices() {
                out.push(if keep(c, i) { c } else { '_' });
            }
        }
        EscapingScheme::Dots => {
            for (i, c) in name.char_indices() {
                match c {
                    '_' => out.push_str("__"),
                    '.' => out.push_str("_dot_"),
                    c if keep(c, i) => out.push(c),
                    _ => out.push_str("__"),
                }
            }
        }
        EscapingScheme::Values => {
            if name.is_empty() {
                return out;
            }
            out.push_str("U__");
            for (i, c) in name.char_indices() {
                match c {
                    '_' => out.push_str("__"),
                    c if keep(c, i) => out.push(c),
                    c => {
                        // Infallible: writing to a String.
                        let _ = write!(out, "_{:x}_", u32::from(c));
                    }
                }
            }
        }
    }
    out
}

/// Whether a metric name must be quoted in the text formats under
/// [`EscapingScheme::AllowUtf8`].
pub(crate) fn metric_name_needs_quotes(name: &str) -> bool {
    !is_legacy_metric_name(name)
}

/// Whether a label name must be quoted in the text formats under
/// [`EscapingScheme::AllowUtf8`].
pub(crate) fn label_name_needs_quotes(name: &str) -> bool {
    !is_legacy_label_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `TestEscapeName` vectors (`prometheus/common` `model/metric_test.go`).
    #[test]
    fn escapes_as_go_does() {
        let cases = [
            (
                "no:escaping_required",
                "no:escaping_required",
                "no:escaping_required",
                "no:escaping_required",
            ),
            (
                "mysystem.prod.west.cpu.load_total",
                "mysystem_prod_west_cpu_load_total",
                "mysystem_dot_prod_dot_west_dot_cpu_dot_load__total",
                "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load__total",
            ),
            (
                "http.status:sum",
                "http_status:sum",
                "http_dot_status:sum",
                "U__http_2e_status:sum",
            ),
            (
                "label with 😱",
                "label_with__",
                "label__with____",
                "U__label_20_with_20__1f631_",
            ),
            ("花火", "__", "____", "U___82b1__706b_"),
            (
                "label with \u{0100}",
                "label_with__",
                "label__with____",
                "U__label_20_with_20__100_",
            ),
            ("9x", "_x", "__x", "U___39_x"),
        ];
        for (name, underscores, dots, values) in cases {
            // Go's EscapeMetricFamily leaves legacy-valid names alone under every
            // scheme, dots included.
            let dots = if is_legacy_metric_name(name) {
                name
            } else {
                dots
            };
            assert_eq!(
                EscapingScheme::Underscores.escape_metric_name(name),
                underscores
            );
            assert_eq!(EscapingScheme::Dots.escape_metric_name(name), dots);
            assert_eq!(EscapingScheme::Values.escape_metric_name(name), values);
            assert_eq!(EscapingScheme::AllowUtf8.escape_metric_name(name), name);
        }
        assert_eq!(EscapingScheme::Values.escape_metric_name(""), "");
        assert_eq!(
            EscapingScheme::Values.escape_metric_name("U__foo"),
            "U__foo"
        );
    }

    #[test]
    fn label_names_escape_colons_too() {
        assert_eq!(EscapingScheme::Underscores.escape_label_name("a:b"), "a_b");
        assert_eq!(EscapingScheme::Values.escape_label_name("a:b"), "U__a_3a_b");
        assert_eq!(
            EscapingScheme::Dots.escape_label_name("http.route"),
            "http_dot_route"
        );
        assert_eq!(
            EscapingScheme::Underscores.escape_label_name("route"),
            "route"
        );
        assert!(label_name_needs_quotes("a:b"));
        assert!(!metric_name_needs_quotes("a:b"));
        assert!(metric_name_needs_quotes("a.b"));
    }

    #[test]
    fn parameters_round_trip() {
        for scheme in [
            EscapingScheme::AllowUtf8,
            EscapingScheme::Underscores,
            EscapingScheme::Dots,
            EscapingScheme::Values,
        ] {
            assert_eq!(EscapingScheme::from_param(scheme.as_param()), Some(scheme));
        }
        assert_eq!(EscapingScheme::from_param("Allow-UTF-8"), None);
    }
}
