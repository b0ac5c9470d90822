//! The accept loop and the request routing of the exporter server.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::http::{MetricsHandler, ScrapeRequest};

/// Accepts connections until `stopped` turns true, then waits up to `grace` for the
/// connections in progress.
pub(super) async fn run(
    listener: TcpListener,
    handler: MetricsHandler,
    path: String,
    mut stopped: watch::Receiver<bool>,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let handler = handler.clone();
                let path = path.clone();
                let service = service_fn(move |request| {
                    let response = respond(&handler, &path, &request);
                    async move { Ok::<_, Infallible>(response) }
                });
                let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    break;
                }
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}

/// Routes one request: the metrics path, `/-/healthy`, or 404.
fn respond(
    handler: &MetricsHandler,
    path: &str,
    request: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    let request_path = request.uri().path();
    if request_path == path {
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let scrape = handler.handle(&ScrapeRequest {
            method: request.method().as_str(),
            accept: header(ACCEPT),
            accept_encoding: header(ACCEPT_ENCODING),
        });
        let mut response = Response::new(Full::new(Bytes::from(scrape.body)));
        *response.status_mut() =
            StatusCode::from_u16(scrape.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in scrape.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    } else if request_path == "/-/healthy" {
        text(StatusCode::OK, "OK\n")
    } else {
        text(
            StatusCode::NOT_FOUND,
            "not found; metrics are served elsewhere\n",
        )
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
