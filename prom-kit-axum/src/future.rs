//! [`ResponseFuture`]: the inner service's future, handing the request's tracker to the
//! response body.

use http::Response;
use prom_kit::adapter::{ResponseGlue, ResponseRecorder, TrackedFuture};

use crate::body::MetricsBody;

/// The future of [`MetricsService`](crate::MetricsService): the core's
/// [`TrackedFuture`] with axum's glue. Dropped before it completes (the client went
/// away), it drops the tracker: the request leaves the in-flight gauge without being
/// counted.
pub type ResponseFuture<F> = TrackedFuture<F, HttpResponses>;

/// The glue between [`TrackedFuture`] and `http` responses: an inner service's error
/// has no response, and hyper answers it with `500`. Public only as
/// [`ResponseFuture`]'s type parameter, not nameable outside this crate.
#[derive(Debug)]
#[allow(
    unreachable_pub,
    reason = "nameable only as the future's type parameter"
)]
pub enum HttpResponses {}

impl<B, E> ResponseGlue<Response<B>, E> for HttpResponses {
    type Wrapped = Response<MetricsBody<B>>;

    fn status(response: &Response<B>) -> u16 {
        response.status().as_u16()
    }

    fn error_status(_: &E) -> u16 {
        500
    }

    fn wrap(response: Response<B>, recorder: ResponseRecorder) -> Self::Wrapped {
        response.map(|body| MetricsBody::new(body, recorder))
    }
}
