//! [`Summary`]: count and sum of observations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Metric, MetricType};
use crate::atomic::AtomicF64;
use crate::snapshot::{Scratch, Snapshot, SummarySnapshot};
use crate::time::timestamp_now;

/// A summary exposing `_count` and `_sum` of its observations (no quantiles: compute
/// them in Prometheus from a [`Histogram`](crate::Histogram) instead, which aggregates).
///
/// ```
/// use prom_kit::{Registry, Summary};
///
/// let registry = Registry::new();
/// let sizes = Summary::new();
/// registry.register("payload_bytes", "Payload sizes.", sizes.clone())?;
/// sizes.observe(100.0);
/// sizes.observe(50.5);
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP payload_bytes Payload sizes.
/// ## TYPE payload_bytes summary
/// payload_bytes_sum 150.5
/// payload_bytes_count 2
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Summary {
    core: Arc<SummaryCore>,
}

#[derive(Debug)]
struct SummaryCore {
    count: AtomicU64,
    sum: AtomicF64,
    created: AtomicF64,
}

impl Summary {
    /// Changes with every observation (see `Sealed::activity`).
    pub(crate) fn activity(&self) -> u64 {
        self.count()
    }

    /// Whether another handle refers to this summary.
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.core) > 1
    }

    /// Creates an empty summary.
    pub fn new() -> Self {
        Self {
            core: Arc::new(SummaryCore {
                count: AtomicU64::new(0),
                sum: AtomicF64::new(0.0),
                created: AtomicF64::new(timestamp_now()),
            }),
        }
    }

    /// Records one observation.
    #[inline]
    pub fn observe(&self, value: f64) {
        self.core.count.fetch_add(1, Ordering::Relaxed);
        self.core.sum.add(value);
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.core.count.load(Ordering::Relaxed)
    }

    /// The sum of the observations.
    pub fn sum(&self) -> f64 {
        self.core.sum.get()
    }
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl Metric for Summary {
    const TYPE: MetricType = MetricType::Summary;
    type Options = ();

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn reset(&self) {
        self.core.count.store(0, Ordering::Relaxed);
        self.core.sum.set(0.0);
        self.core.created.set(timestamp_now());
    }

    fn snapshot<'a>(&'a self, _scratch: &'a mut Scratch) -> Snapshot<'a> {
        Snapshot::Summary(SummarySnapshot {
            count: self.count(),
            sum: self.sum(),
            created: Some(self.core.created.get()),
        })
    }
}
