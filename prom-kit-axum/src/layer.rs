//! [`MetricsLayer`] and the service it wraps around a router.

use std::task::{Context, Poll};

use axum::extract::MatchedPath;
use http::request::Parts;
use http::{Extensions, HeaderMap, Method, Request, Response, Uri, header::CONTENT_LENGTH};
use http_body::Body;
use prom_kit::adapter::{MiddlewareCore, RequestInfo};
use prom_kit::http::HttpMetrics;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::MetricsBody;
use crate::future::ResponseFuture;

/// A tower layer recording [`HttpMetrics`] for every request through the router.
///
/// Add it with `Router::layer` (not `route_layer`) so that requests matching no route
/// are counted too, under [`UNMATCHED_ROUTE`](prom_kit::http::UNMATCHED_ROUTE).
#[derive(Clone, Debug)]
pub struct MetricsLayer {
    core: MiddlewareCore<Parts>,
}

impl MetricsLayer {
    /// Records into `metrics`.
    pub fn new(metrics: HttpMetrics) -> Self {
        Self {
            core: MiddlewareCore::new(metrics),
        }
    }

    /// Sets the hook extracting exemplar labels from each request's head (see
    /// [`MiddlewareCore::exemplar`]).
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
        self,
        hook: impl Fn(&Parts) -> Option<Vec<(String, String)>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            core: self.core.exemplar(hook),
        }
    }

    /// Sets the hook computing the extra label values from each request's head (see
    /// [`MiddlewareCore::extra_labels`]).
    #[must_use]
    pub fn extra_labels(
        self,
        hook: impl Fn(&Parts) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            core: self.core.extra_labels(hook),
        }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> MetricsService<S> {
        MetricsService {
            inner,
            core: self.core.clone(),
        }
    }
}

/// The service [`MetricsLayer`] wraps around the router.
#[derive(Clone, Debug)]
pub struct MetricsService<S> {
    inner: S,
    core: MiddlewareCore<Parts>,
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
        if !self.core.has_hooks() {
            // No hook needs the request's `Parts`: read what the metrics need in place.
            let size = request_size(request.headers(), request.body());
            let info = request_info(request.method(), request.extensions(), request.uri(), size);
            let tracker = self
                .core
                .metrics()
                .start(&info, Vec::new())
                .map(|tracker| tracker.with_traceparent(|| traceparent(request.headers())));
            return ResponseFuture::new(self.inner.call(request), tracker);
        }
        let (parts, body) = request.into_parts();
        let size = request_size(&parts.headers, &body);
        let info = request_info(&parts.method, &parts.extensions, &parts.uri, size);
        let tracker = self
            .core
            .start(&parts, &info)
            .map(|tracker| tracker.with_traceparent(|| traceparent(&parts.headers)));
        ResponseFuture::new(self.inner.call(Request::from_parts(parts, body)), tracker)
    }
}

/// The request body's size: its `Content-Length`, or the body's exact size hint.
/// The request's W3C `traceparent` header, for trace exemplars.
fn traceparent(headers: &HeaderMap) -> Option<&[u8]> {
    headers.get("traceparent").map(http::HeaderValue::as_bytes)
}

fn request_size(headers: &HeaderMap, body: &impl Body) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .or_else(|| body.size_hint().exact())
}

/// What the metrics need of a request; the route is axum's [`MatchedPath`].
fn request_info<'a>(
    method: &'a Method,
    extensions: &'a Extensions,
    uri: &'a Uri,
    request_size: Option<u64>,
) -> RequestInfo<'a> {
    RequestInfo {
        method: method.as_str(),
        route: extensions.get::<MatchedPath>().map(MatchedPath::as_str),
        path: uri.path(),
        request_size,
    }
}
