//! A real tonic server and client over TCP on 127.0.0.1, both layered, through every way
//! a call ends: OK, every status a handler returns, a client deadline, a client that
//! cancels mid-stream, an unimplemented path, a server that is not there — with the
//! message counts of every kind of stream exact, and every started call handled.

use std::time::{Duration, Instant};

use prom_kit::grpc::{GrpcMethods, GrpcMetrics, GrpcType, UNKNOWN_GRPC};
use prom_kit::testing::{Syntax, parse, sample_value};
use prom_kit::{Buckets, Registry};
use prom_kit_test_support::grpc::{
    ECHO_SERVICE, Echo, EchoClient, EchoReply, EchoRequest, EchoServer, bind_loopback,
};
use prom_kit_tonic::{GrpcMetricsLayer, GrpcMetricsService};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Request};
use tower_layer::Layer;

fn echo_methods() -> GrpcMethods {
    GrpcMethods::new().service(
        ECHO_SERVICE,
        [
            ("Unary", GrpcType::Unary),
            ("ClientStream", GrpcType::ClientStream),
            ("ServerStream", GrpcType::ServerStream),
            ("Bidi", GrpcType::BidiStream),
        ],
    )
}

/// A layered echo server and a layered client connected to it.
struct Harness {
    server_registry: Registry,
    client_registry: Registry,
    client: EchoClient<GrpcMetricsService<Channel>>,
    addr: std::net::SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl Harness {
    async fn start() -> Self {
        let server_registry = Registry::new();
        let server_metrics = GrpcMetrics::server()
            .methods(echo_methods())
            .duration_histogram(Buckets::DEFAULT)
            .build(&server_registry)
            .unwrap();
        let (incoming, addr) = bind_loopback().await;
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            Server::builder()
                .layer(GrpcMetricsLayer::new(server_metrics))
                .add_service(EchoServer::new(Echo))
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stop.await;
                })
                .await
                .expect("echo server");
        });
        let client_registry = Registry::new();
        let client = layered_client(&client_registry, &format!("http://{addr}"))
            .await
            .expect("connect");
        Self {
            server_registry,
            client_registry,
            client,
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

    fn server(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        sample_value(&self.server_registry, name, labels).unwrap_or(0.0)
    }

    fn client_value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        sample_value(&self.client_registry, name, labels).unwrap_or(0.0)
    }

    /// Waits (up to 5 s) until the server has recorded `count` handled calls of `method`
    /// with `code`: the server finishes a call when its response stream ends, which may
    /// come a moment after the client has its answer.
    async fn server_handled(&self, kind: &str, method: &str, code: &str, count: f64) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let seen = self.server(
                "grpc_server_handled_total",
                &call_labels(kind, method, Some(code)),
            );
            if seen == count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server handled {kind} {method} {code}: {seen}, expected {count}\n{}",
                self.server_registry.encode_text().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

async fn layered_client(
    registry: &Registry,
    uri: &str,
) -> Result<EchoClient<GrpcMetricsService<Channel>>, tonic::transport::Error> {
    let metrics = GrpcMetrics::client()
        .methods(echo_methods())
        .duration_histogram(Buckets::DEFAULT)
        .build(registry)
        .unwrap();
    let channel = Endpoint::from_shared(uri.to_owned())?.connect().await?;
    Ok(EchoClient::new(
        GrpcMetricsLayer::new(metrics).layer(channel),
    ))
}

fn call_labels<'a>(
    kind: &'a str,
    method: &'a str,
    code: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let (service, method) = if method == UNKNOWN_GRPC {
        (UNKNOWN_GRPC, UNKNOWN_GRPC)
    } else {
        (ECHO_SERVICE, method)
    };
    let mut labels = vec![
        ("grpc_type", kind),
        ("grpc_service", service),
        ("grpc_method", method),
    ];
    labels.extend(code.map(|c| ("grpc_code", c)));
    labels
}

fn request(message: &str) -> EchoRequest {
    EchoRequest {
        message: message.to_owned(),
        ..EchoRequest::default()
    }
}

/// Every started call of `registry` is handled: started − Σ handled = 0 per method (the
/// calls in flight, as go-grpc-middleware's users compute them).
fn assert_nothing_in_flight(registry: &Registry, side: &str) {
    let text = registry.encode_text().unwrap();
    let exposition = parse(&text, Syntax::Text).unwrap();
    let samples: Vec<_> = exposition
        .families
        .iter()
        .flat_map(|f| &f.samples)
        .collect();
    let key = |labels: &[(String, String)]| -> Vec<(String, String)> {
        labels
            .iter()
            .filter(|(n, _)| n != "grpc_code")
            .cloned()
            .collect()
    };
    let started: Vec<_> = samples
        .iter()
        .filter(|s| s.name == format!("grpc_{side}_started_total"))
        .collect();
    assert!(!started.is_empty(), "no calls started:\n{text}");
    for start in started {
        let handled: f64 = samples
            .iter()
            .filter(|s| s.name == format!("grpc_{side}_handled_total"))
            .filter(|s| key(&s.labels) == start.labels)
            .map(|s| s.value)
            .sum();
        assert_eq!(
            handled, start.value,
            "{side} in flight for {:?}\n{text}",
            start.labels
        );
    }
}

async fn every_code_of_a_unary_call_is_recorded_on_both_sides() {
    let mut h = Harness::start().await;
    let reply = h.client.unary(request("hello")).await.unwrap();
    assert_eq!(reply.into_inner().message, "hello");
    for number in 1..=16 {
        let status = h
            .client
            .unary(EchoRequest {
                code: number,
                ..request("fail")
            })
            .await
            .unwrap_err();
        assert_eq!(i32::from(status.code()), number);
    }
    for number in 0..=16u32 {
        let code = prom_kit::grpc::GrpcCode::from_number(number).name();
        h.server_handled("unary", "Unary", code, 1.0).await;
        assert_eq!(
            h.client_value(
                "grpc_client_handled_total",
                &call_labels("unary", "Unary", Some(code))
            ),
            1.0,
            "client {code}"
        );
    }
    let unary = call_labels("unary", "Unary", None);
    assert_eq!(h.server("grpc_server_started_total", &unary), 17.0);
    assert_eq!(h.server("grpc_server_msg_received_total", &unary), 17.0);
    // Only the successful call sent a message back.
    assert_eq!(h.server("grpc_server_msg_sent_total", &unary), 1.0);
    assert_eq!(h.client_value("grpc_client_msg_sent_total", &unary), 17.0);
    assert_eq!(
        h.client_value("grpc_client_msg_received_total", &unary),
        1.0
    );
    assert_eq!(h.server("grpc_server_handling_seconds_count", &unary), 17.0);
    assert_nothing_in_flight(&h.server_registry, "server");
    assert_nothing_in_flight(&h.client_registry, "client");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_code_of_a_unary_call_multi_thread() {
    every_code_of_a_unary_call_is_recorded_on_both_sides().await;
}

#[tokio::test(flavor = "current_thread")]
async fn every_code_of_a_unary_call_current_thread() {
    every_code_of_a_unary_call_is_recorded_on_both_sides().await;
}

async fn streams_count_every_message_in_both_directions() {
    let mut h = Harness::start().await;
    // Client stream: 5 requests, 1 reply.
    let requests = futures_util::stream::iter((0..5).map(|i| request(&i.to_string())));
    let reply = h.client.client_stream(requests).await.unwrap();
    assert_eq!(reply.into_inner().message, "5");
    // Server stream: 1 request, 7 replies.
    let mut replies = h
        .client
        .server_stream(EchoRequest {
            count: 7,
            ..request("tick")
        })
        .await
        .unwrap()
        .into_inner();
    let mut received: Vec<EchoReply> = Vec::new();
    while let Some(reply) = replies.message().await.unwrap() {
        received.push(reply);
    }
    assert_eq!(received.len(), 7);
    // Bidi: 4 each way.
    let requests = futures_util::stream::iter((0..4).map(|i| request(&i.to_string())));
    let mut replies = h.client.bidi(requests).await.unwrap().into_inner();
    let mut echoed = 0;
    while replies.message().await.unwrap().is_some() {
        echoed += 1;
    }
    assert_eq!(echoed, 4);
    // An empty client stream is one call with no request message.
    let reply = h
        .client
        .client_stream(futures_util::stream::iter(Vec::<EchoRequest>::new()))
        .await
        .unwrap();
    assert_eq!(reply.into_inner().message, "0");

    h.server_handled("client_stream", "ClientStream", "OK", 2.0)
        .await;
    h.server_handled("server_stream", "ServerStream", "OK", 1.0)
        .await;
    h.server_handled("bidi_stream", "Bidi", "OK", 1.0).await;
    for (kind, method, server_received, server_sent) in [
        ("client_stream", "ClientStream", 5.0, 2.0),
        ("server_stream", "ServerStream", 1.0, 7.0),
        ("bidi_stream", "Bidi", 4.0, 4.0),
    ] {
        let labels = call_labels(kind, method, None);
        assert_eq!(
            h.server("grpc_server_msg_received_total", &labels),
            server_received,
            "{method}"
        );
        assert_eq!(
            h.server("grpc_server_msg_sent_total", &labels),
            server_sent,
            "{method}"
        );
        assert_eq!(
            h.client_value("grpc_client_msg_sent_total", &labels),
            server_received,
            "{method}"
        );
        assert_eq!(
            h.client_value("grpc_client_msg_received_total", &labels),
            server_sent,
            "{method}"
        );
    }
    assert_nothing_in_flight(&h.server_registry, "server");
    assert_nothing_in_flight(&h.client_registry, "client");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_count_every_message_multi_thread() {
    streams_count_every_message_in_both_directions().await;
}

#[tokio::test(flavor = "current_thread")]
async fn streams_count_every_message_current_thread() {
    streams_count_every_message_in_both_directions().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ending_in_an_error_status_is_recorded_with_it() {
    let mut h = Harness::start().await;
    let mut replies = h
        .client
        .server_stream(EchoRequest {
            count: 3,
            code: Code::DataLoss as i32,
            ..request("tick")
        })
        .await
        .unwrap()
        .into_inner();
    let mut got = 0;
    let status = loop {
        match replies.message().await {
            Ok(Some(_)) => got += 1,
            Ok(None) => panic!("the stream ended without its status"),
            Err(status) => break status,
        }
    };
    assert_eq!((got, status.code()), (3, Code::DataLoss));
    h.server_handled("server_stream", "ServerStream", "DataLoss", 1.0)
        .await;
    let labels = call_labels("server_stream", "ServerStream", Some("DataLoss"));
    assert_eq!(h.client_value("grpc_client_handled_total", &labels), 1.0);
    assert_eq!(
        h.server(
            "grpc_server_msg_sent_total",
            &call_labels("server_stream", "ServerStream", None)
        ),
        3.0
    );
    h.stop().await;
}

async fn a_client_deadline_is_deadline_exceeded_on_both_sides() {
    let mut h = Harness::start().await;
    let mut slow = Request::new(EchoRequest {
        delay_ms: 3_000,
        ..request("slow")
    });
    slow.set_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let status = h.client.unary(slow).await.unwrap_err();
    // tonic's server answers an expired `grpc-timeout` with `Cancelled`.
    assert!(
        matches!(status.code(), Code::Cancelled | Code::DeadlineExceeded),
        "{status:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    h.server_handled("unary", "Unary", "DeadlineExceeded", 1.0)
        .await;
    let labels = call_labels("unary", "Unary", Some("DeadlineExceeded"));
    assert_eq!(h.client_value("grpc_client_handled_total", &labels), 1.0);
    assert_eq!(
        h.server(
            "grpc_server_handled_total",
            &call_labels("unary", "Unary", Some("Canceled"))
        ),
        0.0
    );
    assert_nothing_in_flight(&h.server_registry, "server");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deadline_multi_thread() {
    a_client_deadline_is_deadline_exceeded_on_both_sides().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_client_deadline_current_thread() {
    a_client_deadline_is_deadline_exceeded_on_both_sides().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_cancels_mid_stream_is_canceled_on_both_sides() {
    let mut h = Harness::start().await;
    let mut replies = h
        .client
        .server_stream(EchoRequest {
            count: 1_000,
            delay_ms: 20,
            ..request("tick")
        })
        .await
        .unwrap()
        .into_inner();
    for _ in 0..3 {
        replies.message().await.unwrap().expect("a reply");
    }
    drop(replies);
    h.server_handled("server_stream", "ServerStream", "Canceled", 1.0)
        .await;
    let labels = call_labels("server_stream", "ServerStream", Some("Canceled"));
    assert_eq!(h.client_value("grpc_client_handled_total", &labels), 1.0);
    let sent = h.server(
        "grpc_server_msg_sent_total",
        &call_labels("server_stream", "ServerStream", None),
    );
    assert!((3.0..1_000.0).contains(&sent), "server sent {sent}");
    assert_nothing_in_flight(&h.server_registry, "server");
    assert_nothing_in_flight(&h.client_registry, "client");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_are_unimplemented_in_one_bounded_series() {
    let h = Harness::start().await;
    let channel = Endpoint::from_shared(format!("http://{}", h.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut raw = tonic::client::Grpc::new(
        GrpcMetricsLayer::new(GrpcMetrics::client().build(&Registry::new()).unwrap())
            .layer(channel),
    );
    for i in 0..50 {
        raw.ready().await.unwrap();
        let path = format!("/random.Service{i}/Method{i}").parse().unwrap();
        let status = raw
            .unary::<EchoRequest, EchoReply, _>(
                Request::new(request("?")),
                path,
                tonic_prost::ProstCodec::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented);
    }
    h.server_handled(UNKNOWN_GRPC, UNKNOWN_GRPC, "Unimplemented", 50.0)
        .await;
    let text = h.server_registry.encode_text().unwrap();
    assert_eq!(
        text.matches("grpc_server_started_total{").count(),
        1,
        "{text}"
    );
    assert!(!text.contains("random.Service"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_there_is_unavailable_to_the_client() {
    // A port that was just free: nothing listens there.
    let (listener, addr) = bind_loopback().await;
    drop(listener);
    let registry = Registry::new();
    let metrics = GrpcMetrics::client()
        .methods(echo_methods())
        .build(&registry)
        .unwrap();
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    let mut client = EchoClient::new(GrpcMetricsLayer::new(metrics).layer(channel));
    let status = client.unary(request("anyone?")).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let labels = call_labels("unary", "Unary", Some("Unavailable"));
    assert_eq!(
        sample_value(&registry, "grpc_client_handled_total", &labels),
        Some(1.0)
    );
    assert_nothing_in_flight(&registry, "client");
}

/// The echo service served behind `layer` on a loopback port: a client of it, the
/// server's shutdown signal and its task.
async fn serve_echo(
    layer: GrpcMetricsLayer,
) -> (
    EchoClient<Channel>,
    oneshot::Sender<()>,
    JoinHandle<Result<(), tonic::transport::Error>>,
) {
    let (incoming, addr) = bind_loopback().await;
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(
        Server::builder()
            .layer(layer)
            .add_service(EchoServer::new(Echo))
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stop.await;
            }),
    );
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    (EchoClient::new(channel), shutdown, server)
}

/// The exemplar hook reads the request metadata; a hook that panics (here on the trace
/// id `panic`) costs the call its exemplar only: the call is answered and recorded, and
/// the panic counted in `prom_kit_hook_errors_total{hook="exemplar"}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exemplars_come_from_the_request_metadata() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .methods(echo_methods())
        .duration_histogram(Buckets::DEFAULT)
        .build(&registry)
        .unwrap();
    let layer = GrpcMetricsLayer::new(metrics).exemplar(|parts| {
        let trace = parts.headers.get("x-trace-id")?.to_str().ok()?;
        assert_ne!(trace, "panic", "a bug in the hook");
        Some(vec![("trace_id".to_owned(), trace.to_owned())])
    });
    let (mut client, shutdown, server) = serve_echo(layer).await;
    let mut traced = Request::new(request("traced"));
    traced
        .metadata_mut()
        .insert("x-trace-id", "4bf92f3577b34da6".parse().unwrap());
    client.unary(traced).await.unwrap();
    let mut panicking = Request::new(request("hook panics"));
    panicking
        .metadata_mut()
        .insert("x-trace-id", "panic".parse().unwrap());
    let reply = client.unary(panicking).await.unwrap();
    assert_eq!(reply.into_inner().message, "hook panics");
    let deadline = Instant::now() + Duration::from_secs(5);
    let text = loop {
        let text =
            String::from_utf8(registry.render(prom_kit::Format::OpenMetrics).unwrap()).unwrap();
        if text.contains("grpc_code=\"OK\"} 2") || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(
        text.contains("grpc_code=\"OK\"} 2 # {trace_id=\"4bf92f3577b34da6\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("\nprom_kit_hook_errors_total{hook=\"exemplar\"} 1\n"),
        "{text}"
    );
    let _ = shutdown.send(());
    server.await.unwrap().unwrap();
}

/// With trace exemplars on, a call's sampled W3C `traceparent` metadata becomes the
/// exemplar of its `handled` count; an unsampled one is ignored (the call still
/// counted). On a current-thread runtime.
#[tokio::test]
async fn trace_exemplars_come_from_traceparent_metadata() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .methods(echo_methods())
        .trace_exemplars(true)
        .build(&registry)
        .unwrap();
    let (mut client, shutdown, server) = serve_echo(GrpcMetricsLayer::new(metrics)).await;
    for flags in ["00", "01"] {
        let mut call = Request::new(request("traced"));
        let header = format!("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-{flags}");
        call.metadata_mut()
            .insert("traceparent", header.parse().unwrap());
        client.unary(call).await.unwrap();
    }
    let expected = "grpc_code=\"OK\"} 2 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 1";
    let deadline = Instant::now() + Duration::from_secs(5);
    let text = loop {
        let text =
            String::from_utf8(registry.render(prom_kit::Format::OpenMetrics).unwrap()).unwrap();
        if text.contains(expected) || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(text.contains(expected), "{text}");
    let _ = shutdown.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_accepts_both_sides_output() {
    let mut h = Harness::start().await;
    h.client.unary(request("x")).await.unwrap();
    let _ = h
        .client
        .unary(EchoRequest {
            code: Code::NotFound as i32,
            ..request("x")
        })
        .await;
    h.server_handled("unary", "Unary", "NotFound", 1.0).await;
    let Some(promtool) = prom_kit_test_support::promtool() else {
        h.stop().await;
        return;
    };
    for registry in [&h.server_registry, &h.client_registry] {
        let text = registry.encode_text().unwrap();
        prom_kit_test_support::promtool_check(&promtool, &text).unwrap();
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_abandons_its_request_stream_is_canceled_with_its_messages_counted() {
    let h = Harness::start().await;
    let (sender, receiver) = tokio::sync::mpsc::channel::<EchoRequest>(8);
    let requests = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|request| (request, receiver))
    });
    let mut client = h.client.clone();
    let call = tokio::spawn(async move { client.client_stream(requests).await });
    for i in 0..3 {
        sender.send(request(&i.to_string())).await.unwrap();
    }
    // Wait until the server has all three, then give up without ending the stream.
    let labels = call_labels("client_stream", "ClientStream", None);
    let deadline = Instant::now() + Duration::from_secs(5);
    while h.server("grpc_server_msg_received_total", &labels) < 3.0 {
        assert!(Instant::now() < deadline, "the server never got 3 messages");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    call.abort();
    let _ = call.await;
    h.server_handled("client_stream", "ClientStream", "Canceled", 1.0)
        .await;
    assert_eq!(h.server("grpc_server_msg_received_total", &labels), 3.0);
    assert_eq!(
        h.client_value(
            "grpc_client_handled_total",
            &call_labels("client_stream", "ClientStream", Some("Canceled"))
        ),
        1.0
    );
    assert_nothing_in_flight(&h.server_registry, "server");
    h.stop().await;
}
