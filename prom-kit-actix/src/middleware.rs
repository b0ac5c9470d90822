//! [`Metrics`]: the request metrics middleware.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::CONTENT_LENGTH;
use pin_project_lite::pin_project;
use prom_kit::http::{HttpMetrics, RequestInfo, RequestTracker, ResponseRecorder};

use crate::body::MetricsBody;

/// Computes the values of the extra labels declared with
/// [`HttpMetricsBuilder::extra_labels`](prom_kit::http::HttpMetricsBuilder::extra_labels).
type ExtraLabels = Arc<dyn Fn(&ServiceRequest) -> Vec<String> + Send + Sync>;

/// Computes a request's exemplar labels (a trace id from a header or an extension).
type ExemplarLabels = Arc<dyn Fn(&ServiceRequest) -> Option<Vec<(String, String)>> + Send + Sync>;

/// Middleware recording [`HttpMetrics`] for every request of an `App` (add it with
/// `App::wrap`).
#[derive(Clone)]
pub struct Metrics {
    http: HttpMetrics,
    extra_labels: Option<ExtraLabels>,
    exemplar: Option<ExemplarLabels>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("http", &self.http)
            .field("extra_labels", &self.extra_labels.is_some())
            .field("exemplar", &self.exemplar.is_some())
            .finish()
    }
}

impl Metrics {
    /// Records into `metrics`.
    pub fn new(metrics: HttpMetrics) -> Self {
        Self {
            http: metrics,
            extra_labels: None,
            exemplar: None,
        }
    }

    /// Sets the hook extracting exemplar labels from each request (a trace id from a
    /// header or a request extension); the request's count and duration carry them as
    /// exemplars, visible in OpenMetrics and protobuf scrapes.
    #[must_use]
    pub fn exemplar(
        mut self,
        hook: impl Fn(&ServiceRequest) -> Option<Vec<(String, String)>> + Send + Sync + 'static,
    ) -> Self {
        self.exemplar = Some(Arc::new(hook));
        self
    }

    /// Sets the hook computing the extra label values from each request (a tenant
    /// header, say). Return one value per extra label name.
    #[must_use]
    pub fn extra_labels(
        mut self,
        hook: impl Fn(&ServiceRequest) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        self.extra_labels = Some(Arc::new(hook));
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for Metrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<MetricsBody<B>>;
    type Error = actix_web::Error;
    type Transform = MetricsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(MetricsMiddleware {
            service: Rc::new(service),
            config: self.clone(),
        }))
    }
}

/// The service [`Metrics`] wraps around an app.
pub struct MetricsMiddleware<S> {
    service: Rc<S>,
    config: Metrics,
}

impl<S> fmt::Debug for MetricsMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsMiddleware")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for MetricsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<MetricsBody<B>>;
    type Error = actix_web::Error;
    type Future = MetricsResponseFuture<S::Future>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let request_size = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let extra = self
            .config
            .extra_labels
            .as_ref()
            .map(|hook| hook(&request))
            .unwrap_or_default();
        let route = request.match_pattern();
        let exemplar = self
            .config
            .exemplar
            .as_ref()
            .and_then(|hook| hook(&request));
        let tracker = self.config.http.start(
            &RequestInfo {
                method: request.method().as_str(),
                route: route.as_deref(),
                path: request.path(),
                request_size,
            },
            extra,
        );
        let tracker = match (tracker, exemplar) {
            (Some(tracker), Some(labels)) => Some(tracker.with_exemplar(labels)),
            (tracker, _) => tracker,
        };
        MetricsResponseFuture {
            inner: self.service.call(request),
            tracker,
        }
    }
}

pin_project! {
    /// The future of [`MetricsMiddleware`]. Dropped before it completes (the client went
    /// away), it drops the tracker: the request leaves the in-flight gauge uncounted.
    pub struct MetricsResponseFuture<F> {
        #[pin]
        inner: F,
        tracker: Option<RequestTracker>,
    }
}

impl<F> fmt::Debug for MetricsResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsResponseFuture")
            .field("tracker", &self.tracker)
            .finish_non_exhaustive()
    }
}

impl<F, B> Future for MetricsResponseFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
{
    type Output = Result<ServiceResponse<MetricsBody<B>>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Poll::Ready(result) = this.inner.poll(cx) else {
            return Poll::Pending;
        };
        let tracker = this.tracker.take();
        Poll::Ready(match result {
            Ok(response) => {
                let status = response.status().as_u16();
                Ok(response.map_body(|_, body| {
                    MetricsBody::new(body, ResponseRecorder::new(tracker, status))
                }))
            }
            Err(error) => {
                // actix turns the error into a response with this status.
                if let Some(tracker) = tracker {
                    tracker.finish(error.as_response_error().status_code().as_u16(), None);
                }
                Err(error)
            }
        })
    }
}
