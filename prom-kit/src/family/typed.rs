//! [`TypedFamily`]: series keyed by a [`LabelSet`] — a struct whose type names the
//! labels — stored densely when every label has a closed set of values, hashed otherwise.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use super::dense::checked_combinations;
use super::dense::table::DenseTable;
use super::expiry::Expiry;
use super::{Family, FamilyBuilder};
use crate::error::{Error, ErrorKind, Result};
use crate::labels::{LabelSet, LabelValues, LabelVisitor};
use crate::metrics::Metric;

/// A family of metrics of type `M` keyed by the label set `L`: the label names are
/// `L::NAMES`, so no lookup can pass the wrong number of values, and none returns a
/// `Result`.
///
/// When every field of `L` has a closed set of values (`bool`, enums deriving
/// `LabelValue`), the family is an array with a slot per combination and a lookup is
/// index arithmetic, as in a [`DenseFamily`](crate::DenseFamily); otherwise it is a
/// [`Family`] with its sharded tables and per-thread lookup cache. Idle-series expiry
/// ([`FamilyBuilder::expire_after`]) works on both; the cardinality guard
/// ([`FamilyBuilder::max_series`]) on the hashed one (a dense family is bounded by its
/// type).
///
/// ```
/// use prom_kit::family::TypedFamily;
/// use prom_kit::labels::{LabelBuffer, LabelField, LabelSet, LabelVisitor};
/// use prom_kit::{Counter, Registry};
///
/// // `#[derive(LabelSet)]` writes this impl (feature `derive`).
/// struct Request { route: &'static str, code: u16 }
///
/// impl LabelSet for Request {
///     const NAMES: &'static [&'static str] = &["route", "code"];
///     fn visit_values<R>(&self, visitor: impl LabelVisitor<R>) -> R {
///         let (mut route, mut code) = (LabelBuffer::new(), LabelBuffer::new());
///         visitor.visit(&[self.route.text(&mut route), self.code.text(&mut code)])
///     }
/// }
///
/// let registry = Registry::new();
/// let requests: TypedFamily<Request, Counter> = TypedFamily::new()?;
/// registry.register("requests", "Requests.", requests.clone())?;
/// requests.with(&Request { route: "/cart", code: 200 }, Counter::inc);
/// requests.labels(&Request { route: "/cart", code: 200 }).inc_by(2);
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP requests_total Requests.
/// ## TYPE requests_total counter
/// requests_total{route=\"/cart\",code=\"200\"} 3
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
pub struct TypedFamily<L: LabelSet, M: Metric> {
    store: Store<M>,
    labels: PhantomData<fn(&L)>,
}

/// Where a typed family keeps its series.
pub(crate) enum Store<M: Metric> {
    /// An array, for label sets with finitely many combinations.
    Dense(DenseTable<M>),
    /// Sharded hash tables, for the others.
    Hashed(Family<M>),
}

impl<M: Metric> Clone for Store<M> {
    fn clone(&self) -> Self {
        match self {
            Self::Dense(table) => Self::Dense(table.clone()),
            Self::Hashed(family) => Self::Hashed(family.clone()),
        }
    }
}

impl<L: LabelSet, M: Metric> Clone for TypedFamily<L, M> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            labels: PhantomData,
        }
    }
}

impl<L: LabelSet, M: Metric> fmt::Debug for TypedFamily<L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedFamily")
            .field("label_names", &self.label_names())
            .field("dense", &matches!(self.store, Store::Dense(_)))
            .field("series", &self.len())
            .finish_non_exhaustive()
    }
}

impl<L: LabelSet, M: Metric> TypedFamily<L, M> {
    /// Creates the family with default child options and, if hashed, the default series
    /// limit, [`DEFAULT_MAX_SERIES`](crate::family::DEFAULT_MAX_SERIES) (see
    /// [`TypedFamilyBuilder::max_series`]).
    ///
    /// # Errors
    ///
    /// See [`TypedFamilyBuilder::build`].
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// Starts configuring the family (child options, cardinality guard, expiry), its
    /// label names those of `L`.
    pub fn builder() -> TypedFamilyBuilder<L, M> {
        TypedFamilyBuilder {
            inner: FamilyBuilder::new(L::NAMES.iter().copied()),
            labels: PhantomData,
        }
    }

    pub(crate) fn from_parts(
        label_names: Box<[Box<str>]>,
        options: &M::Options,
        max_series: Option<usize>,
        expiry: Option<Expiry>,
    ) -> Result<Self> {
        if label_names
            .iter()
            .map(|n| &**n)
            .ne(L::NAMES.iter().copied())
        {
            return Err(Error::new(
                ErrorKind::InvalidLabelName,
                format!(
                    "label names {label_names:?} are not those of the label set, {:?}",
                    L::NAMES
                ),
            ));
        }
        let store = match L::COMBINATIONS {
            Some(combinations) => {
                let combinations = checked_combinations(Some(combinations))?;
                check_distinct_combinations::<L>(combinations)?;
                Store::Dense(DenseTable::new(
                    label_names,
                    combinations,
                    &L::value_of,
                    options,
                    expiry,
                ))
            }
            None => Store::Hashed(Family::from_parts(
                label_names,
                options.clone(),
                max_series,
                expiry,
            )),
        };
        Ok(Self {
            store,
            labels: PhantomData,
        })
    }

    /// Calls `f` with the child for `labels` (created on first use) and returns its
    /// result: index arithmetic on a dense family; on a hashed one, the per-thread cache
    /// and then the shared tables, as [`Family::with`].
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, the cache lookup inside is called out of line"
    )]
    #[inline(always)]
    pub fn with<R>(&self, labels: &L, f: impl FnOnce(&M) -> R) -> R {
        match &self.store {
            Store::Dense(table) => f(table.lookup(labels.dense_index())),
            Store::Hashed(family) => match labels.packed() {
                Some(packed) => family.with_packed(packed, labels, f),
                None => labels.visit_values(Lookup { family, f }),
            },
        }
    }

    /// A handle to the child for `labels`, created on first use.
    #[inline]
    pub fn labels(&self, labels: &L) -> M {
        self.with(labels, M::clone)
    }

    /// Removes the series for `labels` (a dense family hides and resets it); returns
    /// whether it was there.
    pub fn remove(&self, labels: &L) -> bool {
        match &self.store {
            Store::Dense(table) => table.remove(labels.dense_index()),
            Store::Hashed(family) => labels.visit_values(Remove(family)),
        }
    }

    /// Removes every series.
    pub fn clear(&self) {
        match &self.store {
            Store::Dense(table) => table.clear(),
            Store::Hashed(family) => family.clear(),
        }
    }

    /// Applies idle-series expiry now (see [`Family::sweep`] and
    /// [`DenseFamily::sweep`](crate::DenseFamily::sweep)); returns how many series it
    /// freed or hid.
    pub fn sweep(&self) -> usize {
        match &self.store {
            Store::Dense(table) => table.sweep(),
            Store::Hashed(family) => family.sweep(),
        }
    }

    /// The number of series (exposed ones, for a dense family).
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Dense(table) => table.len(),
            Store::Hashed(family) => family.len(),
        }
    }

    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The label names, `L::NAMES`.
    pub fn label_names(&self) -> &[Box<str>] {
        match &self.store {
            Store::Dense(table) => table.label_names(),
            Store::Hashed(family) => family.label_names(),
        }
    }

    /// The storage, for registration.
    pub(crate) fn store(&self) -> &Store<M> {
        &self.store
    }
}

/// Looks the visited values up in a hashed family and calls `f` with the child.
struct Lookup<'a, M: Metric, F> {
    family: &'a Family<M>,
    f: F,
}

impl<M: Metric, R, F: FnOnce(&M) -> R> LabelVisitor<R> for Lookup<'_, M, F> {
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, the cache lookup inside is called out of line"
    )]
    #[inline(always)]
    fn visit<V: LabelValues + ?Sized>(self, values: &V) -> R {
        self.family.with_label_set_values(values, self.f)
    }
}

/// Removes the series of the visited values from a hashed family.
struct Remove<'a, M: Metric>(&'a Family<M>);

impl<M: Metric> LabelVisitor<bool> for Remove<'_, M> {
    fn visit<V: LabelValues + ?Sized>(self, values: &V) -> bool {
        self.0.remove(values).unwrap_or(false)
    }
}

/// Configures a [`TypedFamily`] before it is created: the options of a
/// [`FamilyBuilder`], the label names taken from `L`.
///
/// ```
/// use std::time::Duration;
/// use prom_kit::family::TypedFamily;
/// use prom_kit::labels::{LabelBuffer, LabelField, LabelSet, LabelVisitor};
/// use prom_kit::{Buckets, Histogram};
///
/// struct Route(&'static str);
///
/// impl LabelSet for Route {
///     const NAMES: &'static [&'static str] = &["route"];
///     fn visit_values<R>(&self, visitor: impl LabelVisitor<R>) -> R {
///         visitor.visit(&[self.0.text(&mut LabelBuffer::new())])
///     }
/// }
///
/// let latency: TypedFamily<Route, Histogram> = TypedFamily::builder()
///     .options(Buckets::exponential(0.001, 4.0, 8)?)
///     .max_series(500)
///     .expire_after(Duration::from_secs(3600))
///     .build()?;
/// latency.with(&Route("/cart"), |h| h.observe(0.02));
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct TypedFamilyBuilder<L: LabelSet, M: Metric> {
    inner: FamilyBuilder<M>,
    labels: PhantomData<fn(&L)>,
}

impl<L: LabelSet, M: Metric> TypedFamilyBuilder<L, M> {
    /// What each child is created from (see [`FamilyBuilder::options`]).
    pub fn options(mut self, options: impl Into<M::Options>) -> Self {
        self.inner = self.inner.options(options);
        self
    }

    /// The cardinality guard of a hashed family (see [`FamilyBuilder::max_series`]:
    /// [`DEFAULT_MAX_SERIES`](super::DEFAULT_MAX_SERIES) unless set, `None` for no limit).
    pub fn max_series(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.inner = self.inner.max_series(limit);
        self
    }

    /// Idle-series expiry (see [`FamilyBuilder::expire_after`]).
    pub fn expire_after(mut self, ttl: std::time::Duration) -> Self {
        self.inner = self.inner.expire_after(ttl);
        self
    }

    /// The clock expiry reads (see [`FamilyBuilder::clock`]).
    pub fn clock(mut self, clock: impl Into<crate::clock::Clock>) -> Self {
        self.inner = self.inner.clock(clock);
        self
    }

    /// Creates the family: dense when every label of `L` has a closed set of values,
    /// hashed otherwise.
    ///
    /// # Errors
    ///
    /// As [`FamilyBuilder::build`]; also [`ErrorKind::TooManySeries`] for a dense set of
    /// more than [`DenseFamily::MAX_COMBINATIONS`](crate::DenseFamily::MAX_COMBINATIONS)
    /// combinations, and [`ErrorKind::InvalidValue`] if two of its combinations have the
    /// same values (a hand-written label type listing a value twice).
    pub fn build(self) -> Result<TypedFamily<L, M>> {
        self.inner.build_typed()
    }
}

/// Fails if two combinations of `L` render the same label values (a label type that
/// lists a value twice).
fn check_distinct_combinations<L: LabelSet>(combinations: usize) -> Result<()> {
    let mut seen = HashSet::with_capacity(combinations);
    for combination in 0..combinations {
        let values: Vec<&str> = (0..L::NAMES.len())
            .map(|label| L::value_of(combination, label))
            .collect();
        if !seen.insert(values.clone()) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("the label set names the values {values:?} twice"),
            ));
        }
    }
    Ok(())
}
