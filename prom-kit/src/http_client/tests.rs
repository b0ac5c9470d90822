use super::*;
use crate::instrument::NamingScheme;
use crate::{NameValidation, Registry};

fn uri(text: &str) -> Uri {
    text.parse().unwrap()
}

#[test]
fn a_dropped_request_is_canceled_and_in_flight_returns_to_zero() {
    let registry = Registry::new();
    let metrics = HttpClientMetrics::builder().build(&registry).unwrap();
    let headers = HeaderMap::new();
    let pending = metrics.start("GET", &uri("http://a:1/x"), &headers);
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("http_client_requests_in_flight{method=\"GET\",server_address=\"a:1\"} 1\n"),
        "{text}"
    );
    drop(pending);
    metrics
        .start("BREW", &uri("http://a:1/y"), &headers)
        .finish_status(418);
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("http_client_requests_in_flight{method=\"GET\",server_address=\"a:1\"} 0\n")
    );
    assert!(text.contains("http_client_requests_total{method=\"GET\",server_address=\"a:1\",status=\"\",error=\"canceled\"} 1\n"));
    // Non-standard methods fold into one value.
    assert!(text.contains("http_client_requests_total{method=\"_OTHER\",server_address=\"a:1\",status=\"418\",error=\"\"} 1\n"));
    assert!(text.contains("http_client_request_duration_seconds_count{method=\"GET\",server_address=\"a:1\",status=\"\",error=\"canceled\"} 1\n"));
}

#[test]
fn opentelemetry_names_and_the_cardinality_guard() {
    let registry = Registry::new();
    let metrics = HttpClientMetrics::builder()
        .naming(NamingScheme::OpenTelemetry)
        .max_series(3)
        .build(&registry)
        .unwrap();
    let headers = HeaderMap::new();
    for i in 0..100 {
        metrics
            .start("GET", &uri(&format!("http://host{i}.example/")), &headers)
            .finish_status(200);
    }
    let text = registry.encode_text().unwrap();
    assert!(text.contains("http_client_request_duration_seconds_count{http_request_method=\"GET\",server_address=\"host0.example\",http_response_status_code=\"200\",error_type=\"\"} 1\n"), "{text}");
    assert!(!text.contains("http_client_requests_total"));
    assert!(text.contains("http_client_active_requests{"));
    assert!(
        text.matches("http_client_request_duration_seconds_count{")
            .count()
            <= 4,
        "{text}"
    );
    let utf8 = Registry::with_name_validation(NameValidation::Utf8);
    HttpClientMetrics::builder()
        .naming(NamingScheme::OpenTelemetryUtf8)
        .build(&utf8)
        .unwrap();
    assert!(
        HttpClientMetrics::builder()
            .naming(NamingScheme::OpenTelemetryUtf8)
            .build(&Registry::new())
            .is_err()
    );
}

#[test]
fn causes_come_from_the_error_chain() {
    use std::io;
    #[derive(Debug)]
    struct Outer(io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("client error")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    for (kind, cause) in [
        (io::ErrorKind::ConnectionRefused, "connection_refused"),
        (io::ErrorKind::ConnectionReset, "connection_reset"),
        (io::ErrorKind::UnexpectedEof, "connection_reset"),
        (io::ErrorKind::TimedOut, "timeout"),
        (io::ErrorKind::PermissionDenied, "other"),
    ] {
        assert_eq!(
            ClientErrorCause::of(&Outer(io::Error::from(kind))).name(),
            cause
        );
    }
}

#[test]
fn prefix_and_constant_labels_scope_every_family() {
    let registry = Registry::new();
    let metrics = HttpClientMetrics::builder()
        .prefix("shop")
        .const_label("zone", "eu")
        .build(&registry)
        .unwrap();
    metrics
        .start("GET", &uri("http://a/"), &HeaderMap::new())
        .finish_status(200);
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("shop_http_client_requests_total{zone=\"eu\",method=\"GET\""),
        "{text}"
    );
    assert!(
        HttpClientMetrics::builder()
            .const_label("bad-name", "x")
            .build(&registry)
            .is_err()
    );
    assert_eq!(registry.encode_text().unwrap(), text);
}

#[test]
fn trace_exemplars_come_from_the_outgoing_traceparent() {
    let registry = Registry::new();
    let metrics = HttpClientMetrics::builder()
        .trace_exemplars(true)
        .trace_exemplar_interval(std::time::Duration::from_secs(3600))
        .build(&registry)
        .unwrap();
    let traced = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    for value in [
        traced.replace("-01", "-00"),
        "garbage".to_owned(),
        traced.to_owned(),
        traced.replace("4bf9", "1111"),
    ] {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", value.parse().unwrap());
        metrics
            .start("GET", &uri("http://a:1/x"), &headers)
            .finish_status(200);
    }
    let text = String::from_utf8(registry.render(crate::Format::OpenMetrics).unwrap()).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("http_client_requests_total{"))
        .unwrap();
    assert!(
        line.contains(
            "} 4 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 1"
        ),
        "{line}"
    );
    assert!(!text.contains("1111"), "{text}");
}
