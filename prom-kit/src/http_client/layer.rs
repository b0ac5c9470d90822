//! [`HttpClientLayer`]: the tower layer recording [`HttpClientMetrics`] around an HTTP
//! client service.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::{ClientErrorCause, ClientRequestTracker, HttpClientMetrics};

/// The error type of the layered service.
type BoxError = Box<dyn Error + Send + Sync>;

/// The error of a request the layer's [timeout](HttpClientLayer::timeout) cut short.
#[derive(Debug)]
pub struct RequestTimedOut(Duration);

impl fmt::Display for RequestTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no response within {:?}", self.0)
    }
}

impl Error for RequestTimedOut {}

/// A tower layer recording [`HttpClientMetrics`] for every request through an HTTP
/// client service — hyper-util's `Client`, or anything else that is a
/// `Service<http::Request<_>>` answering `http::Response<_>`. The duration runs until
/// the response head arrives.
///
/// ```no_run
/// use hyper_util::client::legacy::Client;
/// use hyper_util::rt::TokioExecutor;
/// use prom_kit::http_client::{HttpClientLayer, HttpClientMetrics};
/// use std::time::Duration;
/// use tower_layer::Layer;
///
/// # fn demo() -> Result<(), prom_kit::Error> {
/// let registry = prom_kit::Registry::new();
/// let metrics = HttpClientMetrics::builder().build(&registry)?;
/// let client = Client::builder(TokioExecutor::new())
///     .build_http::<http_body_util::Empty<bytes::Bytes>>();
/// let client = HttpClientLayer::new(metrics).timeout(Duration::from_secs(5)).layer(client);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct HttpClientLayer {
    metrics: HttpClientMetrics,
    timeout: Option<Duration>,
}

impl HttpClientLayer {
    /// Records into `metrics`.
    pub fn new(metrics: HttpClientMetrics) -> Self {
        Self {
            metrics,
            timeout: None,
        }
    }

    /// Gives up on a request whose response head has not arrived within `timeout`: the
    /// call fails with [`RequestTimedOut`] and is recorded with the error `timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl<S> Layer<S> for HttpClientLayer {
    type Service = HttpClientService<S>;

    fn layer(&self, inner: S) -> HttpClientService<S> {
        HttpClientService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`HttpClientLayer`] wraps around a client.
#[derive(Clone, Debug)]
pub struct HttpClientService<S> {
    inner: S,
    layer: HttpClientLayer,
}

impl<S, B, RB> Service<Request<B>> for HttpClientService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Error: Into<BoxError>,
{
    type Response = Response<RB>;
    type Error = BoxError;
    type Future = HttpClientFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let tracker =
            self.layer
                .metrics
                .start(request.method().as_str(), request.uri(), request.headers());
        let timeout = self.layer.timeout;
        HttpClientFuture {
            inner: self.inner.call(request),
            sleep: timeout.map(|t| Box::pin(tokio::time::sleep(t))),
            timeout,
            tracker: Some(tracker),
        }
    }
}

pin_project! {
    /// The future of [`HttpClientService`]: records the request when the response head
    /// arrives, the inner service fails, or the timeout passes first. Dropped before
    /// then, the request is recorded as `canceled`.
    pub struct HttpClientFuture<F> {
        #[pin]
        inner: F,
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
        timeout: Option<Duration>,
        tracker: Option<ClientRequestTracker>,
    }
}

impl<F> fmt::Debug for HttpClientFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientFuture")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<F, RB, E> Future for HttpClientFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<RB>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            let tracker = this.tracker.take();
            return Poll::Ready(match result {
                Ok(response) => {
                    if let Some(tracker) = tracker {
                        tracker.finish_status(response.status().as_u16());
                    }
                    Ok(response)
                }
                Err(error) => {
                    let error: BoxError = error.into();
                    if let Some(tracker) = tracker {
                        tracker.finish_error(ClientErrorCause::of(&*error));
                    }
                    Err(error)
                }
            });
        }
        if let Some(sleep) = this.sleep.as_mut() {
            ready!(sleep.as_mut().poll(cx));
            if let Some(tracker) = this.tracker.take() {
                tracker.finish_error(ClientErrorCause::Timeout);
            }
            let timeout = this.timeout.unwrap_or_default();
            return Poll::Ready(Err(Box::new(RequestTimedOut(timeout))));
        }
        Poll::Pending
    }
}
