//! [`RequestMetrics`]: the request metrics middleware.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::CONTENT_LENGTH;
use prom_kit::adapter::{
    MiddlewareCore, RequestInfo, ResponseGlue, ResponseRecorder, TrackedFuture,
};
use prom_kit::http::HttpMetrics;

use crate::body::MetricsBody;

/// Middleware recording [`HttpMetrics`] for every request of an `App` (add it with
/// `App::wrap`).
#[derive(Clone, Debug)]
pub struct RequestMetrics {
    core: MiddlewareCore<ServiceRequest>,
}

impl RequestMetrics {
    /// Records into `metrics`.
    pub fn new(metrics: HttpMetrics) -> Self {
        Self {
            core: MiddlewareCore::new(metrics),
        }
    }

    /// Sets the hook extracting exemplar labels from each request (see
    /// [`MiddlewareCore::exemplar`]).
    #[must_use]
    pub fn exemplar(
        self,
        hook: impl Fn(&ServiceRequest) -> Option<Vec<(String, String)>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            core: self.core.exemplar(hook),
        }
    }

    /// Sets the hook computing the extra label values from each request (see
    /// [`MiddlewareCore::extra_labels`]).
    #[must_use]
    pub fn extra_labels(
        self,
        hook: impl Fn(&ServiceRequest) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            core: self.core.extra_labels(hook),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<MetricsBody<B>>;
    type Error = actix_web::Error;
    type Transform = RequestMetricsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestMetricsMiddleware {
            service: Rc::new(service),
            core: self.core.clone(),
        }))
    }
}

/// The service [`RequestMetrics`] wraps around an app.
#[derive(Debug)]
pub struct RequestMetricsMiddleware<S> {
    service: Rc<S>,
    core: MiddlewareCore<ServiceRequest>,
}

impl<S, B> Service<ServiceRequest> for RequestMetricsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<MetricsBody<B>>;
    type Error = actix_web::Error;
    type Future = RequestMetricsFuture<S::Future>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let request_size = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        // The route is read once actix-web has routed the request (see
        // `ServiceResponses::wrap`): asked before, actix-web would run its router a
        // second time. The in-flight gauge has no route label, so it counts the request
        // from here.
        let info = RequestInfo {
            method: request.method().as_str(),
            route: None,
            path: request.path(),
            request_size,
        };
        let tracker = self.core.start(&request, &info).map(|tracker| {
            tracker.with_traceparent(|| {
                request
                    .headers()
                    .get("traceparent")
                    .map(actix_web::http::header::HeaderValue::as_bytes)
            })
        });
        TrackedFuture::new(self.service.call(request), tracker)
    }
}

/// The future of [`RequestMetricsMiddleware`]: the core's [`TrackedFuture`] with actix's glue.
/// Dropped before it completes (the client went away), it drops the tracker: the
/// request leaves the in-flight gauge uncounted.
pub type RequestMetricsFuture<F> = TrackedFuture<F, ServiceResponses>;

/// The glue between [`TrackedFuture`] and actix-web: the route is read from the routed
/// request of the response; an inner service's `Err` (a middleware inside this one
/// refusing the request, before routing) is recorded with the status actix answers it
/// with (the error's own), under the unmatched route — an error carries no request.
///
/// Public only as [`RequestMetricsFuture`]'s type parameter, not nameable outside this
/// crate.
#[derive(Debug)]
#[allow(
    unreachable_pub,
    reason = "nameable only as the future's type parameter"
)]
pub enum ServiceResponses {}

impl<B> ResponseGlue<ServiceResponse<B>, actix_web::Error> for ServiceResponses {
    type Wrapped = ServiceResponse<MetricsBody<B>>;

    fn status(response: &ServiceResponse<B>) -> u16 {
        response.status().as_u16()
    }

    fn error_status(error: &actix_web::Error) -> u16 {
        error.as_response_error().status_code().as_u16()
    }

    fn wrap(response: ServiceResponse<B>, mut recorder: ResponseRecorder) -> Self::Wrapped {
        // Routed by now: the pattern comes from the matched resource, without matching
        // the path again (except for a response from the default service, where no
        // resource matched and actix-web looks the path up once more).
        recorder.set_route(response.request().match_pattern().as_deref());
        response.map_body(|_, body| MetricsBody::new(body, recorder))
    }
}
