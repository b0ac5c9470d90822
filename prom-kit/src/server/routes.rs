//! What the server answers: a metrics handler's scrapes (with `/-/healthy` and 404s), or
//! every request through an application's service.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::FutureExt;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use crate::adapter::{OwnedScrapeRequest, ScrapeBody, ScrapeRequest};
use crate::scrape::MetricsHandler;

/// An error of an application's service or body, as hyper takes it.
pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A response body of any kind.
pub(super) type AnyBody = UnsyncBoxBody<Bytes, AppError>;
/// The answer to a request, on its way.
pub(super) type Answer = Pin<Box<dyn Future<Output = Result<Response<AnyBody>, AppError>> + Send>>;

/// An error of an application's service or response body: hyper closes the connection.
/// (A type of its own rather than [`BoxError`], whose conversion into itself the
/// compiler cannot prove for every lifetime when it checks that a connection is `Send`.)
#[derive(Debug)]
pub(super) struct AppError(BoxError);

impl AppError {
    fn new(error: impl Into<BoxError>) -> Self {
        Self(error.into())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
/// An application's service, its request and response types erased.
type AppService = Arc<dyn Fn(Request<Incoming>) -> Answer + Send + Sync>;

/// What the server answers.
#[derive(Clone)]
pub(super) enum Routes {
    /// Scrapes at `path`, `/-/healthy`, and 404 for the rest.
    Metrics {
        handler: MetricsHandler,
        path: Arc<str>,
    },
    /// Every request, through the application's service.
    App(AppService),
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Metrics { path, .. } => f.debug_struct("Metrics").field("path", path).finish(),
            Self::App(_) => f.write_str("App"),
        }
    }
}

impl Routes {
    /// Erases the types of an application's `service`.
    pub(super) fn app<F, Fut, B, E>(service: F) -> Self
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<B>, E>> + Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
        E: Into<BoxError>,
    {
        Self::App(Arc::new(move |request| {
            // A panic in the application costs its request (a 500), not the connection.
            let Ok(answer) = std::panic::catch_unwind(AssertUnwindSafe(|| service(request))) else {
                return Box::pin(std::future::ready(Ok(panicked())));
            };
            Box::pin(
                AssertUnwindSafe(answer)
                    .catch_unwind()
                    .map(|outcome| match outcome {
                        Ok(Ok(response)) => {
                            Ok(response.map(|body| body.map_err(AppError::new).boxed_unsync()))
                        }
                        Ok(Err(error)) => Err(AppError::new(error)),
                        Err(_) => Ok(panicked()),
                    }),
            )
        }))
    }

    /// Answers `request`.
    pub(super) fn answer(&self, request: Request<Incoming>) -> Answer {
        match self {
            Self::Metrics { handler, path } => {
                let (handler, path) = (handler.clone(), Arc::clone(path));
                Box::pin(async move { Ok(respond(handler, path, request).await) })
            }
            Self::App(service) => service(request),
        }
    }
}

/// Routes one request: the metrics path, `/-/healthy`, or 404. Scrapes go through
/// [`MetricsHandler::handle_async`]: async collectors within the scrape's deadline, the
/// encoding on tokio's blocking pool, so that a large registry never stalls the
/// runtime's workers (a current-thread runtime has only one). They answer with their
/// [`ScrapeBody`], which holds the scrape's slot until sent.
async fn respond(
    handler: MetricsHandler,
    path: Arc<str>,
    request: Request<Incoming>,
) -> Response<AnyBody> {
    let request_path = request.uri().path();
    if request_path == &*path {
        let owned = OwnedScrapeRequest::from(ScrapeRequest::from(&request));
        let scrape = handler.handle_async(owned).await;
        Response::<ScrapeBody>::from(scrape).map(|body| body.map_err(AppError::new).boxed_unsync())
    } else if request_path == "/-/healthy" {
        text(StatusCode::OK, "OK\n")
    } else {
        text(
            StatusCode::NOT_FOUND,
            "not found; metrics are served elsewhere\n",
        )
    }
}

/// The answer to a request whose service panicked.
fn panicked() -> Response<AnyBody> {
    text(StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n")
}

fn text(status: StatusCode, body: &'static str) -> Response<AnyBody> {
    let body = Full::new(Bytes::from_static(body.as_bytes()));
    let mut response = Response::new(body.map_err(AppError::new).boxed_unsync());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::server::Server;

    /// One `Connection: close` request; returns the raw response.
    fn get(address: std::net::SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    /// An application behind the server: its answers, a panic contained to its request,
    /// and a shutdown that does not wait for a client holding half a request head.
    #[test]
    fn an_application_is_served_with_the_same_limits() {
        let server = Server::for_service(|request: Request<Incoming>| async move {
            match request.uri().path() {
                "/panic" => panic!("the application failed"),
                "/error" => Err(std::io::Error::other("refused")),
                path => Ok(Response::new(Full::new(Bytes::from(format!(
                    "app {path}\n"
                ))))),
            }
        })
        .header_read_timeout(Duration::from_secs(30))
        .start_on_thread("127.0.0.1:0")
        .unwrap();
        let address = server.local_addr();
        let answer = get(address, "/users/7");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\napp /users/7\n"), "{answer}");
        let panicked = get(address, "/panic");
        assert!(panicked.starts_with("HTTP/1.1 500 "), "{panicked}");
        // An error from the service closes the connection, answering nothing.
        assert_eq!(get(address, "/error"), "");
        assert!(get(address, "/metrics").contains("app /metrics\n"));
        let mut partial = TcpStream::connect(address).unwrap();
        partial.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        assert!(get(address, "/").contains("app /\n"));
        let started = Instant::now();
        server.shutdown();
        assert!(started.elapsed() < Duration::from_secs(1));
        partial
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        assert_eq!(partial.read(&mut [0u8; 16]).unwrap_or(0), 0, "closed");
    }
}
