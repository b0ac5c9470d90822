//! [actix-web](actix_web) adapter for [prom-kit](prom_kit).
//!
//! - [`metrics_resource`] serves a registry at a path (usually `/metrics`) with content
//!   negotiation, gzip, `HEAD`, `405` and a concurrent-scrape limit; [`scrape`] answers
//!   one request, for mounting it some other way (behind a guard, in a scope).
//! - [`RequestMetrics`] is a middleware recording request count and duration labelled by
//!   method, the route pattern (`match_pattern()` of the routed request, never the raw
//!   path) and status, and in-flight requests by method.
//!
//! All behaviour and every metric name comes from [`prom_kit::http`], shared with the
//! axum adapter, so both export the same series.
//!
//! ```
//! use actix_web::{web, App, HttpResponse};
//! use prom_kit::http::HttpMetrics;
//! use prom_kit::scrape::MetricsHandler;
//! use prom_kit::Registry;
//! use prom_kit_actix::{metrics_resource, RequestMetrics};
//!
//! let registry = Registry::new();
//! let metrics = HttpMetrics::builder().exclude_path("/metrics").build(&registry)?;
//! let handler = MetricsHandler::new(&registry)?;
//! let app = App::new()
//!     .wrap(RequestMetrics::new(metrics))
//!     .service(metrics_resource("/metrics", handler))
//!     .route("/users/{id}", web::get().to(|| async { HttpResponse::Ok().body("a user") }));
//! # Ok::<(), prom_kit::Error>(())
//! ```
//!
//! **Duration** is measured from the moment the request reaches the middleware until
//! its response body has been streamed to the end (or dropped). A request whose inner
//! service returns an `Err` is recorded with the error's real status code. A request
//! whose future is dropped before a response exists (the client disconnected) leaves the
//! in-flight gauge and is not counted as a request.

mod body;
mod endpoint;
mod middleware;

pub use body::MetricsBody;
pub use endpoint::{metrics_resource, scrape, scrape_off_worker};
pub use middleware::{RequestMetrics, RequestMetricsFuture, RequestMetricsMiddleware};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
