//! Responses a real server rarely sends, from a hand-made inner service: a stream that
//! ends without a status, a body that fails, an HTTP error without `grpc-status`, a
//! trailers-only answer whose body is never polled, an inner service that fails, and a
//! request that is not gRPC — each recorded as a gRPC client would see it.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use prom_kit::Registry;
use prom_kit::grpc::{GrpcMethods, GrpcMetrics, GrpcType};
use prom_kit::testing::sample_value;
use prom_kit_tonic::GrpcMetricsLayer;
use tower_layer::Layer;
use tower_service::Service;

/// A response body of scripted frames.
struct Script(Vec<Result<Frame<Bytes>, tonic::Status>>);

impl Body for Script {
    type Data = Bytes;
    type Error = tonic::Status;

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        Poll::Ready(if self.0.is_empty() {
            None
        } else {
            Some(self.0.remove(0))
        })
    }
}

/// An inner service answering every call with what `make` builds.
#[derive(Clone)]
struct Scripted(fn() -> Result<Response<Script>, tonic::Status>);

impl Service<Request<tonic::body::Body>> for Scripted {
    type Response = Response<Script>;
    type Error = tonic::Status;
    type Future = Ready<Result<Response<Script>, tonic::Status>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), tonic::Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<tonic::body::Body>) -> Self::Future {
        ready((self.0)())
    }
}

fn message() -> Frame<Bytes> {
    Frame::data(Bytes::from_static(&[0, 0, 0, 0, 2, 8, 1]))
}

fn trailers(status: &str) -> Frame<Bytes> {
    let mut map = HeaderMap::new();
    map.insert("grpc-status", status.parse().unwrap());
    Frame::trailers(map)
}

/// Calls `/s.S/M` once through the layer over `inner`, reading the response to its end
/// (or not, with `read_body` false); returns the registry.
async fn call_once(inner: Scripted, content_type: &str, read_body: bool) -> Registry {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .methods(GrpcMethods::new().method("s.S", "M", GrpcType::ServerStream))
        .build(&registry)
        .unwrap();
    let mut service = GrpcMetricsLayer::new(metrics).layer(inner);
    let request = Request::post("/s.S/M")
        .header("content-type", content_type)
        .body(http_body_util::Empty::<Bytes>::new().map_err(|e: Infallible| match e {}))
        .unwrap();
    if let Ok(response) = service.call(request).await {
        if read_body {
            let _ = response.into_body().collect().await;
        }
    }
    registry
}

fn handled(registry: &Registry, code: &str) -> f64 {
    sample_value(
        registry,
        "grpc_server_handled_total",
        &[
            ("grpc_type", "server_stream"),
            ("grpc_service", "s.S"),
            ("grpc_method", "M"),
            ("grpc_code", code),
        ],
    )
    .unwrap_or(0.0)
}

#[tokio::test(flavor = "current_thread")]
async fn each_odd_ending_of_the_body_gets_the_code_a_client_sees() {
    // Two messages and an OK trailer: the normal case.
    let ok = call_once(
        Scripted(|| {
            Ok(Response::new(Script(vec![
                Ok(message()),
                Ok(message()),
                Ok(trailers("0")),
            ])))
        }),
        "application/grpc",
        true,
    )
    .await;
    assert_eq!(handled(&ok, "OK"), 1.0);
    assert_eq!(
        sample_value(
            &ok,
            "grpc_server_msg_sent_total",
            &[
                ("grpc_type", "server_stream"),
                ("grpc_service", "s.S"),
                ("grpc_method", "M")
            ]
        ),
        Some(2.0)
    );
    // The stream ends without trailers: Unknown.
    let no_status = call_once(
        Scripted(|| Ok(Response::new(Script(vec![Ok(message())])))),
        "application/grpc",
        true,
    )
    .await;
    assert_eq!(handled(&no_status, "Unknown"), 1.0);
    // The body fails with a status mid-stream: that status.
    let failed = call_once(
        Scripted(|| {
            Ok(Response::new(Script(vec![
                Ok(message()),
                Err(tonic::Status::data_loss("disk")),
            ])))
        }),
        "application/grpc",
        true,
    )
    .await;
    assert_eq!(handled(&failed, "DataLoss"), 1.0);
    // A non-numeric status trailer: Unknown, not a panic or a new label value.
    let garbage = call_once(
        Scripted(|| Ok(Response::new(Script(vec![Ok(trailers("OK"))])))),
        "application/grpc",
        true,
    )
    .await;
    assert_eq!(handled(&garbage, "Unknown"), 1.0);
}

#[tokio::test(flavor = "current_thread")]
async fn codes_known_from_the_head_or_the_error_survive_an_unread_body() {
    // HTTP 503 without grpc-status: Unavailable, even if the body is never read.
    let unavailable = call_once(
        Scripted(|| {
            let mut response = Response::new(Script(vec![]));
            *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
            Ok(response)
        }),
        "application/grpc",
        false,
    )
    .await;
    assert_eq!(handled(&unavailable, "Unavailable"), 1.0);
    // Trailers-only (status in the headers), body dropped unread: that status.
    let trailers_only = call_once(
        Scripted(|| {
            let mut response = Response::new(Script(vec![]));
            response
                .headers_mut()
                .insert("grpc-status", "7".parse().unwrap());
            Ok(response)
        }),
        "application/grpc",
        false,
    )
    .await;
    assert_eq!(handled(&trailers_only, "PermissionDenied"), 1.0);
    // A response body dropped mid-stream (the client reset it): Canceled.
    let dropped = call_once(
        Scripted(|| {
            Ok(Response::new(Script(vec![
                Ok(message()),
                Ok(trailers("0")),
            ])))
        }),
        "application/grpc",
        false,
    )
    .await;
    assert_eq!(handled(&dropped, "Canceled"), 1.0);
    // The inner service fails: the error's status.
    let refused = call_once(
        Scripted(|| Err(tonic::Status::resource_exhausted("busy"))),
        "application/grpc",
        true,
    )
    .await;
    assert_eq!(handled(&refused, "ResourceExhausted"), 1.0);
    // An empty 200 body without a status, never polled: Unknown, not Canceled.
    let empty = call_once(
        Scripted(|| Ok(Response::new(Script(vec![])))),
        "application/grpc",
        false,
    )
    .await;
    assert_eq!(handled(&empty, "Unknown"), 1.0);
    // Not gRPC: passed through, nothing recorded.
    let web = call_once(
        Scripted(|| Ok(Response::new(Script(vec![Ok(trailers("0"))])))),
        "application/grpc-web+proto",
        true,
    )
    .await;
    assert!(
        !web.encode_text()
            .unwrap()
            .contains("grpc_server_started_total{")
    );
}
