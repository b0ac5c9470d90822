//! [`ResponseFuture`]: the inner service's future, handing the call's tracker to the
//! response body.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;
use prom_kit::adapter::GrpcCallTracker;
use prom_kit::grpc::GrpcCode;

use crate::body::ResponseBody;
use crate::status::{BoxError, code_in, code_of_error};

pin_project! {
    /// The future of [`GrpcMetricsService`](crate::GrpcMetricsService): when the
    /// response head arrives, the call's tracker moves into its body, which finishes the
    /// call at its trailers; when the inner service fails, the call is finished with the
    /// code a client makes of the error. Dropped before either (the call was cancelled,
    /// or timed out around the layer), the tracker records the call `Canceled` (or
    /// `DeadlineExceeded` at its deadline).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        tracker: Option<GrpcCallTracker>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, tracker: Option<GrpcCallTracker>) -> Self {
        Self { inner, tracker }
    }
}

impl<F, RB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
    RB: http_body::Body,
    E: Into<BoxError>,
{
    type Output = Result<Response<ResponseBody<RB>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let tracker = this.tracker.take();
        Poll::Ready(match result {
            Ok(response) => {
                // A trailers-only response carries its status in its headers; a response
                // that is not 200 has its code from the HTTP status.
                let known = code_in(response.headers()).or_else(|| {
                    let status = response.status().as_u16();
                    if status != 200 {
                        Some(GrpcCode::from_http_status(status))
                    } else if response.body().is_end_stream() {
                        // Nothing will follow, no status with it: what a client makes of
                        // a stream without a status. (The server may never poll it.)
                        Some(GrpcCode::Unknown)
                    } else {
                        None
                    }
                });
                Ok(response.map(|body| ResponseBody::new(body, tracker, known)))
            }
            Err(error) => {
                let error: BoxError = error.into();
                if let Some(tracker) = tracker {
                    tracker.finish(code_of_error(&*error));
                }
                Err(error)
            }
        })
    }
}
