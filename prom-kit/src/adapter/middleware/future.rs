//! [`TrackedFuture`]: a handler's future that hands its request's tracker to the
//! response, whatever the framework's response and error types ([`ResponseGlue`]).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use crate::adapter::{RequestTracker, ResponseRecorder};

/// What [`TrackedFuture`] needs of a framework's handler result `Result<T, E>`:
/// implemented by an adapter on a type of its own (a marker), it is all the glue the
/// response side of a middleware needs.
pub trait ResponseGlue<T, E> {
    /// The response with its body wrapped around a [`ResponseRecorder`].
    type Wrapped;

    /// The response's status code.
    fn status(response: &T) -> u16;

    /// The status code the framework answers `error` with.
    fn error_status(error: &E) -> u16;

    /// Wraps the response's body so that `recorder` sees its bytes and its end.
    fn wrap(response: T, recorder: ResponseRecorder) -> Self::Wrapped;
}

pin_project! {
    /// A handler's future, tracked: when it yields a response, the request's tracker
    /// moves into the response body's [`ResponseRecorder`] (so the duration covers the
    /// streamed body); when it yields an error, the request is recorded with the status
    /// the framework answers it with ([`ResponseGlue::error_status`]). Dropped before it
    /// completes (the client went away), it drops the tracker: the request leaves the
    /// in-flight gauge without being counted.
    pub struct TrackedFuture<F, G> {
        #[pin]
        inner: F,
        tracker: Option<RequestTracker>,
        glue: PhantomData<fn() -> G>,
    }
}

impl<F, G> TrackedFuture<F, G> {
    /// Tracks `inner` as the handling of the request `tracker` follows (`None`: an
    /// excluded request, passed through unrecorded).
    pub fn new(inner: F, tracker: Option<RequestTracker>) -> Self {
        Self {
            inner,
            tracker,
            glue: PhantomData,
        }
    }
}

impl<F, G> fmt::Debug for TrackedFuture<F, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrackedFuture")
            .field("tracker", &self.tracker)
            .finish_non_exhaustive()
    }
}

impl<F, G, T, E> Future for TrackedFuture<F, G>
where
    F: Future<Output = Result<T, E>>,
    G: ResponseGlue<T, E>,
{
    type Output = Result<G::Wrapped, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let tracker = this.tracker.take();
        Poll::Ready(match result {
            Ok(response) => {
                let status = G::status(&response);
                Ok(G::wrap(response, ResponseRecorder::new(tracker, status)))
            }
            Err(error) => {
                if let Some(tracker) = tracker {
                    tracker.finish(G::error_status(&error), None);
                }
                Err(error)
            }
        })
    }
}
