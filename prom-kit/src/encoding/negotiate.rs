//! Content negotiation: pick the exposition format and name escaping a scraper prefers
//! from its `Accept` header.

use super::{
    EscapingScheme, Format, OPENMETRICS_0_0_1_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
};

/// The format and name escaping chosen for a scrape, and the exact `Content-Type` to
/// answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The format to encode.
    pub format: Format,
    /// How names outside the legacy character set are sent.
    pub escaping: EscapingScheme,
    /// The `Content-Type` header value naming that format, its version and (when the
    /// scraper asked for one, and always for text 1.0.0) the escaping scheme.
    pub content_type: &'static str,
}

/// The `Content-Type` for a base type (`$bare` when no scheme is to be named, the same
/// text as the literal `$base`) and the scheme to name, as one `&'static str`.
macro_rules! content_type {
    ($scheme:expr, $bare:expr, $base:literal) => {
        match $scheme {
            None => $bare,
            Some(EscapingScheme::AllowUtf8) => concat!($base, "; escaping=allow-utf-8"),
            Some(EscapingScheme::Underscores) => concat!($base, "; escaping=underscores"),
            Some(EscapingScheme::Dots) => concat!($base, "; escaping=dots"),
            Some(EscapingScheme::Values) => concat!($base, "; escaping=values"),
        }
    };
}
const TEXT: Negotiated = Negotiated {
    format: Format::Text,
    escaping: EscapingScheme::Underscores,
    content_type: TEXT_CONTENT_TYPE,
};

/// The media types and versions understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Media {
    Text004,
    Text100,
    OpenMetrics100,
    OpenMetrics001,
    #[cfg(feature = "protobuf")]
    Protobuf,
}

/// Picks the format and escaping for an `Accept` header value.
///
/// Media ranges are weighed by their `q` value (default 1; `q=0` means "not
/// acceptable"); among equal weights the first listed wins. Understood:
/// `application/openmetrics-text` versions 1.0.0 and 0.0.1 (or no version), `text/plain`
/// versions 0.0.4 and 1.0.0 (or no version: 0.0.4), the wildcards `*/*` and `text/*`,
/// which get text 0.0.4, and with the `protobuf` feature
/// `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited`.
/// A missing header, or one naming nothing understood, gets text 0.0.4.
///
/// The chosen range's `escaping=` parameter (`allow-utf-8`, `underscores`, `dots`,
/// `values`) picks the [`EscapingScheme`]; without one, or with another value, names are
/// escaped with underscores, as the Prometheus content-negotiation rules say. The
/// `Content-Type` names the scheme when the range had an `escaping=` parameter, and
/// always for text 1.0.0; otherwise it is the same as before escaping existed, so that
/// scrapers that never heard of escaping see what they always saw.
///
/// ```
/// use prom_kit::encoding::{negotiate, EscapingScheme, Format, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
///
/// // What Prometheus 2.42 sends by default.
/// let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
///               version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// let chosen = negotiate(Some(accept));
/// assert_eq!(chosen.format, Format::OpenMetrics);
/// assert_eq!(chosen.escaping, EscapingScheme::Underscores);
/// assert_eq!(chosen.content_type, OPENMETRICS_CONTENT_TYPE);
///
/// // What Prometheus 3.4 and later send by default.
/// let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
///               application/openmetrics-text;version=0.0.1;q=0.5,\
///               text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// let chosen = negotiate(Some(accept));
/// assert_eq!(chosen.escaping, EscapingScheme::AllowUtf8);
/// assert_eq!(chosen.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
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
    let mut escaping = None;
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
            "escaping" => escaping = Some(EscapingScheme::from_param(value)),
            _ => {}
        }
    }
    let media = match (media_type.as_str(), version) {
        ("application/openmetrics-text", None | Some("1.0.0")) => Media::OpenMetrics100,
        ("application/openmetrics-text", Some("0.0.1")) => Media::OpenMetrics001,
        ("text/plain", None | Some("0.0.4")) | ("*/*" | "text/*", _) => Media::Text004,
        ("text/plain", Some("1.0.0")) => Media::Text100,
        #[cfg(feature = "protobuf")]
        ("application/vnd.google.protobuf", _)
            if proto == Some("io.prometheus.client.MetricFamily")
                && encoding == Some("delimited") =>
        {
            Media::Protobuf
        }
        _ => return None,
    };
    #[cfg(not(feature = "protobuf"))]
    let _ = (proto, encoding);
    // A parameter naming no scheme counts as none: the default, and not echoed.
    let scheme = escaping.flatten();
    Some((quality, answer(media, scheme)))
}

/// The answer for `media` with the escaping the range asked for (if it named one).
fn answer(media: Media, asked: Option<EscapingScheme>) -> Negotiated {
    let escaping = asked.unwrap_or_default();
    let (format, content_type) = match media {
        Media::Text004 => (
            Format::Text,
            content_type!(
                asked,
                TEXT_CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8"
            ),
        ),
        Media::Text100 => (
            Format::Text,
            content_type!(
                Some(escaping),
                TEXT_CONTENT_TYPE,
                "text/plain; version=1.0.0; charset=utf-8"
            ),
        ),
        Media::OpenMetrics100 => (
            Format::OpenMetrics,
            content_type!(
                asked,
                OPENMETRICS_CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
            ),
        ),
        Media::OpenMetrics001 => (
            Format::OpenMetrics,
            content_type!(
                asked,
                OPENMETRICS_0_0_1_CONTENT_TYPE,
                "application/openmetrics-text; version=0.0.1; charset=utf-8"
            ),
        ),
        #[cfg(feature = "protobuf")]
        Media::Protobuf => (
            Format::Protobuf,
            content_type!(
                asked,
                super::PROTOBUF_CONTENT_TYPE,
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            ),
        ),
    };
    Negotiated {
        format,
        escaping,
        content_type,
    }
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
            let expected = if accept == PROMETHEUS_3_4 {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
            } else {
                OPENMETRICS_CONTENT_TYPE
            };
            assert_eq!(chosen.content_type, expected);
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

    /// Prometheus 3.0.0 to 3.2.0 by default (one range names the scheme twice).
    const PROMETHEUS_3_0: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2";

    /// Prometheus 3.4 and later with `metric_name_escaping_scheme: <scheme>`.
    fn prometheus_3_4_with(scheme: &str) -> String {
        format!(
            "application/openmetrics-text;version=1.0.0;escaping={scheme};q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping={scheme};q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        )
    }

    /// Prometheus 3.4 and later scraping protobuf first (native histograms).
    fn prometheus_3_4_protobuf_first(scheme: &str) -> String {
        format!(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping={scheme};q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping={scheme};q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
        )
    }

    #[test]
    fn prometheus_3_headers_pick_their_escaping() {
        let chosen = negotiate(Some(PROMETHEUS_3_0));
        assert_eq!(chosen.escaping, EscapingScheme::AllowUtf8);
        assert_eq!(
            chosen.content_type,
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
        );
        for (param, scheme) in [
            ("allow-utf-8", EscapingScheme::AllowUtf8),
            ("underscores", EscapingScheme::Underscores),
            ("dots", EscapingScheme::Dots),
            ("values", EscapingScheme::Values),
        ] {
            let chosen = negotiate(Some(&prometheus_3_4_with(param)));
            assert_eq!(chosen.format, Format::OpenMetrics);
            assert_eq!(chosen.escaping, scheme);
            assert_eq!(
                chosen.content_type,
                format!(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping={param}"
                )
            );
            // The range that names no scheme gets the default, and is answered as before.
            let chosen = negotiate(Some(&prometheus_3_4_protobuf_first(param)));
            #[cfg(feature = "protobuf")]
            {
                assert_eq!(chosen.format, Format::Protobuf);
                assert_eq!(chosen.escaping, EscapingScheme::Underscores);
                assert_eq!(chosen.content_type, super::super::PROTOBUF_CONTENT_TYPE);
            }
            #[cfg(not(feature = "protobuf"))]
            assert_eq!(chosen.escaping, scheme);
        }
    }

    #[test]
    fn text_1_0_0_always_names_its_scheme() {
        let chosen = negotiate(Some("text/plain;version=1.0.0"));
        assert_eq!(chosen.format, Format::Text);
        assert_eq!(chosen.escaping, EscapingScheme::Underscores);
        assert_eq!(
            chosen.content_type,
            "text/plain; version=1.0.0; charset=utf-8; escaping=underscores"
        );
        let chosen = negotiate(Some("text/plain;version=1.0.0;escaping=allow-utf-8"));
        assert_eq!(
            chosen.content_type,
            "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
        );
        let chosen = negotiate(Some("text/plain;version=0.0.4;escaping=values"));
        assert_eq!(chosen.escaping, EscapingScheme::Values);
        assert_eq!(
            chosen.content_type,
            "text/plain; version=0.0.4; charset=utf-8; escaping=values"
        );
    }

    #[test]
    fn unknown_escaping_values_are_the_default_and_not_echoed() {
        for accept in [
            "application/openmetrics-text;version=1.0.0;escaping=utf-8",
            "application/openmetrics-text;version=1.0.0;escaping=",
            "application/openmetrics-text;version=1.0.0;escaping=Allow-UTF-8",
        ] {
            let chosen = negotiate(Some(accept));
            assert_eq!(chosen.escaping, EscapingScheme::Underscores, "{accept}");
            assert_eq!(chosen.content_type, OPENMETRICS_CONTENT_TYPE, "{accept}");
        }
    }

    #[test]
    fn fallbacks() {
        for accept in [
            "",
            "text/html",
            "application/openmetrics-text;version=2.0.0",
            "application/openmetrics-text;q=0",
            "application/openmetrics-text;q=abc",
            ";;;,,,",
        ] {
            assert_eq!(negotiate(Some(accept)), TEXT, "{accept}");
        }
        assert_eq!(negotiate(Some("*/*")), TEXT);
    }
}
