//! [`ScrapeRequest`] and [`OwnedScrapeRequest`]: what the handler reads of a scrape
//! request, borrowed or owned.

/// What the handler needs to know about a scrape request.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScrapeRequest<'a> {
    /// The HTTP method (`GET`, `HEAD`, …).
    pub method: &'a str,
    /// The `Accept` header, if any.
    pub accept: Option<&'a str>,
    /// The `Accept-Encoding` header, if any.
    pub accept_encoding: Option<&'a str>,
    /// The query string (after `?`, still percent-encoded), if any: `name[]=a&name[]=b`
    /// limits the scrape to the families named (see [`MetricsHandler`](super::MetricsHandler) for how it is
    /// read, and its bound).
    pub query: Option<&'a str>,
    /// The `X-Prometheus-Scrape-Timeout-Seconds` header, if any: how long the scraper
    /// waits, which bounds the async collectors (see
    /// [`MetricsHandler::handle_async`](super::MetricsHandler::handle_async)).
    pub scrape_timeout: Option<&'a str>,
}

/// A [`ScrapeRequest`] that owns its text, to hand a scrape to another thread (the
/// adapters encode on a blocking pool, off the async executor).
///
/// ```
/// use prom_kit::adapter::{OwnedScrapeRequest, ScrapeRequest};
///
/// let owned = OwnedScrapeRequest::from(ScrapeRequest {
///     method: "GET",
///     accept: Some("application/openmetrics-text"),
///     accept_encoding: None,
///     query: Some("name[]=jobs_total"),
///     scrape_timeout: Some("10"),
/// });
/// let moved = std::thread::spawn(move || owned.as_request().method == "GET");
/// assert!(moved.join().unwrap());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnedScrapeRequest {
    /// The HTTP method.
    pub method: String,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The `Accept-Encoding` header, if any.
    pub accept_encoding: Option<String>,
    /// The query string, if any.
    pub query: Option<String>,
    /// The `X-Prometheus-Scrape-Timeout-Seconds` header, if any.
    pub scrape_timeout: Option<String>,
}

impl OwnedScrapeRequest {
    /// The request, borrowed.
    pub fn as_request(&self) -> ScrapeRequest<'_> {
        ScrapeRequest {
            method: &self.method,
            accept: self.accept.as_deref(),
            accept_encoding: self.accept_encoding.as_deref(),
            query: self.query.as_deref(),
            scrape_timeout: self.scrape_timeout.as_deref(),
        }
    }
}

impl From<ScrapeRequest<'_>> for OwnedScrapeRequest {
    fn from(request: ScrapeRequest<'_>) -> Self {
        Self {
            method: request.method.to_owned(),
            accept: request.accept.map(str::to_owned),
            accept_encoding: request.accept_encoding.map(str::to_owned),
            query: request.query.map(str::to_owned),
            scrape_timeout: request.scrape_timeout.map(str::to_owned),
        }
    }
}
