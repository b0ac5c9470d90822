//! What only the axum adapter has, through axum's own router driven with tower's
//! `oneshot`. What every adapter must do is the conformance suite's (`conformance.rs`).

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use http_body_util::BodyExt;
use prom_kit::Registry;
use prom_kit::http::{HttpMetrics, NamingScheme};
use prom_kit_axum::MetricsLayer;
use tower::ServiceExt;

fn sample(registry: &Registry, prefix: &str) -> Option<f64> {
    registry
        .encode_text()
        .unwrap()
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit_once(' '))
        .map(|(_, v)| v.parse().unwrap())
}

/// Two layers, each recording into a registry of its own with its own naming, both see
/// the request.
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
    let response = router
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    response.into_body().collect().await.unwrap();
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

/// `exclude_route` leaves out every request matched to a route template (as
/// axum-prometheus' ignore patterns do), `exclude_path` one path; the template given to
/// `exclude_path` is refused, naming `exclude_route`.
#[tokio::test]
async fn excluded_routes_and_paths_are_not_recorded() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .exclude_route("/internal/{id}")
        .exclude_path("/health")
        .build(&registry)
        .unwrap();
    let router = Router::new()
        .route("/internal/{id}", get(|| async { "secret" }))
        .route("/health", get(|| async { "ok" }))
        .route("/users/{id}", get(|| async { "user" }))
        .layer(MetricsLayer::new(metrics));
    for uri in ["/internal/7", "/internal/8", "/health", "/users/1"] {
        let response = router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{uri}");
        response.into_body().collect().await.unwrap();
    }
    let text = registry.encode_text().unwrap();
    assert!(!text.contains("/internal"), "{text}");
    assert!(!text.contains("/health"), "{text}");
    assert_eq!(
        sample(
            &registry,
            "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&registry, "http_requests_in_flight{method=\"GET\"}"),
        Some(0.0)
    );

    let refused = HttpMetrics::builder()
        .exclude_path("/internal/{id}")
        .build(&Registry::new())
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "invalid value: exclude_path(\"/internal/{id}\") looks like a route template, which no request path equals: use exclude_route(\"/internal/{id}\") to leave out every request matched to that route"
    );
}
