//! The bodies of a tracked call: the request's counts its messages and tells the call
//! when the client cut it short ([`RequestBody`]); the response's counts its messages
//! and finishes the call with the status its trailers carry ([`ResponseBody`]).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use prom_kit::adapter::{GrpcCallTracker, GrpcMessageCounter};
use prom_kit::grpc::GrpcCode;

use crate::status::{BoxError, code_in, code_of_error, peer_gone};

pin_project! {
    /// A request body whose messages are counted as they stream past. On a server, a
    /// body the client cuts short — it resets the stream, its connection closes or
    /// breaks, or the body ends inside a message — makes the call `Canceled`, whatever
    /// status the handler then makes of the broken body (tonic: `Internal` or
    /// `Unknown`); see [`GrpcMessageCounter::cut`].
    #[derive(Debug)]
    pub struct RequestBody<B> {
        #[pin]
        inner: B,
        messages: Option<GrpcMessageCounter>,
    }
}

impl<B> RequestBody<B> {
    pub(crate) fn new(inner: B, messages: Option<GrpcMessageCounter>) -> Self {
        Self { inner, messages }
    }
}

impl<B> Body for RequestBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        let Some(messages) = this.messages else {
            return polled.map_err(Into::into);
        };
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    messages.feed(data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                let error: BoxError = error.into();
                if peer_gone(&*error) {
                    messages.cut();
                }
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => {
                messages.ended();
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project! {
    /// A response body that counts its messages and finishes its call: with the
    /// `grpc-status` of its trailers (or the code already known from its headers), with
    /// `Unknown` when it ends without one or fails, and — dropped before its end (the
    /// peer cancelled or reset the stream) — as `Canceled` (`DeadlineExceeded` at the
    /// call's deadline).
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        messages: Option<GrpcMessageCounter>,
        call: CallEnd,
    }
}

/// The call a response body finishes, and the code its headers already gave (a
/// trailers-only response, an HTTP error status).
#[derive(Debug)]
struct CallEnd {
    tracker: Option<GrpcCallTracker>,
    known: Option<GrpcCode>,
}

impl CallEnd {
    fn finish(&mut self, code: GrpcCode) {
        if let Some(tracker) = self.tracker.take() {
            tracker.finish(code);
        }
    }
}

impl Drop for CallEnd {
    /// A body dropped before its end: complete if its headers carried the status (the
    /// server may never poll an empty body), cancelled otherwise.
    fn drop(&mut self) {
        if let (Some(tracker), Some(code)) = (self.tracker.take(), self.known) {
            tracker.finish(code);
        }
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(inner: B, tracker: Option<GrpcCallTracker>, known: Option<GrpcCode>) -> Self {
        Self {
            inner,
            messages: tracker.as_ref().map(GrpcCallTracker::response_messages),
            call: CallEnd { tracker, known },
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: std::error::Error + 'static,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if this.call.tracker.is_none() {
            return polled;
        }
        let known = this.call.known;
        let ended = match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(messages)) = (frame.data_ref(), this.messages.as_mut()) {
                    messages.feed(data);
                }
                frame
                    .trailers_ref()
                    .map(|trailers| code_in(trailers).or(known).unwrap_or(GrpcCode::Unknown))
            }
            Poll::Ready(Some(Err(error))) => Some(known.unwrap_or_else(|| code_of_error(error))),
            Poll::Ready(None) => Some(known.unwrap_or(GrpcCode::Unknown)),
            Poll::Pending => None,
        };
        if let Some(code) = ended {
            this.call.finish(code);
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
