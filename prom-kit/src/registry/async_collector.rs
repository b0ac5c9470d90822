//! [`AsyncCollector`]: collectors whose collection is a future (a database pool's
//! statistics, a queue depth asked over the network), run concurrently at scrape time,
//! each within a deadline; and [`AsyncCollection`], what one such run gathered for the
//! encoding that follows.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use super::{CollectorEntry, CollectorId, Registry};
use crate::error::{Error, ErrorKind, Result};
use crate::registry::{Collector, CollectorOutput};

/// What [`AsyncCollector::collect`] returns: a future of the gathered values, as a
/// [`Collector`] that writes them.
pub type CollectFuture<'a> = Pin<Box<dyn Future<Output = Result<Box<dyn Collector>>> + Send + 'a>>;

/// A collector whose values are fetched asynchronously at scrape time.
///
/// [`collect`](Self::collect) does the slow part — the I/O — and returns the values as a
/// [`Collector`] (often a closure made with [`collector_fn`]) that the scrape then runs
/// like any other: so the asynchronous part never touches the exposition, and an async
/// collector can serve every format.
///
/// The async scrape paths (the axum and actix endpoints, the standalone server, and
/// [`Registry::collect_async`]) run every async collector of a registry concurrently, each
/// within a deadline derived from the scraper's `X-Prometheus-Scrape-Timeout-Seconds`
/// header. One that fails, panics (in `collect` itself or in its future) or misses the
/// deadline is counted in `prom_kit_scrape_errors_total{cause}` and handled by the
/// handler's [`ScrapeErrorPolicy`](crate::scrape::ScrapeErrorPolicy). The collector it
/// returns is then run like a registered [`Collector`]: if it fails or panics, its
/// families are left out and the encoding reports the error. The synchronous encoders
/// ([`Registry::encode`] and friends) never block on them: they leave their families out
/// and report them as skipped.
///
/// ```
/// use std::time::Duration;
/// use prom_kit::registry::{collector_fn, AsyncCollector, CollectFuture};
/// use prom_kit::{Descriptor, EncodeOptions, Format, MetricType, Registry};
///
/// struct QueueDepth { descriptor: Descriptor }
///
/// impl AsyncCollector for QueueDepth {
///     fn collect(&self) -> CollectFuture<'_> {
///         Box::pin(async move {
///             let depth = 42.0; // e.g. `client.queue_depth().await?`
///             let descriptor = self.descriptor.clone();
///             Ok(collector_fn(move |out| {
///                 out.family(&descriptor).gauge(&["mail"], depth)?;
///                 Ok(())
///             }))
///         })
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let registry = Registry::new();
/// let descriptor = Descriptor::new("queue_depth", "Jobs waiting.", MetricType::Gauge)?
///     .with_label_names(["queue"])?;
/// registry.register_async_collector(QueueDepth { descriptor });
/// let collection = registry.collect_async(Duration::from_secs(1)).await;
/// assert!(collection.failures().is_empty());
/// let body = registry.render(EncodeOptions::new(Format::Text).collected(&collection))?;
/// assert_eq!(String::from_utf8(body).unwrap(), "\
/// ## HELP queue_depth Jobs waiting.
/// ## TYPE queue_depth gauge
/// queue_depth{queue=\"mail\"} 42
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// # }).unwrap();
/// ```
pub trait AsyncCollector: Send + Sync + 'static {
    /// Fetches the values for one scrape and returns what writes them.
    ///
    /// # Errors
    ///
    /// Whatever prevents the collector from producing its values; the scrape then leaves
    /// its families out (or fails, as the handler's policy says).
    fn collect(&self) -> CollectFuture<'_>;
}

/// Wraps a closure as a [`Collector`]: the usual way for an [`AsyncCollector`] to hand
/// back the values it fetched.
pub fn collector_fn<F>(write: F) -> Box<dyn Collector>
where
    F: Fn(&mut CollectorOutput<'_>) -> Result<()> + Send + Sync + 'static,
{
    Box::new(FnCollector(write))
}

struct FnCollector<F>(F);

impl<F> Collector for FnCollector<F>
where
    F: Fn(&mut CollectorOutput<'_>) -> Result<()> + Send + Sync + 'static,
{
    fn collect(&self, out: &mut CollectorOutput<'_>) -> Result<()> {
        (self.0)(out)
    }
}

impl<C: Collector + ?Sized> Collector for Arc<C> {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> Result<()> {
        (**self).collect(out)
    }
}

/// A registered [`AsyncCollector`], with the prefix and constant labels of the registry
/// view it was registered through.
pub(super) struct AsyncEntry {
    pub(super) id: u64,
    pub(super) prefix: Arc<str>,
    pub(super) const_labels: Arc<str>,
    pub(super) collector: Box<dyn AsyncCollector>,
}

/// Why an async collector's families are missing from a scrape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AsyncFailureCause {
    /// It did not finish within the scrape's deadline.
    Timeout,
    /// It returned an error.
    Failed,
    /// A synchronous encoder did not run it.
    Skipped,
}

impl AsyncFailureCause {
    /// The `cause` label value `prom_kit_scrape_errors_total` counts it under.
    pub fn label(self) -> &'static str {
        match self {
            Self::Timeout => "collector_timeout",
            Self::Failed => "collector_error",
            Self::Skipped => "collector_skipped",
        }
    }
}

/// One async collector whose families a scrape left out, and why.
#[derive(Debug)]
pub struct AsyncFailure {
    /// The collector.
    pub collector: CollectorId,
    /// Why.
    pub cause: AsyncFailureCause,
    /// The collector's error, or a description of the timeout or skip.
    pub error: Error,
}

/// What one run of a registry's async collectors gathered, for
/// [`EncodeOptions::collected`](crate::EncodeOptions::collected): the values of those that finished in time, and the
/// failures of the others.
#[derive(Default)]
pub struct AsyncCollection {
    gathered: Vec<Arc<CollectorEntry>>,
    failures: Vec<AsyncFailure>,
}

impl fmt::Debug for AsyncCollection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncCollection")
            .field("gathered", &self.gathered.len())
            .field("failures", &self.failures)
            .finish()
    }
}

impl AsyncCollection {
    /// The collectors whose families the scrape leaves out.
    pub fn failures(&self) -> &[AsyncFailure] {
        &self.failures
    }

    /// The error of the first failure, if any.
    pub(crate) fn into_first_error(self) -> Option<Error> {
        self.failures
            .into_iter()
            .next()
            .map(|failure| failure.error)
    }

    /// The gathered values, as collectors to run with the registry's own.
    pub(super) fn gathered(&self) -> &[Arc<CollectorEntry>] {
        &self.gathered
    }
}

impl Registry {
    /// Adds an [`AsyncCollector`], run by every async scrape under this view's prefix and
    /// constant labels; remove it with
    /// [`unregister_collector`](Self::unregister_collector).
    pub fn register_async_collector(&self, collector: impl AsyncCollector) -> CollectorId {
        let mut state = self.shared.write();
        let id = state.take_collector_id();
        state.async_collectors.push(Arc::new(AsyncEntry {
            id,
            prefix: Arc::clone(&self.prefix),
            const_labels: Arc::clone(&self.const_text),
            collector: Box::new(collector),
        }));
        CollectorId(id)
    }

    /// Whether any [`AsyncCollector`] is registered.
    pub fn has_async_collectors(&self) -> bool {
        !self.shared.read().async_collectors.is_empty()
    }

    /// Runs every [`AsyncCollector`] concurrently on the calling task, each within
    /// `deadline` (a tokio timer: call it inside a tokio runtime, current-thread or
    /// multi-thread; outside one, every async collector is reported skipped). Returns
    /// when all have finished or timed out; a collector past its deadline is dropped
    /// (cancelled) and recorded as a failure.
    pub async fn collect_async(&self, deadline: Duration) -> AsyncCollection {
        let entries = self.shared.read().async_collectors.clone();
        if entries.is_empty() {
            return AsyncCollection::default();
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return self.skipped_async_collectors();
        }
        let runs = entries.iter().map(|entry| async move {
            // A panicking collector fails alone, as a returned error would: whether it
            // panics in `collect` itself (called inside this future, so caught with it)
            // or in the future `collect` returns.
            let run = AssertUnwindSafe(async { entry.collector.collect().await }).catch_unwind();
            let outcome = tokio::time::timeout(deadline, run).await;
            (entry, outcome)
        });
        let mut collection = AsyncCollection::default();
        for (entry, outcome) in futures_util::future::join_all(runs).await {
            let collector = CollectorId(entry.id);
            match outcome {
                Ok(Ok(Ok(gathered))) => collection.gathered.push(Arc::new(CollectorEntry {
                    id: entry.id,
                    prefix: Arc::clone(&entry.prefix),
                    const_labels: Arc::clone(&entry.const_labels),
                    collector: gathered,
                })),
                Ok(Ok(Err(error))) => collection.failures.push(AsyncFailure {
                    collector,
                    cause: AsyncFailureCause::Failed,
                    error: Error::with_source(
                        ErrorKind::Collect,
                        format!("an async collector: {error}"),
                        error,
                    ),
                }),
                Ok(Err(panic)) => collection.failures.push(AsyncFailure {
                    collector,
                    cause: AsyncFailureCause::Failed,
                    error: Error::panicked("async collector", &*panic),
                }),
                Err(_) => collection.failures.push(AsyncFailure {
                    collector,
                    cause: AsyncFailureCause::Timeout,
                    error: Error::new(
                        ErrorKind::Collect,
                        format!("async collector missed its {deadline:?} deadline"),
                    ),
                }),
            }
        }
        collection
    }

    /// The collection a synchronous encoder stands for: every async collector skipped.
    pub(crate) fn skipped_async_collectors(&self) -> AsyncCollection {
        let failures = self
            .shared
            .read()
            .async_collectors
            .iter()
            .map(|entry| AsyncFailure {
                collector: CollectorId(entry.id),
                cause: AsyncFailureCause::Skipped,
                error: Error::new(
                    ErrorKind::Collect,
                    "async collector skipped by a synchronous encoder (use collect_async)",
                ),
            })
            .collect();
        AsyncCollection {
            gathered: Vec::new(),
            failures,
        }
    }
}
