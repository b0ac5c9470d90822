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
    #[cfg(feature = "scrape")]
    {
        use crate::adapter::ScrapeRequest;
        use crate::scrape::MetricsHandler;
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

/// The positive spans and deltas the direct encoder writes for `buckets`, decoded.
fn written_spans(buckets: &[(i32, u64)]) -> (Vec<(i32, u32)>, Vec<i64>) {
    let mut message = Vec::new();
    super::spans_and_deltas(&mut message, (12, 13), buckets);
    let histogram = proto::Histogram::decode(message.as_slice()).unwrap();
    let spans = histogram
        .positive_span
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    (spans, histogram.positive_delta)
}

#[test]
fn spans_and_deltas_follow_the_encoding() {
    let buckets = [(-2, 3), (-1, 5), (0, 5), (4, 1), (5, 2), (9, 7)];
    let (spans, deltas) = written_spans(&buckets);
    assert_eq!(spans, [(-2, 3), (3, 2), (3, 1)]);
    assert_eq!(deltas, [3, 2, 0, -4, 1, 5]);
    // The same as the reference encoder's.
    let (reference_spans, reference_deltas) = super::reference::spans_and_deltas(&buckets);
    let reference_spans: Vec<(i32, u32)> = reference_spans
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    assert_eq!((spans, deltas), (reference_spans, reference_deltas));
    let (spans, deltas) = written_spans(&[]);
    assert!(spans.is_empty() && deltas.is_empty());
    // Keys at the ends of their range (the largest doubles at schema 8), far apart.
    let (spans, deltas) =
        written_spans(&[(-262_144, 1), (262_143, u64::from(u32::MAX)), (262_144, 1)]);
    assert_eq!(spans, [(-262_144, 1), (524_286, 2)]);
    assert_eq!(
        deltas,
        [1, i64::from(u32::MAX) - 1, 1 - i64::from(u32::MAX)]
    );
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

/// The direct encoder against the reference (prost messages, encoded by prost) on
/// generated families: every metric type, label values with escapes and control
/// characters, extreme values, exemplars, native buckets of both signs. Both outputs
/// decode to the same messages.
mod differential {
    use proptest::prelude::*;

    use super::super::ProtoFamily;
    use super::super::reference::ReferenceFamily;
    use super::{decode, proto};
    use crate::descriptor::Descriptor;
    use crate::labels::render::render_series;
    use crate::metrics::{HistogramConfig, Metric, MetricType, NativeBuckets};
    use crate::snapshot::Scratch;
    use crate::{Buckets, Counter, Gauge, Histogram, StateSet, Summary};

    /// Hands a snapshot of one series' metric to an encoder.
    type SnapshotOf = Box<dyn Fn(&mut Scratch, &mut dyn FnMut(crate::snapshot::Snapshot<'_>))>;

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            Just(-0.0),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
            Just(5e-324),
            -1e6..1e6f64,
        ]
    }

    fn label_value() -> impl Strategy<Value = String> {
        // Every control character, quotes, backslashes, non-ASCII text, the empty value.
        proptest::collection::vec(
            prop_oneof![
                (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
                Just('"'),
                Just('\\'),
                Just('n'),
                Just('é'),
                Just('漢'),
                Just('\u{7f}'),
                proptest::char::range('a', 'z'),
            ],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    /// Encodes one family of `kind` with the series `values` by both encoders.
    fn both(
        kind: MetricType,
        series: &[(String, SnapshotOf)],
    ) -> (Vec<proto::MetricFamily>, Vec<proto::MetricFamily>) {
        let descriptor = Descriptor::new("family", "Help with \\ and \n.", kind)
            .unwrap()
            .with_unit("seconds")
            .unwrap();
        let consts = r#"region="eu \"1\"""#;
        // The direct encoder writes after what the output already holds.
        let (mut a, mut b) = (b"\x02\x0a\x00".to_vec(), Vec::new());
        let mut direct = ProtoFamily::new(&mut a, "family", "family", &descriptor, consts);
        let mut reference = ReferenceFamily::new("family", "family", &descriptor, consts);
        for (labels, snapshot) in series {
            let mut scratch = Scratch::default();
            snapshot(&mut scratch, &mut |s| direct.add(&mut a, labels, &s));
            let mut scratch = Scratch::default();
            snapshot(&mut scratch, &mut |s| reference.add(labels, s));
        }
        direct.write(&mut a);
        reference.write(&mut b);
        let mut direct = decode(&a);
        // The family that was there before.
        assert_eq!(direct.remove(0).name.as_deref(), Some(""));
        (direct, decode(&b))
    }

    fn rendered(values: &[String]) -> String {
        let names: Vec<Box<str>> = ["a", "b"].iter().map(|n| Box::from(*n)).collect();
        render_series(&names[..values.len()], values).into()
    }

    /// NaN ≠ NaN: compare the encoded bytes of the decoded messages instead.
    fn same(a: &[proto::MetricFamily], b: &[proto::MetricFamily]) -> bool {
        use prost::Message;
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.encode_to_vec() == y.encode_to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn scalar_families_decode_alike(
            series in proptest::collection::vec((label_value(), label_value(), value(), any::<u64>(), any::<bool>()), 0..6),
        ) {
            for kind in [MetricType::Counter, MetricType::Gauge, MetricType::Summary, MetricType::StateSet, MetricType::Info] {
                let list: Vec<(String, SnapshotOf)> = series
                    .iter()
                    .map(|(a, b, v, n, exemplar)| {
                        let labels = rendered(&[a.clone(), b.clone()]);
                        let (v, n, exemplar, a) = (*v, *n, *exemplar, a.clone());
                        // Each metric is made once: both encoders see the same one.
                        let make: SnapshotOf = match kind {
                            MetricType::Counter => {
                                let c = Counter::new();
                                if exemplar {
                                    c.inc_by_with_exemplar(n % 1000, &[("trace", &a)]).ok();
                                } else {
                                    c.inc_by(n);
                                }
                                Box::new(move |scratch, add| add(c.snapshot(scratch)))
                            }
                            MetricType::Gauge => {
                                let g = Gauge::new();
                                g.set(v);
                                Box::new(move |scratch, add| add(g.snapshot(scratch)))
                            }
                            MetricType::Summary => {
                                let s = Summary::new();
                                s.observe(v);
                                Box::new(move |scratch, add| add(s.snapshot(scratch)))
                            }
                            MetricType::StateSet => {
                                let s = StateSet::new(["on", "off \"x\""]).unwrap();
                                s.set(if exemplar { "on" } else { "off \"x\"" }).ok();
                                Box::new(move |scratch, add| add(s.snapshot(scratch)))
                            }
                            _ => Box::new(move |_, add| {
                                add(crate::snapshot::Snapshot::Info(r#"version="1\n2",os="a\\b""#));
                            }),
                        };
                        (labels, make)
                    })
                    .collect();
                let (direct, reference) = both(kind, &list);
                prop_assert!(same(&direct, &reference), "{kind:?}\n{direct:?}\n{reference:?}");
            }
        }

        #[test]
        fn histograms_decode_alike(
            observations in proptest::collection::vec((value(), any::<bool>()), 0..40),
            native in any::<bool>(),
            classic in any::<bool>(),
        ) {
            let config = match (classic, native) {
                (_, false) => HistogramConfig::classic(Buckets::new([-1.0, 0.0, 0.5, 1e3]).unwrap()),
                (false, true) => HistogramConfig::native(NativeBuckets::new(1.1).unwrap()),
                (true, true) => HistogramConfig::both(
                    Buckets::DEFAULT,
                    NativeBuckets::new(2.0).unwrap().max_buckets(4).unwrap(),
                ),
            };
            let histogram = Histogram::with_config(config);
            for (v, exemplar) in &observations {
                if *exemplar {
                    histogram.observe_with_exemplar(*v, &[("trace", "t\"1")]).ok();
                } else {
                    histogram.observe(*v);
                }
            }
            let labels = rendered(&["x\n".to_owned()]);
            // One snapshot, encoded by both (a second would see the same counts, but
            // take another flip of the native copies).
            let descriptor = Descriptor::new("family", "Help.", MetricType::Histogram).unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let mut direct = ProtoFamily::new(&mut a, "family", "family", &descriptor, "");
            let mut reference = ReferenceFamily::new("family", "family", &descriptor, "");
            let mut scratch = Scratch::default();
            direct.add(&mut a, &labels, &histogram.snapshot(&mut scratch));
            let mut scratch = Scratch::default();
            reference.add(&labels, histogram.snapshot(&mut scratch));
            direct.write(&mut a);
            reference.write(&mut b);
            let (direct, reference) = (decode(&a), decode(&b));
            prop_assert!(same(&direct, &reference), "{direct:?}\n{reference:?}");
        }
    }
}

/// Families whose length needs one, two and three varint bytes, and an empty one between
/// them, each framed right in one output.
#[test]
fn families_of_every_length_class_are_framed_in_place() {
    let registry = Registry::new();
    for (name, series) in [
        ("small", 1usize),
        ("empty", 0),
        ("medium", 40),
        ("large", 3_000),
    ] {
        let family: Family<Counter> = Family::builder(["i"]).max_series(None).build().unwrap();
        for i in 0..series {
            family.labels(&[i.to_string()]).unwrap().inc_by(i as u64);
        }
        registry.register(name, "Help.", family).unwrap();
    }
    let mut out = Vec::new();
    registry.encode(Format::Protobuf, &mut out).unwrap();
    let families = decode(&out);
    let counts: Vec<(String, usize)> = families
        .iter()
        .map(|f| (f.name.clone().unwrap(), f.metric.len()))
        .collect();
    assert_eq!(
        counts,
        [
            (s("large_total"), 3_000),
            (s("medium_total"), 40),
            (s("small_total"), 1)
        ]
    );
    let large = &families[0];
    assert!(large.metric.iter().enumerate().all(|(i, m)| {
        let value = m.counter.as_ref().unwrap().value.unwrap();
        let label: usize = m.label[0].value.as_deref().unwrap().parse().unwrap();
        value == label as f64 && i < 3_000
    }));
}
