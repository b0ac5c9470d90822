//! [`GrpcCode`]: gRPC status codes, named as go-grpc-middleware names them, read from a
//! `grpc-status` value or an HTTP status.

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
    /// use prom_kit::grpc::GrpcCode;
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

    /// The code a gRPC client gives a response that carries no `grpc-status`, from its
    /// HTTP status (gRPC's HTTP-to-gRPC status mapping): 400 → `Internal`, 401 →
    /// `Unauthenticated`, 403 → `PermissionDenied`, 404 → `Unimplemented`, 429, 502, 503
    /// and 504 → `Unavailable`, anything else (200 included) → `Unknown`.
    ///
    /// ```
    /// use prom_kit::grpc::GrpcCode;
    ///
    /// assert_eq!(GrpcCode::from_http_status(503), GrpcCode::Unavailable);
    /// assert_eq!(GrpcCode::from_http_status(200), GrpcCode::Unknown);
    /// ```
    pub fn from_http_status(status: u16) -> Self {
        match status {
            400 => Self::Internal,
            401 => Self::Unauthenticated,
            403 => Self::PermissionDenied,
            404 => Self::Unimplemented,
            429 | 502 | 503 | 504 => Self::Unavailable,
            _ => Self::Unknown,
        }
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
}
