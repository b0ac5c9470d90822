//! The HTTP exchange with the gateway, over hyper.

use std::fmt;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::Method;
use crate::error::{Error, ErrorKind, Result};
use crate::gzip::gzip;

/// The most of a gateway's answer that is kept (its error messages are short).
const MAX_RESPONSE_BODY: usize = 64 * 1024;

#[cfg(not(feature = "push-tls"))]
type Connector = HttpConnector;
#[cfg(feature = "push-tls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A gateway's answer to a request it did not accept: the source of an
/// [`ErrorKind::Rejected`](crate::ErrorKind::Rejected) error.
///
/// ```no_run
/// # async fn run(client: prom_kit::push::PushClient, registry: prom_kit::Registry) {
/// use prom_kit::push::GatewayResponse;
///
/// if let Err(error) = client.push(&registry).await {
///     if let Some(answer) = std::error::Error::source(&error).and_then(|s| s.downcast_ref::<GatewayResponse>()) {
///         eprintln!("gateway said {}: {}", answer.status, answer.body);
///     }
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The response body (the gateway's reason), at most 64 KiB.
    pub body: String,
}

impl fmt::Display for GatewayResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.body.trim())
    }
}

impl std::error::Error for GatewayResponse {}

/// One request to send.
pub(super) struct Request<'a> {
    pub(super) method: Method,
    pub(super) url: &'a str,
    pub(super) body: Vec<u8>,
    pub(super) content_type: Option<&'static str>,
    pub(super) gzip: bool,
    pub(super) authorization: Option<&'a str>,
}

/// A pooled hyper client.
pub(super) struct Transport {
    client: Client<Connector, Full<Bytes>>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport").finish_non_exhaustive()
    }
}

impl Transport {
    pub(super) fn new(base: &str) -> Result<Self> {
        let https = base.starts_with("https://");
        if !https && !base.starts_with("http://") {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("gateway URL {base:?} is not http:// or https://"),
            ));
        }
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector(https)?),
        })
    }

    pub(super) async fn send(&self, request: Request<'_>) -> Result<GatewayResponse> {
        let method = match request.method {
            Method::Put => http::Method::PUT,
            Method::Post => http::Method::POST,
            Method::Delete => http::Method::DELETE,
        };
        let mut builder = http::Request::builder().method(method).uri(request.url);
        if let Some(content_type) = request.content_type {
            builder = builder.header(http::header::CONTENT_TYPE, content_type);
        }
        if let Some(authorization) = request.authorization {
            builder = builder.header(http::header::AUTHORIZATION, authorization);
        }
        let body = if request.gzip {
            builder = builder.header(http::header::CONTENT_ENCODING, "gzip");
            gzip(&request.body).map_err(|e| Error::with_source(ErrorKind::Io, "gzip", e))?
        } else {
            request.body
        };
        let http_request = builder.body(Full::new(Bytes::from(body))).map_err(|e| {
            Error::with_source(
                ErrorKind::InvalidValue,
                format!("request to {}", request.url),
                e,
            )
        })?;
        let response = self
            .client
            .request(http_request)
            .await
            .map_err(|e| send_error(request.method, request.url, e))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BODY)
            .collect()
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Transport,
                    format!("reading the answer of {}: {e}", request.url),
                )
            })?
            .to_bytes();
        Ok(GatewayResponse {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// The error of a request to `url` that got no answer: one that could not connect names
/// the gateway's address; both give the causes' messages (`tcp connect error: Connection
/// refused (os error 111)`).
fn send_error(method: Method, url: &str, error: hyper_util::client::legacy::Error) -> Error {
    let mut causes = Vec::new();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        causes.push(inner.to_string());
        cause = inner.source();
    }
    if causes.is_empty() {
        causes.push(error.to_string());
    }
    let causes = causes.join(": ");
    let context = if error.is_connect() {
        let gateway = url
            .parse::<http::Uri>()
            .ok()
            .and_then(|uri| uri.authority().map(ToString::to_string))
            .unwrap_or_else(|| url.to_owned());
        format!("cannot connect to the Pushgateway at {gateway} ({method} {url}): {causes}")
    } else {
        format!("{method} {url} got no answer: {causes}")
    };
    Error::with_source(ErrorKind::Transport, context, error)
}

#[cfg(not(feature = "push-tls"))]
fn connector(https: bool) -> Result<Connector> {
    if https {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            "https:// gateways need prom-kit's `push-tls` feature",
        ));
    }
    Ok(HttpConnector::new())
}

#[cfg(feature = "push-tls")]
fn connector(_https: bool) -> Result<Connector> {
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| {
            Error::with_source(ErrorKind::Io, "loading the system's root certificates", e)
        })?;
    Ok(builder.https_or_http().enable_http1().build())
}
