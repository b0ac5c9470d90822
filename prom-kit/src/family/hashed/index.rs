//! The sharded hash index of a [`Family`]: each shard keeps its series in creation
//! order and a hash table of their positions; finding, inserting and removing a series
//! (with the position of the series moved into the gap repointed) happen here.

use std::sync::atomic::Ordering;

pub(super) use hashbrown::HashTable;

use super::Family;
use crate::family::expiry::Watch;
use crate::family::store::SeriesStore;
use crate::labels::LabelValues;
use crate::labels::is_overflow_values;
use crate::labels::render::{hash_rendered, render_series, series_matches};
use crate::metrics::Metric;
use crate::sync::RwLock;

/// One shard: series in creation order, and a hash index into them.
pub(super) struct Shard<M> {
    pub(super) series: SeriesStore<M>,
    pub(super) index: HashTable<u32>,
    /// In a family with expiry, what the sweeps know of each series, by position;
    /// otherwise empty.
    pub(super) watches: Vec<Watch>,
}

impl<M> Shard<M> {
    /// An empty shard.
    pub(super) fn new() -> Self {
        Self {
            series: SeriesStore::default(),
            index: HashTable::new(),
            watches: Vec::new(),
        }
    }
}

impl<M: Metric> Family<M> {
    /// The shard holding the series whose values hash to `hash`.
    pub(super) fn shard(&self, hash: u64) -> &RwLock<Shard<M>> {
        &self.inner.shards[self.shard_index(hash)]
    }

    /// The position of that shard.
    pub(super) fn shard_index(&self, hash: u64) -> usize {
        // hashbrown picks buckets from the low bits and tags from the top 7; shard by
        // the bits in between.
        (hash >> 32) as usize & (self.inner.shards.len() - 1)
    }

    /// The series for `values` (hashing to `hash`), if it exists: one read lock.
    pub(super) fn find<V: LabelValues + ?Sized>(&self, hash: u64, values: &V) -> Option<M> {
        let shard = self.shard(hash).read();
        let names = &self.inner.label_names;
        shard
            .index
            .find(hash, |&i| {
                shard
                    .series
                    .get(i as usize)
                    .is_some_and(|(labels, _)| series_matches(labels, names, values))
            })
            .and_then(|&i| shard.series.get(i as usize))
            .map(|(_, metric)| metric.clone())
    }

    /// The series for `values`, and whether it is theirs rather than the overflow
    /// series (which must not be remembered as theirs: a removal may make room).
    pub(super) fn get_or_create<V: LabelValues + ?Sized>(
        &self,
        hash: u64,
        values: &V,
    ) -> (M, bool) {
        if let Some(metric) = self.find(hash, values) {
            return (metric, true);
        }
        // A full family answers new combinations without rendering their labels or
        // taking a write lock: a client that controls a label value must not turn every
        // request into the slow path.
        if self.is_full() {
            return (self.overflow(), false);
        }
        match self.insert(hash, values, true) {
            Some(metric) => (metric, true),
            None => (self.overflow(), false),
        }
    }

    /// Finds or creates the series for `values` under the shard's write lock; `None` if
    /// it does not exist and `enforce_limit` finds the family full. The overflow series
    /// (asked for without `enforce_limit`, or by its values) is recorded as such and does
    /// not count toward the limit.
    pub(super) fn insert<V: LabelValues + ?Sized>(
        &self,
        hash: u64,
        values: &V,
        enforce_limit: bool,
    ) -> Option<M> {
        let is_overflow = !enforce_limit || is_overflow_values(values);
        let names = &self.inner.label_names;
        let labels = render_series(names, values);
        let mut guard = self.shard(hash).write();
        let Shard {
            series,
            index,
            watches,
        } = &mut *guard;
        // Another thread may have created it between our read and write locks.
        if let Some(&i) = index.find(hash, |&i| {
            series
                .get(i as usize)
                .is_some_and(|(labels, _)| series_matches(labels, names, values))
        }) {
            let metric = series.get(i as usize).map(|(_, metric)| metric.clone());
            if let (true, Some(metric)) = (is_overflow, &metric) {
                self.inner.overflow.set(metric);
            }
            return metric;
        }
        // After the search above, so that an existing series is always found.
        if !is_overflow && !self.reserve() {
            return None;
        }
        let metric = M::from_options(&self.inner.options);
        // Positions are u32 to keep the index small; a shard cannot reach 2^32 series
        // before memory runs out, but if it did the metric would stay unexposed rather
        // than corrupt the index.
        let stored = u32::try_from(series.len())
            .ok()
            .filter(|_| series.push(&labels, metric.clone()).is_ok());
        let Some(position) = stored else {
            if !is_overflow {
                self.inner.counted.fetch_sub(1, Ordering::Relaxed);
            }
            return Some(metric);
        };
        // The table keeps no hashes: growing it hashes the series' label text again.
        let hasher = &self.inner.hasher;
        index.insert_unique(hash, position, |&i| {
            series
                .get(i as usize)
                .map_or(0, |(labels, _)| hash_rendered(hasher, labels))
        });
        if let Some(expiry) = &self.inner.expiry {
            watches.push(expiry.watch(metric.activity()));
        }
        if is_overflow {
            self.inner.overflow.set(&metric);
        }
        self.inner.len.fetch_add(1, Ordering::Relaxed);
        Some(metric)
    }

    /// Removes the series for `values` (hashing to `hash`) from its shard, moving the
    /// shard's last series into its place; returns whether it existed.
    pub(super) fn remove_series<V: LabelValues + ?Sized>(&self, hash: u64, values: &V) -> bool {
        let names = &self.inner.label_names;
        let mut guard = self.shard(hash).write();
        let shard = &mut *guard;
        let Some(&position) = shard.index.find(hash, |&i| {
            shard
                .series
                .get(i as usize)
                .is_some_and(|(labels, _)| series_matches(labels, names, values))
        }) else {
            return false;
        };
        // Before the table changes: from here on no cached entry answers, and lookups
        // that miss wait for this lock.
        self.inner.generation.fetch_add(1, Ordering::Release);
        self.remove_at(shard, hash, position)
    }

    /// Removes the series at `position` of `shard` (its label values hashing to
    /// `hash`), moving the shard's last series into its place. The caller holds the
    /// shard's write lock, and has bumped the generation if a lookup cache may hold the
    /// series. Returns whether the index held that position under `hash`.
    pub(super) fn remove_at(&self, shard: &mut Shard<M>, hash: u64, position: u32) -> bool {
        let Shard {
            series,
            index,
            watches,
        } = shard;
        let Ok(entry) = index.find_entry(hash, |&i| i == position) else {
            return false;
        };
        let counted = !series
            .get(position as usize)
            .is_some_and(|(labels, _)| self.is_overflow_series(hash, labels));
        if !counted {
            self.inner.overflow.clear();
        }
        entry.remove();
        let last = series.len() - 1;
        series.swap_remove(position as usize);
        if (position as usize) < watches.len() {
            watches.swap_remove(position as usize);
        }
        if position as usize != last {
            // The last series moved into the freed position: repoint its index entry.
            let moved_hash = series
                .get(position as usize)
                .map_or(0, |(labels, _)| hash_rendered(&self.inner.hasher, labels));
            // Every position fits in u32 (see `insert`).
            #[expect(
                clippy::cast_possible_truncation,
                reason = "positions are kept below 2^32 (see `insert`)"
            )]
            let last = last as u32;
            if let Some(slot) = index.find_mut(moved_hash, |&i| i == last) {
                *slot = position;
            }
        }
        // `len` first: it never exceeds the counted series plus the overflow series.
        self.inner.len.fetch_sub(1, Ordering::Relaxed);
        if counted {
            self.inner.counted.fetch_sub(1, Ordering::Relaxed);
        }
        true
    }
}
