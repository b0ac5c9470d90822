//! Generates the gRPC echo service of the `grpc` feature with tonic-build's manual
//! builder: the service is described here in Rust, the messages are prost types written
//! by hand (`src/grpc/messages.rs`), so no `protoc` is needed.

fn main() {
    #[cfg(feature = "grpc")]
    generate_echo();
}

#[cfg(feature = "grpc")]
fn generate_echo() {
    use tonic_build::manual::{Builder, Method, Service};

    let method = |name: &str, route: &str, client_streaming: bool, server_streaming: bool| {
        let mut method = Method::builder()
            .name(name)
            .route_name(route)
            .input_type("crate::grpc::EchoRequest")
            .output_type("crate::grpc::EchoReply")
            .codec_path("tonic_prost::ProstCodec");
        if client_streaming {
            method = method.client_streaming();
        }
        if server_streaming {
            method = method.server_streaming();
        }
        method.build()
    };
    let echo = Service::builder()
        .name("Echo")
        .package("promkit.test")
        .method(method("unary", "Unary", false, false))
        .method(method("client_stream", "ClientStream", true, false))
        .method(method("server_stream", "ServerStream", false, true))
        .method(method("bidi", "Bidi", true, true))
        .build();
    Builder::new().compile(&[echo]);
}
