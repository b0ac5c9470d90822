//! [`MetricsLayer`] and the service it wraps around a router.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::MatchedPath;
use http::request::Parts;
use http::{Request, Response, header::CONTENT_LENGTH};
use http_body::Body;
use prom_kit::http::{HttpMetrics, RequestInfo};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::MetricsBody;
use crate::future::ResponseFuture;

/// Computes the values of the extra labels declared with
/// [`HttpMetricsBuilder::extra_labels`](prom_kit::http::HttpMetricsBuilder::extra_labels).
type ExtraLabels = Arc<dyn Fn(&Parts) -> Vec<String> + Send + Sync>;

/// Computes a request's exemplar labels (a trace id from a header or an extension).
type ExemplarLabels = Arc<dyn Fn(&Parts) -> Option<Vec<(String, String)>> + Send + Sync>;

/// A tower layer recording [`HttpMetrics`] for every request through the router.
///
/// Add it with `Router::layer` (not `route_layer`) so that requests matching no route
/// are counted too, under [`UNMATCHED_ROUTE`](prom_kit::http::UNMATCHED_ROUTE).
#[derive(Clone)]
pub struct MetricsLayer {
    metrics: HttpMetrics,
    extra_labels: Option<ExtraLabels>,
    exemplar: Option<ExemplarLabels>,
}

impl fmt::Debug for MetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsLayer")
            .field("metrics", &self.metrics)
            .field("extra_labels", &self.extra_labels.is_some())
            .field("exemplar", &self.exemplar.is_some())
            .finish()
    }
}

impl MetricsLayer {
    /// Records into `metrics`.
    pub fn new(metrics: HttpMetrics) -> Self {
        Self {
            metrics,
            extra_labels: None,
            exemplar: None,
        }
    }

    /// Sets the hook extracting exemplar labels from each request's head (a trace id
    /// from a header or a request extension); the request's count and duration carry
    /// them as exemplars, visible in OpenMetrics and protobuf scrapes.
    ///
    /// ```
    /// # use prom_kit_axum::MetricsLayer;
    /// # let metrics = prom_kit::http::HttpMetrics::builder().build(&prom_kit::Registry::new()).unwrap();
    /// let layer = MetricsLayer::new(metrics).exemplar(|parts| {
    ///     let trace = parts.headers.get("x-trace-id")?.to_str().ok()?;
    ///     Some(vec![("trace_id".to_owned(), trace.to_owned())])
    /// });
    /// ```
    #[must_use]
    pub fn exemplar(
        mut self,
        hook: impl Fn(&Parts) -> Option<Vec<(String, String)>> + Send + Sync + 'static,
    ) -> Self {
        self.exemplar = Some(Arc::new(hook));
        self
    }

    /// Sets the hook computing the extra label values from each request's head (a
    /// tenant header, say). Return one value per extra label name.
    #[must_use]
    pub fn extra_labels(
        mut self,
        hook: impl Fn(&Parts) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        self.extra_labels = Some(Arc::new(hook));
        self
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> MetricsService<S> {
        MetricsService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`MetricsLayer`] wraps around the router.
#[derive(Clone, Debug)]
pub struct MetricsService<S> {
    inner: S,
    layer: MetricsLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for MetricsService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: Body,
{
    type Response = Response<MetricsBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let request_size = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .or_else(|| body.size_hint().exact());
        let extra = self
            .layer
            .extra_labels
            .as_ref()
            .map(|hook| hook(&parts))
            .unwrap_or_default();
        let exemplar = self.layer.exemplar.as_ref().and_then(|hook| hook(&parts));
        let tracker = self.layer.metrics.start(
            &RequestInfo {
                method: parts.method.as_str(),
                route: parts
                    .extensions
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str),
                path: parts.uri.path(),
                request_size,
            },
            extra,
        );
        let tracker = match (tracker, exemplar) {
            (Some(tracker), Some(labels)) => Some(tracker.with_exemplar(labels)),
            (tracker, _) => tracker,
        };
        ResponseFuture::new(self.inner.call(Request::from_parts(parts, body)), tracker)
    }
}
