//! One shard of a [`CompactFamily`](super::CompactFamily): its series' ids and words in
//! two flat vectors, found through a hash table of positions.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::sync::AtomicU64;

/// The series of one shard: series `i` has the ids `ids[i * arity..(i + 1) * arity]`
/// and the word `words[i]`.
#[derive(Debug, Default)]
pub(super) struct Table {
    /// Positions, found by the hash of their series' ids.
    index: HashTable<u32>,
    ids: Vec<u32>,
    words: Vec<AtomicU64>,
}

impl Table {
    /// The word of the series with ids `ids`, which hash to `hash`.
    #[inline]
    pub(super) fn find(&self, hash: u64, ids: &[u32]) -> Option<&AtomicU64> {
        let arity = ids.len();
        self.index
            .find(hash, |&at| self.ids_at(at, arity) == ids)
            .map(|&at| &self.words[position(at)])
    }

    /// Adds the series with ids `ids` (hashing to `hash`), which is not in the table, at
    /// zero; returns its word.
    pub(super) fn insert(
        &mut self,
        hash: u64,
        ids: &[u32],
        hasher: &impl BuildHasher,
    ) -> &AtomicU64 {
        let arity = ids.len();
        let at = u32::try_from(self.words.len())
            .expect("fewer than u32::MAX series in one shard: each takes memory");
        self.ids.extend_from_slice(ids);
        self.words.push(AtomicU64::new(0));
        let all_ids = &self.ids;
        self.index.insert_unique(hash, at, |&other| {
            hasher.hash_one(&all_ids[range(other, arity)])
        });
        &self.words[position(at)]
    }

    /// Removes the series with ids `ids` (hashing to `hash`); returns whether it was
    /// there. The last series moves into its place.
    pub(super) fn remove(&mut self, hash: u64, ids: &[u32], hasher: &impl BuildHasher) -> bool {
        let arity = ids.len();
        let Ok(entry) = self
            .index
            .find_entry(hash, |&at| self.ids[range(at, arity)] == *ids)
        else {
            return false;
        };
        let (at, _) = entry.remove();
        let last = u32::try_from(self.words.len() - 1).expect("positions fit in u32");
        if at != last {
            // The last series takes the freed place: its index entry is renumbered.
            let moved_hash = hasher.hash_one(&self.ids[range(last, arity)]);
            if let Some(entry) = self.index.find_mut(moved_hash, |&other| other == last) {
                *entry = at;
            }
            let (from, to) = (range(last, arity), range(at, arity));
            self.ids.copy_within(from, to.start);
        }
        self.words.swap_remove(position(at));
        self.ids.truncate(self.ids.len() - arity);
        if self.words.is_empty() {
            *self = Self::default();
        }
        true
    }

    /// Each series' ids and word.
    pub(super) fn series(&self, arity: usize) -> impl Iterator<Item = (&[u32], &AtomicU64)> {
        self.words
            .iter()
            .enumerate()
            .map(move |(i, word)| (&self.ids[i * arity..(i + 1) * arity], word))
    }

    /// The ids of the series at `at`.
    #[inline]
    fn ids_at(&self, at: u32, arity: usize) -> &[u32] {
        &self.ids[range(at, arity)]
    }
}

/// The position `at` as an index.
#[inline]
fn position(at: u32) -> usize {
    usize::try_from(at).expect("a u32 fits in usize on the platforms prom-kit supports")
}

/// Where the ids of the series at `at` are.
#[inline]
fn range(at: u32, arity: usize) -> std::ops::Range<usize> {
    let start = position(at) * arity;
    start..start + arity
}
