//! [`ScrapeResponse`]: the answer to a scrape, holding the scrape's slot of the
//! concurrent-scrape limit.

use std::sync::Arc;

use super::ScrapeBody;
use super::slot::Slot;

/// The answer to a scrape, for the adapter to turn into its framework's response.
///
/// An admitted `GET`'s response holds the scrape's slot of the
/// [concurrent-scrape limit](super::MetricsHandlerBuilder::max_concurrent_scrapes) (and
/// its place in `prom_kit_scrapes_in_flight`) until it is dropped, or until the
/// [`ScrapeBody`] it turns into has been sent: send it through
/// [`into_body`](Self::into_body) (or the conversion into an `http::Response`) rather
/// than taking `body` out of it, so that the limit bounds the bodies waiting for slow
/// clients too. Clones share the slot.
#[derive(Clone, Debug)]
pub struct ScrapeResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers (lowercase name, value).
    pub headers: Vec<(&'static str, &'static str)>,
    /// The response body (empty for `HEAD`).
    pub body: Vec<u8>,
    /// The scrape's slot, released when the last holder is gone.
    in_flight: Option<Arc<Slot>>,
}

impl ScrapeResponse {
    /// A response holding no slot.
    pub(super) fn new(
        status: u16,
        headers: Vec<(&'static str, &'static str)>,
        body: Vec<u8>,
    ) -> Self {
        Self {
            status,
            headers,
            body,
            in_flight: None,
        }
    }

    /// The response, holding `slot` until it has been sent.
    pub(super) fn holding(mut self, slot: Slot) -> Self {
        self.in_flight = Some(Arc::new(slot));
        self
    }

    /// The body to send, holding the scrape's slot until it has been sent or is dropped
    /// (read `status` and `headers` first).
    pub fn into_body(self) -> ScrapeBody {
        ScrapeBody::new(self.body, self.in_flight)
    }
}

/// Responses are equal when they say the same: status, headers and body (not the slot
/// they hold).
impl PartialEq for ScrapeResponse {
    fn eq(&self, other: &Self) -> bool {
        self.status == other.status && self.headers == other.headers && self.body == other.body
    }
}

impl Eq for ScrapeResponse {}

/// The `500` of a scrape that failed under
/// [`ScrapeErrorPolicy::Fail`](super::ScrapeErrorPolicy::Fail).
pub(super) fn failed_scrape(error: &crate::Error) -> ScrapeResponse {
    ScrapeResponse::new(
        500,
        vec![("content-type", "text/plain; charset=utf-8")],
        format!("error encoding metrics: {}\n", error_chain(error)).into_bytes(),
    )
}

/// An error and its causes, `: `-separated.
fn error_chain(error: &crate::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// A plain-text answer.
pub(super) fn plain(
    status: u16,
    message: &str,
    mut headers: Vec<(&'static str, &'static str)>,
) -> ScrapeResponse {
    headers.insert(0, ("content-type", "text/plain; charset=utf-8"));
    ScrapeResponse::new(status, headers, message.as_bytes().to_vec())
}
