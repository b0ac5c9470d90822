//! The protobuf exposition format: a stream of `io.prometheus.client.MetricFamily`
//! messages, each preceded by its length as a varint (“delimited”).
//!
//! Prometheus asks for it first when native histograms are enabled; the Pushgateway
//! takes it too. Counters are named with their `_total` suffix, info metrics with `_info`
//! (as gauges) and state sets become gauges labelled with the family name, as Go's client
//! exposes them; the classic `+Inf` bucket is implicit.
//!
//! Each series is written straight from its snapshot into the scrape's output in the
//! wire format (the `wire` module): no message structs, no strings per series. The
//! messages are those of `proto.rs` (`metrics.proto`), which the tests decode the output
//! with.
//!
//! A gauge, byte for byte (the other types are checked against a reference encoder built
//! on the `prost` message types, against Prometheus and the Pushgateway):
//!
//! ```
//! use prom_kit::{Format, Gauge, Registry};
//!
//! let registry = Registry::new();
//! let depth = Gauge::new();
//! depth.set(-2.5);
//! registry.register("queue_depth", "Jobs waiting.", depth)?;
//! let mut expected = vec![43]; // the message's length, a varint
//! expected.extend([10, 11]); // name (field 1), 11 bytes
//! expected.extend(b"queue_depth");
//! expected.extend([18, 13]); // help (field 2), 13 bytes
//! expected.extend(b"Jobs waiting.");
//! expected.extend([24, 1]); // type (field 3): GAUGE
//! expected.extend([34, 11, 18, 9, 9]); // metric (4) { gauge (2) { value (1), a double } }
//! expected.extend((-2.5f64).to_le_bytes());
//! assert_eq!(registry.render(Format::Protobuf)?, expected);
//! # Ok::<(), prom_kit::Error>(())
//! ```

pub(crate) mod proto;
mod raw_pairs;
#[cfg(test)]
mod reference;
mod wire;

use crate::descriptor::Descriptor;
use crate::snapshot::kind::MetricType;
use crate::snapshot::{Exemplar, HistogramSnapshot, NativeSnapshot, Number, Snapshot};
use raw_pairs::for_each_raw_pair;

/// `MetricFamily` fields.
mod family_field {
    pub(super) const NAME: u32 = 1;
    pub(super) const HELP: u32 = 2;
    pub(super) const TYPE: u32 = 3;
    pub(super) const METRIC: u32 = 4;
    pub(super) const UNIT: u32 = 5;
}

/// `Metric` fields.
mod metric_field {
    pub(super) const LABEL: u32 = 1;
    pub(super) const GAUGE: u32 = 2;
    pub(super) const COUNTER: u32 = 3;
    pub(super) const SUMMARY: u32 = 4;
    pub(super) const UNTYPED: u32 = 5;
    pub(super) const HISTOGRAM: u32 = 7;
}

/// `Histogram` fields.
mod histogram_field {
    pub(super) const SAMPLE_COUNT: u32 = 1;
    pub(super) const SAMPLE_SUM: u32 = 2;
    pub(super) const BUCKET: u32 = 3;
    pub(super) const SCHEMA: u32 = 5;
    pub(super) const ZERO_THRESHOLD: u32 = 6;
    pub(super) const ZERO_COUNT: u32 = 7;
    pub(super) const NEGATIVE_SPAN: u32 = 9;
    pub(super) const NEGATIVE_DELTA: u32 = 10;
    pub(super) const POSITIVE_SPAN: u32 = 12;
    pub(super) const POSITIVE_DELTA: u32 = 13;
    pub(super) const CREATED: u32 = 15;
    pub(super) const EXEMPLARS: u32 = 16;
}

/// The protobuf type a family of `kind` is exposed as, and the suffix its name gets.
pub(super) fn proto_kind(kind: MetricType) -> (proto::MetricType, &'static str) {
    match kind {
        MetricType::Counter => (proto::MetricType::Counter, "_total"),
        MetricType::Info => (proto::MetricType::Gauge, "_info"),
        MetricType::Gauge | MetricType::StateSet => (proto::MetricType::Gauge, ""),
        MetricType::Histogram => (proto::MetricType::Histogram, ""),
        MetricType::Summary => (proto::MetricType::Summary, ""),
        MetricType::Unknown => (proto::MetricType::Untyped, ""),
    }
}

/// One family being written, in the wire format, straight into the scrape's output:
/// its fields first, then its series, then (at [`write`](Self::write)) its length in
/// front. Nothing of it is held elsewhere, so a scrape's memory is its body alone.
#[derive(Debug)]
pub(crate) struct ProtoFamily {
    /// Where the family's message starts in the output (one byte after the one reserved
    /// for its length).
    start: usize,
    /// Series written in the current message.
    series: usize,
    /// The family's own fields (name, help, type, unit), which begin each message of it.
    header: Vec<u8>,
    /// The constant labels' `LabelPair` fields, written ahead of every series' own.
    const_pairs: Vec<u8>,
    state_label: String,
    /// Reused for label values that need unescaping.
    unescaped: String,
}

/// Writes one `LabelPair` field (`tag`) of `name` and `value`.
#[inline]
fn label_pair(out: &mut Vec<u8>, tag: u32, name: &str, value: &str) {
    let len = wire::bytes_field_len(name.len()) + wire::bytes_field_len(value.len());
    wire::begin_sized(out, tag, len);
    wire::bytes(out, 1, name.as_bytes());
    wire::bytes(out, 2, value.as_bytes());
}

/// Writes the `LabelPair` fields (`tag`) of rendered label text.
fn rendered_pairs(out: &mut Vec<u8>, tag: u32, rendered: &str, buffer: &mut String) {
    for_each_raw_pair(rendered, buffer, |name, value| {
        label_pair(out, tag, name, value);
    });
}

/// Writes a `Timestamp` message field.
fn timestamp(out: &mut Vec<u8>, tag: u32, seconds: f64) {
    // For the times a clock gives (after 1970, whole seconds exact in a double), the
    // floor is a truncation: no call to `floor`.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "in range: below 2^53, a double's whole part is an exact i64 and back"
    )]
    let whole = if (0.0..9.0e15).contains(&seconds) {
        (seconds as i64) as f64
    } else {
        seconds.floor()
    };
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a timestamp's whole seconds and nanoseconds fit their fields for any date a clock returns"
    )]
    let (seconds, nanos) = (whole as i64, ((seconds - whole) * 1e9) as i32);
    // proto3 `Timestamp`: zero fields are left out; `int64`/`int32` as two's complement.
    #[expect(
        clippy::cast_sign_loss,
        reason = "two's complement, as protobuf encodes it"
    )]
    let (seconds_word, nanos_word) = (seconds as u64, i64::from(nanos) as u64);
    let field = |word: u64| {
        if word == 0 {
            0
        } else {
            1 + wire::varint_len(word)
        }
    };
    wire::begin_sized(out, tag, field(seconds_word) + field(nanos_word));
    if seconds != 0 {
        wire::int(out, 1, seconds);
    }
    if nanos != 0 {
        wire::int(out, 2, i64::from(nanos));
    }
}

/// Writes an `Exemplar` message field.
fn exemplar(out: &mut Vec<u8>, tag: u32, exemplar: &Exemplar, buffer: &mut String) {
    let start = wire::begin(out, tag);
    rendered_pairs(out, 1, exemplar.labels(), buffer);
    wire::double(out, 2, exemplar.value());
    timestamp(out, 3, exemplar.timestamp());
    wire::end(out, start);
}

/// Writes the spans (`span_tag`) and deltas (`delta_tag`) of one sign's native buckets,
/// `(key, count)` sorted by key: spans of consecutive keys (the first offset absolute,
/// the next relative to the end of the previous span), counts as deltas between
/// consecutive buckets.
fn spans_and_deltas(out: &mut Vec<u8>, (span_tag, delta_tag): (u32, u32), buckets: &[(i32, u64)]) {
    let mut i = 0;
    let mut previous_end: Option<i32> = None;
    while i < buckets.len() {
        let first = buckets[i].0;
        let mut length = 1u32;
        while buckets
            .get(i + length as usize)
            .is_some_and(|&(key, _)| i64::from(key) == i64::from(first) + i64::from(length))
        {
            length += 1;
        }
        // Keys of finite doubles lie within ±2^19 at any schema: no overflow.
        let offset = match previous_end {
            Some(end) => first.wrapping_sub(end).wrapping_sub(1),
            None => first,
        };
        let start = wire::begin(out, span_tag);
        wire::sint(out, 1, i64::from(offset));
        wire::uint(out, 2, u64::from(length));
        wire::end(out, start);
        i += length as usize;
        previous_end = Some(buckets[i - 1].0);
    }
    let mut previous = 0i64;
    for &(_, count) in buckets {
        #[expect(
            clippy::cast_possible_wrap,
            reason = "bucket counts above i64::MAX are refused before encoding"
        )]
        let count = count as i64;
        wire::sint(out, delta_tag, count.wrapping_sub(previous));
        previous = count;
    }
}

/// Writes the native fields: schema, zero bucket, and each sign's buckets. A histogram
/// without buckets gets the no-op span, so that Prometheus tells it is native even with
/// a zero threshold of 0.
fn native_fields(out: &mut Vec<u8>, native: &NativeSnapshot<'_>) {
    use histogram_field::{
        NEGATIVE_DELTA, NEGATIVE_SPAN, POSITIVE_DELTA, POSITIVE_SPAN, SCHEMA, ZERO_COUNT,
        ZERO_THRESHOLD,
    };
    wire::sint(out, SCHEMA, i64::from(native.schema));
    wire::double(out, ZERO_THRESHOLD, native.zero_threshold);
    wire::uint(out, ZERO_COUNT, native.zero_count);
    spans_and_deltas(out, (NEGATIVE_SPAN, NEGATIVE_DELTA), native.negative);
    if native.positive.is_empty() && native.negative.is_empty() {
        let start = wire::begin(out, POSITIVE_SPAN);
        wire::sint(out, 1, 0);
        wire::uint(out, 2, 0);
        wire::end(out, start);
    } else {
        spans_and_deltas(out, (POSITIVE_SPAN, POSITIVE_DELTA), native.positive);
    }
}

/// Writes a `Histogram` message field. The native snapshot's count and sum replace the
/// classic ones (they come from the same consistent read).
fn histogram(out: &mut Vec<u8>, h: &HistogramSnapshot<'_>, buffer: &mut String) {
    use histogram_field::{BUCKET, CREATED, EXEMPLARS, SAMPLE_COUNT, SAMPLE_SUM};
    let start = wire::begin(out, metric_field::HISTOGRAM);
    let (count, sum) = match &h.native {
        Some(native) => (native.count, native.sum),
        None => (h.count(), h.sum),
    };
    wire::uint(out, SAMPLE_COUNT, count);
    wire::double(out, SAMPLE_SUM, sum);
    let mut cumulative = 0u64;
    for (i, (bound, bucket_count)) in h.bounds.iter().zip(h.counts).enumerate() {
        cumulative = cumulative.wrapping_add(*bucket_count);
        let bucket = wire::begin(out, BUCKET);
        wire::uint(out, 1, cumulative);
        wire::double(out, 2, *bound);
        if let Some(recorded) = h.exemplars.get(i).and_then(Option::as_deref) {
            exemplar(out, 3, recorded, buffer);
        }
        wire::end(out, bucket);
    }
    if let Some(native) = &h.native {
        native_fields(out, native);
    }
    if let Some(created) = h.created {
        timestamp(out, CREATED, created);
    }
    if h.native.is_some() {
        // Native histograms carry their exemplars in one list, whichever bucket they
        // were recorded in.
        for recorded in h.exemplars.iter().filter_map(Option::as_deref) {
            exemplar(out, EXEMPLARS, recorded, buffer);
        }
    }
    wire::end(out, start);
}

/// Writes a message field (`tag`) holding one `double` value field.
fn value_message(out: &mut Vec<u8>, tag: u32, value: f64) {
    let start = wire::begin(out, tag);
    wire::double(out, 1, value);
    wire::end(out, start);
}

impl ProtoFamily {
    /// Starts the family `name` (as written) in `out`, whose states, for a state set, are
    /// labelled `state_label`. Its series go to the same `out`, and nothing else until
    /// [`write`](Self::write).
    pub(crate) fn new(
        out: &mut Vec<u8>,
        name: &str,
        state_label: &str,
        descriptor: &Descriptor,
        const_labels: &str,
    ) -> Self {
        let (kind, suffix) = proto_kind(descriptor.kind());
        // The length goes in front: one byte reserved, more made room for at the end.
        out.push(0);
        let start = out.len();
        let mut full_name = String::with_capacity(name.len() + suffix.len());
        full_name.push_str(name);
        full_name.push_str(suffix);
        wire::bytes(out, family_field::NAME, full_name.as_bytes());
        wire::bytes(out, family_field::HELP, descriptor.help().as_bytes());
        wire::uint(out, family_field::TYPE, kind as u64);
        if let Some(unit) = descriptor.unit() {
            wire::bytes(out, family_field::UNIT, unit.as_bytes());
        }
        let header = out[start..].to_vec();
        let mut unescaped = String::new();
        let mut const_pairs = Vec::new();
        rendered_pairs(
            &mut const_pairs,
            metric_field::LABEL,
            const_labels,
            &mut unescaped,
        );
        Self {
            start,
            series: 0,
            header,
            const_pairs,
            state_label: state_label.to_owned(),
            unescaped,
        }
    }

    /// Starts one `Metric` with the constant labels, the series' own (rendered label
    /// text) and `extra` (a state set's state); returns where it starts.
    fn begin_metric(
        &mut self,
        out: &mut Vec<u8>,
        labels: &str,
        extra: Option<(&str, &str)>,
    ) -> usize {
        self.series += 1;
        let start = wire::begin(out, family_field::METRIC);
        out.extend_from_slice(&self.const_pairs);
        rendered_pairs(out, metric_field::LABEL, labels, &mut self.unescaped);
        if let Some((name, value)) = extra {
            label_pair(out, metric_field::LABEL, name, value);
        }
        start
    }

    /// Adds the series with rendered label text `labels` to `out` (the family's).
    pub(crate) fn add(&mut self, out: &mut Vec<u8>, labels: &str, snapshot: &Snapshot<'_>) {
        match *snapshot {
            Snapshot::Counter(c) => {
                let start = self.begin_metric(out, labels, None);
                let counter = wire::begin(out, metric_field::COUNTER);
                wire::double(out, 1, c.total.as_f64());
                if let Some(recorded) = c.exemplar {
                    exemplar(out, 2, recorded, &mut self.unescaped);
                }
                if let Some(created) = c.created {
                    timestamp(out, 3, created);
                }
                wire::end(out, counter);
                wire::end(out, start);
            }
            Snapshot::Gauge(v) => {
                let start = self.begin_metric(out, labels, None);
                value_message(out, metric_field::GAUGE, v.as_f64());
                wire::end(out, start);
            }
            Snapshot::Unknown(v) => {
                let start = self.begin_metric(out, labels, None);
                value_message(out, metric_field::UNTYPED, v.as_f64());
                wire::end(out, start);
            }
            Snapshot::Histogram(h) => {
                let start = self.begin_metric(out, labels, None);
                histogram(out, &h, &mut self.unescaped);
                wire::end(out, start);
            }
            Snapshot::Summary(s) => {
                let start = self.begin_metric(out, labels, None);
                let summary = wire::begin(out, metric_field::SUMMARY);
                wire::uint(out, 1, s.count);
                wire::double(out, 2, s.sum);
                if let Some(created) = s.created {
                    timestamp(out, 4, created);
                }
                wire::end(out, summary);
                wire::end(out, start);
            }
            Snapshot::Info(info) => {
                let start = self.begin_metric(out, labels, None);
                rendered_pairs(out, metric_field::LABEL, info, &mut self.unescaped);
                value_message(out, metric_field::GAUGE, 1.0);
                wire::end(out, start);
            }
            Snapshot::StateSet(s) => {
                let state_label = std::mem::take(&mut self.state_label);
                for (i, state) in s.states.iter().enumerate() {
                    let start = self.begin_metric(out, labels, Some((&state_label, &**state)));
                    let active = s.active & (1 << i) != 0;
                    let value = Number::Unsigned(u64::from(active)).as_f64();
                    value_message(out, metric_field::GAUGE, value);
                    wire::end(out, start);
                }
                self.state_label = state_label;
            }
        }
    }

    /// Completes the series written so far as one message of the family, hands `out` to
    /// `drain`, and starts the next message of the same family (same name, help, type
    /// and unit) in the emptied `out`: a streamed scrape sends a large family as several
    /// messages, each a valid family of some of its series, which Prometheus' parser
    /// reads one after the other. Nothing happens before a first series.
    pub(crate) fn hand_on(&mut self, out: &mut Vec<u8>, drain: &mut dyn FnMut(&mut Vec<u8>)) {
        if self.series == 0 {
            return;
        }
        wire::end(out, self.start);
        drain(out);
        out.push(0);
        self.start = out.len();
        out.extend_from_slice(&self.header);
        self.series = 0;
    }

    /// Completes the family in `out` as one length-delimited message; a family without
    /// series is taken out again (Prometheus' parser rejects empty families).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        if self.series > 0 {
            wire::end(out, self.start);
        } else {
            out.truncate(self.start - 1);
        }
    }
}

#[cfg(test)]
mod tests;
