//! The kind of a gRPC call ([`GrpcType`]) and the service and method its path names
//! ([`GrpcMethod`]).

/// The `grpc_service` and `grpc_method` (and `grpc_type`) of a call whose path names no
/// method the adapter knows: one bucket, so a client sending random paths cannot create
/// series.
pub const UNKNOWN_GRPC: &str = "<unknown>";

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
    /// use prom_kit::grpc::GrpcMethod;
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
