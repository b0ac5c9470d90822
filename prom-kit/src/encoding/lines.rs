//! [`Lines`]: the line assembly of a [`FamilyWriter`](super::FamilyWriter) — metadata
//! comments, sample lines with their label text, histogram buckets, exemplars — with the
//! family's name and labels quoted or escaped as the scraper negotiated.

use std::borrow::Cow;

use super::exposition::{Exposition, ProtoSlot};
use super::le::LeTexts;
use super::number::{write_float, write_number};
use super::stream::{Drain, STREAM_LIMIT, StreamedTo, drain_past};
use super::{EscapingScheme, Format};
use crate::descriptor::Descriptor;
use crate::labels::render::{
    escape_label_value, escape_with, render_label_name, rewrite_label_names,
};
use crate::metrics::MetricType;
use crate::name::{NameValidation, label_name_needs_quotes, metric_name_needs_quotes};
use crate::snapshot::{Exemplar, HistogramSnapshot, Number, Snapshot};

/// The part of a [`FamilyWriter`] that writes lines.
#[derive(Debug)]
pub(super) struct Lines<'a> {
    out: &'a mut Vec<u8>,
    format: Format,
    /// The scheme names are escaped by, when some may need it (a UTF-8 registry scraped
    /// without UTF-8); label texts are then rewritten.
    escaping: Option<EscapingScheme>,
    /// The names the registry accepts.
    pub(super) validation: NameValidation,
    /// The family name as registered.
    pub(super) name: Cow<'a, str>,
    /// The family name as written: escaped for scrapers without UTF-8.
    shown: Cow<'a, str>,
    /// Whether the name is written quoted (`{"a.b"} 1`), for scrapers with UTF-8.
    quoted: bool,
    /// A state set's name as the label name of its states, as written.
    state_label: String,
    pub(super) descriptor: &'a Descriptor,
    /// The constant labels, as written.
    pub(super) const_labels: Cow<'a, str>,
    /// The constant labels as the registry view rendered them (names unescaped).
    pub(super) raw_const_labels: &'a str,
    /// Whether OpenMetrics output carries `_created` samples.
    created: bool,
    /// The `le` texts of the family's histogram bounds.
    le: LeTexts,
    /// The start of the sample lines being written, shared by a histogram's buckets.
    line: Vec<u8>,
    /// `name<suffix>{const_labels` (or `{"name<suffix>",const_labels`) for each suffix
    /// written so far (a handful).
    heads: Vec<(&'static str, Vec<u8>)>,
    /// A series' label text with its names escaped, when they need it.
    relabelled: String,
    /// Where a protobuf family is assembled; written out by [`flush`] once complete.
    #[cfg_attr(
        not(feature = "protobuf"),
        expect(
            dead_code,
            reason = "only the protobuf format assembles whole families"
        )
    )]
    slot: &'a mut ProtoSlot,
    /// Where a streamed family's output goes once it grows past
    /// [`STREAM_LIMIT`](super::stream::STREAM_LIMIT) between two series, or past
    /// [`STREAM_CHUNK`](super::stream::STREAM_CHUNK) between two shards (a protobuf
    /// family as one more message of it).
    drain: StreamedTo<'a>,
}

impl<'a> Lines<'a> {
    /// Sets up the writing of the family `name` for `exposition`: the name and the
    /// constant labels as this scraper gets them (quoted, or escaped), and for protobuf
    /// the message the family is assembled in.
    pub(super) fn new(
        out: &'a mut Vec<u8>,
        slot: &'a mut ProtoSlot,
        exposition: Exposition,
        name: Cow<'a, str>,
        descriptor: &'a Descriptor,
        const_labels: &'a str,
    ) -> Self {
        let Exposition {
            format,
            escaping,
            validation,
            created,
        } = exposition;
        // Only a UTF-8 registry holds names that need escaping.
        let escape_names =
            escaping != EscapingScheme::AllowUtf8 && validation == NameValidation::Utf8;
        let shown = if escape_names {
            match escaping.escape_metric_name(&name) {
                Cow::Borrowed(_) => name.clone(),
                Cow::Owned(escaped) => Cow::Owned(escaped),
            }
        } else {
            name.clone()
        };
        let quoted = escaping == EscapingScheme::AllowUtf8 && metric_name_needs_quotes(&name);
        let raw_const_labels = const_labels;
        let const_labels = if escape_names {
            let mut rewritten = String::new();
            rewrite_label_names(&mut rewritten, const_labels, escaping);
            Cow::Owned(rewritten)
        } else {
            Cow::Borrowed(const_labels)
        };
        let mut lines = Lines {
            out,
            format,
            escaping: escape_names.then_some(escaping),
            validation,
            name,
            shown,
            quoted,
            state_label: String::new(),
            descriptor,
            const_labels,
            raw_const_labels,
            created,
            le: LeTexts::default(),
            line: Vec::new(),
            heads: Vec::new(),
            relabelled: String::new(),
            slot,
            drain: StreamedTo::default(),
        };
        if descriptor.kind() == MetricType::StateSet {
            lines.state_label = lines.label_name(&lines.name).into_owned();
        }
        #[cfg(feature = "protobuf")]
        if format == Format::Protobuf {
            // Protobuf families carry their metadata in the message, written at flush.
            // Protobuf names are never quoted.
            let state_label = match lines.escaping {
                Some(scheme) => scheme.escape_label_name(&lines.name).into_owned(),
                None => lines.name.to_string(),
            };
            *lines.slot = Some(super::protobuf::ProtoFamily::new(
                lines.out,
                &lines.shown,
                &state_label,
                descriptor,
                &lines.const_labels,
            ));
        }
        if matches!(format, Format::Text | Format::OpenMetrics) {
            lines.write_metadata();
        }
        lines
    }
}

impl<'a> Lines<'a> {
    /// Streams the family's output to `drain` as it is written (a protobuf family as
    /// several messages of it).
    pub(super) fn stream_to(&mut self, drain: Drain<'a>) {
        self.drain = StreamedTo(Some(drain));
    }
}

impl Lines<'_> {
    fn write_metadata(&mut self) {
        let d = self.descriptor;
        let openmetrics = self.format == Format::OpenMetrics;
        let (type_name, suffix) = match (openmetrics, d.kind()) {
            (false, MetricType::Counter) => ("counter", "_total"),
            (false, MetricType::Info) => ("gauge", "_info"),
            (false, MetricType::StateSet) | (_, MetricType::Gauge) => ("gauge", ""),
            (false, MetricType::Unknown) => ("untyped", ""),
            (true, MetricType::Counter) => ("counter", ""),
            (true, MetricType::Info) => ("info", ""),
            (true, MetricType::StateSet) => ("stateset", ""),
            (true, MetricType::Unknown) => ("unknown", ""),
            (_, MetricType::Histogram) => ("histogram", ""),
            (_, MetricType::Summary) => ("summary", ""),
        };
        if !d.help().is_empty() {
            self.comment("HELP", suffix);
            self.out.push(b' ');
            escape_with(self.out, d.help(), |b| match b {
                b'\\' => Some("\\\\"),
                b'\n' => Some("\\n"),
                b'"' if openmetrics => Some("\\\""),
                _ => None,
            });
            self.out.push(b'\n');
        }
        self.comment("TYPE", suffix);
        self.out.push(b' ');
        self.out.extend_from_slice(type_name.as_bytes());
        self.out.push(b'\n');
        if let (Format::OpenMetrics, Some(unit)) = (self.format, d.unit()) {
            self.comment("UNIT", "");
            self.out.push(b' ');
            self.out.extend_from_slice(unit.as_bytes());
            self.out.push(b'\n');
        }
    }

    fn comment(&mut self, keyword: &str, suffix: &str) {
        self.out.extend_from_slice(b"# ");
        self.out.extend_from_slice(keyword.as_bytes());
        self.out.push(b' ');
        write_sample_name(self.out, &self.shown, suffix, self.quoted);
    }

    /// `name` as a label name is written: quoted for scrapers with UTF-8 if it needs
    /// it, escaped for the others.
    fn label_name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        match self.escaping {
            Some(scheme) => scheme.escape_label_name(name),
            None if label_name_needs_quotes(name) => {
                let mut quoted = String::new();
                render_label_name(&mut quoted, name);
                Cow::Owned(quoted)
            }
            None => Cow::Borrowed(name),
        }
    }

    /// Writes the lines of one series. `labels` is its rendered label text.
    pub(super) fn write_series(&mut self, labels: &str, snapshot: Snapshot<'_>) {
        let Some(scheme) = self.escaping else {
            self.write_series_as_is(labels, snapshot);
            self.drain_past(STREAM_LIMIT);
            return;
        };
        // Names outside the legacy set, escaped for this scraper (labels and an info
        // metric's own pairs); the buffer is kept for the next series.
        let mut relabelled = std::mem::take(&mut self.relabelled);
        relabelled.clear();
        rewrite_label_names(&mut relabelled, labels, scheme);
        let split = relabelled.len();
        let snapshot = match snapshot {
            Snapshot::Info(pairs) => {
                rewrite_label_names(&mut relabelled, pairs, scheme);
                Snapshot::Info(&relabelled[split..])
            }
            other => other,
        };
        self.write_series_as_is(&relabelled[..split], snapshot);
        self.relabelled = relabelled;
        self.drain_past(STREAM_LIMIT);
    }

    /// Hands the output to the drain, if the family is streamed, once it holds at least
    /// `at_least` bytes.
    pub(super) fn drain_past(&mut self, at_least: usize) {
        #[cfg(feature = "protobuf")]
        if let (Some(proto), Some(drain)) = (self.slot.as_mut(), self.drain.0.as_mut()) {
            if self.out.len() >= at_least {
                proto.hand_on(self.out, &mut **drain);
            }
            return;
        }
        drain_past(self.drain.0.as_mut(), self.out, at_least);
    }

    /// Writes the lines of one series whose label text is as it is to be written.
    fn write_series_as_is(&mut self, labels: &str, snapshot: Snapshot<'_>) {
        #[cfg(feature = "protobuf")]
        if let Some(proto) = self.slot.as_mut() {
            proto.add(self.out, labels, snapshot);
            return;
        }
        let openmetrics = self.format == Format::OpenMetrics;
        let created_lines = openmetrics && self.created;
        match snapshot {
            Snapshot::Counter(c) => {
                self.sample_with_exemplar("_total", labels, None, c.total, c.exemplar);
                if let (true, Some(created)) = (created_lines, c.created) {
                    self.sample("_created", labels, None, Number::Float(created));
                }
            }
            Snapshot::Gauge(v) | Snapshot::Unknown(v) => self.sample("", labels, None, v),
            Snapshot::Histogram(h) => {
                let cumulative = self.buckets(labels, &h);
                // OpenMetrics treats `_sum` as counter-like: never negative or NaN, and
                // absent when a bucket bound is negative; `_count` only comes with it.
                // Such a histogram exposes its buckets (and so its count) only.
                let has_negative_bound = h.bounds.first().is_some_and(|b| *b < 0.0);
                if !openmetrics || (sum_is_counter_like(h.sum) && !has_negative_bound) {
                    self.sample("_sum", labels, None, Number::Float(h.sum));
                    self.sample("_count", labels, None, Number::Unsigned(cumulative));
                }
                if let (true, Some(created)) = (created_lines, h.created) {
                    self.sample("_created", labels, None, Number::Float(created));
                }
            }
            Snapshot::Summary(s) => {
                if !openmetrics || sum_is_counter_like(s.sum) {
                    self.sample("_sum", labels, None, Number::Float(s.sum));
                }
                self.sample("_count", labels, None, Number::Unsigned(s.count));
                if let (true, Some(created)) = (created_lines, s.created) {
                    self.sample("_created", labels, None, Number::Float(created));
                }
            }
            Snapshot::Info(info_labels) => {
                self.sample(
                    "_info",
                    labels,
                    Some(Extra::Rendered(info_labels)),
                    Number::Unsigned(1),
                );
            }
            Snapshot::StateSet(s) => {
                for (i, state) in s.states.iter().enumerate() {
                    let active = s.active & (1 << i) != 0;
                    self.sample(
                        "",
                        labels,
                        Some(Extra::State(state)),
                        Number::Unsigned(u64::from(active)),
                    );
                }
            }
        }
    }

    /// Appends a histogram's `_bucket` lines; returns the total count.
    fn buckets(&mut self, labels: &str, h: &HistogramSnapshot<'_>) -> u64 {
        let openmetrics = self.format == Format::OpenMetrics;
        self.le.prepare(h.bounds, openmetrics);
        // `name_bucket{const,labels,le="` (or `{"name_bucket",const,labels,le="`), the
        // same for every bucket.
        let line = &mut self.line;
        line.clear();
        if self.quoted {
            line.push(b'{');
        }
        write_sample_name(line, &self.shown, "_bucket", self.quoted);
        line.extend_from_slice(if self.quoted { b"," } else { b"{" });
        for part in [&*self.const_labels, labels] {
            if !part.is_empty() {
                line.extend_from_slice(part.as_bytes());
                line.push(b',');
            }
        }
        line.extend_from_slice(b"le=\"");
        let out = &mut *self.out;
        let mut integer = itoa::Buffer::new();
        let mut cumulative = 0u64;
        for (i, count) in h.counts.iter().enumerate() {
            cumulative += count;
            out.extend_from_slice(line);
            out.extend_from_slice(self.le.get(i));
            out.extend_from_slice(b"\"} ");
            out.extend_from_slice(integer.format(cumulative).as_bytes());
            if let (true, Some(exemplar)) =
                (openmetrics, h.exemplars.get(i).and_then(Option::as_deref))
            {
                write_exemplar(out, exemplar);
            }
            out.push(b'\n');
        }
        cumulative
    }

    /// Appends `name<suffix>{const,labels,extra} value\n`.
    fn sample(
        &mut self,
        suffix: &'static str,
        labels: &str,
        extra: Option<Extra<'_>>,
        value: Number,
    ) {
        self.sample_with_exemplar(suffix, labels, extra, value, None);
    }

    /// Appends a sample line; in OpenMetrics, with ` # {labels} value timestamp` when
    /// there is an exemplar (the text format 0.0.4 has no syntax for them).
    fn sample_with_exemplar(
        &mut self,
        suffix: &'static str,
        labels: &str,
        extra: Option<Extra<'_>>,
        value: Number,
        exemplar: Option<&Exemplar>,
    ) {
        let index = if let Some(i) = self
            .heads
            .iter()
            .position(|(s, _)| std::ptr::eq(*s, suffix))
        {
            i
        } else {
            // `name<suffix>{const` (or `{"name<suffix>",const`) — the same for every
            // sample with this suffix.
            let mut head = Vec::with_capacity(self.shown.len() + suffix.len() + 4);
            if self.quoted {
                head.push(b'{');
            }
            write_sample_name(&mut head, &self.shown, suffix, self.quoted);
            if !self.quoted {
                head.push(b'{');
            } else if !self.const_labels.is_empty() {
                head.push(b',');
            }
            head.extend_from_slice(self.const_labels.as_bytes());
            self.heads.push((suffix, head));
            self.heads.len() - 1
        };
        let head = &self.heads[index].1;
        let out = &mut *self.out;
        let extra_is_empty = matches!(extra, None | Some(Extra::Rendered("")));
        if self.const_labels.is_empty() && labels.is_empty() && extra_is_empty && !self.quoted {
            out.extend_from_slice(&head[..self.shown.len() + suffix.len()]);
        } else {
            out.extend_from_slice(head);
            // A quoted name is followed by a comma before any label.
            let mut first = self.const_labels.is_empty() && !self.quoted;
            if !labels.is_empty() {
                if !first {
                    out.push(b',');
                }
                out.extend_from_slice(labels.as_bytes());
                first = false;
            }
            if !extra_is_empty {
                if !first {
                    out.push(b',');
                }
                match extra {
                    Some(Extra::Rendered(text)) => out.extend_from_slice(text.as_bytes()),
                    Some(Extra::State(state)) => {
                        out.extend_from_slice(self.state_label.as_bytes());
                        out.extend_from_slice(b"=\"");
                        escape_label_value(out, state);
                        out.push(b'"');
                    }
                    None => {}
                }
            }
            out.push(b'}');
        }
        out.push(b' ');
        write_number(out, value);
        if let (Format::OpenMetrics, Some(exemplar)) = (self.format, exemplar) {
            write_exemplar(out, exemplar);
        }
        out.push(b'\n');
    }
}

/// Appends a sample (or family) name with its suffix: as it is, or quoted
/// (`"a.b_total"`: the suffix goes inside the quotes, as Go's encoder writes it).
fn write_sample_name(out: &mut Vec<u8>, name: &str, suffix: &str, quoted: bool) {
    if quoted {
        out.push(b'"');
        escape_label_value(out, name);
        escape_label_value(out, suffix);
        out.push(b'"');
    } else {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
    }
}

/// Appends an OpenMetrics exemplar: ` # {labels} value timestamp`.
fn write_exemplar(out: &mut Vec<u8>, exemplar: &Exemplar) {
    out.extend_from_slice(b" # {");
    out.extend_from_slice(exemplar.labels().as_bytes());
    out.extend_from_slice(b"} ");
    write_float(out, exemplar.value());
    out.push(b' ');
    write_float(out, exemplar.timestamp());
}

/// A label a sample carries besides the family's own.
#[derive(Clone, Copy)]
enum Extra<'a> {
    /// Already rendered pairs (an info metric's labels).
    Rendered(&'a str),
    /// A state set's state, labelled with the family name.
    State(&'a str),
}

/// Whether OpenMetrics can carry `sum` as a `_sum` sample: it must be neither negative
/// nor NaN there (observations below zero make the sum meaningless for rates anyway).
fn sum_is_counter_like(sum: f64) -> bool {
    sum >= 0.0
}
