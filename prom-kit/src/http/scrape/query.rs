//! Reading the `name[]` parameters of a scrape's query string, as Go's `promhttp`
//! (`?name[]=a&name[]=b`) and Python's client take them.

use std::borrow::Cow;

/// The most names one scrape may ask for; further ones are ignored (a query string is
/// untrusted input, and each name costs a comparison per family).
pub(crate) const MAX_NAMES: usize = 256;

/// The values of the `name[]` parameters of `query` (percent-decoded, `+` as a space,
/// repeats dropped), in order. A parameter whose key or value does not decode to UTF-8
/// is ignored. `name[]=` (empty) names a family nobody can register, so it selects
/// nothing, as in Go.
pub(crate) fn requested_names(query: &str) -> Vec<Cow<'_, str>> {
    let mut names: Vec<Cow<'_, str>> = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode(key).as_deref() != Some("name[]") {
            continue;
        }
        let Some(value) = decode(value) else {
            continue;
        };
        if names.len() == MAX_NAMES {
            break;
        }
        if !names.contains(&value) {
            names.push(value);
        }
    }
    names
}

/// Percent-decodes one query component (`+` is a space); `None` if the bytes are not
/// UTF-8. A `%` not followed by two hex digits stands for itself.
fn decode(component: &str) -> Option<Cow<'_, str>> {
    if !component.contains(['%', '+']) {
        return Some(Cow::Borrowed(component));
    }
    let bytes = component.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    decoded.push(byte);
                    i += 2;
                } else {
                    decoded.push(b'%');
                }
            }
            byte => decoded.push(byte),
        }
        i += 1;
    }
    String::from_utf8(decoded).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_as_go_and_python_send_them() {
        assert_eq!(requested_names("name[]=a&name[]=b"), ["a", "b"]);
        assert_eq!(
            requested_names("name%5B%5D=http.server.duration&name%5b%5d=x%2By+z"),
            ["http.server.duration", "x+y z"]
        );
        assert_eq!(requested_names("name[]=a&name[]=a&other=b&name=c"), ["a"]);
        assert_eq!(requested_names("name[]=%E8%8A%B1%E7%81%AB"), ["花火"]);
        assert_eq!(requested_names("name[]="), [""]);
        assert_eq!(requested_names("name[]"), [""]);
        assert!(requested_names("").is_empty());
        assert!(requested_names("&&&=").is_empty());
    }

    #[test]
    fn hostile_queries_are_bounded_and_never_panic() {
        // Bad escapes stand for themselves; non-UTF-8 values are skipped.
        assert_eq!(
            requested_names("name[]=%&name[]=%4&name[]=%zz"),
            ["%", "%4", "%zz"]
        );
        assert!(requested_names("name[]=%ff%fe").is_empty());
        assert!(requested_names("name%5B%5D%ff=x").is_empty());
        assert_eq!(requested_names("name[]=%C3"), Vec::<Cow<'_, str>>::new());
        let mut flood = String::new();
        for i in 0..10_000 {
            flood.push_str("name[]=n");
            flood.push_str(&i.to_string());
            flood.push('&');
        }
        assert_eq!(requested_names(&flood).len(), MAX_NAMES);
        let long = format!("name[]={}", "%41".repeat(100_000));
        assert_eq!(requested_names(&long)[0].len(), 100_000);
    }
}
