//! [`HttpMetrics`]: the request metrics every framework adapter records, named and
//! labelled identically whichever framework serves the request.

use std::fmt;
use std::sync::Arc;

mod builder;
mod exclusions;
mod naming;
mod route_series;
mod route_table;
pub(crate) mod tracker;
mod values;

pub use crate::instrument::{NamingScheme, OTHER_METHOD};
pub use builder::HttpMetricsBuilder;
pub use naming::UNMATCHED_ROUTE;

use crate::instrument::normalize_method;
use route_table::RouteTable;
use tracker::{RequestInfo, RequestTracker};

use crate::instrument::HookRunner;

/// The request metrics of one application: create once with
/// [`builder`](Self::builder), share (it is a cheap clone) with the middleware.
///
/// ```
/// use prom_kit::adapter::RequestInfo;
/// use prom_kit::http::HttpMetrics;
/// use prom_kit::Registry;
///
/// let registry = Registry::new();
/// let metrics = HttpMetrics::builder().exclude_path("/metrics").build(&registry)?;
/// let tracker = metrics
///     .start(&RequestInfo { method: "GET", route: Some("/users/{id}"), path: "/users/7", request_size: None }, Vec::new())
///     .expect("not excluded");
/// tracker.finish(200, None);
/// let text = registry.encode_text()?;
/// // The duration histogram's buckets depend on the time taken; the count does not.
/// let counted: Vec<&str> = text.lines().filter(|l| l.starts_with("http_requests_total{")).collect();
/// assert_eq!(counted, [r#"http_requests_total{method="GET",route="/users/{id}",status="200"} 1"#]);
/// assert!(metrics.start(&RequestInfo { method: "GET", route: None, path: "/metrics", request_size: None }, Vec::new()).is_none());
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    /// The series of each (method, route, extra values), over the families.
    routes: Arc<RouteTable>,
    /// How many extra label values each request carries.
    extra_count: usize,
    /// Runs the middleware's hooks, counting their panics.
    hooks: HookRunner,
}

impl fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpMetrics")
            .field("excluded", self.inner.routes.excluded())
            .field("extra_labels", &self.inner.extra_count)
            .finish_non_exhaustive()
    }
}

impl HttpMetrics {
    /// Starts configuring the request metrics.
    pub fn builder() -> HttpMetricsBuilder {
        HttpMetricsBuilder::new()
    }

    /// Whether a request to `path`, matched to the route template `route` (`None` if no
    /// route matched), is not recorded: its path was excluded with
    /// [`exclude_path`](HttpMetricsBuilder::exclude_path) or its route with
    /// [`exclude_route`](HttpMetricsBuilder::exclude_route).
    pub fn is_excluded(&self, path: &str, route: Option<&str>) -> bool {
        self.inner.routes.excluded().contains(path, route)
    }

    /// Runs the middleware's hooks, counting their panics.
    pub(crate) fn hooks(&self) -> &HookRunner {
        &self.inner.hooks
    }

    /// How many extra label values the hook must produce per request.
    pub fn extra_label_count(&self) -> usize {
        self.inner.extra_count
    }

    /// Starts tracking a request: counts it in flight until the returned tracker is
    /// finished or dropped. Returns `None` for excluded paths and routes.
    ///
    /// `extra_values` are the values of the extra labels, in order; missing ones are
    /// empty, surplus ones ignored.
    pub fn start(
        &self,
        request: &RequestInfo<'_>,
        mut extra_values: Vec<String>,
    ) -> Option<RequestTracker> {
        if self.is_excluded(request.path, request.route) {
            return None;
        }
        if extra_values.len() != self.inner.extra_count {
            extra_values.resize(self.inner.extra_count, String::new());
        }
        let method = normalize_method(request.method);
        let route = request.route.unwrap_or(self.inner.routes.unmatched_route());
        let series = self.inner.routes.series(method, route, &extra_values);
        Some(RequestTracker::start(series, request.request_size))
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
