//! The application's hooks are user code: a panic there costs what the hook would have
//! added, never the request.

use super::shared;
use crate::conformance::client::request;
use crate::conformance::handlers::USER;
use crate::conformance::samples::{RECORD_LIMIT, poll, total};
use crate::conformance::{Adapter, AppSpec, PANICKING_HOOK, Runtime, TENANT_HEADER, TRACE_HEADER};

/// A request whose extra-labels hook panics is answered and recorded with an empty
/// `tenant` (its exemplar kept); one whose exemplar hook panics is answered and recorded
/// without an exemplar; each panic is counted in `prom_kit_hook_errors_total{hook}`,
/// and the server goes on serving.
///
/// # Panics
///
/// When a check fails.
pub fn panicking_hooks_cost_only_their_output<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let spec = AppSpec::new(runtime);
    let registry = spec.registry.clone();
    let app = A::start(spec);
    let addr = app.addr();
    for headers in [
        [(TENANT_HEADER, PANICKING_HOOK), (TRACE_HEADER, "abc123")],
        [(TENANT_HEADER, "acme"), (TRACE_HEADER, PANICKING_HOOK)],
        [(TENANT_HEADER, "acme"), (TRACE_HEADER, "def456")],
    ] {
        let response = request(addr, "GET", "/users/1", &headers).unwrap();
        assert_eq!(response.status, 200, "{headers:?}");
        assert_eq!(response.body, USER.as_bytes(), "{headers:?}");
    }
    poll(&registry, RECORD_LIMIT, |samples| {
        total(samples, "http_requests_total") >= 3.0
    });
    let om = String::from_utf8(registry.render(prom_kit::Format::OpenMetrics).unwrap()).unwrap();
    for expected in [
        "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\",tenant=\"\"} 1 # {trace_id=\"abc123\"} 1 ",
        "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\",tenant=\"acme\"} 2 # {trace_id=\"def456\"} 1 ",
        "\nprom_kit_hook_errors_total{hook=\"extra_labels\"} 1\n",
        "\nprom_kit_hook_errors_total{hook=\"exemplar\"} 1\n",
    ] {
        assert!(om.contains(expected), "no {expected:?} in\n{om}");
    }
}
