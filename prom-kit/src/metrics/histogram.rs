//! [`Histogram`]: observations counted in buckets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::native::NativeCounts;
use super::{Buckets, Metric, MetricType, NativeBuckets, sealed};
use super::{Exemplar, ExemplarSlot};
use crate::atomic::AtomicF64;
use crate::error::Result;
use crate::snapshot::{HistogramSnapshot, Scratch, Snapshot, now_seconds};

/// A histogram with fixed bucket bounds.
///
/// An observation is one relaxed `fetch_add` on the bucket it falls in (found by binary
/// search) and one compare-and-swap on the sum; no lock.
///
/// **Consistent scrapes.** The histogram keeps per-bucket, non-cumulative counts and no
/// separate total: a scrape cumulates the buckets and reports `_count` as the sum of all
/// of them. So `_count` always equals the `+Inf` bucket, every cumulative bucket and the
/// count only ever grow between scrapes, and nothing has to flip or lock while other
/// threads observe. (`_sum` is read separately and may include an observation whose
/// bucket the same scrape did not yet see — at most the observations in flight.)
///
/// NaN observations count in the `+Inf` bucket and make the sum NaN, as in Go's client.
///
/// ```
/// use prom_kit::{Buckets, Histogram, Registry};
///
/// let registry = Registry::new();
/// let latency = Histogram::new(Buckets::new([0.1, 1.0])?);
/// registry.register("latency_seconds", "Request latency.", latency.clone())?;
/// latency.observe(0.05);
/// latency.observe(0.5);
/// latency.observe(3.0);
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP latency_seconds Request latency.
/// ## TYPE latency_seconds histogram
/// latency_seconds_bucket{le=\"0.1\"} 1
/// latency_seconds_bucket{le=\"1\"} 2
/// latency_seconds_bucket{le=\"+Inf\"} 3
/// latency_seconds_sum 3.55
/// latency_seconds_count 3
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Histogram {
    core: Arc<HistogramCore>,
}

#[derive(Debug)]
struct HistogramCore {
    config: HistogramConfig,
    buckets: Buckets,
    /// One counter per finite bound, then the `+Inf` bucket.
    counts: Box<[AtomicU64]>,
    sum: AtomicF64,
    created: AtomicF64,
    /// One exemplar per bucket, allocated on the first exemplar.
    exemplars: OnceLock<Box<[ExemplarSlot]>>,
    native: Option<NativeCounts>,
}

/// What a histogram keeps: classic buckets, native buckets, or both.
///
/// Classic buckets are what the text formats show; native buckets reach Prometheus over
/// protobuf. With both, scrapers that only understand text keep working while a
/// Prometheus with native histograms enabled stores the native ones.
///
/// ```
/// use prom_kit::metrics::{HistogramConfig, NativeBuckets};
/// use prom_kit::{Buckets, Histogram};
///
/// let both = Histogram::with_config(HistogramConfig::both(Buckets::DEFAULT, NativeBuckets::new(1.1)?));
/// both.observe(0.3);
/// assert_eq!(both.count(), 1);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramConfig {
    classic: Option<Buckets>,
    native: Option<NativeBuckets>,
}

impl HistogramConfig {
    /// Classic buckets only.
    pub fn classic(buckets: Buckets) -> Self {
        Self {
            classic: Some(buckets),
            native: None,
        }
    }

    /// Native buckets only (the text formats show just the `+Inf` bucket, sum and count).
    pub fn native(native: NativeBuckets) -> Self {
        Self {
            classic: None,
            native: Some(native),
        }
    }

    /// Classic and native buckets.
    pub fn both(buckets: Buckets, native: NativeBuckets) -> Self {
        Self {
            classic: Some(buckets),
            native: Some(native),
        }
    }

    /// The classic buckets, if any.
    pub fn classic_buckets(&self) -> Option<&Buckets> {
        self.classic.as_ref()
    }

    /// The native bucket settings, if any.
    pub fn native_buckets(&self) -> Option<&NativeBuckets> {
        self.native.as_ref()
    }
}

impl Default for HistogramConfig {
    fn default() -> Self {
        Self::classic(Buckets::DEFAULT)
    }
}

impl From<Buckets> for HistogramConfig {
    fn from(buckets: Buckets) -> Self {
        Self::classic(buckets)
    }
}

impl Histogram {
    /// Creates an empty histogram with the given classic buckets.
    pub fn new(buckets: Buckets) -> Self {
        Self::with_config(HistogramConfig::classic(buckets))
    }

    /// Creates an empty histogram with native buckets only.
    pub fn native(native: NativeBuckets) -> Self {
        Self::with_config(HistogramConfig::native(native))
    }

    /// Creates an empty histogram with classic and/or native buckets.
    pub fn with_config(config: HistogramConfig) -> Self {
        let buckets = config.classic.clone().unwrap_or(Buckets::NONE);
        let counts = (0..=buckets.bounds().len())
            .map(|_| AtomicU64::new(0))
            .collect();
        let native = config
            .native
            .clone()
            .map(|native| NativeCounts::new(native, config.classic.is_none()));
        Self {
            core: Arc::new(HistogramCore {
                config,
                native,
                buckets,
                counts,
                sum: AtomicF64::new(0.0),
                created: AtomicF64::new(now_seconds()),
                exemplars: OnceLock::new(),
            }),
        }
    }

    /// Records one observation.
    #[inline]
    pub fn observe(&self, value: f64) {
        self.observe_at(self.bucket_index(value), value);
    }

    #[inline]
    fn bucket_index(&self, value: f64) -> usize {
        let bounds = self.core.buckets.bounds();
        if value.is_nan() {
            bounds.len()
        } else {
            bounds.partition_point(|bound| *bound < value)
        }
    }

    #[inline]
    fn observe_at(&self, index: usize, value: f64) {
        if let Some(bucket) = self.core.counts.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.core.sum.add(value);
        if let Some(native) = &self.core.native {
            native.observe(value);
        }
    }

    /// Records one observation with an exemplar (a trace id, say) on its bucket.
    /// Plain [`observe`](Self::observe) stays as fast as before.
    ///
    /// # Errors
    ///
    /// As [`Exemplar::new`]; nothing is observed then.
    pub fn observe_with_exemplar(&self, value: f64, labels: &[(&str, &str)]) -> Result<()> {
        let exemplar = Exemplar::new(labels, value)?;
        let index = self.bucket_index(value);
        self.observe_at(index, value);
        let slots = self.core.exemplars.get_or_init(|| {
            (0..self.core.counts.len())
                .map(|_| ExemplarSlot::default())
                .collect()
        });
        if let Some(slot) = slots.get(index) {
            slot.set(exemplar);
        }
        Ok(())
    }

    /// Records a duration in seconds.
    pub fn observe_duration(&self, duration: Duration) {
        self.observe(duration.as_secs_f64());
    }

    /// Starts a timer that observes the elapsed seconds when dropped or stopped.
    ///
    /// ```
    /// # use prom_kit::{Buckets, Histogram};
    /// let latency = Histogram::new(Buckets::DEFAULT);
    /// {
    ///     let _timer = latency.start_timer();
    ///     // ... the work being timed ...
    /// }
    /// assert_eq!(latency.count(), 1);
    /// ```
    pub fn start_timer(&self) -> HistogramTimer<'_> {
        HistogramTimer {
            histogram: self,
            start: Instant::now(),
            armed: true,
        }
    }

    /// The number of observations so far.
    pub fn count(&self) -> u64 {
        self.core
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The sum of the observations so far.
    pub fn sum(&self) -> f64 {
        self.core.sum.get()
    }

    /// The classic bucket bounds (none for a native-only histogram).
    pub fn buckets(&self) -> &Buckets {
        &self.core.buckets
    }

    /// What the histogram keeps.
    pub fn config(&self) -> &HistogramConfig {
        &self.core.config
    }
}

impl sealed::Sealed for Histogram {}

impl Metric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
    type Options = HistogramConfig;

    fn from_options(options: &HistogramConfig) -> Self {
        Self::with_config(options.clone())
    }

    fn reset(&self) {
        for count in &self.core.counts {
            count.store(0, Ordering::Relaxed);
        }
        self.core.sum.set(0.0);
        self.core.created.set(now_seconds());
        if let Some(slots) = self.core.exemplars.get() {
            slots.iter().for_each(ExemplarSlot::clear);
        }
        if let Some(native) = &self.core.native {
            native.reset();
        }
    }

    fn snapshot<'a>(&'a self, scratch: &'a mut Scratch) -> Snapshot<'a> {
        scratch.counts.clear();
        scratch
            .counts
            .extend(self.core.counts.iter().map(|c| c.load(Ordering::Relaxed)));
        scratch.exemplars.clear();
        if let Some(slots) = self.core.exemplars.get() {
            scratch
                .exemplars
                .extend(slots.iter().map(ExemplarSlot::get));
        }
        let native = self
            .core
            .native
            .as_ref()
            .map(|native| native.snapshot(&mut scratch.native));
        Snapshot::Histogram(HistogramSnapshot {
            bounds: self.core.buckets.bounds(),
            counts: &scratch.counts,
            sum: self.core.sum.get(),
            created: Some(self.core.created.get()),
            exemplars: &scratch.exemplars,
            native,
        })
    }
}

/// Observes the seconds elapsed since [`Histogram::start_timer`] when dropped, unless
/// [`discard`](Self::discard)ed.
#[derive(Debug)]
#[must_use = "the timer observes when dropped; dropping it at once records ~0 seconds"]
pub struct HistogramTimer<'a> {
    histogram: &'a Histogram,
    start: Instant,
    armed: bool,
}

impl HistogramTimer<'_> {
    /// Observes the elapsed time now and returns it in seconds.
    pub fn observe(mut self) -> f64 {
        self.armed = false;
        let elapsed = self.start.elapsed().as_secs_f64();
        self.histogram.observe(elapsed);
        elapsed
    }

    /// Stops the timer without observing anything.
    pub fn discard(mut self) {
        self.armed = false;
    }
}

impl Drop for HistogramTimer<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.histogram.observe(self.start.elapsed().as_secs_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(h: &Histogram) -> Vec<u64> {
        let mut scratch = Scratch::default();
        match h.snapshot(&mut scratch) {
            Snapshot::Histogram(s) => s.counts.to_vec(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn values_land_in_le_buckets() {
        let h = Histogram::new(Buckets::new([1.0, 2.0]).unwrap());
        for v in [
            0.5,
            1.0,
            1.5,
            2.0,
            2.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            h.observe(v);
        }
        // le=1: 0.5, 1.0, -Inf; le=2: 1.5, 2.0; +Inf: 2.5, +Inf, NaN
        assert_eq!(counts(&h), vec![3, 2, 3]);
        assert_eq!(h.count(), 8);
        assert!(h.sum().is_nan());
    }

    #[test]
    fn timer_observes_once_or_never() {
        let h = Histogram::new(Buckets::DEFAULT);
        h.start_timer().discard();
        assert_eq!(h.count(), 0);
        let elapsed = h.start_timer().observe();
        assert!(elapsed >= 0.0);
        drop(h.start_timer());
        assert_eq!(h.count(), 2);
    }

    #[test]
    fn reset_zeroes() {
        let h = Histogram::new(Buckets::DEFAULT);
        h.observe(0.2);
        h.reset();
        assert_eq!(h.count(), 0);
        assert!(h.sum().abs() < f64::EPSILON);
    }
}
