//! The status a call ends with, from what the layer sees: a response's headers, its
//! trailers, or an error.

use std::error::Error;
use std::io;

use http::{HeaderMap, HeaderName};
use prom_kit::grpc::GrpcCode;

/// The error type of the layered service (tonic's `BoxError`).
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The `grpc-status` header (or trailer).
static GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");

/// The `grpc-timeout` request header.
pub(crate) static GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// The code of a `grpc-status` in `headers` (trailers, or the headers of a
/// trailers-only response), if there is one.
pub(crate) fn code_in(headers: &HeaderMap) -> Option<GrpcCode> {
    headers
        .get(&GRPC_STATUS)
        .map(|value| GrpcCode::from_header(value.as_bytes()))
}

/// The code a tonic client gives a call that failed with `error` before or while its
/// response arrived: a `Status` anywhere in the chain gives its own code; tonic's
/// timeout `Cancelled`; a connection that could not be made (or was refused, reset or
/// aborted) `Unavailable`; anything else `Unknown`.
pub(crate) fn code_of_error(error: &(dyn Error + 'static)) -> GrpcCode {
    let mut source = Some(error);
    while let Some(error) = source {
        if let Some(status) = error.downcast_ref::<tonic::Status>() {
            return GrpcCode::from_number(u32::try_from(i32::from(status.code())).unwrap_or(2));
        }
        if error.downcast_ref::<tonic::TimeoutExpired>().is_some() {
            return GrpcCode::Canceled;
        }
        if error.downcast_ref::<tonic::ConnectError>().is_some() {
            return GrpcCode::Unavailable;
        }
        if let Some(io) = error.downcast_ref::<io::Error>() {
            if matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::NotConnected
                    | io::ErrorKind::BrokenPipe
            ) {
                return GrpcCode::Unavailable;
            }
        }
        source = error.source();
    }
    GrpcCode::Unknown
}

/// Whether a request body failed because its peer gave up on it: the stream reset by the
/// peer (`RST_STREAM`, whatever its reason, or a `GOAWAY` it sent) or the connection lost
/// (closed, reset, aborted). Not an error the server's side raised itself — a stream h2
/// reset for a protocol error, a body limit or timeout of the server's — whose status the
/// client does see.
pub(crate) fn peer_gone(error: &(dyn Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(error) = source {
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            return h2.is_io() || h2.is_remote();
        }
        if let Some(io) = error.downcast_ref::<io::Error>() {
            return matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            );
        }
        source = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapped(Box<dyn Error + Send + Sync>);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("wrapped")
        }
    }

    impl Error for Wrapped {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&*self.0)
        }
    }

    #[test]
    fn errors_map_to_the_code_a_client_sees() {
        let status = tonic::Status::not_found("x");
        assert_eq!(code_of_error(&status), GrpcCode::NotFound);
        let nested = Wrapped(Box::new(tonic::Status::resource_exhausted("x")));
        assert_eq!(code_of_error(&nested), GrpcCode::ResourceExhausted);
        let refused = Wrapped(Box::new(io::Error::from(io::ErrorKind::ConnectionRefused)));
        assert_eq!(code_of_error(&refused), GrpcCode::Unavailable);
        let other = io::Error::other("disk on fire");
        assert_eq!(code_of_error(&other), GrpcCode::Unknown);
        assert_eq!(
            code_of_error(&tonic::TimeoutExpired(())),
            GrpcCode::Canceled
        );
    }

    #[test]
    fn only_the_peer_giving_up_cuts_a_request_body() {
        // (h2 makes its remote resets and lost connections itself: those are driven
        // over TCP in tests/cancellations.rs.) A reason without a remote peer is the
        // server's own doing.
        let reset = h2::Error::from(h2::Reason::CANCEL);
        assert!(!peer_gone(&reset));
        assert!(!peer_gone(&Wrapped(Box::new(reset))));
        // As tonic hands it over: a Status whose source holds the transport's error.
        let lost = Wrapped(Box::new(io::Error::from(io::ErrorKind::UnexpectedEof)));
        let status = tonic::Status::from_error(Box::new(lost));
        assert!(peer_gone(&status), "{status:?}");
        let closed = Wrapped(Box::new(io::Error::from(io::ErrorKind::ConnectionReset)));
        assert!(peer_gone(&closed));
        assert!(!peer_gone(&io::Error::other("body limit")));
        assert!(!peer_gone(&tonic::Status::internal("too big")));
    }

    #[test]
    fn statuses_in_headers_are_read_strictly() {
        let mut headers = HeaderMap::new();
        assert_eq!(code_in(&headers), None);
        headers.insert("grpc-status", "5".parse().unwrap());
        assert_eq!(code_in(&headers), Some(GrpcCode::NotFound));
        headers.insert("grpc-status", " 5".parse().unwrap());
        assert_eq!(code_in(&headers), Some(GrpcCode::Unknown));
    }
}
