//! The requests the middleware benchmarks send, in process: `GET /users/{id}` to an axum
//! router or an actix-web app, and unary calls to the echo gRPC service, each read to
//! the end of its body. The criterion benches time them; the instruction benches count
//! them.

use std::hint::black_box;

use http_body_util::BodyExt;
use prom_kit_test_support::grpc::{ECHO_SERVICE, EchoRequest};
use prost::Message;
use tower::ServiceExt;

/// Sends `count` requests `GET /users/{i % 100}` through `router`, reading each body.
///
/// # Panics
///
/// If the router fails a request or answers other than `200`.
pub async fn axum_gets(router: &axum::Router, count: u64) {
    axum_gets_with(router, count, None).await;
}

/// As [`axum_gets`], each request carrying `traceparent` if given (a W3C trace context
/// header, for the trace exemplars' cost).
///
/// # Panics
///
/// If the router answers other than `200`.
pub async fn axum_gets_with(router: &axum::Router, count: u64, traceparent: Option<&'static str>) {
    for i in 0..count {
        let mut request = http::Request::get(format!("/users/{}", i % 100));
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        let request = request.body(axum::body::Body::empty()).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        black_box(response.into_body().collect().await.unwrap());
    }
}

/// Sends `count` requests `GET /users/{i % 100}` to an actix `app`, reading each body.
///
/// # Panics
///
/// If the app answers other than `200`.
pub async fn actix_gets<S, B>(app: &S, count: u64)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    for i in 0..count {
        let request = actix_web::test::TestRequest::get()
            .uri(&format!("/users/{}", i % 100))
            .to_request();
        let response = actix_web::test::call_service(app, request).await;
        assert_eq!(response.status(), 200);
        black_box(actix_web::test::read_body(response).await);
    }
}

/// The gRPC frame of one `EchoRequest`.
///
/// # Panics
///
/// Never: the message is a few bytes long.
pub fn echo_frame() -> bytes::Bytes {
    let message = EchoRequest {
        message: "hello".into(),
        ..EchoRequest::default()
    }
    .encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&message);
    frame.into()
}

/// Makes `count` unary echo calls through `service`, each read to its trailers.
///
/// # Panics
///
/// If a call fails or its trailers do not say `grpc-status: 0`.
pub async fn unary_calls<S, B>(service: &S, count: u64)
where
    S: tower::Service<http::Request<tonic::body::Body>, Response = http::Response<B>> + Clone,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let frame = echo_frame();
    for _ in 0..count {
        let request = http::Request::post(format!("/{ECHO_SERVICE}/Unary"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(tonic::body::Body::new(http_body_util::Full::new(
                frame.clone(),
            )))
            .unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        let collected = response.into_body().collect().await.unwrap();
        let status = collected.trailers().and_then(|t| t.get("grpc-status"));
        assert_eq!(status.map(http::HeaderValue::as_bytes), Some(&b"0"[..]));
        black_box(collected);
    }
}
