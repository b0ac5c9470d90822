//! The overflow series of a family with a cardinality limit: where every new combination
//! of label values goes once the family is full.
//!
//! The overflow series lives in the family's shards like any other (so it is exposed,
//! found and removed as one), but it does not count toward the limit, and its handle is
//! kept here so that answering a lookup on a full family takes neither an allocation nor
//! a shard's write lock.

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
