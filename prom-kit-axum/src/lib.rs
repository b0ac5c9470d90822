//! axum adapter for [prom-kit](prom_kit): a `/metrics` endpoint and a tower layer that
//! records HTTP request metrics by route template.
//!
//! The adapter's content arrives with its own issue; the crate exists now so that the
//! workspace layout is final.

pub use prom_kit;
