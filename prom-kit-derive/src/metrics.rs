//! `#[derive(Metrics)]`: a struct of metric fields, registered together.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Expr, ExprLit, Fields, Lit, LitStr, Meta, Token, Type};

/// What a field's `#[metric(…)]` attribute and doc comment say.
#[derive(Default)]
struct FieldSpec {
    name: Option<LitStr>,
    help: Option<LitStr>,
    unit: Option<LitStr>,
    labels: Option<Vec<LitStr>>,
    buckets: Option<Vec<Expr>>,
    native: Option<Expr>,
    const_labels: Option<Vec<(LitStr, LitStr)>>,
    /// `max_series = …`, with the key's span for errors.
    max_series: Option<(Span, Expr)>,
    /// `expire_after = "…"` in milliseconds, with the key's span for errors.
    expire_after: Option<(Span, u64)>,
}

/// What a field's type is, as far as its name tells (a type alias tells nothing: its
/// field is then checked when it is made, at registration).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One series: `Counter`, `Gauge`, `Histogram`, `Summary`, `StripedCounter`.
    Single(&'static str),
    /// `Family<…>`: string label values, names from `labels`.
    Family,
    /// `CompactFamily<…>`: as `Family`, without expiry.
    Compact,
    /// `DenseFamily<…>`: names from `labels`, no series cap.
    Dense,
    /// `TypedFamily<…>`: names from its label set.
    Typed,
    /// Anything else: an alias, or not a metric (which `MetricField` reports).
    Unknown,
}

impl Shape {
    /// The shape of a field of type `ty`.
    fn of(ty: &Type) -> Self {
        let Type::Path(path) = ty else {
            return Self::Unknown;
        };
        let Some(last) = path.path.segments.last() else {
            return Self::Unknown;
        };
        match last.ident.to_string().as_str() {
            "Counter" => Self::Single("Counter"),
            "Gauge" => Self::Single("Gauge"),
            "Histogram" => Self::Single("Histogram"),
            "Summary" => Self::Single("Summary"),
            "StripedCounter" => Self::Single("StripedCounter"),
            "Family" => Self::Family,
            "CompactFamily" => Self::Compact,
            "DenseFamily" => Self::Dense,
            "TypedFamily" => Self::Typed,
            _ => Self::Unknown,
        }
    }

    /// The type's name, for messages.
    fn name(self) -> &'static str {
        match self {
            Self::Single(name) => name,
            Self::Family => "Family",
            Self::Compact => "CompactFamily",
            Self::Dense => "DenseFamily",
            Self::Typed => "TypedFamily",
            Self::Unknown => "field type",
        }
    }

    /// Whether its label names come from `labels = […]`.
    fn needs_label_names(self) -> bool {
        matches!(self, Self::Family | Self::Compact | Self::Dense)
    }
}

/// Refuses, at compile time, the attributes the field's type cannot take and the label
/// names it needs but lacks, each error pointing at the attribute (or the type).
fn check_shape(ty: &Type, spec: &FieldSpec) -> syn::Result<()> {
    let shape = Shape::of(ty);
    let name = shape.name();
    if let Some((span, _)) = &spec.max_series {
        let why = match shape {
            Shape::Single(_) => Some(format!(
                "`max_series` caps the series of a family: a {name} is one series"
            )),
            Shape::Dense => Some(
                "a DenseFamily holds every combination of its label types, made with it: it \
                 takes no `max_series`"
                    .to_owned(),
            ),
            _ => None,
        };
        if let Some(why) = why {
            return Err(syn::Error::new(*span, why));
        }
    }
    if let Some((span, _)) = &spec.expire_after {
        let why = match shape {
            Shape::Single(_) => Some(format!(
                "`expire_after` drops the idle series of a family: a {name} is one series"
            )),
            Shape::Compact => Some(
                "a CompactFamily has no idle-series expiry: use a Family, DenseFamily or \
                 TypedFamily"
                    .to_owned(),
            ),
            _ => None,
        };
        if let Some(why) = why {
            return Err(syn::Error::new(*span, why));
        }
    }
    match (&spec.labels, shape) {
        (None, shape) if shape.needs_label_names() => Err(syn::Error::new_spanned(
            ty,
            format!(
                "a {name} needs its label names: add `#[metric(labels = [\"…\", …])]` (or \
                 use a TypedFamily, whose LabelSet names them)"
            ),
        )),
        _ => Ok(()),
    }
}

/// Milliseconds of a Prometheus-style duration: one or more `<integer><unit>`, the units
/// `ms`, `s`, `m`, `h` and `d` (`"30s"`, `"10m"`, `"1h30m"`, `"500ms"`).
fn parse_duration(text: &str) -> Result<u64, String> {
    let invalid = || {
        format!(
            "{text:?} is not a duration: write `<integer><unit>` pairs, the units ms, s, m, h \
             and d (\"30s\", \"10m\", \"1h30m\")"
        )
    };
    let mut rest = text;
    let mut millis: u64 = 0;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let per_unit: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        millis = number
            .checked_mul(per_unit)
            .and_then(|part| millis.checked_add(part))
            .ok_or_else(|| format!("{text:?} is too long a duration"))?;
    }
    if millis == 0 {
        return Err("an expiry time of zero would hide every series at once".to_owned());
    }
    Ok(millis)
}

/// The `register` constructors for `input`.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "Metrics can be derived for structs of metrics only",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "Metrics needs named fields: each field name is a metric name",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "Metrics cannot be derived for a generic struct",
        ));
    }
    let mut idents = Vec::new();
    let mut makes = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else { continue };
        let spec = field_spec(&field.attrs)?;
        let name = spec.name.as_ref().map_or_else(
            || {
                let name = ident.to_string();
                name.strip_prefix("r#").unwrap_or(&name).to_owned()
            },
            LitStr::value,
        );
        let Some(help) = spec.help.as_ref().map(LitStr::value) else {
            return Err(syn::Error::new_spanned(
                ident,
                "document the field: its doc comment (or `#[metric(help = \"…\")]`) is the metric's HELP",
            ));
        };
        let ty = &field.ty;
        check_shape(ty, &spec)?;
        let field_name = ident.to_string();
        let labels = option(spec.labels.as_ref().map(|labels| quote!(&[#(#labels),*])));
        let buckets = option(
            spec.buckets
                .as_ref()
                .map(|bounds| quote!(&[#((#bounds) as f64),*])),
        );
        let native = option(spec.native.as_ref().map(|factor| quote!((#factor) as f64)));
        let unit = option(spec.unit.as_ref().map(|unit| quote!(#unit)));
        let max_series = option(spec.max_series.as_ref().map(|(_, limit)| {
            quote!(::core::convert::Into::<::core::option::Option<usize>>::into(#limit))
        }));
        let expire_after = option(
            spec.expire_after
                .map(|(_, millis)| quote!(::core::time::Duration::from_millis(#millis))),
        );
        let register = if let Some(pairs) = &spec.const_labels {
            let (keys, values): (Vec<_>, Vec<_>) = pairs.iter().cloned().unzip();
            quote! {
                let view = registry.with_labels([#((#keys, #values)),*])?;
                batch.register_through(&view, #name, #help, #unit, ::core::clone::Clone::clone(&#ident))?;
            }
        } else {
            quote!(batch.register_through(registry, #name, #help, #unit, ::core::clone::Clone::clone(&#ident))?;)
        };
        makes.push(quote! {
            let #ident = <#ty as ::prom_kit::registry::MetricField>::from_field_options(
                &::prom_kit::registry::FieldOptions {
                    field: #field_name,
                    labels: #labels,
                    buckets: #buckets,
                    native: #native,
                    max_series: #max_series,
                    expire_after: #expire_after,
                },
            )?;
            #register
        });
        idents.push(ident);
    }
    let name = &input.ident;
    Ok(quote! {
        impl #name {
            /// Makes every metric of the struct and registers them in `registry` as one
            /// step: on an error, none stays registered.
            ///
            /// # Errors
            ///
            /// A name already taken or invalid, an option a field's type does not take.
            pub fn register(registry: &::prom_kit::Registry) -> ::prom_kit::Result<Self> {
                let mut batch = registry.batch();
                #(#makes)*
                batch.commit();
                ::core::result::Result::Ok(Self { #(#idents),* })
            }

            /// [`register`](Self::register) under the name prefix `prefix`.
            ///
            /// # Errors
            ///
            /// As `register`, and an invalid prefix.
            pub fn register_with_prefix(
                registry: &::prom_kit::Registry,
                prefix: &str,
            ) -> ::prom_kit::Result<Self> {
                Self::register(&registry.with_prefix(prefix)?)
            }
        }
    })
}

/// A `("name", "value")` pair of string literals.
fn label_pair(expr: &Expr) -> syn::Result<(LitStr, LitStr)> {
    let literal = |e: &Expr| match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(other, "a string literal")),
    };
    match expr {
        Expr::Tuple(tuple) if tuple.elems.len() == 2 => {
            Ok((literal(&tuple.elems[0])?, literal(&tuple.elems[1])?))
        }
        other => Err(syn::Error::new_spanned(
            other,
            "constant labels are (\"name\", \"value\") pairs",
        )),
    }
}

/// `Some(tokens)` or `None`, as code.
fn option(tokens: Option<TokenStream>) -> TokenStream {
    tokens.map_or_else(
        || quote!(::core::option::Option::None),
        |tokens| quote!(::core::option::Option::Some(#tokens)),
    )
}

/// Reads the doc comment and the `#[metric(…)]` attribute of a field.
fn field_spec(attrs: &[Attribute]) -> syn::Result<FieldSpec> {
    let mut spec = FieldSpec::default();
    let mut doc = Vec::new();
    for attr in attrs {
        if attr.path().is_ident("doc") {
            if let Meta::NameValue(meta) = &attr.meta {
                if let Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) = &meta.value
                {
                    doc.push(text.value().trim().to_owned());
                }
            }
        } else if attr.path().is_ident("metric") {
            attr.parse_nested_meta(|meta| {
                let key = meta
                    .path
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                match key.as_str() {
                    "name" => spec.name = Some(meta.value()?.parse()?),
                    "help" => spec.help = Some(meta.value()?.parse()?),
                    "unit" => spec.unit = Some(meta.value()?.parse()?),
                    "native" => spec.native = Some(meta.value()?.parse()?),
                    "labels" => {
                        let list: syn::ExprArray = meta.value()?.parse()?;
                        spec.labels = Some(
                            list.elems
                                .iter()
                                .map(|e| match e {
                                    Expr::Lit(ExprLit {
                                        lit: Lit::Str(s), ..
                                    }) => Ok(s.clone()),
                                    other => Err(syn::Error::new_spanned(
                                        other,
                                        "label names are string literals",
                                    )),
                                })
                                .collect::<syn::Result<_>>()?,
                        );
                    }
                    "const_labels" => {
                        let list: syn::ExprArray = meta.value()?.parse()?;
                        spec.const_labels = Some(
                            list.elems
                                .iter()
                                .map(label_pair)
                                .collect::<syn::Result<_>>()?,
                        );
                    }
                    "buckets" => {
                        let list: syn::ExprArray = meta.value()?.parse()?;
                        let bounds: Punctuated<Expr, Token![,]> = list.elems;
                        spec.buckets = Some(bounds.into_iter().collect());
                    }
                    "max_series" => {
                        let span = meta.path.span();
                        spec.max_series = Some((span, meta.value()?.parse()?));
                    }
                    "expire_after" => {
                        let span = meta.path.span();
                        let text: LitStr = meta.value()?.parse()?;
                        let millis = parse_duration(&text.value())
                            .map_err(|message| syn::Error::new(text.span(), message))?;
                        spec.expire_after = Some((span, millis));
                    }
                    _ => {
                        return Err(meta.error(
                            "unknown key; expected name, help, unit, labels, buckets, native, \
                             const_labels, max_series or expire_after",
                        ));
                    }
                }
                Ok(())
            })?;
        }
    }
    if spec.help.is_none() && !doc.is_empty() {
        let joined = doc.join(" ").trim().to_owned();
        if !joined.is_empty() {
            spec.help = Some(LitStr::new(&joined, proc_macro2::Span::call_site()));
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations_are_written_as_prometheus_writes_them() {
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("10m"), Ok(600_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1d"), Ok(86_400_000));
        for bad in ["", "10", "m", "10 m", "1.5h", "10min", "-1s"] {
            assert!(
                parse_duration(bad)
                    .unwrap_err()
                    .starts_with(&format!("{bad:?} is not a duration")),
                "{bad}"
            );
        }
        assert_eq!(
            parse_duration("0s"),
            Err("an expiry time of zero would hide every series at once".to_owned())
        );
        assert_eq!(
            parse_duration("99999999999999999d"),
            Err("\"99999999999999999d\" is too long a duration".to_owned())
        );
    }
}
