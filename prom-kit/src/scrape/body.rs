//! [`ScrapeBody`]: a scrape's response body, which holds the scrape's slot of the
//! concurrent-scrape limit until it has been sent.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::slot::Slot;

/// The most a body hands over at once. A server polls a body for more only as its write
/// buffer drains (hyper keeps about 400 KiB), so the slot is held until all but the last
/// few chunks have reached the socket.
const CHUNK: usize = 64 << 10;

/// A scrape's response body (an [`http_body::Body`]): the rendered exposition, handed
/// out in chunks of 64 KiB as the server asks for them.
///
/// It holds the scrape's slot of the
/// [concurrent-scrape limit](super::MetricsHandlerBuilder::max_concurrent_scrapes) and
/// the rendered body until it hands over its last chunk or is dropped (the client went
/// away), so that at most the limit's number of bodies wait for slow clients. The
/// chunks are copies: what the server still buffers after the end is its own, a few
/// hundred kilobytes at most, never a whole body.
///
/// ```
/// use http_body_util::BodyExt;
/// use prom_kit::adapter::{ScrapeBody, ScrapeRequest};
/// use prom_kit::scrape::MetricsHandler;
/// use prom_kit::{Counter, Registry};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let registry = Registry::new();
/// registry.register("jobs", "Jobs.", Counter::new())?;
/// let handler = MetricsHandler::builder()
///     .max_concurrent_scrapes(1)
///     .own_metrics(false)
///     .build(&registry)?;
/// let get = ScrapeRequest { method: "GET", ..Default::default() };
/// let body: ScrapeBody = handler.handle(&get).into_body();
/// // Its slot is taken until the body has been sent.
/// assert_eq!(handler.handle(&get).status, 503);
/// let sent = body.collect().await.unwrap().to_bytes();
/// assert_eq!(&sent[..], b"# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 0\n");
/// assert_eq!(handler.handle(&get).status, 200);
/// # Ok::<(), prom_kit::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct ScrapeBody {
    data: Vec<u8>,
    /// How much of `data` has been handed over.
    sent: usize,
    in_flight: Option<Arc<Slot>>,
}

impl ScrapeBody {
    pub(super) fn new(data: Vec<u8>, in_flight: Option<Arc<Slot>>) -> Self {
        let mut body = Self {
            data,
            sent: 0,
            in_flight,
        };
        if body.data.is_empty() {
            body.release();
        }
        body
    }

    /// The bytes not handed over yet.
    fn remaining(&self) -> usize {
        self.data.len() - self.sent
    }

    /// The next chunk, if any; the last one releases the rendered body and the slot.
    fn next_chunk(&mut self) -> Option<Bytes> {
        let remaining = self.remaining();
        if remaining == 0 {
            self.release();
            return None;
        }
        let chunk = if self.sent == 0 && remaining <= CHUNK {
            // Small: the whole body at once, without a copy.
            Bytes::from(std::mem::take(&mut self.data))
        } else {
            let end = self.sent + remaining.min(CHUNK);
            let chunk = Bytes::copy_from_slice(&self.data[self.sent..end]);
            self.sent = end;
            chunk
        };
        if self.remaining() == 0 {
            self.release();
        }
        Some(chunk)
    }

    /// Frees the rendered body and the slot.
    fn release(&mut self) {
        self.data = Vec::new();
        self.sent = 0;
        self.in_flight = None;
    }
}

impl Body for ScrapeBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.get_mut()
                .next_chunk()
                .map(|chunk| Ok(Frame::data(chunk))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.remaining() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining() as u64)
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::scrape::{MetricsHandler, ScrapeRequest};
    use crate::{Counter, Family, Registry};

    fn get() -> ScrapeRequest<'static> {
        ScrapeRequest {
            method: "GET",
            ..ScrapeRequest::default()
        }
    }

    /// Polls `body` for its next frame's data, which is ready at once.
    fn next_chunk(body: &mut ScrapeBody) -> Option<Bytes> {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::Pin::new(body).poll_frame(&mut cx) {
            std::task::Poll::Ready(frame) => frame.map(|f| f.unwrap().into_data().unwrap()),
            std::task::Poll::Pending => panic!("a scrape body is always ready"),
        }
    }

    /// A scrape's slot is held by its body until the last chunk is handed over, or the body
    /// dropped (the client went away).
    #[test]
    fn the_slot_is_held_until_the_body_is_sent() {
        let registry = Registry::new();
        let family: Family<Counter> = Family::builder(["id"]).max_series(None).build().unwrap();
        for id in 0..20_000 {
            family.with(&[id.to_string()], Counter::inc).unwrap();
        }
        registry.register("items", "Items.", family).unwrap();
        let handler = MetricsHandler::builder()
            .max_concurrent_scrapes(1)
            .build(&registry)
            .unwrap();
        let in_flight = || handler.inner.admissions.held();
        let response = handler.handle(&get());
        let expected = response.body.clone();
        assert!(expected.len() > 4 * 65_536, "{}", expected.len());
        let mut body = response.into_body();
        assert_eq!(handler.handle(&get()).status, 503);
        let mut sent = Vec::new();
        while let Some(chunk) = next_chunk(&mut body) {
            assert!(chunk.len() <= 65_536);
            sent.extend_from_slice(&chunk);
            if sent.len() < expected.len() {
                assert_eq!(in_flight(), 1, "held while chunks remain");
            } else {
                // The last chunk is out: released, before the body is even dropped.
                assert_eq!(in_flight(), 0);
                assert!(Body::is_end_stream(&body));
            }
        }
        assert!(sent == expected, "the chunks make the body");
        // A body dropped half-sent releases the slot too.
        let mut body = handler.handle(&get()).into_body();
        assert!(next_chunk(&mut body).is_some());
        assert_eq!(handler.handle(&get()).status, 503);
        drop(body);
        assert_eq!(in_flight(), 0);
        let text = String::from_utf8(handler.handle(&get()).body).unwrap();
        assert!(
            text.contains("prom_kit_scrapes_total{code=\"503\"} 2\n"),
            "{text}"
        );
        // Small bodies go out whole, and empty ones hold nothing.
        let head = handler.handle(&ScrapeRequest {
            method: "HEAD",
            ..get()
        });
        assert!(Body::is_end_stream(&head.into_body()));
    }
}
