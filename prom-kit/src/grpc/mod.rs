//! gRPC call metrics: [`GrpcMetrics`], go-grpc-middleware's Prometheus provider's names
//! (or the OpenTelemetry RPC ones), with their vocabulary — status codes as that
//! provider names them ([`GrpcCode`]), the four kinds of call ([`GrpcType`]), the table of
//! methods recorded by name ([`GrpcMethods`], unknown paths folded into
//! [`UNKNOWN_GRPC`]). The per-call tracker and the message counters the adapters drive
//! are in [`crate::adapter`].

mod code;
mod families;
pub(crate) mod frames;
mod method;
pub(crate) mod methods;
mod metrics;
mod naming;
mod series;
pub(crate) mod timeout;
pub(crate) mod tracker;

pub use crate::instrument::NamingScheme;
pub use code::GrpcCode;
pub use method::{GrpcMethod, GrpcType, UNKNOWN_GRPC};
pub use methods::GrpcMethods;
pub use metrics::{GrpcMetrics, GrpcMetricsBuilder};
pub use naming::GrpcSide;

use frames::GrpcFrameCounter;
use methods::GrpcCallLabels;

#[cfg(test)]
mod tests;
