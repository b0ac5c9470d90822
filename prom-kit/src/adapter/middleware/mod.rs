//! [`MiddlewareCore`]: what every request-metrics middleware does, whatever the
//! framework — run the user's hooks on the request, start its tracker with its
//! exemplar, and hand the tracker to the response (see [`TrackedFuture`]).
//!
//! An adapter keeps only the glue: reading a [`RequestInfo`] from its request type and
//! wrapping its response body around a [`ResponseRecorder`](super::ResponseRecorder).

mod future;

use std::fmt;
use std::sync::Arc;

pub use future::{ResponseGlue, TrackedFuture};

use crate::adapter::{RequestInfo, RequestTracker};
use crate::http::HttpMetrics;

/// Computes the values of the extra labels declared with
/// [`HttpMetricsBuilder::extra_labels`](super::HttpMetricsBuilder::extra_labels).
type ExtraLabelsHook<R> = Arc<dyn Fn(&R) -> Vec<String> + Send + Sync>;

/// Computes a request's exemplar labels (a trace id from a header or an extension).
type ExemplarHook<R> = Arc<dyn Fn(&R) -> Option<Vec<(String, String)>> + Send + Sync>;

/// The framework-neutral part of a request-metrics middleware: the [`HttpMetrics`] it
/// records into, and the user's hooks over the framework's request type `R` (extra
/// label values, exemplar labels). A cheap clone.
///
/// ```
/// use prom_kit::adapter::{MiddlewareCore, RequestInfo};
/// use prom_kit::http::HttpMetrics;
/// use prom_kit::Registry;
///
/// /// A framework's request, as its middleware sees it.
/// struct Request { method: &'static str, route: &'static str, trace: &'static str }
///
/// let registry = Registry::new();
/// let metrics = HttpMetrics::builder().build(&registry)?;
/// let core = MiddlewareCore::<Request>::new(metrics)
///     .exemplar(|request| Some(vec![("trace_id".to_owned(), request.trace.to_owned())]));
///
/// let request = Request { method: "GET", route: "/users/{id}", trace: "4bf92f35" };
/// let info = RequestInfo { method: request.method, route: Some(request.route), path: "/users/7", request_size: None };
/// let tracker = core.start(&request, &info).expect("not excluded");
/// tracker.finish(200, None);
///
/// let body = String::from_utf8(registry.render(prom_kit::Format::OpenMetrics)?).unwrap();
/// // The exemplar's timestamp is the time of the request: the line up to it is fixed.
/// let counted: Vec<&str> = body.lines().filter(|l| l.starts_with("http_requests_total{")).collect();
/// assert_eq!(counted.len(), 1);
/// let (fixed, timestamp) = counted[0].rsplit_once(' ').unwrap();
/// assert_eq!(fixed, r#"http_requests_total{method="GET",route="/users/{id}",status="200"} 1 # {trace_id="4bf92f35"} 1"#);
/// assert!(timestamp.parse::<f64>().unwrap() > 1.7e9);
/// # Ok::<(), prom_kit::Error>(())
/// ```
pub struct MiddlewareCore<R: ?Sized> {
    metrics: HttpMetrics,
    extra_labels: Option<ExtraLabelsHook<R>>,
    exemplar: Option<ExemplarHook<R>>,
}

impl<R: ?Sized> Clone for MiddlewareCore<R> {
    fn clone(&self) -> Self {
        Self {
            metrics: self.metrics.clone(),
            extra_labels: self.extra_labels.clone(),
            exemplar: self.exemplar.clone(),
        }
    }
}

impl<R: ?Sized> fmt::Debug for MiddlewareCore<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MiddlewareCore")
            .field("metrics", &self.metrics)
            .field("extra_labels", &self.extra_labels.is_some())
            .field("exemplar", &self.exemplar.is_some())
            .finish()
    }
}

impl<R: ?Sized> MiddlewareCore<R> {
    /// Records into `metrics`, with no hooks.
    pub fn new(metrics: HttpMetrics) -> Self {
        Self {
            metrics,
            extra_labels: None,
            exemplar: None,
        }
    }

    /// Sets the hook computing the extra label values from each request (a tenant
    /// header, say): one value per name given to
    /// [`HttpMetricsBuilder::extra_labels`](crate::http::HttpMetricsBuilder::extra_labels),
    /// in order; missing values are empty, surplus ones ignored. Should the hook panic,
    /// the request is recorded with empty values (see [`start`](Self::start)).
    #[must_use]
    pub fn extra_labels(
        mut self,
        hook: impl Fn(&R) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        self.extra_labels = Some(Arc::new(hook));
        self
    }

    /// Sets the hook extracting exemplar labels from each request (a trace id from a
    /// header or a request extension); the request's count and duration carry them as
    /// exemplars, visible in OpenMetrics and protobuf scrapes. Labels an exemplar cannot
    /// hold (too long, control characters) are dropped; the request is still recorded.
    /// Should the hook panic, the request is recorded without an exemplar (see
    /// [`start`](Self::start)).
    #[must_use]
    pub fn exemplar(
        mut self,
        hook: impl Fn(&R) -> Option<Vec<(String, String)>> + Send + Sync + 'static,
    ) -> Self {
        self.exemplar = Some(Arc::new(hook));
        self
    }

    /// Whether a hook reads the request (extra labels or exemplars). Without one, an
    /// adapter may skip building the request view the hooks take and start the tracker
    /// with [`HttpMetrics::start`] directly.
    pub fn has_hooks(&self) -> bool {
        self.extra_labels.is_some() || self.exemplar.is_some()
    }

    /// The metrics recorded into.
    pub fn metrics(&self) -> &HttpMetrics {
        &self.metrics
    }

    /// Starts tracking `request` (described by `info`): runs the hooks and starts its
    /// tracker with its exemplar. `None` for an excluded path, without running the hooks.
    ///
    /// A hook that panics costs only its own output: the request is recorded with empty
    /// extra label values, or without an exemplar, and the panic is counted in
    /// `prom_kit_hook_errors_total{hook}` (`extra_labels`, `exemplar`), a family
    /// registered beside the request metrics at the first panic.
    pub fn start(&self, request: &R, info: &RequestInfo<'_>) -> Option<RequestTracker> {
        if self.metrics.is_excluded(info.path, info.route) {
            return None;
        }
        let hooks = self.metrics.hooks();
        let extra = self
            .extra_labels
            .as_ref()
            .and_then(|hook| hooks.run("extra_labels", || hook(request)))
            .unwrap_or_default();
        let tracker = self.metrics.start(info, extra)?;
        let exemplar = self
            .exemplar
            .as_ref()
            .and_then(|hook| hooks.run("exemplar", || hook(request)).flatten());
        Some(match exemplar {
            Some(labels) => tracker.with_exemplar(labels),
            None => tracker,
        })
    }
}

#[cfg(test)]
mod tests;
