//! [`MetricsBody`]: a response body that finishes its request's tracker when it ends.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use bytes::Bytes;
use pin_project_lite::pin_project;
use prom_kit::http::RequestTracker;

pin_project! {
    /// Wraps a response body, counting the bytes streamed; the request is recorded with
    /// its status and size when the body reaches its end or is dropped.
    #[derive(Debug)]
    pub struct MetricsBody<B> {
        #[pin]
        inner: B,
        tracker: Option<RequestTracker>,
        status: u16,
        bytes: u64,
    }

    impl<B> PinnedDrop for MetricsBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(tracker) = this.tracker.take() {
                tracker.finish(*this.status, Some(*this.bytes));
            }
        }
    }
}

impl<B> MetricsBody<B> {
    pub(crate) fn new(inner: B, tracker: Option<RequestTracker>, status: u16) -> Self {
        Self {
            inner,
            tracker,
            status,
            bytes: 0,
        }
    }
}

impl<B: MessageBody> MessageBody for MetricsBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => *this.bytes += chunk.len() as u64,
            Poll::Ready(None | Some(Err(_))) => {
                if let Some(tracker) = this.tracker.take() {
                    tracker.finish(*this.status, Some(*this.bytes));
                }
            }
            Poll::Pending => {}
        }
        polled
    }
}
