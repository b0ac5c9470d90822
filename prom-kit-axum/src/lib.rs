//! [axum] adapter for [prom-kit](prom_kit).
//!
//! - [`MetricsEndpoint`] serves a registry wherever it is mounted (usually `/metrics`),
//!   with content negotiation, gzip, `HEAD`, `405` and a concurrent-scrape limit, so the
//!   router's own authentication, TLS and middleware apply to it.
//! - [`MetricsLayer`] records request count and duration labelled by method, the matched
//!   route template ([`MatchedPath`](axum::extract::MatchedPath), never the raw path) and
//!   status, and in-flight requests by method.
//!
//! - `app_server` (feature `server`) serves the router through prom-kit's server, with
//!   the header-read and idle timeouts, connection limit and bounded graceful shutdown
//!   that `axum::serve` leaves out.
//!
//! All behaviour and every metric name comes from [`prom_kit::http`], shared with the
//! actix-web adapter, so both export the same series.
//!
//! ```
//! use axum::{routing::get, Router};
//! use prom_kit::http::HttpMetrics;
//! use prom_kit::scrape::MetricsHandler;
//! use prom_kit::Registry;
//! use prom_kit_axum::{MetricsEndpoint, MetricsLayer};
//!
//! let registry = Registry::new();
//! let metrics = HttpMetrics::builder().exclude_path("/metrics").build(&registry)?;
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "a user" }))
//!     .route_service("/metrics", MetricsEndpoint::new(MetricsHandler::new(&registry)?))
//!     .layer(MetricsLayer::new(metrics));
//! # Ok::<(), prom_kit::Error>(())
//! ```
//!
//! **Duration** is measured from the moment the request reaches the layer until its
//! response body has been streamed to the end (or dropped), so slow or streaming bodies
//! count in full. A request whose handler future is dropped before a response exists (the
//! client disconnected) leaves the in-flight gauge and is not counted as a request.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod endpoint;
mod future;
mod layer;
#[cfg(feature = "server")]
mod server;

pub use body::MetricsBody;
pub use endpoint::{MetricsEndpoint, ScrapeFuture};
pub use future::ResponseFuture;
pub use layer::{MetricsLayer, MetricsService};
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub use server::app_server;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
