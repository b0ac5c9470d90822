//! [`ResponseFuture`]: the inner service's future, handing the request's tracker to the
//! response body.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;
use prom_kit::http::{RequestTracker, ResponseRecorder};

use crate::body::MetricsBody;

pin_project! {
    /// The future of [`MetricsService`](crate::MetricsService). Dropped before it
    /// completes (the client went away), it drops the tracker: the request leaves the
    /// in-flight gauge without being counted.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        tracker: Option<RequestTracker>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, tracker: Option<RequestTracker>) -> Self {
        Self { inner, tracker }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<MetricsBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let tracker = this.tracker.take();
        Poll::Ready(match result {
            Ok(response) => {
                let status = response.status().as_u16();
                Ok(response
                    .map(|body| MetricsBody::new(body, ResponseRecorder::new(tracker, status))))
            }
            Err(error) => {
                // The service failed without a response; hyper answers 500.
                if let Some(tracker) = tracker {
                    tracker.finish(500, None);
                }
                Err(error)
            }
        })
    }
}
