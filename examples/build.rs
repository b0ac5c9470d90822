//! Generates the `grpc-app` example's `demo.Greeter` service with tonic-build's manual
//! builder: the service is described here in Rust and its messages are prost types
//! written by hand (`src/greeter.rs`), so building needs no `protoc`.

use tonic_build::manual::{Builder, Method, Service};

fn main() {
    let greeter = Service::builder()
        .name("Greeter")
        .package("demo")
        .method(
            Method::builder()
                .name("say_hello")
                .route_name("SayHello")
                .input_type("crate::greeter::HelloRequest")
                .output_type("crate::greeter::HelloReply")
                .codec_path("tonic_prost::ProstCodec")
                .build(),
        )
        .method(
            Method::builder()
                .name("countdown")
                .route_name("Countdown")
                .input_type("crate::greeter::CountdownRequest")
                .output_type("crate::greeter::CountdownReply")
                .codec_path("tonic_prost::ProstCodec")
                .server_streaming()
                .build(),
        )
        .build();
    Builder::new().compile(&[greeter]);
}
