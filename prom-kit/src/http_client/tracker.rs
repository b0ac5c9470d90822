//! [`ClientRequestTracker`]: one outgoing request on its way.

use std::sync::Arc;

use super::{ClientErrorCause, ClientInner};
use crate::Gauge;
use crate::labels::LabelValues;
use crate::stopwatch::Stopwatch;

/// The label values of one client series, without allocating.
pub(super) struct ClientValues<'a> {
    values: [&'a str; 4],
    count: usize,
}

impl<'a> ClientValues<'a> {
    pub(super) fn in_flight(method: &'a str, server: &'a str) -> Self {
        Self {
            values: [method, server, "", ""],
            count: 2,
        }
    }

    fn outcome(method: &'a str, server: &'a str, status: &'a str, error: &'a str) -> Self {
        Self {
            values: [method, server, status, error],
            count: 4,
        }
    }
}

impl LabelValues for ClientValues<'_> {
    fn label_count(&self) -> usize {
        self.count
    }

    fn label_value(&self, index: usize) -> &str {
        self.values.get(index).copied().unwrap_or("")
    }
}

/// One outgoing request in progress: finish it with the response's status or the
/// cause of its failure. Dropped unfinished (the caller gave up on it), it is recorded
/// with the error [`Canceled`](ClientErrorCause::Canceled).
#[derive(Debug)]
#[must_use = "dropping the tracker records the request as canceled"]
pub struct ClientRequestTracker {
    pub(super) inner: Arc<ClientInner>,
    pub(super) method: &'static str,
    pub(super) server: String,
    pub(super) start: Stopwatch,
    pub(super) in_flight: Option<Gauge>,
    /// The request's sampled trace, for a trace exemplar.
    pub(super) trace: Option<crate::trace::TraceParent>,
    pub(super) finished: bool,
}

impl std::fmt::Debug for ClientInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientInner").finish_non_exhaustive()
    }
}

impl ClientRequestTracker {
    /// The `server_address` the request is recorded under.
    pub fn server_address(&self) -> &str {
        &self.server
    }

    /// Records the request as answered with `status`.
    pub fn finish_status(mut self, status: u16) {
        let mut buffer = itoa::Buffer::new();
        let status = buffer.format(status);
        self.record(status, "");
    }

    /// Records the request as failed without a response.
    pub fn finish_error(mut self, cause: ClientErrorCause) {
        self.record("", cause.name());
    }

    fn record(&mut self, status: &str, error: &str) {
        if self.finished {
            return;
        }
        self.finished = true;
        let elapsed = self.start.elapsed_seconds();
        let values = ClientValues::outcome(self.method, &self.server, status, error);
        let inner = &self.inner;
        let start = self.start;
        let now = || crate::trace::sampler_clock(start);
        let trace = self.trace.filter(|_| {
            inner
                .trace_sampler
                .admit(inner.trace_exemplar_interval_ms, now)
        });
        let record = |exemplar: Option<&[(&str, &str)]>| {
            if let Some(requests) = &inner.requests {
                let _ = requests.with(&values, |counter| match exemplar {
                    Some(labels) if counter.inc_by_with_exemplar(1, labels).is_ok() => {}
                    _ => counter.inc(),
                });
            }
            let _ = inner.duration.with(&values, |histogram| match exemplar {
                Some(labels) if histogram.observe_with_exemplar(elapsed, labels).is_ok() => {}
                _ => histogram.observe(elapsed),
            });
        };
        match &trace {
            Some(trace) => crate::trace::with_trace_labels(trace, |labels| record(Some(labels))),
            None => record(None),
        }
        if let Some(gauge) = self.in_flight.take() {
            gauge.dec();
        }
    }
}

impl Drop for ClientRequestTracker {
    fn drop(&mut self) {
        self.record("", ClientErrorCause::Canceled.name());
    }
}
