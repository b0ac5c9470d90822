//! Cached collectors: one collection serves every scrape within a window, and scrapes
//! that arrive during a collection wait for it rather than start their own (Go's
//! `CoalesceGather` idea). [`Cached`] for [`Collector`]s, [`CachedAsync`] for
//! [`AsyncCollector`](super::AsyncCollector)s; both made with `cache_for`.

use std::fmt;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::{Collector, CollectorOutput};
use crate::clock::Clock;
use crate::descriptor::Descriptor;
use crate::encoding::{Exposition, PendingFamily};
use crate::error::Result;

/// Adds [`cache_for`](Self::cache_for) to every [`Collector`].
pub trait CollectorExt: Collector + Sized {
    /// This collector, collected at most once per `ttl`: every scrape within `ttl` of a
    /// collection is answered from it, and scrapes that arrive while it runs wait for it.
    ///
    /// A synchronous collector writes in the scrape's format as it collects, so the cache
    /// keeps one collection per way of writing (format, name escaping): a target scraped
    /// by one Prometheus is collected once per `ttl`. A collection that fails is not
    /// kept; the next scrape tries again.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    /// use prom_kit::clock::ManualClock;
    /// use prom_kit::registry::{Collector, CollectorExt, CollectorOutput};
    /// use prom_kit::{Descriptor, MetricType, Registry};
    ///
    /// struct Expensive { runs: AtomicU32, descriptor: Descriptor }
    ///
    /// impl Collector for Expensive {
    ///     fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
    ///         let run = self.runs.fetch_add(1, Ordering::Relaxed) + 1;
    ///         out.family(&self.descriptor).gauge(&["primary"], f64::from(run))?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let clock = ManualClock::new();
    /// let registry = Registry::new();
    /// let descriptor = Descriptor::new("collection", "Which collection.", MetricType::Gauge)?
    ///     .with_label_names(["db"])?;
    /// let expensive = Expensive { runs: AtomicU32::new(0), descriptor };
    /// registry.register_collector(expensive.cache_for(Duration::from_secs(30)).clock(clock.clone()));
    /// let scrape = |run: u32| format!(
    ///     "# HELP collection Which collection.\n# TYPE collection gauge\ncollection{{db=\"primary\"}} {run}\n"
    /// );
    /// assert_eq!(registry.encode_text()?, scrape(1));
    /// assert_eq!(registry.encode_text()?, scrape(1)); // within 30 s: the cached run
    /// clock.advance(Duration::from_secs(30));
    /// assert_eq!(registry.encode_text()?, scrape(2));
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    fn cache_for(self, ttl: Duration) -> Cached<Self> {
        Cached {
            inner: self,
            ttl,
            clock: Clock::system(),
            kept: Mutex::new(Vec::new()),
        }
    }
}

impl<C: Collector> CollectorExt for C {}

/// A [`Collector`] collected at most once per window; made with
/// [`CollectorExt::cache_for`].
pub struct Cached<C> {
    inner: C,
    ttl: Duration,
    clock: Clock,
    /// Held for the whole of a collection, so that concurrent scrapes wait for it.
    kept: Mutex<Vec<Kept>>,
}

/// One collection, as written for one way of writing.
struct Kept {
    exposition: Exposition,
    prefix: Box<str>,
    const_labels: Box<str>,
    at: Instant,
    bytes: Vec<u8>,
    /// Each family's name, descriptor and start in `bytes`.
    families: Vec<(String, Descriptor, usize)>,
}

impl<C> Cached<C> {
    /// The clock the window is timed by (the system's by default; a
    /// [`ManualClock`](crate::clock::ManualClock) in tests).
    #[must_use]
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }
}

impl<C> fmt::Debug for Cached<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<C: Collector> Collector for Cached<C> {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> Result<()> {
        let mut kept = self.kept.lock();
        let now = self.clock.now();
        let fresh = |k: &Kept| now.saturating_duration_since(k.at) < self.ttl;
        kept.retain(fresh);
        let same_writing = |k: &&Kept| {
            k.exposition == out.exposition
                && *k.prefix == *out.prefix
                && *k.const_labels == *out.const_labels
        };
        if let Some(hit) = kept.iter().find(same_writing) {
            replay(hit, out);
            return Ok(());
        }
        let mut bytes = Vec::new();
        let mut private = CollectorOutput {
            out: &mut bytes,
            exposition: out.exposition,
            prefix: out.prefix,
            const_labels: out.const_labels,
            families: Vec::new(),
            pending: PendingFamily::default(),
            refusal: None,
        };
        let result = self.inner.collect(&mut private);
        private.pending.flush(private.out);
        let (families, refusal) = (private.families, private.refusal);
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        result?;
        let collection = Kept {
            exposition: out.exposition,
            prefix: out.prefix.into(),
            const_labels: out.const_labels.into(),
            at: now,
            bytes,
            families,
        };
        replay(&collection, out);
        kept.push(collection);
        Ok(())
    }
}

/// Writes a kept collection into a scrape's output.
fn replay(kept: &Kept, out: &mut CollectorOutput<'_>) {
    out.pending.flush(out.out);
    let base = out.out.len();
    out.out.extend_from_slice(&kept.bytes);
    out.families.extend(
        kept.families
            .iter()
            .map(|(name, descriptor, start)| (name.clone(), descriptor.clone(), base + start)),
    );
}

#[cfg(feature = "async")]
pub use self::async_cache::{AsyncCollectorExt, CachedAsync};

#[cfg(feature = "async")]
mod async_cache {
    use std::fmt;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use crate::clock::Clock;
    use crate::registry::{AsyncCollector, CollectFuture, Collector};

    /// Adds [`cache_for`](Self::cache_for) to every
    /// [`AsyncCollector`](crate::registry::AsyncCollector).
    pub trait AsyncCollectorExt: AsyncCollector + Sized {
        /// This collector, run at most once per `ttl`: the values it returned serve
        /// every scrape within `ttl` of the collection's start, in any format, and
        /// scrapes that arrive while it runs wait for it (asynchronously: no executor
        /// thread is blocked). A failed or cancelled collection is not kept.
        fn cache_for(self, ttl: Duration) -> CachedAsync<Self> {
            CachedAsync {
                inner: self,
                ttl,
                clock: Clock::system(),
                kept: tokio::sync::Mutex::new(None),
            }
        }
    }

    impl<C: AsyncCollector> AsyncCollectorExt for C {}

    /// An [`AsyncCollector`] run at most once per window; made with
    /// [`AsyncCollectorExt::cache_for`].
    pub struct CachedAsync<C> {
        inner: C,
        ttl: Duration,
        clock: Clock,
        kept: tokio::sync::Mutex<Option<(Instant, Arc<dyn Collector>)>>,
    }

    impl<C> CachedAsync<C> {
        /// The clock the window is timed by (the system's by default).
        #[must_use]
        pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
            self.clock = clock.into();
            self
        }
    }

    impl<C> fmt::Debug for CachedAsync<C> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("CachedAsync")
                .field("ttl", &self.ttl)
                .finish_non_exhaustive()
        }
    }

    impl<C: AsyncCollector> AsyncCollector for CachedAsync<C> {
        fn collect(&self) -> CollectFuture<'_> {
            Box::pin(async move {
                let mut kept = self.kept.lock().await;
                let now = self.clock.now();
                if let Some((at, values)) = &*kept {
                    if now.saturating_duration_since(*at) < self.ttl {
                        return Ok(Box::new(Arc::clone(values)) as Box<dyn Collector>);
                    }
                }
                let values: Arc<dyn Collector> = Arc::from(self.inner.collect().await?);
                *kept = Some((now, Arc::clone(&values)));
                Ok(Box::new(values) as Box<dyn Collector>)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::Format;
    use crate::{MetricType, Registry};

    /// A collector with a family of each kind of sample a protobuf or text scrape
    /// assembles in parts.
    struct Several;

    impl Collector for Several {
        fn collect(&self, out: &mut CollectorOutput<'_>) -> Result<()> {
            let gauge = Descriptor::new("pool_size", "Pool size.", MetricType::Gauge)?
                .with_label_names(["pool"])?;
            let counter = Descriptor::new("pool_waits", "Waits.", MetricType::Counter)?;
            let mut family = out.family(&gauge);
            family.gauge(&["a"], 1.0)?;
            family.gauge(&["b\n\"c"], f64::NAN)?;
            out.family(&counter).counter(&[] as &[&str], 4.0)?;
            Ok(())
        }
    }

    fn encoded(registry: &Registry, format: Format) -> Vec<u8> {
        let mut out = Vec::new();
        registry.encode(format, &mut out).unwrap();
        out
    }

    #[test]
    fn a_cached_collection_encodes_exactly_as_a_fresh_one_in_every_format() {
        let plain = Registry::new().with_prefix("app").unwrap();
        plain.register_collector(Several);
        let cached = Registry::new().with_prefix("app").unwrap();
        cached.register_collector(Several.cache_for(Duration::from_secs(60)));
        #[cfg(feature = "protobuf")]
        let formats = [Format::Text, Format::OpenMetrics, Format::Protobuf];
        #[cfg(not(feature = "protobuf"))]
        let formats = [Format::Text, Format::OpenMetrics];
        for format in formats {
            let fresh = encoded(&plain, format);
            // The first scrape collects, the second replays.
            assert_eq!(encoded(&cached, format), fresh, "{format:?} collected");
            assert_eq!(encoded(&cached, format), fresh, "{format:?} replayed");
        }
    }

    /// A collector that fails every other time.
    struct Flaky(std::sync::atomic::AtomicU32);

    impl Collector for Flaky {
        fn collect(&self, out: &mut CollectorOutput<'_>) -> Result<()> {
            let run = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let descriptor = Descriptor::new("flaky", "Flaky.", MetricType::Gauge)?;
            out.family(&descriptor)
                .gauge(&[] as &[&str], f64::from(run))?;
            if run % 2 == 0 {
                return Err(crate::Error::new(crate::ErrorKind::Collect, "down"));
            }
            Ok(())
        }
    }

    #[test]
    fn a_failed_collection_is_not_kept() {
        let registry = Registry::new();
        registry.register_collector(Flaky(0.into()).cache_for(Duration::from_secs(60)));
        assert!(registry.encode_text().is_err());
        assert!(registry.encode_text().unwrap().ends_with("flaky 1\n"));
        assert!(registry.encode_text().unwrap().ends_with("flaky 1\n"));
    }
}
