//! Exemplars from the adapter's exemplar hook.

use super::shared;
use crate::conformance::client::request;
use crate::conformance::samples::{RECORD_LIMIT, poll, total};
use crate::conformance::{Adapter, AppSpec, Runtime, TRACE_HEADER};

/// Sends `GET /users/{n}` with each trace header of `traces` (none for `None`) and
/// returns the OpenMetrics exposition once all are counted.
fn record<A: Adapter>(runtime: Runtime, traces: &[Option<&str>]) -> (String, String) {
    let spec = AppSpec::new(runtime);
    let registry = spec.registry.clone();
    let app = A::start(spec);
    for (n, trace) in traces.iter().enumerate() {
        let headers: Vec<_> = trace.iter().map(|t| (TRACE_HEADER, *t)).collect();
        let response = request(app.addr(), "GET", &format!("/users/{n}"), &headers).unwrap();
        assert_eq!(response.status, 200);
    }
    poll(&registry, RECORD_LIMIT, |samples| {
        total(samples, "http_requests_total") >= traces.len() as f64
    });
    (
        String::from_utf8(registry.render(prom_kit::Format::OpenMetrics).unwrap()).unwrap(),
        registry.encode_text().unwrap(),
    )
}

/// The first request's `trace_id` becomes the exemplar of the request counter and of the
/// duration bucket it fell in, in OpenMetrics only (the text format has no exemplars).
///
/// # Panics
///
/// When a check fails.
pub fn exemplar_hook_attaches_trace_ids<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let (om, text) = record::<A>(runtime, &[Some("abc123"), None]);
    let line = om
        .lines()
        .find(|l| l.starts_with("http_requests_total{"))
        .unwrap();
    assert!(
        line.starts_with(
            "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\",tenant=\"none\"} 2 # {trace_id=\"abc123\"} 1 "
        ),
        "{line}"
    );
    assert!(
        om.contains("le=\"0.005\"} 2 # {trace_id=\"abc123\"}"),
        "{om}"
    );
    assert!(!text.contains("abc123"));
}

/// Exemplars the hook builds from client-controlled text with a control character (a
/// tab, which HTTP carries as is; a NUL the hook decodes from `%00`) are dropped: the
/// requests are still counted, and the exposition stays free of control characters.
///
/// # Panics
///
/// When a check fails.
pub fn exemplar_hook_with_control_characters_counts_without_exemplar<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let (om, _) = record::<A>(runtime, &[Some("ok123"), Some("ab\tcd"), Some("ab%00cd")]);
    assert!(!om.contains('\0') && !om.contains('\t'), "{om:?}");
    let line = om
        .lines()
        .find(|l| l.starts_with("http_requests_total{"))
        .unwrap();
    assert!(
        line.starts_with(
            "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\",tenant=\"none\"} 3 # {trace_id=\"ok123\"} 1 "
        ),
        "{line}"
    );
}
