//! [`CompactFamily`]: a labelled family of counters or gauges for very high
//! cardinality, each series a few ids and one 64-bit word, with no handle, no rendered
//! text and no allocation of its own.

mod interner;
mod kind;
mod table;

use std::fmt;
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use interner::Interner;
pub use kind::CompactMetric;
use kind::add_saturating;
use table::Table;

use super::Visit;
use crate::atomic::{CachePadded, add_f64};
use crate::error::Result;
use crate::labels::render::render_pairs;
use crate::labels::{LabelValues, OverflowValues, check_arity, is_overflow_values};
use crate::metrics::{Counter, Gauge};
use crate::sync::{AtomicU64, RwLock};

/// How many label values a lookup keeps on the stack; more take a vector.
const INLINE_IDS: usize = 8;

/// The hasher of label values and ids: seeded at random per family, so that nobody can
/// choose values that collide; with a fixed seed under loom, whose models must run the
/// same way every time.
#[cfg(not(loom))]
type SeriesHasher = foldhash::fast::RandomState;
#[cfg(loom)]
type SeriesHasher = foldhash::fast::FixedState;

/// A labelled family of [`Counter`]s or [`Gauge`]s stored for very high cardinality:
/// each series is its label values' ids and one 64-bit word, and each distinct label
/// value is stored once for the whole family, however many series use it.
///
/// [`Family`](crate::Family) keeps, per series, its label text rendered for the
/// exposition and a metric behind a handle the caller may keep. That makes updates
/// through a kept handle a single atomic operation, and scrapes a copy. A
/// `CompactFamily` stores each distinct value once, so what it saves depends on how much
/// the series share their values. Heap bytes per series of a 100,000-series counter
/// family (`cargo bench -p prom-kit-benches --bench memory`):
///
/// | label values | `Family` | `CompactFamily` |
/// |---|---:|---:|
/// | repeated across series: 4 methods × 25,000 paths | 101.9 | 41.4 (−59 %) |
/// | one distinct per series: 4 methods × 100,000 paths | 101.9 | 83.4 (−18 %) |
/// | mixed: 4 methods × 100 routes × 10 tenants, a distinct 16-byte request id | 149.2 | 92.1 (−38 %) |
///
/// What it costs:
///
/// - there are no handles: every update names its series by its label values, which
///   are hashed and looked up (two read locks, about 50 ns);
/// - the label text is rendered at every scrape;
/// - counters count whole numbers, and carry neither a created timestamp nor
///   exemplars; there is no idle-series expiry (remove series yourself);
/// - new series and removals are serialized on the family's value store.
///
/// Use it for families of hundreds of thousands of series or more, where memory is what
/// limits; use [`Family`](crate::Family) for everything else. A removed series' value
/// is gone, and label values no series uses any longer are freed.
///
/// ```
/// use prom_kit::{CompactFamily, Counter, Registry};
///
/// let requests: CompactFamily<Counter> = CompactFamily::new(["method", "path"])?;
/// let registry = Registry::new();
/// registry.register("requests", "Requests by path.", requests.clone())?;
/// requests.inc(&["GET", "/items/1"])?;
/// requests.inc_by(&["GET", "/items/1"], 2)?;
/// assert_eq!(requests.get(&["GET", "/items/1"])?, Some(3));
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP requests_total Requests by path.
/// ## TYPE requests_total counter
/// requests_total{method=\"GET\",path=\"/items/1\"} 3
/// ");
/// assert!(requests.remove(&["GET", "/items/1"])?);
/// assert_eq!(requests.get(&["GET", "/items/1"])?, None);
/// # Ok::<(), prom_kit::Error>(())
/// ```
pub struct CompactFamily<M: CompactMetric> {
    inner: Arc<Inner>,
    kind: PhantomData<fn() -> M>,
}

impl<M: CompactMetric> Clone for CompactFamily<M> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            kind: PhantomData,
        }
    }
}

impl<M: CompactMetric> fmt::Debug for CompactFamily<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompactFamily")
            .field("type", &M::TYPE)
            .field("label_names", &self.inner.label_names)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// What the handles of one family share.
struct Inner {
    label_names: Box<[Box<str>]>,
    /// The label values. Lock order: this lock, then a shard's. An update holds its read
    /// lock while it reads its series' ids and updates the series, so an id it holds is
    /// never freed and taken by another value under it; new series and removals hold
    /// its write lock.
    values: RwLock<Interner>,
    shards: Box<[CachePadded<RwLock<Table>>]>,
    hasher: SeriesHasher,
    max_series: Option<usize>,
    /// The series counted toward `max_series` (all but the overflow series), changed
    /// only under the write lock of `values`.
    len: AtomicUsize,
}

/// Configures a [`CompactFamily`].
///
/// ```
/// use prom_kit::{CompactFamily, Gauge};
/// use prom_kit::labels::OVERFLOW_LABEL_VALUE;
///
/// let queue: CompactFamily<Gauge> = CompactFamily::builder(["queue"]).max_series(1).build()?;
/// queue.set(&["a"], 4.0)?;
/// queue.set(&["b"], 7.0)?; // over the limit: recorded in the overflow series
/// assert_eq!(queue.get(&[OVERFLOW_LABEL_VALUE])?, Some(7.0));
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct CompactFamilyBuilder<M: CompactMetric> {
    label_names: Vec<Box<str>>,
    max_series: Option<usize>,
    kind: PhantomData<fn() -> M>,
}

impl<M: CompactMetric> CompactFamilyBuilder<M> {
    /// The cardinality guard, as [`FamilyBuilder::max_series`](crate::family::FamilyBuilder::max_series):
    /// at most `limit` series ([`DEFAULT_MAX_SERIES`](crate::family::DEFAULT_MAX_SERIES)
    /// unless set, `None` for no limit: a family meant for hundreds of thousands of
    /// series says how many); updates of new label combinations past it all go to one
    /// overflow series whose every value is
    /// [`OVERFLOW_LABEL_VALUE`](crate::labels::OVERFLOW_LABEL_VALUE), without storing
    /// the new values.
    pub fn max_series(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.max_series = limit.into();
        self
    }

    /// Creates the family.
    ///
    /// # Errors
    ///
    /// An invalid (`__` prefix included, also once escaped: see
    /// [`NameValidation`](crate::NameValidation)) or repeated label name.
    pub fn build(self) -> Result<CompactFamily<M>> {
        M::TYPE.check_label_names(&self.label_names)?;
        Ok(CompactFamily {
            inner: Arc::new(Inner {
                label_names: self.label_names.into_boxed_slice(),
                values: RwLock::new(Interner::default()),
                shards: (0..super::shard_count())
                    .map(|_| CachePadded(RwLock::new(Table::default())))
                    .collect(),
                hasher: SeriesHasher::default(),
                max_series: self.max_series,
                len: AtomicUsize::new(0),
            }),
            kind: PhantomData,
        })
    }
}

/// The ids of one series' label values: on the stack for up to [`INLINE_IDS`] labels.
enum Ids {
    Inline([u32; INLINE_IDS], usize),
    Heap(Vec<u32>),
}

impl Ids {
    fn new(arity: usize) -> Self {
        if arity <= INLINE_IDS {
            Self::Inline([0; INLINE_IDS], arity)
        } else {
            Self::Heap(vec![0; arity])
        }
    }
}

impl std::ops::Deref for Ids {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            Self::Inline(ids, len) => &ids[..*len],
            Self::Heap(ids) => ids,
        }
    }
}

impl std::ops::DerefMut for Ids {
    fn deref_mut(&mut self) -> &mut [u32] {
        match self {
            Self::Inline(ids, len) => &mut ids[..*len],
            Self::Heap(ids) => ids,
        }
    }
}

impl<M: CompactMetric> CompactFamily<M> {
    /// A family with label names `label_names` and the default series limit,
    /// [`DEFAULT_MAX_SERIES`](crate::family::DEFAULT_MAX_SERIES) (see
    /// [`CompactFamilyBuilder::max_series`]).
    ///
    /// # Errors
    ///
    /// As [`CompactFamilyBuilder::build`].
    pub fn new<S: Into<Box<str>>>(label_names: impl IntoIterator<Item = S>) -> Result<Self> {
        Self::builder(label_names).build()
    }

    /// Configures a family with label names `label_names`.
    pub fn builder<S: Into<Box<str>>>(
        label_names: impl IntoIterator<Item = S>,
    ) -> CompactFamilyBuilder<M> {
        CompactFamilyBuilder {
            label_names: label_names.into_iter().map(Into::into).collect(),
            max_series: Some(crate::family::DEFAULT_MAX_SERIES),
            kind: PhantomData,
        }
    }

    /// The label names.
    pub fn label_names(&self) -> &[Box<str>] {
        &self.inner.label_names
    }

    /// The number of series, the overflow series not counted.
    pub fn len(&self) -> usize {
        self.inner.len.load(Ordering::Relaxed)
    }

    /// Whether the family has no series (the overflow series not counted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many distinct label values the family stores.
    pub fn stored_values(&self) -> usize {
        self.inner.values.read().len()
    }

    /// Removes the series with label values `values`; returns whether it existed. Its
    /// label values that no other series uses are freed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) if `values` does not have
    /// one value per label name.
    pub fn remove<V: LabelValues + ?Sized>(&self, values: &V) -> Result<bool> {
        check_arity(&self.inner.label_names, values)?;
        let inner = &*self.inner;
        let mut ids = Ids::new(values.label_count());
        let mut stored = inner.values.write();
        let Some(shard_key) = find_ids(&stored, &inner.hasher, values, &mut ids) else {
            return Ok(false);
        };
        let hash = inner.hasher.hash_one(&*ids);
        let removed = self
            .shard(shard_key)
            .write()
            .remove(hash, &ids, &inner.hasher);
        if removed {
            for &id in ids.iter() {
                stored.release(&inner.hasher, id);
            }
            if !is_overflow_values(values) {
                inner.len.fetch_sub(1, Ordering::Relaxed);
            }
        }
        Ok(removed)
    }

    /// Removes every series and frees every label value.
    pub fn clear(&self) {
        let mut stored = self.inner.values.write();
        for shard in &self.inner.shards {
            *shard.write() = Table::default();
        }
        *stored = Interner::default();
        self.inner.len.store(0, Ordering::Relaxed);
    }

    /// Whether the overflow series exists: the family has been full, and has not been
    /// cleared (nor its overflow series removed) since.
    pub(crate) fn has_overflow_series(&self) -> bool {
        self.read(&OverflowValues(self.inner.label_names.len()))
            .is_ok_and(|word| word.is_some())
    }

    /// Calls `visit` with each series' rendered label text and word, shard by shard,
    /// holding the value store's and one shard's read lock at a time, and after each
    /// shard with both released.
    pub(crate) fn for_each_series(&self, mut visit: impl FnMut(Visit<'_, u64>)) {
        let inner = &*self.inner;
        let mut text = String::new();
        for shard in &inner.shards {
            {
                let stored = inner.values.read();
                let shard = shard.read();
                for (ids, word) in shard.series(inner.label_names.len()) {
                    text.clear();
                    render_pairs(
                        &mut text,
                        inner
                            .label_names
                            .iter()
                            .zip(ids)
                            .map(|(name, &id)| (&**name, stored.text(id))),
                    );
                    visit(Visit::Series(&text, &word.load(Ordering::Relaxed)));
                }
            }
            visit(Visit::ShardDone);
        }
    }

    /// The shard of the series whose label values' text gives `shard_key` (see
    /// [`find_ids`]).
    fn shard(&self, shard_key: u64) -> &RwLock<Table> {
        let shards = &self.inner.shards;
        let top = usize::try_from(shard_key >> 32).expect("32 bits fit in usize");
        &shards[top & (shards.len() - 1)]
    }

    /// Applies `update` to the word of the series `values`, created if it is new (or the
    /// overflow series if the family is full).
    fn update<V: LabelValues + ?Sized>(
        &self,
        values: &V,
        update: impl FnOnce(&AtomicU64),
    ) -> Result<()> {
        check_arity(&self.inner.label_names, values)?;
        let inner = &*self.inner;
        let mut ids = Ids::new(values.label_count());
        let update = {
            let stored = inner.values.read();
            let Some(update) = self.try_update(&stored, values, &mut ids, update) else {
                return Ok(());
            };
            // `len` changes only under the write lock: full now means full at this read.
            if self.is_full() && !is_overflow_values(values) {
                let overflow = OverflowValues(values.label_count());
                match self.try_update(&stored, &overflow, &mut ids, update) {
                    None => return Ok(()),
                    Some(update) => update,
                }
            } else {
                update
            }
        };
        self.insert(values, &mut ids, update);
        Ok(())
    }

    /// Whether `max_series` series (the overflow series not counted) exist.
    fn is_full(&self) -> bool {
        let inner = &*self.inner;
        inner
            .max_series
            .is_some_and(|max| inner.len.load(Ordering::Relaxed) >= max)
    }

    /// Applies `update` to the word of the series `values` if it exists (`None`), or
    /// gives `update` back (`Some`). `stored` is the value store, locked by the caller.
    #[inline]
    fn try_update<V: LabelValues + ?Sized, F: FnOnce(&AtomicU64)>(
        &self,
        stored: &Interner,
        values: &V,
        ids: &mut [u32],
        update: F,
    ) -> Option<F> {
        let hasher = &self.inner.hasher;
        let Some(shard_key) = find_ids(stored, hasher, values, ids) else {
            return Some(update);
        };
        let hash = hasher.hash_one(&*ids);
        let shard = self.shard(shard_key).read();
        match shard.find(hash, ids) {
            Some(word) => {
                update(word);
                None
            }
            None => Some(update),
        }
    }

    /// The slow path of [`update`](Self::update): under the value store's write lock,
    /// the series is found (another thread may have made it), or made, or the family is
    /// full and the update goes to the overflow series.
    fn insert<V: LabelValues + ?Sized>(
        &self,
        values: &V,
        ids: &mut Ids,
        update: impl FnOnce(&AtomicU64),
    ) {
        let inner = &*self.inner;
        let mut stored = inner.values.write();
        let Some(update) = self.try_update(&stored, values, ids, update) else {
            return;
        };
        let counted = !is_overflow_values(values);
        if counted && self.is_full() {
            // Nothing of the new values is stored: a flood of new combinations on a full
            // family costs no memory.
            drop(stored);
            let overflow = OverflowValues(values.label_count());
            self.insert(&overflow, ids, update);
            return;
        }
        let mut shard_key = 0;
        for (i, id) in ids.iter_mut().enumerate() {
            let text = values.label_value(i);
            let text_hash = inner.hasher.hash_one(text);
            *id = stored.acquire(&inner.hasher, text_hash, text);
            shard_key = add_to_shard_key(shard_key, text_hash);
        }
        let hash = inner.hasher.hash_one(&**ids);
        let mut shard = self.shard(shard_key).write();
        update(shard.insert(hash, ids, &inner.hasher));
        if counted {
            inner.len.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The word of the series `values`, if it exists.
    fn read<V: LabelValues + ?Sized>(&self, values: &V) -> Result<Option<u64>> {
        check_arity(&self.inner.label_names, values)?;
        let mut ids = Ids::new(values.label_count());
        let mut word = None;
        let stored = self.inner.values.read();
        let _ = self.try_update(&stored, values, &mut ids, |found| {
            word = Some(found.load(Ordering::Relaxed));
        });
        Ok(word)
    }
}

/// Fills `ids` with the ids of `values` and returns their shard key; `None` if one of
/// them is not stored (so no series has them).
///
/// The shard key is made of the hashes of the label values' text, not of their ids: a
/// removed series made again may get other ids (a freed id goes to the next new value),
/// and must still land in the shard it was in. Otherwise a scrape, which reads one
/// shard at a time, could read it in a shard it had already read and again in one it
/// reads later: one series twice, with two values.
#[inline]
fn find_ids<V: LabelValues + ?Sized>(
    stored: &Interner,
    hasher: &SeriesHasher,
    values: &V,
    ids: &mut [u32],
) -> Option<u64> {
    let mut shard_key = 0;
    for (i, id) in ids.iter_mut().enumerate() {
        let text = values.label_value(i);
        let text_hash = hasher.hash_one(text);
        *id = stored.find(text_hash, text)?;
        shard_key = add_to_shard_key(shard_key, text_hash);
    }
    Some(shard_key)
}

/// The shard key of label values so far (`shard_key`) and one more whose text hashes to
/// `text_hash`; the order of the values counts. The top bits choose the shard (the
/// shards' tables use the low bits of another hash).
#[inline]
fn add_to_shard_key(shard_key: u64, text_hash: u64) -> u64 {
    (shard_key.rotate_left(23) ^ text_hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl CompactFamily<Counter> {
    /// Adds one to the counter with label values `values` (created at zero if new).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) if `values` does not have
    /// one value per label name.
    pub fn inc<V: LabelValues + ?Sized>(&self, values: &V) -> Result<()> {
        self.inc_by(values, 1)
    }

    /// Adds `amount` to the counter with label values `values`, saturating at
    /// `u64::MAX` rather than wrapping.
    ///
    /// # Errors
    ///
    /// As [`inc`](Self::inc).
    pub fn inc_by<V: LabelValues + ?Sized>(&self, values: &V, amount: u64) -> Result<()> {
        self.update(values, |word| add_saturating(word, amount))
    }

    /// The total of the counter with label values `values`, if it exists.
    ///
    /// # Errors
    ///
    /// As [`inc`](Self::inc).
    pub fn get<V: LabelValues + ?Sized>(&self, values: &V) -> Result<Option<u64>> {
        self.read(values)
    }
}

impl CompactFamily<Gauge> {
    /// Sets the gauge with label values `values` (created if new).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) if `values` does not have
    /// one value per label name.
    pub fn set<V: LabelValues + ?Sized>(&self, values: &V, value: f64) -> Result<()> {
        self.update(values, |word| {
            word.store(value.to_bits(), Ordering::Relaxed);
        })
    }

    /// Adds `amount` (which may be negative) to the gauge with label values `values`
    /// (created at zero if new).
    ///
    /// # Errors
    ///
    /// As [`set`](Self::set).
    pub fn add<V: LabelValues + ?Sized>(&self, values: &V, amount: f64) -> Result<()> {
        self.update(values, |word| {
            add_f64(word, amount);
        })
    }

    /// The value of the gauge with label values `values`, if it exists.
    ///
    /// # Errors
    ///
    /// As [`set`](Self::set).
    pub fn get<V: LabelValues + ?Sized>(&self, values: &V) -> Result<Option<f64>> {
        Ok(self.read(values)?.map(f64::from_bits))
    }
}

#[cfg(test)]
mod tests;

#[cfg(all(test, loom))]
mod loom_models;
