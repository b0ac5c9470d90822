//! [`HttpMetricsBuilder`]: configuring the request metrics and registering them.

use std::sync::Arc;
use std::time::Duration;

use super::exclusions::Exclusions;
use super::naming::{Names, UNMATCHED_ROUTE};
use super::route_series::Families;
use super::route_table::RouteTable;
use super::{HttpMetrics, Inner};
use crate::error::Result;
use crate::instrument::{DEFAULT_METRIC_SET_MAX_SERIES, HookRunner, NamingScheme, RegistryScope};
use crate::metrics::HistogramConfig;
use crate::{Buckets, Family, Histogram, Registry};

/// Configures [`HttpMetrics`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct HttpMetricsBuilder {
    naming: NamingScheme,
    duration: Option<HistogramConfig>,
    body_size: Option<HistogramConfig>,
    body_sizes: bool,
    scope: RegistryScope,
    excluded_paths: Vec<String>,
    excluded_routes: Vec<String>,
    extra_labels: Vec<String>,
    max_series: Option<usize>,
    unmatched_route: String,
    trace_exemplars: bool,
    trace_exemplar_interval: Duration,
}

impl HttpMetricsBuilder {
    /// The default settings (see [`HttpMetrics::builder`]).
    pub(super) fn new() -> Self {
        Self {
            naming: NamingScheme::Classic,
            duration: None,
            body_size: None,
            body_sizes: false,
            scope: RegistryScope::default(),
            excluded_paths: Vec::new(),
            excluded_routes: Vec::new(),
            extra_labels: Vec::new(),
            max_series: Some(DEFAULT_METRIC_SET_MAX_SERIES),
            unmatched_route: UNMATCHED_ROUTE.to_owned(),
            trace_exemplars: false,
            trace_exemplar_interval: crate::trace::DEFAULT_TRACE_EXEMPLAR_INTERVAL,
        }
    }

    /// Trace exemplars (off by default): a request that belongs to a sampled trace —
    /// its W3C `traceparent` header, read strictly ([`TraceParent`](crate::trace::TraceParent)),
    /// or a trace context an adapter knows otherwise — attaches its `trace_id` and
    /// `span_id` as the exemplar of its count and duration observation, so that a
    /// latency bucket links to a trace. At most one request per route series and
    /// [`trace_exemplar_interval`](Self::trace_exemplar_interval) does, so a hot route
    /// does not pay an exemplar write per request. An exemplar hook's labels take
    /// precedence. Exemplars are exposed in OpenMetrics and protobuf scrapes.
    pub fn trace_exemplars(mut self, enabled: bool) -> Self {
        self.trace_exemplars = enabled;
        self
    }

    /// The least time between two trace exemplars of one route series
    /// ([`DEFAULT_TRACE_EXEMPLAR_INTERVAL`](crate::trace::DEFAULT_TRACE_EXEMPLAR_INTERVAL)
    /// unless set; zero: every sampled request).
    pub fn trace_exemplar_interval(mut self, interval: Duration) -> Self {
        self.trace_exemplar_interval = interval;
        self
    }

    /// The naming scheme (classic by default).
    pub fn naming(mut self, naming: NamingScheme) -> Self {
        self.naming = naming;
        self
    }

    /// The duration histogram: classic buckets (a [`Buckets`] converts), native buckets
    /// or both ([`HistogramConfig::both`]), in seconds. By default the naming scheme's
    /// classic buckets: Prometheus' 11 defaults, or the 14 the OpenTelemetry conventions
    /// advise. With native buckets, a Prometheus with native histograms enabled stores
    /// it natively (over protobuf), while text scrapers get the classic buckets.
    ///
    /// The same setting as [`HttpClientMetricsBuilder::duration_histogram`](crate::http_client::HttpClientMetricsBuilder::duration_histogram)
    /// and [`GrpcMetricsBuilder::duration_histogram`](crate::grpc::GrpcMetricsBuilder::duration_histogram).
    pub fn duration_histogram(mut self, config: impl Into<HistogramConfig>) -> Self {
        self.duration = Some(config.into());
        self
    }

    /// Also record request and response body sizes (off by default).
    pub fn body_sizes(mut self, enabled: bool) -> Self {
        self.body_sizes = enabled;
        self
    }

    /// The body size histograms, in bytes, when [`body_sizes`](Self::body_sizes) is on
    /// (default: classic buckets from 64 B to 16 MiB, ×4).
    pub fn body_size_histogram(mut self, config: impl Into<HistogramConfig>) -> Self {
        self.body_size = Some(config.into());
        self
    }

    /// A prefix for every metric name (`myapp` → `myapp_http_requests_total`).
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.scope.set_prefix(prefix);
        self
    }

    /// A constant label on every series.
    pub fn const_label(mut self, name: &str, value: &str) -> Self {
        self.scope.add_label(name, value);
        self
    }

    /// A path that is not recorded, matched exactly against the request path, such as
    /// `/metrics` or `/health`. A route template (`/internal/{id}`, `/users/:id`) is
    /// refused by [`build`](Self::build): no request path equals it; leave out the
    /// requests matched to a route with [`exclude_route`](Self::exclude_route).
    pub fn exclude_path(mut self, path: &str) -> Self {
        self.excluded_paths.push(path.to_owned());
        self
    }

    /// A route template whose requests are not recorded, matched exactly against the
    /// route the framework matched (`/internal/{id}` in axum 0.8 and actix), as
    /// axum-prometheus' ignore patterns are.
    pub fn exclude_route(mut self, route: &str) -> Self {
        self.excluded_routes.push(route.to_owned());
        self
    }

    /// Extra labels whose values the adapter's hook computes from each request.
    pub fn extra_labels<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.extra_labels = names.into_iter().map(Into::into).collect();
        self
    }

    /// The cardinality guard of every family (10 000 series by default; `None` for no
    /// limit): beyond it, new label combinations fold into one overflow series.
    pub fn max_series(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.max_series = limit.into();
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
    /// An invalid prefix, constant or extra label name, a route template given to
    /// [`exclude_path`](Self::exclude_path), or a name already registered; the registry
    /// is left as it was.
    pub fn build(self, registry: &Registry) -> Result<HttpMetrics> {
        // The request timers' clock calibrates on its first reading: here, not in the
        // first request.
        crate::stopwatch::calibrate();
        let registry = self.scope.apply(registry, "HttpMetrics")?;
        let names = self.naming.names();
        let inner = self.families(&names, &registry)?;
        register_all(&registry, &names, &inner)?;
        Ok(HttpMetrics {
            inner: Arc::new(inner),
        })
    }

    /// Creates (but does not register) the families; hook panics are counted in
    /// `registry`.
    fn families(self, names: &Names, registry: &Registry) -> Result<Inner> {
        let series_labels: Vec<&str> = [names.method, names.route, names.status]
            .into_iter()
            .chain(self.extra_labels.iter().map(String::as_str))
            .collect();
        // No route: a request is in flight before it is routed (OpenTelemetry's
        // `http.server.active_requests` has no route either).
        let flight_labels: Vec<&str> = [names.method]
            .into_iter()
            .chain(self.extra_labels.iter().map(String::as_str))
            .collect();
        let histogram = |config: HistogramConfig| {
            Family::<Histogram>::builder(series_labels.iter().copied())
                .options(config)
                .max_series(self.max_series)
                .build()
        };
        let size_config = match self.body_size.clone() {
            Some(config) => config,
            None => Buckets::exponential(64.0, 4.0, 10)?.into(),
        };
        let duration_config = self
            .duration
            .clone()
            .unwrap_or_else(|| self.naming.default_duration_buckets().into());
        let families = Families {
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
                Some(histogram(size_config.clone())?)
            } else {
                None
            },
            response_size: if self.body_sizes {
                Some(histogram(size_config)?)
            } else {
                None
            },
            trace_exemplar_interval_ms: self
                .trace_exemplars
                .then(|| crate::trace::interval_ms(self.trace_exemplar_interval)),
        };
        Ok(Inner {
            routes: RouteTable::new(
                families,
                self.max_series.unwrap_or(usize::MAX),
                self.unmatched_route.into_boxed_str(),
                Exclusions::new(self.excluded_paths, self.excluded_routes)?,
            ),
            extra_count: self.extra_labels.len(),
            hooks: HookRunner::new(registry),
        })
    }
}

/// Registers every family of `inner`, or none of them.
fn register_all(registry: &Registry, names: &Names, inner: &Inner) -> Result<()> {
    let inner = inner.routes.families();
    let mut registered = registry.batch();
    if let (Some(name), Some(family)) = (names.requests, &inner.requests) {
        registered.register(name, "HTTP requests completed.", family.clone())?;
    }
    registered.register_with_unit(
        names.duration,
        "Time from receiving an HTTP request to the end of its response body.",
        "seconds",
        inner.duration.clone(),
    )?;
    registered.register(
        names.in_flight,
        "HTTP requests being served.",
        inner.in_flight.clone(),
    )?;
    if let Some(family) = &inner.request_size {
        registered.register_with_unit(
            names.request_size,
            "HTTP request body sizes.",
            "bytes",
            family.clone(),
        )?;
    }
    if let Some(family) = &inner.response_size {
        registered.register_with_unit(
            names.response_size,
            "HTTP response body sizes.",
            "bytes",
            family.clone(),
        )?;
    }
    registered.commit();
    Ok(())
}
