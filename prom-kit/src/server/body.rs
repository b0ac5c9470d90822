//! [`TrackedBody`]: a response body that tells its connection when it has been sent.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::connection::Activity;

pin_project! {
    /// Wraps a response body; when it ends (or is dropped: sent in full, or the
    /// connection closed), the connection is idle again.
    #[derive(Debug)]
    pub(super) struct TrackedBody<B> {
        #[pin]
        inner: B,
        activity: Option<Arc<Activity>>,
    }

    impl<B> PinnedDrop for TrackedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(activity) = this.project().activity.take() {
                activity.served();
            }
        }
    }
}

impl<B> TrackedBody<B> {
    /// `inner`, sent on the connection of `activity` (which is now sending it).
    pub(super) fn new(inner: B, activity: Arc<Activity>) -> Self {
        activity.responded();
        Self {
            inner,
            activity: Some(activity),
        }
    }
}

impl<B: Body> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            if let Some(activity) = this.activity.take() {
                activity.served();
            }
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
