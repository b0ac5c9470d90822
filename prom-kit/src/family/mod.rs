//! Labelled families: one metric per combination of label values.
//!
//! - [`Family`] takes string label values (or any [`LabelValues`](crate::labels::LabelValues)); lookups hash the
//!   values into one of several cache-padded shards and compare them against each
//!   series' rendered label text, so `("ab", "c")` and `("a", "bc")` never collide and a
//!   hit allocates nothing.
//! - [`DenseFamily`] takes a tuple of [`FixedLabel`](crate::labels::FixedLabel) enums and
//!   stores every combination in an array: a lookup is index arithmetic, with no hash and
//!   no lock.
//!
//! Both hand out child handles that the caller may keep for the fastest path.
//!
//! Where things are: [`Family`] in `hashed/` (API and lookup cache; its sharded index
//! in `hashed/index.rs`, its cardinality limit in `hashed/cardinality.rs`),
//! [`DenseFamily`] in `dense.rs`, [`FamilyBuilder`] here, the per-thread lookup cache in
//! `cache.rs`, a shard's series storage in `store.rs`.

mod cache;
mod dense;
mod hashed;
mod store;

pub use dense::DenseFamily;
pub use hashed::Family;

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::Metric;
use crate::name::NameValidation;

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
}

impl<M: Metric> FamilyBuilder<M> {
    pub(crate) fn new<S: Into<Box<str>>>(label_names: impl IntoIterator<Item = S>) -> Self {
        Self {
            label_names: label_names.into_iter().map(Into::into).collect(),
            options: M::Options::default(),
            max_series: None,
        }
    }

    /// What each child is created from: [`Buckets`](crate::Buckets) for histograms.
    pub fn options(mut self, options: impl Into<M::Options>) -> Self {
        self.options = options.into();
        self
    }

    /// The cardinality guard: at most `limit` series. Once it is reached, lookups of new
    /// label combinations all return one overflow series whose every label value is
    /// [`OVERFLOW_LABEL_VALUE`](crate::labels::OVERFLOW_LABEL_VALUE), so memory stops
    /// growing and the overflow stays visible in the exposition. The overflow series
    /// does not count toward the limit, and room freed by
    /// [`remove`](Family::remove) is used by the next new combination. A full family
    /// answers new combinations without allocating or taking a write lock, so a client
    /// that controls a label value cannot make each request expensive. Ignored by
    /// [`DenseFamily`], whose size is fixed by its label types.
    pub fn max_series(mut self, limit: usize) -> Self {
        self.max_series = Some(limit);
        self
    }

    /// Creates the string-labelled family.
    ///
    /// # Errors
    ///
    /// An invalid, reserved (`le` on histograms, `quantile` on summaries, a `__` prefix)
    /// or repeated label name, or options a child cannot be made from.
    pub fn build(self) -> Result<Family<M>> {
        let names = self.checked_names()?;
        Ok(Family::from_parts(names, self.options, self.max_series))
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
        DenseFamily::from_parts(names, &self.options)
    }

    fn checked_names(&self) -> Result<Box<[Box<str>]>> {
        M::check_options(&self.options)?;
        NameValidation::Utf8.check_label_names(&self.label_names)?;
        if let Some(reserved) = M::TYPE.reserved_label() {
            if self.label_names.iter().any(|n| &**n == reserved) {
                return Err(Error::about(ErrorKind::ReservedLabelName, reserved));
            }
        }
        Ok(self.label_names.clone().into_boxed_slice())
    }
}
