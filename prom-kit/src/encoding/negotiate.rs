//! Content negotiation: pick the exposition format a scraper prefers from its `Accept`.

use super::{Format, OPENMETRICS_0_0_1_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};

/// The format chosen for a scrape and the exact `Content-Type` to answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The format to encode.
    pub format: Format,
    /// The `Content-Type` header value naming that format and its version.
    pub content_type: &'static str,
}

const TEXT: Negotiated = Negotiated {
    format: Format::Text,
    content_type: TEXT_CONTENT_TYPE,
};

/// Picks the format for an `Accept` header value.
///
/// Media ranges are weighed by their `q` value (default 1; `q=0` means "not
/// acceptable"); among equal weights the first listed wins. Understood:
/// `application/openmetrics-text` versions 1.0.0 and 0.0.1 (or no version), `text/plain`
/// version 0.0.4 (or no version), the wildcards `*/*` and `text/*`, which get the text
/// format, and with the `protobuf` feature
/// `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited`. A missing header, or one naming nothing understood, gets the text format.
///
/// ```
/// use prom_kit::encoding::{negotiate, Format, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
///
/// // What Prometheus 2.42 sends by default.
/// let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
///               version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// let chosen = negotiate(Some(accept));
/// assert_eq!(chosen.format, Format::OpenMetrics);
/// assert_eq!(chosen.content_type, OPENMETRICS_CONTENT_TYPE);
///
/// assert_eq!(negotiate(None).content_type, TEXT_CONTENT_TYPE);
/// assert_eq!(negotiate(Some("text/html")).format, Format::Text);
/// ```
pub fn negotiate(accept: Option<&str>) -> Negotiated {
    let Some(accept) = accept else {
        return TEXT;
    };
    let mut best: Option<(f32, Negotiated)> = None;
    for range in accept.split(',') {
        let Some((quality, negotiated)) = parse_range(range) else {
            continue;
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, negotiated));
        }
    }
    best.map_or(TEXT, |(_, negotiated)| negotiated)
}

/// Parses one media range; `None` if it names nothing we can produce.
fn parse_range(range: &str) -> Option<(f32, Negotiated)> {
    let mut parts = range.split(';').map(str::trim);
    let media_type = parts.next()?.to_ascii_lowercase();
    let mut version = None;
    let mut proto = None;
    let mut encoding = None;
    let mut quality = 1.0f32;
    for param in parts {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        match key.trim().to_ascii_lowercase().as_str() {
            "q" => quality = value.parse().ok().filter(|q: &f32| q.is_finite())?,
            "version" => version = Some(value),
            "proto" => proto = Some(value),
            "encoding" => encoding = Some(value),
            _ => {}
        }
    }
    let negotiated = match (media_type.as_str(), version) {
        ("application/openmetrics-text", None | Some("1.0.0")) => Negotiated {
            format: Format::OpenMetrics,
            content_type: OPENMETRICS_CONTENT_TYPE,
        },
        ("application/openmetrics-text", Some("0.0.1")) => Negotiated {
            format: Format::OpenMetrics,
            content_type: OPENMETRICS_0_0_1_CONTENT_TYPE,
        },
        ("text/plain", None | Some("0.0.4")) | ("*/*" | "text/*", _) => TEXT,
        #[cfg(feature = "protobuf")]
        ("application/vnd.google.protobuf", _)
            if proto == Some("io.prometheus.client.MetricFamily")
                && encoding == Some("delimited") =>
        {
            Negotiated {
                format: Format::Protobuf,
                content_type: super::PROTOBUF_CONTENT_TYPE,
            }
        }
        _ => return None,
    };
    #[cfg(not(feature = "protobuf"))]
    let _ = (proto, encoding);
    Some((quality, negotiated))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROMETHEUS_2_42: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const PROMETHEUS_2_42_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const PROMETHEUS_3_4: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

    #[cfg(feature = "protobuf")]
    #[test]
    fn native_histogram_scrapers_get_protobuf() {
        let chosen = negotiate(Some(PROMETHEUS_2_42_NATIVE));
        assert_eq!(chosen.format, Format::Protobuf);
        assert_eq!(chosen.content_type, super::super::PROTOBUF_CONTENT_TYPE);
        // Only the delimited MetricFamily stream is understood.
        assert_eq!(
            negotiate(Some(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text"
            )),
            TEXT
        );
    }

    #[test]
    fn prometheus_headers_get_openmetrics() {
        #[cfg(feature = "protobuf")]
        let headers = [PROMETHEUS_2_42, PROMETHEUS_3_4];
        #[cfg(not(feature = "protobuf"))]
        let headers = [PROMETHEUS_2_42, PROMETHEUS_2_42_NATIVE, PROMETHEUS_3_4];
        for accept in headers {
            let chosen = negotiate(Some(accept));
            assert_eq!(chosen.format, Format::OpenMetrics, "{accept}");
            assert_eq!(chosen.content_type, OPENMETRICS_CONTENT_TYPE);
        }
    }

    #[test]
    fn quality_and_order() {
        assert_eq!(
            negotiate(Some("application/openmetrics-text;q=0.4, text/plain;q=0.5")).format,
            Format::Text
        );
        assert_eq!(
            negotiate(Some("application/openmetrics-text; version=0.0.1")).content_type,
            OPENMETRICS_0_0_1_CONTENT_TYPE
        );
        assert_eq!(
            negotiate(Some("text/plain, application/openmetrics-text")).format,
            Format::Text
        );
        assert_eq!(
            negotiate(Some("Application/OpenMetrics-Text; Version=\"1.0.0\"")).format,
            Format::OpenMetrics
        );
    }

    #[test]
    fn fallbacks() {
        for accept in [
            "",
            "text/html",
            "application/openmetrics-text;version=2.0.0",
            "application/openmetrics-text;q=0",
            "application/openmetrics-text;q=abc",
            "text/plain;version=1.0.0",
            ";;;,,,",
        ] {
            assert_eq!(negotiate(Some(accept)), TEXT, "{accept}");
        }
        assert_eq!(negotiate(Some("*/*")), TEXT);
    }
}
