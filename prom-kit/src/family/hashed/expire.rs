//! Sweeping a [`Family`] configured with
//! [`expire_after`](crate::family::FamilyBuilder::expire_after): each series is judged
//! by the rule in `family/expiry.rs`; idle series nothing else refers to are removed,
//! and shards left mostly empty give their memory back.

use std::cell::RefCell;

use super::Family;
use super::index::Shard;
use crate::family::cache::thread_cache;
use crate::family::expiry::Verdict;
use crate::labels::render::hash_rendered;
use crate::metrics::Metric;

/// A shard's index and watches are shrunk when they have room for more than this many
/// times their series (and for more than [`MIN_SHRINK`]).
const SPARSE_FACTOR: usize = 4;
/// Below this capacity a shard keeps its room.
const MIN_SHRINK: usize = 64;

impl<M: Metric> Family<M> {
    /// Applies idle-series expiry now (every scrape of the family does it too): series
    /// idle for the family's [`expire_after`](crate::family::FamilyBuilder::expire_after)
    /// time leave the exposition, and those nothing else refers to are freed. Returns how
    /// many were freed; 0 for a family without expiry.
    ///
    /// For programs that keep a family unregistered, or scraped rarely, and want the
    /// memory back on their own schedule. Each shard is locked for writing while it is
    /// swept, one at a time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use prom_kit::clock::ManualClock;
    /// use prom_kit::{Family, Gauge};
    ///
    /// let clock = ManualClock::new();
    /// let queue_depth: Family<Gauge> = Family::builder(["queue"])
    ///     .expire_after(Duration::from_secs(60))
    ///     .clock(clock.clone())
    ///     .build()?;
    /// queue_depth.labels(&["mail"])?.set(3.0);
    /// let kept = queue_depth.labels(&["billing"])?;
    /// kept.set(1.0);
    /// assert_eq!(queue_depth.sweep(), 0); // both have changed since they were made
    /// clock.advance(Duration::from_secs(61));
    /// // "mail" is freed; "billing" is idle too but still held, so only hidden.
    /// assert_eq!(queue_depth.sweep(), 1);
    /// assert_eq!(queue_depth.len(), 1);
    /// drop(kept);
    /// assert_eq!(queue_depth.sweep(), 1);
    /// assert!(queue_depth.is_empty());
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn sweep(&self) -> usize {
        let Some(expiry) = &self.inner.expiry else {
            return 0;
        };
        // The sweeping thread's own lookups need not keep idle series alive (on a
        // current-thread runtime, that thread is the only one).
        if let Some(Ok(mut cache)) = thread_cache().as_deref().map(RefCell::try_borrow_mut) {
            cache.forget_family(self.inner.id);
        }
        let now_ms = expiry.now_ms();
        let mut freed = 0;
        for shard in &self.inner.shards {
            let mut guard = shard.write();
            let shard = &mut *guard;
            let freed_before = freed;
            // From the end, so that the series moved into a freed position has been
            // judged already.
            for position in (0..shard.series.len()).rev() {
                let (Some((labels, metric)), Some(watch)) =
                    (shard.series.get(position), shard.watches.get_mut(position))
                else {
                    continue;
                };
                // `is_shared` under the write lock: no lookup can clone the handle
                // meanwhile, and a thread's cached entry is a handle, so a series in any
                // lookup cache is never freed.
                let verdict = expiry.judge(watch, metric.activity(), metric.is_shared(), now_ms);
                if verdict == Verdict::Free {
                    let hash = hash_rendered(&self.inner.hasher, labels);
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "positions are kept below 2^32 (see `insert`)"
                    )]
                    let position = position as u32;
                    freed += usize::from(self.remove_at(shard, hash, position));
                }
            }
            if freed > freed_before {
                self.shrink_if_sparse(shard);
            }
        }
        freed
    }

    /// Gives back the room of a shard that has shrunk to a fraction of its peak, and all
    /// of it once the shard is empty.
    pub(super) fn shrink_if_sparse(&self, shard: &mut Shard<M>) {
        let len = shard.series.len();
        if len == 0 {
            shard.index = super::index::HashTable::new();
            shard.watches = Vec::new();
            shard.series.shrink_to_fit();
            return;
        }
        let target = (len * 2).max(MIN_SHRINK);
        if shard.index.capacity() > MIN_SHRINK.max(len * SPARSE_FACTOR) {
            let Shard { series, index, .. } = shard;
            let hasher = &self.inner.hasher;
            index.shrink_to(target, |&i| {
                series
                    .get(i as usize)
                    .map_or(0, |(labels, _)| hash_rendered(hasher, labels))
            });
        }
        if shard.watches.capacity() > MIN_SHRINK.max(len * SPARSE_FACTOR) {
            shard.watches.shrink_to(target);
        }
        shard.series.shrink_to_fit();
    }
}
