//! `#[derive(LabelValue)]`: an enum of unit variants as a label with a closed set of
//! values.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use crate::attrs::{convert_case, string_value};

/// The `LabelValue` and `FixedLabel` impls for `input`.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "LabelValue can be derived for enums of unit variants only; a struct of label values derives LabelSet",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "LabelValue cannot be derived for a generic enum",
        ));
    }
    if data.variants.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "LabelValue needs at least one variant: a label needs a value",
        ));
    }
    let rename_all = string_value(&input.attrs, "rename_all")?;
    let mut texts: Vec<String> = Vec::with_capacity(data.variants.len());
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(
                variant,
                "LabelValue variants cannot carry data: each variant is one label value",
            ));
        }
        let name = variant.ident.to_string();
        let text = match (string_value(&variant.attrs, "rename")?, &rename_all) {
            (Some(rename), _) => rename.value(),
            (None, Some(case)) => convert_case(case, &name)?,
            (None, None) => name,
        };
        if let Some(other) = texts.iter().position(|t| *t == text) {
            return Err(syn::Error::new_spanned(
                variant,
                format!(
                    "variants `{}` and `{}` are both exposed as {text:?}",
                    data.variants[other].ident, variant.ident
                ),
            ));
        }
        texts.push(text);
    }
    let name = &input.ident;
    let variants: Vec<_> = data.variants.iter().map(|v| &v.ident).collect();
    let indices = 0..variants.len();
    Ok(quote! {
        impl ::prom_kit::labels::LabelValue for #name {
            fn as_label_value(&self) -> &str {
                match self {
                    #(Self::#variants => #texts,)*
                }
            }
        }

        impl ::prom_kit::labels::FixedLabel for #name {
            const VALUES: &'static [&'static str] = &[#(#texts),*];

            #[inline]
            fn index(self) -> usize {
                match self {
                    #(Self::#variants => #indices,)*
                }
            }
        }
    })
}
