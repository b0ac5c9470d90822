//! The actix-web adapter through actix's own test utilities.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::{App, Error, HttpResponse, test, web};
use prom_kit::Registry;
use prom_kit::encoding::{OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
use prom_kit::http::{HttpMetrics, MetricsHandler};
use prom_kit_actix::{Metrics, metrics_resource};
use tokio::sync::Notify;

fn sample(registry: &Registry, prefix: &str) -> Option<f64> {
    registry
        .encode_text()
        .unwrap()
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit_once(' '))
        .map(|(_, v)| v.parse().unwrap())
}

async fn app(
    registry: &Registry,
    gate: Arc<Notify>,
) -> impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = Error>
{
    let metrics = HttpMetrics::builder()
        .exclude_path("/metrics")
        .body_sizes(true)
        .extra_labels(["tenant"])
        .build(registry)
        .unwrap();
    let handler = MetricsHandler::new(registry.clone()).unwrap();
    test::init_service(
        App::new()
            .wrap_fn(|request, service| {
                let forbidden = request.path() == "/forbidden";
                let call = service.call(request);
                async move {
                    if forbidden {
                        return Err(actix_web::error::ErrorForbidden("no"));
                    }
                    call.await
                }
            })
            .wrap(Metrics::new(metrics).extra_labels(|request| {
                vec![
                    request
                        .headers()
                        .get("x-tenant")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("none")
                        .to_owned(),
                ]
            }))
            .service(metrics_resource("/metrics", handler))
            .route(
                "/users/{id}",
                web::get().to(|| async { HttpResponse::Ok().body("a user") }),
            )
            .route(
                "/users/{id}",
                web::post().to(|| async { HttpResponse::Created().finish() }),
            )
            .route(
                "/forbidden",
                web::get().to(|| async { HttpResponse::Ok().finish() }),
            )
            .route(
                "/fails",
                web::get().to(|| async {
                    Err::<HttpResponse, _>(actix_web::error::ErrorBadRequest("bad"))
                }),
            )
            .route(
                "/wait",
                web::get().to(move || {
                    let gate = Arc::clone(&gate);
                    async move {
                        gate.notified().await;
                        HttpResponse::Ok().finish()
                    }
                }),
            )
            .route(
                "/stream",
                web::get().to(|| async {
                    let chunks = futures_util::stream::unfold(0u8, |n| async move {
                        if n == 3 {
                            return None;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Some((Ok::<_, Error>(bytes::Bytes::from(vec![b'x'; 1000])), n + 1))
                    });
                    HttpResponse::Ok().streaming(chunks)
                }),
            ),
    )
    .await
}

#[actix_web::test]
async fn metrics_endpoint_negotiates_compresses_and_restricts_methods() {
    let registry = Registry::new();
    let app = app(&registry, Arc::new(Notify::new())).await;
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        TEXT_CONTENT_TYPE
    );
    let body = test::read_body(response).await;
    assert!(
        std::str::from_utf8(&body)
            .unwrap()
            .contains("# TYPE http_requests_total counter")
    );

    let request = test::TestRequest::get()
        .uri("/metrics")
        .insert_header((header::ACCEPT, "application/openmetrics-text;version=1.0.0"))
        .insert_header((header::ACCEPT_ENCODING, "gzip"))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        OPENMETRICS_CONTENT_TYPE
    );
    assert_eq!(
        response.headers().get(header::CONTENT_ENCODING).unwrap(),
        "gzip"
    );
    let body = test::read_body(response).await;
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");

    let head = test::call_service(
        &app,
        test::TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/metrics")
            .to_request(),
    )
    .await;
    assert_eq!(head.status(), StatusCode::OK);
    assert!(test::read_body(head).await.is_empty());

    let post =
        test::call_service(&app, test::TestRequest::post().uri("/metrics").to_request()).await;
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers().get(header::ALLOW).unwrap(), "GET, HEAD");
}

#[actix_web::test]
async fn requests_are_labelled_by_route_pattern_and_real_status() {
    let registry = Registry::new();
    let app = app(&registry, Arc::new(Notify::new())).await;
    for id in 0..20 {
        let request = test::TestRequest::get()
            .uri(&format!("/users/{id}"))
            .insert_header(("x-tenant", "acme"))
            .to_request();
        assert_eq!(
            test::call_service(&app, request).await.status(),
            StatusCode::OK
        );
    }
    let post = test::TestRequest::post()
        .uri("/users/1")
        .set_payload("{}")
        .to_request();
    assert_eq!(
        test::call_service(&app, post).await.status(),
        StatusCode::CREATED
    );
    for n in 0..50 {
        let request = test::TestRequest::get()
            .uri(&format!("/no/such/{n}"))
            .to_request();
        assert_eq!(
            test::call_service(&app, request).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    let fails = test::call_service(&app, test::TestRequest::get().uri("/fails").to_request()).await;
    assert_eq!(fails.status(), StatusCode::BAD_REQUEST);
    // Recorded once its body is done with.
    drop(fails);
    let forbidden = app
        .call(test::TestRequest::get().uri("/forbidden").to_request())
        .await;
    assert_eq!(
        forbidden.err().unwrap().as_response_error().status_code(),
        StatusCode::FORBIDDEN
    );
    test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await;

    let text = registry.encode_text().unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert_eq!(series.len(), 5, "{text}");
    assert!(text.contains("http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\",tenant=\"acme\"} 20\n"));
    assert!(text.contains("http_requests_total{method=\"POST\",route=\"/users/{id}\",status=\"201\",tenant=\"none\"} 1\n"));
    assert!(text.contains("http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\",tenant=\"none\"} 50\n"));
    assert!(text.contains(
        "http_requests_total{method=\"GET\",route=\"/fails\",status=\"400\",tenant=\"none\"} 1\n"
    ));
    assert!(text.contains("http_requests_total{method=\"GET\",route=\"/forbidden\",status=\"403\",tenant=\"none\"} 1\n"));
    assert!(!text.contains("route=\"/metrics\""));
    assert!(text.contains(
        "http_request_size_bytes_sum{method=\"POST\",route=\"/users/{id}\",status=\"201\",tenant=\"none\"} 2\n"
    ));
}

#[actix_web::test]
async fn cancelled_requests_leave_the_in_flight_gauge() {
    let registry = Registry::new();
    let gate = Arc::new(Notify::new());
    let app = app(&registry, Arc::clone(&gate)).await;
    let in_flight = "http_requests_in_flight{method=\"GET\",route=\"/wait\",tenant=\"none\"}";
    let mut pending = Box::pin(app.call(test::TestRequest::get().uri("/wait").to_request()));
    assert!(
        tokio::time::timeout(Duration::from_millis(50), &mut pending)
            .await
            .is_err()
    );
    assert_eq!(sample(&registry, in_flight), Some(1.0));
    drop(pending);
    assert_eq!(sample(&registry, in_flight), Some(0.0));
    assert_eq!(
        sample(
            &registry,
            "http_requests_total{method=\"GET\",route=\"/wait\""
        ),
        None
    );

    let mut waiting = Box::pin(app.call(test::TestRequest::get().uri("/wait").to_request()));
    assert!(
        tokio::time::timeout(Duration::from_millis(20), &mut waiting)
            .await
            .is_err()
    );
    gate.notify_one();
    let response = waiting.await.unwrap();
    drop(test::read_body(response).await);
    assert_eq!(sample(&registry, in_flight), Some(0.0));
    assert_eq!(
        sample(
            &registry,
            "http_requests_total{method=\"GET\",route=\"/wait\""
        ),
        Some(1.0)
    );
}

#[actix_web::test]
async fn duration_includes_the_streamed_body() {
    let registry = Registry::new();
    let app = app(&registry, Arc::new(Notify::new())).await;
    let labels = "method=\"GET\",route=\"/stream\",status=\"200\",tenant=\"none\"";
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/stream").to_request()).await;
    assert_eq!(
        sample(&registry, &format!("http_requests_total{{{labels}}}")),
        None
    );
    let body = test::read_body(response).await;
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

#[actix_web::test]
async fn exemplar_hook_attaches_trace_ids() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    let app = test::init_service(
        App::new()
            .wrap(Metrics::new(metrics).exemplar(|request| {
                let trace = request.headers().get("x-trace-id")?.to_str().ok()?;
                Some(vec![("trace_id".to_owned(), trace.to_owned())])
            }))
            .route(
                "/",
                web::get().to(|| async { HttpResponse::Ok().body("hi") }),
            ),
    )
    .await;
    let request = test::TestRequest::get()
        .uri("/")
        .insert_header(("x-trace-id", "abc123"))
        .to_request();
    drop(test::read_body(test::call_service(&app, request).await).await);
    let om = registry.encode_openmetrics().unwrap();
    let line = om
        .lines()
        .find(|l| l.starts_with("http_requests_total{"))
        .unwrap();
    assert!(line.starts_with("http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 1 # {trace_id=\"abc123\"} 1 "), "{line}");
}

#[actix_web::test]
async fn exemplar_hook_with_control_characters_counts_without_exemplar() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    // The hook decodes `%00` as a client-controlled decoder might; a tab passes HTTP as is.
    let app = test::init_service(
        App::new()
            .wrap(Metrics::new(metrics).exemplar(|request| {
                let trace = request.headers().get("x-trace-id")?.to_str().ok()?;
                Some(vec![("trace_id".to_owned(), trace.replace("%00", "\0"))])
            }))
            .route(
                "/",
                web::get().to(|| async { HttpResponse::Ok().body("hi") }),
            ),
    )
    .await;
    for trace in ["ok123", "ab\tcd", "ab%00cd"] {
        let request = test::TestRequest::get()
            .uri("/")
            .insert_header(("x-trace-id", trace))
            .to_request();
        drop(test::read_body(test::call_service(&app, request).await).await);
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

/// A scrape of 200k series does not stall the (single-threaded) actix worker: a ticker
/// task on the same worker stays on time while the registry is encoded and gzipped.
#[actix_web::test]
async fn large_scrapes_do_not_stall_the_worker() {
    let registry = Registry::new();
    let family: prom_kit::Family<prom_kit::Counter> = prom_kit::Family::new(["id"]).unwrap();
    for i in 0..200_000 {
        family
            .with(&[i.to_string()], prom_kit::Counter::inc)
            .unwrap();
    }
    registry.register("items", "Items.", family).unwrap();
    let handler = MetricsHandler::new(registry).unwrap();
    let app = test::init_service(App::new().service(metrics_resource("/metrics", handler))).await;
    let ticker = actix_web::rt::spawn(prom_kit_test_support::worst_lateness(
        150,
        Duration::from_millis(5),
    ));
    // Let the ticker start, and sleep between scrapes, so that it is waiting on its
    // timer whenever a scrape runs.
    tokio::time::sleep(Duration::from_millis(20)).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let request = test::TestRequest::get()
            .uri("/metrics")
            .insert_header((header::ACCEPT, "application/openmetrics-text"))
            .insert_header((header::ACCEPT_ENCODING, "gzip"))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = test::read_body(response).await;
        assert!(body.len() > 200_000, "{}", body.len());
    }
    let worst = ticker.await.unwrap();
    assert!(
        worst < Duration::from_millis(150),
        "the ticker was {worst:?} late"
    );
}
