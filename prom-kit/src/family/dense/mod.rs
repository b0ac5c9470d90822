//! [`DenseFamily`]: series keyed by fixed-cardinality labels, stored in an array — its
//! API here, the array in [`table`].

pub(crate) mod table;

use std::fmt;
use std::marker::PhantomData;

use super::FamilyBuilder;
use super::expiry::Expiry;
use crate::error::{Error, ErrorKind, Result};
use crate::labels::FixedLabelSet;
use crate::metrics::Metric;
use table::DenseTable;

/// A family whose label values are a tuple `L` of [`FixedLabel`](crate::labels::FixedLabel)
/// types (enums deriving `LabelValue`, feature `derive`; `bool`).
///
/// Every combination has a slot in one array, created with the family; a lookup computes
/// the slot's index from the enum discriminants — no hashing, no lock, no reference count
/// — and returns a reference to the child. A combination is exposed from its first lookup
/// on (or never, if it is never looked up).
///
#[cfg_attr(feature = "derive", doc = "```")]
#[cfg_attr(not(feature = "derive"), doc = "```ignore")]
/// use prom_kit::{Counter, DenseFamily, LabelValue, Registry};
///
/// /// Request methods.
/// #[derive(Clone, Copy, LabelValue)]
/// #[label(rename_all = "UPPERCASE")]
/// pub enum Method { Get, Post }
///
/// /// Response classes.
/// #[derive(Clone, Copy, LabelValue)]
/// pub enum Class {
///     #[label(rename = "2xx")]
///     Ok,
///     #[label(rename = "4xx")]
///     ClientError,
///     #[label(rename = "5xx")]
///     ServerError,
/// }
///
/// let registry = Registry::new();
/// let requests: DenseFamily<Counter, (Method, Class)> = DenseFamily::new(["method", "class"])?;
/// registry.register("requests", "Requests.", requests.clone())?;
/// requests.labels((Method::Get, Class::Ok)).inc();
/// requests.labels((Method::Post, Class::ServerError)).inc_by(2);
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP requests_total Requests.
/// ## TYPE requests_total counter
/// requests_total{method=\"GET\",class=\"2xx\"} 1
/// requests_total{method=\"POST\",class=\"5xx\"} 2
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
pub struct DenseFamily<M: Metric, L: FixedLabelSet> {
    table: DenseTable<M>,
    labels: PhantomData<fn(L)>,
}

impl<M: Metric, L: FixedLabelSet> Clone for DenseFamily<M, L> {
    fn clone(&self) -> Self {
        Self {
            table: self.table.clone(),
            labels: PhantomData,
        }
    }
}

impl<M: Metric, L: FixedLabelSet> fmt::Debug for DenseFamily<M, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DenseFamily")
            .field("label_names", &self.table.label_names())
            .field("combinations", &self.table.combinations())
            .finish_non_exhaustive()
    }
}

impl<M: Metric, L: FixedLabelSet> DenseFamily<M, L> {
    /// The most combinations a dense family stores.
    pub const MAX_COMBINATIONS: usize = 1 << 16;

    /// Creates a dense family with default child options.
    ///
    /// # Errors
    ///
    /// See [`FamilyBuilder::build_dense`].
    pub fn new<S: Into<Box<str>>>(label_names: impl IntoIterator<Item = S>) -> Result<Self> {
        FamilyBuilder::new(label_names).build_dense()
    }

    pub(crate) fn from_parts(
        label_names: Box<[Box<str>]>,
        options: &M::Options,
        expiry: Option<Expiry>,
    ) -> Result<Self> {
        if label_names.len() != L::ARITY {
            return Err(Error::new(
                ErrorKind::LabelCount,
                format!(
                    "{} label names for a {}-label fixed set",
                    label_names.len(),
                    L::ARITY
                ),
            ));
        }
        let combinations = checked_combinations(L::combinations())?;
        for values in L::value_lists() {
            check_distinct(values)?;
        }
        Ok(Self {
            table: DenseTable::new(label_names, combinations, &L::value_of, options, expiry),
            labels: PhantomData,
        })
    }

    /// The child for `labels`.
    #[inline]
    pub fn labels(&self, labels: L) -> &M {
        self.table.lookup(labels.dense_index())
    }

    /// Hides the series for `labels` and resets it; returns whether it was exposed. A
    /// later lookup exposes it again, starting from zero.
    pub fn remove(&self, labels: L) -> bool {
        self.table.remove(labels.dense_index())
    }

    /// Hides and resets every series.
    pub fn clear(&self) {
        self.table.clear();
    }

    /// The label names.
    pub fn label_names(&self) -> &[Box<str>] {
        self.table.label_names()
    }

    /// The number of exposed series.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no series is exposed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies idle-series expiry now (every scrape of the family does it too): a series
    /// whose value has not changed for the family's
    /// [`expire_after`](FamilyBuilder::expire_after) time is hidden, and exposed again
    /// once its value changes. Returns how many series it hid. Nothing is freed: a dense
    /// family's series are one array made with the family.
    ///
    /// ```
    /// use std::time::Duration;
    /// use prom_kit::clock::ManualClock;
    /// use prom_kit::{Counter, DenseFamily, Family};
    ///
    /// let clock = ManualClock::new();
    /// let calls: DenseFamily<Counter, (bool,)> = Family::builder(["ok"])
    ///     .expire_after(Duration::from_secs(60))
    ///     .clock(clock.clone())
    ///     .build_dense()?;
    /// let failed = calls.labels((false,)).clone();
    /// failed.inc();
    /// calls.labels((true,)).inc();
    /// assert_eq!(calls.sweep(), 0); // as a scrape would: both have changed
    /// clock.advance(Duration::from_secs(30));
    /// calls.labels((true,)).inc();
    /// assert_eq!(calls.sweep(), 0);
    /// clock.advance(Duration::from_secs(30));
    /// assert_eq!(calls.sweep(), 1);
    /// assert_eq!(calls.len(), 1);
    /// failed.inc(); // through a handle kept from before: exposed again
    /// assert_eq!(calls.sweep(), 0);
    /// assert_eq!(calls.len(), 2);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn sweep(&self) -> usize {
        self.table.sweep()
    }

    /// The storage, for registration.
    pub(crate) fn table(&self) -> &DenseTable<M> {
        &self.table
    }

    /// Calls `visit` with each exposed series' rendered label text and metric.
    #[cfg(test)]
    pub(crate) fn for_each_series(&self, visit: impl FnMut(&str, &M)) {
        self.table.for_each_series(visit);
    }
}

/// The number of combinations if a dense family can hold them.
pub(crate) fn checked_combinations(combinations: Option<usize>) -> Result<usize> {
    combinations
        .filter(|&n| n <= DenseFamily::<crate::Counter, (bool,)>::MAX_COMBINATIONS)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::TooManySeries,
                format!(
                    "more than {} label combinations",
                    DenseFamily::<crate::Counter, (bool,)>::MAX_COMBINATIONS
                ),
            )
        })
}

/// Fails if a label type lists a value twice (two combinations would expose the same
/// series).
pub(crate) fn check_distinct(values: &[&str]) -> Result<()> {
    match values
        .iter()
        .enumerate()
        .find(|(i, v)| values[..*i].contains(v))
    {
        Some((i, dup)) => Err(Error::new(
            ErrorKind::InvalidValue,
            format!("label value {dup:?} listed twice (index {i})"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Counter;

    use crate::labels::{FixedLabel, LabelValue};

    /// What `#[derive(LabelValue)]` writes for `enum Method { Get, Put }` with
    /// `rename_all = "UPPERCASE"` (the derive needs the `prom_kit` crate by name).
    #[derive(Clone, Copy)]
    enum Method {
        Get,
        Put,
    }

    impl LabelValue for Method {
        fn as_label_value(&self) -> &str {
            Self::VALUES[self.index()]
        }
    }

    impl FixedLabel for Method {
        const VALUES: &'static [&'static str] = &["GET", "PUT"];
        fn index(self) -> usize {
            self as usize
        }
    }

    /// A hand-written label type listing one value twice (the derive refuses that at
    /// compile time).
    #[derive(Clone, Copy)]
    struct Dup;

    impl LabelValue for Dup {
        fn as_label_value(&self) -> &'static str {
            "x"
        }
    }

    impl FixedLabel for Dup {
        const VALUES: &'static [&'static str] = &["x", "x"];
        fn index(self) -> usize {
            0
        }
    }

    #[test]
    fn lookups_hit_distinct_slots() {
        let f: DenseFamily<Counter, (Method, bool)> = DenseFamily::new(["m", "ok"]).unwrap();
        f.labels((Method::Get, true)).inc();
        f.labels((Method::Put, false)).inc_by(3);
        f.labels((Method::Get, true)).inc();
        assert_eq!(f.len(), 2);
        let mut seen = Vec::new();
        f.for_each_series(|labels, c| seen.push((labels.to_owned(), c.get())));
        assert_eq!(
            seen,
            vec![
                (r#"m="GET",ok="true""#.to_owned(), 2.0),
                (r#"m="PUT",ok="false""#.to_owned(), 3.0)
            ]
        );
        assert!(f.remove((Method::Get, true)));
        assert!(!f.remove((Method::Get, true)));
        assert_eq!(f.labels((Method::Get, true)).get(), 0.0);
        f.clear();
        assert!(f.is_empty());
    }

    /// A label type with more values than a dense family takes squared.
    #[derive(Clone, Copy)]
    struct Wide;

    impl crate::labels::LabelValue for Wide {
        fn as_label_value(&self) -> &'static str {
            "w"
        }
    }

    impl crate::labels::FixedLabel for Wide {
        const VALUES: &'static [&'static str] = &["w"; 300];
        fn index(self) -> usize {
            0
        }
    }

    #[test]
    fn construction_errors() {
        assert_eq!(
            DenseFamily::<Counter, (Wide, Wide)>::new(["a", "b"])
                .unwrap_err()
                .kind(),
            ErrorKind::TooManySeries
        );
        assert_eq!(
            DenseFamily::<Counter, (Method, bool)>::new(["m"])
                .unwrap_err()
                .kind(),
            ErrorKind::LabelCount
        );
        assert_eq!(
            DenseFamily::<Counter, (Dup,)>::new(["d"])
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            DenseFamily::<Counter, (bool,)>::new(["__x"])
                .unwrap_err()
                .kind(),
            ErrorKind::ReservedLabelName
        );
    }
}
