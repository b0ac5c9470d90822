//! [`MetricsHandler`]: answers scrapes of a registry.

mod async_handle;
mod body;
mod deadline;
mod http_types;
mod query;
mod response;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::accept_encoding::accepts_gzip;
use crate::encoding::negotiate;
use crate::error::Result;
use crate::gzip::gzip_stream;
use crate::registry::AsyncCollection;
use crate::{Counter, Family, Gauge, Registry};
pub use body::ScrapeBody;
pub use deadline::parse_scrape_timeout;
use deadline::{DEFAULT_DEADLINE_MARGIN, DEFAULT_SCRAPE_TIMEOUT};
use query::{MAX_QUERY_BYTES, requested_names};
pub use response::ScrapeResponse;
use response::{failed_scrape, plain};

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
    /// limits the scrape to the families named (see [`MetricsHandler`] for how it is
    /// read, and its bound).
    pub query: Option<&'a str>,
    /// The `X-Prometheus-Scrape-Timeout-Seconds` header, if any: how long the scraper
    /// waits, which bounds the async collectors (see
    /// [`MetricsHandler::handle_async`]).
    pub scrape_timeout: Option<&'a str>,
}

/// A [`ScrapeRequest`] that owns its text, to hand a scrape to another thread (the
/// adapters encode on a blocking pool, off the async executor).
///
/// ```
/// use prom_kit::http::{OwnedScrapeRequest, ScrapeRequest};
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

/// What to do when encoding reports an error (a collector failed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScrapeErrorPolicy {
    /// Answer `500` with the error message, so the scrape fails visibly (`up == 0`), as
    /// Go's `promhttp` does by default.
    #[default]
    Fail,
    /// Serve everything that encoded fine and count the error.
    Continue,
}

/// How much uncompressed output a gzipped scrape starts with room for (it drains it
/// past 256 KiB after a family or between two shards of one, and within a shard past
/// 4 MiB).
const STREAMED_CHUNK: usize = 512 << 10;

/// Serves a [`Registry`] over HTTP, independent of any framework.
///
/// - `GET`: the exposition in the format [`negotiate`] picks from `Accept`, with the
///   matching `Content-Type` and names escaped as the `Accept` header's `escaping=`
///   asks, gzipped when `Accept-Encoding` allows it; with `name[]` query parameters,
///   only the families named (see [`EncodeOptions::names`](crate::EncodeOptions::names)): any number of them,
///   percent-decoded with `+` as a space (as Go's `promhttp` reads them); a value that
///   is not UTF-8 once decoded names no family, so a query naming only unknown or
///   undecodable names gets an empty exposition, never the whole registry;
/// - `HEAD`: the headers a `GET` would get, with status 200 and no body; the registry is
///   not encoded (so a failing collector shows only on `GET`);
/// - a query string longer than 1 MiB (1,048,576 bytes, the most Go's `net/http`
///   reads of a request's head by default): `414 URI Too Long` with the reason in
///   plain text, for `GET` and `HEAD` alike (the server in front may cut earlier: hyper
///   answers `414` past 64 KiB of URI, actix-web refuses a request head past 128 KiB);
/// - any other method: `405` with `Allow: GET, HEAD`;
/// - beyond the concurrent-scrape limit: `503`. A scrape holds its slot until its
///   response is dropped or its [`ScrapeBody`] sent, so that slow readers cannot pile up
///   rendered bodies: at most the limit's number are in memory at once.
///
/// Unless disabled, it registers three metrics about its own scrapes in the registry it
/// serves: `prom_kit_scrapes_total{code}`, `prom_kit_scrapes_in_flight` and
/// `prom_kit_scrape_errors_total{cause}` (Go's `promhttp_metric_handler_*`). A scrape
/// that exposes a family holding its overflow series (at its
/// [`max_series`](crate::family::FamilyBuilder::max_series)) counts
/// `cause="series_overflow"`, so a label that explodes shows in the same counter.
///
/// ```
/// use prom_kit::http::{MetricsHandler, ScrapeRequest};
/// use prom_kit::{Counter, Registry};
///
/// let registry = Registry::new();
/// registry.register("jobs", "Jobs.", Counter::new())?;
/// let handler = MetricsHandler::new(&registry)?;
/// let response = handler.handle(&ScrapeRequest { method: "GET", ..Default::default() });
/// assert_eq!(response.status, 200);
/// assert_eq!(response.headers[0], ("content-type", prom_kit::encoding::TEXT_CONTENT_TYPE));
/// assert!(String::from_utf8(response.body).unwrap().contains("jobs_total 0\n"));
/// assert_eq!(handler.handle(&ScrapeRequest { method: "POST", ..Default::default() }).status, 405);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MetricsHandler {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    max_concurrent: Option<usize>,
    gzip: bool,
    on_error: ScrapeErrorPolicy,
    default_scrape_timeout: Duration,
    deadline_margin: Duration,
    in_flight: AtomicUsize,
    /// The size of the last body, to allocate the next one at once.
    last_size: AtomicUsize,
    /// The most uncompressed output a gzipped scrape last held at once (its largest
    /// drained piece), so that the next one sizes its buffer once instead of growing it
    /// (growing doubles, and holds old and new at once).
    last_piece: AtomicUsize,
    own: Option<OwnMetrics>,
}

#[derive(Debug)]
struct OwnMetrics {
    scrapes: Family<Counter>,
    in_flight: Gauge,
    errors: Family<Counter>,
}

/// Configures a [`MetricsHandler`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct MetricsHandlerBuilder {
    max_concurrent: Option<usize>,
    gzip: bool,
    on_error: ScrapeErrorPolicy,
    default_scrape_timeout: Duration,
    deadline_margin: Duration,
    own_metrics: bool,
}

/// How many scrapes a [`MetricsHandler`] serves at once unless its builder's
/// [`max_concurrent_scrapes`](MetricsHandlerBuilder::max_concurrent_scrapes) says
/// otherwise: room for a Prometheus HA pair, an agent or a federation, and a few people
/// with `curl`, while bounding the rendered bodies that slow readers can hold.
pub const DEFAULT_MAX_CONCURRENT_SCRAPES: usize = 8;

impl MetricsHandlerBuilder {
    /// At most `limit` scrapes are served at once — encoded, and their bodies sent; more
    /// get `503 Service Unavailable`. [`DEFAULT_MAX_CONCURRENT_SCRAPES`] (8) unless set;
    /// `None` for no limit, as in Go's `promhttp`.
    ///
    /// A scrape holds its slot from admission until its response is dropped or its
    /// [`ScrapeBody`] has handed over its last chunk, so the limit also bounds the
    /// rendered bodies in memory: clients that read slowly (or not at all) hold at most
    /// `limit` of them, and the others get `503` until they are done (the standalone
    /// server and `prom_kit_axum::app_server` close a connection idle for 90 s, a reader
    /// that stopped reading included). Without a limit, each stalled reader holds a
    /// whole rendered exposition for as long as its connection lives.
    pub fn max_concurrent_scrapes(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.max_concurrent = limit.into();
        self
    }

    /// Whether to gzip responses for clients that accept it (on by default).
    pub fn gzip(mut self, enabled: bool) -> Self {
        self.gzip = enabled;
        self
    }

    /// What to do when a collector fails, or an async collector misses its deadline.
    pub fn on_error(mut self, policy: ScrapeErrorPolicy) -> Self {
        self.on_error = policy;
        self
    }

    /// The scrape timeout assumed when a request has no
    /// `X-Prometheus-Scrape-Timeout-Seconds` header (10 s, Prometheus's default).
    pub fn default_scrape_timeout(mut self, timeout: Duration) -> Self {
        self.default_scrape_timeout = timeout;
        self
    }

    /// How much of the scrape timeout is kept for encoding and sending the response:
    /// async collectors get the timeout minus this (250 ms by default), but never less
    /// than half of it.
    pub fn deadline_margin(mut self, margin: Duration) -> Self {
        self.deadline_margin = margin;
        self
    }

    /// Whether to register the handler's own `prom_kit_scrape*` metrics (on by default;
    /// turn it off for a second handler serving the same registry).
    pub fn own_metrics(mut self, enabled: bool) -> Self {
        self.own_metrics = enabled;
        self
    }

    /// Creates the handler serving `registry` (and registers its own metrics there, unless
    /// disabled) — the registry comes last, as for
    /// [`HttpMetricsBuilder::build`](super::HttpMetricsBuilder::build).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AlreadyRegistered`](crate::ErrorKind::AlreadyRegistered) if the
    /// handler's own metrics are enabled and already registered in the registry.
    pub fn build(self, registry: &Registry) -> Result<MetricsHandler> {
        let own = if self.own_metrics {
            let scrapes: Family<Counter> = Family::new(["code"])?;
            let errors: Family<Counter> = Family::new(["cause"])?;
            let in_flight = Gauge::new();
            let mut registered = registry.batch();
            registered.register(
                "prom_kit_scrapes",
                "Scrapes served by the metrics handler, by HTTP status code.",
                scrapes.clone(),
            )?;
            registered.register(
                "prom_kit_scrapes_in_flight",
                "Scrapes being served right now.",
                in_flight.clone(),
            )?;
            registered.register("prom_kit_scrape_errors", "Scrapes that hit an error, by cause (encoding, gzip, collector_timeout, collector_error, collector_skipped, series_overflow: a family at its max_series).",
                errors.clone(),
            )?;
            registered.commit();
            Some(OwnMetrics {
                scrapes,
                in_flight,
                errors,
            })
        } else {
            None
        };
        Ok(MetricsHandler {
            inner: Arc::new(Inner {
                registry: registry.clone(),
                max_concurrent: self.max_concurrent,
                gzip: self.gzip,
                on_error: self.on_error,
                default_scrape_timeout: self.default_scrape_timeout,
                deadline_margin: self.deadline_margin,
                in_flight: AtomicUsize::new(0),
                last_size: AtomicUsize::new(0),
                last_piece: AtomicUsize::new(0),
                own,
            }),
        })
    }
}

/// A concurrent-scrape slot, released when dropped; owned, so that an async scrape can
/// hold it across its collection and its encoding on another thread, and its response
/// until the body has been sent (see [`ScrapeBody`]).
struct Slot(Arc<Inner>);

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Slot")
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        if let Some(own) = &self.0.own {
            own.in_flight.dec();
        }
    }
}

impl MetricsHandler {
    /// A handler with the default settings.
    ///
    /// # Errors
    ///
    /// See [`MetricsHandlerBuilder::build`].
    pub fn new(registry: &Registry) -> Result<Self> {
        Self::builder().build(registry)
    }

    /// Starts configuring a handler.
    pub fn builder() -> MetricsHandlerBuilder {
        MetricsHandlerBuilder {
            max_concurrent: Some(DEFAULT_MAX_CONCURRENT_SCRAPES),
            gzip: true,
            on_error: ScrapeErrorPolicy::Fail,
            default_scrape_timeout: DEFAULT_SCRAPE_TIMEOUT,
            deadline_margin: DEFAULT_DEADLINE_MARGIN,
            own_metrics: true,
        }
    }

    /// The registry served.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Answers one scrape request. Encoding runs on the calling thread; async
    /// collectors are not run but reported as skipped (counted under
    /// `cause="collector_skipped"` and handled by the error policy) — use
    /// [`handle_async`](Self::handle_async) where there are any.
    pub fn handle(&self, request: &ScrapeRequest<'_>) -> ScrapeResponse {
        let response = match self.admit(request) {
            Admission::Answered(response) => response,
            Admission::Admitted(slot) => {
                let skipped = self.inner.registry.skipped_async_collectors();
                self.respond(request, &skipped, slot)
            }
        };
        self.count_response(&response);
        response
    }

    /// Counts a response in `prom_kit_scrapes_total{code}`.
    fn count_response(&self, response: &ScrapeResponse) {
        if let Some(own) = &self.inner.own {
            let mut code = itoa::Buffer::new();
            if let Ok(counter) = own.scrapes.labels(&[code.format(response.status)]) {
                counter.inc();
            }
        }
    }

    /// Takes a concurrent-scrape slot for a `GET`, or answers at once: `405` for other
    /// methods, `414` for a query string past [`MAX_QUERY_BYTES`], `503` beyond the
    /// limit, the headers for a `HEAD`.
    fn admit(&self, request: &ScrapeRequest<'_>) -> Admission {
        let head = request.method.eq_ignore_ascii_case("HEAD");
        if !head && !request.method.eq_ignore_ascii_case("GET") {
            return Admission::Answered(plain(
                405,
                "method not allowed; use GET or HEAD\n",
                vec![("allow", "GET, HEAD")],
            ));
        }
        if let Some(length) = request.query.map(str::len).filter(|&n| n > MAX_QUERY_BYTES) {
            let reason = format!(
                "query string of {length} bytes; at most {MAX_QUERY_BYTES} bytes are read\n"
            );
            return Admission::Answered(plain(414, &reason, Vec::new()));
        }
        let inner = &*self.inner;
        let previous = inner.in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(Arc::clone(&self.inner));
        if let Some(own) = &inner.own {
            own.in_flight.inc();
        }
        if inner.max_concurrent.is_some_and(|limit| previous >= limit) {
            return Admission::Answered(plain(503, "too many concurrent scrapes\n", Vec::new()));
        }
        if head {
            // The headers a GET would get, without encoding a body only to drop it.
            let (headers, _) = self.headers(request);
            return Admission::Answered(ScrapeResponse::new(200, headers, Vec::new()));
        }
        Admission::Admitted(slot)
    }

    /// The headers of a `200` answer to `request`, and whether its body is gzipped.
    fn headers(&self, request: &ScrapeRequest<'_>) -> (Vec<(&'static str, &'static str)>, bool) {
        let chosen = negotiate(request.accept);
        let mut headers = vec![
            ("content-type", chosen.content_type),
            ("vary", "Accept, Accept-Encoding"),
        ];
        let gzipped = self.inner.gzip && accepts_gzip(request.accept_encoding);
        if gzipped {
            headers.push(("content-encoding", "gzip"));
        }
        (headers, gzipped)
    }

    /// Encodes the answer to an admitted `GET`, with what the async collectors gathered.
    fn respond(
        &self,
        request: &ScrapeRequest<'_>,
        collection: &AsyncCollection,
        slot: Slot,
    ) -> ScrapeResponse {
        let inner = &*self.inner;
        let chosen = negotiate(request.accept);
        let (headers, gzipped) = self.headers(request);
        for failure in collection.failures() {
            self.count_error(failure.cause.label());
        }
        if let (ScrapeErrorPolicy::Fail, Some(failure)) =
            (inner.on_error, collection.failures().first())
        {
            return failed_scrape(&failure.error);
        }
        // No `name[]` parameter: every family; some: those named, none if no name
        // decodes (the filter never falls away).
        let names = request.query.and_then(requested_names);
        let names = names.as_ref();
        let last_size = inner.last_size.load(Ordering::Relaxed);
        let (encoded, body, size) = if gzipped {
            // Streamed through the compressor family by family: the uncompressed body is
            // never held whole (a single family still is, until it is complete).
            let mut compressor = gzip_stream(last_size / 8 + 1024);
            let (mut size, mut largest) = (0, 0);
            let mut written = Ok(());
            let last_piece = inner.last_piece.load(Ordering::Relaxed);
            let mut pending = Vec::with_capacity(last_piece.max(STREAMED_CHUNK) + 1024);
            let encoded = inner.registry.encode_collected_streaming(
                chosen.format,
                chosen.escaping,
                names,
                collection,
                &mut pending,
                Some(&mut |chunk: &mut Vec<u8>| {
                    size += chunk.len();
                    largest = largest.max(chunk.len());
                    if written.is_ok() {
                        written = compressor.write_all(chunk);
                    }
                    chunk.clear();
                }),
            );
            inner.last_piece.store(largest, Ordering::Relaxed);
            let Ok(compressed) = written.and_then(|()| compressor.finish()) else {
                // Compressing into memory does not fail; were it to, the body is lost.
                self.count_error("gzip");
                return failed_scrape(&crate::Error::new(
                    crate::ErrorKind::Io,
                    "gzip compression failed",
                ));
            };
            (encoded, compressed, size)
        } else {
            let mut body = Vec::with_capacity(last_size + 1024);
            let encoded = inner.registry.encode_collected_streaming(
                chosen.format,
                chosen.escaping,
                names,
                collection,
                &mut body,
                None,
            );
            let size = body.len();
            (encoded, body, size)
        };
        if inner.own.is_some() && inner.registry.any_family_overflowed() {
            self.count_error("series_overflow");
        }
        if let Err(error) = encoded {
            self.count_error("encoding");
            if inner.on_error == ScrapeErrorPolicy::Fail {
                return failed_scrape(&error);
            }
        }
        inner.last_size.store(size, Ordering::Relaxed);
        ScrapeResponse::new(200, headers, body).holding(slot)
    }

    fn count_error(&self, cause: &str) {
        if let Some(own) = &self.inner.own {
            if let Ok(counter) = own.errors.labels(&[cause]) {
                counter.inc();
            }
        }
    }
}

/// What [`MetricsHandler::admit`] decided.
enum Admission {
    /// A `GET` to encode, holding its slot.
    Admitted(Slot),
    /// Answered without encoding.
    Answered(ScrapeResponse),
}

#[cfg(test)]
mod tests;
