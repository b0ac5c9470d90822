//! [`FixedArityFamily`]: a [`Family`] whose number of label values is checked once, when
//! it is made, so that its lookups by arrays of that length cannot fail.

use std::fmt;

use super::Family;
use crate::error::{Error, ErrorKind, Result};
use crate::labels::LabelValue;
use crate::metrics::Metric;

/// A [`Family`] with `N` labels, looked up by arrays of `N` values: the count is checked
/// by [`Family::fixed_arity`], so [`with`](Self::with) and [`labels`](Self::labels)
/// return no `Result`. Clones share the family's series. It registers as its family
/// does, and can be a field of a `#[derive(Metrics)]` struct.
///
/// ```
/// use prom_kit::{Counter, Family, Registry};
///
/// let registry = Registry::new();
/// let requests: Family<Counter> = Family::new(["method", "status"])?;
/// registry.register("requests", "Requests.", requests.clone())?;
/// let requests = requests.fixed_arity::<2>()?;
/// requests.with(&["GET", "200"], Counter::inc);
/// requests.labels(&[String::from("GET"), String::from("200")]).inc();
/// assert!(registry.encode_text()?.ends_with("requests_total{method=\"GET\",status=\"200\"} 2\n"));
/// assert!(Family::<Counter>::new(["method"])?.fixed_arity::<2>().is_err());
///
/// let calls = Family::<Counter>::new(["method"])?.fixed_arity::<1>()?;
/// registry.register("calls", "Calls.", calls.clone())?;
/// calls.with(&["GET"], Counter::inc);
/// assert!(registry.encode_text()?.starts_with("# HELP calls_total Calls.\n# TYPE calls_total counter\ncalls_total{method=\"GET\"} 1\n"));
/// # Ok::<(), prom_kit::Error>(())
/// ```
pub struct FixedArityFamily<M: Metric, const N: usize> {
    family: Family<M>,
}

impl<M: Metric, const N: usize> Clone for FixedArityFamily<M, N> {
    fn clone(&self) -> Self {
        Self {
            family: self.family.clone(),
        }
    }
}

impl<M: Metric, const N: usize> fmt::Debug for FixedArityFamily<M, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FixedArityFamily")
            .field(&self.family)
            .finish()
    }
}

impl<M: Metric> Family<M> {
    /// This family, looked up by arrays of `N` values from now on (see
    /// [`FixedArityFamily`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`] unless the family has `N` labels.
    pub fn fixed_arity<const N: usize>(self) -> Result<FixedArityFamily<M, N>> {
        let names = self.label_names();
        if names.len() == N {
            Ok(FixedArityFamily { family: self })
        } else {
            Err(Error::new(
                ErrorKind::LabelCount,
                format!(
                    "the family has {} labels ({}), not {N}",
                    names.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

impl<M: Metric, const N: usize> FixedArityFamily<M, N> {
    /// Calls `f` with the child for `values` (created on first use), as
    /// [`Family::with`].
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, the cache lookup inside is called out of line"
    )]
    #[inline(always)]
    pub fn with<V: LabelValue, R>(&self, values: &[V; N], f: impl FnOnce(&M) -> R) -> R {
        self.family.with_label_set_values(values, f)
    }

    /// A handle to the child for `values`, created on first use.
    #[inline]
    pub fn labels<V: LabelValue>(&self, values: &[V; N]) -> M {
        self.with(values, M::clone)
    }

    /// The family itself, for everything else (removal, expiry, registration).
    pub fn family(&self) -> &Family<M> {
        &self.family
    }
}
