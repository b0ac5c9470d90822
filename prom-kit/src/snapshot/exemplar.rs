//! [`Exemplar`]: a sample's link to a trace.

use crate::error::{Error, ErrorKind, Result};
use crate::labels::render::render_pairs;
use crate::name::check_label_names;
use crate::time::timestamp_now;

/// The most characters (UTF-8 code points) an exemplar's label names and values may
/// have together, as OpenMetrics requires.
pub const MAX_EXEMPLAR_LABEL_CHARS: usize = 128;

/// An exemplar: a small label set (a trace id, usually), the observed value and when it
/// was observed. Exposed in OpenMetrics and protobuf, never in the text format 0.0.4.
///
/// ```
/// use prom_kit::snapshot::Exemplar;
/// use prom_kit::ErrorKind;
///
/// let exemplar = Exemplar::new(&[("trace_id", "4bf92f3577b34da6")], 0.25)?;
/// assert_eq!(exemplar.labels(), "trace_id=\"4bf92f3577b34da6\"");
/// let long = "x".repeat(200);
/// assert_eq!(Exemplar::new(&[("trace_id", &long)], 1.0).unwrap_err().kind(), ErrorKind::InvalidValue);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    labels: Box<str>,
    value: f64,
    timestamp: f64,
}

impl Exemplar {
    /// An exemplar observed now.
    ///
    /// # Errors
    ///
    /// An invalid or repeated label name, or [`ErrorKind::InvalidValue`] if the names
    /// and values have more than [`MAX_EXEMPLAR_LABEL_CHARS`] characters together, or a
    /// value holds a control character (`U+0000`–`U+001F`, `U+007F`–`U+009F`).
    ///
    /// Control characters are refused although OpenMetrics allows them: Prometheus'
    /// OpenMetrics parser rejects a NUL in an exemplar label value and with it the whole
    /// scrape, and exemplar values often come from request headers, which a client
    /// controls. The observation itself is then recorded without the exemplar by the
    /// HTTP middlewares.
    ///
    /// ```
    /// # use prom_kit::snapshot::Exemplar;
    /// # use prom_kit::ErrorKind;
    /// let error = Exemplar::new(&[("trace_id", "ab\0cd")], 1.0).unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidValue);
    /// ```
    pub fn new(labels: &[(&str, &str)], value: f64) -> Result<Self> {
        let names: Vec<&str> = labels.iter().map(|(n, _)| *n).collect();
        check_label_names(&names)?;
        if let Some((name, _)) = labels.iter().find(|(_, v)| v.chars().any(char::is_control)) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("the exemplar label {name:?} holds a control character"),
            ));
        }
        let chars: usize = labels
            .iter()
            .map(|(n, v)| n.chars().count() + v.chars().count())
            .sum();
        if chars > MAX_EXEMPLAR_LABEL_CHARS {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "exemplar labels have {chars} characters, more than {MAX_EXEMPLAR_LABEL_CHARS}"
                ),
            ));
        }
        let mut rendered = String::new();
        render_pairs(&mut rendered, labels.iter().copied());
        Ok(Self {
            labels: rendered.into(),
            value,
            timestamp: timestamp_now(),
        })
    }

    /// The label pairs, rendered and escaped (`trace_id="…"`).
    pub fn labels(&self) -> &str {
        &self.labels
    }

    /// The observed value.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// When it was observed, in seconds since the Unix epoch.
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_values_are_refused() {
        let controls = (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32);
        for control in controls {
            let value = format!("trace{control}id");
            let error = Exemplar::new(&[("trace_id", &value)], 1.0).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidValue, "{control:?}");
        }
        // Everything else is taken and escaped where the formats need it.
        let exemplar = Exemplar::new(&[("a", "x \"q\" \\ ü ∑ 😀")], 1.0).unwrap();
        assert_eq!(exemplar.labels(), r#"a="x \"q\" \\ ü ∑ 😀""#);
    }
}
