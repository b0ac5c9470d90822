//! The status a call ends with, from what the layer sees: a response's headers, its
//! trailers, or an error.

use std::error::Error;
use std::io;

use http::{HeaderMap, HeaderName};
use prom_kit::http::GrpcCode;

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
    fn statuses_in_headers_are_read_strictly() {
        let mut headers = HeaderMap::new();
        assert_eq!(code_in(&headers), None);
        headers.insert("grpc-status", "5".parse().unwrap());
        assert_eq!(code_in(&headers), Some(GrpcCode::NotFound));
        headers.insert("grpc-status", " 5".parse().unwrap());
        assert_eq!(code_in(&headers), Some(GrpcCode::Unknown));
    }
}
