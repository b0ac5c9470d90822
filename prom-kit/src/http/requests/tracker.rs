//! [`RequestTracker`]: one request on its way, recorded when it finishes.

use std::sync::Arc;
use std::time::Instant;

use super::Inner;
use crate::Gauge;
use crate::labels::LabelValues;

/// The label values of one request series, without allocating.
pub(super) struct SeriesValues<'a> {
    pub(super) method: &'a str,
    pub(super) route: &'a str,
    pub(super) status: Option<&'a str>,
    pub(super) extra: &'a [String],
}

impl LabelValues for SeriesValues<'_> {
    fn label_count(&self) -> usize {
        2 + usize::from(self.status.is_some()) + self.extra.len()
    }

    fn label_value(&self, index: usize) -> &str {
        let fixed = 2 + usize::from(self.status.is_some());
        match (index, self.status) {
            (0, _) => self.method,
            (1, _) => self.route,
            (2, Some(status)) => status,
            _ => self.extra.get(index - fixed).map_or("", String::as_str),
        }
    }
}

/// One request in progress. [`finish`](Self::finish) records it; dropping it
/// unfinished (the client went away, the handler panicked or was cancelled) only takes
/// it out of the in-flight gauge.
#[derive(Debug)]
#[must_use = "dropping the tracker records the request as cancelled"]
pub struct RequestTracker {
    pub(super) inner: Arc<Inner>,
    pub(super) method: &'static str,
    pub(super) route: Box<str>,
    pub(super) extra: Vec<String>,
    pub(super) request_size: Option<u64>,
    pub(super) start: Instant,
    pub(super) in_flight: Option<Gauge>,
    pub(super) exemplar: Option<Vec<(String, String)>>,
}

impl RequestTracker {
    /// Attaches exemplar labels (a trace id, say) to this request's count and duration
    /// observation. Labels longer than an exemplar allows are dropped, the request is
    /// still recorded.
    pub fn with_exemplar(mut self, labels: Vec<(String, String)>) -> Self {
        self.exemplar = Some(labels);
        self
    }

    /// Records the request as completed with `status`, its duration measured from
    /// [`HttpMetrics::start`](super::HttpMetrics::start) to now, and the response body size if known.
    pub fn finish(mut self, status: u16, response_size: Option<u64>) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let mut status_text = itoa::Buffer::new();
        let values = SeriesValues {
            method: self.method,
            route: &self.route,
            status: Some(status_text.format(status)),
            extra: &self.extra,
        };
        let inner = &*self.inner;
        let exemplar: Option<Vec<(&str, &str)>> = self.exemplar.as_ref().map(|pairs| {
            pairs
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect()
        });
        // `with` rather than `labels`: no handle to clone and drop per family. The label
        // count always matches the families', so the results are not errors.
        if let Some(requests) = &inner.requests {
            let _ = requests.with(&values, |counter| {
                let recorded = exemplar
                    .as_deref()
                    .is_some_and(|labels| counter.inc_by_with_exemplar(1, labels).is_ok());
                if !recorded {
                    counter.inc();
                }
            });
        }
        let _ = inner.duration.with(&values, |histogram| {
            let recorded = exemplar
                .as_deref()
                .is_some_and(|labels| histogram.observe_with_exemplar(elapsed, labels).is_ok());
            if !recorded {
                histogram.observe(elapsed);
            }
        });
        for (family, size) in [
            (&inner.request_size, self.request_size),
            (&inner.response_size, response_size),
        ] {
            if let (Some(family), Some(size)) = (family, size) {
                let _ = family.with(&values, |histogram| histogram.observe(size as f64));
            }
        }
        if let Some(gauge) = self.in_flight.take() {
            gauge.dec();
        }
    }

    /// The route label value this request is recorded under.
    pub fn route(&self) -> &str {
        &self.route
    }
}

/// Finishes a request's tracker when its response body is done: counts the bytes
/// streamed, and records the request at the end of the body, on a body error, or when
/// the body is dropped (a client that disconnects mid-body still gets its request
/// counted, with the bytes sent so far). The framework adapters wrap their body types
/// around one.
#[derive(Debug)]
pub struct ResponseRecorder {
    tracker: Option<RequestTracker>,
    status: u16,
    bytes: u64,
}

impl ResponseRecorder {
    /// Records for `tracker` (if the request is tracked) a response with `status`.
    pub fn new(tracker: Option<RequestTracker>, status: u16) -> Self {
        Self {
            tracker,
            status,
            bytes: 0,
        }
    }

    /// Counts `bytes` more of the body.
    pub fn add_bytes(&mut self, bytes: u64) {
        self.bytes += bytes;
    }

    /// Records the request now (once; later calls do nothing).
    pub fn finish(&mut self) {
        if let Some(tracker) = self.tracker.take() {
            tracker.finish(self.status, Some(self.bytes));
        }
    }
}

impl Drop for ResponseRecorder {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Drop for RequestTracker {
    fn drop(&mut self) {
        if let Some(gauge) = self.in_flight.take() {
            gauge.dec();
        }
    }
}
