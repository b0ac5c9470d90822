//! The framework-neutral vocabulary of gRPC call metrics, for the gRPC adapters: status
//! codes as go-grpc-middleware's Prometheus provider names them ([`GrpcCode`]), the four
//! kinds of call ([`GrpcType`]), and the service and method a request path names
//! ([`GrpcMethod::parse`]), with unknown paths folded into one bounded bucket
//! ([`UNKNOWN_GRPC`]).

/// The `grpc_service` and `grpc_method` of a call whose path names no method the
/// adapter knows: one bucket, so a client sending random paths cannot create series.
pub const UNKNOWN_GRPC: &str = "<unknown>";

/// A gRPC status code, named as Go's `codes.Code` prints it (the `grpc_code` values every
/// go-grpc-middleware dashboard and alert is written for).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrpcCode {
    /// 0: success.
    Ok,
    /// 1: the call was cancelled (by the caller, or by a reset stream).
    Canceled,
    /// 2: an unknown error, or a status the client cannot read.
    Unknown,
    /// 3: the client specified an invalid argument.
    InvalidArgument,
    /// 4: the deadline expired first.
    DeadlineExceeded,
    /// 5: not found.
    NotFound,
    /// 6: already exists.
    AlreadyExists,
    /// 7: permission denied.
    PermissionDenied,
    /// 8: a resource ran out.
    ResourceExhausted,
    /// 9: the system is not in the state the call needs.
    FailedPrecondition,
    /// 10: aborted (a concurrency conflict).
    Aborted,
    /// 11: out of range.
    OutOfRange,
    /// 12: not implemented.
    Unimplemented,
    /// 13: an internal error.
    Internal,
    /// 14: unavailable.
    Unavailable,
    /// 15: data loss.
    DataLoss,
    /// 16: unauthenticated.
    Unauthenticated,
}

/// Every code, by number.
const CODES: [GrpcCode; 17] = [
    GrpcCode::Ok,
    GrpcCode::Canceled,
    GrpcCode::Unknown,
    GrpcCode::InvalidArgument,
    GrpcCode::DeadlineExceeded,
    GrpcCode::NotFound,
    GrpcCode::AlreadyExists,
    GrpcCode::PermissionDenied,
    GrpcCode::ResourceExhausted,
    GrpcCode::FailedPrecondition,
    GrpcCode::Aborted,
    GrpcCode::OutOfRange,
    GrpcCode::Unimplemented,
    GrpcCode::Internal,
    GrpcCode::Unavailable,
    GrpcCode::DataLoss,
    GrpcCode::Unauthenticated,
];

impl GrpcCode {
    /// The code with number `number`; a number the protocol does not define is
    /// [`Unknown`](Self::Unknown), as the gRPC specification asks of clients.
    pub fn from_number(number: u32) -> Self {
        usize::try_from(number)
            .ok()
            .and_then(|i| CODES.get(i))
            .copied()
            .unwrap_or(Self::Unknown)
    }

    /// Reads a `grpc-status` header or trailer value: ASCII digits only (no sign, no
    /// whitespace, at most 10 of them). Anything else — empty, non-digits, a number past
    /// `u32` — is what a client would make of it: [`Unknown`](Self::Unknown).
    ///
    /// ```
    /// use prom_kit::http::GrpcCode;
    ///
    /// assert_eq!(GrpcCode::from_header(b"0"), GrpcCode::Ok);
    /// assert_eq!(GrpcCode::from_header(b"4").name(), "DeadlineExceeded");
    /// for odd in [&b""[..], b"17", b" 1", b"+1", b"01x", b"99999999999", b"\xff"] {
    ///     assert_eq!(GrpcCode::from_header(odd), GrpcCode::Unknown, "{odd:?}");
    /// }
    /// ```
    pub fn from_header(value: &[u8]) -> Self {
        if value.is_empty() || value.len() > 10 || !value.iter().all(u8::is_ascii_digit) {
            return Self::Unknown;
        }
        let number = value.iter().try_fold(0u32, |n, d| {
            n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        });
        number.map_or(Self::Unknown, Self::from_number)
    }

    /// The number of the code.
    pub fn number(self) -> u32 {
        // The array is in number order and holds every variant.
        CODES
            .iter()
            .position(|c| *c == self)
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(2)
    }

    /// The name go-grpc-middleware's `grpc_code` label carries (`OK`, `Canceled`,
    /// `DeadlineExceeded`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Canceled => "Canceled",
            Self::Unknown => "Unknown",
            Self::InvalidArgument => "InvalidArgument",
            Self::DeadlineExceeded => "DeadlineExceeded",
            Self::NotFound => "NotFound",
            Self::AlreadyExists => "AlreadyExists",
            Self::PermissionDenied => "PermissionDenied",
            Self::ResourceExhausted => "ResourceExhausted",
            Self::FailedPrecondition => "FailedPrecondition",
            Self::Aborted => "Aborted",
            Self::OutOfRange => "OutOfRange",
            Self::Unimplemented => "Unimplemented",
            Self::Internal => "Internal",
            Self::Unavailable => "Unavailable",
            Self::DataLoss => "DataLoss",
            Self::Unauthenticated => "Unauthenticated",
        }
    }
}

/// The kind of a gRPC call, by whether each side streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrpcType {
    /// One request, one response.
    Unary,
    /// A stream of requests, one response.
    ClientStream,
    /// One request, a stream of responses.
    ServerStream,
    /// Streams both ways.
    BidiStream,
}

impl GrpcType {
    /// The kind from whether the client and the server stream.
    pub fn new(client_streams: bool, server_streams: bool) -> Self {
        match (client_streams, server_streams) {
            (false, false) => Self::Unary,
            (true, false) => Self::ClientStream,
            (false, true) => Self::ServerStream,
            (true, true) => Self::BidiStream,
        }
    }

    /// The `grpc_type` label value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unary => "unary",
            Self::ClientStream => "client_stream",
            Self::ServerStream => "server_stream",
            Self::BidiStream => "bidi_stream",
        }
    }
}

/// The service and method a gRPC request path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrpcMethod<'a> {
    /// The fully qualified service (`helloworld.Greeter`).
    pub service: &'a str,
    /// The method (`SayHello`).
    pub method: &'a str,
}

impl<'a> GrpcMethod<'a> {
    /// Splits a request path of the form `/{service}/{method}`; `None` for anything else
    /// (no leading slash, an empty part, a further slash, a query) — which an adapter
    /// records under [`UNKNOWN_GRPC`].
    ///
    /// ```
    /// use prom_kit::http::GrpcMethod;
    ///
    /// let call = GrpcMethod::parse("/helloworld.Greeter/SayHello").unwrap();
    /// assert_eq!((call.service, call.method), ("helloworld.Greeter", "SayHello"));
    /// for odd in ["", "/", "//x", "/a/", "a/b", "/a/b/c", "/a/b?x=1"] {
    ///     assert_eq!(GrpcMethod::parse(odd), None, "{odd:?}");
    /// }
    /// ```
    pub fn parse(path: &'a str) -> Option<Self> {
        let (service, method) = path.strip_prefix('/')?.split_once('/')?;
        let valid = |part: &str| !part.is_empty() && !part.contains(['/', '?', '#']);
        (valid(service) && valid(method)).then_some(Self { service, method })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_numbers() {
        for (number, code) in (0u32..).zip(CODES) {
            assert_eq!(GrpcCode::from_number(number), code);
            assert_eq!(code.number(), number);
            assert_eq!(GrpcCode::from_header(number.to_string().as_bytes()), code);
        }
        assert_eq!(GrpcCode::from_number(u32::MAX), GrpcCode::Unknown);
        assert_eq!(GrpcCode::from_header(b"4294967295"), GrpcCode::Unknown);
        assert_eq!(GrpcCode::from_header(b"4294967296"), GrpcCode::Unknown);
        let names: std::collections::HashSet<&str> = CODES.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), 17);
    }

    #[test]
    fn types_name_the_four_kinds() {
        let names: Vec<&str> = [(false, false), (true, false), (false, true), (true, true)]
            .into_iter()
            .map(|(c, s)| GrpcType::new(c, s).name())
            .collect();
        assert_eq!(
            names,
            ["unary", "client_stream", "server_stream", "bidi_stream"]
        );
    }
}
