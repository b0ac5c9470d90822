//! Labelled families: one metric per combination of label values.
//!
//! Which family to choose (lookup times are the medians of `benches/RESULTS.md`, a
//! 2-core VM; bytes per series at 100,000 series of two labels):
//!
//! | family | keyed by | a lookup costs | memory | on a new combination | choose it when |
//! |--------|----------|----------------|--------|----------------------|----------------|
//! | [`TypedFamily<L, M>`](TypedFamily) | a struct deriving [`LabelSet`](crate::labels::LabelSet): the type names the labels | no `Result`; as `DenseFamily` when every field has a closed set of values (enums, `bool`), else as `Family`, whose per-thread cache finds a set of integers and closed fields by its packed values (`{method: enum, status: u16}`: about 8 ns) | as the store it picks | as the store it picks | the label names are known when you write the code: the default |
//! | [`Family<M>`](Family) | string values at run time, in the order of names given at run time | `with`: a per-thread cache hit, about 10 ns; else a hash and a shard's read lock; `labels` (a handle) 16 ns; a `Result` (the count is checked each time) | about 100 B per series | the series is made (its label text rendered) under one shard's write lock; past `max_series` (2,000 by default) the overflow series, with no allocation | label names come from configuration, or no label set type is wanted |
//! | [`DenseFamily<M, L>`](DenseFamily) | a tuple of [`FixedLabel`](crate::labels::FixedLabel)s (enums deriving `LabelValue`, `bool`) | index arithmetic, about 4 ns: no hash, no lock, no reference count; returns `&M` | a slot for every combination (at most 65,536), made with the family | nothing: the slot exists; it is exposed from then on | every label has a closed set of values and a tuple is handier than a struct (`#[derive(Metrics)]` fields with `labels = [..]`) |
//! | [`CompactFamily<M>`](CompactFamily) (`Counter`, `Gauge`) | string values at run time | a hash and two read locks at every update, about 45–55 ns: there are no handles | each distinct value stored once: 41 B per series when values repeat across series, 83 B when each series has a value of its own (see [`CompactFamily`]) | new values are stored under the value store's write lock | hundreds of thousands of series or more, where memory is what limits (no exemplars, created timestamps or expiry) |
//!
//! [`Family::builder`] configures a `Family` (child options such as histogram buckets,
//! `max_series`, `expire_after`) and, with [`FamilyBuilder::build_dense`], a
//! `DenseFamily`: [`DenseFamily::new`] is that builder with its defaults, the only
//! other way to make one. [`TypedFamily::builder`] and [`CompactFamily::builder`]
//! configure theirs. Lookups without a `Result` are a `TypedFamily`'s: its hashed store
//! is a `Family`, looked up the same way, with the count of values fixed by the type.
//!
//! Every family but `CompactFamily` hands out child handles (`labels`) that the caller
//! may keep for the fastest path: an update through a kept handle is one atomic
//! operation whatever the family.
//!
//! Where things are: [`Family`] in `hashed/` (API and lookup cache; its sharded index
//! in `hashed/index.rs`, its cardinality limit in `hashed/cardinality.rs`, expiry sweeps
//! in `hashed/expire.rs`), [`DenseFamily`] in `dense/` (its array in `dense/table.rs`),
//! [`TypedFamily`] in `typed.rs`, [`CompactFamily`] in `compact/` (its value store
//! in `compact/interner.rs`, a shard's table in `compact/table.rs`), [`FamilyBuilder`] here, the expiry rule in
//! `expiry.rs`, the per-thread lookup cache in `cache.rs`, a shard's series storage in
//! `store.rs`.

mod cache;
mod compact;
mod dense;
mod expiry;
mod hashed;
mod store;
mod typed;

pub use compact::{CompactFamily, CompactFamilyBuilder, CompactMetric};
pub use dense::DenseFamily;
pub(crate) use dense::table::DenseTable;
pub use hashed::Family;
pub(crate) use typed::Store as TypedStore;
pub use typed::{TypedFamily, TypedFamilyBuilder};

use std::time::Duration;

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::Metric;
use expiry::Expiry;

/// What a scrape's walk over a sharded family ([`Family`], [`CompactFamily`]) visits.
#[derive(Debug)]
pub(crate) enum Visit<'a, M> {
    /// A series: its rendered label text and its metric or value (under its shard's
    /// read lock).
    Series(&'a str, &'a M),
    /// The end of a shard, whose lock is released: where a streamed scrape drains.
    ShardDone,
}

/// How many shards a hashed family spreads its series over: four per core, a power of
/// two from 4 to 64.
fn shard_count() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get() * 4)
        .next_power_of_two()
        .clamp(4, 64)
}

/// The series a [`Family`], a hashed [`TypedFamily`] or a [`CompactFamily`] holds at most
/// unless its builder's `max_series` says otherwise: 2,000, as OpenTelemetry's SDKs limit
/// each instrument by default.
///
/// A label that takes user input (a raw path, a user id) makes a series per value; past
/// this limit, new values all go to the one overflow series instead of growing memory and
/// the exposition without bound, and the scrape handler counts
/// `prom_kit_scrape_errors_total{cause="series_overflow"}` at every scrape that exposes an
/// overflow series. Set a larger limit for families that are meant to be larger, or
/// `max_series(None)` for none.
pub const DEFAULT_MAX_SERIES: usize = 2_000;

/// Configures a [`Family`] or a [`DenseFamily`] before it is created.
///
/// ```
/// use prom_kit::{Buckets, Family, Histogram};
///
/// let latency: Family<Histogram> = Family::builder(["route"])
///     .options(Buckets::exponential(0.001, 4.0, 8)?)
///     .max_series(500)
///     .build()?;
/// latency.labels(&["/users/{id}"])?.observe(0.02);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct FamilyBuilder<M: Metric> {
    label_names: Vec<Box<str>>,
    options: M::Options,
    max_series: Option<usize>,
    expire_after: Option<Duration>,
    clock: Clock,
}

impl<M: Metric> FamilyBuilder<M> {
    pub(crate) fn new<S: Into<Box<str>>>(label_names: impl IntoIterator<Item = S>) -> Self {
        Self {
            label_names: label_names.into_iter().map(Into::into).collect(),
            options: M::Options::default(),
            max_series: Some(DEFAULT_MAX_SERIES),
            expire_after: None,
            clock: Clock::system(),
        }
    }

    /// What each child is created from: [`Buckets`](crate::Buckets) for histograms.
    pub fn options(mut self, options: impl Into<M::Options>) -> Self {
        self.options = options.into();
        self
    }

    /// The cardinality guard: at most `limit` series ([`DEFAULT_MAX_SERIES`], 2,000, unless
    /// set; `None` for no limit). Once it is reached, lookups of new label combinations
    /// all return one overflow series whose every label value is
    /// [`OVERFLOW_LABEL_VALUE`](crate::labels::OVERFLOW_LABEL_VALUE), so memory stops
    /// growing and the overflow stays visible in the exposition (and in the scrape
    /// handler's `prom_kit_scrape_errors_total{cause="series_overflow"}`). The overflow
    /// series does not count toward the limit, and room freed by
    /// [`remove`](Family::remove) is used by the next new combination. A full family
    /// answers new combinations without allocating or taking a write lock, so a client
    /// that controls a label value cannot make each request expensive. Ignored by
    /// [`DenseFamily`], whose size is fixed by its label types.
    ///
    /// ```
    /// use prom_kit::family::DEFAULT_MAX_SERIES;
    /// use prom_kit::{Counter, Family};
    ///
    /// let by_user: Family<Counter> = Family::new(["user"])?;
    /// for user in 0..DEFAULT_MAX_SERIES + 10 {
    ///     by_user.labels(&[user.to_string()])?.inc();
    /// }
    /// // The limit, and the overflow series, which counted the other 10.
    /// assert_eq!(by_user.len(), DEFAULT_MAX_SERIES + 1);
    ///
    /// let unbounded: Family<Counter> = Family::builder(["user"]).max_series(None).build()?;
    /// for user in 0..DEFAULT_MAX_SERIES + 10 {
    ///     unbounded.labels(&[user.to_string()])?.inc();
    /// }
    /// assert_eq!(unbounded.len(), DEFAULT_MAX_SERIES + 10);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn max_series(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.max_series = limit.into();
        self
    }

    /// Idle-series expiry: a series whose value has not changed for `ttl` leaves the
    /// exposition, and its memory is freed. Nothing is recorded on the update path: each
    /// scrape of the family (or [`Family::sweep`]) compares every series' value with the
    /// one the previous sweep saw. A change is dated by the first sweep that sees it, so
    /// a series leaves between `ttl` and `ttl` plus one scrape interval after its last
    /// update — never earlier. No background thread is involved.
    ///
    /// - A freed series that is looked up again starts afresh: a counter restarts from
    ///   zero with a new created timestamp, which `rate()` and `increase()` treat as the
    ///   counter reset it is.
    /// - A series still referred to — a handle the caller keeps, or one of the last 128
    ///   lookups of another thread than the sweeping one, which each thread's lookup
    ///   cache remembers — is only hidden: it keeps its value and is exposed again at the
    ///   first scrape after an update, so no update through a held handle is ever lost.
    ///   Its memory is freed at the first sweep after the last handle goes (so at most
    ///   128 idle series per thread wait for that thread's next lookups).
    /// - "Changed" is by value: a gauge set again to the value it had, or a counter
    ///   incremented by zero, has not changed.
    ///
    /// Hidden series still count toward [`max_series`](Self::max_series) and
    /// [`Family::len`]. On a [`DenseFamily`], whose series are an array made with the
    /// family, idle series are hidden and exposed again on update, but nothing is freed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use prom_kit::clock::ManualClock;
    /// use prom_kit::{Counter, Family, Registry};
    ///
    /// let clock = ManualClock::new();
    /// let logins: Family<Counter> = Family::builder(["user"])
    ///     .expire_after(Duration::from_secs(600))
    ///     .clock(clock.clone())
    ///     .build()?;
    /// let registry = Registry::new();
    /// registry.register("logins", "Logins by user.", logins.clone())?;
    /// logins.labels(&["ada"])?.inc();
    /// logins.labels(&["bob"])?.inc();
    /// registry.encode_text()?; // a scrape: both have changed
    /// clock.advance(Duration::from_secs(300));
    /// logins.labels(&["bob"])?.inc();
    /// registry.encode_text()?; // bob has changed again
    /// clock.advance(Duration::from_secs(300));
    /// assert_eq!(registry.encode_text()?, "\
    /// ## HELP logins_total Logins by user.
    /// ## TYPE logins_total counter
    /// logins_total{user=\"bob\"} 2
    /// ");
    /// assert_eq!(logins.len(), 1);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn expire_after(mut self, ttl: Duration) -> Self {
        self.expire_after = Some(ttl);
        self
    }

    /// The clock [`expire_after`](Self::expire_after) reads: the system's by default, a
    /// [`ManualClock`](crate::clock::ManualClock) in tests.
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// Creates the string-labelled family.
    ///
    /// Label names are checked here as every family constructor checks them, refusing
    /// what no registry accepts; a name that only a registry in
    /// [`NameValidation::Utf8`](crate::NameValidation::Utf8) accepts (`http.route`,
    /// `bad-label`) is judged by the registry the family is registered in:
    ///
    /// ```
    /// use prom_kit::{Counter, Family, Histogram, Registry};
    ///
    /// let error = Family::<Histogram>::new(["route", "le"]).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "reserved label name: \"le\": a histogram adds it to its bucket series itself"
    /// );
    /// let family: Family<Counter> = Family::new(["http.route"])?;
    /// let error = Registry::new().register("requests", "", family).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "invalid label name: \"http.route\" does not match [a-zA-Z_][a-zA-Z0-9_]* \
    ///      (legacy name validation; a registry made with NameValidation::Utf8 accepts it)"
    /// );
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// An empty, reserved (`le` on histograms, `quantile` on summaries, a `__` prefix,
    /// also once escaped: see [`NameValidation`](crate::NameValidation)) or repeated
    /// label name, options a child cannot be made from, or an expiry time
    /// of zero ([`ErrorKind::InvalidValue`]).
    pub fn build(self) -> Result<Family<M>> {
        let names = self.checked_names()?;
        let expiry = self.expiry()?;
        Ok(Family::from_parts(
            names,
            self.options,
            self.max_series,
            expiry,
        ))
    }

    /// Creates a fixed-cardinality family keyed by the label tuple `L`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build); also [`ErrorKind::LabelCount`] if the number of names is
    /// not the arity of `L`, [`ErrorKind::InvalidValue`] if a label type lists a value
    /// twice, and [`ErrorKind::TooManySeries`] if `L` has more than
    /// [`DenseFamily::MAX_COMBINATIONS`] combinations.
    pub fn build_dense<L: crate::labels::FixedLabelSet>(self) -> Result<DenseFamily<M, L>> {
        let names = self.checked_names()?;
        let expiry = self.expiry()?;
        DenseFamily::from_parts(names, &self.options, expiry)
    }

    /// Creates the family keyed by the label set `L`, for [`TypedFamilyBuilder`].
    pub(crate) fn build_typed<L: crate::labels::LabelSet>(self) -> Result<TypedFamily<L, M>> {
        let names = self.checked_names()?;
        let expiry = self.expiry()?;
        TypedFamily::from_parts(names, &self.options, self.max_series, expiry)
    }

    fn expiry(&self) -> Result<Option<Expiry>> {
        match self.expire_after {
            Some(Duration::ZERO) => Err(Error::new(
                ErrorKind::InvalidValue,
                "an expiry time of zero would hide every series at once",
            )),
            ttl => Ok(ttl.map(|ttl| Expiry::new(ttl, self.clock.clone()))),
        }
    }

    fn checked_names(&self) -> Result<Box<[Box<str>]>> {
        M::check_options(&self.options)?;
        M::TYPE.check_label_names(&self.label_names)?;
        Ok(self.label_names.clone().into_boxed_slice())
    }
}
