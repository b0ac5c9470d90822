//! A tonic gRPC service with go-grpc-middleware's metrics: `demo.Greeter` has a unary
//! method (`SayHello`; an empty name is `InvalidArgument`) and a server-streaming one
//! (`Countdown`). The metrics layer records `grpc_server_*` with the handling-time
//! histogram (classic and native buckets); prom-kit's standalone server serves them, with
//! the process collector, on their own address.
//!
//! On SIGTERM or Ctrl-C it stops accepting and lets calls in progress finish for a grace
//! period (`SHUTDOWN_GRACE`, 5 s), then stops anyway: a call left unfinished (a client
//! that never sends its request, a stream nobody reads) cannot hold the process. A call's
//! handler gets 30 s at most, and HTTP/2 keep-alive pings close connections to clients
//! that have gone away.
//!
//! In client mode it calls a running server — `count` greetings, one for an empty name,
//! one countdown — through a client-metrics layer, and prints its `grpc_client_*`.
//!
//! ```text
//! cargo run -p prom-kit-examples --bin grpc-app            # LISTEN_ADDR (gRPC), default 127.0.0.1:50051
//!                                                          # METRICS_ADDR, default 127.0.0.1:9102
//! cargo run -p prom-kit-examples --bin grpc-app -- client http://127.0.0.1:50051 10
//! curl http://127.0.0.1:9102/metrics
//! ```

use std::pin::Pin;
use std::time::Duration;

use prom_kit::collectors::ProcessCollector;
use prom_kit::grpc::GrpcMetrics;
use prom_kit::metrics::{HistogramConfig, NativeBuckets};
use prom_kit::{Buckets, Registry, server::Server};
use prom_kit_examples::greeter::generated::greeter_client::GreeterClient;
use prom_kit_examples::greeter::generated::greeter_server::{Greeter, GreeterServer};
use prom_kit_examples::greeter::{
    CountdownReply, CountdownRequest, HelloReply, HelloRequest, methods,
};
use prom_kit_tonic::GrpcMetricsLayer;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tower_layer::Layer;

/// The greeter.
struct Greetings;

type Countdown = Pin<Box<dyn Stream<Item = Result<CountdownReply, Status>> + Send>>;

#[tonic::async_trait]
impl Greeter for Greetings {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        let name = request.into_inner().name;
        if name.is_empty() {
            return Err(Status::invalid_argument("a name is required"));
        }
        Ok(Response::new(HelloReply {
            message: format!("Hello, {name}!"),
        }))
    }

    type CountdownStream = Countdown;

    async fn countdown(
        &self,
        request: Request<CountdownRequest>,
    ) -> Result<Response<Countdown>, Status> {
        let from = request.into_inner().from;
        if from > 100 {
            return Err(Status::out_of_range("at most 100"));
        }
        let steps = tokio_stream::iter(
            (0..from)
                .rev()
                .map(|remaining| Ok(CountdownReply { remaining })),
        );
        Ok(Response::new(Box::pin(steps)))
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new());
    let metrics = GrpcMetrics::server()
        .methods(methods())
        .duration_histogram(HistogramConfig::both(
            Buckets::DEFAULT,
            NativeBuckets::new(1.1)?,
        ))
        .preinitialize()
        .build(&registry)?;

    let metrics_server = Server::for_registry(&registry)?
        .start(prom_kit_examples::metrics_addr("127.0.0.1:9102"))
        .await?;
    let listener =
        tokio::net::TcpListener::bind(prom_kit_examples::listen_addr("127.0.0.1:50051")).await?;
    let grpc_addr = listener.local_addr()?;
    let stop = prom_kit_examples::shutdown_signal()?;
    println!("grpc-app serving gRPC on http://{grpc_addr}");
    println!(
        "grpc-app serving metrics on http://{}/metrics",
        metrics_server.local_addr()
    );

    // The grace runs from the signal: `serve_with_incoming_shutdown` alone would wait for
    // every call in progress, however long.
    let grace = prom_kit_examples::shutdown_grace();
    let (signalled, signal) = tokio::sync::oneshot::channel();
    let serving = tonic::transport::Server::builder()
        // A call's handler gets 30 s at most (a client's shorter `grpc-timeout` wins).
        .timeout(Duration::from_secs(30))
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .layer(GrpcMetricsLayer::new(metrics))
        .add_service(GreeterServer::new(Greetings))
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            async move {
                stop.await;
                let _ = signalled.send(());
            },
        );
    let grace_over = async move {
        match signal.await {
            Ok(()) => tokio::time::sleep(grace).await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        served = serving => served?,
        () = grace_over => eprintln!("grpc-app: calls still in progress after {grace:?}; stopping"),
    }
    metrics_server.shutdown().await;
    Ok(())
}

async fn call(address: String, count: u32) -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    let metrics = GrpcMetrics::client()
        .methods(methods())
        .duration_histogram(Buckets::DEFAULT)
        .build(&registry)?;
    let channel = tonic::transport::Endpoint::from_shared(address)?
        .timeout(Duration::from_secs(10))
        .connect()
        .await?;
    let mut client = GreeterClient::new(GrpcMetricsLayer::new(metrics).layer(channel));
    for n in 0..count {
        client
            .say_hello(HelloRequest {
                name: format!("caller {n}"),
            })
            .await?;
    }
    let refused = client
        .say_hello(HelloRequest {
            name: String::new(),
        })
        .await;
    assert!(refused.is_err(), "an empty name must be refused");
    let mut steps = client
        .countdown(CountdownRequest { from: 5 })
        .await?
        .into_inner();
    while steps.message().await?.is_some() {}
    print!("{}", registry.encode_text()?);
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prom_kit_examples::exit_status("grpc-app", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => serve().await,
        [mode, address, rest @ ..] if mode == "client" => {
            let count = match rest {
                [] => 10,
                [count] => count.parse()?,
                _ => return Err("usage: grpc-app client ADDRESS [COUNT]".into()),
            };
            call(address.clone(), count).await
        }
        _ => Err("usage: grpc-app [client ADDRESS [COUNT]]".into()),
    }
}
