//! The framework-neutral part of gRPC call metrics, shared by the gRPC adapters: status
//! codes as go-grpc-middleware's Prometheus provider names them ([`GrpcCode`]), the
//! four kinds of call ([`GrpcType`]), the table of methods recorded by name
//! ([`GrpcMethods`], unknown paths folded into [`UNKNOWN_GRPC`]), the metric set
//! ([`GrpcMetrics`]) and its per-call tracker ([`GrpcCallTracker`]), and the message
//! counter an adapter feeds the body bytes ([`GrpcFrameCounter`]), and the
//! `grpc-timeout` header's reader ([`parse_grpc_timeout`]).

mod code;
mod families;
mod frames;
mod method;
mod methods;
mod metrics;
mod naming;
mod series;
mod timeout;
mod tracker;

pub use code::GrpcCode;
pub use frames::GrpcFrameCounter;
pub use method::{GrpcMethod, GrpcType, UNKNOWN_GRPC};
pub use methods::{GrpcCallLabels, GrpcMethods};
pub use metrics::{GrpcMetrics, GrpcMetricsBuilder};
pub use naming::GrpcSide;
pub use timeout::parse_grpc_timeout;
pub use tracker::{GrpcCallTracker, GrpcMessageCounter};

#[cfg(test)]
mod tests;
