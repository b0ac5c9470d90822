//! [`RequestTracker`]: one request on its way, recorded when it finishes.

use std::sync::Arc;

use super::route_series::{Outcome, RouteSeries};
use crate::stopwatch::Stopwatch;
use crate::trace::TraceParent;

/// One request in progress. [`finish`](Self::finish) records it; dropping it
/// unfinished (the client went away, the handler panicked or was cancelled) only takes
/// it out of the in-flight gauge.
#[derive(Debug)]
#[must_use = "dropping the tracker records the request as cancelled"]
pub struct RequestTracker {
    pub(super) series: Arc<RouteSeries>,
    pub(super) request_size: Option<u64>,
    pub(super) start: Stopwatch,
    /// Whether the request is still counted in flight.
    pub(super) in_flight: bool,
    pub(super) exemplar: Option<Vec<(String, String)>>,
    /// The request's sampled trace, for a trace exemplar (boxed: most trackers have
    /// none, and a tracker is moved several times per request).
    pub(super) trace: Option<Box<TraceParent>>,
    /// Routed (late) to an excluded route: not recorded.
    pub(super) excluded: bool,
}

impl RequestTracker {
    /// Starts tracking a request of `series`: counts it in flight.
    pub(super) fn start(series: Arc<RouteSeries>, request_size: Option<u64>) -> Self {
        let in_flight = match &series.in_flight {
            Some(gauge) => {
                gauge.inc();
                true
            }
            None => false,
        };
        Self {
            series,
            request_size,
            start: Stopwatch::start(),
            in_flight,
            exemplar: None,
            trace: None,
            excluded: false,
        }
    }

    /// Attaches exemplar labels (a trace id, say) to this request's count and duration
    /// observation. Labels longer than an exemplar allows are dropped, the request is
    /// still recorded.
    pub fn with_exemplar(mut self, labels: Vec<(String, String)>) -> Self {
        self.exemplar = Some(labels);
        self
    }

    /// Attaches the request's trace, read from its W3C `traceparent` header value (the
    /// closure reads it, only when needed), as the exemplar (`trace_id`, `span_id`) of
    /// its count and duration observation — when the metrics were built with
    /// [`trace_exemplars`](super::HttpMetricsBuilder::trace_exemplars), the trace is
    /// sampled, no exemplar was set with [`with_exemplar`](Self::with_exemplar), and the
    /// request's series took no trace exemplar for the sampler's interval. A missing or
    /// invalid header is ignored. The framework adapters call it with the request's
    /// header.
    pub fn with_traceparent<'h>(mut self, header: impl FnOnce() -> Option<&'h [u8]>) -> Self {
        let due = self.exemplar.is_none() && self.series.trace_exemplar_due(|| self.trace_clock());
        if let Some(trace) = crate::trace::header_trace(due, header) {
            self.trace = Some(Box::new(trace));
        }
        self
    }

    /// Attaches a trace as [`with_traceparent`](Self::with_traceparent) does, from a
    /// trace context known otherwise (an OpenTelemetry span's): used only if sampled,
    /// with trace exemplars on and no other exemplar set.
    pub fn with_trace(mut self, trace: TraceParent) -> Self {
        let due = self.exemplar.is_none() && self.series.trace_exemplar_due(|| self.trace_clock());
        if due && trace.sampled() {
            self.trace = Some(Box::new(trace));
        }
        self
    }

    /// The trace exemplars' sampler clock at the request's start (no clock is read).
    fn trace_clock(&self) -> u64 {
        crate::trace::sampler_clock(self.start)
    }

    /// Records the request as completed with `status`, its duration measured from
    /// [`HttpMetrics::start`](super::HttpMetrics::start) to now, and the response body size if known.
    pub fn finish(mut self, status: u16, response_size: Option<u64>) {
        if self.excluded {
            self.leave_in_flight();
            return;
        }
        let elapsed_seconds = self.start.elapsed_seconds();
        let exemplar: Option<Vec<(&str, &str)>> = self.exemplar.as_ref().map(|pairs| {
            pairs
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect()
        });
        // A trace exemplar's labels are written on the stack (the ids in hex).
        let trace = self.trace.take().filter(|_| {
            exemplar.is_none() && self.series.admit_trace_exemplar(|| self.trace_clock())
        });
        let record = |exemplar: Option<&[(&str, &str)]>| {
            self.series.record(&Outcome {
                status,
                elapsed_seconds,
                request_size: self.request_size,
                response_size,
                exemplar,
            });
        };
        match &trace {
            Some(trace) => crate::trace::with_trace_labels(trace, |labels| record(Some(labels))),
            None => record(exemplar.as_deref()),
        }
        self.leave_in_flight();
    }

    /// The route label value this request is recorded under.
    pub fn route(&self) -> &str {
        &self.series.route
    }

    /// Sets the route the request is recorded under, for frameworks that route inside
    /// the service a middleware wraps (actix-web): started without a route, the request
    /// is counted in flight at once (that gauge has no route label), and its route is
    /// set once routing is done. `None`: no route matched. A route excluded with
    /// [`exclude_route`](super::HttpMetricsBuilder::exclude_route) leaves the request
    /// unrecorded: finishing it only takes it out of the in-flight gauge.
    pub fn set_route(&mut self, route: Option<&str>) {
        // The table is gone only if the metrics are: the request stays as it started.
        let Some(table) = self.series.table.upgrade() else {
            return;
        };
        if route.is_some_and(|route| table.is_excluded_route(route)) {
            self.excluded = true;
            return;
        }
        let route = route.unwrap_or(table.unmatched_route());
        if *self.series.route != *route {
            self.series = table.series(self.series.method, route, &self.series.extra);
        }
    }

    fn leave_in_flight(&mut self) {
        if std::mem::take(&mut self.in_flight) {
            if let Some(gauge) = &self.series.in_flight {
                gauge.dec();
            }
        }
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

    /// Sets the route the request is recorded under (see
    /// [`RequestTracker::set_route`]).
    pub fn set_route(&mut self, route: Option<&str>) {
        if let Some(tracker) = &mut self.tracker {
            tracker.set_route(route);
        }
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
        self.leave_in_flight();
    }
}

/// What the middleware knows about a request when it arrives.
#[derive(Clone, Copy, Debug)]
pub struct RequestInfo<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The matched route template (`/users/{id}`), or `None` if no route matched.
    pub route: Option<&'a str>,
    /// The request path, for exclusion only (never a label).
    pub path: &'a str,
    /// The request body size, if known (`Content-Length`).
    pub request_size: Option<u64>,
}
