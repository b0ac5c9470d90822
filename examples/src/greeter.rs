//! The `grpc-app` example's service, `demo.Greeter`: its messages (prost types written
//! by hand), the code tonic-build generated for it (`build.rs`), and the method table
//! the metrics layer records it by.

use prom_kit::grpc::{GrpcMethods, GrpcType};

/// `SayHello`'s request.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct HelloRequest {
    /// Who to greet; empty is an `InvalidArgument`.
    #[prost(string, tag = "1")]
    pub name: ::prost::alloc::string::String,
}

/// `SayHello`'s reply.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: ::prost::alloc::string::String,
}

/// `Countdown`'s request.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CountdownRequest {
    /// Where to count down from (at most 100).
    #[prost(uint32, tag = "1")]
    pub from: u32,
}

/// One step of `Countdown`'s stream.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CountdownReply {
    /// What is left.
    #[prost(uint32, tag = "1")]
    pub remaining: u32,
}

/// The service's full name.
pub const SERVICE: &str = "demo.Greeter";

/// The methods of `demo.Greeter` with their kinds, for the metrics layer.
pub fn methods() -> GrpcMethods {
    GrpcMethods::new().service(
        SERVICE,
        [
            ("SayHello", GrpcType::Unary),
            ("Countdown", GrpcType::ServerStream),
        ],
    )
}

/// The code tonic-build generated (`build.rs`).
#[allow(missing_docs, unreachable_pub, clippy::pedantic, rust_2018_idioms)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/demo.Greeter.rs"));
}
