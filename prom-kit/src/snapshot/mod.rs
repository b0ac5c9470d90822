//! What a scrape reads from a metric: plain values, detached from storage.
//!
//! This is the boundary between the metric types (which own atomics) and the encoders
//! (which only format). Every encoder takes these types and nothing else.

use std::sync::Arc;

mod exemplar;
pub(crate) mod kind;

pub use exemplar::{Exemplar, MAX_EXEMPLAR_LABEL_CHARS};

/// Reusable storage that snapshots borrow from, so reading a series allocates nothing
/// after the first few series.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Set by writers whose format cannot show exemplars, so snapshots skip reading them.
    pub(crate) skip_exemplars: bool,
    pub(crate) counts: Vec<u64>,
    pub(crate) exemplars: Vec<Option<Arc<Exemplar>>>,
    pub(crate) native: NativeScratch,
}

/// A sample value as the exposition formats print it: integers stay integers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// An unsigned integer, printed without exponent or fraction.
    Unsigned(u64),
    /// A signed integer, printed without exponent or fraction.
    Signed(i64),
    /// A float; integral values are printed as integers, the rest in the shortest form
    /// that round-trips, and `NaN`, `+Inf`, `-Inf` spelled as the formats require.
    Float(f64),
}

impl Number {
    /// The value as `f64`.
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Unsigned(v) => v as f64,
            Self::Signed(v) => v as f64,
            Self::Float(v) => v,
        }
    }
}

/// The state of one counter series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CounterSnapshot<'a> {
    /// The running total.
    pub total: Number,
    /// When the counter was created or last reset, in seconds since the Unix epoch.
    pub created: Option<f64>,
    /// The latest exemplar, if one was recorded.
    pub exemplar: Option<&'a Exemplar>,
}

/// The state of one classic histogram series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistogramSnapshot<'a> {
    /// Upper bounds of the finite buckets, ascending; `+Inf` is implicit.
    pub bounds: &'a [f64],
    /// Per-bucket (not cumulative) counts: one per bound, then the `+Inf` bucket.
    pub counts: &'a [u64],
    /// Sum of all observed values.
    pub sum: f64,
    /// When the histogram was created or last reset, in seconds since the Unix epoch.
    pub created: Option<f64>,
    /// The latest exemplar of each bucket (same indices as `counts`), or empty if the
    /// histogram never recorded one.
    pub exemplars: &'a [Option<Arc<Exemplar>>],
    /// The native buckets, for histograms that keep them.
    pub native: Option<NativeSnapshot<'a>>,
}

impl HistogramSnapshot<'_> {
    /// Total number of observations: the sum of the bucket counts, so that it always
    /// equals the cumulative `+Inf` bucket.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The state of one summary series (count and sum; no quantiles yet).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SummarySnapshot {
    /// Number of observations.
    pub count: u64,
    /// Sum of all observed values.
    pub sum: f64,
    /// When the summary was created or last reset, in seconds since the Unix epoch.
    pub created: Option<f64>,
}

/// The state of one state set series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StateSetSnapshot<'a> {
    /// The state names, in declaration order.
    pub states: &'a [Box<str>],
    /// Bit `i` is set when state `i` is active.
    pub active: u64,
}

/// What one series holds at scrape time.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Snapshot<'a> {
    /// A counter.
    Counter(CounterSnapshot<'a>),
    /// A gauge.
    Gauge(Number),
    /// A classic histogram.
    Histogram(HistogramSnapshot<'a>),
    /// A summary.
    Summary(SummarySnapshot),
    /// An info metric: its rendered label pairs (`a="b",c="d"`); the value is always 1.
    Info(&'a str),
    /// A state set.
    StateSet(StateSetSnapshot<'a>),
    /// A value of unknown type (`untyped` in the text format).
    Unknown(Number),
}

/// What a scrape reads from a native histogram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NativeSnapshot<'a> {
    /// The resolution: bucket boundaries grow by `2^(2^-schema)`.
    pub schema: i32,
    /// Observations with a magnitude up to this go to the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// All observations, NaN included.
    pub count: u64,
    /// The sum of the observations.
    pub sum: f64,
    /// Positive buckets `(key, count)`, ascending by key.
    pub positive: &'a [(i32, u64)],
    /// Negative buckets `(key, count)` (mirrored keys), ascending by key.
    pub negative: &'a [(i32, u64)],
}

/// Reusable storage for native snapshots.
#[derive(Debug, Default)]
pub(crate) struct NativeScratch {
    pub(crate) positive: Vec<(i32, u64)>,
    pub(crate) negative: Vec<(i32, u64)>,
}
