//! Typed label sets: [`LabelSet`], a struct whose fields are a series' label values and
//! whose type names the labels (written with `#[derive(LabelSet)]`), and [`LabelField`],
//! what each field's type contributes (its text, and its closed set of values if it has
//! one).

use std::borrow::Cow;
use std::sync::Arc;

use super::fixed::FixedLabel;
use super::values::LabelValues;

/// The label values of one series as a typed value: the label names come from the type,
/// so a family keyed by it cannot be given the wrong number of values, and a lookup by
/// it cannot fail (see [`TypedFamily`](crate::family::TypedFamily)).
///
/// Write implementations with `#[derive(LabelSet)]` (feature `derive`): each field is a
/// label, named after the field or `#[label(name = "…")]`, its type a [`LabelField`]
/// (the string types, integers, `bool`, and enums deriving `LabelValue`). When every
/// field has a closed set of values, [`COMBINATIONS`](Self::COMBINATIONS) is known and a
/// family keyed by the set is an array indexed by [`dense_index`](Self::dense_index): no
/// hash, no lock.
///
/// ```
/// use prom_kit::labels::{LabelBuffer, LabelField, LabelSet, LabelVisitor};
///
/// // What `#[derive(LabelSet)]` writes for `struct Request { route: &'static str, code: u16 }`.
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
/// let request = Request { route: "/cart", code: 404 };
/// assert_eq!(request.values(), ["/cart", "404"]);
/// assert_eq!(Request::COMBINATIONS, None);
/// ```
///
/// An enum deriving `LabelValue` is one label's value, not a label set: it is a field of
/// one (`#[derive(LabelSet)] struct Labels { method: Method }`), and a
/// [`DenseFamily`](crate::DenseFamily) takes it in a tuple (`DenseFamily<Counter,
/// (Method,)>`). The compiler says so where a label set is expected.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a label set",
    label = "not a `LabelSet`",
    note = "a label set is a struct deriving `LabelSet`, one field per label; an enum deriving `LabelValue` is one label's value: make it a field (`#[derive(LabelSet)] struct Labels {{ name: {Self} }}`), or key a `DenseFamily` by the tuple `({Self},)`"
)]
pub trait LabelSet {
    /// The label names, in the order [`visit_values`](Self::visit_values) gives the
    /// values.
    const NAMES: &'static [&'static str];

    /// The number of label combinations when every label has a closed set of values
    /// (`None` otherwise, or if the product overflows).
    const COMBINATIONS: Option<usize> = None;

    /// Hands the label values, one per name in the order of [`NAMES`](Self::NAMES), to
    /// `visitor` (as an array, whose fixed length keeps a lookup's loops unrolled).
    fn visit_values<R>(&self, visitor: impl LabelVisitor<R>) -> R;

    /// The label values as owned strings, for tests and debugging.
    fn values(&self) -> Vec<String> {
        self.visit_values(ToOwnedValues)
    }

    /// This combination's position in `0..COMBINATIONS` (only called when
    /// [`COMBINATIONS`](Self::COMBINATIONS) is `Some`).
    fn dense_index(&self) -> usize {
        0
    }

    /// The value of label `label` in the combination at position `combination` (only
    /// called when [`COMBINATIONS`](Self::COMBINATIONS) is `Some`).
    fn value_of(combination: usize, label: usize) -> &'static str {
        let _ = (combination, label);
        ""
    }

    /// The values as one number that tells every combination apart, when all the
    /// fields pack into 64 bits together ([`LabelField::PACKED_BITS`]: integers of up
    /// to 64 bits, `bool`, enums deriving `LabelValue`); `None` (the default) otherwise.
    /// A hashed [`TypedFamily`](crate::TypedFamily) finds a packed label set in its
    /// per-thread cache by this number alone: no value is formatted on a hit.
    ///
    /// ```
    /// # #[cfg(feature = "derive")] {
    /// use prom_kit::{LabelSet, LabelValue};
    ///
    /// #[derive(Clone, Copy, LabelValue)]
    /// enum Method { Get, Post }
    ///
    /// #[derive(LabelSet)]
    /// struct Response { method: Method, status: u16 }
    ///
    /// #[derive(LabelSet)]
    /// struct Route { route: String }
    ///
    /// // The method's position (2 bits), then the status (16 bits).
    /// let response = Response { method: Method::Post, status: 404 };
    /// assert_eq!(response.packed(), Some(1 << 16 | 404));
    /// assert_eq!(Route { route: "/".into() }.packed(), None);
    /// # }
    /// ```
    fn packed(&self) -> Option<u64> {
        None
    }
}

/// Receives the label values of a [`LabelSet`] (see [`LabelSet::visit_values`]).
pub trait LabelVisitor<R> {
    /// Called once with the values.
    fn visit<V: LabelValues + ?Sized>(self, values: &V) -> R;
}

/// Copies the values out, for [`LabelSet::values`].
struct ToOwnedValues;

impl LabelVisitor<Vec<String>> for ToOwnedValues {
    fn visit<V: LabelValues + ?Sized>(self, values: &V) -> Vec<String> {
        (0..values.label_count())
            .map(|i| values.label_value(i).to_owned())
            .collect()
    }
}

/// Room to format a number label value in, on the caller's stack.
#[derive(Default)]
pub struct LabelBuffer(itoa::Buffer);

impl LabelBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self(itoa::Buffer::new())
    }
}

impl std::fmt::Debug for LabelBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LabelBuffer")
    }
}

/// A type that can be a field of a [`LabelSet`]: it gives its text (formatting numbers
/// into a [`LabelBuffer`]), and, for types with a closed set of values, those values and
/// its position among them.
///
/// Implemented for `&str`, `String`, `Box<str>`, `Arc<str>`, `Cow<str>`, the integer
/// types, and every [`FixedLabel`] (`bool`, enums deriving `LabelValue`). A newtype of
/// your own implements it in one line:
///
/// ```
/// use prom_kit::labels::{LabelBuffer, LabelField};
///
/// struct TenantId(String);
///
/// impl LabelField for TenantId {
///     fn text<'a>(&'a self, _: &'a mut LabelBuffer) -> &'a str {
///         &self.0
///     }
/// }
///
/// assert_eq!(TenantId("acme".into()).text(&mut LabelBuffer::new()), "acme");
/// assert_eq!(TenantId::VALUES, None);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a label field",
    label = "not a label value type",
    note = "label fields are string types, integers, `bool`, or enums deriving `LabelValue`; a type of your own implements `prom_kit::labels::LabelField`"
)]
pub trait LabelField {
    /// Every value the type can take, in index order, if that set is closed.
    const VALUES: Option<&'static [&'static str]> = None;

    /// The value's text; numbers are formatted into `buffer`.
    fn text<'a>(&'a self, buffer: &'a mut LabelBuffer) -> &'a str;

    /// The value's position in [`VALUES`](Self::VALUES) (only called when that is
    /// `Some`).
    fn index(&self) -> usize {
        0
    }

    /// How many bits [`packed`](Self::packed) needs to tell every value of the type
    /// apart, if it can at all (`None`, the default: strings). A label set whose fields
    /// all pack into 64 bits together is found in a hashed family's per-thread cache by
    /// that number, without formatting its values.
    const PACKED_BITS: Option<u32> = None;

    /// The value as a number below `2^PACKED_BITS`, a different one for every value
    /// (only called when [`PACKED_BITS`](Self::PACKED_BITS) is `Some`).
    fn packed(&self) -> u64 {
        0
    }
}

impl<T: FixedLabel> LabelField for T {
    const VALUES: Option<&'static [&'static str]> = Some(T::VALUES);
    const PACKED_BITS: Option<u32> = Some(usize::BITS - T::VALUES.len().leading_zeros());

    #[inline]
    fn packed(&self) -> u64 {
        FixedLabel::index(*self) as u64
    }

    #[inline]
    fn text<'a>(&'a self, _: &'a mut LabelBuffer) -> &'a str {
        self.as_label_value()
    }

    #[inline]
    fn index(&self) -> usize {
        FixedLabel::index(*self)
    }
}

macro_rules! string_fields {
    ($($type:ty),+) => {$(
        impl LabelField for $type {
            #[inline]
            fn text<'a>(&'a self, _: &'a mut LabelBuffer) -> &'a str {
                self
            }
        }
    )+};
}

string_fields!(&str, String, Box<str>, Arc<str>, Cow<'_, str>);

macro_rules! integer_fields {
    ($($type:ty as $bits:ty),+) => {$(
        impl LabelField for $type {
            const PACKED_BITS: Option<u32> = Some(<$bits>::BITS);

            #[inline]
            fn text<'a>(&'a self, buffer: &'a mut LabelBuffer) -> &'a str {
                buffer.0.format(*self)
            }

            #[inline]
            #[allow(
                clippy::cast_sign_loss,
                clippy::cast_possible_truncation,
                trivial_numeric_casts,
                reason = "the value's bits, not its number: reinterpreted at its own width"
            )]
            fn packed(&self) -> u64 {
                u64::from(*self as $bits)
            }
        }
    )+};
}

integer_fields!(
    u8 as u8, u16 as u16, u32 as u32, u64 as u64, i8 as u8, i16 as u16, i32 as u32, i64 as u64
);

#[cfg(target_pointer_width = "64")]
integer_fields!(usize as u64, isize as u64);

#[cfg(not(target_pointer_width = "64"))]
integer_fields!(usize as u32, isize as u32);

macro_rules! wide_integer_fields {
    ($($type:ty),+) => {$(
        impl LabelField for $type {
            #[inline]
            fn text<'a>(&'a self, buffer: &'a mut LabelBuffer) -> &'a str {
                buffer.0.format(*self)
            }
        }
    )+};
}

wide_integer_fields!(u128, i128);

/// The bits a label set's fields need packed together ([`LabelField::PACKED_BITS`]):
/// `None` if one of them cannot be packed or they need more than 64. For
/// `#[derive(LabelSet)]`.
#[doc(hidden)]
pub const fn packed_bits(fields: &[Option<u32>]) -> Option<u32> {
    let mut total = 0u32;
    let mut i = 0;
    while i < fields.len() {
        let Some(bits) = fields[i] else {
            return None;
        };
        total += bits;
        i += 1;
    }
    if total <= u64::BITS {
        Some(total)
    } else {
        None
    }
}

/// `key` with a field's packed value of `bits` bits appended below it (cut to `bits`, so
/// that a hand-written `packed` or `FixedLabel::index` out of its range cannot reach
/// into another field's bits). For `#[derive(LabelSet)]`.
#[doc(hidden)]
#[inline]
pub const fn pack(key: u64, bits: Option<u32>, value: u64) -> u64 {
    match bits {
        // A field of 64 bits is the only one: `key` is still 0.
        Some(bits) if bits < u64::BITS => (key << bits) | (value & ((1 << bits) - 1)),
        _ => value,
    }
}

/// The number of combinations of fields whose value lists are `lists`: `None` if one of
/// them is open (`None`) or the product overflows. For `#[derive(LabelSet)]`.
#[doc(hidden)]
pub const fn combinations(lists: &[Option<&'static [&'static str]>]) -> Option<usize> {
    let mut product = 1usize;
    let mut i = 0;
    while i < lists.len() {
        let Some(list) = lists[i] else {
            return None;
        };
        let Some(next) = product.checked_mul(list.len()) else {
            return None;
        };
        product = next;
        i += 1;
    }
    Some(product)
}

/// The length of a field's value list (0 for an open one). For `#[derive(LabelSet)]`.
#[doc(hidden)]
pub const fn value_count(list: Option<&'static [&'static str]>) -> usize {
    match list {
        Some(list) => list.len(),
        None => 0,
    }
}

/// The value of label `label` in combination `combination` of fields with value lists
/// `lists` (mixed radix, the first label most significant, as
/// [`LabelSet::dense_index`] counts). For `#[derive(LabelSet)]`.
#[doc(hidden)]
pub fn value_of(
    lists: &[Option<&'static [&'static str]>],
    combination: usize,
    label: usize,
) -> &'static str {
    let mut rest = combination;
    for position in (label + 1..lists.len()).rev() {
        rest /= value_count(lists[position]).max(1);
    }
    lists
        .get(label)
        .copied()
        .flatten()
        .and_then(|list| list.get(rest % list.len().max(1)))
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_give_their_text_and_closed_sets() {
        let mut buffer = LabelBuffer::new();
        assert_eq!((-42i64).text(&mut buffer), "-42");
        assert_eq!(u128::MAX.text(&mut buffer), u128::MAX.to_string());
        assert_eq!(true.text(&mut buffer), "true");
        assert_eq!(<bool as LabelField>::VALUES, Some(&["false", "true"][..]));
        assert_eq!(LabelField::index(&true), 1);
        assert_eq!(<String as LabelField>::VALUES, None);
        assert_eq!(Cow::Borrowed("x").text(&mut buffer), "x");
    }

    #[test]
    fn packed_fields_keep_to_their_bits() {
        assert_eq!(<u16 as LabelField>::PACKED_BITS, Some(16));
        assert_eq!(<i8 as LabelField>::PACKED_BITS, Some(8));
        assert_eq!(<bool as LabelField>::PACKED_BITS, Some(2));
        assert_eq!(<u128 as LabelField>::PACKED_BITS, None);
        assert_eq!(<String as LabelField>::PACKED_BITS, None);
        assert_eq!(LabelField::packed(&-1i16), 0xffff);
        assert_eq!(LabelField::packed(&u64::MAX), u64::MAX);
        assert_eq!(packed_bits(&[Some(16), Some(2)]), Some(18));
        assert_eq!(packed_bits(&[Some(64), Some(1)]), None);
        assert_eq!(packed_bits(&[Some(8), None]), None);
        assert_eq!(packed_bits(&[Some(64)]), Some(64));
        // A value past its width is cut to it, and never reaches the field before it.
        assert_eq!(pack(pack(0, Some(2), 1), Some(2), 7), 0b111);
        assert_eq!(pack(pack(0, Some(2), 2), Some(16), 404), (2 << 16) + 404);
        assert_eq!(pack(0, Some(64), u64::MAX), u64::MAX);
    }

    #[test]
    fn combinations_and_values_of_mixed_radix_positions() {
        const THREE: &[&str] = &["a", "b", "c"];
        const TWO: &[&str] = &["x", "y"];
        let lists = [Some(THREE), Some(TWO)];
        assert_eq!(combinations(&lists), Some(6));
        assert_eq!(combinations(&[Some(THREE), None]), None);
        assert_eq!(combinations(&[Some(&["a"; 300][..]); 8]), None, "overflow");
        // Position 3 is (b, y): 1 × 2 + 1.
        assert_eq!((value_of(&lists, 3, 0), value_of(&lists, 3, 1)), ("b", "y"));
        assert_eq!(value_of(&lists, 5, 0), "c");
        assert_eq!(value_of(&lists, 0, 7), "", "no such label");
    }
}
