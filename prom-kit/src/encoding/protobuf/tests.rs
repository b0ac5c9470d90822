use prost::Message;

use super::proto;
use crate::{
    Buckets, Counter, Family, Format, Gauge, Histogram, Info, Registry, StateSet, Summary,
};

/// Decodes a delimited stream into its families.
fn decode(mut bytes: &[u8]) -> Vec<proto::MetricFamily> {
    let mut families = Vec::new();
    while !bytes.is_empty() {
        let family = proto::MetricFamily::decode_length_delimited(&mut bytes)
            .expect("a delimited MetricFamily");
        families.push(family);
    }
    families
}

fn labels(metric: &proto::Metric) -> Vec<(String, String)> {
    metric
        .label
        .iter()
        .map(|l| {
            (
                l.name.clone().unwrap_or_default(),
                l.value.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn s(v: &str) -> String {
    v.to_owned()
}

/// A registry with every metric type, escapes and const labels, and an empty family.
fn sample_registry() -> Registry {
    let registry = Registry::new();
    let view = registry.with_labels([("region", "eu \"1\"")]).unwrap();
    let requests: Family<Counter> = Family::new(["path"]).unwrap();
    requests.labels(&["/a\\b\nc"]).unwrap().inc_by(3);
    view.register("requests", "Requests.", requests).unwrap();
    let temperature = Gauge::new();
    temperature.set(-1.5);
    registry
        .register_with_unit("temperature", "Temp.", "celsius", temperature)
        .unwrap();
    let latency = Histogram::new(Buckets::new([0.1, 1.0]).unwrap());
    for v in [0.05, 0.5, 5.0] {
        latency.observe(v);
    }
    registry
        .register("latency_seconds", "Latency.", latency)
        .unwrap();
    let sizes = Summary::new();
    sizes.observe(4.0);
    registry.register("sizes", "Sizes.", sizes).unwrap();
    registry
        .register("build", "Build.", Info::new([("version", "1.0")]).unwrap())
        .unwrap();
    let mode = StateSet::new(["on", "off"]).unwrap();
    mode.set("off").unwrap();
    registry.register("mode", "Mode.", mode).unwrap();
    let unused: Family<Gauge> = Family::new(["x"]).unwrap();
    registry
        .register("unused", "No series yet.", unused)
        .unwrap();

    registry
}

#[test]
fn every_type_round_trips_through_prost() {
    let registry = sample_registry();
    let mut bytes = Vec::new();
    registry.encode(Format::Protobuf, &mut bytes).unwrap();
    let families = decode(&bytes);
    let names: Vec<&str> = families.iter().filter_map(|f| f.name.as_deref()).collect();
    // Sorted by family name, counters with `_total`, info with `_info`, empty families left out.
    assert_eq!(
        names,
        [
            "build_info",
            "latency_seconds",
            "mode",
            "requests_total",
            "sizes",
            "temperature_celsius"
        ]
    );

    let family = |name: &str| {
        families
            .iter()
            .find(|f| f.name.as_deref() == Some(name))
            .unwrap()
    };
    let requests = family("requests_total");
    assert_eq!(requests.r#type, Some(proto::MetricType::Counter as i32));
    assert_eq!(requests.help.as_deref(), Some("Requests."));
    let metric = &requests.metric[0];
    assert_eq!(
        labels(metric),
        [(s("region"), s("eu \"1\"")), (s("path"), s("/a\\b\nc"))]
    );
    let counter = metric.counter.as_ref().unwrap();
    assert_eq!(counter.value, Some(3.0));
    assert!(counter.created_timestamp.as_ref().unwrap().seconds > 1_600_000_000);

    let temperature = family("temperature_celsius");
    assert_eq!(temperature.unit.as_deref(), Some("celsius"));
    assert_eq!(
        temperature.metric[0].gauge.as_ref().unwrap().value,
        Some(-1.5)
    );

    let histogram = family("latency_seconds").metric[0]
        .histogram
        .as_ref()
        .unwrap();
    assert_eq!(histogram.sample_count, Some(3));
    assert_eq!(histogram.sample_sum, Some(5.55));
    let buckets: Vec<(f64, u64)> = histogram
        .bucket
        .iter()
        .map(|b| (b.upper_bound.unwrap(), b.cumulative_count.unwrap()))
        .collect();
    assert_eq!(buckets, [(0.1, 1), (1.0, 2)], "the +Inf bucket is implicit");

    let summary = family("sizes").metric[0].summary.as_ref().unwrap();
    assert_eq!(
        (summary.sample_count, summary.sample_sum),
        (Some(1), Some(4.0))
    );

    let info = family("build_info");
    assert_eq!(info.r#type, Some(proto::MetricType::Gauge as i32));
    assert_eq!(labels(&info.metric[0]), [(s("version"), s("1.0"))]);
    assert_eq!(info.metric[0].gauge.as_ref().unwrap().value, Some(1.0));

    let mode = family("mode");
    let states: Vec<(Vec<(String, String)>, f64)> = mode
        .metric
        .iter()
        .map(|m| (labels(m), m.gauge.as_ref().unwrap().value.unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            (vec![(s("mode"), s("on"))], 0.0),
            (vec![(s("mode"), s("off"))], 1.0)
        ]
    );
}

#[test]
fn the_handler_serves_protobuf_to_prometheus_with_native_histograms() {
    #[cfg(feature = "http")]
    {
        use crate::http::{MetricsHandler, ScrapeRequest};
        let registry = Registry::new();
        registry
            .register("up_and_running", "Up.", Gauge::new())
            .unwrap();
        let handler = MetricsHandler::builder()
            .own_metrics(false)
            .build(&registry)
            .unwrap();
        let response = handler.handle(&ScrapeRequest {
            method: "GET",
            accept: Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8"),
            accept_encoding: None,
            query: None,
            scrape_timeout: None,
        });
        assert_eq!(
            response.headers[0],
            ("content-type", crate::encoding::PROTOBUF_CONTENT_TYPE)
        );
        assert_eq!(
            decode(&response.body)[0].name.as_deref(),
            Some("up_and_running")
        );
    }
}

#[test]
fn exemplars_travel_in_protobuf() {
    let registry = Registry::new();
    let counter = Counter::new();
    counter
        .inc_by_with_exemplar(3, &[("trace_id", "t-1")])
        .unwrap();
    registry.register("hits", "Hits.", counter).unwrap();
    let histogram = Histogram::new(Buckets::new([1.0]).unwrap());
    histogram
        .observe_with_exemplar(0.5, &[("trace_id", "t-2")])
        .unwrap();
    registry.register("size", "Size.", histogram).unwrap();
    let mut bytes = Vec::new();
    registry.encode(Format::Protobuf, &mut bytes).unwrap();
    let families = decode(&bytes);
    let counter = families[0].metric[0].counter.as_ref().unwrap();
    let exemplar = counter.exemplar.as_ref().expect("counter exemplar");
    assert_eq!(
        (exemplar.label[0].value.as_deref(), exemplar.value),
        (Some("t-1"), Some(3.0))
    );
    assert!(exemplar.timestamp.as_ref().unwrap().seconds > 1_600_000_000);
    let bucket = &families[1].metric[0].histogram.as_ref().unwrap().bucket[0];
    let exemplar = bucket.exemplar.as_ref().expect("bucket exemplar");
    assert_eq!(
        (exemplar.label[0].value.as_deref(), exemplar.value),
        (Some("t-2"), Some(0.5))
    );
}

#[test]
fn spans_and_deltas_follow_the_encoding() {
    let (spans, deltas) =
        super::spans_and_deltas(&[(-2, 3), (-1, 5), (0, 5), (4, 1), (5, 2), (9, 7)]);
    let spans: Vec<(i32, u32)> = spans
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    assert_eq!(spans, [(-2, 3), (3, 2), (3, 1)]);
    assert_eq!(deltas, [3, 2, 0, -4, 1, 5]);
    let (spans, deltas) = super::spans_and_deltas(&[]);
    assert!(spans.is_empty() && deltas.is_empty());
}

#[test]
fn native_histograms_carry_schema_zero_bucket_and_spans() {
    use crate::metrics::{HistogramConfig, NativeBuckets};
    let registry = Registry::new();
    let latency = Histogram::with_config(HistogramConfig::both(
        Buckets::new([1.0]).unwrap(),
        NativeBuckets::new(2.0).unwrap(),
    ));
    for v in [0.0, 0.75, 3.0, 3.5, -6.0] {
        latency.observe(v);
    }
    registry.register("latency", "Latency.", latency).unwrap();
    let empty = Histogram::native(
        NativeBuckets::new(2.0)
            .unwrap()
            .zero_threshold(0.0)
            .unwrap(),
    );
    registry.register("empty", "Empty.", empty).unwrap();
    let mut bytes = Vec::new();
    registry.encode(Format::Protobuf, &mut bytes).unwrap();
    let families = decode(&bytes);

    let empty = families[0].metric[0].histogram.as_ref().unwrap();
    assert_eq!(empty.sample_count, Some(0));
    let noop: Vec<(i32, u32)> = empty
        .positive_span
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    assert_eq!(
        noop,
        [(0, 0)],
        "the no-op span marks an empty native histogram"
    );
    assert!(
        empty.bucket.is_empty(),
        "a native-only histogram has no classic buckets"
    );

    let h = families[1].metric[0].histogram.as_ref().unwrap();
    assert_eq!(
        (h.schema, h.zero_count, h.sample_count, h.sample_sum),
        (Some(0), Some(1), Some(5), Some(1.25))
    );
    assert_eq!(
        h.zero_threshold,
        Some(NativeBuckets::DEFAULT_ZERO_THRESHOLD)
    );
    // 0.75 -> bucket 0 (0.5, 1]; 3 and 3.5 -> bucket 2 (2, 4]; -6 -> negative bucket 3.
    let positive: Vec<(i32, u32)> = h
        .positive_span
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    assert_eq!(positive, [(0, 1), (1, 1)]);
    assert_eq!(h.positive_delta, [1, 1]);
    let negative: Vec<(i32, u32)> = h
        .negative_span
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    assert_eq!(negative, [(3, 1)]);
    assert_eq!(h.negative_delta, [1]);
    assert_eq!(
        h.bucket.len(),
        1,
        "the classic bucket stays for text scrapers"
    );
    assert!(
        h.positive_span.iter().all(|s| s.length != Some(0)),
        "no no-op span when there are buckets"
    );
}

#[test]
fn native_only_histograms_list_their_exemplars() {
    use crate::metrics::NativeBuckets;
    let registry = Registry::new();
    let latency = Histogram::native(NativeBuckets::new(1.5).unwrap());
    latency
        .observe_with_exemplar(0.3, &[("trace_id", "n-1")])
        .unwrap();
    registry.register("latency", "Latency.", latency).unwrap();
    let untouched = Histogram::native(NativeBuckets::new(1.5).unwrap());
    registry
        .register("untouched", "Untouched.", untouched)
        .unwrap();
    let mut bytes = Vec::new();
    registry.encode(Format::Protobuf, &mut bytes).unwrap();
    let families = decode(&bytes);
    let h = families[0].metric[0].histogram.as_ref().unwrap();
    let ids: Vec<Option<&str>> = h
        .exemplars
        .iter()
        .map(|e| e.label[0].value.as_deref())
        .collect();
    assert_eq!(ids, [Some("n-1")]);
    // An empty histogram has the no-op span even with the default (non-zero) threshold.
    let empty = families[1].metric[0].histogram.as_ref().unwrap();
    let spans: Vec<(i32, u32)> = empty
        .positive_span
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    assert_eq!(spans, [(0, 0)]);
}

/// A classic+native histogram scraped over protobuf while four threads observe: no
/// bucket's cumulative count ever exceeds the `sample_count` it is sent with.
#[test]
fn classic_buckets_stay_within_the_native_count_under_observers() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::metrics::{HistogramConfig, NativeBuckets};

    /// Stops the observers however the scraping loop ends.
    struct StopOnDrop<'a>(&'a AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    let registry = Registry::new();
    let histogram = Histogram::with_config(HistogramConfig::both(
        Buckets::new([0.1, 0.5, 1.0]).unwrap(),
        NativeBuckets::new(1.1).unwrap(),
    ));
    registry
        .register("latency_seconds", "Latency.", histogram.clone())
        .unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for t in 0..4u32 {
            let (histogram, stop) = (&histogram, &stop);
            scope.spawn(move || {
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    histogram.observe(f64::from(i % 12) / 10.0);
                    i = i.wrapping_add(1);
                }
            });
        }
        let _stop = StopOnDrop(&stop);
        let mut body = Vec::new();
        for _ in 0..500 {
            body.clear();
            registry.encode(Format::Protobuf, &mut body).unwrap();
            let families = decode(&body);
            let h = families[0].metric[0].histogram.as_ref().unwrap();
            let count = h.sample_count.unwrap();
            let mut previous = 0;
            for bucket in &h.bucket {
                let cumulative = bucket.cumulative_count.unwrap();
                assert!(cumulative >= previous, "{h:?}");
                assert!(
                    cumulative <= count,
                    "bucket {cumulative} above count {count}"
                );
                previous = cumulative;
            }
        }
    });
}
