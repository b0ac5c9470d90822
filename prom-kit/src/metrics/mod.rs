//! The metric types.
//!
//! Each metric is a cheap, cloneable handle (an `Arc` inside): clones share one value, so a
//! caller can keep a handle in a struct or a static and update it from any thread. Every
//! update is lock-free: atomics only, no lock, no allocation.

mod bucket_cells;
mod buckets;
mod callback;
mod counter;
mod exemplar;
mod gauge;
mod histogram;
mod info;
pub mod native;
mod stateset;
mod striped;
mod summary;

pub use buckets::Buckets;
pub use callback::{CounterFn, GaugeFn};
pub use counter::Counter;
pub(crate) use exemplar::ExemplarSlot;
pub use gauge::Gauge;
pub use histogram::{Histogram, HistogramConfig, HistogramTimer};
pub use info::Info;
pub use native::NativeBuckets;
pub use stateset::{MAX_STATES, StateNames, StateSet};
pub use striped::StripedCounter;
pub use summary::Summary;

use crate::error::{Error, ErrorKind, Result};
use crate::name::NameValidation;
use crate::snapshot::{Scratch, Snapshot};

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

pub(crate) mod sealed {
    use super::{Counter, Gauge, Histogram, StateSet, StripedCounter, Summary};

    /// A family child of any type, as the per-thread lookup cache keeps it.
    #[derive(Clone, Debug)]
    pub enum AnyMetric {
        Counter(Counter),
        StripedCounter(StripedCounter),
        Gauge(Gauge),
        Histogram(Histogram),
        Summary(Summary),
        StateSet(StateSet),
    }

    /// Keeps [`Metric`](super::Metric) implementable only inside prom-kit, and converts
    /// to and from [`AnyMetric`].
    pub trait Sealed: Sized {
        /// A handle to the same metric, type-erased.
        fn to_any(&self) -> AnyMetric;
        /// The metric, if `any` holds one of this type.
        fn from_any(any: &AnyMetric) -> Option<&Self>;
        /// A number that changes with every update that changes the value (a counter's
        /// total, a histogram's count): idle-series expiry compares it between sweeps, so
        /// the update paths pay nothing for it.
        fn activity(&self) -> u64;
        /// Whether a handle other than this one refers to the same metric.
        fn is_shared(&self) -> bool;
        /// Reads the metric's state without using it, to bring it into the cache ahead
        /// of its snapshot: a scrape reads a group of metrics so first, and their cache
        /// misses overlap instead of coming one per series.
        fn warm(&self) -> u64 {
            self.activity()
        }
    }

    macro_rules! sealed_metric {
        ($($type:ident),+) => {$(
            impl Sealed for $type {
                fn to_any(&self) -> AnyMetric {
                    AnyMetric::$type(self.clone())
                }
                #[inline]
                fn from_any(any: &AnyMetric) -> Option<&Self> {
                    match any {
                        AnyMetric::$type(metric) => Some(metric),
                        _ => None,
                    }
                }
                fn activity(&self) -> u64 {
                    $type::activity(self)
                }
                fn is_shared(&self) -> bool {
                    $type::is_shared(self)
                }
            }
        )+};
    }

    sealed_metric!(Counter, StripedCounter, Gauge, Histogram, Summary, StateSet);
}

/// A metric type that can be the child of a [`Family`](crate::Family): created from shared
/// options, reset on removal, and read into a [`Snapshot`] at scrape time.
///
/// Sealed: implemented by [`Counter`], [`StripedCounter`], [`Gauge`], [`Histogram`],
/// [`Summary`] and [`StateSet`].
pub trait Metric: Clone + Send + Sync + std::fmt::Debug + 'static + sealed::Sealed {
    /// The family type this metric is exposed as.
    const TYPE: MetricType;

    /// What every child of a family is created from (bucket bounds for histograms, state
    /// names for state sets, nothing for the others).
    type Options: Clone + Send + Sync + std::fmt::Debug + Default + 'static;

    /// Creates a metric from the family's options.
    fn from_options(options: &Self::Options) -> Self;

    /// Checks a family's options before any child is created from them.
    ///
    /// # Errors
    ///
    /// Options that cannot make a useful child (a state set family without states).
    fn check_options(options: &Self::Options) -> crate::Result<()> {
        let _ = options;
        Ok(())
    }

    /// Returns the metric to its initial state (zero, and a new created timestamp).
    fn reset(&self);

    /// Reads the current state. `scratch` is reused storage for types whose snapshot
    /// needs more than a few numbers.
    fn snapshot<'a>(&'a self, scratch: &'a mut Scratch) -> Snapshot<'a>;
}
