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
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        // Read the head and the body announced by Content-Length.
        loop {
            let n = stream.read(&mut buffer).unwrap();
            request.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&request);
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    (url, thread)
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
        .unwrap()
        .grouping("zone", "eu/west")
        .unwrap()
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

#[tokio::test]
async fn rejections_carry_status_and_body() {
    let (url, request) = fake_gateway(400, "pushed metrics are invalid or inconsistent");
    let client = PushClient::builder(&url, "batch")
        .unwrap()
        .bearer_token("t0k")
        .build()
        .unwrap();
    let error = client.push_add(&registry()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
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
        .unwrap()
        .grouping("instance", "a")
        .unwrap()
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
        .unwrap()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = client.delete_blocking().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(error.to_string().contains("timed out"), "{error}");
    drop(silent);

    assert_eq!(
        PushClient::builder("ftp://x", "j")
            .unwrap()
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidValue
    );
    assert_eq!(
        PushClient::builder("http://x", "").unwrap_err().kind(),
        ErrorKind::InvalidValue
    );
    #[cfg(not(feature = "push-tls"))]
    assert_eq!(
        PushClient::builder("https://x", "j")
            .unwrap()
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidValue
    );
    #[cfg(feature = "push-tls")]
    assert!(
        PushClient::builder("https://x", "j")
            .unwrap()
            .build()
            .is_ok()
    );
}

#[test]
fn dot_only_job_and_grouping_values_are_sent_base64() {
    for (job, value, path) in [
        (".", "..", "/metrics/job@base64/Lg==/zone@base64/Li4="),
        ("..", ".", "/metrics/job@base64/Li4=/zone@base64/Lg=="),
    ] {
        let (url, request) = fake_gateway(200, "");
        let client = PushClient::builder(&url, job)
            .unwrap()
            .grouping("zone", value)
            .unwrap()
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
        let Ok(builder) = PushClient::builder(&base, &job) else {
            prop_assert!(job.is_empty());
            return Ok(());
        };
        let Ok(builder) = builder.grouping(&name, &value) else { return Ok(()); };
        let built = builder.clone().basic_auth(&user, &token).build();
        let _ = builder.bearer_token(&token).gzip(true).build();
        if let Ok(client) = built {
            prop_assert!(client.url().parse::<http::Uri>().is_ok());
        }
    });
}

#[test]
fn credentials_that_no_header_can_carry_are_refused() {
    let error = PushClient::builder("http://127.0.0.1:9", "j")
        .unwrap()
        .bearer_token("abc\r\nX-Injected: 1")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidValue);
    let error = PushClient::builder("http://a b", "j")
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidValue);
}

#[tokio::test]
async fn periodic_pushes_need_a_runtime_only() {
    let (url, request) = fake_gateway(200, "");
    let client = PushClient::builder(&url, "worker")
        .unwrap()
        .build()
        .unwrap();
    let handle = client
        .start_periodic(registry(), Duration::from_secs(3600))
        .unwrap();
    // The first tick fires at once.
    let request = tokio::task::spawn_blocking(move || request.join().unwrap())
        .await
        .unwrap();
    assert!(request.starts_with("PUT /metrics/job/worker HTTP/1.1"));
    drop(handle);
    let outside = std::thread::spawn(move || {
        client
            .start_periodic(Registry::new(), Duration::from_secs(1))
            .map(|_| ())
    });
    assert_eq!(outside.join().unwrap().unwrap_err().kind(), ErrorKind::Io);
}
