//! [`NamingScheme`]: which names and labels a bundled metric set uses, and the method
//! values the HTTP server and client metrics share.

use crate::Buckets;

#[cfg(any(feature = "http", feature = "http-client"))]
/// The `method` value of requests whose method is not one of the nine standard ones
/// (the OpenTelemetry convention).
pub const OTHER_METHOD: &str = "_OTHER";

/// The 14 bucket bounds the OpenTelemetry HTTP semantic conventions advise for
/// `http.server.request.duration`.
const OPENTELEMETRY_DURATION_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[cfg(any(feature = "http", feature = "http-client"))]
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// Which names and labels a bundled metric set uses: the names most Prometheus
/// middlewares use, or the OpenTelemetry semantic conventions'. The same choice for
/// [`HttpMetrics`](crate::http::HttpMetrics) (the table below),
/// [`HttpClientMetrics`](crate::http_client::HttpClientMetrics) and
/// [`GrpcMetrics`](crate::grpc::GrpcMetrics), whose docs give their names.
///
/// For the HTTP server's request metrics:
///
/// | | `Classic` | `OpenTelemetry` | `OpenTelemetryUtf8` |
/// |---|---|---|---|
/// | request count | `http_requests_total` | the duration histogram's `_count` | the same |
/// | duration | `http_request_duration_seconds` | `http_server_request_duration_seconds` | `http.server.request.duration_seconds` |
/// | in flight | `http_requests_in_flight` | `http_server_active_requests` | `http.server.active_requests` |
/// | request body size (opt-in) | `http_request_size_bytes` | `http_server_request_body_size_bytes` | `http.server.request.body.size_bytes` |
/// | response body size (opt-in) | `http_response_size_bytes` | `http_server_response_body_size_bytes` | `http.server.response.body.size_bytes` |
/// | labels | `method`, `route`, `status` | `http_request_method`, `http_route`, `http_response_status_code` | `http.request.method`, `http.route`, `http.response.status_code` |
/// | default duration buckets | Prometheus' 11 defaults | the 14 advised by the conventions | the same |
///
/// `OpenTelemetryUtf8` keeps the conventions' dotted names, as Prometheus 3 stores
/// OpenTelemetry metrics with UTF-8 names (its `NoUTF8EscapingWithSuffixes` translation);
/// it needs a registry in [`NameValidation::Utf8`](crate::NameValidation::Utf8), and
/// scrapers without UTF-8 receive it escaped, which for underscores is exactly
/// `OpenTelemetry`'s names.
///
/// The in-flight gauge carries the method and route labels only (the status is not
/// known yet).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum NamingScheme {
    /// The names most Prometheus HTTP middlewares use.
    #[default]
    Classic,
    /// The OpenTelemetry HTTP semantic conventions as exported to Prometheus.
    OpenTelemetry,
    /// The OpenTelemetry HTTP semantic conventions with their dotted names, for
    /// Prometheus 3 (needs a UTF-8 registry).
    OpenTelemetryUtf8,
}

/// The standard method name, or [`OTHER_METHOD`].
#[cfg(any(feature = "http", feature = "http-client"))]
pub(crate) fn normalize_method(method: &str) -> &'static str {
    // Methods are case-sensitive (RFC 9110 §9.1): `get` is not `GET`, and the
    // OpenTelemetry convention asks for an exact match before `_OTHER`.
    STANDARD_METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or(OTHER_METHOD)
}

impl NamingScheme {
    /// The duration histogram's classic buckets unless a builder sets them: Prometheus'
    /// 11 defaults, or the 14 the OpenTelemetry conventions advise.
    pub(crate) fn default_duration_buckets(self) -> Buckets {
        match self {
            Self::Classic => Buckets::DEFAULT,
            // The advised bounds are finite and ascending, so this never falls back.
            Self::OpenTelemetry | Self::OpenTelemetryUtf8 => {
                Buckets::new(OPENTELEMETRY_DURATION_BOUNDS).unwrap_or(Buckets::DEFAULT)
            }
        }
    }
}
