//! [`MetricsEndpoint`]: the `/metrics` service.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use http::{Request, Response};
use prom_kit::adapter::{OwnedScrapeRequest, ScrapeBody, ScrapeRequest, ScrapeResponse};
use prom_kit::scrape::MetricsHandler;
use tower_service::Service;

/// A tower service answering scrapes of a registry through a [`MetricsHandler`]; mount
/// it with `Router::route_service` at any path.
#[derive(Clone, Debug)]
pub struct MetricsEndpoint {
    handler: MetricsHandler,
}

impl MetricsEndpoint {
    /// Serves what `handler` serves.
    pub fn new(handler: MetricsHandler) -> Self {
        Self { handler }
    }
}

impl<B> Service<Request<B>> for MetricsEndpoint {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ScrapeFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    /// Answers through [`MetricsHandler::handle_async`]: async collectors run within the
    /// scrape's deadline, and the encoding runs on tokio's blocking pool, so a large
    /// registry never stalls the runtime's worker (a current-thread runtime has only one).
    fn call(&mut self, request: Request<B>) -> Self::Future {
        let owned = OwnedScrapeRequest::from(ScrapeRequest::from(&request));
        let handler = self.handler.clone();
        ScrapeFuture {
            scrape: Box::pin(async move { handler.handle_async(owned).await }),
        }
    }
}

/// The response future of [`MetricsEndpoint`]: the scrape being collected and encoded.
pub struct ScrapeFuture {
    scrape: Pin<Box<dyn Future<Output = ScrapeResponse> + Send>>,
}

impl fmt::Debug for ScrapeFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScrapeFuture").finish_non_exhaustive()
    }
}

impl Future for ScrapeFuture {
    type Output = Result<Response<Body>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Poll::Ready(scrape) = self.scrape.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        // The body holds the scrape's slot until it has been sent.
        let response = Response::<ScrapeBody>::from(scrape).map(Body::new);
        Poll::Ready(Ok(response))
    }
}
