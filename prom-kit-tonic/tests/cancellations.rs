//! Calls the client abandons while its request body is still open, driven by a raw HTTP/2
//! client (the `h2` crate) against a real tonic server over TCP, for exact control of
//! the frames: `RST_STREAM(CANCEL)` in the middle of a message or between messages, and
//! a connection closed in the middle of a message. Each is recorded once, as
//! `Canceled` — the code the client gave its call — never as the `Internal` or `Unknown`
//! tonic makes of the broken request body. A handler that fails on its own while the
//! request body is still open keeps its own code.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::Reason;
use prom_kit::grpc::{GrpcMethods, GrpcMetrics, GrpcType};
use prom_kit::testing::{Syntax, parse, sample_value};
use prom_kit::{Buckets, Registry};
use prom_kit_test_support::grpc::{ECHO_SERVICE, Echo, EchoRequest, EchoServer, bind_loopback};
use prom_kit_tonic::GrpcMetricsLayer;
use prost::Message;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Server;

/// How many calls each case makes: a race between the reset and the handler shows up
/// within a few.
const CALLS: usize = 5;

/// A layered echo server on 127.0.0.1.
struct EchoUnderTest {
    registry: Registry,
    addr: std::net::SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl EchoUnderTest {
    async fn start() -> Self {
        let registry = Registry::new();
        let methods = GrpcMethods::new().service(
            ECHO_SERVICE,
            [
                ("ClientStream", GrpcType::ClientStream),
                ("Bidi", GrpcType::BidiStream),
            ],
        );
        let metrics = GrpcMetrics::server()
            .methods(methods)
            .duration_histogram(Buckets::DEFAULT)
            .build(&registry)
            .unwrap();
        let (incoming, addr) = bind_loopback().await;
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            Server::builder()
                .layer(GrpcMetricsLayer::new(metrics))
                .add_service(EchoServer::new(Echo))
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stop.await;
                })
                .await
                .expect("echo server");
        });
        Self {
            registry,
            addr,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    async fn stop(mut self) {
        let _ = self.shutdown.take().map(|tx| tx.send(()));
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(10), server)
                .await
                .expect("server stops")
                .expect("server task");
        }
    }

    fn received(&self, method: Method) -> f64 {
        sample_value(
            &self.registry,
            "grpc_server_msg_received_total",
            &method.labels(),
        )
        .unwrap_or(0.0)
    }

    /// The `grpc_server_handled_total` counts of `method` by code, once they add up to
    /// `total` (waits up to 5 s: the server records a call when its response ends).
    async fn handled_once_total_is(&self, method: Method, total: f64) -> BTreeMap<String, f64> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.registry.encode_text().unwrap();
            let exposition = parse(&text, Syntax::Text).unwrap();
            let mut codes = BTreeMap::new();
            for sample in exposition.families.iter().flat_map(|f| &f.samples) {
                let labels: Vec<(&str, &str)> = sample
                    .labels
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                if sample.name == "grpc_server_handled_total"
                    && labels.contains(&("grpc_method", method.name()))
                {
                    let code = labels.iter().find(|(n, _)| *n == "grpc_code").unwrap().1;
                    codes.insert(code.to_owned(), sample.value);
                }
            }
            let seen: f64 = codes.values().sum();
            if seen >= total || Instant::now() > deadline {
                return codes;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for EchoUnderTest {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The two methods whose request stream a client keeps open.
#[derive(Clone, Copy, Debug)]
enum Method {
    ClientStream,
    Bidi,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Self::ClientStream => "ClientStream",
            Self::Bidi => "Bidi",
        }
    }

    fn labels(self) -> [(&'static str, &'static str); 3] {
        let kind = match self {
            Self::ClientStream => "client_stream",
            Self::Bidi => "bidi_stream",
        };
        [
            ("grpc_type", kind),
            ("grpc_service", ECHO_SERVICE),
            ("grpc_method", self.name()),
        ]
    }
}

/// How the client gives up on its call.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// `RST_STREAM` on the call's stream, the connection kept.
    Reset(Reason),
    /// The TCP connection closed.
    Close,
}

/// One length-prefixed gRPC message.
fn framed(request: &EchoRequest) -> Vec<u8> {
    let payload = request.encode_to_vec();
    let mut bytes = vec![0];
    bytes.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    bytes.extend_from_slice(&payload);
    bytes
}

fn request(message: &str) -> EchoRequest {
    EchoRequest {
        message: message.to_owned(),
        ..EchoRequest::default()
    }
}

/// A raw HTTP/2 connection to the server, and the task driving it (aborting it closes
/// the TCP connection).
async fn connect(addr: std::net::SocketAddr) -> (h2::client::SendRequest<Bytes>, JoinHandle<()>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    (client.ready().await.unwrap(), driver)
}

/// Opens a call of `method` whose request stream stays open.
fn open_call(
    client: &mut h2::client::SendRequest<Bytes>,
    addr: std::net::SocketAddr,
    method: Method,
) -> (h2::client::ResponseFuture, h2::SendStream<Bytes>) {
    let request = http::Request::post(format!("http://{addr}/{ECHO_SERVICE}/{}", method.name()))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    client.send_request(request, false).unwrap()
}

/// Waits (up to 5 s) until the server has counted `count` messages of `method`.
async fn until_received(server: &EchoUnderTest, method: Method, count: f64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.received(method) < count {
        assert!(
            Instant::now() < deadline,
            "the server never counted {count} messages of {method:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A call of `method` that sends two whole messages and, with `mid_message`, the first
/// half of a third, in one DATA frame; once the server has counted the two, the client
/// gives up its call by `cut`.
async fn abandoned_call(server: &EchoUnderTest, method: Method, mid_message: bool, cut: Cut) {
    let (mut client, driver) = connect(server.addr).await;
    let (response, mut stream) = open_call(&mut client, server.addr, method);
    let mut data = framed(&request("one"));
    data.extend(framed(&request("two")));
    if mid_message {
        let third = framed(&request("the third message, never finished"));
        data.extend_from_slice(&third[..third.len() / 2]);
    }
    let before = server.received(method);
    stream.send_data(Bytes::from(data), false).unwrap();
    until_received(server, method, before + 2.0).await;
    match cut {
        Cut::Reset(reason) => {
            stream.send_reset(reason);
            drop((response, stream));
            // The connection stays up a while, so that the server sees the reset alone
            // (the caller waits for the call to be recorded meanwhile).
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                drop(client);
                driver.abort();
            });
        }
        Cut::Close => {
            driver.abort();
            let _ = driver.await;
            drop((response, stream, client));
        }
    }
}

/// A call of `method` whose handler fails with `Internal` on the first message, while
/// the client's request stream is still open: the answer arrives, with its status.
async fn failing_call(server: &EchoUnderTest, method: Method) {
    let (mut client, driver) = connect(server.addr).await;
    let (response, mut stream) = open_call(&mut client, server.addr, method);
    let failing = EchoRequest {
        code: tonic::Code::Internal as i32,
        ..request("fail")
    };
    stream
        .send_data(Bytes::from(framed(&failing)), false)
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), response)
        .await
        .expect("an answer")
        .expect("a response");
    // A trailers-only answer carries its status in its headers; any other in its
    // trailers.
    let in_headers = response.headers().get("grpc-status").cloned();
    let mut body = response.into_body();
    let status = if let Some(status) = in_headers {
        status
    } else {
        while let Some(chunk) = body.data().await {
            chunk.expect("the answer's body");
        }
        let trailers = body.trailers().await.expect("trailers").expect("trailers");
        trailers.get("grpc-status").expect("a status").clone()
    };
    assert_eq!(status, "13", "{method:?}");
    drop((body, stream, client));
    driver.abort();
}

fn only(code: &str, count: f64) -> BTreeMap<String, f64> {
    BTreeMap::from([(code.to_owned(), count)])
}

async fn cancellations_are_canceled_and_real_errors_keep_their_code() {
    let server = EchoUnderTest::start().await;
    let mut expected = BTreeMap::from([
        (Method::ClientStream.name(), 0.0),
        (Method::Bidi.name(), 0.0),
    ]);
    for (method, mid_message, cut) in [
        (Method::ClientStream, true, Cut::Reset(Reason::CANCEL)),
        (Method::ClientStream, false, Cut::Reset(Reason::CANCEL)),
        // hyper reads a reset without error as the end of the body: tonic then finds
        // half a message, `Internal`.
        (Method::ClientStream, true, Cut::Reset(Reason::NO_ERROR)),
        (Method::ClientStream, false, Cut::Reset(Reason::NO_ERROR)),
        // Any other reason is a body error, which tonic makes `Internal`.
        (
            Method::ClientStream,
            true,
            Cut::Reset(Reason::INTERNAL_ERROR),
        ),
        // A closed connection: tonic makes the body error `Unknown`.
        (Method::ClientStream, true, Cut::Close),
        (Method::ClientStream, false, Cut::Close),
        (Method::Bidi, true, Cut::Reset(Reason::CANCEL)),
        (Method::Bidi, false, Cut::Reset(Reason::CANCEL)),
        (Method::Bidi, true, Cut::Reset(Reason::NO_ERROR)),
        (Method::Bidi, true, Cut::Reset(Reason::INTERNAL_ERROR)),
        (Method::Bidi, true, Cut::Close),
    ] {
        for _ in 0..CALLS {
            abandoned_call(&server, method, mid_message, cut).await;
        }
        let total = expected.get_mut(method.name()).unwrap();
        *total += CALLS as f64;
        let handled = server.handled_once_total_is(method, *total).await;
        assert_eq!(
            handled,
            only("Canceled", *total),
            "{method:?}, cut {cut:?}, mid-message {mid_message}"
        );
    }
    // Real errors while the request stream is open keep their code.
    for method in [Method::ClientStream, Method::Bidi] {
        for _ in 0..CALLS {
            failing_call(&server, method).await;
        }
        let canceled = expected[method.name()];
        let handled = server
            .handled_once_total_is(method, canceled + CALLS as f64)
            .await;
        let want = BTreeMap::from([
            ("Canceled".to_owned(), canceled),
            ("Internal".to_owned(), CALLS as f64),
        ]);
        assert_eq!(handled, want, "{method:?} failing on its own");
    }
    // Every started call is handled once, no more.
    for method in [Method::ClientStream, Method::Bidi] {
        let started = sample_value(
            &server.registry,
            "grpc_server_started_total",
            &method.labels(),
        );
        assert_eq!(
            started,
            Some(expected[method.name()] + CALLS as f64),
            "{method:?}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellations_multi_thread() {
    cancellations_are_canceled_and_real_errors_keep_their_code().await;
}

#[tokio::test(flavor = "current_thread")]
async fn cancellations_current_thread() {
    cancellations_are_canceled_and_real_errors_keep_their_code().await;
}
