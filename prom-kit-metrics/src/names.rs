//! How facade names become exposed names: kept as written in a UTF-8 registry, or
//! sanitised to the legacy character set (the rule in the crate docs).

use prom_kit::NameValidation;

/// The name a facade metric is exposed under in a registry validating names as
/// `validation` does: in a UTF-8 registry, `name` as written; in a legacy one, every
/// character outside `[a-zA-Z0-9_:]`, and a leading digit, replaced by `_`.
pub(crate) fn metric_name(name: &str, validation: NameValidation) -> String {
    match validation {
        NameValidation::Utf8 => name.to_owned(),
        _ => legacy(name, |c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
    }
}

/// The name a facade label is exposed under: as [`metric_name`] but without `:` in a
/// legacy registry, and in both a leading `__` (reserved for Prometheus' own labels)
/// shortened to one `_`.
pub(crate) fn label_name(name: &str, validation: NameValidation) -> String {
    let mut exposed = match validation {
        NameValidation::Utf8 => name.to_owned(),
        _ => legacy(name, |c| c.is_ascii_alphanumeric() || c == '_'),
    };
    if exposed.starts_with("__") {
        let underscores = exposed.len() - exposed.trim_start_matches('_').len();
        exposed.replace_range(..underscores, "_");
    }
    exposed
}

/// Whether the facade label name `name` is exposed as `exposed` ([`label_name`] without
/// allocating: the first call of each key checks its labels so).
pub(crate) fn label_name_is(name: &str, exposed: &str, validation: NameValidation) -> bool {
    if matches!(validation, NameValidation::Utf8) && !name.starts_with("__") {
        return name == exposed;
    }
    if !name.is_ascii() || name.starts_with("__") {
        return label_name(name, validation) == exposed;
    }
    name.len() == exposed.len()
        && name
            .bytes()
            .zip(exposed.bytes())
            .enumerate()
            .all(|(i, (c, e))| {
                let allowed = c.is_ascii_alphanumeric() || c == b'_';
                let kept = allowed && !(i == 0 && c.is_ascii_digit());
                e == if kept { c } else { b'_' }
            })
}

fn legacy(name: &str, allowed: impl Fn(char) -> bool) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if allowed(c) && !(i == 0 && c.is_ascii_digit()) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY: NameValidation = NameValidation::Legacy;

    #[test]
    fn legacy_names_replace_each_character_outside_the_set() {
        assert_eq!(
            metric_name("http.server.requests", LEGACY),
            "http_server_requests"
        );
        assert_eq!(metric_name("9lives", LEGACY), "_lives");
        assert_eq!(metric_name("a:b-c d", LEGACY), "a:b_c_d");
        assert_eq!(metric_name("größe", LEGACY), "gr__e");
        assert_eq!(label_name("a:b", LEGACY), "a_b");
        assert_eq!(label_name("0", LEGACY), "_");
    }

    #[test]
    fn label_name_is_agrees_with_label_name() {
        let names = [
            "a", "a.b", "9x", "__x", "_x", "größe", "a:b", "", "x y", "ok_1",
        ];
        for validation in [LEGACY, NameValidation::Utf8] {
            for name in names {
                for exposed in names.iter().map(|n| label_name(n, validation)) {
                    assert_eq!(
                        label_name_is(name, &exposed, validation),
                        label_name(name, validation) == exposed,
                        "{name:?} as {exposed:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn utf8_names_are_kept_and_reserved_label_prefixes_shortened() {
        assert_eq!(
            metric_name("http.server.requests", NameValidation::Utf8),
            "http.server.requests"
        );
        assert_eq!(label_name("__name__", NameValidation::Utf8), "_name__");
        assert_eq!(label_name("___x", LEGACY), "_x");
        assert_eq!(label_name("__", LEGACY), "_");
        assert_eq!(label_name("_x", LEGACY), "_x");
    }
}
