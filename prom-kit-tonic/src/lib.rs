//! [tonic] adapter for [prom-kit](prom_kit): gRPC call metrics for servers and
//! clients, named and labelled as go-grpc-middleware's Prometheus provider names them —
//! the names every gRPC dashboard and alert is written for.
//!
//! [`GrpcMetricsLayer`] is one tower layer for both ends: around a tonic server with
//! [`GrpcMetrics::server`](prom_kit::grpc::GrpcMetrics::server) metrics, around a
//! client's `Channel` with [`GrpcMetrics::client`](prom_kit::grpc::GrpcMetrics::client)
//! ones. It records
//!
//! - `grpc_server_started_total` and `grpc_server_handled_total{grpc_code}` (the code
//!   from the `grpc-status` trailer, or the headers of a trailers-only response; a
//!   stream that ends without a status is `Unknown`, a cancelled or reset call
//!   `Canceled` — on a server also one whose request the client cut short (a reset
//!   stream, a closed connection), whatever the handler made of the broken request —
//!   one cancelled at its `grpc-timeout` deadline `DeadlineExceeded`; no call is lost);
//! - `grpc_server_msg_received_total` and `grpc_server_msg_sent_total`, counted per
//!   gRPC message in both directions as the bodies stream;
//! - optionally `grpc_server_handling_seconds` (classic and/or native buckets), from the
//!   request's arrival to the end of the response;
//!
//! labelled `grpc_type`, `grpc_service`, `grpc_method` (and `grpc_code`). Client metrics
//! are the same with `grpc_client_`. The OpenTelemetry RPC names are an option
//! ([`GrpcMetricsBuilder::naming`](prom_kit::grpc::GrpcMetricsBuilder::naming)).
//!
//! gRPC's wire format does not say whether a call streams, so the layer learns each
//! method's kind from a [`GrpcMethods`](prom_kit::grpc::GrpcMethods) table (written
//! out, or read from the service's descriptors with the `descriptors` feature); a path
//! the table does not hold is recorded under `<unknown>`, so clients sending made-up
//! paths cannot create series.
//!
//! ```no_run
//! use prom_kit::grpc::{GrpcMethods, GrpcMetrics, GrpcType};
//! use prom_kit::{Buckets, Registry};
//! use prom_kit_tonic::GrpcMetricsLayer;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Registry::new();
//! let methods = GrpcMethods::new().service("demo.Greeter", [("SayHello", GrpcType::Unary)]);
//! let metrics = GrpcMetrics::server().methods(methods).duration_histogram(Buckets::DEFAULT).build(&registry)?;
//! tonic::transport::Server::builder()
//!     .layer(GrpcMetricsLayer::new(metrics))
//!     // .add_service(GreeterServer::new(MyGreeter))
//! #   .add_routes(tonic::service::Routes::default())
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod body;
#[cfg(feature = "descriptors")]
mod descriptors;
mod future;
mod layer;
mod status;

pub use body::{RequestBody, ResponseBody};
#[cfg(feature = "descriptors")]
pub use descriptors::{DescriptorError, methods_from_descriptor_set};
pub use future::ResponseFuture;
pub use layer::{GrpcMetricsLayer, GrpcMetricsService};
pub use status::BoxError;
