//! The framework-neutral HTTP layer shared by the framework adapters and the standalone
//! server: everything about serving metrics and recording request metrics that is not
//! framework glue lives here once, so every entry point behaves and names things alike.
//!
//! - [`MetricsHandler`] answers a scrape: content negotiation, gzip, `HEAD`, `405` for
//!   other methods, a limit on concurrent scrapes (`503` beyond it), and metrics about
//!   its own scrapes.
//! - [`HttpMetrics`] is the request-metric set the middlewares record into: request
//!   count, duration and in-flight requests by method, route template and status, in the
//!   classic or the OpenTelemetry naming scheme.
//! - [`MiddlewareCore`] and [`TrackedFuture`] are a middleware's framework-neutral
//!   part: the user's hooks, the tracker started with its exemplar, the tracker handed
//!   to the response body ([`ResponseRecorder`]); an adapter adds only its glue
//!   ([`ResponseGlue`]).
//!
//! - [`GrpcMetrics`] is the gRPC call-metric set (go-grpc-middleware's names, or the
//!   OpenTelemetry RPC ones) with its vocabulary — [`GrpcCode`], [`GrpcType`],
//!   [`GrpcMethods`] — and the per-call [`GrpcCallTracker`] and [`GrpcFrameCounter`] the
//!   gRPC adapters drive.
//!
//! - [`HttpClientMetrics`] records the application's own outgoing requests (by method,
//!   `server_address` and status or error cause); with the `http-client` feature,
//!   [`HttpClientLayer`] records them around any tower HTTP client.
//!
//! Types here speak plain strings and numbers, not any framework's request types.

mod accept_encoding;
mod client;
mod grpc;
mod hooks;
mod middleware;
mod requests;
mod scope;
mod scrape;

pub use client::{
    ClientErrorCause, ClientRequestTracker, HttpClientMetrics, HttpClientMetricsBuilder,
    UNKNOWN_SERVER,
};
#[cfg(feature = "http-client")]
pub use client::{HttpClientFuture, HttpClientLayer, HttpClientService, RequestTimedOut};
pub use grpc::{
    GrpcCallLabels, GrpcCallTracker, GrpcCode, GrpcFrameCounter, GrpcMessageCounter, GrpcMethod,
    GrpcMethods, GrpcMetrics, GrpcMetricsBuilder, GrpcSide, GrpcType, UNKNOWN_GRPC,
    parse_grpc_timeout,
};
pub use middleware::{MiddlewareCore, ResponseGlue, TrackedFuture};
pub use requests::{
    HttpMetrics, HttpMetricsBuilder, NamingScheme, OTHER_METHOD, RequestInfo, RequestTracker,
    ResponseRecorder, UNMATCHED_ROUTE,
};
pub use scrape::{
    DEFAULT_MAX_CONCURRENT_SCRAPES, MetricsHandler, MetricsHandlerBuilder, OwnedScrapeRequest,
    ScrapeBody, ScrapeErrorPolicy, ScrapeRequest, ScrapeResponse, parse_scrape_timeout,
};
