//! What a [`CompactFamily`](super::CompactFamily) can hold: counters and gauges, each
//! series one 64-bit word.

use std::sync::atomic::Ordering;

use crate::metrics::{Counter, Gauge, MetricType};
use crate::snapshot::{CounterSnapshot, Number, Snapshot};
use crate::sync::AtomicU64;

mod sealed {
    /// Keeps [`CompactMetric`](super::CompactMetric) implemented only by prom-kit.
    pub trait Sealed {}
    impl Sealed for crate::metrics::Counter {}
    impl Sealed for crate::metrics::Gauge {}
}

/// A metric type whose series a [`CompactFamily`](super::CompactFamily) keeps inline, as
/// one 64-bit word each: [`Counter`] (a whole total, saturating at `u64::MAX`) and
/// [`Gauge`] (an `f64`). Sealed.
pub trait CompactMetric: sealed::Sealed + Send + Sync + 'static {
    /// The family type.
    const TYPE: MetricType;

    /// The series' value as exposed.
    #[doc(hidden)]
    fn snapshot(word: u64) -> Snapshot<'static>;
}

impl CompactMetric for Counter {
    const TYPE: MetricType = MetricType::Counter;

    fn snapshot(word: u64) -> Snapshot<'static> {
        Snapshot::Counter(CounterSnapshot {
            total: Number::Unsigned(word),
            created: None,
            exemplar: None,
        })
    }
}

impl CompactMetric for Gauge {
    const TYPE: MetricType = MetricType::Gauge;

    fn snapshot(word: u64) -> Snapshot<'static> {
        Snapshot::Gauge(Number::Float(f64::from_bits(word)))
    }
}

/// Adds `amount` to a counter's word, saturating at `u64::MAX` rather than wrapping (a
/// counter that wrapped would read as a reset).
#[inline]
pub(super) fn add_saturating(word: &AtomicU64, amount: u64) {
    let previous = word.fetch_add(amount, Ordering::Relaxed);
    if previous.checked_add(amount).is_none() {
        word.store(u64::MAX, Ordering::Relaxed);
    }
}
