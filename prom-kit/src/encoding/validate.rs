//! Validation of what collectors hand the encoders: a snapshot that the formats cannot
//! express (or that would make Prometheus reject the whole scrape) is refused with a typed
//! error before anything of it is written.

use crate::error::{Error, ErrorKind, Result};
use crate::snapshot::kind::{MAX_STATES, MetricType};
use crate::snapshot::{HistogramSnapshot, Snapshot};

/// Rejects snapshots that do not belong in a family of `kind`, or hold values that the
/// formats cannot express for it.
pub(super) fn check_snapshot(kind: MetricType, snapshot: &Snapshot<'_>) -> Result<()> {
    let matches = matches!(
        (kind, snapshot),
        (MetricType::Counter, Snapshot::Counter(_))
            | (MetricType::Gauge, Snapshot::Gauge(_))
            | (MetricType::Histogram, Snapshot::Histogram(_))
            | (MetricType::Summary, Snapshot::Summary(_))
            | (MetricType::Info, Snapshot::Info(_))
            | (MetricType::StateSet, Snapshot::StateSet(_))
            | (MetricType::Unknown, Snapshot::Unknown(_))
    );
    if !matches {
        return Err(Error::new(
            ErrorKind::TypeMismatch,
            format!("{snapshot:?} in a {kind:?} family"),
        ));
    }
    match snapshot {
        Snapshot::Counter(c) if c.total.as_f64().is_nan() || c.total.as_f64() < 0.0 => {
            Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "a counter's total is never negative or NaN, and this one is {}",
                    c.total.as_f64()
                ),
            ))
        }
        Snapshot::Counter(c) if c.created.is_some_and(|t| !t.is_finite()) => Err(Error::new(
            ErrorKind::InvalidValue,
            format!("created timestamp {:?}", c.created),
        )),
        Snapshot::Histogram(h)
            if h.counts.len() != h.bounds.len() + 1
                || h.bounds.windows(2).any(|w| w[0] >= w[1])
                || h.bounds.iter().any(|b| !b.is_finite()) =>
        {
            Err(Error::new(
                ErrorKind::InvalidValue,
                "histogram counts must be one per finite ascending bound plus +Inf",
            ))
        }
        Snapshot::Histogram(h) => check_histogram_counts(h),
        Snapshot::Summary(s) if s.created.is_some_and(|t| !t.is_finite()) => Err(Error::new(
            ErrorKind::InvalidValue,
            format!("created timestamp {:?}", s.created),
        )),
        Snapshot::StateSet(s) if s.states.len() > MAX_STATES => Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "{} states; a state set holds at most {MAX_STATES}",
                s.states.len()
            ),
        )),
        Snapshot::StateSet(s) => match s
            .states
            .iter()
            .enumerate()
            .find(|(i, state)| s.states[..*i].contains(state))
        {
            Some((_, state)) => Err(Error::new(
                ErrorKind::InvalidValue,
                format!("the state {state:?} is listed twice"),
            )),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Refuses histogram counts that the formats cannot carry: a total beyond `u64::MAX`, a
/// created time that is not finite, and native buckets that are not what Prometheus
/// accepts (a schema outside -4..=8, a negative or non-finite zero threshold, keys not
/// strictly ascending or beyond ±2^30, counts beyond `i64::MAX` or adding up to more
/// than the count, or a classic total above the native count).
fn check_histogram_counts(h: &HistogramSnapshot<'_>) -> Result<()> {
    let invalid = |what: String| Err(Error::new(ErrorKind::InvalidValue, what));
    let Some(total) = h.counts.iter().try_fold(0u64, |sum, c| sum.checked_add(*c)) else {
        return invalid("histogram counts add up to more than u64::MAX".into());
    };
    if h.created.is_some_and(|t| !t.is_finite()) {
        return invalid(format!("created timestamp {:?}", h.created));
    }
    let Some(native) = &h.native else {
        return Ok(());
    };
    if !(-4..=8).contains(&native.schema) {
        return invalid(format!(
            "native schema {} (Prometheus takes -4 to 8)",
            native.schema
        ));
    }
    if !(native.zero_threshold >= 0.0 && native.zero_threshold.is_finite()) {
        return invalid(format!("native zero threshold {}", native.zero_threshold));
    }
    let mut in_buckets = Some(native.zero_count);
    for side in [native.positive, native.negative] {
        if side.windows(2).any(|w| w[0].0 >= w[1].0) {
            return invalid("native bucket keys must be strictly ascending".into());
        }
        if side.iter().any(|(key, count)| {
            key.unsigned_abs() > MAX_NATIVE_KEY || i64::try_from(*count).is_err()
        }) {
            return invalid("native bucket key or count out of range".into());
        }
        in_buckets = side
            .iter()
            .try_fold(in_buckets, |sum, (_, count)| {
                sum.map(|s| s.checked_add(*count))
            })
            .flatten();
    }
    match in_buckets {
        Some(sum) if sum <= native.count && total <= native.count => Ok(()),
        _ => invalid(format!(
            "native histogram count {} below its buckets' or the classic total",
            native.count
        )),
    }
}

/// The largest native bucket key magnitude accepted from a collector: far beyond any
/// finite `f64` at schema 8 (about ±2^18), and small enough that span offsets between
/// keys fit the protobuf's 32-bit fields.
const MAX_NATIVE_KEY: u32 = 1 << 30;
