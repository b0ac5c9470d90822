//! The [`LabelValue`] and [`LabelValues`] traits and their implementations.

use std::borrow::Cow;
use std::sync::Arc;

/// One label value: anything that can be viewed as a string.
///
/// Implemented for the string types, `bool` and, through
/// `#[derive(LabelValue)]` (feature `derive`), for fixed-cardinality enums.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a label value",
    label = "not a label value",
    note = "label values are string types (`&str`, `String`, `Box<str>`, `Arc<str>`, `Cow<str>`), `bool`, and enums deriving `LabelValue`; format other values (`id.to_string()`), or use a `TypedFamily`, whose `LabelSet` fields may be integers"
)]
pub trait LabelValue {
    /// The value as it appears in the exposition (unescaped).
    fn as_label_value(&self) -> &str;
}

impl LabelValue for str {
    fn as_label_value(&self) -> &str {
        self
    }
}

impl LabelValue for String {
    fn as_label_value(&self) -> &str {
        self
    }
}

impl LabelValue for Box<str> {
    fn as_label_value(&self) -> &str {
        self
    }
}

impl LabelValue for Arc<str> {
    fn as_label_value(&self) -> &str {
        self
    }
}

impl LabelValue for Cow<'_, str> {
    fn as_label_value(&self) -> &str {
        self
    }
}

impl LabelValue for bool {
    fn as_label_value(&self) -> &str {
        if *self { "true" } else { "false" }
    }
}

impl<T: LabelValue + ?Sized> LabelValue for &T {
    fn as_label_value(&self) -> &str {
        (**self).as_label_value()
    }
}

/// The label values of one series, in the order of the family's label names.
///
/// ```
/// use prom_kit::labels::LabelValues;
///
/// assert_eq!(["GET", "200"].label_count(), 2);
/// assert_eq!(vec![String::from("a")].label_value(0), "a");
/// assert_eq!(("GET", String::from("404")).label_value(1), "404");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the label values of a series",
    label = "not label values",
    note = "pass one value per label name, in order: an array (`&[\"GET\", \"200\"]`), a slice, a `Vec` or a tuple (`&(\"GET\", status)`) of label values"
)]
pub trait LabelValues {
    /// How many values there are.
    fn label_count(&self) -> usize;

    /// The value at `index`; `index` is below [`label_count`](Self::label_count).
    fn label_value(&self, index: usize) -> &str;
}

impl<T: LabelValues + ?Sized> LabelValues for &T {
    fn label_count(&self) -> usize {
        (**self).label_count()
    }
    fn label_value(&self, index: usize) -> &str {
        (**self).label_value(index)
    }
}

impl<V: LabelValue> LabelValues for [V] {
    fn label_count(&self) -> usize {
        self.len()
    }
    fn label_value(&self, index: usize) -> &str {
        self[index].as_label_value()
    }
}

impl<V: LabelValue, const N: usize> LabelValues for [V; N] {
    fn label_count(&self) -> usize {
        N
    }
    fn label_value(&self, index: usize) -> &str {
        self[index].as_label_value()
    }
}

impl<V: LabelValue> LabelValues for Vec<V> {
    fn label_count(&self) -> usize {
        self.len()
    }
    fn label_value(&self, index: usize) -> &str {
        self[index].as_label_value()
    }
}

impl LabelValues for () {
    fn label_count(&self) -> usize {
        0
    }
    fn label_value(&self, _index: usize) -> &'static str {
        ""
    }
}

macro_rules! tuple_label_values {
    ($count:expr; $($name:ident $index:tt),+) => {
        impl<$($name: LabelValue),+> LabelValues for ($($name,)+) {
            fn label_count(&self) -> usize {
                $count
            }
            fn label_value(&self, index: usize) -> &str {
                match index {
                    $($index => self.$index.as_label_value(),)+
                    _ => "",
                }
            }
        }
    };
}

tuple_label_values!(1; A 0);
tuple_label_values!(2; A 0, B 1);
tuple_label_values!(3; A 0, B 1, C 2);
tuple_label_values!(4; A 0, B 1, C 2, D 3);
tuple_label_values!(5; A 0, B 1, C 2, D 3, E 4);
tuple_label_values!(6; A 0, B 1, C 2, D 3, E 4, F 5);
