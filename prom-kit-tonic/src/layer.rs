//! [`GrpcMetricsLayer`] and the service it wraps around a tonic server or channel.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Request, Response, header::CONTENT_TYPE};
use http_body::Body;
use prom_kit::adapter::parse_grpc_timeout;
use prom_kit::grpc::GrpcMetrics;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{RequestBody, ResponseBody};
use crate::future::ResponseFuture;
use crate::status::{BoxError, GRPC_TIMEOUT};

/// Computes a call's exemplar labels from its request head.
type ExemplarHook = Arc<dyn Fn(&Parts) -> Option<Vec<(String, String)>> + Send + Sync>;

/// A tower layer recording [`GrpcMetrics`] for every gRPC call through it: around a
/// tonic server (`Server::builder().layer(…)`) with [`GrpcMetrics::server`] metrics, or
/// around a client's `Channel` (`tower::ServiceBuilder::new().layer(…).service(channel)`)
/// with [`GrpcMetrics::client`] ones.
///
/// Requests that are not gRPC (a content type other than `application/grpc` or
/// `application/grpc+…`, such as gRPC-Web or plain HTTP routes served alongside) pass
/// through unrecorded.
#[derive(Clone)]
pub struct GrpcMetricsLayer {
    metrics: GrpcMetrics,
    exemplar: Option<ExemplarHook>,
}

impl fmt::Debug for GrpcMetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcMetricsLayer")
            .field("metrics", &self.metrics)
            .field("exemplar", &self.exemplar.is_some())
            .finish()
    }
}

impl GrpcMetricsLayer {
    /// Records into `metrics` (server or client metrics: the layer counts messages in
    /// the matching direction).
    pub fn new(metrics: GrpcMetrics) -> Self {
        Self {
            metrics,
            exemplar: None,
        }
    }

    /// Sets the hook extracting exemplar labels (a trace id, from a header or an
    /// extension) from each call's request head; the call's `handled` count and
    /// duration carry them. Should the hook panic, the call is recorded without an
    /// exemplar and the panic counted (see [`GrpcMetrics::exemplar_from`]).
    ///
    /// ```
    /// # use prom_kit_tonic::GrpcMetricsLayer;
    /// # let metrics = prom_kit::grpc::GrpcMetrics::server().build(&prom_kit::Registry::new()).unwrap();
    /// let layer = GrpcMetricsLayer::new(metrics).exemplar(|parts| {
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

    /// The metrics recorded into.
    pub fn metrics(&self) -> &GrpcMetrics {
        &self.metrics
    }
}

impl<S> Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetricsService<S>;

    fn layer(&self, inner: S) -> GrpcMetricsService<S> {
        GrpcMetricsService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`GrpcMetricsLayer`] wraps around a tonic server's routes or a channel.
#[derive(Clone, Debug)]
pub struct GrpcMetricsService<S> {
    inner: S,
    layer: GrpcMetricsLayer,
}

/// Whether a request's content type is gRPC's (not gRPC-Web, whose bodies carry their
/// trailers in a frame of their own).
fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.as_bytes().get(..16))
        .is_some_and(|head| head.eq_ignore_ascii_case(b"application/grpc"))
        && headers
            .get(CONTENT_TYPE)
            .is_some_and(|v| matches!(v.as_bytes().get(16), None | Some(b'+' | b';')))
}

impl<S, B, RB> Service<Request<B>> for GrpcMetricsService<S>
where
    S: Service<Request<tonic::body::Body>, Response = Response<RB>>,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    RB: Body<Data = Bytes>,
    RB::Error: Error + 'static,
{
    type Response = Response<ResponseBody<RB>>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (parts, body) = request.into_parts();
        if !is_grpc(&parts.headers) {
            let request = Request::from_parts(parts, tonic::body::Body::new(body));
            return ResponseFuture::new(self.inner.call(request), None);
        }
        let mut tracker = self.layer.metrics.start(parts.uri.path());
        if let Some(timeout) = parts
            .headers
            .get(&GRPC_TIMEOUT)
            .and_then(|v| parse_grpc_timeout(v.as_bytes()))
        {
            tracker = tracker.with_timeout(timeout);
        }
        // The hook is the application's: a panic there costs the exemplar, not the call.
        let metrics = &self.layer.metrics;
        if let Some(labels) =
            (self.layer.exemplar.as_ref()).and_then(|hook| metrics.exemplar_from(|| hook(&parts)))
        {
            tracker = tracker.with_exemplar(labels);
        }
        tracker = tracker.with_traceparent(|| {
            parts
                .headers
                .get("traceparent")
                .map(http::HeaderValue::as_bytes)
        });
        let body = RequestBody::new(body, Some(tracker.request_messages()));
        let request = Request::from_parts(parts, tonic::body::Body::new(body));
        ResponseFuture::new(self.inner.call(request), Some(tracker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_grpc_content_types_are_recorded() {
        for (content_type, grpc) in [
            ("application/grpc", true),
            ("application/grpc+proto", true),
            ("application/GRPC;charset=utf-8", true),
            ("application/grpc-web", false),
            ("application/grpc-web+proto", false),
            ("application/grpcx", false),
            ("application/json", false),
            ("", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, content_type.parse().unwrap());
            assert_eq!(is_grpc(&headers), grpc, "{content_type:?}");
        }
        assert!(!is_grpc(&HeaderMap::new()));
    }
}
