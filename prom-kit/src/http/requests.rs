//! [`HttpMetrics`]: the request metrics every framework adapter records, named and
//! labelled identically whichever framework serves the request.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::error::Result;
use crate::labels::LabelValues;
use crate::metrics::{HistogramConfig, NativeBuckets};
use crate::registry::RegisterAll;
use crate::{Buckets, Counter, Family, Gauge, Histogram, Registry};

/// The `route` value of requests that matched no route: one fixed value, so that a
/// flood of random URLs cannot create new series.
pub const UNMATCHED_ROUTE: &str = "<unmatched>";

/// The `method` value of requests whose method is not one of the nine standard ones
/// (the OpenTelemetry convention).
pub const OTHER_METHOD: &str = "_OTHER";

const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The 14 bucket bounds the OpenTelemetry HTTP semantic conventions advise for
/// `http.server.request.duration`.
const OPENTELEMETRY_DURATION_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Which names and labels the request metrics use.
///
/// | | `Classic` | `OpenTelemetry` |
/// |---|---|---|
/// | request count | `http_requests_total` | the duration histogram's `_count` |
/// | duration | `http_request_duration_seconds` | `http_server_request_duration_seconds` |
/// | in flight | `http_requests_in_flight` | `http_server_active_requests` |
/// | request body size (opt-in) | `http_request_size_bytes` | `http_server_request_body_size_bytes` |
/// | response body size (opt-in) | `http_response_size_bytes` | `http_server_response_body_size_bytes` |
/// | labels | `method`, `route`, `status` | `http_request_method`, `http_route`, `http_response_status_code` |
/// | default duration buckets | Prometheus' 11 defaults | the 14 advised by the conventions |
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
}

struct Names {
    requests: Option<&'static str>,
    duration: &'static str,
    in_flight: &'static str,
    request_size: &'static str,
    response_size: &'static str,
    method: &'static str,
    route: &'static str,
    status: &'static str,
}

impl NamingScheme {
    fn names(self) -> Names {
        match self {
            Self::Classic => Names {
                requests: Some("http_requests"),
                duration: "http_request_duration",
                in_flight: "http_requests_in_flight",
                request_size: "http_request_size",
                response_size: "http_response_size",
                method: "method",
                route: "route",
                status: "status",
            },
            Self::OpenTelemetry => Names {
                requests: None,
                duration: "http_server_request_duration",
                in_flight: "http_server_active_requests",
                request_size: "http_server_request_body_size",
                response_size: "http_server_response_body_size",
                method: "http_request_method",
                route: "http_route",
                status: "http_response_status_code",
            },
        }
    }

    fn default_duration_buckets(self) -> Buckets {
        match self {
            Self::Classic => Buckets::DEFAULT,
            // The advised bounds are finite and ascending, so this never falls back.
            Self::OpenTelemetry => {
                Buckets::new(OPENTELEMETRY_DURATION_BOUNDS).unwrap_or(Buckets::DEFAULT)
            }
        }
    }
}

/// Configures [`HttpMetrics`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct HttpMetricsBuilder {
    naming: NamingScheme,
    duration_buckets: Option<Buckets>,
    native: Option<NativeBuckets>,
    size_buckets: Option<Buckets>,
    body_sizes: bool,
    prefix: Option<String>,
    const_labels: Vec<(String, String)>,
    excluded: Vec<String>,
    extra_labels: Vec<String>,
    max_series: usize,
    unmatched_route: String,
}

impl HttpMetricsBuilder {
    /// The naming scheme (classic by default).
    pub fn naming(mut self, naming: NamingScheme) -> Self {
        self.naming = naming;
        self
    }

    /// Buckets of the duration histogram, in seconds.
    pub fn duration_buckets(mut self, buckets: Buckets) -> Self {
        self.duration_buckets = Some(buckets);
        self
    }

    /// Also keep native buckets in the duration histogram, so that a Prometheus with
    /// native histograms enabled stores it natively (over protobuf) while text scrapers
    /// still get the classic buckets.
    pub fn native_histograms(mut self, native: NativeBuckets) -> Self {
        self.native = Some(native);
        self
    }

    /// Also record request and response body sizes (off by default).
    pub fn body_sizes(mut self, enabled: bool) -> Self {
        self.body_sizes = enabled;
        self
    }

    /// Buckets of the body size histograms, in bytes (default: 64 B to 16 MiB, ×4).
    pub fn size_buckets(mut self, buckets: Buckets) -> Self {
        self.size_buckets = Some(buckets);
        self
    }

    /// A prefix for every metric name (`myapp` → `myapp_http_requests_total`).
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.to_owned());
        self
    }

    /// A constant label on every series.
    pub fn const_label(mut self, name: &str, value: &str) -> Self {
        self.const_labels.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A path that is not recorded (matched exactly against the request path), such as
    /// `/metrics` or `/health`.
    pub fn exclude_path(mut self, path: &str) -> Self {
        self.excluded.push(path.to_owned());
        self
    }

    /// Extra labels whose values the adapter's hook computes from each request.
    pub fn extra_labels<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.extra_labels = names.into_iter().map(Into::into).collect();
        self
    }

    /// The cardinality guard of every family (10 000 series by default): beyond it, new
    /// label combinations fold into one overflow series.
    pub fn max_series(mut self, limit: usize) -> Self {
        self.max_series = limit;
        self
    }

    /// The route value of requests that matched no route (default [`UNMATCHED_ROUTE`]).
    pub fn unmatched_route(mut self, value: &str) -> Self {
        value.clone_into(&mut self.unmatched_route);
        self
    }

    /// Creates the metrics and registers them in `registry`.
    ///
    /// # Errors
    ///
    /// An invalid prefix, constant or extra label name, or a name already registered;
    /// the registry is left as it was.
    pub fn build(self, registry: &Registry) -> Result<HttpMetrics> {
        let mut registry = registry.clone();
        if let Some(prefix) = &self.prefix {
            registry = registry.with_prefix(prefix)?;
        }
        if !self.const_labels.is_empty() {
            registry = registry.with_labels(
                self.const_labels
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str())),
            )?;
        }
        let names = self.naming.names();
        let inner = self.families(&names)?;
        register_all(&registry, &names, &inner)?;
        Ok(HttpMetrics {
            inner: Arc::new(inner),
        })
    }

    /// Creates (but does not register) the families.
    fn families(self, names: &Names) -> Result<Inner> {
        let series_labels: Vec<&str> = [names.method, names.route, names.status]
            .into_iter()
            .chain(self.extra_labels.iter().map(String::as_str))
            .collect();
        let flight_labels: Vec<&str> = [names.method, names.route]
            .into_iter()
            .chain(self.extra_labels.iter().map(String::as_str))
            .collect();
        let histogram = |config: HistogramConfig| {
            Family::<Histogram>::builder(series_labels.iter().copied())
                .options(config)
                .max_series(self.max_series)
                .build()
        };
        let size_buckets = match self.size_buckets.clone() {
            Some(buckets) => buckets,
            None => Buckets::exponential(64.0, 4.0, 10)?,
        };
        let classic = self
            .duration_buckets
            .clone()
            .unwrap_or_else(|| self.naming.default_duration_buckets());
        let duration_config = match self.native.clone() {
            Some(native) => HistogramConfig::both(classic, native),
            None => HistogramConfig::classic(classic),
        };
        Ok(Inner {
            requests: match names.requests {
                Some(_) => Some(
                    Family::builder(series_labels.iter().copied())
                        .max_series(self.max_series)
                        .build()?,
                ),
                None => None,
            },
            duration: histogram(duration_config)?,
            in_flight: Family::builder(flight_labels)
                .max_series(self.max_series)
                .build()?,
            request_size: if self.body_sizes {
                Some(histogram(size_buckets.clone().into())?)
            } else {
                None
            },
            response_size: if self.body_sizes {
                Some(histogram(size_buckets.into())?)
            } else {
                None
            },
            excluded: self
                .excluded
                .into_iter()
                .map(String::into_boxed_str)
                .collect(),
            extra_count: self.extra_labels.len(),
            unmatched_route: self.unmatched_route.into_boxed_str(),
        })
    }
}

/// Registers every family of `inner`, or none of them.
fn register_all(registry: &Registry, names: &Names, inner: &Inner) -> Result<()> {
    let mut registered = RegisterAll::new(registry);
    if let (Some(name), Some(family)) = (names.requests, &inner.requests) {
        registered.add(name, None, "HTTP requests completed.", family.clone())?;
    }
    registered.add(
        names.duration,
        Some("seconds"),
        "Time from receiving an HTTP request to the end of its response body.",
        inner.duration.clone(),
    )?;
    registered.add(
        names.in_flight,
        None,
        "HTTP requests being served.",
        inner.in_flight.clone(),
    )?;
    if let Some(family) = &inner.request_size {
        registered.add(
            names.request_size,
            Some("bytes"),
            "HTTP request body sizes.",
            family.clone(),
        )?;
    }
    if let Some(family) = &inner.response_size {
        registered.add(
            names.response_size,
            Some("bytes"),
            "HTTP response body sizes.",
            family.clone(),
        )?;
    }
    registered.commit();
    Ok(())
}

/// The request metrics of one application: create once with
/// [`builder`](Self::builder), share (it is a cheap clone) with the middleware.
///
/// ```
/// use prom_kit::http::{HttpMetrics, RequestInfo};
/// use prom_kit::Registry;
///
/// let registry = Registry::new();
/// let metrics = HttpMetrics::builder().exclude_path("/metrics").build(&registry)?;
/// let tracker = metrics
///     .start(&RequestInfo { method: "GET", route: Some("/users/{id}"), path: "/users/7", request_size: None }, Vec::new())
///     .expect("not excluded");
/// tracker.finish(200, None);
/// let text = registry.encode_text()?;
/// assert!(text.contains("http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"} 1\n"));
/// assert!(metrics.start(&RequestInfo { method: "GET", route: None, path: "/metrics", request_size: None }, Vec::new()).is_none());
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    requests: Option<Family<Counter>>,
    duration: Family<Histogram>,
    in_flight: Family<Gauge>,
    request_size: Option<Family<Histogram>>,
    response_size: Option<Family<Histogram>>,
    excluded: Vec<Box<str>>,
    extra_count: usize,
    unmatched_route: Box<str>,
}

impl fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpMetrics")
            .field("excluded", &self.inner.excluded)
            .field("extra_labels", &self.inner.extra_count)
            .finish_non_exhaustive()
    }
}

/// What the middleware knows about a request when it arrives.
#[derive(Clone, Copy, Debug)]
pub struct RequestInfo<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The matched route template (`/users/{id}`), or `None` if no route matched.
    pub route: Option<&'a str>,
    /// The request path, for exclusion only (never a label).
    pub path: &'a str,
    /// The request body size, if known (`Content-Length`).
    pub request_size: Option<u64>,
}

impl HttpMetrics {
    /// Starts configuring the request metrics.
    pub fn builder() -> HttpMetricsBuilder {
        HttpMetricsBuilder {
            naming: NamingScheme::Classic,
            duration_buckets: None,
            native: None,
            size_buckets: None,
            body_sizes: false,
            prefix: None,
            const_labels: Vec::new(),
            excluded: Vec::new(),
            extra_labels: Vec::new(),
            max_series: 10_000,
            unmatched_route: UNMATCHED_ROUTE.to_owned(),
        }
    }

    /// Whether requests to `path` are not recorded.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.inner.excluded.iter().any(|p| **p == *path)
    }

    /// How many extra label values the hook must produce per request.
    pub fn extra_label_count(&self) -> usize {
        self.inner.extra_count
    }

    /// Starts tracking a request: counts it in flight until the returned tracker is
    /// finished or dropped. Returns `None` for excluded paths.
    ///
    /// `extra_values` are the values of the extra labels, in order; missing ones are
    /// empty, surplus ones ignored.
    pub fn start(
        &self,
        request: &RequestInfo<'_>,
        mut extra_values: Vec<String>,
    ) -> Option<RequestTracker> {
        if self.is_excluded(request.path) {
            return None;
        }
        extra_values.resize(self.inner.extra_count, String::new());
        let method = normalize_method(request.method);
        let route: Box<str> = request
            .route
            .map_or_else(|| self.inner.unmatched_route.clone(), Box::from);
        let in_flight = self
            .inner
            .in_flight
            .labels(&SeriesValues {
                method,
                route: &route,
                status: None,
                extra: &extra_values,
            })
            .ok();
        if let Some(gauge) = &in_flight {
            gauge.inc();
        }
        Some(RequestTracker {
            inner: Arc::clone(&self.inner),
            method,
            route,
            extra: extra_values,
            request_size: request.request_size,
            start: Instant::now(),
            in_flight,
            exemplar: None,
        })
    }
}

/// The standard method name, or [`OTHER_METHOD`].
fn normalize_method(method: &str) -> &'static str {
    // Methods are case-sensitive (RFC 9110 §9.1): `get` is not `GET`, and the
    // OpenTelemetry convention asks for an exact match before `_OTHER`.
    STANDARD_METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or(OTHER_METHOD)
}

/// The label values of one request series, without allocating.
struct SeriesValues<'a> {
    method: &'a str,
    route: &'a str,
    status: Option<&'a str>,
    extra: &'a [String],
}

impl LabelValues for SeriesValues<'_> {
    fn label_count(&self) -> usize {
        2 + usize::from(self.status.is_some()) + self.extra.len()
    }

    fn label_value(&self, index: usize) -> &str {
        let fixed = 2 + usize::from(self.status.is_some());
        match (index, self.status) {
            (0, _) => self.method,
            (1, _) => self.route,
            (2, Some(status)) => status,
            _ => self.extra.get(index - fixed).map_or("", String::as_str),
        }
    }
}

/// One request in progress. [`finish`](Self::finish) records it; dropping it
/// unfinished (the client went away, the handler panicked or was cancelled) only takes
/// it out of the in-flight gauge.
#[derive(Debug)]
#[must_use = "dropping the tracker records the request as cancelled"]
pub struct RequestTracker {
    inner: Arc<Inner>,
    method: &'static str,
    route: Box<str>,
    extra: Vec<String>,
    request_size: Option<u64>,
    start: Instant,
    in_flight: Option<Gauge>,
    exemplar: Option<Vec<(String, String)>>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner").finish_non_exhaustive()
    }
}

impl RequestTracker {
    /// Attaches exemplar labels (a trace id, say) to this request's count and duration
    /// observation. Labels longer than an exemplar allows are dropped, the request is
    /// still recorded.
    pub fn with_exemplar(mut self, labels: Vec<(String, String)>) -> Self {
        self.exemplar = Some(labels);
        self
    }

    /// Records the request as completed with `status`, its duration measured from
    /// [`HttpMetrics::start`] to now, and the response body size if known.
    pub fn finish(mut self, status: u16, response_size: Option<u64>) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let mut status_text = itoa::Buffer::new();
        let values = SeriesValues {
            method: self.method,
            route: &self.route,
            status: Some(status_text.format(status)),
            extra: &self.extra,
        };
        let inner = &*self.inner;
        let exemplar: Option<Vec<(&str, &str)>> = self.exemplar.as_ref().map(|pairs| {
            pairs
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect()
        });
        // `with` rather than `labels`: no handle to clone and drop per family. The label
        // count always matches the families', so the results are not errors.
        if let Some(requests) = &inner.requests {
            let _ = requests.with(&values, |counter| {
                let recorded = exemplar
                    .as_deref()
                    .is_some_and(|labels| counter.inc_by_with_exemplar(1, labels).is_ok());
                if !recorded {
                    counter.inc();
                }
            });
        }
        let _ = inner.duration.with(&values, |histogram| {
            let recorded = exemplar
                .as_deref()
                .is_some_and(|labels| histogram.observe_with_exemplar(elapsed, labels).is_ok());
            if !recorded {
                histogram.observe(elapsed);
            }
        });
        for (family, size) in [
            (&inner.request_size, self.request_size),
            (&inner.response_size, response_size),
        ] {
            if let (Some(family), Some(size)) = (family, size) {
                let _ = family.with(&values, |histogram| histogram.observe(size as f64));
            }
        }
        if let Some(gauge) = self.in_flight.take() {
            gauge.dec();
        }
    }

    /// The route label value this request is recorded under.
    pub fn route(&self) -> &str {
        &self.route
    }
}

/// Finishes a request's tracker when its response body is done: counts the bytes
/// streamed, and records the request at the end of the body, on a body error, or when
/// the body is dropped (a client that disconnects mid-body still gets its request
/// counted, with the bytes sent so far). The framework adapters wrap their body types
/// around one.
#[derive(Debug)]
pub struct ResponseRecorder {
    tracker: Option<RequestTracker>,
    status: u16,
    bytes: u64,
}

impl ResponseRecorder {
    /// Records for `tracker` (if the request is tracked) a response with `status`.
    pub fn new(tracker: Option<RequestTracker>, status: u16) -> Self {
        Self {
            tracker,
            status,
            bytes: 0,
        }
    }

    /// Counts `bytes` more of the body.
    pub fn add_bytes(&mut self, bytes: u64) {
        self.bytes += bytes;
    }

    /// Records the request now (once; later calls do nothing).
    pub fn finish(&mut self) {
        if let Some(tracker) = self.tracker.take() {
            tracker.finish(self.status, Some(self.bytes));
        }
    }
}

impl Drop for ResponseRecorder {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Drop for RequestTracker {
    fn drop(&mut self) {
        if let Some(gauge) = self.in_flight.take() {
            gauge.dec();
        }
    }
}

#[cfg(test)]
mod tests;
