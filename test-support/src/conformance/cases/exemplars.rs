//! Exemplars from the adapter's exemplar hook.

use super::shared;
use crate::conformance::client::request;
use crate::conformance::samples::{RECORD_LIMIT, poll, total};
use crate::conformance::{Adapter, AppSpec, Runtime, TRACE_HEADER};

/// Sends `GET /users/{n}` with each trace header of `traces` (none for `None`) and
/// returns the OpenMetrics exposition once all are counted.
fn record<A: Adapter>(runtime: Runtime, traces: &[Option<&str>]) -> (String, String) {
    record_with::<A>(runtime, TRACE_HEADER, traces)
}

/// As [`record`], the values sent in the header `header`.
fn record_with<A: Adapter>(
    runtime: Runtime,
    header: &'static str,
    traces: &[Option<&str>],
) -> (String, String) {
    let spec = AppSpec::new(runtime);
    let registry = spec.registry.clone();
    let app = A::start(spec);
    for (n, trace) in traces.iter().enumerate() {
        let headers: Vec<_> = trace.iter().map(|t| (header, *t)).collect();
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

/// Asserts that the OpenMetrics request counter line of `GET /users/{id}` (status 200,
/// tenant `none`) goes on, after its labels, as `rest` (its count and exemplar; the
/// exemplar's timestamp follows).
fn assert_requests_line(om: &str, rest: &str) {
    let line = om
        .lines()
        .find(|l| l.starts_with("http_requests_total{"))
        .unwrap();
    let labels =
        "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\",tenant=\"none\"} ";
    assert!(line.starts_with(&format!("{labels}{rest}")), "{line}");
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
    assert_requests_line(&om, "2 # {trace_id=\"abc123\"} 1 ");
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
    assert_requests_line(&om, "3 # {trace_id=\"ok123\"} 1 ");
}

/// With trace exemplars on, a request's W3C `traceparent` header (sampled, valid)
/// becomes the exemplar of its count and duration; an unsampled or malformed one is
/// ignored (the request still counted), and the sampler keeps the first trace of a
/// series for its interval (the app's: an hour) however many traced requests follow.
///
/// # Panics
///
/// When a check fails.
pub fn traceparent_headers_become_exemplars<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let first = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (om, text) = record_with::<A>(
        runtime,
        "traceparent",
        &[
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
            Some("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            Some(first),
            Some("00-11111111111111111111111111111111-2222222222222222-01"),
            None,
        ],
    );
    assert_requests_line(
        &om,
        "5 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 1 ",
    );
    assert!(!om.contains("1111111111"), "{om}");
    assert!(
        om.lines()
            .any(|l| l.starts_with("http_request_duration_seconds_bucket{")
                && l.contains("# {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"")),
        "{om}"
    );
    assert!(!text.contains("4bf92f35"));
}
