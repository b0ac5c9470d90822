//! [`MetricsBody`]: a response body that records its request when it ends.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use bytes::Bytes;
use pin_project_lite::pin_project;
use prom_kit::adapter::ResponseRecorder;

pin_project! {
    /// Wraps a response body, counting the bytes streamed; the request is recorded with
    /// its status and size when the body reaches its end or is dropped (see
    /// [`ResponseRecorder`]).
    #[derive(Debug)]
    pub struct MetricsBody<B> {
        #[pin]
        inner: B,
        recorder: ResponseRecorder,
    }
}

impl<B> MetricsBody<B> {
    pub(crate) fn new(inner: B, recorder: ResponseRecorder) -> Self {
        Self { inner, recorder }
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
            Poll::Ready(Some(Ok(chunk))) => this.recorder.add_bytes(chunk.len() as u64),
            Poll::Ready(None | Some(Err(_))) => this.recorder.finish(),
            Poll::Pending => {}
        }
        polled
    }
}
