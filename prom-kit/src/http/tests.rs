use std::time::Duration;

use super::*;
use crate::adapter::ResponseRecorder;
use crate::{ErrorKind, Gauge, Registry};

fn info<'a>(method: &'a str, route: Option<&'a str>, path: &'a str) -> RequestInfo<'a> {
    RequestInfo {
        method,
        route,
        path,
        request_size: None,
    }
}

#[test]
fn classic_names_and_labels() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    metrics
        .start(&info("GET", Some("/users/{id}"), "/users/1"), Vec::new())
        .unwrap()
        .finish(200, None);
    // Methods are case-sensitive: `get` is not a standard method.
    metrics
        .start(&info("get", Some("/users/{id}"), "/users/1"), Vec::new())
        .unwrap()
        .finish(405, None);
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains(
            "http_requests_total{method=\"_OTHER\",route=\"/users/{id}\",status=\"405\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"} 1\n"
        ),
        "{text}"
    );
    assert!(text.contains(
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/users/{id}\",status=\"200\",le=\"0.005\"} 1\n"
    ));
    assert!(text.contains("http_requests_in_flight{method=\"GET\"} 0\n"));
    assert!(!text.contains("size_bytes"));
}

#[test]
fn opentelemetry_names_labels_and_buckets() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .naming(NamingScheme::OpenTelemetry)
        .build(&registry)
        .unwrap();
    metrics
        .start(&info("POST", Some("/orders"), "/orders"), Vec::new())
        .unwrap()
        .finish(201, None);
    let text = registry.encode_text().unwrap();
    let prefix = "http_server_request_duration_seconds_bucket{http_request_method=\"POST\",http_route=\"/orders\",http_response_status_code=\"201\"";
    let buckets = text.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(buckets, 15, "14 advised bounds + Inf:\n{text}");
    assert!(text.contains(&format!("{prefix},le=\"0.075\"}} 1\n")));
    assert!(text.contains("http_server_active_requests{http_request_method=\"POST\"} 0\n"));
    assert!(!text.contains("http_requests_total"));
}

#[test]
fn opentelemetry_dotted_names_need_a_utf8_registry() {
    use crate::NameValidation;
    use crate::encoding::{EscapingScheme, Format};

    let legacy = Registry::new();
    let error = HttpMetrics::builder()
        .naming(NamingScheme::OpenTelemetryUtf8)
        .build(&legacy)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidMetricName);
    assert_eq!(legacy.encode_text().unwrap(), "", "nothing registered");

    let utf8 = Registry::with_name_validation(NameValidation::Utf8);
    let dotted = HttpMetrics::builder()
        .naming(NamingScheme::OpenTelemetryUtf8)
        .body_sizes(true)
        .build(&utf8)
        .unwrap();
    let plain = HttpMetrics::builder()
        .naming(NamingScheme::OpenTelemetry)
        .body_sizes(true)
        .build(&legacy)
        .unwrap();
    for metrics in [&dotted, &plain] {
        let request = RequestInfo {
            request_size: Some(12),
            ..info("POST", Some("/orders"), "/orders")
        };
        metrics
            .start(&request, Vec::new())
            .unwrap()
            .finish(201, Some(30));
    }
    let mut quoted = Vec::new();
    utf8.encode(
        crate::EncodeOptions::new(Format::Text).escaping(EscapingScheme::AllowUtf8),
        &mut quoted,
    )
    .unwrap();
    let quoted = String::from_utf8(quoted).unwrap();
    assert!(quoted.contains(
        "{\"http.server.request.duration_seconds_count\",\"http.request.method\"=\"POST\",\"http.route\"=\"/orders\",\"http.response.status_code\"=\"201\"} 1\n"
    ), "{quoted}");
    assert!(quoted.contains("# TYPE \"http.server.active_requests\" gauge\n"));
    assert!(quoted.contains("{\"http.server.response.body.size_bytes_sum\","));
    // Escaped with underscores, the dotted names are exactly the OpenTelemetry scheme's,
    // except for the durations measured (different requests: their sums and buckets).
    let strip = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                !l.contains("duration_seconds_sum") && !l.contains("duration_seconds_bucket")
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        strip(&utf8.encode_text().unwrap()),
        strip(&legacy.encode_text().unwrap())
    );
}

#[test]
fn unmatched_routes_and_odd_methods_do_not_grow_series() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    for i in 0..500 {
        let path = format!("/random/{i}");
        let method = if i % 2 == 0 { "GET" } else { "BREW" };
        metrics
            .start(&info(method, None, &path), Vec::new())
            .unwrap()
            .finish(404, None);
    }
    let text = registry.encode_text().unwrap();
    let mut series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total"))
        .collect();
    series.sort_unstable();
    assert_eq!(
        series,
        [
            "http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\"} 250",
            "http_requests_total{method=\"_OTHER\",route=\"<unmatched>\",status=\"404\"} 250",
        ],
        "{text}"
    );
}

#[test]
fn in_flight_follows_the_tracker() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    let first = metrics
        .start(&info("GET", Some("/slow"), "/slow"), Vec::new())
        .unwrap();
    let second = metrics
        .start(&info("GET", Some("/slow"), "/slow"), Vec::new())
        .unwrap();
    let gauge = |r: &Registry| {
        r.encode_text()
            .unwrap()
            .lines()
            .find(|l| l.starts_with("http_requests_in_flight{"))
            .map(str::to_owned)
    };
    assert_eq!(
        gauge(&registry).unwrap(),
        "http_requests_in_flight{method=\"GET\"} 2"
    );
    drop(first); // cancelled: not counted as a request
    second.finish(200, None);
    assert_eq!(
        gauge(&registry).unwrap(),
        "http_requests_in_flight{method=\"GET\"} 0"
    );
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/slow\",status=\"200\"} 1\n")
    );
}

#[test]
fn exclusion_extra_labels_prefix_and_const_labels() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .prefix("shop")
        .const_label("service", "api")
        .extra_labels(["tenant"])
        .exclude_path("/health")
        .body_sizes(true)
        .build(&registry)
        .unwrap();
    assert!(
        metrics
            .start(&info("GET", Some("/health"), "/health"), Vec::new())
            .is_none()
    );
    assert_eq!(metrics.extra_label_count(), 1);
    let request = RequestInfo {
        request_size: Some(100),
        ..info("PUT", Some("/items/{id}"), "/items/9")
    };
    metrics
        .start(&request, vec!["acme".into(), "ignored".into()])
        .unwrap()
        .finish(204, Some(5000));
    let text = registry.encode_text().unwrap();
    let labels =
        "service=\"api\",method=\"PUT\",route=\"/items/{id}\",status=\"204\",tenant=\"acme\"";
    assert!(
        text.contains(&format!("shop_http_requests_total{{{labels}}} 1\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "shop_http_request_size_bytes_sum{{{labels}}} 100\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "shop_http_response_size_bytes_sum{{{labels}}} 5000\n"
        )),
        "{text}"
    );
    assert!(!text.contains("/health"));
}

#[test]
fn coexisting_sets_and_rollback() {
    let registry = Registry::new();
    let _plain = HttpMetrics::builder().build(&registry).unwrap();
    let _other = HttpMetrics::builder()
        .prefix("admin")
        .build(&registry)
        .unwrap();
    let _elsewhere = HttpMetrics::builder().build(&Registry::new()).unwrap();
    let before = registry.encode_text().unwrap();
    // The duration name is free but the counter is taken: nothing stays registered.
    let clash = Registry::new();
    clash
        .register("http_requests_in_flight", "Taken.", Gauge::new())
        .unwrap();
    let err = HttpMetrics::builder().build(&clash).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyRegistered);
    assert_eq!(
        clash.encode_text().unwrap(),
        "# HELP http_requests_in_flight Taken.\n# TYPE http_requests_in_flight gauge\nhttp_requests_in_flight 0\n"
    );
    let err = HttpMetrics::builder()
        .extra_labels(["bad label"])
        .build(&registry)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidLabelName);
    assert_eq!(registry.encode_text().unwrap(), before);
}

#[cfg(feature = "protobuf")]
#[test]
fn native_duration_buckets_reach_protobuf_scrapes() {
    use crate::encoding::protobuf::proto;
    use crate::metrics::NativeBuckets;
    use prost::Message;
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .duration_histogram(crate::HistogramConfig::both(
            crate::Buckets::DEFAULT,
            NativeBuckets::new(1.1).unwrap(),
        ))
        .build(&registry)
        .unwrap();
    metrics
        .start(&info("GET", Some("/"), "/"), Vec::new())
        .unwrap()
        .finish(200, None);
    let text = registry.encode_text().unwrap();
    assert!(text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/\",status=\"200\",le=\"+Inf\"} 1\n"));
    let mut bytes = Vec::new();
    registry
        .encode(crate::Format::Protobuf, &mut bytes)
        .unwrap();
    let mut rest = &bytes[..];
    let mut native = None;
    while !rest.is_empty() {
        let family = proto::MetricFamily::decode_length_delimited(&mut rest).unwrap();
        if family.name.as_deref() == Some("http_request_duration_seconds") {
            native = family.metric[0].histogram.clone();
        }
    }
    let native = native.expect("duration family");
    assert_eq!((native.schema, native.sample_count), (Some(3), Some(1)));
    assert_eq!(
        native.positive_span.len() + usize::from(native.zero_count.unwrap_or(0) > 0),
        1
    );
}

#[test]
fn response_recorder_finishes_once_at_the_end_or_on_drop() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .body_sizes(true)
        .build(&registry)
        .unwrap();
    let count = |r: &Registry| {
        r.encode_text()
            .unwrap()
            .lines()
            .find(|l| l.starts_with("http_requests_total{"))
            .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
    };
    let mut recorder = ResponseRecorder::new(
        metrics.start(&info("GET", Some("/a"), "/a"), Vec::new()),
        200,
    );
    recorder.add_bytes(10);
    recorder.add_bytes(5);
    assert_eq!(count(&registry), None, "not recorded before the body ends");
    recorder.finish();
    recorder.finish();
    drop(recorder);
    assert_eq!(count(&registry), Some(1.0), "recorded exactly once");
    assert!(
        registry.encode_text().unwrap().contains(
            "http_response_size_bytes_sum{method=\"GET\",route=\"/a\",status=\"200\"} 15\n"
        )
    );
    // Dropped mid-body: still recorded, with the bytes so far.
    let recorder = ResponseRecorder::new(
        metrics.start(&info("GET", Some("/a"), "/a"), Vec::new()),
        200,
    );
    drop(recorder);
    assert_eq!(count(&registry), Some(2.0));
}

#[test]
fn a_route_set_after_routing_records_under_it() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    let mut tracker = metrics
        .start(&info("GET", None, "/users/7"), Vec::new())
        .unwrap();
    // Counted in flight before the route is known.
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains("http_requests_in_flight{method=\"GET\"} 1\n"),
        "{text}"
    );
    tracker.set_route(Some("/users/{id}"));
    assert_eq!(tracker.route(), "/users/{id}");
    tracker.finish(200, None);
    // No route found: the unmatched route.
    let mut lost = metrics
        .start(&info("GET", Some("/users/{id}"), "/nowhere"), Vec::new())
        .unwrap();
    lost.set_route(None);
    assert_eq!(lost.route(), UNMATCHED_ROUTE);
    lost.finish(404, None);
    let text = registry.encode_text().unwrap();
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"} 1\n"
        )
    );
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\"} 1\n"
        )
    );
    assert!(
        text.contains("http_requests_in_flight{method=\"GET\"} 0\n"),
        "{text}"
    );
    // Nothing was counted under the route given at the start of the second request.
    assert!(!text.contains("route=\"/users/{id}\",status=\"404\""));
}

#[test]
fn a_route_answering_many_statuses_records_every_one() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    // More statuses than a route keeps at hand, including ones that share a slot.
    let statuses: Vec<u16> = (0..40)
        .map(|i| 100 + i * 8)
        .chain([200, 208, 599, 0, u16::MAX])
        .collect();
    for (i, &status) in statuses.iter().enumerate() {
        for _ in 0..=i % 3 {
            metrics
                .start(&info("GET", Some("/r"), "/r"), Vec::new())
                .unwrap()
                .finish(status, Some(1));
        }
    }
    for &status in &statuses {
        let line =
            format!("http_requests_total{{method=\"GET\",route=\"/r\",status=\"{status}\"}} ");
        // Each occurrence of the status in the list added (its index % 3) + 1 requests.
        let count: usize = statuses
            .iter()
            .enumerate()
            .filter(|&(_, &s)| s == status)
            .map(|(j, _)| j % 3 + 1)
            .sum();
        let text = registry.encode_text().unwrap();
        assert!(
            text.contains(&format!("{line}{count}\n")),
            "{status}: {text}"
        );
    }
}

#[test]
fn the_route_table_keeps_at_most_the_series_limit() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .max_series(5)
        .build(&registry)
        .unwrap();
    for i in 0..50 {
        let route = format!("/r{i}");
        metrics
            .start(&info("GET", Some(&route), &route), Vec::new())
            .unwrap()
            .finish(200, None);
    }
    assert_eq!(metrics.inner.routes.kept(), 5);
    // Requests past the limit are still counted (in the families' overflow series).
    let text = registry.encode_text().unwrap();
    let total: f64 = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, 50.0, "{text}");
}

#[test]
fn many_threads_on_many_routes_and_statuses_lose_no_request() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .extra_labels(["tenant"])
        .build(&registry)
        .unwrap();
    let threads: u16 = 8;
    let per_thread: u16 = 2_000;
    std::thread::scope(|scope| {
        for t in 0..threads {
            let metrics = metrics.clone();
            scope.spawn(move || {
                for i in 0..per_thread {
                    // 70 routes: more than a thread's cache holds, so entries are evicted
                    // and found again in the shared table.
                    let route = format!("/route/{}", (i * 7 + t) % 70);
                    let tenant = vec![format!("t{}", i % 3)];
                    let mut tracker = metrics
                        .start(
                            &info("GET", if i % 2 == 0 { Some(&route) } else { None }, "/x"),
                            tenant,
                        )
                        .unwrap();
                    if i % 2 == 1 {
                        tracker.set_route(Some(&route));
                    }
                    // Ten statuses per route, two more than it keeps at hand.
                    tracker.finish(200 + i % 10, None);
                }
            });
        }
    });
    let text = registry.encode_text().unwrap();
    let sum = |prefix: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    assert_eq!(
        sum("http_requests_total{"),
        f64::from(u32::from(threads) * u32::from(per_thread))
    );
    assert_eq!(
        sum("http_request_duration_seconds_count{"),
        f64::from(u32::from(threads) * u32::from(per_thread))
    );
    assert_eq!(sum("http_requests_in_flight{"), 0.0);
    // Every (route, status, tenant) used is one series.
    let used: std::collections::HashSet<_> = (0..threads)
        .flat_map(|t| (0..per_thread).map(move |i| ((i * 7 + t) % 70, i % 10, i % 3)))
        .collect();
    let series = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .count();
    assert_eq!(series, used.len());
}

#[test]
fn a_tracker_outliving_its_metrics_still_finishes() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    let mut tracker = metrics.start(&info("GET", None, "/"), Vec::new()).unwrap();
    drop(metrics);
    tracker.set_route(Some("/later"));
    tracker.finish(200, None);
    let text = registry.encode_text().unwrap();
    // The route could not change without the metrics' table: recorded as started.
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"200\"} 1\n"
        ),
        "{text}"
    );
}

const TRACE: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE_LABELS: &str =
    "trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"";

/// The OpenMetrics exemplars of the request counter's lines (their label text).
fn counter_exemplars(registry: &Registry) -> Vec<String> {
    let body = String::from_utf8(registry.render(crate::Format::OpenMetrics).unwrap()).unwrap();
    body.lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .filter_map(|l| {
            l.split_once(" # {")
                .map(|(_, e)| e.split('}').next().unwrap().to_owned())
        })
        .collect()
}

fn traced_request(metrics: &HttpMetrics, route: &str, header: Option<&[u8]>) {
    metrics
        .start(&info("GET", Some(route), "/p"), Vec::new())
        .unwrap()
        .with_traceparent(|| header)
        .finish(200, None);
}

#[test]
fn trace_exemplars_come_from_sampled_traceparent_headers_only_when_on() {
    let registry = Registry::new();
    let off = HttpMetrics::builder()
        .prefix("off")
        .build(&registry)
        .unwrap();
    traced_request(&off, "/a", Some(TRACE));
    assert!(counter_exemplars(&registry).is_empty());

    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .trace_exemplars(true)
        .trace_exemplar_interval(Duration::ZERO)
        .build(&registry)
        .unwrap();
    // Unsampled, invalid, missing: no exemplar.
    traced_request(&metrics, "/unsampled", Some(&TRACE.replace_last_byte(b'0')));
    traced_request(&metrics, "/invalid", Some(b"00-zz"));
    traced_request(&metrics, "/missing", None);
    assert!(counter_exemplars(&registry).is_empty());
    traced_request(&metrics, "/sampled", Some(TRACE));
    assert_eq!(counter_exemplars(&registry), [TRACE_LABELS]);
    let body = String::from_utf8(registry.render(crate::Format::OpenMetrics).unwrap()).unwrap();
    assert!(
        body.lines()
            .any(|l| l.starts_with("http_request_duration_seconds_bucket{")
                && l.contains(TRACE_LABELS)),
        "{body}"
    );
    // An exemplar hook's labels take precedence over the trace.
    metrics
        .start(&info("GET", Some("/hooked"), "/p"), Vec::new())
        .unwrap()
        .with_exemplar(vec![("request_id".into(), "7".into())])
        .with_traceparent(|| Some(TRACE))
        .finish(200, None);
    let exemplars = counter_exemplars(&registry);
    assert!(
        exemplars.contains(&"request_id=\"7\"".to_owned()),
        "{exemplars:?}"
    );
}

trait ReplaceLast {
    fn replace_last_byte(&self, byte: u8) -> Vec<u8>;
}

impl ReplaceLast for &[u8] {
    fn replace_last_byte(&self, byte: u8) -> Vec<u8> {
        let mut copy = self.to_vec();
        *copy.last_mut().unwrap() = byte;
        copy
    }
}

#[test]
fn the_sampler_keeps_a_series_exemplar_for_its_interval() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder()
        .trace_exemplars(true)
        .trace_exemplar_interval(Duration::from_secs(3600))
        .build(&registry)
        .unwrap();
    traced_request(&metrics, "/a", Some(TRACE));
    let other = b"00-11111111111111111111111111111111-2222222222222222-01";
    for _ in 0..10 {
        traced_request(&metrics, "/a", Some(other));
    }
    // The first trace stays for the interval; the route's requests are all counted.
    assert_eq!(counter_exemplars(&registry), [TRACE_LABELS]);
    let text = registry.encode_text().unwrap();
    assert!(text.contains("route=\"/a\",status=\"200\"} 11\n"), "{text}");
}

#[test]
fn the_sampler_admits_at_most_one_exemplar_per_interval_under_load() {
    let registry = Registry::new();
    let interval = Duration::from_millis(20);
    let metrics = HttpMetrics::builder()
        .trace_exemplars(true)
        .trace_exemplar_interval(interval)
        .build(&registry)
        .unwrap();
    let series = metrics
        .start(&info("GET", Some("/hot"), "/p"), Vec::new())
        .unwrap();
    let admitted = std::sync::atomic::AtomicUsize::new(0);
    let start = std::time::Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while start.elapsed() < Duration::from_millis(200) {
                    let now = || crate::trace::sampler_clock(crate::stopwatch::Stopwatch::start());
                    if series.series.admit_trace_exemplar(now) {
                        admitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let elapsed = start.elapsed();
    let admitted = admitted.into_inner();
    let bound = elapsed.as_millis() / interval.as_millis() + 1;
    assert!(admitted >= 2, "{admitted} admitted in {elapsed:?}");
    assert!(
        admitted as u128 <= bound,
        "{admitted} admitted in {elapsed:?}, at most {bound}"
    );
}
