//! actix-web adapter for [prom-kit](prom_kit): a `/metrics` handler and a middleware that
//! records HTTP request metrics by route pattern.
//!
//! The adapter's content arrives with its own issue; the crate exists now so that the
//! workspace layout is final.

pub use prom_kit;
