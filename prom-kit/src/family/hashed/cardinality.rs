//! The cardinality limit of a [`Family`]: counting the series toward `max_series`, and
//! the overflow series where every new combination of label values goes once the family
//! is full.
//!
//! The overflow series lives in the family's shards like any other (so it is exposed,
//! found and removed as one), but it does not count toward the limit, and its handle is
//! kept here so that answering a lookup on a full family takes neither an allocation nor
//! a shard's write lock.

use std::sync::atomic::Ordering;

use super::Family;
use crate::labels::render::series_matches;
use crate::labels::{OVERFLOW_LABEL_VALUE, OverflowValues};
use crate::metrics::Metric;
use crate::sync::RwLock;

/// The overflow series' handle while it is in the shards.
#[derive(Debug)]
pub(super) struct OverflowSlot<M> {
    handle: RwLock<Option<M>>,
}

impl<M: Clone> OverflowSlot<M> {
    pub(super) fn new() -> Self {
        Self {
            handle: RwLock::new(None),
        }
    }

    /// The overflow series, if it exists: one read lock, no allocation.
    #[inline]
    pub(super) fn get(&self) -> Option<M> {
        self.handle.read().clone()
    }

    /// Records the overflow series as in the shards. Called under the write lock of the
    /// shard that holds it, so that a concurrent removal cannot interleave.
    pub(super) fn set(&self, metric: &M) {
        let mut handle = self.handle.write();
        if handle.is_none() {
            *handle = Some(metric.clone());
        }
    }

    /// Forgets the overflow series: it was removed from the shards. Called under the
    /// write lock of the shard that held it. Returns whether there was one.
    pub(super) fn clear(&self) -> bool {
        self.handle.write().take().is_some()
    }
}

impl<M: Metric> Family<M> {
    /// Whether the series with label text `labels`, hashing to `hash`, is the overflow
    /// series.
    pub(super) fn is_overflow_series(&self, hash: u64, labels: &str) -> bool {
        let names = &self.inner.label_names;
        hash == self.inner.overflow_hash
            && series_matches(labels, names, &OverflowValues(names.len()))
    }

    /// Whether the overflow series exists: the family has been full, and has not been
    /// cleared (nor its overflow series removed) since.
    pub(crate) fn has_overflow_series(&self) -> bool {
        self.inner.overflow.get().is_some()
    }

    /// Whether `max_series` series (the overflow series not counted) exist.
    #[inline]
    pub(super) fn is_full(&self) -> bool {
        let inner = &*self.inner;
        inner
            .max_series
            .is_some_and(|limit| inner.counted.load(Ordering::Relaxed) >= limit)
    }

    /// Takes room for one more counted series, atomically across shards (two inserts
    /// into different shards cannot both take the last place); `false` when full.
    pub(super) fn reserve(&self) -> bool {
        let counted = &self.inner.counted;
        match self.inner.max_series {
            None => {
                counted.fetch_add(1, Ordering::Relaxed);
                true
            }
            Some(limit) => counted
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < limit).then_some(n + 1)
                })
                .is_ok(),
        }
    }

    /// The series every new combination goes to once `max_series` is reached.
    #[inline]
    pub(super) fn overflow(&self) -> M {
        match self.inner.overflow.get() {
            Some(metric) => metric,
            None => self.create_overflow(),
        }
    }

    #[cold]
    fn create_overflow(&self) -> M {
        let values = vec![OVERFLOW_LABEL_VALUE; self.inner.label_names.len()];
        self.insert(self.inner.overflow_hash, &values, false)
            .unwrap_or_else(|| M::from_options(&self.inner.options))
    }
}
