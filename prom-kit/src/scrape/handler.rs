//! [`MetricsHandler`]: admits a scrape (method, query size, concurrency), encodes the
//! answer its [`ScrapePlan`] describes, and counts it in its own metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::gzip_body::encode_gzipped;
use super::plan::ScrapePlan;
use super::query::MAX_QUERY_BYTES;
use super::response::{failed_scrape, plain};
use super::slot::{Admissions, Slot};
use super::{ScrapeErrorPolicy, ScrapeRequest, ScrapeResponse};
use crate::error::Result;
use crate::registry::AsyncCollection;
use crate::{Counter, Family, Registry};

/// Serves a [`Registry`] over HTTP, independent of any framework.
///
/// - `GET`: the exposition in the format [`negotiate`](crate::encoding::negotiate) picks from `Accept`, with the
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
///   response is dropped or its [`ScrapeBody`](crate::adapter::ScrapeBody) sent, so that slow readers cannot pile up
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
/// use prom_kit::adapter::ScrapeRequest;
/// use prom_kit::scrape::MetricsHandler;
/// use prom_kit::{Counter, Registry};
///
/// let registry = Registry::new();
/// registry.register("jobs", "Jobs.", Counter::new())?;
/// let handler = MetricsHandler::new(&registry)?;
/// let response = handler.handle(&ScrapeRequest { method: "GET", ..Default::default() });
/// assert_eq!(response.status, 200);
/// assert_eq!(response.headers[0], ("content-type", prom_kit::encoding::TEXT_CONTENT_TYPE));
/// assert_eq!(String::from_utf8(response.body).unwrap(), "\
/// ## HELP jobs_total Jobs.
/// ## TYPE jobs_total counter
/// jobs_total 0
/// ## HELP prom_kit_scrape_errors_total Scrapes that hit an error, by cause (encoding, gzip, collector_timeout, collector_error, collector_skipped, series_overflow: a family at its max_series).
/// ## TYPE prom_kit_scrape_errors_total counter
/// ## HELP prom_kit_scrapes_total Scrapes served by the metrics handler, by HTTP status code.
/// ## TYPE prom_kit_scrapes_total counter
/// ## HELP prom_kit_scrapes_in_flight Scrapes being served right now.
/// ## TYPE prom_kit_scrapes_in_flight gauge
/// prom_kit_scrapes_in_flight 1
/// ");
/// assert_eq!(handler.handle(&ScrapeRequest { method: "POST", ..Default::default() }).status, 405);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MetricsHandler {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) registry: Registry,
    pub(super) max_concurrent: Option<usize>,
    pub(super) gzip: bool,
    pub(super) on_error: ScrapeErrorPolicy,
    pub(super) default_scrape_timeout: Duration,
    pub(super) deadline_margin: Duration,
    /// The concurrent scrapes' places.
    pub(super) admissions: Arc<Admissions>,
    /// The size of the last body, to allocate the next one at once.
    pub(super) last_size: AtomicUsize,
    /// The most uncompressed output a gzipped scrape last held at once (its largest
    /// drained piece), so that the next one sizes its buffer once instead of growing it
    /// (growing doubles, and holds old and new at once).
    pub(super) last_piece: AtomicUsize,
    pub(super) own: Option<OwnMetrics>,
}

#[derive(Debug)]
pub(super) struct OwnMetrics {
    pub(super) scrapes: Family<Counter>,
    pub(super) errors: Family<Counter>,
}

impl MetricsHandler {
    /// A handler with the default settings.
    ///
    /// # Errors
    ///
    /// See [`MetricsHandlerBuilder::build`](super::MetricsHandlerBuilder::build).
    pub fn new(registry: &Registry) -> Result<Self> {
        Self::builder().build(registry)
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
            Admission::Admitted(slot, plan) => {
                let skipped = self.inner.registry.skipped_async_collectors();
                self.respond(&plan, &skipped, slot)
            }
        };
        self.count_response(&response);
        response
    }

    /// Counts a response in `prom_kit_scrapes_total{code}`.
    pub(super) fn count_response(&self, response: &ScrapeResponse) {
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
    pub(super) fn admit(&self, request: &ScrapeRequest<'_>) -> Admission {
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
        let (slot, previous) = inner.admissions.take();
        if inner.max_concurrent.is_some_and(|limit| previous >= limit) {
            return Admission::Answered(plain(503, "too many concurrent scrapes\n", Vec::new()));
        }
        // Negotiated once: the headers and the encoding both follow this plan.
        let plan = ScrapePlan::for_request(request, inner.gzip);
        if head {
            // The headers a GET would get, without encoding a body only to drop it.
            return Admission::Answered(ScrapeResponse::new(200, plan.headers(), Vec::new()));
        }
        Admission::Admitted(slot, plan)
    }

    /// Encodes the answer to an admitted `GET`, with what the async collectors gathered.
    pub(super) fn respond(
        &self,
        plan: &ScrapePlan,
        collection: &AsyncCollection,
        slot: Slot,
    ) -> ScrapeResponse {
        let inner = &*self.inner;
        for failure in collection.failures() {
            self.count_error(failure.cause.label());
        }
        if let (ScrapeErrorPolicy::Fail, Some(failure)) =
            (inner.on_error, collection.failures().first())
        {
            return failed_scrape(&failure.error);
        }
        let last_size = inner.last_size.load(Ordering::Relaxed);
        let (encoded, body, size) = if plan.gzip {
            let last_piece = inner.last_piece.load(Ordering::Relaxed);
            let gzipped = encode_gzipped(&inner.registry, plan, collection, last_size, last_piece);
            inner
                .last_piece
                .store(gzipped.largest_piece, Ordering::Relaxed);
            let Ok(compressed) = gzipped.body else {
                // Compressing into memory does not fail; were it to, the body is lost.
                self.count_error("gzip");
                return failed_scrape(&crate::Error::new(
                    crate::ErrorKind::Io,
                    "gzip compression failed",
                ));
            };
            (gzipped.encoded, compressed, gzipped.size)
        } else {
            let mut body = Vec::with_capacity(last_size + 1024);
            let encoded = inner.registry.encode_collected_streaming(
                plan.format,
                plan.escaping,
                plan.names.as_ref(),
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
        ScrapeResponse::new(200, plan.headers(), body).holding(slot)
    }

    /// Takes the handler's own metrics out of its registry (a server that made the
    /// handler and could not start gives them back so).
    #[cfg(feature = "server")]
    pub(crate) fn unregister_own_metrics(&self) {
        if self.inner.own.is_some() {
            for name in OWN_METRICS {
                // Registered when the handler was built; nothing else to report.
                let _ = self.inner.registry.unregister(name);
            }
        }
    }

    pub(super) fn count_error(&self, cause: &str) {
        if let Some(own) = &self.inner.own {
            if let Ok(counter) = own.errors.labels(&[cause]) {
                counter.inc();
            }
        }
    }
}

/// The names of the handler's own metrics, as its builder registers them.
pub(super) const OWN_METRICS: [&str; 3] = [
    "prom_kit_scrapes",
    "prom_kit_scrapes_in_flight",
    "prom_kit_scrape_errors",
];

/// What [`MetricsHandler::admit`] decided.
pub(super) enum Admission {
    /// A `GET` to encode as planned, holding its slot.
    Admitted(Slot, ScrapePlan),
    /// Answered without encoding.
    Answered(ScrapeResponse),
}
