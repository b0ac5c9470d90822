//! Derive macros for prom-kit, re-exported by `prom-kit` with its `derive` feature (use
//! them as `prom_kit::LabelSet` and `prom_kit::LabelValue`; the generated code names the
//! `prom_kit` crate).
//!
//! - `#[derive(LabelValue)]` on an enum of unit variants: a label with a closed set of
//!   values (`LabelValue` and `FixedLabel`), each variant exposed as its name,
//!   `#[label(rename = "…")]`, or as `#[label(rename_all = "…")]` on the enum says.
//! - `#[derive(LabelSet)]` on a struct with named fields: a typed label set, one label
//!   per field, named after the field or `#[label(name = "…")]`.
//!
//! Where the attributes are in `attrs.rs`, the enum derive in `label_value.rs`, the
//! struct derive in `label_set.rs`.

mod attrs;
mod label_set;
mod label_value;

use proc_macro::TokenStream;

/// Implements `prom_kit::labels::LabelValue` and `prom_kit::labels::FixedLabel` for an
/// enum of unit variants (which must also be `Clone` and `Copy`).
///
/// - `#[label(rename = "…")]` on a variant sets its text;
/// - `#[label(rename_all = "…")]` on the enum converts the variant names: `lowercase`,
///   `UPPERCASE`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `camelCase`,
///   `PascalCase`.
///
/// Two variants with the same text, a variant with fields, and an empty or generic enum
/// are compile errors.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    label_value::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `prom_kit::labels::LabelSet` for a struct with named fields: each field is
/// a label, named after the field (`r#type` is `type`) or `#[label(name = "…")]`, its
/// type a `prom_kit::labels::LabelField` (string types, integers, `bool`, enums deriving
/// `LabelValue`). When every field has a closed set of values, a family keyed by the set
/// is dense.
///
/// A struct without fields, a tuple struct, an enum, a name that is empty or starts with
/// `__`, and two fields with the same name are compile errors.
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    label_set::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
