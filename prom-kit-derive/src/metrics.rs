//! `#[derive(Metrics)]`: a struct of metric fields, registered together.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Attribute, Data, DeriveInput, Expr, ExprLit, Fields, Lit, LitStr, Meta, Token};

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
        let field_name = ident.to_string();
        let labels = option(spec.labels.as_ref().map(|labels| quote!(&[#(#labels),*])));
        let buckets = option(
            spec.buckets
                .as_ref()
                .map(|bounds| quote!(&[#((#bounds) as f64),*])),
        );
        let native = option(spec.native.as_ref().map(|factor| quote!((#factor) as f64)));
        let unit = option(spec.unit.as_ref().map(|unit| quote!(#unit)));
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
                    _ => {
                        return Err(meta.error(
                            "unknown key; expected name, help, unit, labels, buckets, native or const_labels",
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
