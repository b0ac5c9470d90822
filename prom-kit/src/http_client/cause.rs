//! The `error` label: why a request got no response, from a small fixed set.

use std::error::Error;
use std::io;

/// Why a request got no response: the `error` label's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientErrorCause {
    /// The request took longer than the layer's timeout (or an I/O timeout fired).
    Timeout,
    /// The server refused the connection.
    ConnectionRefused,
    /// The connection was reset, aborted or closed mid-request.
    ConnectionReset,
    /// The caller dropped the request before it completed.
    Canceled,
    /// Anything else (DNS, TLS, protocol errors, the user's own layers).
    Other,
}

impl ClientErrorCause {
    /// The label value: `timeout`, `connection_refused`, `connection_reset`, `canceled`
    /// or `other`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::ConnectionRefused => "connection_refused",
            Self::ConnectionReset => "connection_reset",
            Self::Canceled => "canceled",
            Self::Other => "other",
        }
    }

    /// The cause of `error`, from the first I/O error or timer in its source chain.
    pub fn of(error: &(dyn Error + 'static)) -> Self {
        let mut source = Some(error);
        while let Some(error) = source {
            if error.is::<tokio::time::error::Elapsed>() {
                return Self::Timeout;
            }
            if let Some(io) = error.downcast_ref::<io::Error>() {
                match io.kind() {
                    io::ErrorKind::TimedOut => return Self::Timeout,
                    io::ErrorKind::ConnectionRefused => return Self::ConnectionRefused,
                    io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::NotConnected => return Self::ConnectionReset,
                    _ => {}
                }
            }
            source = error.source();
        }
        Self::Other
    }
}
