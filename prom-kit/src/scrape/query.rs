//! Reading the `name[]` parameters of a scrape's query string, as Go's `promhttp`
//! (`?name[]=a&name[]=b`) and Python's client take them.

use std::borrow::Cow;

use crate::registry::NameSet;

/// The longest query string a scrape may send, in bytes (1 MiB, the most Go's
/// `net/http` reads of a request's head by default): past it the handler answers `414
/// URI Too Long` rather than decode it. Within it, any number of `name[]` parameters
/// is read; each costs one hash lookup per name a family exposes.
pub(crate) const MAX_QUERY_BYTES: usize = 1 << 20;

/// The values of the `name[]` parameters of `query` (percent-decoded, `+` as a space,
/// as Go's `url.ParseQuery` and Python's `parse_qs` read them); `None` if there is no
/// `name[]` parameter, so that the scrape is not filtered.
///
/// Every value is kept, however many (the handler bounds the query's bytes instead,
/// [`MAX_QUERY_BYTES`]). A value that does not decode to UTF-8 names no family, as in
/// Go's `promhttp`: it is left out of the set, but the set stays, so a filter naming
/// only such values serves nothing (as does `name[]=`, the empty name, which nobody can
/// register). A `%` not followed by two hex digits stands for itself, as Python and the
/// URL standard read it (Go drops such a parameter, and with it the filter).
pub(crate) fn requested_names(query: &str) -> Option<NameSet<'_>> {
    let mut names: Option<Vec<Cow<'_, str>>> = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode(key).as_deref() != Some("name[]") {
            continue;
        }
        let names = names.get_or_insert_with(Vec::new);
        if let Some(value) = decode(value) {
            names.push(value);
        }
    }
    // Collected at once, the set is sized once instead of growing (and rehashing)
    // name by name.
    names.map(|names| names.into_iter().collect())
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
                // Two hex digits, no sign (`from_str_radix` alone takes `%+1` for 1).
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
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

    /// The names requested, sorted.
    fn names(query: &str) -> Option<Vec<String>> {
        requested_names(query).map(|names| {
            let mut names: Vec<String> = names.into_iter().map(Cow::into_owned).collect();
            names.sort();
            names
        })
    }

    #[test]
    fn reads_names_as_go_and_python_send_them() {
        assert_eq!(names("name[]=a&name[]=b").unwrap(), ["a", "b"]);
        assert_eq!(
            names("name%5B%5D=http.server.duration&name%5b%5d=x%2By+z").unwrap(),
            ["http.server.duration", "x+y z"]
        );
        assert_eq!(names("name[]=a&name[]=a&other=b&name=c").unwrap(), ["a"]);
        assert_eq!(names("name[]=%E8%8A%B1%E7%81%AB").unwrap(), ["花火"]);
        assert_eq!(names("name[]=").unwrap(), [""]);
        assert_eq!(names("name[]").unwrap(), [""]);
        assert_eq!(names(""), None);
        assert_eq!(names("&&&="), None);
        assert_eq!(names("name=a&names[]=b"), None);
    }

    #[test]
    fn hostile_queries_never_panic_and_keep_the_filter() {
        // Bad escapes stand for themselves; non-UTF-8 values name nothing, but the
        // filter stays.
        assert_eq!(
            names("name[]=%&name[]=%4&name[]=%zz&name[]=%+1").unwrap(),
            ["%", "% 1", "%4", "%zz"]
        );
        assert_eq!(names("name[]=%ff%fe").unwrap(), Vec::<String>::new());
        assert_eq!(names("name[]=%C3").unwrap(), Vec::<String>::new());
        assert_eq!(names("name[]=%C3&name[]=a").unwrap(), ["a"]);
        // A key that is not UTF-8 once decoded is not `name[]`.
        assert_eq!(names("name%5B%5D%ff=x"), None);
        let mut flood = String::new();
        for i in 0..10_000 {
            flood.push_str("name[]=n");
            flood.push_str(&i.to_string());
            flood.push('&');
        }
        let all = names(&flood).unwrap();
        assert_eq!(all.len(), 10_000);
        assert!(all.contains(&"n9999".to_owned()));
        let long = format!("name[]={}", "%41".repeat(100_000));
        assert_eq!(names(&long).unwrap()[0].len(), 100_000);
    }
}
