//! Serving a registry to scrapers: [`MetricsHandler`] answers a scrape request with
//! the exposition its `Accept`, `Accept-Encoding` and `name[]` parameters ask for, for
//! any framework (the axum and actix adapters, the standalone
//! [`server`](crate::server), or your own glue through [`crate::adapter`]).
//!
//! Where things are: the handler (admission, encoding, its own metrics) in
//! `handler.rs`, its settings in `builder.rs`; the one negotiation of a request's
//! headers and query into a plan in `plan.rs` (`Accept` is read by
//! [`encoding::negotiate`](crate::encoding::negotiate), `Accept-Encoding` in
//! `accept_encoding.rs`, `name[]` in `query.rs`); the gzipped body's streaming in
//! `gzip_body.rs`; the response and its body in `response.rs` and `body.rs`; the
//! scrape timeout in `deadline.rs`; async collectors' scrapes in `async_handle.rs`;
//! conversions from and to the `http` crate's types in `http_types.rs`.

mod accept_encoding;
mod async_handle;
pub(crate) mod body;
mod builder;
pub(crate) mod deadline;
mod gzip_body;
mod handler;
mod http_types;
mod plan;
mod query;
pub(crate) mod request;
pub(crate) mod response;
mod slot;

pub use builder::{DEFAULT_MAX_CONCURRENT_SCRAPES, MetricsHandlerBuilder, ScrapeErrorPolicy};
pub use handler::MetricsHandler;

// The adapter authors' part, public through `crate::adapter` only.
use body::ScrapeBody;
use request::{OwnedScrapeRequest, ScrapeRequest};
use response::ScrapeResponse;

#[cfg(test)]
mod tests;
