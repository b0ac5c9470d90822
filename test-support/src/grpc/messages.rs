//! The echo service's messages, written as prost types by hand (no `protoc`).

/// A request: what to echo, and how the call should end.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct EchoRequest {
    /// Echoed back.
    #[prost(string, tag = "1")]
    pub message: ::prost::alloc::string::String,
    /// A non-zero gRPC status code the call ends with instead of `OK`.
    #[prost(int32, tag = "2")]
    pub code: i32,
    /// Milliseconds to wait before answering (before each reply of a stream).
    #[prost(uint64, tag = "3")]
    pub delay_ms: u64,
    /// How many replies a server stream sends.
    #[prost(uint32, tag = "4")]
    pub count: u32,
}

/// A reply.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct EchoReply {
    /// The request's message (or, for a client stream, how many requests arrived).
    #[prost(string, tag = "1")]
    pub message: ::prost::alloc::string::String,
    /// The reply's position in its stream.
    #[prost(uint32, tag = "2")]
    pub index: u32,
}
