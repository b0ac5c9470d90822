//! The grouping key: `job` and grouping labels, encoded into the Pushgateway URL path.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;

use crate::encoding::EscapingScheme;
use crate::error::{Error, ErrorKind, Result};
use crate::name::NameValidation;

/// A validated grouping key: the job name and the grouping labels, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupingKey {
    job: String,
    labels: Vec<(String, String)>,
}

impl GroupingKey {
    /// Starts a key for `job`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`] if the job name is empty.
    pub(crate) fn new(job: &str) -> Result<Self> {
        if job.is_empty() {
            return Err(Error::new(ErrorKind::InvalidValue, "the job name is empty"));
        }
        Ok(Self {
            job: job.to_owned(),
            labels: Vec::new(),
        })
    }

    /// Adds (or replaces) a grouping label whose name `validation` accepts: legacy names
    /// for every Pushgateway, UTF-8 names for one that takes them (1.11 and later, with
    /// `--push.enable-utf8-names`).
    ///
    /// # Errors
    ///
    /// An invalid or reserved label name, or `job` (the job has its own place).
    pub(crate) fn insert(
        &mut self,
        name: &str,
        value: &str,
        validation: NameValidation,
    ) -> Result<()> {
        validation.check_label_name(name)?;
        if name == "job" {
            return Err(Error::new(
                ErrorKind::ReservedLabelName,
                "\"job\": the job is the client's own, given to its builder",
            ));
        }
        match self.labels.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => value.clone_into(&mut self.labels[i].1),
            Err(i) => self.labels.insert(i, (name.to_owned(), value.to_owned())),
        }
        Ok(())
    }

    /// The label names a pushed metric may not carry: `job` and the grouping labels.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once("job").chain(self.labels.iter().map(|(n, _)| n.as_str()))
    }

    /// The URL path: `/metrics/job/<job>{/<label>/<value>}`.
    pub(crate) fn path(&self) -> String {
        let mut path = String::from("/metrics");
        push_pair(&mut path, "job", &self.job);
        for (name, value) in &self.labels {
            push_pair(&mut path, name, value);
        }
        path
    }
}

/// Appends `/<name>/<value>`, or `/<name>@base64/<url-safe base64>` for values the
/// gateway could not take verbatim in a path segment: empty, containing `/` or a space,
/// or a dot segment (`.` and `..` are removed from paths by URL normalisation; the
/// gateway answers them with a redirect). A name outside the legacy set goes in the
/// `U__` form of the `values` escaping, which the gateway decodes.
fn push_pair(path: &mut String, name: &str, value: &str) {
    path.push('/');
    path.push_str(&EscapingScheme::Values.escape_label_name(name));
    if value.is_empty() {
        path.push_str("@base64/=");
    } else if value.contains(['/', ' ']) || value == "." || value == ".." {
        path.push_str("@base64/");
        path.push_str(&URL_SAFE.encode(value));
    } else {
        path.push('/');
        percent_encode_segment(path, value);
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode_segment(out: &mut String, value: &str) {
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 15)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_encode_as_the_gateway_expects() {
        let mut key = GroupingKey::new("batch job").unwrap();
        key.insert("zone", "eu/west", NameValidation::Legacy)
            .unwrap();
        key.insert("instance", "host-1", NameValidation::Legacy)
            .unwrap();
        key.insert("empty", "", NameValidation::Legacy).unwrap();
        key.insert("odd", "ä?&%", NameValidation::Legacy).unwrap();
        assert_eq!(
            key.path(),
            "/metrics/job@base64/YmF0Y2ggam9i/empty@base64/=/instance/host-1/odd/%C3%A4%3F%26%25/zone@base64/ZXUvd2VzdA=="
        );
        key.insert("zone", "us", NameValidation::Legacy).unwrap();
        assert!(key.path().ends_with("/zone/us"));
        assert_eq!(
            key.names().collect::<Vec<_>>(),
            ["job", "empty", "instance", "odd", "zone"]
        );
    }

    #[test]
    fn utf8_names_go_in_the_values_escaping_the_gateway_decodes() {
        let mut key = GroupingKey::new("j").unwrap();
        assert_eq!(
            key.insert("service.name", "shop", NameValidation::Legacy)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidLabelName
        );
        key.insert("service.name", "shop", NameValidation::Utf8)
            .unwrap();
        key.insert("zone", "eu", NameValidation::Utf8).unwrap();
        key.insert("x花火", "a/b", NameValidation::Utf8).unwrap();
        assert_eq!(
            key.path(),
            "/metrics/job/j/U__service_2e_name/shop/U__x_82b1__706b_@base64/YS9i/zone/eu"
        );
        assert_eq!(
            key.names().collect::<Vec<_>>(),
            ["job", "service.name", "x花火", "zone"]
        );
        // `花火` is `____` with dots: reserved at a scraper that asks for dots.
        assert_eq!(
            key.insert("花火", "1", NameValidation::Utf8)
                .unwrap_err()
                .kind(),
            ErrorKind::ReservedLabelName
        );
        assert_eq!(
            key.insert("__x", "1", NameValidation::Utf8)
                .unwrap_err()
                .kind(),
            ErrorKind::ReservedLabelName
        );
    }

    #[test]
    fn dot_segments_go_base64() {
        let mut key = GroupingKey::new(".").unwrap();
        key.insert("a", "..", NameValidation::Legacy).unwrap();
        key.insert("b", "...", NameValidation::Legacy).unwrap();
        key.insert("c", ".x", NameValidation::Legacy).unwrap();
        assert_eq!(
            key.path(),
            "/metrics/job@base64/Lg==/a@base64/Li4=/b/.../c/.x"
        );
    }

    #[test]
    fn every_path_segment_is_plain_and_decodes_to_its_value() {
        use proptest::prelude::*;
        proptest!(|(job in any::<String>(), value in any::<String>())| {
            prop_assume!(!job.is_empty());
            let mut key = GroupingKey::new(&job).unwrap();
            key.insert("l", &value, NameValidation::Legacy).unwrap();
            let path = key.path();
            let segments: Vec<&str> = path.split('/').collect();
            prop_assert_eq!(segments.len(), 6, "{}", path);
            for segment in &segments[1..] {
                prop_assert!(*segment != "." && *segment != "..", "{}", path);
                prop_assert!(segment.bytes().all(|b| b.is_ascii_graphic()), "{}", path);
            }
            prop_assert!(path.parse::<http::Uri>().is_ok(), "{}", path);
            prop_assert_eq!(decode(segments[2], segments[3]), job);
            prop_assert_eq!(decode(segments[4], segments[5]), value);
        });
    }

    /// Decodes one `name[@base64]/value` pair as the gateway does.
    fn decode(name: &str, value: &str) -> String {
        if name.ends_with("@base64") {
            if value == "=" {
                return String::new();
            }
            return String::from_utf8(URL_SAFE.decode(value).unwrap()).unwrap();
        }
        let bytes = value.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!(
            GroupingKey::new("").unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
        let mut key = GroupingKey::new("j").unwrap();
        assert_eq!(
            key.insert("job", "x", NameValidation::Legacy)
                .unwrap_err()
                .kind(),
            ErrorKind::ReservedLabelName
        );
        assert_eq!(
            key.insert("bad-name", "x", NameValidation::Legacy)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidLabelName
        );
        assert_eq!(
            key.insert("__x", "x", NameValidation::Legacy)
                .unwrap_err()
                .kind(),
            ErrorKind::ReservedLabelName
        );
    }
}
