//! [`HttpClientMetrics`]: metrics of the requests an application makes as an HTTP
//! client, and (feature `http-client`) [`HttpClientLayer`], the tower layer recording
//! them around any client built on tower's `Service<http::Request<_>>`.

mod address;
mod cause;
#[cfg(feature = "http-client")]
mod layer;
mod tracker;

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Uri};

pub use crate::instrument::{NamingScheme, OTHER_METHOD};
pub use address::UNKNOWN_SERVER;
pub use cause::ClientErrorCause;
#[cfg(feature = "http-client")]
pub use layer::{HttpClientFuture, HttpClientLayer, HttpClientService, RequestTimedOut};
pub use tracker::ClientRequestTracker;

use crate::error::Result;
use crate::instrument::RegistryScope;
use crate::instrument::normalize_method;
use crate::metrics::HistogramConfig;
use crate::stopwatch::Stopwatch;
use crate::{Counter, Family, Gauge, Histogram, Registry};
use tracker::ClientValues;

/// The metrics of an application's outgoing HTTP requests, by method, `server_address`
/// (`host[:port]`, never the URL) and `status` — or, for a request that got no
/// response, `error` ([`ClientErrorCause`]).
///
/// | | `Classic` (default) | `OpenTelemetry` (`…Utf8`: dotted names) |
/// |---|---|---|
/// | count | `http_client_requests_total` | the duration's `_count` |
/// | duration (to the response head) | `http_client_request_duration_seconds` | `http_client_request_duration_seconds` |
/// | in flight | `http_client_requests_in_flight` | `http_client_active_requests` |
/// | labels | `method`, `server_address`, `status`, `error` | `http_request_method`, `server_address`, `http_response_status_code`, `error_type` |
///
/// ```
/// use prom_kit::http_client::{ClientErrorCause, HttpClientMetrics};
/// use prom_kit::Registry;
///
/// let registry = Registry::new();
/// let metrics = HttpClientMetrics::builder().build(&registry)?;
/// let headers = http::HeaderMap::new();
/// let uri: http::Uri = "https://user:pw@api.example.com/v1/users?id=7".parse().unwrap();
/// metrics.start("GET", &uri, &headers).finish_status(200);
/// metrics.start("POST", &uri, &headers).finish_error(ClientErrorCause::Timeout);
/// let text = registry.encode_text()?;
/// // The duration histogram's buckets depend on the time taken; the counts do not.
/// let mut counted: Vec<&str> = text.lines().filter(|l| l.starts_with("http_client_requests_total{")).collect();
/// counted.sort_unstable(); // series come in their shards' order
/// assert_eq!(counted, [
///     r#"http_client_requests_total{method="GET",server_address="api.example.com",status="200",error=""} 1"#,
///     r#"http_client_requests_total{method="POST",server_address="api.example.com",status="",error="timeout"} 1"#,
/// ]);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpClientMetrics {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    requests: Option<Family<Counter>>,
    duration: Family<Histogram>,
    in_flight: Family<Gauge>,
    /// With trace exemplars on: the least time between two trace exemplars, in
    /// milliseconds (one sampler for the client's series: see
    /// [`HttpClientMetricsBuilder::trace_exemplars`]).
    trace_exemplar_interval_ms: Option<u64>,
    trace_sampler: crate::trace::TraceSampler,
}

impl fmt::Debug for HttpClientMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientMetrics")
            .field("requests_total", &self.inner.requests.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpClientMetrics {
    /// Starts configuring the client metrics.
    pub fn builder() -> HttpClientMetricsBuilder {
        HttpClientMetricsBuilder {
            naming: NamingScheme::Classic,
            duration: None,
            scope: RegistryScope::default(),
            max_series: Some(crate::instrument::DEFAULT_METRIC_SET_MAX_SERIES),
            trace_exemplars: false,
            trace_exemplar_interval: crate::trace::DEFAULT_TRACE_EXEMPLAR_INTERVAL,
        }
    }

    /// Starts tracking a request to `uri` (its `Host` header in `headers` for a relative
    /// one): counted in flight until the tracker is finished or dropped.
    pub fn start(&self, method: &str, uri: &Uri, headers: &HeaderMap) -> ClientRequestTracker {
        let method = normalize_method(method);
        let server = address::server_address(uri, headers);
        let in_flight = self
            .inner
            .in_flight
            .labels(&ClientValues::in_flight(method, &server))
            .ok();
        if let Some(gauge) = &in_flight {
            gauge.inc();
        }
        let start = Stopwatch::start();
        // The outgoing request's trace, read only when the client is due an exemplar.
        let inner = &self.inner;
        let now = || crate::trace::sampler_clock(start);
        let due = inner
            .trace_sampler
            .due(inner.trace_exemplar_interval_ms, now);
        let trace = crate::trace::header_trace(due, || {
            headers.get("traceparent").map(http::HeaderValue::as_bytes)
        });
        ClientRequestTracker {
            inner: Arc::clone(&self.inner),
            method,
            server,
            start,
            in_flight,
            trace,
            finished: false,
        }
    }
}

/// Configures [`HttpClientMetrics`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct HttpClientMetricsBuilder {
    naming: NamingScheme,
    duration: Option<HistogramConfig>,
    scope: RegistryScope,
    max_series: Option<usize>,
    trace_exemplars: bool,
    trace_exemplar_interval: std::time::Duration,
}

impl HttpClientMetricsBuilder {
    /// Trace exemplars (off by default), as
    /// [`HttpMetricsBuilder::trace_exemplars`](crate::http::HttpMetricsBuilder::trace_exemplars):
    /// an outgoing request of a sampled trace (its `traceparent` header, read strictly)
    /// attaches its `trace_id` and `span_id` to its count and duration. One sampler
    /// serves the client's series: at most one trace exemplar per
    /// [`trace_exemplar_interval`](Self::trace_exemplar_interval), whichever destination.
    pub fn trace_exemplars(mut self, enabled: bool) -> Self {
        self.trace_exemplars = enabled;
        self
    }

    /// The least time between two trace exemplars
    /// ([`DEFAULT_TRACE_EXEMPLAR_INTERVAL`](crate::trace::DEFAULT_TRACE_EXEMPLAR_INTERVAL)
    /// unless set).
    pub fn trace_exemplar_interval(mut self, interval: std::time::Duration) -> Self {
        self.trace_exemplar_interval = interval;
        self
    }

    /// The naming scheme (classic by default; see [`HttpClientMetrics`]).
    pub fn naming(mut self, naming: NamingScheme) -> Self {
        self.naming = naming;
        self
    }

    /// The duration histogram: classic buckets (a [`Buckets`](crate::Buckets)
    /// converts), native or both (default: the scheme's classic buckets, as
    /// [`HttpMetricsBuilder::duration_histogram`](crate::http::HttpMetricsBuilder::duration_histogram)).
    pub fn duration_histogram(mut self, config: impl Into<HistogramConfig>) -> Self {
        self.duration = Some(config.into());
        self
    }

    /// A prefix for every metric name.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.scope.set_prefix(prefix);
        self
    }

    /// A constant label on every series.
    pub fn const_label(mut self, name: &str, value: &str) -> Self {
        self.scope.add_label(name, value);
        self
    }

    /// The cardinality guard of every family (10 000 series by default; `None` for no limit): an application
    /// calling an unbounded set of hosts folds the surplus into one overflow series.
    pub fn max_series(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.max_series = limit.into();
        self
    }

    /// Creates the metrics and registers them in `registry` (all or none).
    pub fn build(self, registry: &Registry) -> Result<HttpClientMetrics> {
        // The request timers' clock calibrates on its first reading: here, not in the
        // first request.
        crate::stopwatch::calibrate();
        let registry = self.scope.apply(registry, "HttpClientMetrics")?;
        let (requests_name, duration_name, in_flight_name, labels) = match self.naming {
            NamingScheme::Classic => (
                Some("http_client_requests"),
                "http_client_request_duration",
                "http_client_requests_in_flight",
                ["method", "server_address", "status", "error"],
            ),
            NamingScheme::OpenTelemetry => (
                None,
                "http_client_request_duration",
                "http_client_active_requests",
                [
                    "http_request_method",
                    "server_address",
                    "http_response_status_code",
                    "error_type",
                ],
            ),
            NamingScheme::OpenTelemetryUtf8 => (
                None,
                "http.client.request.duration",
                "http.client.active_requests",
                [
                    "http.request.method",
                    "server.address",
                    "http.response.status_code",
                    "error.type",
                ],
            ),
        };
        let duration_config = self
            .duration
            .unwrap_or_else(|| self.naming.default_duration_buckets().into());
        let inner = ClientInner {
            requests: requests_name
                .map(|_| {
                    Family::<Counter>::builder(labels)
                        .max_series(self.max_series)
                        .build()
                })
                .transpose()?,
            duration: Family::<Histogram>::builder(labels)
                .options(duration_config)
                .max_series(self.max_series)
                .build()?,
            trace_exemplar_interval_ms: self
                .trace_exemplars
                .then(|| crate::trace::interval_ms(self.trace_exemplar_interval)),
            trace_sampler: crate::trace::TraceSampler::default(),
            in_flight: Family::<Gauge>::builder([labels[0], labels[1]])
                .max_series(self.max_series)
                .build()?,
        };
        let mut batch = registry.batch();
        if let (Some(name), Some(family)) = (requests_name, &inner.requests) {
            batch.register(name, "HTTP client requests completed.", family.clone())?;
        }
        batch.register_with_unit(
            duration_name,
            "Time from sending an HTTP client request to receiving its response head.",
            "seconds",
            inner.duration.clone(),
        )?;
        batch.register(
            in_flight_name,
            "HTTP client requests awaiting their response.",
            inner.in_flight.clone(),
        )?;
        batch.commit();
        Ok(HttpClientMetrics {
            inner: Arc::new(inner),
        })
    }
}

#[cfg(test)]
mod tests;
