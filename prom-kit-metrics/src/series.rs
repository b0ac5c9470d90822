//! The handles already made, by facade key: what a repeated `counter!` call finds with
//! one hash (the key's own, computed when the key was made) and a shard's read lock.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use metrics::Key;
use parking_lot::RwLock;

use crate::handles::{CounterHandle, GaugeHandle, HistogramHandle};

/// The type of a facade metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// A handle made for a key.
#[derive(Clone, Debug)]
pub(crate) enum Handle {
    Counter(Arc<CounterHandle>),
    Gauge(Arc<GaugeHandle>),
    Histogram(Arc<HistogramHandle>),
}

impl Handle {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Self::Counter(_) => Kind::Counter,
            Self::Gauge(_) => Kind::Gauge,
            Self::Histogram(_) => Kind::Histogram,
        }
    }

    /// Whether only this table refers to the handle (no caller keeps it).
    fn unused(&self) -> bool {
        match self {
            Self::Counter(handle) => Arc::strong_count(handle) == 1,
            Self::Gauge(handle) => Arc::strong_count(handle) == 1,
            Self::Histogram(handle) => Arc::strong_count(handle) == 1,
        }
    }
}

/// An entry: the handle, and whether its metric expires idle series (the table's
/// reference must then not keep the series alive; see [`Handles::release_unused`]).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) handle: Handle,
    pub(crate) expiring: bool,
}

/// `metrics::Key` hashes itself by writing its precomputed hash once; this hasher keeps
/// that value, mixed so that both the shard (top bits) and the table (all bits) spread.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KeyHash;

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

#[derive(Debug)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not reached with `metrics::Key`; kept correct for any other use.
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0 ^ value).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

const SHARDS: usize = 16;

/// The handles by key, in [`SHARDS`] shards.
#[derive(Debug)]
pub(crate) struct Handles {
    shards: Box<[RwLock<HashMap<Key, Entry, KeyHash>>]>,
}

impl Handles {
    pub(crate) fn new() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| RwLock::new(HashMap::with_hasher(KeyHash)))
                .collect(),
        }
    }

    fn shard(&self, key: &Key) -> &RwLock<HashMap<Key, Entry, KeyHash>> {
        let mixed = key.get_hash().wrapping_mul(0x9e37_79b9_7f4a_7c15);
        &self.shards[(mixed >> 60) as usize % SHARDS]
    }

    /// The handle made for `key`, if one was.
    #[inline]
    pub(crate) fn get(&self, key: &Key) -> Option<Handle> {
        self.shard(key)
            .read()
            .get(key)
            .map(|entry| entry.handle.clone())
    }

    /// Remembers `entry` for `key`; returns the handle the table holds for it (another
    /// thread's, if one made it first).
    pub(crate) fn insert(&self, key: &Key, entry: Entry) -> Handle {
        self.shard(key)
            .write()
            .entry(key.clone())
            .or_insert(entry)
            .handle
            .clone()
    }

    /// Forgets the handles of expiring metrics that no caller keeps, so that the
    /// family's own expiry can free their series once they are idle; the next call of
    /// such a key looks its series up again (and finds it while it lives).
    pub(crate) fn release_unused(&self) {
        for shard in &*self.shards {
            let idle = shard
                .read()
                .values()
                .any(|entry| entry.expiring && entry.handle.unused());
            if idle {
                shard
                    .write()
                    .retain(|_, entry| !(entry.expiring && entry.handle.unused()));
            }
        }
    }
}
