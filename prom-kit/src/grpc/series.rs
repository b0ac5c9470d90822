//! [`MethodSeries`]: the series of one method, found once and kept, so that a call
//! costs no family lookup.

use std::sync::{Arc, OnceLock};

use super::families::{CallValues, GrpcFamilies, code_value};
use super::{GrpcCallLabels, GrpcCode};
use crate::metrics::Metric;
use crate::trace::TraceSampler;
use crate::{Counter, Family, Histogram};

/// How many status codes there are.
const CODES: usize = 17;

/// The series of one method (or of the unknown bucket) in one
/// [`GrpcMetrics`](super::GrpcMetrics): each looked up in its family the first time a call needs it,
/// then kept. `None` inside a cell: the naming scheme has no such family.
pub(super) struct MethodSeries {
    families: Arc<GrpcFamilies>,
    pub(super) call: Arc<GrpcCallLabels>,
    started: OnceLock<Option<Counter>>,
    received: OnceLock<Option<Counter>>,
    sent: OnceLock<Option<Counter>>,
    duration: OnceLock<Option<Histogram>>,
    handled: [OnceLock<Option<Counter>>; CODES],
    coded_duration: [OnceLock<Option<Histogram>>; CODES],
    /// When this method's series last took a trace exemplar.
    trace_sampler: TraceSampler,
}

impl std::fmt::Debug for MethodSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodSeries")
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

impl MethodSeries {
    pub(super) fn new(families: Arc<GrpcFamilies>, call: Arc<GrpcCallLabels>) -> Self {
        Self {
            families,
            call,
            started: OnceLock::new(),
            received: OnceLock::new(),
            sent: OnceLock::new(),
            duration: OnceLock::new(),
            handled: std::array::from_fn(|_| OnceLock::new()),
            coded_duration: std::array::from_fn(|_| OnceLock::new()),
            trace_sampler: TraceSampler::default(),
        }
    }

    /// The series of an excluded method: every cell holds `None` already, so its calls
    /// are tracked as any other and recorded nowhere.
    pub(super) fn unrecorded(families: Arc<GrpcFamilies>, call: Arc<GrpcCallLabels>) -> Self {
        Self {
            families,
            call,
            started: OnceLock::from(None),
            received: OnceLock::from(None),
            sent: OnceLock::from(None),
            duration: OnceLock::from(None),
            handled: std::array::from_fn(|_| OnceLock::from(None)),
            trace_sampler: TraceSampler::default(),
            coded_duration: std::array::from_fn(|_| OnceLock::from(None)),
        }
    }

    fn uncoded<M: Metric>(
        &self,
        cell: &OnceLock<Option<M>>,
        family: Option<&Family<M>>,
    ) -> Option<M> {
        cell.get_or_init(|| {
            family.and_then(|f| {
                f.labels(&CallValues::new(&self.families, &self.call, None))
                    .ok()
            })
        })
        .clone()
    }

    /// Whether this method's series are due a trace exemplar at `now` (see
    /// [`TraceSampler`]).
    #[inline]
    pub(super) fn trace_exemplar_due(&self, now: impl FnOnce() -> u64) -> bool {
        let interval = self.families.trace_exemplar_interval_ms;
        self.trace_sampler.due(interval, now)
    }

    /// Takes the method's trace exemplar turn at `now`, if it is still due.
    pub(super) fn admit_trace_exemplar(&self, now: impl FnOnce() -> u64) -> bool {
        let interval = self.families.trace_exemplar_interval_ms;
        self.trace_sampler.admit(interval, now)
    }

    pub(super) fn started(&self) -> Option<Counter> {
        self.uncoded(&self.started, self.families.started.as_ref())
    }

    pub(super) fn received(&self) -> Option<Counter> {
        self.uncoded(&self.received, self.families.received.as_ref())
    }

    pub(super) fn sent(&self) -> Option<Counter> {
        self.uncoded(&self.sent, self.families.sent.as_ref())
    }

    /// The `handled` counter of `code`.
    pub(super) fn handled(&self, code: GrpcCode) -> Option<&Counter> {
        let inner = &*self.families;
        let cell = self.handled.get(code.number() as usize)?;
        cell.get_or_init(|| {
            let mut buffer = itoa::Buffer::new();
            let value = code_value(inner, code, &mut buffer);
            inner.handled.as_ref().and_then(|f| {
                f.labels(&CallValues::new(inner, &self.call, Some(value)))
                    .ok()
            })
        })
        .as_ref()
    }

    /// The duration histogram a call ending with `code` is observed in.
    pub(super) fn duration(&self, code: GrpcCode) -> Option<&Histogram> {
        let inner = &*self.families;
        let family = inner.duration.as_ref()?;
        if !inner.duration_has_code {
            return self
                .duration
                .get_or_init(|| {
                    family
                        .labels(&CallValues::new(inner, &self.call, None))
                        .ok()
                })
                .as_ref();
        }
        let cell = self.coded_duration.get(code.number() as usize)?;
        cell.get_or_init(|| {
            let mut buffer = itoa::Buffer::new();
            let value = code_value(inner, code, &mut buffer);
            family
                .labels(&CallValues::new(inner, &self.call, Some(value)))
                .ok()
        })
        .as_ref()
    }
}
