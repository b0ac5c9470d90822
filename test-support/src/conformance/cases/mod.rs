//! The cases of the conformance suite: each a blocking function generic over the
//! [`Adapter`](super::Adapter) that starts the standard app on the given
//! [`Runtime`](super::Runtime), drives it over real sockets and panics on a failed
//! check. [`conformance_suite!`](crate::conformance_suite) makes a `#[test]` of each.
//!
//! The test harness runs the cases of a test binary in parallel. The cases that load the
//! machine (a flood, a storm) or measure time closely (lateness, a shutdown's length) run
//! alone, each holding the machine exclusively; the others share it.

mod deadline;
mod endpoint;
mod exemplars;
mod flood;
mod hooks;
mod labels;
mod lifecycle;
mod storm;

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use deadline::async_collectors_meet_the_scrape_deadline;
pub use endpoint::{
    large_scrapes_do_not_stall_the_server,
    metrics_endpoint_negotiates_compresses_and_restricts_methods,
    metrics_endpoint_negotiates_utf8_names_and_filters_by_name,
};
pub use exemplars::{
    exemplar_hook_attaches_trace_ids,
    exemplar_hook_with_control_characters_counts_without_exemplar,
    traceparent_headers_become_exemplars,
};
pub use flood::unmatched_request_flood_keeps_series_and_memory_bounded;
pub use hooks::panicking_hooks_cost_only_their_output;
pub use labels::{
    case_variant_methods_are_labelled_other, requests_are_labelled_by_route_and_status,
};
pub use lifecycle::{
    cancelled_requests_leave_the_in_flight_gauge, duration_includes_the_streamed_body,
    graceful_shutdown_completes_requests_in_flight,
};
pub use storm::{
    a_stalled_reader_holds_its_scrape_slot,
    scrape_storm_is_limited_and_leaves_other_routes_responsive,
};

/// The machine the cases of one test binary share.
static MACHINE: RwLock<()> = RwLock::new(());

/// Holds the machine for a case that loads it or measures time closely: no other case
/// runs meanwhile.
fn exclusive() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(PoisonError::into_inner)
}

/// Holds the machine for a light case: other light cases may run meanwhile, exclusive
/// ones wait.
fn shared() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(PoisonError::into_inner)
}
