//! [`Counter`]: a monotonically increasing total.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::ExemplarSlot;
use super::{Metric, MetricType};
use crate::atomic::{AtomicF64, add_saturating};
use crate::error::{Error, ErrorKind, Result};
use crate::snapshot::Exemplar;
use crate::snapshot::{CounterSnapshot, Number, Scratch, Snapshot};
use crate::time::timestamp_now;

/// A counter: a total that only goes up.
///
/// Whole increments ([`inc`](Self::inc), [`inc_by`](Self::inc_by)) are a single relaxed
/// `fetch_add` on an integer; fractional increments ([`inc_by_f64`](Self::inc_by_f64)) go
/// to a separate float so that integer counting stays exact and as fast as a raw atomic.
/// Exposed as `<name>_total` (and `<name>_created` in OpenMetrics).
///
/// ```
/// use prom_kit::{Counter, Registry};
///
/// let registry = Registry::new();
/// let requests = Counter::new();
/// registry.register("requests", "Requests served.", requests.clone())?;
/// requests.inc();
/// requests.inc_by(2);
/// assert_eq!(requests.get(), 3.0);
/// assert_eq!(
///     registry.encode_text()?,
///     "# HELP requests_total Requests served.\n# TYPE requests_total counter\nrequests_total 3\n"
/// );
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Counter {
    // `triomphe::Arc` has no weak count: 8 bytes less per counter, and a family may hold
    // hundreds of thousands.
    core: triomphe::Arc<CounterCore>,
}

#[derive(Debug)]
struct CounterCore {
    whole: AtomicU64,
    created: AtomicF64,
    /// What few counters use, allocated on first use so that the many that count whole
    /// numbers without exemplars stay small (a family may hold thousands).
    extras: OnceLock<Box<CounterExtras>>,
}

#[derive(Debug, Default)]
struct CounterExtras {
    fraction: AtomicF64,
    exemplar: ExemplarSlot,
}

impl Counter {
    /// Changes with every increment (see `Sealed::activity`).
    pub(crate) fn activity(&self) -> u64 {
        let fraction = self
            .core
            .extras
            .get()
            .map_or(0, |e| e.fraction.get().to_bits());
        self.core.whole.load(Ordering::Relaxed) ^ fraction
    }

    /// Whether another handle refers to this counter.
    pub(crate) fn is_shared(&self) -> bool {
        !self.core.is_unique()
    }

    /// Creates a counter at zero.
    pub fn new() -> Self {
        Self {
            core: triomphe::Arc::new(CounterCore {
                whole: AtomicU64::new(0),
                created: AtomicF64::new(timestamp_now()),
                extras: OnceLock::new(),
            }),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        add_saturating(&self.core.whole, 1);
    }

    /// Adds `amount`. The whole part saturates at `u64::MAX` rather than wrapping to a
    /// small number, which Prometheus would read as a counter reset.
    ///
    /// ```
    /// # use prom_kit::Counter;
    /// let c = Counter::new();
    /// c.inc_by(u64::MAX);
    /// c.inc_by(2);
    /// assert_eq!(c.get(), u64::MAX as f64);
    /// ```
    #[inline]
    pub fn inc_by(&self, amount: u64) {
        add_saturating(&self.core.whole, amount);
    }

    /// Raises the whole part of the total to `total` if it is lower; never lowers it. For
    /// a total counted elsewhere and read now and then (a kernel's packet count, the
    /// `metrics` facade's `absolute`): one relaxed `fetch_max`, so a late, smaller reading
    /// racing a newer one cannot move the counter back.
    ///
    /// ```
    /// # use prom_kit::Counter;
    /// let packets = Counter::new();
    /// packets.raise_to(40);
    /// packets.raise_to(25); // older than what the counter holds: ignored
    /// assert_eq!(packets.get(), 40.0);
    /// packets.inc();
    /// assert_eq!(packets.get(), 41.0);
    /// ```
    #[inline]
    pub fn raise_to(&self, total: u64) {
        self.core.whole.fetch_max(total, Ordering::Relaxed);
    }

    /// Adds a fractional `amount`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`] if `amount` is negative or NaN: a counter never goes
    /// down. The counter is left unchanged.
    ///
    /// ```
    /// # use prom_kit::{Counter, ErrorKind};
    /// let seconds = Counter::new();
    /// seconds.inc_by_f64(0.25)?;
    /// assert_eq!(seconds.inc_by_f64(-1.0).unwrap_err().kind(), ErrorKind::InvalidValue);
    /// assert_eq!(seconds.get(), 0.25);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn inc_by_f64(&self, amount: f64) -> Result<()> {
        if amount.is_nan() || amount < 0.0 {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("counter increment {amount}"),
            ));
        }
        // Whole amounts that fit exactly stay on the integer path.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "whole amounts below 2^53 convert exactly"
        )]
        if amount.fract() == 0.0 && amount < 9_007_199_254_740_992.0 {
            self.inc_by(amount as u64);
        } else {
            self.extras().fraction.add(amount);
        }
        Ok(())
    }

    /// Adds `amount` and records an exemplar (a trace id, say) whose value is `amount`.
    /// Plain [`inc`](Self::inc) and [`inc_by`](Self::inc_by) stay as fast as before.
    ///
    /// # Errors
    ///
    /// As [`Exemplar::new`]; the counter is not incremented then.
    ///
    /// ```
    /// # use prom_kit::Counter;
    /// let requests = Counter::new();
    /// requests.inc_by_with_exemplar(1, &[("trace_id", "abc123")])?;
    /// assert_eq!(requests.get(), 1.0);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn inc_by_with_exemplar(&self, amount: u64, labels: &[(&str, &str)]) -> Result<()> {
        let exemplar = Exemplar::new(labels, amount as f64)?;
        self.inc_by(amount);
        self.extras().exemplar.set(exemplar);
        Ok(())
    }

    fn extras(&self) -> &CounterExtras {
        self.core.extras.get_or_init(Box::default)
    }

    /// The current total.
    pub fn get(&self) -> f64 {
        self.total().as_f64()
    }

    fn total(&self) -> Number {
        let whole = self.core.whole.load(Ordering::Relaxed);
        let fraction = self.core.extras.get().map_or(0.0, |e| e.fraction.get());
        if fraction == 0.0 {
            Number::Unsigned(whole)
        } else {
            Number::Float(whole as f64 + fraction)
        }
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

impl Metric for Counter {
    const TYPE: MetricType = MetricType::Counter;
    type Options = ();

    fn from_options((): &()) -> Self {
        Self::new()
    }

    fn reset(&self) {
        self.core.whole.store(0, Ordering::Relaxed);
        self.core.created.set(timestamp_now());
        if let Some(extras) = self.core.extras.get() {
            extras.fraction.set(0.0);
            extras.exemplar.clear();
        }
    }

    fn snapshot<'a>(&'a self, scratch: &'a mut Scratch) -> Snapshot<'a> {
        scratch.exemplars.clear();
        if let (false, Some(extras)) = (scratch.skip_exemplars, self.core.extras.get()) {
            scratch.exemplars.push(extras.exemplar.get());
        }
        Snapshot::Counter(CounterSnapshot {
            total: self.total(),
            created: Some(self.core.created.get()),
            exemplar: scratch.exemplars.first().and_then(Option::as_deref),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_and_fractional_parts_add_up() {
        let c = Counter::new();
        c.inc();
        c.inc_by(4);
        assert_eq!(c.total(), Number::Unsigned(5));
        c.inc_by_f64(2.0).unwrap();
        assert_eq!(c.total(), Number::Unsigned(7));
        c.inc_by_f64(0.5).unwrap();
        assert_eq!(c.total(), Number::Float(7.5));
        c.inc_by_f64(f64::INFINITY).unwrap();
        assert_eq!(c.get(), f64::INFINITY);
    }

    #[test]
    fn whole_part_saturates_instead_of_wrapping() {
        let c = Counter::new();
        c.inc_by(u64::MAX);
        c.inc_by(2);
        assert_eq!(c.total(), Number::Unsigned(u64::MAX));
        c.inc();
        assert_eq!(c.total(), Number::Unsigned(u64::MAX));
        c.inc_by_f64(4.0).unwrap();
        assert_eq!(c.total(), Number::Unsigned(u64::MAX));
    }

    #[test]
    fn rejects_negative_and_nan() {
        let c = Counter::new();
        for bad in [-0.5, f64::NAN, f64::NEG_INFINITY] {
            assert_eq!(
                c.inc_by_f64(bad).unwrap_err().kind(),
                ErrorKind::InvalidValue
            );
        }
        assert_eq!(c.total(), Number::Unsigned(0));
    }

    #[test]
    fn clones_share_and_reset_zeroes() {
        let c = Counter::new();
        let d = c.clone();
        d.inc_by(3);
        assert_eq!(c.get(), 3.0);
        c.reset();
        assert_eq!(d.get(), 0.0);
    }
}
