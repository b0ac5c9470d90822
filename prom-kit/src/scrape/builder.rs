//! [`MetricsHandlerBuilder`]: a scrape handler's settings, and what it does when a
//! collector fails ([`ScrapeErrorPolicy`]).

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use super::deadline::{DEFAULT_DEADLINE_MARGIN, DEFAULT_SCRAPE_TIMEOUT};
use super::handler::{Inner, MetricsHandler, OWN_METRICS, OwnMetrics};
use super::slot::Admissions;
use crate::error::Result;
use crate::{Counter, Family, Gauge, Registry};

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
    /// [`ScrapeBody`](crate::adapter::ScrapeBody) has handed over its last chunk, so the limit also bounds the
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
    /// [`HttpMetricsBuilder::build`](crate::http::HttpMetricsBuilder::build).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AlreadyRegistered`](crate::ErrorKind::AlreadyRegistered) if the
    /// handler's own metrics are enabled and already registered in the registry.
    pub fn build(self, registry: &Registry) -> Result<MetricsHandler> {
        let mut in_flight_gauge = None;
        let own = if self.own_metrics {
            let scrapes: Family<Counter> = Family::new(["code"])?;
            let errors: Family<Counter> = Family::new(["cause"])?;
            let in_flight = Gauge::new();
            let owned = registry.owned_by("MetricsHandler");
            let mut registered = owned.batch();
            registered.register(
                OWN_METRICS[0],
                "Scrapes served by the metrics handler, by HTTP status code.",
                scrapes.clone(),
            )?;
            registered.register(
                OWN_METRICS[1],
                "Scrapes being served right now.",
                in_flight.clone(),
            )?;
            registered.register(OWN_METRICS[2], "Scrapes that hit an error, by cause (encoding, gzip, collector_timeout, collector_error, collector_skipped, series_overflow: a family at its max_series).",
                errors.clone(),
            )?;
            registered.commit();
            in_flight_gauge = Some(in_flight);
            Some(OwnMetrics { scrapes, errors })
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
                admissions: Admissions::new(in_flight_gauge),
                last_size: AtomicUsize::new(0),
                last_piece: AtomicUsize::new(0),
                own,
            }),
        })
    }
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

impl MetricsHandler {
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
}
