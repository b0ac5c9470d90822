//! [`TextLines`]: the line syntax both text formats share — a family's comments, its
//! sample lines with their label text, histogram buckets, exemplars — that
//! [`text`](super::text) and [`openmetrics`](super::openmetrics) write their rules with.

use super::le::LeTexts;
use super::number::{write_float, write_number};
use super::shown::Shown;
use crate::labels::render::{escape_label_value, escape_with};
use crate::snapshot::{Exemplar, HistogramSnapshot, Number, Snapshot};

/// The reusable parts of a family's sample lines.
#[derive(Debug, Default)]
pub(super) struct TextLines {
    /// Whether the lines are OpenMetrics' (`le` texts, exemplars).
    openmetrics: bool,
    /// The `le` texts of the family's histogram bounds.
    le: LeTexts,
    /// The start of the sample lines being written, shared by a histogram's buckets.
    line: Vec<u8>,
    /// `name<suffix>{const_labels` (or `{"name<suffix>",const_labels`) for each suffix
    /// written so far (a handful).
    heads: Vec<(&'static str, Vec<u8>)>,
}

/// A label a sample carries besides the family's own.
#[derive(Clone, Copy)]
pub(super) enum Extra<'a> {
    /// Already rendered pairs (an info metric's labels).
    Rendered(&'a str),
    /// A state set's state, labelled with the family name.
    State(&'a str),
}

impl TextLines {
    /// The lines of a text (`openmetrics` false) or OpenMetrics family.
    pub(super) fn new(openmetrics: bool) -> Self {
        Self {
            openmetrics,
            ..Self::default()
        }
    }

    /// Appends `# HELP name<suffix> help` (with `help` escaped as the format says:
    /// OpenMetrics also escapes `"`) and `# TYPE name<suffix> type_name`.
    pub(super) fn help_and_type(
        out: &mut Vec<u8>,
        shown: &Shown<'_>,
        help: &str,
        suffix: &str,
        type_name: &str,
        openmetrics: bool,
    ) {
        if !help.is_empty() {
            comment(out, shown, "HELP", suffix);
            out.push(b' ');
            escape_with(out, help, |b| match b {
                b'\\' => Some("\\\\"),
                b'\n' => Some("\\n"),
                b'"' if openmetrics => Some("\\\""),
                _ => None,
            });
            out.push(b'\n');
        }
        comment(out, shown, "TYPE", suffix);
        out.push(b' ');
        out.extend_from_slice(type_name.as_bytes());
        out.push(b'\n');
    }

    /// Appends the lines the two text formats write alike: a gauge's (or an unknown
    /// metric's) sample, an info metric's `_info` sample, a state set's one sample per
    /// state (nothing for the other types, which each format writes by its own rules).
    pub(super) fn common(
        &mut self,
        out: &mut Vec<u8>,
        shown: &Shown<'_>,
        labels: &str,
        snapshot: &Snapshot<'_>,
    ) {
        match *snapshot {
            Snapshot::Gauge(v) | Snapshot::Unknown(v) => {
                self.sample(out, shown, "", labels, None, v);
            }
            Snapshot::Info(info_labels) => self.sample(
                out,
                shown,
                "_info",
                labels,
                Some(Extra::Rendered(info_labels)),
                Number::Unsigned(1),
            ),
            Snapshot::StateSet(s) => {
                for (i, state) in s.states.iter().enumerate() {
                    let active = s.active & (1 << i) != 0;
                    self.sample(
                        out,
                        shown,
                        "",
                        labels,
                        Some(Extra::State(state)),
                        Number::Unsigned(u64::from(active)),
                    );
                }
            }
            Snapshot::Counter(_) | Snapshot::Histogram(_) | Snapshot::Summary(_) => {}
        }
    }

    /// Appends a histogram's `_bucket` lines; returns the total count.
    pub(super) fn buckets(
        &mut self,
        out: &mut Vec<u8>,
        shown: &Shown<'_>,
        labels: &str,
        h: &HistogramSnapshot<'_>,
    ) -> u64 {
        let openmetrics = self.openmetrics;
        self.le.prepare(h.bounds, openmetrics);
        // `name_bucket{const,labels,le="` (or `{"name_bucket",const,labels,le="`), the
        // same for every bucket.
        let line = &mut self.line;
        line.clear();
        if shown.quoted {
            line.push(b'{');
        }
        write_sample_name(line, &shown.written, "_bucket", shown.quoted);
        line.extend_from_slice(if shown.quoted { b"," } else { b"{" });
        for part in [&*shown.const_labels, labels] {
            if !part.is_empty() {
                line.extend_from_slice(part.as_bytes());
                line.push(b',');
            }
        }
        line.extend_from_slice(b"le=\"");
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
    #[inline]
    pub(super) fn sample(
        &mut self,
        out: &mut Vec<u8>,
        shown: &Shown<'_>,
        suffix: &'static str,
        labels: &str,
        extra: Option<Extra<'_>>,
        value: Number,
    ) {
        self.sample_with_exemplar(out, shown, suffix, labels, extra, value, None);
    }

    /// Appends a sample line; in OpenMetrics, with ` # {labels} value timestamp` when
    /// there is an exemplar (the text format 0.0.4 has no syntax for them).
    #[allow(
        clippy::too_many_arguments,
        reason = "the parts of one line, each needed"
    )]
    pub(super) fn sample_with_exemplar(
        &mut self,
        out: &mut Vec<u8>,
        shown: &Shown<'_>,
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
            let mut head = Vec::with_capacity(shown.written.len() + suffix.len() + 4);
            if shown.quoted {
                head.push(b'{');
            }
            write_sample_name(&mut head, &shown.written, suffix, shown.quoted);
            if !shown.quoted {
                head.push(b'{');
            } else if !shown.const_labels.is_empty() {
                head.push(b',');
            }
            head.extend_from_slice(shown.const_labels.as_bytes());
            self.heads.push((suffix, head));
            self.heads.len() - 1
        };
        let head = &self.heads[index].1;
        let extra_is_empty = matches!(extra, None | Some(Extra::Rendered("")));
        if shown.const_labels.is_empty() && labels.is_empty() && extra_is_empty && !shown.quoted {
            out.extend_from_slice(&head[..shown.written.len() + suffix.len()]);
        } else {
            out.extend_from_slice(head);
            // A quoted name is followed by a comma before any label.
            let mut first = shown.const_labels.is_empty() && !shown.quoted;
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
                        out.extend_from_slice(shown.state_label.as_bytes());
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
        if let (true, Some(exemplar)) = (self.openmetrics, exemplar) {
            write_exemplar(out, exemplar);
        }
        out.push(b'\n');
    }
}

/// Appends `# <keyword> name<suffix>`.
pub(super) fn comment(out: &mut Vec<u8>, shown: &Shown<'_>, keyword: &str, suffix: &str) {
    out.extend_from_slice(b"# ");
    out.extend_from_slice(keyword.as_bytes());
    out.push(b' ');
    write_sample_name(out, &shown.written, suffix, shown.quoted);
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
