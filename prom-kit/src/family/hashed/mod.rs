//! [`Family`]: series keyed by string label values, in hash-sharded tables — its API
//! and the per-thread cache in front of the tables here, the tables in [`index`], the
//! cardinality limit in [`cardinality`].

mod cardinality;
mod expire;
mod index;

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use cardinality::OverflowSlot;
use index::Shard;

use super::cache::{
    ByAddress, ByBytes, ByContent, CacheKey, ThreadCache, ValueKey, packed_tag, thread_cache,
};
use super::expiry::Expiry;
use super::{FamilyBuilder, Visit};
use crate::atomic::CachePadded;
use crate::error::{Error, ErrorKind, Result};
use crate::labels::render::{hash_values, rendered_values};
use crate::labels::{LabelValues, LabelVisitor, OVERFLOW_LABEL_VALUE, check_arity};
use crate::metrics::Metric;
use crate::sync::{AtomicU64, AtomicUsize, RwLock};

/// A family of metrics of type `M`, one per combination of label values.
///
/// Label names are fixed at creation; each lookup passes the values in the same order.
/// Three ways to reach a series, fastest last:
/// - [`labels`](Self::labels) returns a clone of the child handle (keep it when the same
///   series is updated often);
/// - [`with`](Self::with) lends the child to a closure;
/// - [`with_static`](Self::with_static) does the same for `&'static str` values.
///
/// Each thread keeps a small cache of its recent lookups, so repeating one costs no lock
/// and no reference count (see [`with`](Self::with)); the first lookup on a thread, or
/// one with strings made anew for the call, takes a shard's read lock for the length of a
/// hash probe. No lookup of an existing series allocates (except a thread's very first
/// lookup, which sets up its cache), and none leaves a guard with the caller.
///
/// Series appear in the exposition in creation order (per shard), which is stable from
/// one scrape to the next.
///
/// ```
/// use prom_kit::{Counter, Family, Registry};
///
/// let registry = Registry::new();
/// let requests: Family<Counter> = Family::new(["method", "status"])?;
/// registry.register("http_requests", "Requests by method and status.", requests.clone())?;
/// requests.labels(&["GET", "200"])?.inc();
/// let method = String::from("POST");
/// requests.labels(&[method.as_str(), "500"])?.inc_by(2);
/// assert_eq!(requests.labels(&["GET"]).unwrap_err().kind(), prom_kit::ErrorKind::LabelCount);
/// assert_eq!(requests.len(), 2);
/// # Ok::<(), prom_kit::Error>(())
/// ```
pub struct Family<M: Metric> {
    inner: Arc<Inner<M>>,
}

struct Inner<M: Metric> {
    label_names: Box<[Box<str>]>,
    options: M::Options,
    max_series: Option<usize>,
    hasher: foldhash::fast::RandomState,
    shards: Box<[CachePadded<RwLock<Shard<M>>>]>,
    len: AtomicUsize,
    /// Bumped by every removal; per-thread cache entries from older generations are void.
    generation: AtomicU64,
    /// Tells this family's entries in the per-thread caches from other families'.
    id: u64,
    /// Mixed into the cache tags so that families spread over the cache differently.
    tag_salt: u64,
    /// The series that count toward `max_series`: all but the overflow series.
    counted: AtomicUsize,
    /// The overflow series of a family with `max_series`, once it exists.
    overflow: OverflowSlot<M>,
    /// The hash of the overflow series' label values.
    overflow_hash: u64,
    /// Set by [`FamilyBuilder::expire_after`].
    expiry: Option<Expiry>,
}

/// Gives every family its own id for the per-thread lookup caches.
static NEXT_FAMILY_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl<M: Metric> Clone for Family<M> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<M: Metric> fmt::Debug for Family<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("label_names", &self.inner.label_names)
            .field("series", &self.len())
            .finish_non_exhaustive()
    }
}

impl<M: Metric> Family<M> {
    /// Creates a family with the given label names, default child options and the
    /// default series limit, [`DEFAULT_MAX_SERIES`](crate::family::DEFAULT_MAX_SERIES)
    /// (see [`FamilyBuilder::max_series`]).
    ///
    /// # Errors
    ///
    /// See [`FamilyBuilder::build`].
    pub fn new<S: Into<Box<str>>>(label_names: impl IntoIterator<Item = S>) -> Result<Self> {
        Self::builder(label_names).build()
    }

    /// Starts configuring a family (child options, cardinality guard).
    pub fn builder<S: Into<Box<str>>>(
        label_names: impl IntoIterator<Item = S>,
    ) -> FamilyBuilder<M> {
        FamilyBuilder::new(label_names)
    }

    pub(crate) fn from_parts(
        label_names: Box<[Box<str>]>,
        options: M::Options,
        max_series: Option<usize>,
        expiry: Option<Expiry>,
    ) -> Self {
        let id = NEXT_FAMILY_ID.fetch_add(1, Ordering::Relaxed);
        let shards = (0..super::shard_count())
            .map(|_| CachePadded(RwLock::new(Shard::new())))
            .collect();
        let hasher = foldhash::fast::RandomState::default();
        let overflow_hash = hash_values(&hasher, &vec![OVERFLOW_LABEL_VALUE; label_names.len()]);
        Self {
            inner: Arc::new(Inner {
                label_names,
                options,
                max_series,
                hasher,
                shards,
                len: AtomicUsize::new(0),
                generation: AtomicU64::new(0),
                id,
                // Even, so that tags keep their low bit set (never the empty tag).
                tag_salt: id.wrapping_mul(0x2545_f491_4f6c_dd1d) & !1,
                counted: AtomicUsize::new(0),
                overflow: OverflowSlot::new(),
                overflow_hash,
                expiry,
            }),
        }
    }

    /// The child for `values`, created on first use.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) if the number of values is
    /// not the number of label names.
    #[inline]
    pub fn labels<V: LabelValues + ?Sized>(&self, values: &V) -> Result<M> {
        self.with(values, M::clone)
    }

    /// Calls `f` with the child for `values` (created on first use) and returns its
    /// result: the fastest string-keyed path, as it needs no handle of its own.
    ///
    /// Each thread remembers its recent lookups (128 entries across all families, values
    /// up to 48 bytes in all) found by the strings' addresses, so passing the same strings
    /// again (`&'static str` constants, interned or long-lived `String`s) costs a
    /// comparison of the values — no hash, no lock, no reference count. Strings built
    /// anew for each call take the shared tables as [`labels`](Self::labels) does.
    /// Removing series invalidates every thread's entries for the family.
    ///
    /// ```
    /// use prom_kit::{Counter, Family};
    ///
    /// let requests: Family<Counter> = Family::new(["method", "status"])?;
    /// requests.with(&["GET", "200"], |c| c.inc())?;
    /// let total = requests.with(&["GET", "200"], |c| {
    ///     c.inc_by(2);
    ///     c.get()
    /// })?;
    /// assert_eq!(total, 3.0);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) as for
    /// [`labels`](Self::labels).
    // Measured: left to the compiler this is called out of line, and a cached lookup
    // costs 2–3 ns more.
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, this is called out of line on the hot path"
    )]
    #[inline(always)]
    pub fn with<V: LabelValues + ?Sized, R>(
        &self,
        values: &V,
        f: impl FnOnce(&M) -> R,
    ) -> Result<R> {
        self.lookup(&ByBytes(values), f)
    }

    /// [`with`](Self::with) for `&'static str` values — constants, or strings made
    /// `'static` once with [`intern`](crate::labels::intern) — the fastest string-keyed
    /// lookup: such text can never change, so a cached entry is confirmed by the strings'
    /// addresses and lengths alone, without comparing their bytes.
    ///
    /// ```
    /// use prom_kit::{Counter, Family};
    ///
    /// const METHODS: [&str; 2] = ["GET", "POST"];
    /// let requests: Family<Counter> = Family::new(["method", "status"])?;
    /// for i in 0..10 {
    ///     requests.with_static(&[METHODS[i % 2], "200"], |c| c.inc())?;
    /// }
    /// assert_eq!(requests.with(&["POST", "200"], |c| c.get())?, 5.0);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) as for
    /// [`labels`](Self::labels).
    // Measured: left to the compiler this is called out of line, and a cached lookup
    // costs 2–3 ns more.
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, this is called out of line on the hot path"
    )]
    #[inline(always)]
    pub fn with_static<R>(&self, values: &[&'static str], f: impl FnOnce(&M) -> R) -> Result<R> {
        self.lookup(&ByAddress(values), f)
    }

    /// [`with`](Self::with) for values a typed label set gives, one per label name by
    /// construction: no `Result`. Should a hand-written label set give another number of
    /// values, `f` gets the overflow series rather than a panic or an error.
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, this is called out of line on the hot path"
    )]
    #[inline(always)]
    pub(crate) fn with_label_set_values<V: LabelValues + ?Sized, R>(
        &self,
        values: &V,
        f: impl FnOnce(&M) -> R,
    ) -> R {
        if values.label_count() == self.inner.label_names.len() {
            self.lookup_unchecked(&ByContent(values), f)
        } else {
            f(&self.overflow())
        }
    }

    /// [`with_label_set_values`](Self::with_label_set_values) for a label set that packs
    /// into one number ([`LabelSet::packed`](crate::labels::LabelSet::packed)): a cached
    /// entry is found and confirmed by that number, and `labels` are visited (their
    /// integers formatted) only on a miss.
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, this is called out of line on the hot path"
    )]
    #[inline(always)]
    pub(crate) fn with_packed<L: crate::labels::LabelSet, R>(
        &self,
        packed: u64,
        labels: &L,
        f: impl FnOnce(&M) -> R,
    ) -> R {
        let inner = &*self.inner;
        let tag = packed_tag(packed) ^ inner.tag_salt;
        // Read before the lookup, as in `lookup_unchecked`.
        let generation = inner.generation.load(Ordering::Acquire);
        let cache = thread_cache();
        if let Some(Ok(cache)) = cache.as_deref().map(RefCell::try_borrow) {
            let cached =
                cache.get_matching(inner.id, tag, generation, |stored| stored.is_packed(packed));
            if let Some(metric) = cached.and_then(M::from_any) {
                return f(metric);
            }
        }
        labels.visit_values(PackedMiss {
            family: self,
            packed,
            tag,
            generation,
            cache,
            f,
        })
    }

    /// [`with`](Self::with) and [`with_static`](Self::with_static): the arity check,
    /// then the lookup.
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, this is called out of line on the hot path"
    )]
    #[inline(always)]
    fn lookup<K: CacheKey, R>(&self, key: &K, f: impl FnOnce(&M) -> R) -> Result<R> {
        check_arity(&self.inner.label_names, key.values())?;
        Ok(self.lookup_unchecked(key, f))
    }

    /// The per-thread cache, then the shared tables, for values of the right number.
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, this is called out of line on the hot path"
    )]
    #[inline(always)]
    fn lookup_unchecked<K: CacheKey, R>(&self, key: &K, f: impl FnOnce(&M) -> R) -> R {
        let inner = &*self.inner;
        let values = key.values();
        let tag = key.tag() ^ inner.tag_salt;
        // Read before the lookup, so an entry filled from a table that a concurrent
        // removal has since changed carries the older generation.
        let generation = inner.generation.load(Ordering::Acquire);
        let cache = thread_cache();
        if let Some(Ok(cache)) = cache.as_deref().map(RefCell::try_borrow) {
            let cached = cache.get(inner.id, tag, generation, key);
            if let Some(metric) = cached.and_then(M::from_any) {
                return f(metric);
            }
        }
        self.lookup_shared(
            values,
            tag,
            generation,
            cache.as_ref(),
            || key.to_stored(),
            f,
        )
    }

    /// The shared tables' lookup after a cache miss: the series found or made, then
    /// remembered in this thread's cache under `tag` with what `stored` keeps of its
    /// values (unless the answer is the overflow series, which is not theirs).
    #[inline]
    fn lookup_shared<V: LabelValues + ?Sized, R>(
        &self,
        values: &V,
        tag: u64,
        generation: u64,
        cache: Option<&ThreadCache>,
        stored: impl FnOnce() -> Option<ValueKey>,
        f: impl FnOnce(&M) -> R,
    ) -> R {
        let inner = &*self.inner;
        let (metric, own) = self.get_or_create(hash_values(&inner.hasher, values), values);
        // Busy only when `f` of an enclosing call looks a family up again.
        if let (true, Some(Ok(mut cache))) = (own, cache.map(|cache| cache.try_borrow_mut())) {
            cache.put_stored(inner.id, tag, generation, stored(), metric.to_any());
        }
        f(&metric)
    }

    /// The child for `values` if it exists.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) as for
    /// [`labels`](Self::labels).
    pub fn get<V: LabelValues + ?Sized>(&self, values: &V) -> Result<Option<M>> {
        check_arity(&self.inner.label_names, values)?;
        let hash = hash_values(&self.inner.hasher, values);
        Ok(self.find(hash, values))
    }

    /// Removes the series for `values`; returns whether it existed. Handles to it that
    /// callers still hold keep working but are no longer exposed; a later lookup creates a
    /// fresh series.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) as for
    /// [`labels`](Self::labels).
    pub fn remove<V: LabelValues + ?Sized>(&self, values: &V) -> Result<bool> {
        check_arity(&self.inner.label_names, values)?;
        let hash = hash_values(&self.inner.hasher, values);
        Ok(self.remove_series(hash, values))
    }

    /// Removes every series whose labels include all of `pairs` (Go's
    /// `DeletePartialMatch`); returns how many were removed. As with
    /// [`remove`](Self::remove), handles callers still hold keep working unexposed, and
    /// no thread's lookup cache answers with a removed series.
    ///
    /// ```
    /// use prom_kit::{Counter, Family};
    ///
    /// let requests: Family<Counter> = Family::new(["tenant", "route"])?;
    /// for (tenant, route) in [("acme", "/a"), ("acme", "/b"), ("globex", "/a")] {
    ///     requests.labels(&[tenant, route])?.inc();
    /// }
    /// assert_eq!(requests.remove_matching(&[("tenant", "acme")])?, 2);
    /// assert_eq!(requests.len(), 1);
    /// assert_eq!(requests.remove_matching(&[("tenant", "globex"), ("route", "/b")])?, 0);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidLabelName`](crate::ErrorKind::InvalidLabelName) for a name
    /// that is not one of the family's labels (a typo would otherwise match nothing,
    /// silently), [`ErrorKind::InvalidValue`](crate::ErrorKind::InvalidValue) for no pairs
    /// at all (use [`clear`](Self::clear) to remove everything).
    pub fn remove_matching(&self, pairs: &[(&str, &str)]) -> Result<usize> {
        if pairs.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "no label pairs to match; clear() removes every series",
            ));
        }
        let names = &self.inner.label_names;
        let positions = pairs
            .iter()
            .map(|(name, value)| {
                names
                    .iter()
                    .position(|n| &**n == *name)
                    .map(|i| (i, *value))
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::InvalidLabelName,
                            format!(
                                "{name:?} is not a label of the family (its labels: {})",
                                names.join(", ")
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self.retain(|values| positions.iter().any(|(i, value)| values[*i] != *value)))
    }

    /// Keeps the series for whose label values (in label-name order, unescaped) `keep`
    /// returns `true` and removes the others; returns how many were removed. The series
    /// are read shard by shard, then removed one by one as by [`remove`](Self::remove),
    /// so lookups and scrapes go on meanwhile; a series created during the call may or
    /// may not be seen.
    ///
    /// ```
    /// use prom_kit::{Counter, Family};
    ///
    /// let jobs: Family<Counter> = Family::new(["queue"])?;
    /// for queue in ["mail", "mail-retry", "billing"] {
    ///     jobs.labels(&[queue])?.inc();
    /// }
    /// assert_eq!(jobs.retain(|values| !values[0].starts_with("mail")), 2);
    /// assert_eq!(jobs.len(), 1);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&[&str]) -> bool) -> usize {
        // Copied out first: `keep` is the caller's code and runs with no lock held (it
        // may look this family up).
        let mut texts: Vec<Box<str>> = Vec::with_capacity(self.len());
        self.for_each_series(|labels, _| texts.push(labels.into()));
        let doomed: Vec<Vec<String>> = texts
            .iter()
            .map(|labels| rendered_values(labels))
            .filter(|values| {
                let borrowed: Vec<&str> = values.iter().map(String::as_str).collect();
                !keep(&borrowed)
            })
            .collect();
        doomed
            .iter()
            .filter(|values| {
                let hash = hash_values(&self.inner.hasher, values.as_slice());
                self.remove_series(hash, values.as_slice())
            })
            .count()
    }

    /// Removes every series.
    pub fn clear(&self) {
        let overflow_shard = self.shard_index(self.inner.overflow_hash);
        for (i, shard) in self.inner.shards.iter().enumerate() {
            let mut shard = shard.write();
            // As in `remove`: invalidate cached entries before the shard changes.
            self.inner.generation.fetch_add(1, Ordering::Release);
            let overflow_removed = i == overflow_shard && self.inner.overflow.clear();
            let removed = shard.series.len();
            shard.series.clear();
            // Emptied tables give their room back, as after a churn.
            shard.index = index::HashTable::new();
            shard.watches = Vec::new();
            self.inner.len.fetch_sub(removed, Ordering::Relaxed);
            let counted = removed - usize::from(overflow_removed);
            self.inner.counted.fetch_sub(counted, Ordering::Relaxed);
        }
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.inner.len.load(Ordering::Relaxed)
    }

    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The label names.
    pub fn label_names(&self) -> &[Box<str>] {
        &self.inner.label_names
    }

    /// What each child is created from.
    pub(crate) fn options(&self) -> &M::Options {
        &self.inner.options
    }

    /// Calls `visit` with each series' rendered label text and metric, hidden ones
    /// included, shard by shard, holding one shard's read lock at a time.
    pub(crate) fn for_each_series(&self, mut visit: impl FnMut(&str, &M)) {
        for shard in &self.inner.shards {
            let shard = shard.read();
            for (labels, metric) in shard.series.iter() {
                visit(labels, metric);
            }
        }
    }

    /// As [`for_each_series`](Self::for_each_series), for the series a scrape exposes:
    /// all of them but those the last sweep hid as idle; after each shard, with its
    /// lock released, `visit` is told so (a streamed scrape drains its output there).
    pub(crate) fn for_each_exposed(&self, mut visit: impl FnMut(Visit<'_, M>)) {
        for shard in &self.inner.shards {
            {
                let shard = shard.read();
                let watches = &shard.watches;
                shard.series.for_each_warmed(|position, labels, metric| {
                    if !watches.get(position).is_some_and(|watch| watch.is_hidden()) {
                        visit(Visit::Series(labels, metric));
                    }
                });
            }
            visit(Visit::ShardDone);
        }
    }
}

/// The shared-table lookup of a packed label set that missed the per-thread cache:
/// its values visited, its series found or created, and the entry remembered under the
/// packed number.
struct PackedMiss<'a, M: Metric, F> {
    family: &'a Family<M>,
    packed: u64,
    tag: u64,
    generation: u64,
    cache: Option<ThreadCache>,
    f: F,
}

impl<M: Metric, R, F: FnOnce(&M) -> R> LabelVisitor<R> for PackedMiss<'_, M, F> {
    fn visit<V: LabelValues + ?Sized>(self, values: &V) -> R {
        let family = self.family;
        if values.label_count() != family.inner.label_names.len() {
            return (self.f)(&family.overflow());
        }
        let packed = self.packed;
        family.lookup_shared(
            values,
            self.tag,
            self.generation,
            self.cache.as_ref(),
            || Some(ValueKey::Packed(packed)),
            self.f,
        )
    }
}

#[cfg(test)]
mod tests;

#[cfg(all(test, loom))]
mod loom_models;
