//! The `#[label(…)]` attributes: `name = "…"` on a field, `rename = "…"` on a variant,
//! `rename_all = "…"` on an enum. Each position accepts only its own keys, so a typo is
//! an error at the attribute rather than silently ignored.

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use syn::{Attribute, LitStr};

/// The `#[label(key = "…")]` value for `key`, the only key allowed in `attrs`; `None`
/// without a `label` attribute.
pub(crate) fn string_value(attrs: &[Attribute], key: &str) -> syn::Result<Option<LitStr>> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("label")) {
        attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident(key) {
                return Err(meta.error(format!("unknown key; expected `{key} = \"…\"` here")));
            }
            let value: LitStr = meta.value()?.parse()?;
            if found.replace(value).is_some() {
                return Err(meta.error(format!("`{key}` given twice")));
            }
            Ok(())
        })?;
    }
    Ok(found)
}

/// The ways `rename_all` converts a variant name.
const CASES: &str =
    "lowercase, UPPERCASE, snake_case, SCREAMING_SNAKE_CASE, kebab-case, camelCase, PascalCase";

/// Converts `name` as the `rename_all` value `case` says.
pub(crate) fn convert_case(case: &LitStr, name: &str) -> syn::Result<String> {
    Ok(match case.value().as_str() {
        "lowercase" => name.to_lowercase(),
        "UPPERCASE" => name.to_uppercase(),
        "snake_case" => name.to_snake_case(),
        "SCREAMING_SNAKE_CASE" => name.to_shouty_snake_case(),
        "kebab-case" => name.to_kebab_case(),
        "camelCase" => name.to_lower_camel_case(),
        "PascalCase" => name.to_upper_camel_case(),
        other => {
            return Err(syn::Error::new(
                case.span(),
                format!("unknown case {other:?}; expected one of {CASES}"),
            ));
        }
    })
}
