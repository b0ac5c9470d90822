//! The axum adapter through axum's own router, driven with tower's `oneshot`.

use std::convert::Infallible;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use prom_kit::Registry;
use prom_kit::encoding::{OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
use prom_kit::http::{HttpMetrics, MetricsHandler, NamingScheme};
use prom_kit_axum::{MetricsEndpoint, MetricsLayer};
use tokio::sync::Notify;
use tower::ServiceExt;

struct App {
    registry: Registry,
    router: Router,
}

fn app(gate: Arc<Notify>) -> App {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .exclude_path("/metrics")
        .body_sizes(true)
        .extra_labels(["tenant"])
        .build(&registry)
        .unwrap();
    let handler = MetricsHandler::new(registry.clone()).unwrap();
    let router = Router::new()
        .route(
            "/users/{id}",
            get(|| async { "a user" }).post(|| async { StatusCode::CREATED }),
        )
        .route(
            "/wait",
            get(move || {
                let gate = Arc::clone(&gate);
                async move {
                    gate.notified().await;
                    "released"
                }
            }),
        )
        .route(
            "/stream",
            get(|| async {
                let chunks = futures_util::stream::unfold(0u8, |n| async move {
                    if n == 3 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Ok::<_, Infallible>(vec![b'x'; 1000]), n + 1))
                });
                Body::from_stream(chunks)
            }),
        )
        .route_service("/metrics", MetricsEndpoint::new(handler))
        .layer(MetricsLayer::new(metrics).extra_labels(|parts| {
            vec![
                parts
                    .headers
                    .get("x-tenant")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_owned(),
            ]
        }));
    App { registry, router }
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, http::HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn get_request(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn sample(registry: &Registry, prefix: &str) -> Option<f64> {
    registry
        .encode_text()
        .unwrap()
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit_once(' '))
        .map(|(_, v)| v.parse().unwrap())
}

#[tokio::test]
async fn metrics_endpoint_negotiates_compresses_and_restricts_methods() {
    let App { router, .. } = app(Arc::new(Notify::new()));
    let (status, headers, body) = send(&router, get_request("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], TEXT_CONTENT_TYPE);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("# TYPE http_requests_total counter")
    );

    let request = Request::get("/metrics")
        .header(
            header::ACCEPT,
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
        )
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], OPENMETRICS_CONTENT_TYPE);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");

    let head = Request::head("/metrics").body(Body::empty()).unwrap();
    let (status, headers, body) = send(&router, head).await;
    assert_eq!((status, body.len()), (StatusCode::OK, 0));
    assert_eq!(headers[header::CONTENT_TYPE], TEXT_CONTENT_TYPE);

    let post = Request::post("/metrics").body(Body::empty()).unwrap();
    let (status, headers, _) = send(&router, post).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "GET, HEAD");
}

#[tokio::test]
async fn requests_are_labelled_by_route_template_and_status() {
    let App { registry, router } = app(Arc::new(Notify::new()));
    for id in 0..20 {
        let request = Request::get(format!("/users/{id}"))
            .header("x-tenant", "acme")
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&router, request).await.0, StatusCode::OK);
    }
    let post = Request::post("/users/1").body(Body::from("{}")).unwrap();
    assert_eq!(send(&router, post).await.0, StatusCode::CREATED);
    for n in 0..50 {
        assert_eq!(
            send(&router, get_request(&format!("/no/such/{n}"))).await.0,
            StatusCode::NOT_FOUND
        );
    }
    send(&router, get_request("/metrics")).await;

    let text = registry.encode_text().unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert_eq!(series.len(), 3, "{text}");
    assert!(text.contains("http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\",tenant=\"acme\"} 20\n"));
    assert!(text.contains("http_requests_total{method=\"POST\",route=\"/users/{id}\",status=\"201\",tenant=\"none\"} 1\n"));
    assert!(text.contains("http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\",tenant=\"none\"} 50\n"));
    assert!(
        !text.contains("route=\"/metrics\""),
        "the endpoint itself is excluded"
    );
    assert!(text.contains(
        "http_request_size_bytes_sum{method=\"POST\",route=\"/users/{id}\",status=\"201\",tenant=\"none\"} 2\n"
    ));
}

#[tokio::test]
async fn cancelled_requests_leave_the_in_flight_gauge() {
    let gate = Arc::new(Notify::new());
    let App { registry, router } = app(Arc::clone(&gate));
    let in_flight = "http_requests_in_flight{method=\"GET\",route=\"/wait\",tenant=\"none\"}";
    let task = tokio::spawn({
        let router = router.clone();
        async move { router.oneshot(get_request("/wait")).await }
    });
    for _ in 0..200 {
        if sample(&registry, in_flight) == Some(1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(sample(&registry, in_flight), Some(1.0));
    task.abort();
    let _ = task.await;
    assert_eq!(sample(&registry, in_flight), Some(0.0));
    assert_eq!(
        sample(
            &registry,
            "http_requests_total{method=\"GET\",route=\"/wait\""
        ),
        None
    );

    // A request that completes is counted and leaves the gauge too.
    let waiting = tokio::spawn({
        let router = router.clone();
        async move { send(&router, get_request("/wait")).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    gate.notify_one();
    assert_eq!(waiting.await.unwrap().2, b"released");
    assert_eq!(sample(&registry, in_flight), Some(0.0));
    assert_eq!(
        sample(
            &registry,
            "http_requests_total{method=\"GET\",route=\"/wait\""
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn duration_includes_the_streamed_body() {
    let App { registry, router } = app(Arc::new(Notify::new()));
    let labels = "method=\"GET\",route=\"/stream\",status=\"200\",tenant=\"none\"";
    let response = router
        .clone()
        .oneshot(get_request("/stream"))
        .await
        .unwrap();
    // The response head is back, but the body has not been streamed: nothing recorded.
    assert_eq!(
        sample(&registry, &format!("http_requests_total{{{labels}}}")),
        None
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), 3000);
    let seconds = sample(
        &registry,
        &format!("http_request_duration_seconds_sum{{{labels}}}"),
    )
    .unwrap();
    assert!(
        seconds >= 0.3,
        "duration {seconds} should cover the 3 x 100 ms body"
    );
    assert_eq!(
        sample(
            &registry,
            &format!("http_response_size_bytes_sum{{{labels}}}")
        ),
        Some(3000.0)
    );
}

#[tokio::test]
async fn layers_on_separate_registries_coexist() {
    let first = Registry::new();
    let second = Registry::new();
    let router = Router::new()
        .route("/", get(|| async { "hi" }))
        .layer(MetricsLayer::new(
            HttpMetrics::builder().build(&first).unwrap(),
        ))
        .layer(MetricsLayer::new(
            HttpMetrics::builder()
                .naming(NamingScheme::OpenTelemetry)
                .prefix("edge")
                .build(&second)
                .unwrap(),
        ));
    send(&router, get_request("/")).await;
    assert_eq!(
        sample(
            &first,
            "http_requests_total{method=\"GET\",route=\"/\",status=\"200\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &second,
            "edge_http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/\",http_response_status_code=\"200\"}"
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn exemplar_hook_attaches_trace_ids() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    let router = Router::new().route("/", get(|| async { "hi" })).layer(
        MetricsLayer::new(metrics).exemplar(|parts| {
            let trace = parts.headers.get("x-trace-id")?.to_str().ok()?;
            Some(vec![("trace_id".to_owned(), trace.to_owned())])
        }),
    );
    let request = Request::get("/")
        .header("x-trace-id", "abc123")
        .body(Body::empty())
        .unwrap();
    send(&router, request).await;
    send(&router, get_request("/")).await;
    let om = registry.encode_openmetrics().unwrap();
    let line = om
        .lines()
        .find(|l| l.starts_with("http_requests_total{"))
        .unwrap();
    assert!(line.starts_with("http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2 # {trace_id=\"abc123\"} 1 "), "{line}");
    assert!(
        om.contains("le=\"0.005\"} 2 # {trace_id=\"abc123\"}"),
        "{om}"
    );
    assert!(!registry.encode_text().unwrap().contains("abc123"));
}

#[tokio::test]
async fn exemplar_hook_with_control_characters_counts_without_exemplar() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    // The hook decodes `%00` as a client-controlled decoder might; a tab passes HTTP as is.
    let router = Router::new().route("/", get(|| async { "hi" })).layer(
        MetricsLayer::new(metrics).exemplar(|parts| {
            let trace = parts.headers.get("x-trace-id")?.to_str().ok()?;
            Some(vec![("trace_id".to_owned(), trace.replace("%00", "\0"))])
        }),
    );
    for trace in ["ok123", "ab\tcd", "ab%00cd"] {
        let request = Request::get("/")
            .header("x-trace-id", trace)
            .body(Body::empty())
            .unwrap();
        send(&router, request).await;
    }
    let om = registry.encode_openmetrics().unwrap();
    assert!(!om.contains('\0') && !om.contains('\t'), "{om:?}");
    let line = om
        .lines()
        .find(|l| l.starts_with("http_requests_total{"))
        .unwrap();
    assert!(
        line.starts_with(
            "http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 3 # {trace_id=\"ok123\"} 1 "
        ),
        "{line}"
    );
}

/// A scrape of 200k series on a current-thread runtime does not stall it: a ticker task
/// on the same runtime stays on time while the registry is encoded and gzipped.
#[tokio::test(flavor = "current_thread")]
async fn large_scrapes_do_not_stall_a_current_thread_runtime() {
    let registry = Registry::new();
    let family: prom_kit::Family<prom_kit::Counter> = prom_kit::Family::new(["id"]).unwrap();
    for i in 0..200_000 {
        family
            .with(&[i.to_string()], prom_kit::Counter::inc)
            .unwrap();
    }
    registry.register("items", "Items.", family).unwrap();
    let router = Router::new().route_service(
        "/metrics",
        MetricsEndpoint::new(MetricsHandler::new(registry).unwrap()),
    );
    let ticker = tokio::spawn(prom_kit_test_support::worst_lateness(
        150,
        Duration::from_millis(5),
    ));
    // Let the ticker start, and sleep between scrapes, so that it is waiting on its
    // timer whenever a scrape runs.
    tokio::time::sleep(Duration::from_millis(20)).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let request = Request::get("/metrics")
            .header(header::ACCEPT, "application/openmetrics-text")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = send(&router, request).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.len() > 200_000, "{}", body.len());
    }
    let worst = ticker.await.unwrap();
    assert!(
        worst < Duration::from_millis(150),
        "the ticker was {worst:?} late"
    );
}
