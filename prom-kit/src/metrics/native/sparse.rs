//! A fixed-capacity, lock-free map from bucket key to count: open addressing over atomic
//! slots, keys claimed by compare-and-swap. Keys are never removed while observers may
//! run; clearing happens only on a quiescent copy (see `counts`).

use std::sync::atomic::Ordering;

use crate::sync::{AtomicI64, AtomicU64};

/// Marks an unused slot; no bucket key is this small.
const EMPTY: i64 = i64::MIN;

#[derive(Debug)]
struct Slot {
    key: AtomicI64,
    count: AtomicU64,
}

/// The outcome of adding to a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// The bucket existed.
    Existing,
    /// The bucket was created by this addition.
    Created,
    /// No slot was free: the observation has no bucket.
    Full,
}

/// Bucket counts keyed by bucket index.
#[derive(Debug)]
pub(crate) struct SparseBuckets {
    slots: Box<[Slot]>,
}

impl SparseBuckets {
    /// Room for at least `buckets` distinct keys (twice that many slots, so probes stay
    /// short).
    pub(crate) fn with_capacity(buckets: usize) -> Self {
        let slots = (buckets.max(4) * 2).next_power_of_two();
        Self {
            slots: (0..slots)
                .map(|_| Slot {
                    key: AtomicI64::new(EMPTY),
                    count: AtomicU64::new(0),
                })
                .collect(),
        }
    }

    fn start(&self, key: i64) -> usize {
        // Fibonacci hashing spreads neighbouring keys over the table.
        #[expect(
            clippy::cast_sign_loss,
            reason = "the hash is cut to the table size, a power of two far below 2^32"
        )]
        let hash = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        let start = hash as usize;
        start & (self.slots.len() - 1)
    }

    /// Adds `amount` to bucket `key`, creating it if needed. The count is added with
    /// `Release`: it is the last write of an observation (see `counts`).
    #[cfg(test)]
    pub(crate) fn add(&self, key: i32, amount: u64) -> Added {
        self.add_then(key, amount, |_| {})
    }

    /// [`add`](Self::add), calling `created` between claiming a new bucket and adding to
    /// its count (so that what it does happens before the count is seen).
    #[inline]
    pub(crate) fn add_then(&self, key: i32, amount: u64, created: impl FnOnce(i32)) -> Added {
        let key = i64::from(key);
        let mask = self.slots.len() - 1;
        let mut index = self.start(key);
        for _ in 0..self.slots.len() {
            let slot = &self.slots[index];
            let current = slot.key.load(Ordering::Acquire);
            if current == key {
                slot.count.fetch_add(amount, Ordering::Release);
                return Added::Existing;
            }
            if current == EMPTY {
                match slot
                    .key
                    .compare_exchange(EMPTY, key, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => {
                        #[expect(
                            clippy::cast_possible_truncation,
                            reason = "the key was made from an i32"
                        )]
                        created(key as i32);
                        slot.count.fetch_add(amount, Ordering::Release);
                        return Added::Created;
                    }
                    Err(actual) if actual == key => {
                        slot.count.fetch_add(amount, Ordering::Release);
                        return Added::Existing;
                    }
                    Err(_) => {}
                }
            }
            index = (index + 1) & mask;
        }
        Added::Full
    }

    /// The sum of every bucket's count (`Acquire`, pairing with the additions).
    pub(crate) fn total(&self) -> u64 {
        self.slots
            .iter()
            .map(|slot| slot.count.load(Ordering::Acquire))
            .fold(0, u64::wrapping_add)
    }

    /// Appends every `(key, count)` with a non-zero count to `out`, sorted by key.
    pub(crate) fn collect_sorted(&self, out: &mut Vec<(i32, u64)>) {
        let start = out.len();
        for slot in &self.slots {
            let key = slot.key.load(Ordering::Acquire);
            let count = slot.count.load(Ordering::Acquire);
            if key != EMPTY && count > 0 {
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "the hash is cut to the table size, a power of two far below 2^32"
                )]
                out.push((key as i32, count));
            }
        }
        out[start..].sort_unstable_by_key(|(key, _)| *key);
    }

    /// Empties the map. Only for a copy no observer is writing to.
    pub(crate) fn clear(&self) {
        for slot in &self.slots {
            slot.key.store(EMPTY, Ordering::Relaxed);
            slot.count.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_creates_and_reports_full() {
        let buckets = SparseBuckets::with_capacity(4); // 8 slots
        assert_eq!(buckets.add(3, 1), Added::Created);
        assert_eq!(buckets.add(3, 2), Added::Existing);
        assert_eq!(buckets.add(-7, 1), Added::Created);
        for key in 10..16 {
            assert_eq!(buckets.add(key, 1), Added::Created);
        }
        assert_eq!(buckets.add(99, 1), Added::Full);
        let mut out = Vec::new();
        buckets.collect_sorted(&mut out);
        assert_eq!(out[..2], [(-7, 1), (3, 3)]);
        assert_eq!(out.len(), 8);
        buckets.clear();
        out.clear();
        buckets.collect_sorted(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn concurrent_adds_lose_nothing() {
        let buckets = SparseBuckets::with_capacity(64);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for i in 0..10_000 {
                        buckets.add(i % 50 - 25, 1);
                    }
                });
            }
        });
        let mut out = Vec::new();
        buckets.collect_sorted(&mut out);
        assert_eq!(out.len(), 50);
        assert!(out.iter().all(|(_, count)| *count == 800));
    }
}
