//! [`StripedCounter`]: a counter that stays fast when many threads increment it at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Metric, MetricType};
use crate::atomic::{AtomicF64, CachePadded, STRIPES, add_saturating, thread_stripe};
use crate::error::{Error, ErrorKind, Result};
use crate::snapshot::{CounterSnapshot, Number, Scratch, Snapshot};
use crate::time::timestamp_now;

/// A counter for totals that several threads increment concurrently and often.
///
/// A plain [`Counter`](crate::Counter) is one atomic word: when two cores increment it
/// at once, they take turns owning its cache line, and each increment costs tens of
/// nanoseconds. A `StripedCounter` keeps eight cache-line-padded cells; each thread
/// increments the cell it was assigned on first use, and a scrape sums them. The price is
/// memory — about 1 KiB per counter instead of a few words — so use it for the hot,
/// shared totals, not for every series of a large family.
///
/// ```
/// use prom_kit::{Registry, StripedCounter};
///
/// let registry = Registry::new();
/// let requests = StripedCounter::new();
/// registry.register("requests", "Requests served.", requests.clone())?;
/// std::thread::scope(|scope| {
///     for _ in 0..4 {
///         scope.spawn(|| (0..1000).for_each(|_| requests.inc()));
///     }
/// });
/// assert_eq!(requests.get(), 4000.0);
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP requests_total Requests served.
/// ## TYPE requests_total counter
/// requests_total 4000
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct StripedCounter {
    core: Arc<StripedCore>,
}

#[derive(Debug)]
struct StripedCore {
    cells: [CachePadded<AtomicU64>; STRIPES],
    fraction: AtomicF64,
    created: AtomicF64,
}

impl StripedCounter {
    /// Changes with every increment (see `Sealed::activity`).
    pub(crate) fn activity(&self) -> u64 {
        self.get().to_bits()
    }

    /// Whether another handle refers to this counter.
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.core) > 1
    }

    /// Creates a counter at zero.
    pub fn new() -> Self {
        Self {
            core: Arc::new(StripedCore {
                cells: std::array::from_fn(|_| CachePadded(AtomicU64::new(0))),
                fraction: AtomicF64::new(0.0),
                created: AtomicF64::new(timestamp_now()),
            }),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `amount`.
    #[inline]
    pub fn inc_by(&self, amount: u64) {
        add_saturating(&self.core.cells[thread_stripe()], amount);
    }

    /// Adds a fractional `amount` (on a shared cell: fractional increments are not the
    /// contended case this type is for).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`] if `amount` is negative or NaN.
    pub fn inc_by_f64(&self, amount: f64) -> Result<()> {
        if amount.is_nan() || amount < 0.0 {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("counter increment {amount}"),
            ));
        }
        self.core.fraction.add(amount);
        Ok(())
    }

    fn total(&self) -> Number {
        let whole = self.core.cells.iter().fold(0u64, |sum, cell| {
            sum.saturating_add(cell.load(Ordering::Relaxed))
        });
        let fraction = self.core.fraction.get();
        if fraction == 0.0 {
            Number::Unsigned(whole)
        } else {
            Number::Float(whole as f64 + fraction)
        }
    }

    /// The current total.
    pub fn get(&self) -> f64 {
        self.total().as_f64()
    }
}

impl Default for StripedCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl Metric for StripedCounter {
    const TYPE: MetricType = MetricType::Counter;
    type Options = ();

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn reset(&self) {
        for cell in &self.core.cells {
            cell.store(0, Ordering::Relaxed);
        }
        self.core.fraction.set(0.0);
        self.core.created.set(timestamp_now());
    }

    fn snapshot<'a>(&'a self, _scratch: &'a mut Scratch) -> Snapshot<'a> {
        Snapshot::Counter(CounterSnapshot {
            total: self.total(),
            created: Some(self.core.created.get()),
            exemplar: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_increments_all_count() {
        let counter = StripedCounter::new();
        std::thread::scope(|scope| {
            for _ in 0..12 {
                scope.spawn(|| {
                    for _ in 0..10_000 {
                        counter.inc();
                    }
                    counter.inc_by(5);
                });
            }
        });
        assert_eq!(counter.total(), Number::Unsigned(12 * 10_005));
        counter.inc_by_f64(0.5).unwrap();
        assert_eq!(counter.get(), 120_060.5);
        assert_eq!(
            counter.inc_by_f64(-1.0).unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
        counter.reset();
        assert_eq!(counter.get(), 0.0);
    }

    #[test]
    fn totals_saturate_instead_of_wrapping() {
        let counter = StripedCounter::new();
        // Two threads land on different stripes; their sum must not wrap either.
        std::thread::scope(|scope| {
            for _ in 0..STRIPES {
                scope.spawn(|| counter.inc_by(u64::MAX / 2));
            }
        });
        counter.inc_by(u64::MAX);
        counter.inc();
        assert_eq!(counter.total(), Number::Unsigned(u64::MAX));
    }
}
