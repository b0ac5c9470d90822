//! The `/metrics` handler.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, ACCEPT_ENCODING, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use bytes::Bytes;
use http_body::Body;
use prom_kit::adapter::{OwnedScrapeRequest, ScrapeBody, ScrapeRequest, ScrapeResponse};
use prom_kit::scrape::MetricsHandler;

/// Answers one scrape request through `handler`, encoding on the calling thread (see
/// [`scrape_off_worker`] for async handlers).
pub fn scrape(handler: &MetricsHandler, request: &HttpRequest) -> HttpResponse {
    into_response(handler.handle(&scrape_request(request)))
}

/// The header Prometheus sends with its scrape timeout in seconds.
const SCRAPE_TIMEOUT: HeaderName = HeaderName::from_static("x-prometheus-scrape-timeout-seconds");

/// What the handler needs of `request`.
fn scrape_request(request: &HttpRequest) -> ScrapeRequest<'_> {
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    ScrapeRequest {
        method: request.method().as_str(),
        accept: header(ACCEPT),
        accept_encoding: header(ACCEPT_ENCODING),
        query: Some(request.query_string()).filter(|q| !q.is_empty()),
        scrape_timeout: header(SCRAPE_TIMEOUT),
    }
}

/// The scrape's answer as an actix response (actix has header types of its own); its
/// body holds the scrape's slot until it has been sent.
fn into_response(mut scrape: ScrapeResponse) -> HttpResponse {
    let status = StatusCode::from_u16(scrape.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in std::mem::take(&mut scrape.headers) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.insert_header((name, value));
        }
    }
    response.body(ActixScrapeBody(scrape.into_body()))
}

/// A [`ScrapeBody`] as an actix body.
struct ActixScrapeBody(ScrapeBody);

impl MessageBody for ActixScrapeBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.0.size_hint().exact().unwrap_or_default())
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Infallible>>> {
        // A scrape body has data frames only, always ready.
        Pin::new(&mut self.get_mut().0)
            .poll_frame(cx)
            .map(|frame| frame.and_then(|frame| frame.ok()?.into_data().ok().map(Ok)))
    }
}

/// [`scrape`] through [`MetricsHandler::handle_async`]: async collectors run within the
/// scrape's deadline, and the encoding runs on tokio's blocking pool, so that a large
/// registry never stalls the worker thread (actix workers are single-threaded, and every
/// connection of that worker waits while it encodes).
pub async fn scrape_off_worker(handler: &MetricsHandler, request: &HttpRequest) -> HttpResponse {
    let owned = OwnedScrapeRequest::from(scrape_request(request));
    into_response(handler.handle_async(owned).await)
}

/// A resource at `path` answering every method through `handler` (so that methods other
/// than `GET` and `HEAD` get its `405`).
pub fn metrics_resource(path: &str, handler: MetricsHandler) -> Resource {
    let handler = web::Data::new(handler);
    web::resource(path)
        .app_data(handler)
        .default_service(web::to(
            |handler: web::Data<MetricsHandler>, request: HttpRequest| async move {
                scrape_off_worker(&handler, &request).await
            },
        ))
}
