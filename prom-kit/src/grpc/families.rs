//! [`GrpcFamilies`]: the families of one gRPC metric set, and the label values of a
//! call's series in them.

use super::{GrpcCallLabels, GrpcCode};
use crate::labels::LabelValues;
use crate::{Counter, Family, Histogram};

/// The families of one metric set; `None`: the naming scheme has no such family.
pub(super) struct GrpcFamilies {
    pub(super) started: Option<Family<Counter>>,
    pub(super) handled: Option<Family<Counter>>,
    pub(super) received: Option<Family<Counter>>,
    pub(super) sent: Option<Family<Counter>>,
    pub(super) duration: Option<Family<Histogram>>,
    /// `grpc_type` first (go-grpc-middleware), or `rpc_system="grpc"` (OpenTelemetry).
    pub(super) first_label_is_kind: bool,
    /// Whether the duration carries the code (OpenTelemetry) or not.
    pub(super) duration_has_code: bool,
    /// With trace exemplars on: the least time between two trace exemplars of one
    /// method's series, in milliseconds (see [`crate::trace::TraceSampler`]).
    pub(super) trace_exemplar_interval_ms: Option<u64>,
}

/// The label values of one call series, without allocating: the call's kind (or
/// `grpc`, the OpenTelemetry `rpc_system`), service, method and, for the coded families,
/// the code.
pub(super) struct CallValues<'a> {
    first: &'a str,
    service: &'a str,
    method: &'a str,
    code: Option<&'a str>,
}

impl<'a> CallValues<'a> {
    pub(super) fn new(
        inner: &GrpcFamilies,
        call: &'a GrpcCallLabels,
        code: Option<&'a str>,
    ) -> Self {
        Self {
            first: if inner.first_label_is_kind {
                call.kind()
            } else {
                "grpc"
            },
            service: call.service(),
            method: call.method(),
            code,
        }
    }
}

impl LabelValues for CallValues<'_> {
    fn label_count(&self) -> usize {
        3 + usize::from(self.code.is_some())
    }

    fn label_value(&self, index: usize) -> &str {
        match index {
            0 => self.first,
            1 => self.service,
            2 => self.method,
            _ => self.code.unwrap_or(""),
        }
    }
}

/// The code label's value: the name (go-grpc-middleware) or the number (OpenTelemetry).
pub(super) fn code_value<'b>(
    inner: &GrpcFamilies,
    code: GrpcCode,
    buffer: &'b mut itoa::Buffer,
) -> &'b str {
    if inner.duration_has_code {
        buffer.format(code.number())
    } else {
        code.name()
    }
}
