//! [`Histogram`]: observations counted in buckets.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::ExemplarSlot;
use super::bucket_cells::BucketCells;
use super::native::NativeCounts;
use super::{Buckets, Metric, MetricType, NativeBuckets};
use crate::atomic::AtomicF64;
use crate::error::Result;
use crate::snapshot::Exemplar;
use crate::snapshot::{HistogramSnapshot, Scratch, Snapshot};
use crate::stopwatch::Stopwatch;
use crate::time::timestamp_now;

/// A histogram with fixed bucket bounds.
///
/// An observation is one relaxed `fetch_add` on the bucket it falls in (found by a
/// branch-free scan of up to 32 bounds, or a binary search beyond) and one
/// compare-and-swap on the sum; no lock. Histograms that many threads observe at once can
/// be [striped](HistogramConfig::striped).
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
    /// One count per finite bound, then the `+Inf` bucket, and the sum. With native
    /// buckets, the sum is the native counts' (see [`Histogram::observe_at`]); native
    /// only, the cells are unused.
    cells: BucketCells,
    /// The bounds padded with `+Inf` to whole groups of [`SCAN_LANES`], when there are few
    /// enough to scan (see [`bucket_index`]); empty otherwise.
    scan: Box<[f64]>,
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
    striped: bool,
}

impl HistogramConfig {
    /// Classic buckets only.
    pub fn classic(buckets: Buckets) -> Self {
        Self {
            classic: Some(buckets),
            native: None,
            striped: false,
        }
    }

    /// Native buckets only (the text formats show just the `+Inf` bucket, sum and count).
    pub fn native(native: NativeBuckets) -> Self {
        Self {
            classic: None,
            native: Some(native),
            striped: false,
        }
    }

    /// Classic and native buckets.
    pub fn both(buckets: Buckets, native: NativeBuckets) -> Self {
        Self {
            classic: Some(buckets),
            native: Some(native),
            striped: false,
        }
    }

    /// Spreads the classic bucket counts and the sum over eight cache-line-padded stripes,
    /// one per group of threads, added up at scrape time — for histograms that several
    /// threads observe at once and often (a server's request latency). Two cores then
    /// never write the same cache line, and an observation costs about what it costs on
    /// one thread; the price is memory: 1 KiB per histogram with up to 14 bounds instead
    /// of about 128 bytes. (Native buckets are not striped.)
    ///
    /// ```
    /// use prom_kit::metrics::HistogramConfig;
    /// use prom_kit::{Buckets, Histogram};
    ///
    /// let latency = Histogram::with_config(HistogramConfig::classic(Buckets::DEFAULT).striped(true));
    /// std::thread::scope(|scope| {
    ///     for _ in 0..4 {
    ///         scope.spawn(|| (0..100).for_each(|_| latency.observe(0.2)));
    ///     }
    /// });
    /// assert_eq!(latency.count(), 400);
    /// assert!((latency.sum() - 80.0).abs() < 1e-9);
    /// ```
    #[must_use]
    pub fn striped(mut self, enabled: bool) -> Self {
        self.striped = enabled;
        self
    }

    /// Whether the classic buckets are [striped](Self::striped).
    pub fn is_striped(&self) -> bool {
        self.striped
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
    /// Changes with every observation (see `Sealed::activity`).
    pub(crate) fn activity(&self) -> u64 {
        self.count()
    }

    /// Whether another handle refers to this histogram.
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.core) > 1
    }

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
        let cells = BucketCells::new(buckets.bounds().len() + 1, config.striped);
        let scan = scan_bounds(buckets.bounds());
        let native = config
            .native
            .clone()
            .map(|native| NativeCounts::new(native, config.classic.is_none()));
        Self {
            core: Arc::new(HistogramCore {
                config,
                native,
                buckets,
                cells,
                scan,
                created: AtomicF64::new(timestamp_now()),
                exemplars: OnceLock::new(),
            }),
        }
    }

    /// Records one observation.
    // Measured: left to its own judgement the compiler calls this out of line in hot
    // loops, which costs about a nanosecond per observation.
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, this is called out of line on the hot path"
    )]
    #[inline(always)]
    pub fn observe(&self, value: f64) {
        self.observe_at(self.bucket_index(value), value);
    }

    #[inline]
    fn bucket_index(&self, value: f64) -> usize {
        bucket_index(&self.core.scan, self.core.buckets.bounds(), value)
    }

    /// With native buckets, the native counts keep the sum (and, native only, the
    /// count): one sum to update, not two. The classic bucket is counted after the native
    /// observation has started and before it finishes; a scrape reads the classic counts
    /// first (with acquire loads that pair with the classic increments' release), then
    /// flips the native copies, which waits for every observation started — so every
    /// observation it saw in a classic bucket is also in the native count and sum, and no
    /// cumulative bucket count exceeds the native `sample_count` that protobuf exposes.
    #[inline]
    fn observe_at(&self, index: usize, value: f64) {
        match &self.core.native {
            None => self.core.cells.observe(index, value),
            Some(native) if self.core.config.classic.is_some() => {
                native.observe_then(value, || self.core.cells.count_in(index));
            }
            Some(native) => native.observe(value),
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
            (0..=self.core.buckets.bounds().len())
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
            start: Stopwatch::start(),
            armed: true,
        }
    }

    /// The number of observations so far.
    pub fn count(&self) -> u64 {
        match &self.core.native {
            Some(native) if self.core.config.classic.is_none() => native.count(),
            _ => self.core.cells.count(),
        }
    }

    /// The sum of the observations so far.
    pub fn sum(&self) -> f64 {
        match &self.core.native {
            Some(native) => native.sum(),
            None => self.core.cells.sum(),
        }
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

impl Metric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
    type Options = HistogramConfig;

    fn from_options(options: &HistogramConfig) -> Self {
        Self::with_config(options.clone())
    }

    fn reset(&self) {
        self.core.cells.reset();
        self.core.created.set(timestamp_now());
        if let Some(slots) = self.core.exemplars.get() {
            slots.iter().for_each(ExemplarSlot::clear);
        }
        if let Some(native) = &self.core.native {
            native.reset();
        }
    }

    fn snapshot<'a>(&'a self, scratch: &'a mut Scratch) -> Snapshot<'a> {
        scratch.counts.clear();
        self.core.cells.counts_into(&mut scratch.counts);
        scratch.exemplars.clear();
        if let (false, Some(slots)) = (scratch.skip_exemplars, self.core.exemplars.get()) {
            scratch
                .exemplars
                .extend(slots.iter().map(ExemplarSlot::get));
        }
        let native = self
            .core
            .native
            .as_ref()
            .map(|native| native.snapshot(&mut scratch.native));
        let sum = match &native {
            Some(native) => {
                if self.core.config.classic.is_none() {
                    // Native only: the one classic bucket (`+Inf`) holds every observation.
                    scratch.counts.clear();
                    scratch.counts.push(native.count);
                }
                native.sum
            }
            None => self.core.cells.sum(),
        };
        Snapshot::Histogram(HistogramSnapshot {
            bounds: self.core.buckets.bounds(),
            counts: &scratch.counts,
            sum,
            created: Some(self.core.created.get()),
            exemplars: &scratch.exemplars,
            native,
        })
    }
}

/// Bounds lists up to this long are scanned rather than binary-searched.
const MAX_SCANNED_BOUNDS: usize = 32;
/// The scan compares this many bounds at a time (two SSE2 registers' worth).
const SCAN_LANES: usize = 4;

/// The bounds to scan: `bounds` padded with `+Inf` to whole groups of [`SCAN_LANES`], or
/// nothing when there are too many to scan.
fn scan_bounds(bounds: &[f64]) -> Box<[f64]> {
    if bounds.len() > MAX_SCANNED_BOUNDS {
        return Box::default();
    }
    let padded = bounds.len().div_ceil(SCAN_LANES) * SCAN_LANES;
    let mut scan = bounds.to_vec();
    scan.resize(padded, f64::INFINITY);
    scan.into_boxed_slice()
}

/// The bucket `value` falls in: the number of bounds below it (all of them for NaN, which
/// counts in `+Inf`). Short bound lists are scanned in fixed groups without a branch,
/// which beats a binary search's mispredictions; long ones are searched.
#[inline]
fn bucket_index(scan: &[f64], bounds: &[f64], value: f64) -> usize {
    if bounds.len() <= MAX_SCANNED_BOUNDS {
        // NaN counts where +Inf does; the `+Inf` padding never counts.
        let probe = if value.is_nan() { f64::INFINITY } else { value };
        scan.chunks_exact(SCAN_LANES)
            .map(|group| {
                group
                    .iter()
                    .map(|&bound| usize::from(bound < probe))
                    .sum::<usize>()
            })
            .sum()
    } else if value.is_nan() {
        bounds.len()
    } else {
        bounds.partition_point(|&bound| bound < value)
    }
}

/// Observes the seconds elapsed since [`Histogram::start_timer`] when dropped, unless
/// [`discard`](Self::discard)ed.
#[derive(Debug)]
#[must_use = "the timer observes when dropped; dropping it at once records ~0 seconds"]
pub struct HistogramTimer<'a> {
    histogram: &'a Histogram,
    start: Stopwatch,
    armed: bool,
}

impl HistogramTimer<'_> {
    /// Observes the elapsed time now and returns it in seconds.
    pub fn observe(mut self) -> f64 {
        self.armed = false;
        let elapsed = self.start.elapsed_seconds();
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
            self.histogram.observe(self.start.elapsed_seconds());
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(all(test, loom))]
mod loom_models;
