//! The Prometheus text format 0.0.4: what it writes of each metric type, in the line
//! syntax it shares with OpenMetrics ([`TextLines`]). No exemplars, no `_created`
//! samples, no units; a counter's `TYPE` and `HELP` name its `_total` sample, an info
//! metric is a gauge named `_info`, a state set a gauge.

use super::shown::Shown;
use super::text_lines::TextLines;
use crate::descriptor::Descriptor;
use crate::snapshot::kind::MetricType;
use crate::snapshot::{Number, Snapshot};

/// Appends the family's `HELP` and `TYPE` lines.
pub(super) fn write_metadata(out: &mut Vec<u8>, shown: &Shown<'_>, descriptor: &Descriptor) {
    let (type_name, suffix) = match descriptor.kind() {
        MetricType::Counter => ("counter", "_total"),
        MetricType::Info => ("gauge", "_info"),
        MetricType::StateSet | MetricType::Gauge => ("gauge", ""),
        MetricType::Unknown => ("untyped", ""),
        MetricType::Histogram => ("histogram", ""),
        MetricType::Summary => ("summary", ""),
    };
    TextLines::help_and_type(out, shown, descriptor.help(), suffix, type_name, false);
}

/// Appends the lines of one series whose label text is as it is to be written.
#[inline]
pub(super) fn write_series(
    lines: &mut TextLines,
    out: &mut Vec<u8>,
    shown: &Shown<'_>,
    labels: &str,
    snapshot: &Snapshot<'_>,
) {
    match *snapshot {
        Snapshot::Counter(c) => lines.sample(out, shown, "_total", labels, None, c.total),
        Snapshot::Histogram(h) => {
            let cumulative = lines.buckets(out, shown, labels, &h);
            lines.sample(out, shown, "_sum", labels, None, Number::Float(h.sum));
            lines.sample(
                out,
                shown,
                "_count",
                labels,
                None,
                Number::Unsigned(cumulative),
            );
        }
        Snapshot::Summary(s) => {
            lines.sample(out, shown, "_sum", labels, None, Number::Float(s.sum));
            lines.sample(
                out,
                shown,
                "_count",
                labels,
                None,
                Number::Unsigned(s.count),
            );
        }
        Snapshot::Gauge(_) | Snapshot::Unknown(_) | Snapshot::Info(_) | Snapshot::StateSet(_) => {
            lines.common(out, shown, labels, snapshot);
        }
    }
}
