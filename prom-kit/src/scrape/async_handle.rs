//! [`MetricsHandler::handle_async`]: the scrape path of the async servers (the axum and
//! actix endpoints, the standalone server) — async collectors run concurrently on the
//! calling task within the scrape's deadline, then the encoding runs on tokio's blocking
//! pool, off the executor.

use super::handler::Admission;
use super::{MetricsHandler, OwnedScrapeRequest, ScrapeResponse};

impl MetricsHandler {
    /// Answers one scrape request from an async server (inside a tokio runtime,
    /// current-thread or multi-thread): as [`handle`](Self::handle), but a `GET` first
    /// runs the registry's [async collectors](crate::registry::AsyncCollector)
    /// concurrently, each within the scrape timeout the request's
    /// `X-Prometheus-Scrape-Timeout-Seconds` header gives (or the
    /// [default](super::MetricsHandlerBuilder::default_scrape_timeout)) minus a
    /// [margin](super::MetricsHandlerBuilder::deadline_margin). A collector that fails or
    /// misses the deadline is counted in `prom_kit_scrape_errors_total{cause}` and
    /// handled by the [`ScrapeErrorPolicy`](super::ScrapeErrorPolicy): its families left
    /// out, or the scrape answered with `500`. The encoding then runs on tokio's blocking
    /// pool, so no executor thread encodes or waits. Polled outside a tokio runtime, it
    /// reports the async collectors skipped and encodes on the calling thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// use prom_kit::adapter::OwnedScrapeRequest;
    /// use prom_kit::scrape::{MetricsHandler, ScrapeErrorPolicy};
    /// use prom_kit::registry::{AsyncCollector, CollectFuture, collector_fn};
    /// use prom_kit::{Descriptor, MetricType, Registry};
    ///
    /// struct Slow;
    /// impl AsyncCollector for Slow {
    ///     fn collect(&self) -> CollectFuture<'_> {
    ///         Box::pin(async {
    ///             tokio::time::sleep(Duration::from_secs(3)).await;
    ///             Ok(collector_fn(|_| Ok(())))
    ///         })
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let registry = Registry::new();
    /// registry.register_async_collector(Slow);
    /// let handler = MetricsHandler::builder()
    ///     .on_error(ScrapeErrorPolicy::Continue)
    ///     .build(&registry)?;
    /// let request = OwnedScrapeRequest {
    ///     method: "GET".into(),
    ///     scrape_timeout: Some("1".into()),
    ///     ..Default::default()
    /// };
    /// let response = handler.handle_async(request).await;
    /// assert_eq!(response.status, 200);
    /// let text = String::from_utf8(response.body).unwrap();
    /// let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("prom_kit_scrape_errors_total{")).collect();
    /// assert_eq!(errors, ["prom_kit_scrape_errors_total{cause=\"collector_timeout\"} 1"]);
    /// # Ok::<(), prom_kit::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn handle_async(&self, request: OwnedScrapeRequest) -> ScrapeResponse {
        let response = match self.admit(&request.as_request()) {
            Admission::Answered(response) => response,
            Admission::Admitted(slot, plan) => {
                let registry = &self.inner.registry;
                let collection = if registry.has_async_collectors() {
                    let deadline = self.collect_deadline(request.scrape_timeout.as_deref());
                    registry.collect_async(deadline).await
                } else {
                    crate::registry::AsyncCollection::default()
                };
                if tokio::runtime::Handle::try_current().is_err() {
                    // No blocking pool to hand the encoding to: encode here.
                    return self.finish(self.respond(&plan, &collection, slot));
                }
                let handler = self.clone();
                let encoding =
                    tokio::task::spawn_blocking(move || handler.respond(&plan, &collection, slot));
                encoding.await.unwrap_or_else(|_| {
                    self.count_error("encoding");
                    ScrapeResponse::failed()
                })
            }
        };
        self.finish(response)
    }

    /// Counts the response and hands it back.
    fn finish(&self, response: ScrapeResponse) -> ScrapeResponse {
        self.count_response(&response);
        response
    }
}
