//! [`MetricType`] and the limits every encoder checks a snapshot against: what the
//! encoders need to know about a metric, below them, so that they read snapshots and
//! descriptors only. Public as `prom_kit::metrics::MetricType` and
//! `prom_kit::metrics::MAX_STATES`.

use crate::error::{Error, ErrorKind, Result};
use crate::name::NameValidation;

/// The most states one [`StateSet`](crate::StateSet) can hold (one bit each in an
/// atomic word).
pub const MAX_STATES: usize = 64;

/// The type of a metric family, as the exposition formats name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetricType {
    /// A monotonically increasing total, exposed as `<name>_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted in cumulative buckets, with `_count` and `_sum`.
    Histogram,
    /// Observations summarised by `_count` and `_sum`.
    Summary,
    /// Constant labels describing the target, exposed as `<name>_info 1`.
    Info,
    /// A set of named boolean states, one series per state.
    StateSet,
    /// A value of unknown type (`untyped` in the text format).
    Unknown,
}

impl MetricType {
    /// The suffixes of the sample names a family of this type exposes, in either format.
    pub(crate) fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Counter => &["_total", "_created"],
            Self::Gauge | Self::StateSet | Self::Unknown => &[""],
            Self::Histogram => &["_bucket", "_count", "_sum", "_created"],
            Self::Summary => &["", "_count", "_sum", "_created"],
            Self::Info => &["_info"],
        }
    }

    /// The label names this type adds to its series, which users may not use.
    pub(crate) fn reserved_label(self) -> Option<&'static str> {
        match self {
            Self::Histogram => Some("le"),
            Self::Summary => Some("quantile"),
            _ => None,
        }
    }

    /// Checks the label names of a family of this type where it is made — the one check
    /// every family constructor ([`Family`](crate::Family), its builder's `build` and
    /// `build_dense`, [`DenseFamily`](crate::DenseFamily),
    /// [`TypedFamily`](crate::TypedFamily), [`CompactFamily`](crate::CompactFamily)) and
    /// [`Descriptor`](crate::Descriptor) run: what no registry accepts (an empty name, a
    /// `__` prefix, also once escaped, a repeated name) and the label the type adds
    /// itself (`le`, `quantile`). A name only a UTF-8 registry accepts (`http.route`) is
    /// judged by the registry the family is registered in, which knows its
    /// [`NameValidation`].
    pub(crate) fn check_label_names<S: AsRef<str>>(self, names: &[S]) -> Result<()> {
        NameValidation::Utf8.check_label_names(names)?;
        if let Some(reserved) = self.reserved_label() {
            if names.iter().any(|n| n.as_ref() == reserved) {
                return Err(self.own_label_error(reserved));
            }
        }
        Ok(())
    }

    /// The error for a label `name` that a family of this type adds to its series itself
    /// (a histogram's `le`, a summary's `quantile`, a state set's own name).
    pub(crate) fn own_label_error(self, name: &str) -> Error {
        let why = match self {
            Self::Histogram => "a histogram adds it to its bucket series itself",
            Self::Summary => "a summary adds it to its quantile series itself",
            Self::StateSet => "a state set labels its states with its own name",
            _ => "the metric type adds it itself",
        };
        Error::new(ErrorKind::ReservedLabelName, format!("{name:?}: {why}"))
    }

    /// The suffix a user may give on the name, which the family name drops
    /// (`requests_total` → family `requests`), as Python's client does.
    pub(crate) fn strippable_suffix(self) -> Option<&'static str> {
        match self {
            Self::Counter => Some("_total"),
            Self::Info => Some("_info"),
            _ => None,
        }
    }
}
