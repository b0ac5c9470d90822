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

pub use crate::snapshot::kind::{MAX_STATES, MetricType};
pub use buckets::Buckets;
pub use callback::{CounterFn, GaugeFn};
pub use counter::Counter;
pub(crate) use exemplar::ExemplarSlot;
pub use gauge::Gauge;
pub use histogram::{Histogram, HistogramConfig, HistogramTimer};
pub use info::Info;
pub use native::NativeBuckets;
pub use stateset::{StateNames, StateSet};
pub use striped::StripedCounter;
pub use summary::Summary;

use crate::snapshot::{Scratch, Snapshot};

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
