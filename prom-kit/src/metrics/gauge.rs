//! [`Gauge`]: a value that goes up and down.

use std::sync::Arc;

use super::{Metric, MetricType};
use crate::atomic::AtomicF64;
use crate::snapshot::{Number, Scratch, Snapshot};
use crate::time::now_seconds;

/// A gauge: a float value that can be set, increased and decreased.
///
/// `set` is one atomic store; `inc`, `dec`, `add` and `sub` are compare-and-swap loops.
///
/// ```
/// use prom_kit::{Gauge, Registry};
///
/// let registry = Registry::new();
/// let queue = Gauge::new();
/// registry.register("queue_depth", "Jobs waiting.", queue.clone())?;
/// queue.set(10.0);
/// queue.dec();
/// queue.add(0.5);
/// assert_eq!(
///     registry.encode_text()?,
///     "# HELP queue_depth Jobs waiting.\n# TYPE queue_depth gauge\nqueue_depth 9.5\n"
/// );
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Gauge {
    value: Arc<AtomicF64>,
}

impl Gauge {
    /// Changes with every change of the value (see `Sealed::activity`).
    pub(crate) fn activity(&self) -> u64 {
        self.value.get().to_bits()
    }

    /// Whether another handle refers to this gauge.
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.value) > 1
    }

    /// Creates a gauge at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, value: f64) {
        self.value.set(value);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.value.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.value.add(-1.0);
    }

    /// Adds `amount` (which may be negative).
    #[inline]
    pub fn add(&self, amount: f64) {
        self.value.add(amount);
    }

    /// Subtracts `amount`.
    #[inline]
    pub fn sub(&self, amount: f64) {
        self.value.add(-amount);
    }

    /// Sets the value to the current Unix time in seconds.
    pub fn set_to_current_time(&self) {
        self.value.set(now_seconds());
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        self.value.get()
    }
}

impl Metric for Gauge {
    const TYPE: MetricType = MetricType::Gauge;
    type Options = ();

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn reset(&self) {
        self.value.set(0.0);
    }

    fn snapshot<'a>(&'a self, _scratch: &'a mut Scratch) -> Snapshot<'a> {
        Snapshot::Gauge(Number::Float(self.value.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        let g = Gauge::new();
        g.inc();
        g.inc();
        g.dec();
        g.add(2.5);
        g.sub(0.5);
        assert!((g.get() - 3.0).abs() < f64::EPSILON);
        g.set(-7.0);
        assert!((g.get() + 7.0).abs() < f64::EPSILON);
    }

    #[test]
    fn current_time_is_recent() {
        let g = Gauge::new();
        g.set_to_current_time();
        assert!((g.get() - now_seconds()).abs() < 5.0);
    }
}
