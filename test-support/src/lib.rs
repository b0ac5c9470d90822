//! What the test suites of the prom-kit workspace share: finding the real tools they are
//! judged by (required in CI, skipped with a printed reason elsewhere), running them, and
//! reading their verdicts; and, with the `conformance` feature, the one conformance suite
//! every framework adapter runs; with the `grpc` feature, a gRPC echo service to call;
//! with the `invariants` feature, the invariant harness every concurrent family runs
//! through, and a decoder of protobuf scrapes.

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod exposition;
#[cfg(feature = "grpc")]
pub mod grpc;
#[cfg(feature = "invariants")]
pub mod invariants;
#[cfg(feature = "invariants")]
pub mod proto;
pub mod stall;
pub mod tools;

pub use exposition::{
    ParsedFamily, ParsedSample, find_sample, promtool_check, python_parse, same_value,
};
pub use stall::worst_lateness;
pub use tools::{
    REQUIRE_TOOLS_VAR, missing, promtool, python, python_with, run_with_stdin, tool, which,
};
