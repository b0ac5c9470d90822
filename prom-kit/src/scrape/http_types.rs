//! Conversions between the handler's plain request and response and the `http` crate's
//! types, used by every entry point built on `http` (the axum adapter, the standalone
//! server); frameworks with types of their own convert in their adapter.

use http::header::{ACCEPT, ACCEPT_ENCODING, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};

use super::response::plain;
use super::{ScrapeBody, ScrapeRequest, ScrapeResponse};

/// The header Prometheus sends with its scrape timeout in seconds.
const SCRAPE_TIMEOUT: HeaderName = HeaderName::from_static("x-prometheus-scrape-timeout-seconds");

impl<'a, B> From<&'a Request<B>> for ScrapeRequest<'a> {
    /// The method and the negotiation headers of `request`; a header that is not
    /// visible ASCII counts as absent (as an unparseable `Accept` would).
    fn from(request: &'a Request<B>) -> Self {
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|value: &HeaderValue| value.to_str().ok())
        };
        ScrapeRequest {
            method: request.method().as_str(),
            accept: header(ACCEPT),
            accept_encoding: header(ACCEPT_ENCODING),
            query: request.uri().query(),
            scrape_timeout: header(SCRAPE_TIMEOUT),
        }
    }
}

impl From<ScrapeResponse> for Response<ScrapeBody> {
    /// The response, with its status and headers; its body holds the scrape's slot until
    /// it has been sent (map it into the framework's body type, `axum::body::Body::new`
    /// say, never into bytes collected beforehand).
    fn from(mut scrape: ScrapeResponse) -> Self {
        let status =
            StatusCode::from_u16(scrape.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = std::mem::take(&mut scrape.headers);
        let mut response = Response::new(scrape.into_body());
        *response.status_mut() = status;
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

impl ScrapeResponse {
    /// The answer when a scrape could not be served at all (the task encoding it
    /// panicked or was cancelled): `500` with a plain-text message.
    pub fn failed() -> Self {
        plain(500, "the scrape failed\n", Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_convert_with_their_negotiation_headers() {
        let request = Request::builder()
            .method("HEAD")
            .header(ACCEPT, "application/openmetrics-text;version=1.0.0")
            .header(ACCEPT_ENCODING, b"gzip\xff".as_slice())
            .header("X-Prometheus-Scrape-Timeout-Seconds", "1.5")
            .body(())
            .unwrap();
        let scrape = ScrapeRequest::from(&request);
        assert_eq!(scrape.method, "HEAD");
        assert_eq!(
            scrape.accept,
            Some("application/openmetrics-text;version=1.0.0")
        );
        assert_eq!(scrape.accept_encoding, None, "not visible ASCII");
        assert_eq!(scrape.scrape_timeout, Some("1.5"));
    }

    /// The body's bytes, all ready at once.
    fn bytes(body: ScrapeBody) -> Vec<u8> {
        let collected = http_body_util::BodyExt::collect(body);
        let mut collected = std::pin::pin!(collected);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match collected.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Ok(all)) => all.to_bytes().to_vec(),
            other => panic!("not ready at once: {other:?}"),
        }
    }

    #[test]
    fn responses_convert_with_status_and_headers() {
        let response = Response::<ScrapeBody>::from(ScrapeResponse::new(
            405,
            vec![("allow", "GET, HEAD"), ("bad name", "x"), ("vary", "a\nb")],
            b"no\n".to_vec(),
        ));
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET, HEAD");
        assert_eq!(response.headers().len(), 1, "invalid headers are left out");
        assert_eq!(bytes(response.into_body()), b"no\n");

        let failed = Response::<ScrapeBody>::from(ScrapeResponse::failed());
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            failed.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn out_of_range_statuses_become_500() {
        let response =
            Response::<ScrapeBody>::from(ScrapeResponse::new(1000, Vec::new(), Vec::new()));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
