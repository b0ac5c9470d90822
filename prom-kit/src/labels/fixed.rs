//! Fixed-cardinality labels: label types with a closed set of values, mapped to a dense
//! index so that a lookup is arithmetic instead of hashing.

use super::values::{LabelValue, LabelValues};

/// A label value type with a closed, known set of values, such as an enum.
///
/// `VALUES[i]` is the exposed value of the variant whose [`index`](Self::index) is `i`.
/// Derive implementations with `#[derive(LabelValue)]` on an enum of unit variants
/// (feature `derive`; it implements [`LabelValue`] too); `bool` implements it with the
/// values `"false"` and `"true"`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a label field",
    label = "not a label value type",
    note = "label fields are string types, integers, `bool`, or enums deriving `LabelValue`; a type of your own implements `prom_kit::labels::LabelField`"
)]
pub trait FixedLabel: LabelValue + Copy {
    /// Every value, in index order.
    const VALUES: &'static [&'static str];

    /// This value's position in [`VALUES`](Self::VALUES).
    fn index(self) -> usize;
}

impl FixedLabel for bool {
    const VALUES: &'static [&'static str] = &["false", "true"];

    fn index(self) -> usize {
        usize::from(self)
    }
}

/// A tuple of [`FixedLabel`]s: one label set with finitely many combinations, each mapped
/// to a distinct dense index in `0..combinations()`.
///
/// One label is a tuple of one: `DenseFamily<Counter, (Method,)>`, not
/// `DenseFamily<Counter, Method>` (which the compiler refuses, saying so).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tuple of fixed-cardinality labels",
    label = "not a `FixedLabelSet`",
    note = "a `DenseFamily` is keyed by a tuple of `bool`s and enums deriving `LabelValue`, one per label: for one label write the tuple `({Self},)`; a struct deriving `LabelSet` keys a `TypedFamily`"
)]
pub trait FixedLabelSet: LabelValues + Copy {
    /// The number of labels.
    const ARITY: usize;

    /// The number of combinations, or `None` if it overflows `usize`.
    fn combinations() -> Option<usize>;

    /// The dense index of this combination, below [`combinations`](Self::combinations).
    fn dense_index(self) -> usize;

    /// The value of label `label` in the combination with dense index `combination`.
    fn value_of(combination: usize, label: usize) -> &'static str;

    /// The value lists of every label, in label order.
    fn value_lists() -> Vec<&'static [&'static str]>;
}

macro_rules! tuple_fixed_label_set {
    ($arity:expr; $($name:ident $index:tt),+) => {
        impl<$($name: FixedLabel),+> FixedLabelSet for ($($name,)+) {
            const ARITY: usize = $arity;

            fn combinations() -> Option<usize> {
                let mut product = 1usize;
                $(product = product.checked_mul($name::VALUES.len())?;)+
                Some(product)
            }

            #[inline]
            fn dense_index(self) -> usize {
                let mut index = 0usize;
                $(index = index * $name::VALUES.len() + self.$index.index();)+
                index
            }

            fn value_of(combination: usize, label: usize) -> &'static str {
                let lists = [$($name::VALUES),+];
                let mut rest = combination;
                let mut digits = [0usize; $arity];
                for position in (0..$arity).rev() {
                    let radix = lists[position].len();
                    digits[position] = rest % radix;
                    rest /= radix;
                }
                lists[label][digits[label]]
            }

            fn value_lists() -> Vec<&'static [&'static str]> {
                vec![$($name::VALUES),+]
            }
        }
    };
}

tuple_fixed_label_set!(1; A 0);
tuple_fixed_label_set!(2; A 0, B 1);
tuple_fixed_label_set!(3; A 0, B 1, C 2);
tuple_fixed_label_set!(4; A 0, B 1, C 2, D 3);

/// Declares an enum usable as a fixed-cardinality label value; replaced by
/// `#[derive(LabelValue)]` (feature `derive`), which works on an enum of your own, with
/// its own derives, and takes `rename` / `rename_all`. This macro will be removed in a
/// later minor version.
///
/// Each variant names the string it is exposed as. The enum derives `Clone`, `Copy`,
/// `Debug`, `PartialEq`, `Eq` and `Hash`, and implements [`LabelValue`] and
/// [`FixedLabel`]. The same with the derive:
///
/// ```text
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, prom_kit::LabelValue)]
/// #[label(rename_all = "UPPERCASE")]
/// pub enum Method { Get, Post }
/// ```
///
/// ```
/// # #![allow(deprecated)]
/// use prom_kit::label_enum;
/// use prom_kit::labels::{FixedLabel, LabelValue};
///
/// label_enum! {
///     /// HTTP methods we serve.
///     pub enum Method {
///         /// GET
///         Get => "GET",
///         /// POST
///         Post => "POST",
///     }
/// }
///
/// assert_eq!(Method::Post.as_label_value(), "POST");
/// assert_eq!(Method::Post.index(), 1);
/// assert_eq!(Method::VALUES, &["GET", "POST"]);
/// ```
#[deprecated(
    note = "use `#[derive(LabelValue)]` (feature `derive`), with `#[label(rename = \"…\")]` on a variant or `#[label(rename_all = \"…\")]` on the enum"
)]
#[macro_export]
macro_rules! label_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident => $value:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $crate::labels::LabelValue for $name {
            fn as_label_value(&self) -> &str {
                <Self as $crate::labels::FixedLabel>::VALUES[*self as usize]
            }
        }

        impl $crate::labels::FixedLabel for $name {
            const VALUES: &'static [&'static str] = &[$($value),+];

            #[inline]
            fn index(self) -> usize {
                self as usize
            }
        }
    };
}

#[cfg(test)]
#[expect(
    deprecated,
    reason = "the deprecated `label_enum!` is tested while it exists"
)]
mod tests {
    use super::*;

    crate::label_enum! {
        enum Color { Red => "red", Green => "green", Blue => "blue" }
    }

    #[test]
    fn dense_indices_are_distinct_and_decode() {
        type Set = (Color, bool);
        assert_eq!(Set::combinations(), Some(6));
        let mut seen = Vec::new();
        for c in [Color::Red, Color::Green, Color::Blue] {
            for b in [false, true] {
                let index = (c, b).dense_index();
                assert!(index < 6);
                assert!(!seen.contains(&index));
                seen.push(index);
                assert_eq!(Set::value_of(index, 0), c.as_label_value());
                assert_eq!(Set::value_of(index, 1), b.as_label_value());
            }
        }
    }
}
