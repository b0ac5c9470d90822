//! The HTTP client layer around hyper-util's client, against a local hyper server on
//! 127.0.0.1: statuses, a refused connection, a timeout, a caller that gives up — on a
//! current-thread and a multi-thread runtime — and promtool on the output.
#![cfg(feature = "http-client")]

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{Empty, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use prom_kit::Registry;
use prom_kit::http_client::{HttpClientLayer, HttpClientMetrics, HttpClientService};
use prom_kit::testing::sample_value;
use tokio::net::TcpListener;
use tower_layer::Layer;
use tower_service::Service;

/// A server answering `/status/N` with N and `/slow` after 5 s; stopped when the task is
/// aborted.
async fn serve() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
                    let path = request.uri().path().to_owned();
                    if path == "/slow" {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    let status = path
                        .strip_prefix("/status/")
                        .and_then(|s| s.parse().ok())
                        .and_then(|s| StatusCode::from_u16(s).ok())
                        .unwrap_or(StatusCode::OK);
                    let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
                    *response.status_mut() = status;
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

type Layered = HttpClientService<Client<HttpConnector, Empty<Bytes>>>;

fn client(registry: &Registry) -> Layered {
    let metrics = HttpClientMetrics::builder().build(registry).unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    HttpClientLayer::new(metrics)
        .timeout(Duration::from_millis(300))
        .layer(client)
}

async fn get(client: &mut Layered, uri: &str) -> Result<StatusCode, String> {
    std::future::poll_fn(|cx| client.poll_ready(cx))
        .await
        .map_err(|e| e.to_string())?;
    let request = Request::get(uri).body(Empty::new()).unwrap();
    client
        .call(request)
        .await
        .map(|r| r.status())
        .map_err(|e| e.to_string())
}

fn total(registry: &Registry, server: &str, status: &str, error: &str) -> f64 {
    sample_value(
        registry,
        "http_client_requests_total",
        &[
            ("method", "GET"),
            ("server_address", server),
            ("status", status),
            ("error", error),
        ],
    )
    .unwrap_or(0.0)
}

async fn every_outcome_is_recorded() {
    let (addr, server) = serve().await;
    let registry = Registry::new();
    let mut client = client(&registry);
    let address = addr.to_string();
    for status in [200, 200, 404, 503] {
        let got = get(
            &mut client,
            &format!("http://{addr}/status/{status}?secret=1"),
        )
        .await
        .unwrap();
        assert_eq!(got.as_u16(), status);
    }
    let timed_out = get(&mut client, &format!("http://{addr}/slow"))
        .await
        .unwrap_err();
    assert!(timed_out.contains("no response within"), "{timed_out}");
    // The caller gives up before the layer's timeout.
    let gave_up = tokio::time::timeout(
        Duration::from_millis(50),
        get(&mut client, &format!("http://{addr}/slow")),
    )
    .await;
    assert!(gave_up.is_err());
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let refused = get(&mut client, &format!("http://{closed_addr}/"))
        .await
        .unwrap_err();
    assert!(!refused.is_empty());

    assert_eq!(total(&registry, &address, "200", ""), 2.0);
    assert_eq!(total(&registry, &address, "404", ""), 1.0);
    assert_eq!(total(&registry, &address, "503", ""), 1.0);
    assert_eq!(total(&registry, &address, "", "timeout"), 1.0);
    assert_eq!(total(&registry, &address, "", "canceled"), 1.0);
    assert_eq!(
        total(
            &registry,
            &closed_addr.to_string(),
            "",
            "connection_refused"
        ),
        1.0,
        "{}",
        registry.encode_text().unwrap()
    );
    let in_flight = sample_value(
        &registry,
        "http_client_requests_in_flight",
        &[("method", "GET"), ("server_address", &address)],
    );
    assert_eq!(in_flight, Some(0.0));
    let text = registry.encode_text().unwrap();
    assert!(
        !text.contains("secret"),
        "the query leaked into a label:\n{text}"
    );
    if let Some(promtool) = prom_kit_test_support::promtool() {
        prom_kit_test_support::promtool_check(&promtool, &text).unwrap();
    }
    server.abort();
}

#[tokio::test(flavor = "current_thread")]
async fn every_outcome_is_recorded_current_thread() {
    every_outcome_is_recorded().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_outcome_is_recorded_multi_thread() {
    every_outcome_is_recorded().await;
}
