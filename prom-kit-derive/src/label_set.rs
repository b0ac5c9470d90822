//! `#[derive(LabelSet)]`: a struct whose fields are a series' label values.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, parse_quote_spanned};

use crate::attrs::string_value;

/// The `LabelSet` impl for `input`.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "LabelSet can be derived for structs with named fields only; an enum of label values derives LabelValue",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "LabelSet needs named fields: each field name is a label name",
        ));
    };
    if fields.named.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "LabelSet needs at least one field; a metric without labels needs no label set",
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(fields.named.len());
    for field in &fields.named {
        let ident = field
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new(Span::call_site(), "LabelSet needs named fields"))?;
        let (name, span) = if let Some(name) = string_value(&field.attrs, "name")? {
            (name.value(), name.span())
        } else {
            let name = ident.to_string();
            (
                name.strip_prefix("r#").unwrap_or(&name).to_owned(),
                ident.span(),
            )
        };
        if name.is_empty() || name.starts_with("__") {
            return Err(syn::Error::new(
                span,
                format!(
                    "{name:?} cannot be a label name: it is empty or starts with `__`, which Prometheus reserves"
                ),
            ));
        }
        if names.contains(&name) {
            return Err(syn::Error::new(
                span,
                format!("two fields are the label {name:?}"),
            ));
        }
        names.push(name);
    }

    let types: Vec<_> = fields.named.iter().map(|f| &f.ty).collect();
    let idents: Vec<_> = fields
        .named
        .iter()
        .filter_map(|f| f.ident.as_ref())
        .collect();
    let buffers: Vec<_> = (0..idents.len())
        .map(|i| format_ident!("__buffer{i}"))
        .collect();
    let name = &input.ident;
    let mut generics = input.generics.clone();
    {
        let clause = generics.make_where_clause();
        for ty in &types {
            // Spanned at the field's type, so an unsupported one is pointed at there.
            clause.predicates.push(parse_quote_spanned! {ty.span()=>
                #ty: ::prom_kit::labels::LabelField
            });
        }
    }
    let (impl_generics, type_generics, where_clause) = generics.split_for_impl();
    let lists = quote! {
        [#(<#types as ::prom_kit::labels::LabelField>::VALUES),*]
    };
    let dense_index = dense_index_method(&types, &idents);
    let packed = packed_method(&types, &idents);
    Ok(quote! {
        impl #impl_generics ::prom_kit::labels::LabelSet for #name #type_generics #where_clause {
            const NAMES: &'static [&'static str] = &[#(#names),*];

            const COMBINATIONS: ::core::option::Option<usize> =
                ::prom_kit::labels::combinations(&#lists);

            #[inline(always)]
            fn visit_values<R>(&self, visitor: impl ::prom_kit::labels::LabelVisitor<R>) -> R {
                #(let mut #buffers = ::prom_kit::labels::LabelBuffer::new();)*
                visitor.visit(&[#(::prom_kit::labels::LabelField::text(&self.#idents, &mut #buffers)),*])
            }

            #dense_index

            fn value_of(combination: usize, label: usize) -> &'static str {
                ::prom_kit::labels::value_of(&#lists, combination, label)
            }

            #packed
        }
    })
}

/// `LabelSet::dense_index`: the fields' positions in their value lists, mixed radix.
fn dense_index_method(types: &[&syn::Type], idents: &[&syn::Ident]) -> TokenStream {
    quote! {
        #[inline]
        fn dense_index(&self) -> usize {
            let mut index = 0usize;
            #(
                index = index
                    * ::prom_kit::labels::value_count(
                        <#types as ::prom_kit::labels::LabelField>::VALUES,
                    )
                    + ::prom_kit::labels::LabelField::index(&self.#idents);
            )*
            index
        }
    }
}

/// `LabelSet::packed`: every field's packed value appended to one number, when their
/// `PACKED_BITS` add up to 64 or fewer (decided at compile time).
fn packed_method(types: &[&syn::Type], idents: &[&syn::Ident]) -> TokenStream {
    quote! {
        #[inline(always)]
        fn packed(&self) -> ::core::option::Option<u64> {
            match const {
                ::prom_kit::labels::packed_bits(
                    &[#(<#types as ::prom_kit::labels::LabelField>::PACKED_BITS),*],
                )
            } {
                ::core::option::Option::Some(_) => {
                    let key = 0u64;
                    #(
                        let key = ::prom_kit::labels::pack(
                            key,
                            <#types as ::prom_kit::labels::LabelField>::PACKED_BITS,
                            ::prom_kit::labels::LabelField::packed(&self.#idents),
                        );
                    )*
                    ::core::option::Option::Some(key)
                }
                ::core::option::Option::None => ::core::option::Option::None,
            }
        }
    }
}
