//! [`TokioCollector`]: the state of a tokio runtime, from its stable metrics.

use tokio::runtime::{Handle, RuntimeMetrics};

use crate::descriptor::Descriptor;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::MetricType;
use crate::registry::{Collector, CollectorOutput};

/// Exposes a tokio runtime's stable metrics — the Rust counterpart of Go's `go_*`
/// runtime metrics:
///
/// | metric | type |
/// |---|---|
/// | `tokio_workers` | gauge: worker threads |
/// | `tokio_alive_tasks` | gauge: tasks spawned and not yet finished |
/// | `tokio_global_queue_depth` | gauge: tasks waiting in the global queue |
/// | `tokio_worker_busy_seconds_total{worker}` | counter: time each worker spent working |
/// | `tokio_worker_parks_total{worker}` | counter: times each worker went idle |
#[derive(Debug)]
pub struct TokioCollector {
    metrics: RuntimeMetrics,
    workers: Descriptor,
    alive_tasks: Descriptor,
    global_queue_depth: Descriptor,
    busy: Descriptor,
    parks: Descriptor,
}

impl TokioCollector {
    /// A collector for the runtime behind `handle`.
    pub fn new(handle: &Handle) -> Self {
        Self {
            metrics: handle.metrics(),
            workers: Descriptor::constant(
                "tokio_workers",
                "Worker threads of the tokio runtime.",
                MetricType::Gauge,
            ),
            alive_tasks: Descriptor::constant(
                "tokio_alive_tasks",
                "Tasks spawned on the tokio runtime and not yet finished.",
                MetricType::Gauge,
            ),
            global_queue_depth: Descriptor::constant(
                "tokio_global_queue_depth",
                "Tasks waiting in the tokio runtime's global queue.",
                MetricType::Gauge,
            ),
            busy: Descriptor::constant(
                "tokio_worker_busy_seconds_total",
                "Time each tokio worker spent busy.",
                MetricType::Counter,
            )
            .with_constant_labels(&["worker"]),
            parks: Descriptor::constant(
                "tokio_worker_parks_total",
                "Times each tokio worker parked (went idle).",
                MetricType::Counter,
            )
            .with_constant_labels(&["worker"]),
        }
    }

    /// A collector for the runtime the caller runs on.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] outside a tokio runtime.
    pub fn current() -> Result<Self> {
        let handle = Handle::try_current().map_err(|e| {
            Error::with_source(
                ErrorKind::Io,
                "TokioCollector::current needs a tokio runtime",
                e,
            )
        })?;
        Ok(Self::new(&handle))
    }
}

impl Collector for TokioCollector {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> Result<()> {
        let m = &self.metrics;
        let workers = m.num_workers();
        out.family(&self.workers).gauge(&(), workers as f64)?;
        out.family(&self.alive_tasks)
            .gauge(&(), m.num_alive_tasks() as f64)?;
        out.family(&self.global_queue_depth)
            .gauge(&(), m.global_queue_depth() as f64)?;
        let mut buffer = itoa::Buffer::new();
        let mut busy = out.family(&self.busy);
        for worker in 0..workers {
            busy.counter(
                &[buffer.format(worker)],
                m.worker_total_busy_duration(worker).as_secs_f64(),
            )?;
        }
        let mut parks = out.family(&self.parks);
        for worker in 0..workers {
            parks.counter(&[buffer.format(worker)], m.worker_park_count(worker) as f64)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    #[test]
    fn reports_the_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let registry = Registry::new();
        registry.register_collector(TokioCollector::new(runtime.handle()));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let parked = runtime.spawn_blocking(move || wait.recv().ok());
        let pending = runtime.spawn(std::future::pending::<()>());
        let text = registry.encode_text().unwrap();
        assert!(text.contains("tokio_workers 2\n"), "{text}");
        assert!(
            text.contains("tokio_alive_tasks 1\n") || text.contains("tokio_alive_tasks 2\n"),
            "{text}"
        );
        assert!(
            text.contains("tokio_worker_busy_seconds_total{worker=\"1\"}"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE tokio_worker_parks_total counter\n"),
            "{text}"
        );
        pending.abort();
        drop(release);
        let _ = runtime.block_on(parked);
        assert!(TokioCollector::current().is_err());
    }
}
