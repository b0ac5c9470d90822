//! A gRPC echo service (`promkit.test.Echo`) with the four kinds of call, whose requests
//! say how the call should end — a status code, a delay, how many replies — so tests can
//! drive a real tonic server and client over TCP through every way a call finishes.

mod messages;
mod service;

pub use messages::{EchoReply, EchoRequest};
pub use service::{ECHO_SERVICE, Echo, bind_loopback};

/// The code tonic-build generated for the service (`build.rs`).
#[allow(missing_docs, unreachable_pub, clippy::pedantic, rust_2018_idioms)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/promkit.test.Echo.rs"));
}

pub use generated::echo_client::EchoClient;
pub use generated::echo_server::EchoServer;
