//! Validation of metric names, label names and units, and their escaping for scrapers
//! that take legacy names only ([`escaping`]).

mod escaping;

pub use escaping::EscapingScheme;
pub(crate) use escaping::{
    is_legacy_label_name, is_legacy_metric_name, label_name_needs_quotes, metric_name_needs_quotes,
};

use crate::error::{Error, ErrorKind, Result};

/// Which metric and label names a registry accepts.
///
/// Prometheus 3 stores any UTF-8 name (`http.server.request.duration`); older servers,
/// and every scraper that does not negotiate UTF-8, receive such names escaped (see
/// [`EscapingScheme`]). Both modes reject empty names and label names starting with
/// `__` (reserved for Prometheus' own use), and a type's own labels (`le`, `quantile`);
/// the UTF-8 mode also rejects a label name that an escaping scheme would write with
/// `__` in front (`1x`, `été` and `🔥` with `dots`, `._x` with `underscores`), and two
/// names of one series, or two families' names, that a scheme would write alike.
///
/// ```
/// use prom_kit::{Counter, ErrorKind, NameValidation, Registry};
///
/// let legacy = Registry::new();
/// let error = legacy.register("http.server.requests", "", Counter::new()).unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::InvalidMetricName);
///
/// let utf8 = Registry::with_name_validation(NameValidation::Utf8);
/// utf8.register("http.server.requests", "Requests.", Counter::new())?;
/// let error = utf8.with_labels([("1x", "a")]).unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::ReservedLabelName);
/// assert_eq!(
///     error.to_string(),
///     r#"reserved label name: "1x" is written "__x" with dots, and label names starting with `__` are reserved"#
/// );
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameValidation {
    /// Metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`:
    /// what every Prometheus version stores as is (the default).
    #[default]
    Legacy,
    /// Any non-empty UTF-8 metric and label name, as Prometheus 3 allows.
    Utf8,
}

impl NameValidation {
    /// Checks a metric name; the error states the rule it breaks.
    pub(crate) fn check_metric_name(self, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidMetricName,
                "\"\": a metric name cannot be empty",
            ));
        }
        if self == Self::Legacy && !is_legacy_metric_name(name) {
            return Err(Error::new(
                ErrorKind::InvalidMetricName,
                format!("{name:?} does not match {LEGACY_METRIC_NAME} ({UTF8_ACCEPTS_IT})"),
            ));
        }
        Ok(())
    }

    /// Checks a label name, and rejects the reserved `__` prefix — in a UTF-8 registry
    /// also a name that an escaping scheme writes with that prefix (`._x` is `__x` with
    /// underscores, `1x` is `__x` with dots; `._name._` would even overwrite the metric
    /// name): Python's parser refuses an exposition holding one, Prometheus 2 stores it as
    /// an ordinary label. The error states the rule the name breaks, and names the
    /// scheme and what it writes.
    pub(crate) fn check_label_name(self, name: &str) -> Result<()> {
        self.check_label_name_in(name, Context::Registry)
    }

    /// [`check_label_name`](Self::check_label_name), its error worded for `context`.
    fn check_label_name_in(self, name: &str, context: Context) -> Result<()> {
        if name.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidLabelName,
                "\"\": a label name cannot be empty",
            ));
        }
        if self == Self::Legacy && !is_legacy_label_name(name) {
            let hint = match context {
                Context::Registry if Self::Utf8.check_label_name(name).is_ok() => {
                    format!(" ({UTF8_ACCEPTS_IT})")
                }
                Context::Registry => " (legacy name validation)".to_owned(),
                Context::LegacyOnly => String::new(),
            };
            return Err(Error::new(
                ErrorKind::InvalidLabelName,
                format!("{name:?} does not match {LEGACY_LABEL_NAME}{hint}"),
            ));
        }
        if name.starts_with(RESERVED_PREFIX) {
            return Err(Error::new(
                ErrorKind::ReservedLabelName,
                format!(
                    "{name:?}: label names starting with `__` are reserved for Prometheus' own use"
                ),
            ));
        }
        if self == Self::Utf8 && !is_legacy_label_name(name) {
            for scheme in ESCAPING_SCHEMES {
                let escaped = scheme.escape_label_name(name);
                if escaped.starts_with(RESERVED_PREFIX) {
                    return Err(Error::new(
                        ErrorKind::ReservedLabelName,
                        format!(
                            "{name:?} is written {escaped:?} with {}, and label names \
                             starting with `__` are reserved",
                            scheme.as_param()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks a list of label names: each valid, none repeated — in a UTF-8 registry
    /// also none written alike by an escaping scheme (`a.b` and `a_b` with underscores).
    pub(crate) fn check_label_names<S: AsRef<str>>(self, names: &[S]) -> Result<()> {
        self.check_label_names_in(names, Context::Registry)
    }

    /// [`check_label_names`](Self::check_label_names), its errors worded for `context`.
    fn check_label_names_in<S: AsRef<str>>(self, names: &[S], context: Context) -> Result<()> {
        for (i, name) in names.iter().enumerate() {
            let name = name.as_ref();
            self.check_label_name_in(name, context)?;
            if names[..i].iter().any(|other| other.as_ref() == name) {
                return Err(Error::new(
                    ErrorKind::DuplicateLabelName,
                    format!("{name:?} is given twice"),
                ));
            }
        }
        if self == Self::Utf8 {
            check_distinct_when_escaped(names.iter().map(AsRef::as_ref))?;
        }
        Ok(())
    }
}

/// Where a name is checked, for the wording of the error.
#[derive(Clone, Copy)]
enum Context {
    /// A name a registry (or a push) takes, whose [`NameValidation`] could accept more.
    Registry,
    /// A name that must be legacy wherever it goes (an exemplar's label).
    LegacyOnly,
}

/// The legacy rule for metric names, as the errors state it.
const LEGACY_METRIC_NAME: &str = "[a-zA-Z_:][a-zA-Z0-9_:]*";

/// The legacy rule for label names, as the errors state it.
const LEGACY_LABEL_NAME: &str = "[a-zA-Z_][a-zA-Z0-9_]*";

/// What an error about a legacy name that is valid UTF-8 adds.
const UTF8_ACCEPTS_IT: &str =
    "legacy name validation; a registry made with NameValidation::Utf8 accepts it";

/// How the label names reserved for Prometheus' own use start (`__name__`, and the
/// `__type__` and `__unit__` of Prometheus 3's type-and-unit labels among them).
const RESERVED_PREFIX: &str = "__";

/// The schemes that rewrite names.
pub(crate) const ESCAPING_SCHEMES: [EscapingScheme; 3] = [
    EscapingScheme::Underscores,
    EscapingScheme::Dots,
    EscapingScheme::Values,
];

/// Fails if two of `names` (label names of one series: a family's own, the constant
/// ones, an info metric's) would be written alike by an escaping scheme: the escaped
/// series would repeat a label, and an older scraper would reject the whole scrape.
pub(crate) fn check_distinct_when_escaped<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let names: Vec<&str> = names.into_iter().collect();
    for scheme in ESCAPING_SCHEMES {
        let escaped: Vec<_> = names.iter().map(|n| scheme.escape_label_name(n)).collect();
        for (i, name) in escaped.iter().enumerate() {
            if let Some(j) = escaped[..i].iter().position(|other| other == name) {
                if names[j] != names[i] {
                    return Err(Error::new(
                        ErrorKind::DuplicateLabelName,
                        format!(
                            "{:?} and {:?} are both written {name:?} with {}",
                            names[j],
                            names[i],
                            scheme.as_param()
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn check_metric_name(name: &str) -> Result<()> {
    NameValidation::Legacy.check_metric_name(name)
}

/// Checks a list of label names that must be legacy wherever they go (an exemplar's):
/// each valid, none repeated.
pub(crate) fn check_label_names<S: AsRef<str>>(names: &[S]) -> Result<()> {
    NameValidation::Legacy.check_label_names_in(names, Context::LegacyOnly)
}

/// Checks a unit: a non-empty run of `[a-zA-Z0-9_:]` that can be appended as `_<unit>`.
pub(crate) fn check_unit(unit: &str) -> Result<()> {
    if !unit.is_empty()
        && unit
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
    {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidUnit,
            format!(
                "{unit:?}: a unit is a non-empty run of [a-zA-Z0-9_:], appended to the name \
                 as `_<unit>`"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        for ok in ["a", "_a", ":a", "a:b_c9", "A", "http_requests_total"] {
            assert!(check_metric_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "9a", "a-b", "a b", "é", "a.b", "a{"] {
            assert_eq!(
                check_metric_name(bad).unwrap_err().kind(),
                ErrorKind::InvalidMetricName,
                "{bad}"
            );
        }
    }

    #[test]
    fn label_names() {
        for ok in ["a", "_a", "a9", "le", "method"] {
            assert!(NameValidation::Legacy.check_label_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "9a", "a:b", "a-b", "ü"] {
            assert_eq!(
                NameValidation::Legacy
                    .check_label_name(bad)
                    .unwrap_err()
                    .kind(),
                ErrorKind::InvalidLabelName,
                "{bad}"
            );
        }
        assert_eq!(
            NameValidation::Legacy
                .check_label_name("__name__")
                .unwrap_err()
                .kind(),
            ErrorKind::ReservedLabelName
        );
        assert_eq!(
            check_label_names(&["a", "b", "a"]).unwrap_err().kind(),
            ErrorKind::DuplicateLabelName
        );
    }

    #[test]
    fn utf8_names() {
        let utf8 = NameValidation::Utf8;
        for ok in ["a", "9a", "a.b", "花火", "a b", "\n", "a\"b"] {
            assert!(utf8.check_metric_name(ok).is_ok(), "{ok}");
        }
        for ok in ["a", "a9", "a.b", "x花火", "a b", "a\n", "a\"b", "_a"] {
            assert!(utf8.check_label_name(ok).is_ok(), "{ok}");
        }
        // As label names these start with `__` once escaped with dots (or underscores).
        for reserved in ["9a", "花火", "\n", "\"b", "_.", "_a.b", "._a"] {
            assert_eq!(
                utf8.check_label_name(reserved).unwrap_err().kind(),
                ErrorKind::ReservedLabelName,
                "{reserved}"
            );
        }
        assert_eq!(
            utf8.check_metric_name("").unwrap_err().kind(),
            ErrorKind::InvalidMetricName
        );
        assert_eq!(
            utf8.check_label_name("").unwrap_err().kind(),
            ErrorKind::InvalidLabelName
        );
        assert_eq!(
            utf8.check_label_name("__a.b").unwrap_err().kind(),
            ErrorKind::ReservedLabelName
        );
        assert_eq!(
            utf8.check_label_names(&["a.b", "a.b"]).unwrap_err().kind(),
            ErrorKind::DuplicateLabelName
        );
    }

    #[test]
    fn units() {
        assert!(check_unit("seconds").is_ok());
        assert_eq!(check_unit("").unwrap_err().kind(), ErrorKind::InvalidUnit);
        assert_eq!(
            check_unit("a b").unwrap_err().kind(),
            ErrorKind::InvalidUnit
        );
    }
}
