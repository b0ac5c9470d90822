//! [`DenseTable`]: the storage of a dense family — one slot per label combination,
//! found by its position, each with its rendered labels and whether it is exposed —
//! shared by [`DenseFamily`](super::DenseFamily) (keyed by a tuple of fixed labels) and
//! [`TypedFamily`](crate::family::TypedFamily) (keyed by a derived label set).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::family::expiry::{Expiry, Verdict, Watch};
use crate::labels::render::render_series;
use crate::labels::{LabelValues, OVERFLOW_LABEL_VALUE};
use crate::metrics::Metric;

/// One slot per combination, then an overflow slot for positions past them.
pub(crate) struct DenseTable<M: Metric> {
    inner: Arc<Inner<M>>,
}

struct Inner<M: Metric> {
    label_names: Box<[Box<str>]>,
    options: M::Options,
    slots: Box<[Slot<M>]>,
    /// Set by [`FamilyBuilder::expire_after`](crate::family::FamilyBuilder::expire_after),
    /// with what the sweeps know of each slot.
    expiry: Option<(Expiry, parking_lot::Mutex<Vec<Watch>>)>,
}

struct Slot<M> {
    metric: M,
    labels: Box<str>,
    exposed: AtomicBool,
}

impl<M: Metric> Clone for DenseTable<M> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<M: Metric> fmt::Debug for DenseTable<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DenseTable")
            .field("label_names", &self.inner.label_names)
            .field("combinations", &self.combinations())
            .finish_non_exhaustive()
    }
}

/// The label values of the combination at `index`, as `value_of` names them.
struct Combination<'f> {
    index: usize,
    arity: usize,
    value_of: &'f dyn Fn(usize, usize) -> &'static str,
}

impl LabelValues for Combination<'_> {
    fn label_count(&self) -> usize {
        self.arity
    }
    fn label_value(&self, label: usize) -> &str {
        (self.value_of)(self.index, label)
    }
}

impl<M: Metric> DenseTable<M> {
    /// A table of `combinations` slots, the values of label `l` in combination `c` being
    /// `value_of(c, l)`, and the overflow slot. The caller has checked the names and the
    /// number of combinations.
    pub(crate) fn new(
        label_names: Box<[Box<str>]>,
        combinations: usize,
        value_of: &dyn Fn(usize, usize) -> &'static str,
        options: &M::Options,
        expiry: Option<Expiry>,
    ) -> Self {
        let arity = label_names.len();
        let overflow = vec![OVERFLOW_LABEL_VALUE; arity];
        let slots = (0..combinations)
            .map(|index| {
                let values = Combination {
                    index,
                    arity,
                    value_of,
                };
                render_series(&label_names, &values)
            })
            .chain(std::iter::once(render_series(&label_names, &overflow)))
            .map(|labels| Slot {
                metric: M::from_options(options),
                labels,
                exposed: AtomicBool::new(false),
            })
            .collect::<Box<[Slot<M>]>>();
        let expiry = expiry.map(|expiry| {
            let watches = slots.iter().map(|s| expiry.watch(s.metric.activity()));
            let watches = parking_lot::Mutex::new(watches.collect());
            (expiry, watches)
        });
        Self {
            inner: Arc::new(Inner {
                label_names,
                options: options.clone(),
                slots,
                expiry,
            }),
        }
    }

    /// The number of combinations (the overflow slot not counted).
    pub(crate) fn combinations(&self) -> usize {
        self.inner.slots.len() - 1
    }

    /// The slot at `index`; a position past the combinations (only a hand-written label
    /// type gives one) lands in the overflow slot instead of panicking.
    #[inline]
    fn slot(&self, index: usize) -> &Slot<M> {
        let slots = &self.inner.slots;
        slots.get(index).unwrap_or(&slots[slots.len() - 1])
    }

    /// The child at `index`, exposed from now on.
    #[inline]
    pub(crate) fn lookup(&self, index: usize) -> &M {
        let slot = self.slot(index);
        if !slot.exposed.load(Ordering::Relaxed) {
            slot.exposed.store(true, Ordering::Relaxed);
        }
        &slot.metric
    }

    /// Hides the series at `index` and resets it; returns whether it was exposed.
    pub(crate) fn remove(&self, index: usize) -> bool {
        let index = index.min(self.inner.slots.len() - 1);
        let watches = self.inner.expiry.as_ref().map(|(e, w)| (e, w.lock()));
        let slot = &self.inner.slots[index];
        let was_exposed = slot.exposed.swap(false, Ordering::Relaxed);
        slot.metric.reset();
        if let Some((expiry, mut watches)) = watches {
            // Its reset is no update: a sweep must not expose it again.
            if let Some(watch) = watches.get_mut(index) {
                watch.restart(slot.metric.activity(), expiry.now_ms());
            }
        }
        was_exposed
    }

    /// Hides and resets every series.
    pub(crate) fn clear(&self) {
        let watches = self.inner.expiry.as_ref().map(|(e, w)| (e, w.lock()));
        for slot in &self.inner.slots {
            slot.exposed.store(false, Ordering::Relaxed);
            slot.metric.reset();
        }
        if let Some((expiry, mut watches)) = watches {
            let now_ms = expiry.now_ms();
            for (watch, slot) in watches.iter_mut().zip(&*self.inner.slots) {
                watch.restart(slot.metric.activity(), now_ms);
            }
        }
    }

    /// The label names.
    pub(crate) fn label_names(&self) -> &[Box<str>] {
        &self.inner.label_names
    }

    /// What each child was created from.
    pub(crate) fn options(&self) -> &M::Options {
        &self.inner.options
    }

    /// The number of exposed series.
    pub(crate) fn len(&self) -> usize {
        self.inner
            .slots
            .iter()
            .filter(|s| s.exposed.load(Ordering::Relaxed))
            .count()
    }

    /// Hides the series idle for the expiry time and shows again those that changed;
    /// returns how many it hid (see `DenseFamily::sweep`).
    pub(crate) fn sweep(&self) -> usize {
        let Some((expiry, watches)) = &self.inner.expiry else {
            return 0;
        };
        let mut watches = watches.lock();
        let now_ms = expiry.now_ms();
        let mut hidden = 0;
        for (slot, watch) in self.inner.slots.iter().zip(watches.iter_mut()) {
            let exposed = slot.exposed.load(Ordering::Relaxed);
            if !exposed && !watch.is_hidden() {
                // Never looked up, or removed: not this sweep's to show.
                continue;
            }
            // Never `Free`: the slot is the family's for good.
            match expiry.judge(watch, slot.metric.activity(), true, now_ms) {
                Verdict::Live if !exposed => slot.exposed.store(true, Ordering::Relaxed),
                Verdict::Hidden | Verdict::Free if exposed => {
                    slot.exposed.store(false, Ordering::Relaxed);
                    hidden += 1;
                }
                _ => {}
            }
        }
        hidden
    }

    /// Calls `visit` with each exposed series' rendered label text and metric.
    pub(crate) fn for_each_series(&self, mut visit: impl FnMut(&str, &M)) {
        for slot in &self.inner.slots {
            if slot.exposed.load(Ordering::Relaxed) {
                visit(&slot.labels, &slot.metric);
            }
        }
    }
}
