use std::io::{Read, Write};
use std::net::TcpListener;

use super::*;
use crate::{Counter, Family};

/// A one-shot HTTP server answering `status` with `body`; returns its URL and a thread
/// yielding the raw request it received.
fn fake_gateway(status: u16, body: &'static str) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let request = read_request(&mut stream, &mut Vec::new()).unwrap_or_default();
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
        request
    });
    (url, thread)
}

/// Reads one request (head and the body its `Content-Length` announces) from `stream`,
/// keeping bytes of the next one in `pending`; `None` once the peer closed.
fn read_request(stream: &mut std::net::TcpStream, pending: &mut Vec<u8>) -> Option<String> {
    let mut buffer = [0u8; 8192];
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if pending.len() >= end + 4 + length {
                let request: Vec<u8> = pending.drain(..end + 4 + length).collect();
                return Some(String::from_utf8_lossy(&request).into_owned());
            }
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&buffer[..n]),
        }
    }
}

fn registry() -> Registry {
    let registry = Registry::new();
    let counter = Counter::new();
    counter.inc_by(3);
    registry.register("records", "Records.", counter).unwrap();
    registry
}

#[test]
fn puts_text_to_the_group_url_with_auth() {
    let (url, request) = fake_gateway(200, "");
    let client = PushClient::builder(&url, "batch")
        .grouping("zone", "eu/west")
        .basic_auth("user", "secret")
        .build()
        .unwrap();
    assert!(
        client
            .url()
            .ends_with("/metrics/job/batch/zone@base64/ZXUvd2VzdA==")
    );
    client.push_blocking(&registry()).unwrap();
    let request = request.join().unwrap();
    assert!(
        request.starts_with("PUT /metrics/job/batch/zone@base64/ZXUvd2VzdA== HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains("authorization: Basic dXNlcjpzZWNyZXQ=\r\n"),
        "{request}"
    );
    assert!(
        request.contains("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"),
        "{request}"
    );
    assert!(request.ends_with("records_total 3\n"), "{request}");
}

/// A UTF-8 registry with a dotted counter.
fn utf8_registry() -> Registry {
    let registry = Registry::with_name_validation(crate::NameValidation::Utf8);
    let family: Family<Counter> = Family::new(["order.kind"]).unwrap();
    family.labels(&["express"]).unwrap().inc_by(2);
    registry.register("shop.orders", "Orders.", family).unwrap();
    registry
}

#[test]
fn utf8_names_are_pushed_escaped_unless_the_gateway_takes_them() {
    let (url, request) = fake_gateway(200, "");
    let client = PushClient::builder(&url, "batch").build().unwrap();
    client.push_blocking(&utf8_registry()).unwrap();
    let request = request.join().unwrap();
    assert!(
        request.ends_with("shop_orders_total{order_kind=\"express\"} 2\n"),
        "{request}"
    );
    assert_eq!(
        PushClient::builder(&url, "batch")
            .grouping("service.name", "shop")
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidLabelName
    );

    let (url, request) = fake_gateway(200, "");
    let client = PushClient::builder(&url, "batch")
        .utf8_names(true)
        .grouping("service.name", "shop")
        .build()
        .unwrap();
    assert!(
        client
            .url()
            .ends_with("/metrics/job/batch/U__service_2e_name/shop")
    );
    client.push_blocking(&utf8_registry()).unwrap();
    let request = request.join().unwrap();
    assert!(
        request.starts_with("PUT /metrics/job/batch/U__service_2e_name/shop HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.ends_with("{\"shop.orders_total\",\"order.kind\"=\"express\"} 2\n"),
        "{request}"
    );
}

#[test]
fn utf8_grouping_labels_clash_with_quoted_series_labels() {
    let client = PushClient::builder("http://127.0.0.1:9", "batch")
        .utf8_names(true)
        .grouping("order.kind", "x")
        .build()
        .unwrap();
    let error = client.push_blocking(&utf8_registry()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LabelClash);
    assert!(error.to_string().contains("order.kind"), "{error}");
}

#[tokio::test]
async fn rejections_carry_status_and_body() {
    let (url, request) = fake_gateway(400, "pushed metrics are invalid or inconsistent");
    let client = PushClient::builder(&url, "batch")
        .bearer_token("t0k")
        .build()
        .unwrap();
    let error = client.push_add(&registry()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
    assert_eq!(
        error.to_string(),
        format!(
            "request rejected: POST {url}/metrics/job/batch answered HTTP 400: pushed metrics \
             are invalid or inconsistent"
        )
    );
    let answer = std::error::Error::source(&error)
        .and_then(|s| s.downcast_ref::<GatewayResponse>())
        .expect("gateway response as the source");
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body, "pushed metrics are invalid or inconsistent");
    let request = request.join().unwrap();
    assert!(
        request.starts_with("POST /metrics/job/batch HTTP/1.1"),
        "{request}"
    );
    assert!(request.contains("authorization: Bearer t0k\r\n"));
}

#[test]
fn refuses_clashing_labels_before_sending() {
    // Nothing listens there: a clash must be reported without any connection attempt.
    let client = PushClient::builder("http://127.0.0.1:9", "batch")
        .grouping("instance", "a")
        .build()
        .unwrap();
    for label in ["job", "instance"] {
        let registry = Registry::new();
        let family: Family<Counter> = Family::new([label]).unwrap();
        family.labels(&["x"]).unwrap().inc();
        registry.register("things", "Things.", family).unwrap();
        let error = client.push_blocking(&registry).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LabelClash, "{label}");
    }
    let registry = Registry::new().with_labels([("job", "other")]).unwrap();
    registry.register("jobs", "Jobs.", Counter::new()).unwrap();
    assert_eq!(
        client.push_blocking(&registry).unwrap_err().kind(),
        ErrorKind::LabelClash
    );
    // A clean registry gets as far as the network.
    assert_eq!(
        client.push_blocking(&self::registry()).unwrap_err().kind(),
        ErrorKind::Transport
    );
}

#[test]
fn times_out_and_validates_urls() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let client = PushClient::builder(&url, "batch")
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = client.delete_blocking().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(error.to_string().contains("timed out"), "{error}");
    drop(silent);

    assert_eq!(
        PushClient::builder("ftp://x", "j")
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidValue
    );
    assert_eq!(
        PushClient::builder("http://x", "")
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidValue
    );
    #[cfg(not(feature = "push-tls"))]
    assert_eq!(
        PushClient::builder("https://x", "j")
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidValue
    );
    #[cfg(feature = "push-tls")]
    assert!(PushClient::builder("https://x", "j").build().is_ok());
}

#[test]
fn dot_only_job_and_grouping_values_are_sent_base64() {
    for (job, value, path) in [
        (".", "..", "/metrics/job@base64/Lg==/zone@base64/Li4="),
        ("..", ".", "/metrics/job@base64/Li4=/zone@base64/Lg=="),
    ] {
        let (url, request) = fake_gateway(200, "");
        let client = PushClient::builder(&url, job)
            .grouping("zone", value)
            .build()
            .unwrap();
        assert!(client.url().ends_with(path), "{}", client.url());
        client.delete_blocking().unwrap();
        let request = request.join().unwrap();
        assert!(
            request.starts_with(&format!("DELETE {path} HTTP/1.1\r\n")),
            "{request}"
        );
    }
}

#[test]
fn no_builder_input_panics() {
    use proptest::prelude::*;
    proptest!(ProptestConfig::with_cases(512), |(
        base in prop_oneof![Just("http://127.0.0.1:9".to_owned()), "http://\\PC{0,12}", any::<String>()],
        job in any::<String>(),
        name in "[a-z_]{1,4}|\\PC{0,4}",
        value in any::<String>(),
        user in any::<String>(),
        token in any::<String>(),
    )| {
        let builder = PushClient::builder(&base, &job).grouping(&name, &value);
        let built = builder.clone().basic_auth(&user, &token).build();
        let _ = builder.bearer_token(&token).gzip(true).build();
        match built {
            Ok(client) => prop_assert!(client.url().parse::<http::Uri>().is_ok()),
            Err(_) if job.is_empty() => {}
            Err(error) => prop_assert!(error.kind() != ErrorKind::Io, "{error}"),
        }
    });
}

#[test]
fn build_reports_every_kind_of_bad_configuration() {
    let base = "http://127.0.0.1:9";
    let kind = |builder: PushClientBuilder| builder.build().unwrap_err().kind();
    assert_eq!(kind(PushClient::builder(base, "")), ErrorKind::InvalidValue);
    assert_eq!(
        kind(PushClient::builder(base, "j").grouping("job", "x")),
        ErrorKind::ReservedLabelName
    );
    assert_eq!(
        kind(PushClient::builder(base, "j").grouping("bad name", "x")),
        ErrorKind::InvalidLabelName
    );
    // A later good label does not hide an earlier bad one.
    assert_eq!(
        kind(
            PushClient::builder(base, "j")
                .grouping("__x", "1")
                .grouping("zone", "eu")
        ),
        ErrorKind::ReservedLabelName
    );
    // Labels apply in the order given: the last value of a name wins.
    let client = PushClient::builder(base, "j")
        .instance_from_hostname()
        .grouping("instance", "given")
        .build()
        .unwrap();
    assert!(
        client.url().ends_with("/job/j/instance/given"),
        "{}",
        client.url()
    );
    let client = PushClient::builder(base, "j")
        .grouping("instance", "given")
        .instance_from_hostname()
        .build()
        .unwrap();
    assert!(
        !client.url().ends_with("/instance/given"),
        "{}",
        client.url()
    );
}

#[test]
fn credentials_that_no_header_can_carry_are_refused() {
    let error = PushClient::builder("http://127.0.0.1:9", "j")
        .bearer_token("abc\r\nX-Injected: 1")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidValue);
    let error = PushClient::builder("http://a b", "j").build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidValue);
}

/// One request as a keep-alive gateway received it.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    at: std::time::Instant,
}

/// An HTTP/1.1 gateway that keeps connections alive (as the real one does), answers
/// every request 200 (`PUT`s after `put_delay`), and records what it received.
struct KeepAliveGateway {
    url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

impl KeepAliveGateway {
    fn start(put_delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let log = std::sync::Arc::clone(&log);
                std::thread::spawn(move || serve_keep_alive(stream, &log, put_delay));
            }
        });
        Self { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits up to `within` for a request with `method`; returns when it arrived.
    fn wait_for(&self, method: &str, within: Duration) -> Option<std::time::Instant> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(r) = self.received().iter().find(|r| r.method == method) {
                return Some(r.at);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }
}

fn serve_keep_alive(
    mut stream: std::net::TcpStream,
    log: &std::sync::Mutex<Vec<Received>>,
    put_delay: Duration,
) {
    let mut pending = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut pending) {
        let head = request.split("\r\n\r\n").next().unwrap_or_default();
        let mut words = head.split(' ');
        let method = words.next().unwrap_or_default().to_owned();
        let path = words.next().unwrap_or_default().to_owned();
        if method == "PUT" {
            std::thread::sleep(put_delay);
        }
        log.lock().unwrap().push(Received {
            method,
            path,
            at: std::time::Instant::now(),
        });
        if stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

#[test]
fn periodic_pushes_work_with_and_without_a_runtime() {
    let gateway = KeepAliveGateway::start(Duration::ZERO);
    let client = PushClient::builder(&gateway.url, "worker").build().unwrap();
    // From a plain thread: the first push goes at once.
    let handle = client
        .start_periodic(registry(), Duration::from_secs(3600))
        .unwrap();
    assert!(gateway.wait_for("PUT", Duration::from_secs(5)).is_some());
    drop(handle);
    let received = gateway.received();
    assert_eq!(received.last().unwrap().method, "DELETE", "{received:?}");
    assert_eq!(received[0].path, "/metrics/job/worker");
    // From inside a runtime, shut down explicitly: a final push, then the delete.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let handle = client
            .start_periodic(registry(), Duration::from_secs(3600))
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        handle.shutdown().await.unwrap();
    });
    let methods: Vec<String> = gateway.received().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["PUT", "DELETE", "PUT", "PUT", "DELETE"]);
}

/// Dropping a handle on a current-thread runtime blocks its only thread; the delete must
/// not need that thread (it used to wait on a pooled connection served by it, and time
/// out, leaving the group on the gateway).
#[tokio::test(flavor = "current_thread")]
async fn dropping_a_handle_on_a_current_thread_runtime_deletes_at_once() {
    let gateway = KeepAliveGateway::start(Duration::ZERO);
    let client = PushClient::builder(&gateway.url, "worker")
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // An async push first: the client's pool now holds a connection served by this
    // runtime's only thread.
    client.push(&registry()).await.unwrap();
    let handle = client
        .start_periodic(registry(), Duration::from_secs(3600))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let dropped = std::time::Instant::now();
    drop(handle);
    let deleted = gateway
        .wait_for("DELETE", Duration::from_secs(1))
        .expect("the DELETE arrived within 1 s");
    assert!(deleted.duration_since(dropped) < Duration::from_secs(1));
    // A blocking push after the async one, on the same blocked thread, also completes.
    let started = std::time::Instant::now();
    client.push_blocking(&registry()).unwrap();
    client.delete_blocking().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// A push in flight when the handle is dropped never reaches the gateway after the
/// final delete.
#[test]
fn no_push_arrives_after_the_final_delete() {
    for _ in 0..3 {
        let gateway = KeepAliveGateway::start(Duration::from_millis(150));
        let client = PushClient::builder(&gateway.url, "worker").build().unwrap();
        let handle = client
            .start_periodic(registry(), Duration::from_millis(20))
            .unwrap();
        std::thread::sleep(Duration::from_millis(400));
        drop(handle);
        // Whatever was in flight has had the time to arrive.
        std::thread::sleep(Duration::from_millis(400));
        let received = gateway.received();
        let delete = received
            .iter()
            .position(|r| r.method == "DELETE")
            .expect("a DELETE");
        assert_eq!(delete, received.len() - 1, "{received:?}");
    }
}
