use super::*;
use crate::instrument::NamingScheme;
use crate::metrics::{HistogramConfig, NativeBuckets};
use crate::{Buckets, NameValidation, Registry};

fn greeter() -> GrpcMethods {
    GrpcMethods::new().service(
        "demo.Greeter",
        [
            ("SayHello", GrpcType::Unary),
            ("Countdown", GrpcType::ServerStream),
        ],
    )
}

#[test]
fn a_call_counts_started_messages_handled_and_its_duration() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .methods(greeter())
        .duration_histogram(Buckets::DEFAULT)
        .build(&registry)
        .unwrap();
    let call = metrics.start("/demo.Greeter/Countdown");
    call.received(1);
    call.sent(3);
    call.sent(0);
    call.finish(GrpcCode::Ok);
    let text = registry.encode_text().unwrap();
    let labels = r#"grpc_type="server_stream",grpc_service="demo.Greeter",grpc_method="Countdown""#;
    for line in [
        format!("grpc_server_started_total{{{labels}}} 1\n"),
        format!("grpc_server_msg_received_total{{{labels}}} 1\n"),
        format!("grpc_server_msg_sent_total{{{labels}}} 3\n"),
        format!("grpc_server_handled_total{{{labels},grpc_code=\"OK\"}} 1\n"),
        format!("grpc_server_handling_seconds_count{{{labels}}} 1\n"),
    ] {
        assert!(text.contains(&line), "{line} missing from\n{text}");
    }
}

#[test]
fn a_dropped_call_is_canceled_and_unknown_paths_share_one_series() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::client()
        .methods(greeter())
        .build(&registry)
        .unwrap();
    drop(metrics.start("/demo.Greeter/SayHello"));
    for i in 0..1000 {
        metrics
            .start(&format!("/random.Service{i}/M{i}"))
            .finish(GrpcCode::Unimplemented);
    }
    let text = registry.encode_text().unwrap();
    assert!(text.contains(
        "grpc_client_handled_total{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\",grpc_code=\"Canceled\"} 1\n"
    ));
    assert!(text.contains(
        "grpc_client_handled_total{grpc_type=\"<unknown>\",grpc_service=\"<unknown>\",grpc_method=\"<unknown>\",grpc_code=\"Unimplemented\"} 1000\n"
    ));
    assert_eq!(text.matches("grpc_client_started_total{").count(), 2);
    // No histogram unless asked for.
    assert!(!text.contains("grpc_client_handling_seconds"));
}

#[test]
fn finishing_records_once_even_when_the_tracker_is_then_dropped() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server().build(&registry).unwrap();
    metrics.start("/a.B/C").finish(GrpcCode::Internal);
    let text = registry.encode_text().unwrap();
    assert_eq!(text.matches("grpc_server_handled_total{").count(), 1);
    assert!(text.contains("grpc_code=\"Internal\"} 1\n"));
}

#[test]
fn opentelemetry_names_carry_the_numeric_code_on_the_duration() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .methods(greeter())
        .naming(NamingScheme::OpenTelemetry)
        .build(&registry)
        .unwrap();
    metrics
        .start("/demo.Greeter/SayHello")
        .finish(GrpcCode::DeadlineExceeded);
    let text = registry.encode_text().unwrap();
    assert!(text.contains(
        "rpc_server_call_duration_seconds_count{rpc_system=\"grpc\",rpc_service=\"demo.Greeter\",rpc_method=\"SayHello\",rpc_grpc_status_code=\"4\"} 1\n"
    ), "{text}");
    assert!(!text.contains("grpc_server_"));
    // The dotted names need a UTF-8 registry; a legacy one refuses them and stays empty.
    let legacy = Registry::new();
    assert!(
        GrpcMetrics::client()
            .naming(NamingScheme::OpenTelemetryUtf8)
            .build(&legacy)
            .is_err()
    );
    assert_eq!(legacy.encode_text().unwrap(), "");
    let utf8 = Registry::with_name_validation(NameValidation::Utf8);
    let metrics = GrpcMetrics::client()
        .naming(NamingScheme::OpenTelemetryUtf8)
        .build(&utf8)
        .unwrap();
    metrics.start("/x.Y/Z").finish(GrpcCode::Ok);
    let text = utf8.encode_text().unwrap();
    assert!(
        text.contains("rpc_client_call_duration_seconds_count{"),
        "{text}"
    );
}

#[test]
fn preinitialize_creates_every_code_of_every_known_method() {
    let registry = Registry::new();
    GrpcMetrics::server()
        .methods(greeter())
        .duration_histogram(Buckets::DEFAULT)
        .preinitialize()
        .build(&registry)
        .unwrap();
    let text = registry.encode_text().unwrap();
    assert_eq!(text.matches("grpc_server_handled_total{").count(), 2 * 17);
    assert_eq!(text.matches("grpc_server_started_total{").count(), 2);
    assert_eq!(
        text.matches("grpc_server_handling_seconds_count{").count(),
        2
    );
    assert!(text.contains("grpc_code=\"Unauthenticated\"} 0\n"));
}

#[test]
fn exemplars_and_native_buckets_follow_the_http_middleware() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .methods(greeter())
        .duration_histogram(HistogramConfig::both(
            Buckets::DEFAULT,
            NativeBuckets::new(1.1).unwrap(),
        ))
        .build(&registry)
        .unwrap();
    metrics
        .start("/demo.Greeter/SayHello")
        .with_exemplar(vec![("trace_id".into(), "abc".into())])
        .finish(GrpcCode::Ok);
    // An exemplar too long to keep is dropped, the call still counted.
    metrics
        .start("/demo.Greeter/SayHello")
        .with_exemplar(vec![("trace_id".into(), "x".repeat(200))])
        .finish(GrpcCode::Ok);
    let text = String::from_utf8(registry.render(crate::Format::OpenMetrics).unwrap()).unwrap();
    assert!(
        text.contains("grpc_code=\"OK\"} 2 # {trace_id=\"abc\"} 1"),
        "{text}"
    );
    assert!(text.contains("grpc_server_handling_seconds_count{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\"} 2\n"));
}

#[test]
fn conflicting_names_leave_the_registry_as_it_was() {
    let registry = Registry::new();
    GrpcMetrics::server().build(&registry).unwrap();
    let before = registry.encode_text().unwrap();
    assert!(
        GrpcMetrics::server()
            .duration_histogram(Buckets::DEFAULT)
            .build(&registry)
            .is_err()
    );
    assert_eq!(registry.encode_text().unwrap(), before);
    // Client and server metrics live side by side.
    GrpcMetrics::client().build(&registry).unwrap();
}

#[test]
fn a_cancellation_at_the_deadline_is_deadline_exceeded() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server().build(&registry).unwrap();
    // Cancelled long before its deadline: Canceled.
    drop(
        metrics
            .start("/a.B/C")
            .with_timeout(std::time::Duration::from_secs(60)),
    );
    // Cancelled at its deadline (already past): DeadlineExceeded.
    drop(
        metrics
            .start("/a.B/C")
            .with_timeout(std::time::Duration::ZERO),
    );
    // Another code at the deadline is kept.
    metrics
        .start("/a.B/C")
        .with_timeout(std::time::Duration::ZERO)
        .finish(GrpcCode::Unavailable);
    // A deadline past what an Instant holds is no deadline.
    drop(
        metrics
            .start("/a.B/C")
            .with_timeout(std::time::Duration::MAX),
    );
    let text = registry.encode_text().unwrap();
    for (code, count) in [("Canceled", 2), ("DeadlineExceeded", 1), ("Unavailable", 1)] {
        assert!(
            text.contains(&format!("grpc_code=\"{code}\"}} {count}\n")),
            "{code} {count}\n{text}"
        );
    }
}

#[test]
fn prefix_and_constant_labels_scope_every_family_and_bad_ones_are_refused() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .prefix("shop")
        .const_label("zone", "eu")
        .build(&registry)
        .unwrap();
    metrics.start("/a.B/C").finish(GrpcCode::Ok);
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("shop_grpc_server_handled_total{zone=\"eu\",grpc_type=\"<unknown>\""),
        "{text}"
    );
    for bad in [
        GrpcMetrics::client().prefix("1bad"),
        GrpcMetrics::client().const_label("bad-name", "x"),
    ] {
        assert!(bad.build(&registry).is_err());
    }
    assert_eq!(registry.encode_text().unwrap(), text);
}

/// The handled counts of `/a.B/C` (an unknown path) by code, as `code count` pairs.
fn handled_codes(registry: &Registry, side: &str) -> Vec<String> {
    let text = registry.encode_text().unwrap();
    let prefix = format!("grpc_{side}_handled_total{{");
    let mut codes: Vec<String> = text
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .map(|line| {
            let code = line.split("grpc_code=\"").nth(1).unwrap();
            let (code, rest) = code.split_once('"').unwrap();
            format!("{code} {}", rest.trim_start_matches("} "))
        })
        .collect();
    codes.sort();
    codes
}

#[test]
fn a_request_body_the_client_cut_short_makes_the_call_canceled() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server().build(&registry).unwrap();
    // The client reset the stream mid-body: the handler's Internal (tonic's reading of
    // the broken body) is Canceled.
    let call = metrics.start("/a.B/C");
    call.request_messages().cut();
    call.finish(GrpcCode::Internal);
    // The body ended inside a message (an RST_STREAM(NO_ERROR) as hyper reads it).
    let call = metrics.start("/a.B/C");
    let mut request = call.request_messages();
    request.feed(&[0, 0, 0, 0, 1, 7, 0, 0]);
    assert_eq!(request.messages(), 1);
    request.ended();
    call.finish(GrpcCode::Unknown);
    // Cut at the deadline: DeadlineExceeded, as a cancellation there is.
    let call = metrics
        .start("/a.B/C")
        .with_timeout(std::time::Duration::ZERO);
    call.request_messages().cut();
    call.finish(GrpcCode::Internal);
    // A body that ends after its last message ends well: the handler's code stands,
    // as it does when the body is never cut (the handler failed on its own).
    let call = metrics.start("/a.B/C");
    let mut request = call.request_messages();
    request.feed(&[0, 0, 0, 0, 1, 7]);
    request.ended();
    call.finish(GrpcCode::Internal);
    let call = metrics.start("/a.B/C");
    let _open = call.request_messages();
    call.finish(GrpcCode::Internal);
    // The response body cannot cut a call: its end is the call's status.
    let call = metrics.start("/a.B/C");
    call.response_messages().cut();
    call.finish(GrpcCode::DataLoss);
    assert_eq!(
        handled_codes(&registry, "server"),
        [
            "Canceled 2",
            "DataLoss 1",
            "DeadlineExceeded 1",
            "Internal 2"
        ]
    );
}

#[test]
fn a_client_s_own_request_body_does_not_cut_its_call() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::client().build(&registry).unwrap();
    let call = metrics.start("/a.B/C");
    let request = call.request_messages();
    request.cut();
    request.ended();
    call.finish(GrpcCode::Unavailable);
    assert_eq!(handled_codes(&registry, "client"), ["Unavailable 1"]);
}

#[test]
fn excluded_methods_are_tracked_and_recorded_nowhere() {
    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .methods(greeter())
        .duration_histogram(Buckets::DEFAULT)
        .exclude_method("/grpc.health.v1.Health/Check")
        .exclude_method("/demo.Greeter/Countdown")
        .preinitialize()
        .build(&registry)
        .unwrap();
    for path in ["/grpc.health.v1.Health/Check", "/demo.Greeter/Countdown"] {
        let call = metrics.start(path);
        call.received(1);
        call.sent(2);
        call.finish(GrpcCode::Ok);
        drop(metrics.start(path)); // dropped unfinished: not even canceled is counted
    }
    metrics.start("/demo.Greeter/SayHello").finish(GrpcCode::Ok);
    let text = registry.encode_text().unwrap();
    assert!(!text.contains("Countdown"), "{text}");
    assert!(!text.contains("Health"), "{text}");
    assert!(
        !text.contains("unknown"),
        "an excluded path is not the unknown bucket: {text}"
    );
    assert!(text.contains(
        "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"demo.Greeter\",grpc_method=\"SayHello\",grpc_code=\"OK\"} 1\n"
    ));
}

#[test]
fn an_excluded_method_must_be_a_method_path() {
    for path in [
        "grpc.health.v1.Health/Check",
        "/Check",
        "/svc/",
        "//m",
        "/a/b/c",
        "",
    ] {
        let registry = Registry::new();
        let error = GrpcMetrics::server()
            .exclude_method(path)
            .build(&registry)
            .unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidValue, "{path:?}");
        assert!(
            error.to_string().contains("/package.Service/Method"),
            "{error}"
        );
        assert_eq!(
            registry.encode_text().unwrap(),
            "",
            "the registry is left as it was"
        );
    }
}

#[test]
fn trace_exemplars_come_from_sampled_traceparent_metadata() {
    let traced = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let labels = "trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"";
    let registry = Registry::new();
    let off = GrpcMetrics::server()
        .methods(greeter())
        .build(&registry)
        .unwrap();
    off.start("/demo.Greeter/SayHello")
        .with_traceparent(|| Some(traced.as_bytes()))
        .finish(GrpcCode::Ok);
    let text = String::from_utf8(registry.render(crate::Format::OpenMetrics).unwrap()).unwrap();
    assert!(!text.contains("trace_id"), "{text}");

    let registry = Registry::new();
    let metrics = GrpcMetrics::server()
        .methods(greeter())
        .trace_exemplars(true)
        .trace_exemplar_interval(std::time::Duration::from_secs(3600))
        .build(&registry)
        .unwrap();
    // Unsampled first: not taken, so the sampled one after it is.
    for header in [
        traced.replace("-01", "-00"),
        traced.to_owned(),
        traced.replace("4bf9", "1111"),
    ] {
        metrics
            .start("/demo.Greeter/SayHello")
            .with_traceparent(|| Some(header.as_bytes()))
            .finish(GrpcCode::Ok);
    }
    let text = String::from_utf8(registry.render(crate::Format::OpenMetrics).unwrap()).unwrap();
    assert!(
        text.contains(&format!("grpc_code=\"OK\"}} 3 # {{{labels}}} 1")),
        "{text}"
    );
    assert!(!text.contains("1111"), "{text}");
}
