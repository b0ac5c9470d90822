//! OpenMetrics 1.0 text: what it writes of each metric type, in the line syntax it
//! shares with the text format ([`TextLines`]). Exemplars on counters and buckets,
//! `_created` samples (unless the registry turned them off), `UNIT` lines, `"` escaped
//! in `HELP`; `_sum` only where it is counter-like; the `# EOF` terminator.

use super::shown::Shown;
use super::text_lines::TextLines;
use crate::descriptor::Descriptor;
use crate::snapshot::kind::MetricType;
use crate::snapshot::{Number, Snapshot};

/// Appends the family's `HELP`, `TYPE` and `UNIT` lines.
pub(super) fn write_metadata(out: &mut Vec<u8>, shown: &Shown<'_>, descriptor: &Descriptor) {
    let type_name = match descriptor.kind() {
        MetricType::Counter => "counter",
        MetricType::Gauge => "gauge",
        MetricType::Info => "info",
        MetricType::StateSet => "stateset",
        MetricType::Unknown => "unknown",
        MetricType::Histogram => "histogram",
        MetricType::Summary => "summary",
    };
    TextLines::help_and_type(out, shown, descriptor.help(), "", type_name, true);
    if let Some(unit) = descriptor.unit() {
        super::text_lines::comment(out, shown, "UNIT", "");
        out.push(b' ');
        out.extend_from_slice(unit.as_bytes());
        out.push(b'\n');
    }
}

/// Appends the lines of one series whose label text is as it is to be written, with
/// its `_created` sample if `created`.
#[inline]
pub(super) fn write_series(
    lines: &mut TextLines,
    out: &mut Vec<u8>,
    shown: &Shown<'_>,
    labels: &str,
    snapshot: &Snapshot<'_>,
    created: bool,
) {
    let created_at = match *snapshot {
        Snapshot::Counter(c) => {
            lines.sample_with_exemplar(out, shown, "_total", labels, None, c.total, c.exemplar);
            c.created
        }
        Snapshot::Histogram(h) => {
            let cumulative = lines.buckets(out, shown, labels, &h);
            // OpenMetrics treats `_sum` as counter-like: never negative or NaN, and
            // absent when a bucket bound is negative; `_count` only comes with it.
            // Such a histogram exposes its buckets (and so its count) only.
            let has_negative_bound = h.bounds.first().is_some_and(|b| *b < 0.0);
            if sum_is_counter_like(h.sum) && !has_negative_bound {
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
            h.created
        }
        Snapshot::Summary(s) => {
            if sum_is_counter_like(s.sum) {
                lines.sample(out, shown, "_sum", labels, None, Number::Float(s.sum));
            }
            lines.sample(
                out,
                shown,
                "_count",
                labels,
                None,
                Number::Unsigned(s.count),
            );
            s.created
        }
        Snapshot::Gauge(_) | Snapshot::Unknown(_) | Snapshot::Info(_) | Snapshot::StateSet(_) => {
            lines.common(out, shown, labels, snapshot);
            None
        }
    };
    if let (true, Some(at)) = (created, created_at) {
        lines.sample(out, shown, "_created", labels, None, Number::Float(at));
    }
}

/// Appends the OpenMetrics terminator.
pub(crate) fn write_eof(out: &mut Vec<u8>) {
    out.extend_from_slice(b"# EOF\n");
}

/// Whether OpenMetrics can carry `sum` as a `_sum` sample: it must be neither negative
/// nor NaN there (observations below zero make the sum meaningless for rates anyway).
fn sum_is_counter_like(sum: f64) -> bool {
    sum >= 0.0
}
