//! [`GrpcCallTracker`]: one gRPC call on its way, recorded when it finishes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::series::MethodSeries;
use super::{GrpcCallLabels, GrpcCode, GrpcFrameCounter, GrpcSide};
use crate::Counter;
use crate::stopwatch::Stopwatch;
use crate::trace::TraceParent;

/// One call in progress: count its messages with [`received`](Self::received) and
/// [`sent`](Self::sent) as they pass, and [`finish`](Self::finish) it with its status.
/// Dropped unfinished — the client cancelled, the connection reset, the handler
/// panicked — it is recorded as [`Canceled`](GrpcCode::Canceled), the code its client
/// sees: a call is never lost. A server's call whose request body the client cut short
/// (see [`GrpcMessageCounter::cut`]) is recorded `Canceled` too, whatever status the
/// handler then made of the broken body.
#[derive(Debug)]
pub struct GrpcCallTracker {
    pub(super) series: Arc<MethodSeries>,
    pub(super) side: GrpcSide,
    pub(super) start: Stopwatch,
    pub(super) received: Option<Counter>,
    pub(super) sent: Option<Counter>,
    pub(super) exemplar: Option<Vec<(String, String)>>,
    /// The call's sampled trace, for a trace exemplar (boxed: most trackers have none,
    /// and a tracker is moved several times per call).
    pub(super) trace: Option<Box<TraceParent>>,
    /// The call's deadline, from its start.
    pub(super) timeout: Option<Duration>,
    /// Set when the client cut the request body short (a server's calls only).
    pub(super) request_cut: Option<Arc<AtomicBool>>,
    pub(super) finished: bool,
}

/// How early a cancellation may come and still be the deadline's doing: the framework's
/// timer started a moment before the tracker, and timers fire on millisecond ticks.
const DEADLINE_SLACK: Duration = Duration::from_millis(10);

impl GrpcCallTracker {
    /// Attaches exemplar labels (a trace id, say) to the call's `handled` count and
    /// duration observation. Labels an exemplar cannot hold are dropped; the call is
    /// still recorded.
    #[must_use]
    pub fn with_exemplar(mut self, labels: Vec<(String, String)>) -> Self {
        self.exemplar = Some(labels);
        self
    }

    /// Attaches the call's trace, read from its W3C `traceparent` header (the closure
    /// reads it, only when needed), as the exemplar of its `handled` count and duration —
    /// with [`trace_exemplars`](super::GrpcMetricsBuilder::trace_exemplars) on, a
    /// sampled trace, no exemplar set with [`with_exemplar`](Self::with_exemplar), and
    /// the method due one (see the builder). A missing or invalid header is ignored.
    #[must_use]
    pub fn with_traceparent<'h>(mut self, header: impl FnOnce() -> Option<&'h [u8]>) -> Self {
        let due = self.exemplar.is_none() && self.series.trace_exemplar_due(|| self.trace_clock());
        if let Some(trace) = crate::trace::header_trace(due, header) {
            self.trace = Some(Box::new(trace));
        }
        self
    }

    /// Attaches a trace as [`with_traceparent`](Self::with_traceparent) does, from a
    /// trace context known otherwise (an OpenTelemetry span's).
    #[must_use]
    pub fn with_trace(mut self, trace: TraceParent) -> Self {
        let due = self.exemplar.is_none() && self.series.trace_exemplar_due(|| self.trace_clock());
        if due && trace.sampled() {
            self.trace = Some(Box::new(trace));
        }
        self
    }

    /// The trace exemplars' sampler clock at the call's start (no clock is read).
    fn trace_clock(&self) -> u64 {
        crate::trace::sampler_clock(self.start)
    }

    /// Sets the call's deadline (from its `grpc-timeout` header, see
    /// [`parse_grpc_timeout`](crate::adapter::parse_grpc_timeout)), counted from the call's start:
    /// a call cancelled at its deadline (within 10 ms) is recorded as
    /// [`DeadlineExceeded`](GrpcCode::DeadlineExceeded), the code a Go client or server
    /// gives it — tonic's server answers it `Cancelled`, and its client surfaces that.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The labels the call is recorded under.
    pub fn call(&self) -> &GrpcCallLabels {
        &self.series.call
    }

    /// A counter of the messages in the request body — received by a server, sent by a
    /// client — to feed the body's bytes as they pass (the request body usually
    /// streams on while the response is under way, so it gets its own handle). On a
    /// server it also hears how the body ends ([`ended`](GrpcMessageCounter::ended),
    /// [`cut`](GrpcMessageCounter::cut)).
    pub fn request_messages(&self) -> GrpcMessageCounter {
        let counter = match self.side {
            GrpcSide::Server => &self.received,
            GrpcSide::Client => &self.sent,
        };
        GrpcMessageCounter {
            counter: counter.clone(),
            frames: GrpcFrameCounter::new(),
            cut: self.request_cut.clone(),
        }
    }

    /// A counter of the messages in the response body — sent by a server, received by
    /// a client.
    pub fn response_messages(&self) -> GrpcMessageCounter {
        let counter = match self.side {
            GrpcSide::Server => &self.sent,
            GrpcSide::Client => &self.received,
        };
        GrpcMessageCounter {
            counter: counter.clone(),
            frames: GrpcFrameCounter::new(),
            cut: None,
        }
    }

    /// Counts `messages` more received (by the server: requests; by the client:
    /// responses).
    pub fn received(&self, messages: u64) {
        if let (Some(counter), 1..) = (&self.received, messages) {
            counter.inc_by(messages);
        }
    }

    /// Counts `messages` more sent.
    pub fn sent(&self, messages: u64) {
        if let (Some(counter), 1..) = (&self.sent, messages) {
            counter.inc_by(messages);
        }
    }

    /// Records the call as handled with `code`, its duration measured from
    /// [`GrpcMetrics::start`](super::GrpcMetrics::start) to now — as `Canceled` instead
    /// if the client cut its request body short (see [`GrpcMessageCounter::cut`]).
    pub fn finish(mut self, code: GrpcCode) {
        self.record(code);
    }

    fn record(&mut self, code: GrpcCode) {
        if self.finished {
            return;
        }
        self.finished = true;
        let elapsed = self.start.elapsed();
        // The client gave up on the call: whatever the server made of the broken request
        // body (tonic: `Internal`, `Unknown`) never reached it.
        let code = if self
            .request_cut
            .as_ref()
            .is_some_and(|cut| cut.load(Ordering::Acquire))
        {
            GrpcCode::Canceled
        } else {
            code
        };
        let code = match self.timeout {
            Some(timeout)
                if code == GrpcCode::Canceled
                    && elapsed.saturating_add(DEADLINE_SLACK) >= timeout =>
            {
                GrpcCode::DeadlineExceeded
            }
            _ => code,
        };
        let elapsed = elapsed.as_secs_f64();
        let exemplar: Option<Vec<(&str, &str)>> = self.exemplar.as_ref().map(|pairs| {
            pairs
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect()
        });
        let trace = self.trace.take().filter(|_| {
            exemplar.is_none() && self.series.admit_trace_exemplar(|| self.trace_clock())
        });
        match &trace {
            Some(trace) => {
                crate::trace::with_trace_labels(trace, |labels| {
                    self.count_and_observe(code, elapsed, Some(labels));
                });
            }
            None => self.count_and_observe(code, elapsed, exemplar.as_deref()),
        }
    }

    /// Counts the call handled with `code` and observes its duration, with `exemplar`
    /// where an exemplar can hold it.
    fn count_and_observe(&self, code: GrpcCode, elapsed: f64, exemplar: Option<&[(&str, &str)]>) {
        if let Some(counter) = self.series.handled(code) {
            let recorded =
                exemplar.is_some_and(|labels| counter.inc_by_with_exemplar(1, labels).is_ok());
            if !recorded {
                counter.inc();
            }
        }
        if let Some(histogram) = self.series.duration(code) {
            let recorded = exemplar
                .is_some_and(|labels| histogram.observe_with_exemplar(elapsed, labels).is_ok());
            if !recorded {
                histogram.observe(elapsed);
            }
        }
    }
}

/// Counts the messages of one body of a call into its `msg_received` or `msg_sent`
/// series, fed the body's data chunks (see [`GrpcFrameCounter`]); a server's request
/// body also tells its call how it ended ([`ended`](Self::ended), [`cut`](Self::cut)).
#[derive(Debug)]
pub struct GrpcMessageCounter {
    counter: Option<Counter>,
    frames: GrpcFrameCounter,
    /// The call's flag for a request body cut short: a server's request body only.
    cut: Option<Arc<AtomicBool>>,
}

impl GrpcMessageCounter {
    /// Feeds the next chunk of the body; the messages it completes are counted.
    pub fn feed(&mut self, chunk: &[u8]) {
        let completed = self.frames.feed(chunk);
        if let (Some(counter), 1..) = (&self.counter, completed) {
            counter.inc_by(completed);
        }
    }

    /// Messages this body has completed so far.
    pub fn messages(&self) -> u64 {
        self.frames.messages()
    }

    /// The body's transport reports its end. A body that ends inside a message was cut
    /// short — no gRPC peer ends a stream there; an HTTP/2 server reads a client's
    /// `RST_STREAM(NO_ERROR)` this way — as by [`cut`](Self::cut).
    pub fn ended(&self) {
        if !self.frames.at_boundary() {
            self.cut();
        }
    }

    /// The body was cut short by its peer: the stream reset (`RST_STREAM`, whatever its
    /// reason), the connection closed or lost. On a server's request body the client has
    /// abandoned the call, which is then recorded [`Canceled`](GrpcCode::Canceled)
    /// ([`DeadlineExceeded`](GrpcCode::DeadlineExceeded) at its deadline) whatever status
    /// the handler makes of the broken body — it reaches no one. A handler that fails on
    /// its own before that keeps its status.
    ///
    /// Call it only for the peer's doing, not for the server's own limits or timeouts on
    /// the body, whose status the client does see. On any other body (a response body,
    /// a client's own request body) it does nothing: the call's status says how it
    /// ended.
    ///
    /// ```
    /// use prom_kit::grpc::{GrpcCode, GrpcMetrics};
    /// use prom_kit::Registry;
    ///
    /// let registry = Registry::new();
    /// let metrics = GrpcMetrics::server().build(&registry)?;
    /// let call = metrics.start("/demo.Uploader/Upload");
    /// let mut request = call.request_messages();
    /// request.feed(&[0, 0, 0, 0, 9, 1, 2]); // the client resets here, mid-message
    /// request.cut();
    /// // The handler's read failed; tonic makes that `Internal` or `Unknown`.
    /// call.finish(GrpcCode::Internal);
    /// let text = registry.encode_text()?;
    /// let handled: Vec<&str> = text.lines().filter(|l| l.starts_with("grpc_server_handled_total{")).collect();
    /// assert_eq!(handled, [
    ///     r#"grpc_server_handled_total{grpc_type="<unknown>",grpc_service="<unknown>",grpc_method="<unknown>",grpc_code="Canceled"} 1"#,
    /// ]);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn cut(&self) {
        if let Some(cut) = &self.cut {
            cut.store(true, Ordering::Release);
        }
    }
}

impl Drop for GrpcCallTracker {
    fn drop(&mut self) {
        self.record(GrpcCode::Canceled);
    }
}
