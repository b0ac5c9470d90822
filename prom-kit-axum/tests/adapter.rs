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
