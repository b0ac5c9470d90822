//! What only the actix-web adapter has, through actix's own test utilities. What every
//! adapter must do is the conformance suite's (`conformance.rs`).

use actix_web::dev::Service;
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, test, web};
use prom_kit::Registry;
use prom_kit::http::HttpMetrics;
use prom_kit_actix::RequestMetrics;

/// An inner service that fails with an `Err` (here a `wrap_fn` inside the middleware
/// refusing with 403 before routing, as an authentication middleware does; actix turns
/// the error into a response only outside the middleware) is recorded with the error's
/// real status, not as a 500 nor left uncounted. The router never ran, so the request
/// has no route: it is recorded under the unmatched route.
#[actix_web::test]
async fn inner_service_errors_are_recorded_with_their_status() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    let app = test::init_service(
        App::new()
            .wrap_fn(|request, service| {
                let call = (request.path() != "/forbidden").then(|| service.call(request));
                async move {
                    match call {
                        Some(call) => call.await,
                        None => Err(actix_web::error::ErrorForbidden("no")),
                    }
                }
            })
            .wrap(RequestMetrics::new(metrics))
            .route(
                "/forbidden",
                web::get().to(|| async { HttpResponse::Ok().finish() }),
            )
            .route(
                "/allowed",
                web::get().to(|| async { HttpResponse::Ok().finish() }),
            ),
    )
    .await;
    let forbidden = app
        .call(test::TestRequest::get().uri("/forbidden").to_request())
        .await;
    assert_eq!(
        forbidden.err().unwrap().as_response_error().status_code(),
        StatusCode::FORBIDDEN
    );
    let allowed =
        test::call_service(&app, test::TestRequest::get().uri("/allowed").to_request()).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    drop(test::read_body(allowed).await);

    let text = registry.encode_text().unwrap();
    for line in [
        "http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"403\"} 1\n",
        "http_requests_total{method=\"GET\",route=\"/allowed\",status=\"200\"} 1\n",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
}

/// `exclude_route` leaves out every request matched to a route template, although actix
/// routes inside the service the middleware wraps (the route is known only at the
/// response): such a request is not recorded, and it leaves the in-flight gauge.
#[actix_web::test]
async fn excluded_routes_are_not_recorded() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .exclude_route("/internal/{id}")
        .exclude_path("/health")
        .build(&registry)
        .unwrap();
    let app = test::init_service(
        App::new()
            .wrap(RequestMetrics::new(metrics))
            .route(
                "/internal/{id}",
                web::get().to(|| async { HttpResponse::Ok().body("secret") }),
            )
            .route(
                "/health",
                web::get().to(|| async { HttpResponse::Ok().finish() }),
            )
            .route(
                "/users/{id}",
                web::get().to(|| async { HttpResponse::Ok().finish() }),
            ),
    )
    .await;
    for uri in ["/internal/7", "/internal/8", "/health", "/users/1"] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        drop(test::read_body(response).await);
    }
    let text = registry.encode_text().unwrap();
    assert!(!text.contains("/internal"), "{text}");
    assert!(!text.contains("/health"), "{text}");
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("http_requests_in_flight{method=\"GET\"} 0\n"),
        "{text}"
    );
}
