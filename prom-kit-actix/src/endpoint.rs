//! The `/metrics` handler.

use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, ACCEPT_ENCODING, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use prom_kit::http::{MetricsHandler, ScrapeRequest};

/// Answers one scrape request through `handler`.
pub fn scrape(handler: &MetricsHandler, request: &HttpRequest) -> HttpResponse {
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
    let status = StatusCode::from_u16(scrape.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in scrape.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.insert_header((name, value));
        }
    }
    response.body(scrape.body)
}

/// A resource at `path` answering every method through `handler` (so that methods other
/// than `GET` and `HEAD` get its `405`).
pub fn metrics_resource(path: &str, handler: MetricsHandler) -> Resource {
    let handler = web::Data::new(handler);
    web::resource(path)
        .app_data(handler)
        .default_service(web::to(
            |handler: web::Data<MetricsHandler>, request: HttpRequest| async move {
                scrape(&handler, &request)
            },
        ))
}
