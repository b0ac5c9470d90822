use std::future::{Future, ready};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use super::ResponseGlue;
use super::*;
use crate::Registry;
use crate::adapter::ResponseRecorder;

/// A framework's request, as its middleware sees it.
struct FakeRequest {
    tenant: &'static str,
    trace: Option<&'static str>,
}

/// A framework whose responses are a status and a body size, and whose errors carry
/// the status they are answered with.
enum FakeGlue {}

impl ResponseGlue<(u16, u64), u16> for FakeGlue {
    type Wrapped = ResponseRecorder;

    fn status(response: &(u16, u64)) -> u16 {
        response.0
    }

    fn error_status(error: &u16) -> u16 {
        *error
    }

    fn wrap(response: (u16, u64), mut recorder: ResponseRecorder) -> ResponseRecorder {
        recorder.add_bytes(response.1);
        recorder
    }
}

fn info(path: &str) -> RequestInfo<'_> {
    RequestInfo {
        method: "GET",
        route: Some("/r"),
        path,
        request_size: None,
    }
}

fn setup() -> (Registry, MiddlewareCore<FakeRequest>, Arc<AtomicUsize>) {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .exclude_path("/metrics")
        .extra_labels(["tenant"])
        .body_sizes(true)
        .build(&registry)
        .unwrap();
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let calls = Arc::clone(&hook_calls);
    let core = MiddlewareCore::new(metrics)
        .extra_labels(move |request: &FakeRequest| {
            calls.fetch_add(1, Ordering::Relaxed);
            assert_ne!(request.tenant, "panic", "a bug in the hook");
            vec![request.tenant.to_owned()]
        })
        .exemplar(|request| {
            assert_ne!(request.trace, Some("panic"), "a bug in the hook");
            request
                .trace
                .map(|trace| vec![("trace_id".to_owned(), trace.to_owned())])
        });
    (registry, core, hook_calls)
}

fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut context = Context::from_waker(Waker::noop());
    pin!(future).poll(&mut context)
}

#[test]
fn hooks_label_the_request_and_attach_its_exemplar() {
    let (registry, core, _) = setup();
    let request = FakeRequest {
        tenant: "acme",
        trace: Some("abc123"),
    };
    let tracker = core.start(&request, &info("/r/1"));
    let Poll::Ready(Ok(recorder)) = poll_once(TrackedFuture::<_, FakeGlue>::new(
        ready(Ok((201, 7))),
        tracker,
    )) else {
        panic!("a ready future completes at once");
    };
    drop(recorder);
    let text = String::from_utf8(registry.render(crate::Format::OpenMetrics).unwrap()).unwrap();
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"/r\",status=\"201\",tenant=\"acme\"} 1 # {trace_id=\"abc123\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "http_response_size_bytes_sum{method=\"GET\",route=\"/r\",status=\"201\",tenant=\"acme\"} 7"
        ),
        "{text}"
    );
}

#[test]
fn excluded_paths_skip_the_hooks() {
    let (registry, core, hook_calls) = setup();
    let request = FakeRequest {
        tenant: "acme",
        trace: None,
    };
    assert!(core.start(&request, &info("/metrics")).is_none());
    assert_eq!(hook_calls.load(Ordering::Relaxed), 0);
    assert!(
        !registry
            .encode_text()
            .unwrap()
            .contains("http_requests_total{")
    );
}

#[test]
fn errors_are_recorded_with_the_framework_status() {
    let (registry, core, _) = setup();
    let request = FakeRequest {
        tenant: "t",
        trace: None,
    };
    let tracker = core.start(&request, &info("/r/2"));
    let outcome = poll_once(TrackedFuture::<_, FakeGlue>::new(
        ready(Err::<(u16, u64), u16>(403)),
        tracker,
    ));
    assert!(matches!(outcome, Poll::Ready(Err(403))));
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"/r\",status=\"403\",tenant=\"t\"} 1\n"
        ),
        "{text}"
    );
    assert!(text.contains("http_requests_in_flight{method=\"GET\",tenant=\"t\"} 0\n"));
}

#[test]
fn a_future_dropped_before_its_response_only_leaves_the_in_flight_gauge() {
    let (registry, core, _) = setup();
    let request = FakeRequest {
        tenant: "t",
        trace: None,
    };
    let tracker = core.start(&request, &info("/r/3"));
    let pending = std::future::pending::<Result<(u16, u64), u16>>();
    let mut future = Box::pin(TrackedFuture::<_, FakeGlue>::new(pending, tracker));
    let mut context = Context::from_waker(Waker::noop());
    assert!(future.as_mut().poll(&mut context).is_pending());
    let text = registry.encode_text().unwrap();
    assert!(text.contains("http_requests_in_flight{method=\"GET\",tenant=\"t\"} 1\n"));
    drop(future);
    let text = registry.encode_text().unwrap();
    assert!(text.contains("http_requests_in_flight{method=\"GET\",tenant=\"t\"} 0\n"));
    assert!(!text.contains("http_requests_total{"), "{text}");
}

/// The hooks are user code: one that panics costs only its output (an empty extra label
/// value, no exemplar); the request is recorded, and the panic counted.
#[test]
fn a_panicking_hook_costs_only_its_output() {
    let (registry, core, _) = setup();
    for (tenant, trace) in [("panic", Some("abc123")), ("acme", Some("panic"))] {
        let tracker = core.start(&FakeRequest { tenant, trace }, &info("/r/4"));
        let outcome = poll_once(TrackedFuture::<_, FakeGlue>::new(
            ready(Ok((200, 1))),
            tracker,
        ));
        let Poll::Ready(Ok(recorder)) = outcome else {
            panic!("a ready future completes at once");
        };
        drop(recorder);
    }
    let text = String::from_utf8(registry.render(crate::Format::OpenMetrics).unwrap()).unwrap();
    for expected in [
        "http_requests_total{method=\"GET\",route=\"/r\",status=\"200\",tenant=\"\"} 1 # {trace_id=\"abc123\"} 1 ",
        "http_requests_total{method=\"GET\",route=\"/r\",status=\"200\",tenant=\"acme\"} 1\n",
        "\nprom_kit_hook_errors_total{hook=\"extra_labels\"} 1\n",
        "\nprom_kit_hook_errors_total{hook=\"exemplar\"} 1\n",
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
}
