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
//! - `#[derive(Metrics)]` on a struct of metrics: `register(&registry)` makes and
//!   registers every field as one step, each field's doc comment its HELP.
//!
//! Where the attributes are in `attrs.rs`, the enum derive in `label_value.rs`, the
//! label set derive in `label_set.rs`, the metrics derive in `metrics.rs`.

mod attrs;
mod label_set;
mod label_value;
mod metrics;

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

/// Adds `register(&Registry) -> prom_kit::Result<Self>` and
/// `register_with_prefix(&Registry, &str)` to a struct whose fields are metrics: each
/// field is made (`prom_kit::registry::MetricField`) and registered under its name, its
/// doc comment the HELP, all as one step (on an error none stays registered).
///
/// `#[metric(…)]` on a field: `name = "…"`, `help = "…"` (instead of the doc comment),
/// `unit = "seconds"`, `labels = ["…", …]` (a string-labelled `Family` or a
/// `DenseFamily`; a `TypedFamily` takes its names from its label set), `buckets = [0.1,
/// …]` and `native = 1.1` (histograms, and families of them).
///
/// A field without a doc comment or `help`, and an unknown key, are compile errors.
#[proc_macro_derive(Metrics, attributes(metric))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    metrics::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
