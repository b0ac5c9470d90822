//! [`MetricsBody`]: a response body that records its request when it ends.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
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

impl<B: Body> Body for MetricsBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.recorder.add_bytes(data.remaining() as u64);
                }
            }
            Poll::Ready(None | Some(Err(_))) => this.recorder.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
