//! [`Family`]: series keyed by string label values, in hash-sharded tables.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hashbrown::HashTable;
use parking_lot::RwLock;

use super::{FamilyBuilder, check_arity};
use crate::atomic::CachePadded;
use crate::error::Result;
use crate::labels::render::{hash_values, render_series, series_matches};
use crate::labels::{LabelValues, OVERFLOW_LABEL_VALUE};
use crate::metrics::Metric;

/// A family of metrics of type `M`, one per combination of label values.
///
/// Label names are fixed at creation; each lookup passes the values in the same order.
/// A lookup of an existing series takes a shard's read lock for the length of a hash
/// probe, clones the child handle and returns it: no allocation, and no guard held by the
/// caller. Keep the returned handle when the same series is updated often.
///
/// Series appear in the exposition in creation order (per shard), which is stable from
/// one scrape to the next.
///
/// ```
/// use prom_kit::{Counter, Family, Registry};
///
/// let registry = Registry::new();
/// let requests: Family<Counter> = Family::new(["method", "status"])?;
/// registry.register("http_requests", "Requests by method and status.", requests.clone())?;
/// requests.labels(&["GET", "200"])?.inc();
/// let method = String::from("POST");
/// requests.labels(&[method.as_str(), "500"])?.inc_by(2);
/// assert_eq!(requests.labels(&["GET"]).unwrap_err().kind(), prom_kit::ErrorKind::LabelCount);
/// assert_eq!(requests.len(), 2);
/// # Ok::<(), prom_kit::Error>(())
/// ```
pub struct Family<M: Metric> {
    inner: Arc<Inner<M>>,
}

struct Inner<M: Metric> {
    label_names: Box<[Box<str>]>,
    options: M::Options,
    max_series: Option<usize>,
    hasher: foldhash::fast::RandomState,
    shards: Box<[CachePadded<RwLock<Shard<M>>>]>,
    len: AtomicUsize,
}

/// One shard: series in creation order, and a hash index into them.
struct Shard<M> {
    series: Vec<Series<M>>,
    index: HashTable<u32>,
}

struct Series<M> {
    hash: u64,
    labels: Box<str>,
    metric: M,
}

impl<M: Metric> Clone for Family<M> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<M: Metric> fmt::Debug for Family<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("label_names", &self.inner.label_names)
            .field("series", &self.len())
            .finish_non_exhaustive()
    }
}

impl<M: Metric> Family<M> {
    /// Creates a family with the given label names and default child options.
    ///
    /// # Errors
    ///
    /// See [`FamilyBuilder::build`].
    pub fn new<S: Into<Box<str>>>(label_names: impl IntoIterator<Item = S>) -> Result<Self> {
        Self::builder(label_names).build()
    }

    /// Starts configuring a family (child options, cardinality guard).
    pub fn builder<S: Into<Box<str>>>(
        label_names: impl IntoIterator<Item = S>,
    ) -> FamilyBuilder<M> {
        FamilyBuilder::new(label_names)
    }

    pub(crate) fn from_parts(
        label_names: Box<[Box<str>]>,
        options: M::Options,
        max_series: Option<usize>,
    ) -> Self {
        let shard_count = std::thread::available_parallelism()
            .map_or(4, |n| n.get() * 4)
            .next_power_of_two()
            .clamp(4, 64);
        let shards = (0..shard_count)
            .map(|_| {
                CachePadded(RwLock::new(Shard {
                    series: Vec::new(),
                    index: HashTable::new(),
                }))
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                label_names,
                options,
                max_series,
                hasher: foldhash::fast::RandomState::default(),
                shards,
                len: AtomicUsize::new(0),
            }),
        }
    }

    /// The child for `values`, created on first use.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) if the number of values is
    /// not the number of label names.
    #[inline]
    pub fn labels<V: LabelValues + ?Sized>(&self, values: &V) -> Result<M> {
        check_arity(&self.inner.label_names, values)?;
        Ok(self.get_or_create(values))
    }

    /// The child for `values` if it exists.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) as for
    /// [`labels`](Self::labels).
    pub fn get<V: LabelValues + ?Sized>(&self, values: &V) -> Result<Option<M>> {
        check_arity(&self.inner.label_names, values)?;
        let hash = hash_values(&self.inner.hasher, values);
        Ok(self.find(hash, values))
    }

    fn shard(&self, hash: u64) -> &RwLock<Shard<M>> {
        // hashbrown picks buckets from the low bits and tags from the top 7; shard by
        // the bits in between.
        #[allow(clippy::cast_possible_truncation)]
        let i = (hash >> 32) as usize & (self.inner.shards.len() - 1);
        &self.inner.shards[i]
    }

    fn find<V: LabelValues + ?Sized>(&self, hash: u64, values: &V) -> Option<M> {
        let shard = self.shard(hash).read();
        let names = &self.inner.label_names;
        shard
            .index
            .find(hash, |&i| {
                let s = &shard.series[i as usize];
                s.hash == hash && series_matches(&s.labels, names, values)
            })
            .map(|&i| shard.series[i as usize].metric.clone())
    }

    fn get_or_create<V: LabelValues + ?Sized>(&self, values: &V) -> M {
        let hash = hash_values(&self.inner.hasher, values);
        if let Some(metric) = self.find(hash, values) {
            return metric;
        }
        if let Some(limit) = self.inner.max_series {
            if self.inner.len.load(Ordering::Relaxed) >= limit {
                return self.overflow();
            }
        }
        self.insert(hash, values)
    }

    /// The series every new combination goes to once `max_series` is reached.
    #[cold]
    fn overflow(&self) -> M {
        let values = vec![OVERFLOW_LABEL_VALUE; self.inner.label_names.len()];
        let hash = hash_values(&self.inner.hasher, &values);
        self.find(hash, &values)
            .unwrap_or_else(|| self.insert(hash, &values))
    }

    fn insert<V: LabelValues + ?Sized>(&self, hash: u64, values: &V) -> M {
        let names = &self.inner.label_names;
        let labels = render_series(names, values);
        let mut guard = self.shard(hash).write();
        let Shard { series, index } = &mut *guard;
        // Another thread may have created it between our read and write locks.
        if let Some(&i) = index.find(hash, |&i| {
            let s = &series[i as usize];
            s.hash == hash && series_matches(&s.labels, names, values)
        }) {
            return series[i as usize].metric.clone();
        }
        let metric = M::from_options(&self.inner.options);
        // Positions are u32 to keep the index small; a shard cannot reach 2^32 series
        // before memory runs out, but if it did the metric would stay unexposed rather
        // than corrupt the index.
        let Ok(position) = u32::try_from(series.len()) else {
            return metric;
        };
        series.push(Series {
            hash,
            labels,
            metric: metric.clone(),
        });
        index.insert_unique(hash, position, |&i| series[i as usize].hash);
        self.inner.len.fetch_add(1, Ordering::Relaxed);
        metric
    }

    /// Removes the series for `values`; returns whether it existed. Handles to it that
    /// callers still hold keep working but are no longer exposed; a later lookup creates a
    /// fresh series.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`](crate::ErrorKind::LabelCount) as for
    /// [`labels`](Self::labels).
    pub fn remove<V: LabelValues + ?Sized>(&self, values: &V) -> Result<bool> {
        let names = &self.inner.label_names;
        check_arity(names, values)?;
        let hash = hash_values(&self.inner.hasher, values);
        let mut guard = self.shard(hash).write();
        let Shard { series, index } = &mut *guard;
        let Ok(entry) = index.find_entry(hash, |&i| {
            let s = &series[i as usize];
            s.hash == hash && series_matches(&s.labels, names, values)
        }) else {
            return Ok(false);
        };
        let (position, _) = entry.remove();
        let last = series.len() - 1;
        series.swap_remove(position as usize);
        if position as usize != last {
            // The last series moved into the freed position: repoint its index entry.
            let moved_hash = series[position as usize].hash;
            // Every position fits in u32 (see `insert`).
            #[allow(clippy::cast_possible_truncation)]
            let last = last as u32;
            if let Some(slot) = index.find_mut(moved_hash, |&i| i == last) {
                *slot = position;
            }
        }
        self.inner.len.fetch_sub(1, Ordering::Relaxed);
        Ok(true)
    }

    /// Removes every series.
    pub fn clear(&self) {
        for shard in &self.inner.shards {
            let mut shard = shard.write();
            let removed = shard.series.len();
            shard.series.clear();
            shard.index.clear();
            self.inner.len.fetch_sub(removed, Ordering::Relaxed);
        }
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.inner.len.load(Ordering::Relaxed)
    }

    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The label names.
    pub fn label_names(&self) -> &[Box<str>] {
        &self.inner.label_names
    }

    /// Calls `visit` with each series' rendered label text and metric, shard by shard,
    /// holding one shard's read lock at a time.
    pub(crate) fn for_each_series(&self, mut visit: impl FnMut(&str, &M)) {
        for shard in &self.inner.shards {
            let shard = shard.read();
            for series in &shard.series {
                visit(&series.labels, &series.metric);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, ErrorKind, Histogram};

    fn collect(family: &Family<Counter>) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        family.for_each_series(|labels, c| out.push((labels.to_owned(), c.get())));
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn lookups_share_series_across_value_types() {
        let f: Family<Counter> = Family::new(["a", "b"]).unwrap();
        f.labels(&["x", "y"]).unwrap().inc();
        f.labels(&[String::from("x"), String::from("y")])
            .unwrap()
            .inc();
        f.labels(&vec!["x", "y"]).unwrap().inc();
        f.labels(&("x", String::from("y"))).unwrap().inc();
        assert_eq!(f.len(), 1);
        assert_eq!(collect(&f), vec![(r#"a="x",b="y""#.to_owned(), 4.0)]);
    }

    #[test]
    fn split_points_are_distinct_series() {
        let f: Family<Counter> = Family::new(["a", "b"]).unwrap();
        f.labels(&["ab", "c"]).unwrap().inc();
        f.labels(&["a", "bc"]).unwrap().inc_by(5);
        assert_eq!(f.len(), 2);
        assert_eq!(f.get(&["ab", "c"]).unwrap().unwrap().get(), 1.0);
        assert_eq!(f.get(&["a", "bc"]).unwrap().unwrap().get(), 5.0);
        assert!(f.get(&["a", "b"]).unwrap().is_none());
    }

    #[test]
    fn arity_and_reserved_names_are_errors() {
        let f: Family<Counter> = Family::new(["a"]).unwrap();
        for bad in [&[][..], &["1", "2"][..]] {
            assert_eq!(f.labels(bad).unwrap_err().kind(), ErrorKind::LabelCount);
            assert_eq!(f.remove(bad).unwrap_err().kind(), ErrorKind::LabelCount);
        }
        assert_eq!(
            Family::<Histogram>::new(["le"]).unwrap_err().kind(),
            ErrorKind::ReservedLabelName
        );
        assert_eq!(
            Family::<Counter>::new(["a", "a"]).unwrap_err().kind(),
            ErrorKind::DuplicateLabelName
        );
        assert_eq!(
            Family::<Counter>::new(["a-b"]).unwrap_err().kind(),
            ErrorKind::InvalidLabelName
        );
        assert!(f.is_empty());
    }

    #[test]
    fn remove_keeps_the_rest_findable() {
        let f: Family<Counter> = Family::new(["k"]).unwrap();
        let keys: Vec<String> = (0..200).map(|i| format!("v{i}")).collect();
        for (i, k) in keys.iter().enumerate() {
            f.labels(&[k]).unwrap().inc_by(i as u64);
        }
        for k in keys.iter().step_by(3) {
            assert!(f.remove(&[k]).unwrap());
            assert!(!f.remove(&[k]).unwrap());
        }
        for (i, k) in keys.iter().enumerate() {
            let found = f.get(&[k]).unwrap();
            if i % 3 == 0 {
                assert!(found.is_none());
            } else {
                assert_eq!(found.unwrap().get(), i as f64);
            }
        }
        assert_eq!(f.len(), 200 - 67);
        f.clear();
        assert!(f.is_empty());
        assert!(collect(&f).is_empty());
    }

    #[test]
    fn cardinality_guard_folds_into_overflow() {
        let f: Family<Counter> = Family::builder(["path"]).max_series(3).build().unwrap();
        for i in 0..1000 {
            f.labels(&[format!("/random/{i}")]).unwrap().inc();
        }
        assert_eq!(f.len(), 4);
        let overflow = f.get(&[OVERFLOW_LABEL_VALUE]).unwrap().unwrap();
        assert_eq!(overflow.get(), 997.0);
        // Existing series still resolve to themselves.
        f.labels(&["/random/0"]).unwrap().inc();
        assert_eq!(f.get(&["/random/0"]).unwrap().unwrap().get(), 2.0);
    }

    #[test]
    fn removed_handles_are_detached() {
        let f: Family<Counter> = Family::new(["k"]).unwrap();
        let old = f.labels(&["a"]).unwrap();
        old.inc();
        f.remove(&["a"]).unwrap();
        old.inc();
        assert_eq!(f.labels(&["a"]).unwrap().get(), 0.0);
    }
}
