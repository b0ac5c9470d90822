//! The lock-free counts of a native histogram and the rare, serialized changes to them.
//!
//! Observers never lock. As in Go's client, two copies of the counts alternate: one
//! "hot" copy takes observations, and a single word holds both the index of the hot copy
//! and the number of observations started. A scrape (or a change of resolution) flips the
//! hot index, waits until every observation started on the old copy has finished, reads
//! that quiescent copy — a consistent snapshot — and folds it into the new hot copy.
//!
//! Unlike Go's client, a copy keeps no count of finished observations: an observation's
//! last write is the one count it adds to (its bucket, the zero bucket, or the
//! unbucketed count for NaN), with `Release`, so the bucket counts of a copy add up to
//! its finished observations, and a scrape waits until they add up to the number
//! started. An observation then costs three atomic read-modify-writes (start, sum,
//! bucket) where Go's client makes four (start, bucket, sum, finished). (The sum next
//! to the started count, in one 128-bit word changed by `cmpxchg16b`, would save one
//! more; measured, that compare-and-swap costs more than the two it replaces.)

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::NativeBuckets;
use super::index::{MAX_SCHEMA, MIN_SCHEMA, bucket_key, upper_bound};
use super::sparse::{Added, SparseBuckets};
use crate::atomic::AtomicF64;
use crate::snapshot::{NativeScratch, NativeSnapshot};
use crate::sync::{AtomicI32, AtomicU64, AtomicUsize, Mutex, wait_a_little};

/// One copy of the counts.
const HOT_BIT: u64 = 1 << 63;
const COUNT_MASK: u64 = HOT_BIT - 1;

#[derive(Debug)]
struct Counts {
    schema: AtomicI32,
    zero_threshold: AtomicF64,
    sum: AtomicF64,
    zero: AtomicU64,
    /// Observations without a bucket: NaN, or a value that found every slot taken.
    unbucketed: AtomicU64,
    positive: SparseBuckets,
    negative: SparseBuckets,
    /// Distinct buckets in this copy, both signs.
    buckets: AtomicUsize,
}

impl Counts {
    fn new(config: &NativeBuckets) -> Self {
        // Room beyond the limit, so that the observation that crosses it still finds a
        // slot while the resolution is being reduced.
        let capacity = config.max_buckets + config.max_buckets / 2 + 8;
        Self {
            schema: AtomicI32::new(config.schema),
            zero_threshold: AtomicF64::new(config.zero_threshold),
            sum: AtomicF64::new(0.0),
            zero: AtomicU64::new(0),
            unbucketed: AtomicU64::new(0),
            positive: SparseBuckets::with_capacity(capacity),
            negative: SparseBuckets::with_capacity(capacity),
            buckets: AtomicUsize::new(0),
        }
    }

    /// Counts `value`: its share of the sum first, then, as the observation's last
    /// write (`Release`), its bucket — so that a scrape that finds the bucket counts
    /// complete ([`finished`](Self::finished)) sees the sum too. Returns whether a new
    /// bucket was created.
    #[inline]
    fn observe(&self, value: f64) -> bool {
        self.sum.add(value);
        if value.is_nan() {
            self.unbucketed.fetch_add(1, Ordering::Release);
            return false;
        }
        if value.abs() <= self.zero_threshold.get() {
            self.zero.fetch_add(1, Ordering::Release);
            return false;
        }
        let key = bucket_key(value, self.schema.load(Ordering::Relaxed));
        let side = if value > 0.0 {
            &self.positive
        } else {
            &self.negative
        };
        // A new bucket is counted among the copy's buckets before the observation
        // finishes, so never in a copy that a scrape has already cleared.
        let added = side.add_then(key, 1, |_| {
            self.buckets.fetch_add(1, Ordering::Relaxed);
        });
        match added {
            Added::Created => true,
            Added::Existing => false,
            Added::Full => {
                self.unbucketed.fetch_add(1, Ordering::Release);
                false
            }
        }
    }

    /// The observations finished in (or folded into) this copy: its bucket counts added
    /// up (`Acquire`, pairing with each observation's last write).
    fn finished(&self) -> u64 {
        self.zero
            .load(Ordering::Acquire)
            .wrapping_add(self.unbucketed.load(Ordering::Acquire))
            .wrapping_add(self.positive.total())
            .wrapping_add(self.negative.total())
    }

    /// Adds a folded count to bucket `key` (no slot left: to the unbucketed count).
    fn add(&self, side: &SparseBuckets, key: i32, amount: u64) {
        let added = side.add_then(key, amount, |_| {
            self.buckets.fetch_add(1, Ordering::Relaxed);
        });
        if added == Added::Full {
            self.unbucketed.fetch_add(amount, Ordering::Release);
        }
    }

    fn clear(&self, config: (i32, f64)) {
        self.schema.store(config.0, Ordering::Relaxed);
        self.zero_threshold.set(config.1);
        self.sum.set(0.0);
        self.zero.store(0, Ordering::Relaxed);
        self.unbucketed.store(0, Ordering::Relaxed);
        self.positive.clear();
        self.negative.clear();
        self.buckets.store(0, Ordering::Relaxed);
    }
}

/// The native part of a histogram.
#[derive(Debug)]
pub(crate) struct NativeCounts {
    config: NativeBuckets,
    count_and_hot: AtomicU64,
    copies: [Counts; 2],
    /// Serializes scrapes and resolution changes; observers never take it.
    writer: Mutex<Instant>,
    /// Whether a reset may discard the counts (only when nothing else, such as classic
    /// buckets, would be left inconsistent by it).
    may_reset: bool,
}

impl NativeCounts {
    pub(crate) fn new(config: NativeBuckets, may_reset: bool) -> Self {
        Self {
            copies: [Counts::new(&config), Counts::new(&config)],
            config,
            count_and_hot: AtomicU64::new(0),
            writer: Mutex::new(Instant::now()),
            may_reset,
        }
    }

    /// Records one observation; lock-free.
    #[inline]
    pub(crate) fn observe(&self, value: f64) {
        self.observe_then(value, || {});
    }

    /// Records one observation, doing `between` after it has started and before it
    /// finishes: a scrape that flips the copies after `between` ran waits for this
    /// observation (a histogram counts its classic bucket there).
    #[inline]
    pub(crate) fn observe_then(&self, value: f64, between: impl FnOnce()) {
        let started = self.count_and_hot.fetch_add(1, Ordering::AcqRel);
        between();
        let copy = &self.copies[usize::from(started & HOT_BIT != 0)];
        if copy.observe(value) && copy.buckets.load(Ordering::Relaxed) > self.config.max_buckets {
            self.limit_buckets();
        }
    }

    /// The observations started so far (a scrape counts exactly the finished ones).
    pub(crate) fn count(&self) -> u64 {
        self.count_and_hot.load(Ordering::Acquire) & COUNT_MASK
    }

    /// The sum of the observations so far, both copies added up (a scrape reads it
    /// consistently with the count).
    pub(crate) fn sum(&self) -> f64 {
        self.copies[0].sum.get() + self.copies[1].sum.get()
    }

    /// Flips the hot copy and waits until the old one is quiescent; returns the number
    /// of observations started so far and the index of the now-cold copy.
    fn flip(&self) -> (u64, usize) {
        let previous = self.count_and_hot.fetch_add(HOT_BIT, Ordering::AcqRel);
        let cold = usize::from(previous & HOT_BIT != 0);
        let count = previous & COUNT_MASK;
        let mut spins = 0u32;
        while self.copies[cold].finished() != count {
            wait_a_little(&mut spins);
        }
        (count, cold)
    }

    /// Folds the quiescent copy `from` into the hot copy, rekeying buckets with `rekey`
    /// (and moving those it maps to `None` into the zero bucket), then clears `from`.
    /// `buckets` holds the quiescent copy's buckets, as [`collect`](Self::collect) read
    /// them.
    fn fold(&self, from: usize, buckets: &NativeScratch, rekey: impl Fn(i32) -> Option<i32>) {
        let (source, target) = (&self.copies[from], &self.copies[1 - from]);
        let mut zero = source.zero.load(Ordering::Relaxed);
        for (side, buckets) in [
            (&target.positive, &buckets.positive),
            (&target.negative, &buckets.negative),
        ] {
            for &(key, count) in buckets {
                match rekey(key) {
                    Some(key) => {
                        target.add(side, key, count);
                    }
                    None => zero += count,
                }
            }
        }
        target.sum.add(source.sum.get());
        target.zero.fetch_add(zero, Ordering::Release);
        target
            .unbucketed
            .fetch_add(source.unbucketed.load(Ordering::Relaxed), Ordering::Release);
        source.clear((
            target.schema.load(Ordering::Relaxed),
            target.zero_threshold.get(),
        ));
    }

    /// Reads copy `index`'s buckets into `scratch` (replacing what it held).
    fn collect(&self, index: usize, scratch: &mut NativeScratch) {
        scratch.positive.clear();
        scratch.negative.clear();
        self.copies[index]
            .positive
            .collect_sorted(&mut scratch.positive);
        self.copies[index]
            .negative
            .collect_sorted(&mut scratch.negative);
    }

    /// Reads a consistent snapshot; `scratch` is reused from scrape to scrape, so this
    /// allocates nothing once it has grown.
    pub(crate) fn snapshot<'a>(&self, scratch: &'a mut NativeScratch) -> NativeSnapshot<'a> {
        let mut writer = self.writer.lock();
        // A limit crossed while another scrape held the lock (whose observer could not
        // reduce the resolution then) is enforced before reading...
        self.enforce_limit(&mut writer);
        let (count, cold) = self.flip();
        let copy = &self.copies[cold];
        self.collect(cold, scratch);
        let snapshot = (
            copy.schema.load(Ordering::Relaxed),
            copy.zero_threshold.get(),
            copy.zero.load(Ordering::Relaxed),
            copy.sum.get(),
        );
        self.fold(cold, scratch, Some);
        // ...and so is one that the fold crossed (observations since the flip made new
        // buckets in the nearly empty hot copy without seeing the old copy's).
        self.enforce_limit(&mut writer);
        NativeSnapshot {
            schema: snapshot.0,
            zero_threshold: snapshot.1,
            zero_count: snapshot.2,
            count,
            sum: snapshot.3,
            positive: &scratch.positive,
            negative: &scratch.negative,
        }
    }

    /// Zeroes every count.
    pub(crate) fn reset(&self) {
        let mut last_reset = self.writer.lock();
        self.reset_locked();
        *last_reset = Instant::now();
    }

    /// Makes the (empty, quiescent) cold copy the hot one with a zero count, waits for
    /// the old hot copy to finish, and discards it. The caller holds `writer`.
    fn reset_locked(&self) {
        let config = (self.config.schema, self.config.zero_threshold);
        let cold = usize::from(self.count_and_hot.load(Ordering::Acquire) & HOT_BIT == 0);
        self.copies[cold].clear(config);
        let previous = self
            .count_and_hot
            .swap(if cold == 1 { HOT_BIT } else { 0 }, Ordering::AcqRel);
        let old = usize::from(previous & HOT_BIT != 0);
        let mut spins = 0u32;
        while self.copies[old].finished() != previous & COUNT_MASK {
            wait_a_little(&mut spins);
        }
        self.copies[old].clear(config);
    }

    /// The bucket limit was crossed by an observation: enforce it, unless the writer
    /// lock is busy (a scrape then enforces it before and after reading).
    #[cold]
    fn limit_buckets(&self) {
        if let Some(mut last_reset) = self.writer.try_lock() {
            self.enforce_limit(&mut last_reset);
        }
    }

    /// Brings the hot copy within the bucket limit, one step at a time (the caller holds
    /// `writer`, whose value is the time of the last reset).
    fn enforce_limit(&self, last_reset: &mut Instant) {
        // Each step halves the resolution or widens the zero bucket; the schema can fall
        // this many times at most.
        let most_steps = usize::try_from(MAX_SCHEMA - MIN_SCHEMA + 2).unwrap_or(16);
        for _ in 0..most_steps {
            if !self.reduce_once(last_reset) {
                return;
            }
        }
    }

    /// One step of Go's strategy when the hot copy holds more buckets than the limit:
    /// reset (if allowed and due), else widen the zero bucket (if allowed), else halve
    /// the resolution. Returns whether a step that may need a successor was taken.
    fn reduce_once(&self, last_reset: &mut Instant) -> bool {
        let hot = usize::from(self.count_and_hot.load(Ordering::Acquire) & HOT_BIT != 0);
        if self.copies[hot].buckets.load(Ordering::Relaxed) <= self.config.max_buckets {
            return false;
        }
        let min_reset = self.config.min_reset_duration;
        if self.may_reset && !min_reset.is_zero() && last_reset.elapsed() >= min_reset {
            self.reset_locked();
            *last_reset = Instant::now();
            return false;
        }
        let (schema, threshold) = (
            self.copies[hot].schema.load(Ordering::Relaxed),
            self.copies[hot].zero_threshold.get(),
        );
        let cold = 1 - hot;
        // The smallest key (nearest zero, either sign) bounds the widened zero bucket.
        let mut lowest = Vec::new();
        self.copies[hot].positive.collect_sorted(&mut lowest);
        self.copies[hot].negative.collect_sorted(&mut lowest);
        let smallest = lowest.iter().map(|(key, _)| *key).min();
        let widened = smallest
            .map(|key| upper_bound(key, schema))
            .filter(|bound| *bound > threshold && *bound <= self.config.max_zero_threshold);
        if let (Some(new_threshold), Some(smallest)) = (widened, smallest) {
            self.copies[cold].zero_threshold.set(new_threshold);
            let (_, old) = self.flip();
            let mut buckets = NativeScratch::default();
            self.collect(old, &mut buckets);
            self.fold(old, &buckets, |key| (key > smallest).then_some(key));
            true
        } else if schema > MIN_SCHEMA {
            self.copies[cold]
                .schema
                .store(schema - 1, Ordering::Relaxed);
            let (_, old) = self.flip();
            let mut buckets = NativeScratch::default();
            self.collect(old, &mut buckets);
            self.fold(old, &buckets, |key| Some((key + 1) >> 1));
            true
        } else {
            false
        }
    }

    /// The configured (initial) schema.
    #[cfg(test)]
    pub(crate) fn initial_schema(&self) -> i32 {
        self.config.schema
    }
}

#[cfg(test)]
mod tests;

#[cfg(all(test, loom))]
mod loom_models;
