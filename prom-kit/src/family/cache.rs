//! A per-thread cache in front of the [`Family`](super::Family) tables.
//!
//! Every thread that looks series up keeps one small table of its recent lookups, across
//! all families (128 entries, about 15 KiB, allocated on the thread's first lookup and
//! freed when it exits), with a handle to each series found. An entry keeps a removed
//! series alive until it is replaced, so at most 128 per thread.
//!
//! Entries are located by the *identity* of the values — where each string lives and how
//! long it is — which is far cheaper than hashing their bytes: callers pass the same
//! constants, the same route strings, the same `String`s again and again. A hit takes no
//! lock, changes no shared reference count and reads no memory that other threads write,
//! except the family's generation counter, which changes only when series are removed
//! (and so invalidates every thread's entries for the family at once).
//!
//! A typed label set's values ([`ByContent`]) are tagged with a few of their bytes too:
//! its integer fields are formatted into one buffer, the same address and length for
//! `200`, `404` and `500`, which would otherwise take one slot and evict each other.
//!
//! How a hit is confirmed depends on what the caller can promise:
//! - any strings ([`ValueKey::Bytes`]): the entry holds a copy of the values (inline, no
//!   allocation) and a hit compares them, so it is exact even when a string's memory has
//!   been reused for other text;
//! - `&'static str` values ([`ValueKey::Static`]): their bytes can never change, so equal
//!   addresses and lengths are equal values and a hit compares only those;
//! - a typed label set of integers and closed fields ([`ValueKey::Packed`]): its values
//!   packed into one number that tells every combination apart
//!   ([`LabelSet::packed`](crate::labels::LabelSet::packed)) locate and confirm the entry,
//!   and the values are formatted only on a miss.
//!
//! Values that are new strings on every call simply miss, and take the shared tables.

use std::cell::RefCell;
use std::rc::Rc;

use crate::labels::LabelValues;
use crate::metrics::sealed::AnyMetric;

/// Entries per thread.
const SLOTS: usize = 128;
/// The bits of a tag that pick its first slot.
const SLOTS_BITS: u32 = SLOTS.trailing_zeros();
/// How many neighbouring slots a key may occupy (linear probing within a small window).
const PROBE_WINDOW: usize = 4;
/// The longest concatenation of label values kept as a byte copy; longer ones always take
/// the shared path.
const KEY_BYTES: usize = 48;
/// The most label values a cached key may have.
const MAX_VALUES: usize = 6;

/// One thread's recent lookups: handles of type `T` (the thread's cache holds
/// [`AnyMetric`]s).
pub(super) struct LookupCache<T> {
    /// Each slot's tag, apart from the slots so that probing reads one or two cache
    /// lines; [`EMPTY_TAG`] marks a free slot.
    tags: [u64; SLOTS],
    /// Empty until the first entry is made, then [`SLOTS`] long.
    slots: Vec<Slot<T>>,
    /// Round-robin victim within a full probe window.
    next_victim: usize,
}

/// A thread's cache, shared with the lookups in progress on that thread.
pub(super) type ThreadCache = Rc<RefCell<LookupCache<AnyMetric>>>;

crate::sync::thread_local! {
    static THREAD_CACHE: ThreadCache = Rc::new(RefCell::new(LookupCache::new()));
}

/// The calling thread's cache; `None` once the thread is tearing its thread-locals down
/// (a lookup from another thread-local's destructor), when callers go to the shared
/// tables instead. A handle rather than a closure, so that the lookup around it inlines.
#[inline]
pub(super) fn thread_cache() -> Option<ThreadCache> {
    THREAD_CACHE.try_with(Rc::clone).ok()
}

/// The tag of a free slot; [`identity_tag`] never returns it.
const EMPTY_TAG: u64 = 0;

/// Keeps the tags of `&'static str` lookups apart from those of the same strings looked up
/// as plain `&str`, whose entries are confirmed differently.
const STATIC_SALT: u64 = 0x5bd1_e995_0000_0000;

/// Locates the cache entry of a packed label set ([`ValueKey::Packed`]).
#[inline]
pub(super) fn packed_tag(packed: u64) -> u64 {
    (packed ^ 0x2545_f491_4f6c_dd1d).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1
}

/// Locates the cache entry for `values` from the addresses and lengths of the strings.
#[inline]
fn identity_tag<V: LabelValues + ?Sized>(values: &V) -> u64 {
    let mut tag = 0u64;
    for i in 0..values.label_count() {
        let value = values.label_value(i);
        let word = (value.as_ptr().addr() as u64) ^ ((value.len() as u64) << 48);
        tag = (tag.rotate_left(23) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    tag | 1
}

/// [`identity_tag`] with a few bytes of each value mixed in: values formatted into the
/// same buffer (a typed label set's integers, `200` then `404` then `500`) share their
/// address and length, and would take one slot and evict each other at every call.
#[inline]
fn content_tag<V: LabelValues + ?Sized>(values: &V) -> u64 {
    let mut tag = 0u64;
    for i in 0..values.label_count() {
        let value = values.label_value(i).as_bytes();
        let word = (value.as_ptr().addr() as u64) ^ ((value.len() as u64) << 48) ^ prefix(value);
        tag = (tag.rotate_left(23) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    tag | 1
}

/// Up to eight of `value`'s bytes as a word (the first and last ones), read without a
/// call to `memcpy`.
#[inline]
fn prefix(value: &[u8]) -> u64 {
    let n = value.len();
    let word = |at: usize| u64::from_le_bytes(value[at..at + 8].try_into().unwrap_or_default());
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            value[at..at + 4].try_into().unwrap_or_default(),
        ))
    };
    match n {
        0 => 0,
        1..4 => u64::from(value[0]) | u64::from(value[n / 2]) << 8 | u64::from(value[n - 1]) << 16,
        4..8 => half(0) | half(n - 4) << 32,
        _ => word(0) ^ word(n - 8).rotate_left(29),
    }
}

/// Whether two short byte strings are equal, without a call to `memcmp`: label values are
/// mostly a few bytes long, where the call costs more than the comparison.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match n {
        0 => true,
        1..4 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Label values as a lookup presents them to the cache: how they are tagged, how a
/// cached entry is confirmed to be theirs, and what is kept to confirm it later.
pub(super) trait CacheKey {
    /// The values themselves.
    type Values: LabelValues + ?Sized;

    /// The values.
    fn values(&self) -> &Self::Values;
    /// Where the entry is looked for (before the family's salt).
    fn tag(&self) -> u64;
    /// Whether `stored` was made from these values.
    fn matches(&self, stored: &ValueKey) -> bool;
    /// What to keep, or `None` if the values do not fit.
    fn to_stored(&self) -> Option<ValueKey>;
}

/// Any label values, confirmed by their bytes.
pub(super) struct ByBytes<'a, V: ?Sized>(pub(super) &'a V);

/// `&'static str` values, confirmed by their addresses and lengths.
pub(super) struct ByAddress<'a>(pub(super) &'a [&'static str]);

impl<V: LabelValues + ?Sized> CacheKey for ByBytes<'_, V> {
    type Values = V;

    #[inline]
    fn values(&self) -> &V {
        self.0
    }
    #[inline]
    fn tag(&self) -> u64 {
        identity_tag(self.0)
    }
    #[inline]
    fn matches(&self, stored: &ValueKey) -> bool {
        stored.holds_bytes(self.0)
    }
    fn to_stored(&self) -> Option<ValueKey> {
        ValueKey::bytes(self.0)
    }
}

/// The values a typed label set gives, confirmed by their bytes and tagged with some of
/// them too: a label set formats its integer fields into one buffer, whose address and
/// length are the same for every value.
pub(super) struct ByContent<'a, V: ?Sized>(pub(super) &'a V);

impl<V: LabelValues + ?Sized> CacheKey for ByContent<'_, V> {
    type Values = V;

    #[inline]
    fn values(&self) -> &V {
        self.0
    }
    #[inline]
    fn tag(&self) -> u64 {
        content_tag(self.0)
    }
    // Confirmed and kept as any values are: only the tag differs.
    #[inline]
    fn matches(&self, stored: &ValueKey) -> bool {
        ByBytes(self.0).matches(stored)
    }
    fn to_stored(&self) -> Option<ValueKey> {
        ByBytes(self.0).to_stored()
    }
}

impl CacheKey for ByAddress<'_> {
    type Values = [&'static str];

    #[inline]
    fn values(&self) -> &[&'static str] {
        self.0
    }
    #[inline]
    fn tag(&self) -> u64 {
        identity_tag(self.0) ^ STATIC_SALT
    }
    #[inline]
    fn matches(&self, stored: &ValueKey) -> bool {
        stored.holds_statics(self.0)
    }
    fn to_stored(&self) -> Option<ValueKey> {
        ValueKey::statics(self.0)
    }
}

struct Slot<T> {
    /// The family's id.
    family: u64,
    generation: u64,
    key: ValueKey,
    metric: Option<T>,
}

/// What a cache entry remembers of its label values, to confirm a hit.
pub(super) enum ValueKey {
    /// A copy of the values, back to back, with their lengths.
    Bytes {
        count: u8,
        lens: [u8; MAX_VALUES],
        bytes: [u8; KEY_BYTES],
    },
    /// The addresses and lengths of `&'static str` values.
    Static {
        count: u8,
        addrs: [usize; MAX_VALUES],
        lens: [u32; MAX_VALUES],
    },
    /// A typed label set's values packed into one number ([`LabelSet::packed`]).
    ///
    /// [`LabelSet::packed`]: crate::labels::LabelSet::packed
    Packed(u64),
}

impl ValueKey {
    const EMPTY: Self = Self::Static {
        count: u8::MAX,
        addrs: [0; MAX_VALUES],
        lens: [0; MAX_VALUES],
    };

    /// Copies `values`, or `None` if they do not fit.
    fn bytes<V: LabelValues + ?Sized>(values: &V) -> Option<Self> {
        let count = values.label_count();
        let mut lens = [0; MAX_VALUES];
        let mut bytes = [0; KEY_BYTES];
        let mut end = 0;
        for i in 0..count {
            let value = values.label_value(i).as_bytes();
            let start = end;
            end += value.len();
            bytes.get_mut(start..end)?.copy_from_slice(value);
            *lens.get_mut(i)? = u8::try_from(value.len()).ok()?;
        }
        Some(Self::Bytes {
            count: u8::try_from(count).ok()?,
            lens,
            bytes,
        })
    }

    /// Remembers where `values` live, or `None` if there are too many.
    fn statics(values: &[&'static str]) -> Option<Self> {
        let mut addrs = [0; MAX_VALUES];
        let mut lens = [0; MAX_VALUES];
        for (i, value) in values.iter().enumerate() {
            *addrs.get_mut(i)? = value.as_ptr().addr();
            *lens.get_mut(i)? = u32::try_from(value.len()).ok()?;
        }
        Some(Self::Static {
            count: u8::try_from(values.len()).ok()?,
            addrs,
            lens,
        })
    }

    /// Whether this is the packed label set `packed`.
    #[inline]
    pub(super) fn is_packed(&self, packed: u64) -> bool {
        matches!(self, Self::Packed(stored) if *stored == packed)
    }

    /// Whether `values` are exactly the copied ones.
    #[inline]
    fn holds_bytes<V: LabelValues + ?Sized>(&self, values: &V) -> bool {
        let Self::Bytes { count, lens, bytes } = self else {
            return false;
        };
        if values.label_count() != usize::from(*count) {
            return false;
        }
        let mut start = 0;
        for (i, &len) in lens.iter().enumerate().take(usize::from(*count)) {
            let len = usize::from(len);
            match bytes.get(start..start + len) {
                Some(stored) if same_bytes(stored, values.label_value(i).as_bytes()) => {}
                _ => return false,
            }
            start += len;
        }
        true
    }

    /// Whether `values` are the remembered `&'static str`s.
    #[inline]
    fn holds_statics(&self, values: &[&'static str]) -> bool {
        let Self::Static { count, addrs, lens } = self else {
            return false;
        };
        values.len() == usize::from(*count)
            && values
                .iter()
                .zip(addrs.iter().zip(lens))
                .all(|(value, (&addr, &len))| {
                    value.as_ptr().addr() == addr && value.len() == len as usize
                })
    }
}

impl<T> LookupCache<T> {
    /// An empty cache; allocates nothing until the first [`put`](Self::put).
    pub(super) const fn new() -> Self {
        Self {
            tags: [EMPTY_TAG; SLOTS],
            slots: Vec::new(),
            next_victim: 0,
        }
    }

    /// The first slot `tag` may occupy: its top `log2(SLOTS)` bits, where the multiply in
    /// `identity_tag` mixes best.
    #[inline]
    fn first_slot(tag: u64) -> usize {
        (tag >> (u64::BITS - SLOTS_BITS)) as usize
    }

    /// The slots `tag` may occupy.
    #[inline]
    fn window(tag: u64) -> impl Iterator<Item = usize> {
        let first = Self::first_slot(tag);
        (0..PROBE_WINDOW).map(move |k| (first + k) & (SLOTS - 1))
    }

    /// The live entry of `family` tagged `tag`, if any.
    #[inline]
    fn slot(&self, family: u64, tag: u64, generation: u64) -> Option<&Slot<T>> {
        let index = Self::window(tag).find(|&i| self.tags[i] == tag)?;
        let slot = &self.slots[index];
        (slot.family == family && slot.generation == generation).then_some(slot)
    }

    /// The cached handle for `key` in `family`, if this thread looked it up since the
    /// family's last removal.
    #[inline]
    pub(super) fn get<K: CacheKey>(
        &self,
        family: u64,
        tag: u64,
        generation: u64,
        key: &K,
    ) -> Option<&T> {
        self.get_matching(family, tag, generation, |stored| key.matches(stored))
    }

    /// Remembers `metric` as the handle for `key` (skipped when its values are too long
    /// or too many to keep inline). The families go through
    /// [`put_stored`](Self::put_stored), which takes what is kept of the values.
    #[cfg(test)]
    pub(super) fn put<K: CacheKey>(
        &mut self,
        family: u64,
        tag: u64,
        generation: u64,
        key: &K,
        metric: T,
    ) {
        self.put_stored(family, tag, generation, key.to_stored(), metric);
    }

    /// The cached handle in `family` whose entry, tagged `tag`, `matches` confirms, if
    /// this thread looked it up since the family's last removal.
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, a cache hit calls this out of line"
    )]
    #[inline(always)]
    pub(super) fn get_matching(
        &self,
        family: u64,
        tag: u64,
        generation: u64,
        matches: impl FnOnce(&ValueKey) -> bool,
    ) -> Option<&T> {
        let slot = self.slot(family, tag, generation)?;
        if matches(&slot.key) {
            slot.metric.as_ref()
        } else {
            None
        }
    }

    /// Remembers `metric` as the handle for the values `stored` keeps (skipped when
    /// `None`: values too long or too many to keep inline).
    pub(super) fn put_stored(
        &mut self,
        family: u64,
        tag: u64,
        generation: u64,
        stored: Option<ValueKey>,
        metric: T,
    ) {
        if let Some(stored) = stored {
            self.insert(family, tag, generation, stored, metric);
        }
    }

    /// Drops every entry of `family`, so that this thread refers to none of its series.
    pub(super) fn forget_family(&mut self, family: u64) {
        for (tag, slot) in self.tags.iter_mut().zip(&mut self.slots) {
            if slot.family == family && slot.metric.is_some() {
                *tag = EMPTY_TAG;
                slot.metric = None;
            }
        }
    }

    fn insert(&mut self, family: u64, tag: u64, generation: u64, key: ValueKey, metric: T) {
        if self.slots.is_empty() {
            self.slots = (0..SLOTS)
                .map(|_| Slot {
                    family: 0,
                    generation: 0,
                    key: ValueKey::EMPTY,
                    metric: None,
                })
                .collect();
        }
        let reusable = Self::window(tag).find(|&i| {
            let slot = &self.slots[i];
            self.tags[i] == tag
                || self.tags[i] == EMPTY_TAG
                || (slot.family == family && slot.generation != generation)
        });
        let index = reusable.unwrap_or_else(|| {
            self.next_victim = (self.next_victim + 1) % PROBE_WINDOW;
            Self::window(tag).nth(self.next_victim).unwrap_or(0)
        });
        // Another slot in the window may still carry this tag from an older generation.
        for i in Self::window(tag) {
            if self.tags[i] == tag {
                self.tags[i] = EMPTY_TAG;
            }
        }
        self.tags[index] = tag;
        self.slots[index] = Slot {
            family,
            generation,
            key,
            metric: Some(metric),
        };
    }
}

#[cfg(test)]
mod tests;
