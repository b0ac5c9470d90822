//! The adapter authors' API: what the framework adapters (`prom-kit-axum`,
//! `prom-kit-actix`, `prom-kit-tonic`) and the standalone server are built from, for
//! wiring prom-kit into another framework. An application using one of those adapters
//! needs nothing here.
//!
//! - Serving scrapes (feature `scrape`): a [`ScrapeRequest`] (or an
//!   [`OwnedScrapeRequest`] to move to another thread) read from the framework's
//!   request goes to [`MetricsHandler::handle`](crate::scrape::MetricsHandler::handle),
//!   whose [`ScrapeResponse`] (its body a [`ScrapeBody`]) the glue turns into the
//!   framework's response; [`parse_scrape_timeout`] reads Prometheus' timeout header.
//! - Recording HTTP requests (feature `http`): [`MiddlewareCore`] runs the user's hooks
//!   and starts a [`RequestTracker`] from a [`RequestInfo`];
//!   [`TrackedFuture`] hands the tracker to the response, whose body the glue
//!   ([`ResponseGlue`]) wraps around a [`ResponseRecorder`].
//! - Recording gRPC calls (feature `grpc`): a [`GrpcCallTracker`] per call from
//!   [`GrpcMetrics::start`](crate::grpc::GrpcMetrics::start), fed by a
//!   [`GrpcFrameCounter`] or [`GrpcMessageCounter`] on each body;
//!   [`parse_grpc_timeout`] reads `grpc-timeout`.

#[cfg(feature = "http")]
mod middleware;

#[cfg(feature = "grpc")]
pub use crate::grpc::frames::GrpcFrameCounter;
#[cfg(feature = "grpc")]
pub use crate::grpc::methods::GrpcCallLabels;
#[cfg(feature = "grpc")]
pub use crate::grpc::timeout::parse_grpc_timeout;
#[cfg(feature = "grpc")]
pub use crate::grpc::tracker::{GrpcCallTracker, GrpcMessageCounter};
#[cfg(feature = "http")]
pub use crate::http::tracker::{RequestInfo, RequestTracker, ResponseRecorder};
#[cfg(feature = "scrape")]
pub use crate::scrape::body::ScrapeBody;
#[cfg(feature = "scrape")]
pub use crate::scrape::deadline::parse_scrape_timeout;
#[cfg(feature = "scrape")]
pub use crate::scrape::request::{OwnedScrapeRequest, ScrapeRequest};
#[cfg(feature = "scrape")]
pub use crate::scrape::response::ScrapeResponse;
#[cfg(feature = "http")]
pub use middleware::{MiddlewareCore, ResponseGlue, TrackedFuture};
