//! [`Exemplar`]: a sample's link to a trace.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::labels::render::render_pairs;
use crate::name::check_label_names;
use crate::snapshot::timestamp_now;

/// The most characters (UTF-8 code points) an exemplar's label names and values may
/// have together, as OpenMetrics requires.
pub const MAX_EXEMPLAR_LABEL_CHARS: usize = 128;

/// An exemplar: a small label set (a trace id, usually), the observed value and when it
/// was observed. Exposed in OpenMetrics and protobuf, never in the text format 0.0.4.
///
/// ```
/// use prom_kit::metrics::Exemplar;
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
    /// and values have more than [`MAX_EXEMPLAR_LABEL_CHARS`] characters together.
    pub fn new(labels: &[(&str, &str)], value: f64) -> Result<Self> {
        let names: Vec<&str> = labels.iter().map(|(n, _)| *n).collect();
        check_label_names(&names)?;
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

/// Where a metric keeps its latest exemplar. Only the exemplar paths touch it, so
/// observations without exemplars cost nothing extra.
#[derive(Debug, Default)]
pub(crate) struct ExemplarSlot(Mutex<Option<Arc<Exemplar>>>);

impl ExemplarSlot {
    pub(crate) fn set(&self, exemplar: Exemplar) {
        *self.0.lock() = Some(Arc::new(exemplar));
    }

    pub(crate) fn get(&self) -> Option<Arc<Exemplar>> {
        self.0.lock().clone()
    }

    pub(crate) fn clear(&self) {
        *self.0.lock() = None;
    }
}
