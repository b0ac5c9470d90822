//! The adapter conformance suite: one set of cases, over real sockets on 127.0.0.1, that
//! every framework adapter (axum, actix-web) must pass alike.
//!
//! The suite describes a standard app ([`AppSpec`]: a registry, the request metrics with a
//! `tenant` label and a `trace_id` exemplar, the metrics endpoint and a few routes with
//! [`handlers`] of known behaviour); an adapter's test crate implements [`Adapter`],
//! the framework glue that serves that app, and expands [`conformance_suite!`] to get one
//! `#[test]` per case (the shape of `prom-kit-axum/tests/conformance.rs`, which compiles
//! it for real):
//!
//! ```text
//! struct Axum;
//!
//! impl Adapter for Axum {
//!     const NAME: &'static str = "axum";
//!     const FRAMEWORK: Framework = Framework {
//!         unrouted_method: 405,
//!         head_runs_get: true,
//!         cancels_on_disconnect: true,
//!         graceful_stop_may_drop_requests: false,
//!     };
//!     fn start(app: AppSpec) -> RunningApp {
//!         RunningApp::serve(move |listener, stop| { /* serve `app` until `stop` */ })
//!     }
//! }
//!
//! prom_kit_test_support::conformance_suite!(Axum);
//! ```
//!
//! The cases are plain blocking functions in [`cases`]; a client is a minimal HTTP/1.1
//! client over `std::net::TcpStream` with timeouts ([`client`]), and what the server
//! recorded is read from the registry with a strict exposition parser ([`samples`]).
//!
//! [`conformance_suite!`]: crate::conformance_suite

mod app;
pub mod cases;
pub mod client;
pub mod handlers;
pub mod samples;
mod server;
mod suite;

pub use app::{
    AppSpec, Framework, Gate, PANICKING_HOOK, Runtime, TENANT_HEADER, TRACE_HEADER, exemplar,
    tenant,
};
pub use server::{RunningApp, Stop, StopSignal};

/// A framework adapter under the suite: how the framework serves the standard app.
pub trait Adapter {
    /// The framework's name, in the figures the cases print.
    const NAME: &'static str;
    /// What the framework does on its own where frameworks differ.
    const FRAMEWORK: Framework;

    /// Serves `app` on a thread of its own (see [`RunningApp::serve`]), with the
    /// concurrency `app.runtime` asks for.
    fn start(app: AppSpec) -> RunningApp;
}
