//! A real Prometheus 2.42 with native histograms enabled asks for protobuf first; every
//! family of a registry exercising every metric type must arrive with the values the
//! text exposition (read by Python's parser) shows. A protobuf push through the real
//! Pushgateway arrives intact too.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use prom_kit::push::PushClient;
use prom_kit::{
    Buckets, Counter, CounterFn, Family, Gauge, Histogram, Info, Registry, StateSet, Summary,
};
use support::{Prometheus, Pushgateway, python, request, run_with_stdin, tool};

const PROMETHEUS_NATIVE_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn every_type() -> Registry {
    let registry = Registry::new();
    let view = registry.with_labels([("zone", "eu \"1\"")]).unwrap();
    let requests: Family<Counter> = Family::new(["path", "code"]).unwrap();
    requests.labels(&["/a\\b", "200"]).unwrap().inc_by(5);
    requests.labels(&["/new\nline", "500"]).unwrap().inc_by(2);
    view.register("pb_requests", "Requests.", requests).unwrap();
    let level = Gauge::new();
    level.set(-2.5);
    registry
        .register_with_unit("pb_level", "Level.", "ratio", level)
        .unwrap();
    let latency = Histogram::new(Buckets::new([0.1, 1.0, 10.0]).unwrap());
    for v in [0.05, 0.5, 0.7, 50.0] {
        latency.observe(v);
    }
    registry
        .register("pb_latency_seconds", "Latency.", latency)
        .unwrap();
    let sizes = Summary::new();
    sizes.observe(3.0);
    sizes.observe(4.0);
    registry.register("pb_sizes", "Sizes.", sizes).unwrap();
    registry
        .register(
            "pb_build",
            "Build.",
            Info::new([("version", "9.9")]).unwrap(),
        )
        .unwrap();
    let mode = StateSet::new(["idle", "busy"]).unwrap();
    mode.set("busy").unwrap();
    registry.register("pb_mode", "Mode.", mode).unwrap();
    registry
        .register("pb_ticks", "Ticks.", CounterFn::new(|| 77.0))
        .unwrap();
    registry
}

/// A sample's name and sorted labels.
type SampleKey = (String, Vec<(String, String)>);

/// (sample name, sorted labels) → value, from Python's text parser.
fn parse_text(text: &str) -> BTreeMap<SampleKey, f64> {
    let Some(python) = python() else {
        return BTreeMap::new();
    };
    let script = "import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families as p\n\
                  print(json.dumps([[s.name, sorted(s.labels.items()), repr(float(s.value))] for f in p(sys.stdin.read()) for s in f.samples]))";
    let (ok, output) = run_with_stdin(&python, &["-c", script], text.as_bytes());
    assert!(ok, "{output}");
    let samples: Vec<(SampleKey, String)> =
        serde_json::from_str::<Vec<(String, Vec<(String, String)>, String)>>(output.trim())
            .expect("JSON")
            .into_iter()
            .map(|(name, labels, value)| ((name, labels), value))
            .collect();
    samples
        .into_iter()
        .map(|(key, value)| (key, value.parse().unwrap()))
        .collect()
}

/// The `PromQL` selector of one sample; `le` compared numerically via a regex of both forms.
fn selector(name: &str, labels: &[(String, String)]) -> String {
    let matchers: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            if k == "le" {
                let number: f64 = v.parse().unwrap_or(f64::INFINITY);
                let alternatives = if v == "+Inf" {
                    "\\\\+Inf".to_owned()
                } else {
                    format!("{v}|{number:?}")
                };
                format!("le=~\"{alternatives}\"")
            } else {
                format!(
                    "{k}=\"{}\"",
                    v.replace('\\', "\\\\")
                        .replace('"', "\\\"")
                        .replace('\n', "\\n")
                )
            }
        })
        .collect();
    format!("{name}{{{}}}", matchers.join(","))
}

#[test]
fn prometheus_ingests_every_family_over_protobuf() {
    let Some(prometheus_binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let server = prom_kit::server::start_http_server("127.0.0.1:0", &every_type()).unwrap();
    let address = server.local_addr();

    // What Prometheus will be answered.
    let answer = request(
        address,
        "GET",
        "/metrics",
        &[("Accept", PROMETHEUS_NATIVE_ACCEPT)],
    );
    assert_eq!(
        answer.header("content-type"),
        Some(prom_kit::encoding::PROTOBUF_CONTENT_TYPE)
    );

    let text = request(address, "GET", "/metrics", &[]).text();
    let expected = parse_text(&text);
    if expected.is_empty() {
        return;
    }
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: proto\n  static_configs:\n  - targets: ['{address}']\n"
    );
    let prometheus = Prometheus::start(
        &prometheus_binary,
        &config,
        7,
        &["--enable-feature=native-histograms"],
    );
    prometheus.wait_for("up{job=\"proto\"}", Duration::from_secs(30), |v| v == 1.0);
    prometheus.wait_for("pb_ticks_total", Duration::from_secs(30), |v| v == 77.0);

    let mut checked = 0;
    for ((name, labels), value) in &expected {
        // The handler's own scrape counters move between the two scrapes.
        if name.starts_with("prom_kit_") {
            continue;
        }
        let query = selector(name, labels);
        let got = prometheus
            .value(&query)
            .unwrap_or_else(|| panic!("{query} is missing in Prometheus"));
        assert!(
            (got - value).abs() <= 1e-9 * value.abs().max(1.0),
            "{query}: {got} != {value}"
        );
        checked += 1;
    }
    // 2 counters, a gauge, 4 buckets + sum + count, summary sum + count, info, 2 states,
    // the callback counter.
    assert_eq!(checked, 15, "samples compared");
    server.shutdown();
}

#[test]
fn protobuf_pushes_arrive_in_the_gateway() {
    let Some(binary) = tool("prometheus-pushgateway", "prometheus-pushgateway") else {
        return;
    };
    let gateway = Pushgateway::start(&binary, 8);
    let client = PushClient::builder(&gateway.url(), "proto_push")
        .grouping("batch", "/x/y")
        .protobuf(true)
        .build()
        .unwrap();
    client.push_blocking(&every_type()).unwrap();
    let text = gateway.metrics();
    for line in [
        "pb_level_ratio{batch=\"/x/y\",instance=\"\",job=\"proto_push\"} -2.5",
        "pb_requests_total{batch=\"/x/y\",code=\"200\",instance=\"\",job=\"proto_push\",path=\"/a\\\\b\",zone=\"eu \\\"1\\\"\"} 5",
        "pb_latency_seconds_bucket{batch=\"/x/y\",instance=\"\",job=\"proto_push\",le=\"1\"} 3",
        "pb_latency_seconds_count{batch=\"/x/y\",instance=\"\",job=\"proto_push\"} 4",
        "pb_mode{batch=\"/x/y\",instance=\"\",job=\"proto_push\",pb_mode=\"busy\"} 1",
        "pb_build_info{batch=\"/x/y\",instance=\"\",job=\"proto_push\",version=\"9.9\"} 1",
        "pb_ticks_total{batch=\"/x/y\",instance=\"\",job=\"proto_push\"} 77",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
}

/// A histogram with classic and native buckets, holding 0.01, 0.02, …, 1.00.
fn native_registry() -> Registry {
    use prom_kit::metrics::{HistogramConfig, NativeBuckets};
    let registry = Registry::new();
    let latency = Histogram::with_config(HistogramConfig::both(
        Buckets::DEFAULT,
        NativeBuckets::new(1.1).unwrap(),
    ));
    for i in 1..=100 {
        latency.observe(f64::from(i) / 100.0);
    }
    registry
        .register("native_latency_seconds", "Latency.", latency)
        .unwrap();
    registry
}

fn check_native(prometheus: &Prometheus, job: &str) {
    let selector = format!("native_latency_seconds{{job=\"{job}\"}}");
    let count = prometheus.wait_for(
        &format!("histogram_count({selector})"),
        Duration::from_secs(30),
        |v| v == 100.0,
    );
    assert_eq!(count, 100.0);
    let sum = prometheus
        .value(&format!("histogram_sum({selector})"))
        .unwrap();
    assert!((sum - 50.5).abs() < 1e-9, "sum {sum}");
    let median = prometheus
        .value(&format!("histogram_quantile(0.5, {selector})"))
        .unwrap();
    // Schema 3 buckets are ~9% wide: the median (0.5) is found within one bucket.
    assert!((0.45..=0.55).contains(&median), "median {median}");
    // Stored natively: Prometheus 2.42 drops the classic series of a native family.
    let classic = prometheus.query(&format!("native_latency_seconds_count{{job=\"{job}\"}}"));
    assert!(classic.is_empty(), "classic series too: {classic:?}");
}

#[test]
fn prometheus_stores_native_histograms() {
    let Some(prometheus_binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let registry = native_registry();
    // Text scrapers still get the classic buckets.
    assert!(
        registry
            .encode_text()
            .unwrap()
            .contains("native_latency_seconds_bucket{le=\"0.5\"} 50\n")
    );
    let server = prom_kit::server::start_http_server("127.0.0.1:0", &registry).unwrap();
    let address = server.local_addr();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: native\n  static_configs:\n  - targets: ['{address}']\n"
    );
    let prometheus = Prometheus::start(
        &prometheus_binary,
        &config,
        9,
        &["--enable-feature=native-histograms"],
    );
    check_native(&prometheus, "native");
    server.shutdown();
}

#[test]
fn native_histograms_pushed_in_protobuf_arrive_native() {
    let (Some(gateway_binary), Some(prometheus_binary)) = (
        tool("prometheus-pushgateway", "prometheus-pushgateway"),
        tool("prometheus", "prometheus"),
    ) else {
        return;
    };
    let gateway = Pushgateway::start(&gateway_binary, 10);
    let client = PushClient::builder(&gateway.url(), "native_push")
        .protobuf(true)
        .build()
        .unwrap();
    client.push_blocking(&native_registry()).unwrap();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: pushgateway\n  honor_labels: true\n  static_configs:\n  - targets: ['{}']\n",
        gateway.address
    );
    let prometheus = Prometheus::start(
        &prometheus_binary,
        &config,
        13,
        &["--enable-feature=native-histograms"],
    );
    check_native(&prometheus, "native_push");
}

/// The fields of `io.prometheus.client.MetricFamily` the split test reads (prost skips
/// the others).
#[derive(Clone, PartialEq, prost::Message)]
struct SplitFamily {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "4")]
    metric: Vec<SplitMetric>,
}

/// A `Metric`, of which the split test only counts how many there are.
#[derive(Clone, PartialEq, prost::Message)]
struct SplitMetric {}

/// A family far larger than the pieces a gzipped scrape is streamed in arrives as
/// several `MetricFamily` messages of it; Prometheus (which asks for gzip) ingests every
/// series of it, with no sample refused.
#[test]
fn prometheus_ingests_a_family_streamed_as_several_messages() {
    use std::io::Read;

    use prost::Message;

    const SERIES: u64 = 30_000;
    let Some(prometheus_binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let registry = Registry::new();
    let requests: Family<Counter> = Family::builder(["path"]).max_series(None).build().unwrap();
    for i in 0..SERIES {
        requests
            .labels(&[format!("/items/{i}/a/fairly/long/path")])
            .unwrap()
            .inc_by(i);
    }
    registry
        .register("split_requests", "Requests.", requests)
        .unwrap();
    let server = prom_kit::server::start_http_server("127.0.0.1:0", &registry).unwrap();
    let address = server.local_addr();

    // What Prometheus is answered: gzip, and the family in more than one message.
    let answer = request(
        address,
        "GET",
        "/metrics",
        &[
            ("Accept", PROMETHEUS_NATIVE_ACCEPT),
            ("Accept-Encoding", "gzip"),
        ],
    );
    assert_eq!(answer.header("content-encoding"), Some("gzip"));
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(&answer.body[..])
        .read_to_end(&mut body)
        .unwrap();
    let mut rest = &body[..];
    let mut messages = 0;
    let mut series = 0;
    while !rest.is_empty() {
        let family =
            SplitFamily::decode_length_delimited(&mut rest).expect("a delimited MetricFamily");
        if family.name.as_deref() == Some("split_requests_total") {
            messages += 1;
            series += family.metric.len();
        }
    }
    assert!(messages > 1, "the family came in {messages} message(s)");
    assert_eq!(u64::try_from(series).unwrap(), SERIES);

    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: split\n  static_configs:\n  - targets: ['{address}']\n"
    );
    let prometheus = Prometheus::start(
        &prometheus_binary,
        &config,
        30,
        &["--enable-feature=native-histograms"],
    );
    prometheus.wait_for("up{job=\"split\"}", Duration::from_secs(30), |v| v == 1.0);
    let count = prometheus.wait_for(
        "count(split_requests_total{job=\"split\"})",
        Duration::from_secs(30),
        |v| v == SERIES as f64,
    );
    assert_eq!(count, SERIES as f64);
    let sum = prometheus
        .value("sum(split_requests_total{job=\"split\"})")
        .unwrap();
    assert_eq!(sum, (SERIES * (SERIES - 1) / 2) as f64);
    let one = prometheus
        .value("split_requests_total{path=\"/items/12345/a/fairly/long/path\"}")
        .unwrap();
    assert_eq!(one, 12_345.0);
    server.shutdown();
}
