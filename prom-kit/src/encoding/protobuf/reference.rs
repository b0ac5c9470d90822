//! The encoder this crate had before [`ProtoFamily`](super::ProtoFamily) wrote the wire
//! format directly: each family assembled as `prost` messages, then encoded by `prost`.
//! Slow (a struct and strings per series), but plainly right; the tests check the direct
//! encoder against it.

use prost::Message;

use super::proto;
use super::raw_pairs::parse_rendered;
use crate::descriptor::Descriptor;
use crate::snapshot::{Number, Snapshot};

/// One family being assembled.
#[derive(Debug)]
pub(super) struct ReferenceFamily {
    family: proto::MetricFamily,
    const_pairs: Vec<proto::LabelPair>,
    state_label: String,
}

fn pair(name: String, value: String) -> proto::LabelPair {
    proto::LabelPair {
        name: Some(name),
        value: Some(value),
    }
}

fn exemplar(exemplar: &crate::snapshot::Exemplar) -> proto::Exemplar {
    proto::Exemplar {
        label: parse_rendered(exemplar.labels())
            .into_iter()
            .map(|(n, v)| pair(n, v))
            .collect(),
        value: Some(exemplar.value()),
        timestamp: Some(timestamp(exemplar.timestamp())),
    }
}

/// Sets the native fields: schema, zero bucket, and each sign's buckets as spans of
/// consecutive keys plus deltas between consecutive counts. The native snapshot's count
/// and sum replace the classic ones (they come from the same consistent read). A
/// histogram without buckets gets the no-op span, so that Prometheus tells it is native
/// even with a zero threshold of 0.
fn add_native(histogram: &mut proto::Histogram, native: &crate::snapshot::NativeSnapshot<'_>) {
    histogram.sample_count = Some(native.count);
    histogram.sample_sum = Some(native.sum);
    histogram.schema = Some(native.schema);
    histogram.zero_threshold = Some(native.zero_threshold);
    histogram.zero_count = Some(native.zero_count);
    (histogram.positive_span, histogram.positive_delta) = spans_and_deltas(native.positive);
    (histogram.negative_span, histogram.negative_delta) = spans_and_deltas(native.negative);
    if native.positive.is_empty() && native.negative.is_empty() {
        histogram.positive_span.push(proto::BucketSpan {
            offset: Some(0),
            length: Some(0),
        });
    }
}

/// Spans of consecutive keys (the first offset absolute, the next relative to the end
/// of the previous span) and the count deltas, from `(key, count)` sorted by key.
pub(super) fn spans_and_deltas(buckets: &[(i32, u64)]) -> (Vec<proto::BucketSpan>, Vec<i64>) {
    let mut spans: Vec<proto::BucketSpan> = Vec::new();
    let mut deltas = Vec::with_capacity(buckets.len());
    let mut previous_key: Option<i32> = None;
    let mut previous_count = 0i64;
    for &(key, count) in buckets {
        match (previous_key, spans.last_mut()) {
            (Some(last), Some(span)) if key == last + 1 => {
                span.length = Some(span.length.unwrap_or(0) + 1);
            }
            (Some(last), _) => spans.push(proto::BucketSpan {
                offset: Some(key - last - 1),
                length: Some(1),
            }),
            (None, _) => spans.push(proto::BucketSpan {
                offset: Some(key),
                length: Some(1),
            }),
        }
        #[expect(
            clippy::cast_possible_wrap,
            reason = "bucket counts above i64::MAX are refused before encoding"
        )]
        let count = count as i64;
        deltas.push(count - previous_count);
        previous_count = count;
        previous_key = Some(key);
    }
    (spans, deltas)
}

fn timestamp(seconds: f64) -> proto::Timestamp {
    let whole = seconds.floor();
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a timestamp's whole seconds and nanoseconds fit their fields for any date a clock returns"
    )]
    proto::Timestamp {
        seconds: whole as i64,
        nanos: ((seconds - whole) * 1e9) as i32,
    }
}

impl ReferenceFamily {
    /// Starts the family `name` (as written), whose states, for a state set, are labelled
    /// `state_label`.
    pub(super) fn new(
        name: &str,
        state_label: &str,
        descriptor: &Descriptor,
        const_labels: &str,
    ) -> Self {
        let (kind, suffix) = super::proto_kind(descriptor.kind());
        Self {
            family: proto::MetricFamily {
                name: Some(format!("{name}{suffix}")),
                help: Some(descriptor.help().to_owned()),
                r#type: Some(kind as i32),
                metric: Vec::new(),
                unit: descriptor.unit().map(str::to_owned),
            },
            const_pairs: parse_rendered(const_labels)
                .into_iter()
                .map(|(n, v)| pair(n, v))
                .collect(),
            state_label: state_label.to_owned(),
        }
    }

    /// Adds the series with rendered label text `labels`.
    pub(super) fn add(&mut self, labels: &str, snapshot: Snapshot<'_>) {
        let mut label: Vec<proto::LabelPair> = self.const_pairs.clone();
        label.extend(parse_rendered(labels).into_iter().map(|(n, v)| pair(n, v)));
        let metric = |label| proto::Metric {
            label,
            ..proto::Metric::default()
        };
        match snapshot {
            Snapshot::Counter(c) => self.family.metric.push(proto::Metric {
                counter: Some(proto::Counter {
                    value: Some(c.total.as_f64()),
                    exemplar: c.exemplar.map(exemplar),
                    created_timestamp: c.created.map(timestamp),
                }),
                ..metric(label)
            }),
            Snapshot::Gauge(v) => self.family.metric.push(proto::Metric {
                gauge: Some(proto::Gauge {
                    value: Some(v.as_f64()),
                }),
                ..metric(label)
            }),
            Snapshot::Unknown(v) => self.family.metric.push(proto::Metric {
                untyped: Some(proto::Untyped {
                    value: Some(v.as_f64()),
                }),
                ..metric(label)
            }),
            Snapshot::Histogram(h) => {
                let mut cumulative = 0;
                let bucket = h
                    .bounds
                    .iter()
                    .zip(h.counts)
                    .enumerate()
                    .map(|(i, (bound, count))| {
                        cumulative += count;
                        proto::Bucket {
                            cumulative_count: Some(cumulative),
                            upper_bound: Some(*bound),
                            exemplar: h.exemplars.get(i).and_then(Option::as_deref).map(exemplar),
                            ..proto::Bucket::default()
                        }
                    })
                    .collect();
                let mut histogram = proto::Histogram {
                    sample_count: Some(h.count()),
                    sample_sum: Some(h.sum),
                    bucket,
                    created_timestamp: h.created.map(timestamp),
                    ..proto::Histogram::default()
                };
                if let Some(native) = &h.native {
                    add_native(&mut histogram, native);
                    // Native histograms carry their exemplars in one list, whichever
                    // bucket they were recorded in.
                    histogram.exemplars = h
                        .exemplars
                        .iter()
                        .filter_map(Option::as_deref)
                        .map(exemplar)
                        .collect();
                }
                self.family.metric.push(proto::Metric {
                    histogram: Some(histogram),
                    ..metric(label)
                });
            }
            Snapshot::Summary(s) => self.family.metric.push(proto::Metric {
                summary: Some(proto::Summary {
                    sample_count: Some(s.count),
                    sample_sum: Some(s.sum),
                    quantile: Vec::new(),
                    created_timestamp: s.created.map(timestamp),
                }),
                ..metric(label)
            }),
            Snapshot::Info(info) => {
                let mut label = label;
                label.extend(parse_rendered(info).into_iter().map(|(n, v)| pair(n, v)));
                self.family.metric.push(proto::Metric {
                    gauge: Some(proto::Gauge { value: Some(1.0) }),
                    ..metric(label)
                });
            }
            Snapshot::StateSet(s) => {
                for (i, state) in s.states.iter().enumerate() {
                    let mut label = label.clone();
                    label.push(pair(self.state_label.clone(), state.to_string()));
                    let active = s.active & (1 << i) != 0;
                    self.family.metric.push(proto::Metric {
                        gauge: Some(proto::Gauge {
                            value: Some(Number::Unsigned(u64::from(active)).as_f64()),
                        }),
                        ..metric(label)
                    });
                }
            }
        }
    }

    /// Appends the family as one length-delimited message; a family without series is
    /// left out (Prometheus' parser rejects empty families).
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        if !self.family.metric.is_empty() {
            // Writing into a Vec cannot run out of space.
            let _ = self.family.encode_length_delimited(out);
        }
    }
}
