//! The labels of a request's series: route template, normalized method, real status and
//! the extra label.

use prom_kit::http::OTHER_METHOD;

use super::shared;
use crate::conformance::client::{Connection, request};
use crate::conformance::samples::{RECORD_LIMIT, matching, poll, total, value};
use crate::conformance::{Adapter, AppSpec, Runtime, TENANT_HEADER};

/// Requests are labelled by the route template (`/users/{id}`, not the path), the method,
/// the status the handler answered (201, and 400 from a failing handler) and the tenant
/// header; unmatched paths share the `<unmatched>` route; `/metrics` itself is not
/// recorded; the request body size is recorded.
///
/// # Panics
///
/// When a check fails.
pub fn requests_are_labelled_by_route_and_status<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let spec = AppSpec::new(runtime);
    let registry = spec.registry.clone();
    let app = A::start(spec);
    let addr = app.addr();
    for id in 0..20 {
        let response = request(
            addr,
            "GET",
            &format!("/users/{id}"),
            &[(TENANT_HEADER, "acme")],
        );
        assert_eq!(response.unwrap().status, 200);
    }
    let post = Connection::open(addr)
        .and_then(|mut c| c.send_body("POST", "/users/1", &[], b"{}"))
        .unwrap();
    assert_eq!(post.status, 201);
    for n in 0..50 {
        let response = request(addr, "GET", &format!("/no/such/{n}"), &[]).unwrap();
        assert_eq!(response.status, 404);
    }
    let fails = request(addr, "GET", "/fails", &[]).unwrap();
    assert_eq!(fails.status, 400);
    assert_eq!(request(addr, "GET", "/metrics", &[]).unwrap().status, 200);

    poll(&registry, RECORD_LIMIT, |samples| {
        total(samples, "http_requests_total") >= 72.0
    });
    let text = registry.encode_text().unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert_eq!(series.len(), 4, "{text}");
    for line in [
        "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\",tenant=\"acme\"} 20\n",
        "http_requests_total{method=\"POST\",route=\"/users/{id}\",status=\"201\",tenant=\"none\"} 1\n",
        "http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\",tenant=\"none\"} 50\n",
        "http_requests_total{method=\"GET\",route=\"/fails\",status=\"400\",tenant=\"none\"} 1\n",
        "http_request_size_bytes_sum{method=\"POST\",route=\"/users/{id}\",status=\"201\",tenant=\"none\"} 2\n",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    assert!(
        !text.contains("route=\"/metrics\""),
        "the endpoint itself is excluded"
    );
}

/// A request with the method `get` — not `GET`: methods are case-sensitive (RFC 9110
/// §9.1), and the router answers it as a method `/users/{id}` has no handler for (axum
/// 405, actix-web 404: see [`Framework`](crate::conformance::Framework)) — must be labelled
/// `_OTHER`, as the OpenTelemetry convention that `OTHER_METHOD` follows requires (the
/// value "MUST match a known HTTP method name exactly"), so that `method="GET"` series
/// count real `GET`s only.
///
/// A regression test: `normalize_method` used to compare case-insensitively.
///
/// # Panics
///
/// When a check fails.
pub fn case_variant_methods_are_labelled_other<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let spec = AppSpec::new(runtime);
    let registry = spec.registry.clone();
    let app = A::start(spec);
    let response = request(app.addr(), "get", "/users/1", &[]).unwrap();
    let status = A::FRAMEWORK.unrouted_method;
    assert_eq!(response.status, status);
    let samples = poll(&registry, RECORD_LIMIT, |samples| {
        total(samples, "http_requests_total") >= 1.0
    });
    let recorded: Vec<_> = matching(&samples, "http_requests_total", &[]).collect();
    assert_eq!(
        value(
            &samples,
            "http_requests_total",
            &[
                ("method", OTHER_METHOD),
                ("route", "/users/{id}"),
                ("status", &status.to_string()),
                ("tenant", "none"),
            ]
        ),
        Some(1.0),
        "recorded as {recorded:?}"
    );
}
