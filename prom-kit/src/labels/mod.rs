//! Label values: how a lookup names a series.
//!
//! A [`Family`](crate::Family) fixes its label *names* when it is created; each lookup passes
//! the *values*, in the same order, as anything implementing [`LabelValues`]: arrays, slices
//! and vectors of `&str` or `String`, or tuples whose elements implement [`LabelValue`] (so
//! string values and [`FixedLabel`] enums mix in one lookup).
//!
//! Label types with a closed set of values implement [`FixedLabel`] (derive it on an enum
//! with `#[derive(LabelValue)]`, feature `derive`); a tuple of them is a [`FixedLabelSet`], which a
//! [`DenseFamily`](crate::DenseFamily) turns into an array index — no hashing, no lock.
//!
//! A struct of label values deriving [`LabelSet`] (feature `derive`) names its labels in
//! its type: a [`TypedFamily`](crate::family::TypedFamily) keyed by it takes lookups that
//! cannot fail, through the dense array when every field has a closed set of values.
//!
//! Values that are `'static` — constants, or run-time text passed through [`intern`] once —
//! can be looked up with [`Family::with_static`](crate::Family::with_static), which
//! recognises them by address.

mod fixed;
mod intern;
pub(crate) mod render;
mod set;
mod values;

pub use fixed::{FixedLabel, FixedLabelSet};
pub use intern::intern;
pub use set::{LabelBuffer, LabelField, LabelSet, LabelVisitor};
#[doc(hidden)]
pub use set::{combinations, pack, packed_bits, value_count, value_of};
pub use values::{LabelValue, LabelValues};

use crate::error::{Error, ErrorKind, Result};

/// The value every label of a family's overflow series carries once the family's series
/// limit is reached (see [`FamilyBuilder::max_series`](crate::family::FamilyBuilder::max_series)).
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// Whether `values` are the overflow series' (every value [`OVERFLOW_LABEL_VALUE`]).
pub(crate) fn is_overflow_values<V: LabelValues + ?Sized>(values: &V) -> bool {
    (0..values.label_count()).all(|i| values.label_value(i) == OVERFLOW_LABEL_VALUE)
}

/// The overflow series' label values for a family of this many labels, without a
/// vector of them.
pub(crate) struct OverflowValues(pub(crate) usize);

impl LabelValues for OverflowValues {
    fn label_count(&self) -> usize {
        self.0
    }
    fn label_value(&self, _: usize) -> &str {
        OVERFLOW_LABEL_VALUE
    }
}

/// Fails with [`ErrorKind::LabelCount`] unless `values` has one value per name.
#[inline]
pub(crate) fn check_arity<V: LabelValues + ?Sized>(names: &[Box<str>], values: &V) -> Result<()> {
    if values.label_count() == names.len() {
        Ok(())
    } else {
        Err(arity_error(names, values.label_count()))
    }
}

#[cold]
fn arity_error(names: &[Box<str>], got: usize) -> Error {
    Error::new(
        ErrorKind::LabelCount,
        format!(
            "expected {} label values ({}), got {}",
            names.len(),
            names.join(", "),
            got
        ),
    )
}
