//! [`TraceParent`]: a request's trace context from its W3C `traceparent` header, read
//! strictly, for exemplars that link a request's metrics to its trace; and the sampler
//! that bounds how often a series takes such an exemplar.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::stopwatch::Stopwatch;

/// The trace context of a W3C Trace Context `traceparent` header
/// (<https://www.w3.org/TR/trace-context/#traceparent-header>): the trace id, the
/// caller's span id and the flags (bit 0: sampled).
///
/// [`parse`](Self::parse) accepts only what the recommendation allows: version `00` is
/// exactly `00-<32 hex>-<16 hex>-<2 hex>` in lower case; a later version (not `ff`) is
/// read by the same layout, and may go on after a `-`; an all-zero trace id or span id
/// is invalid. Anything else is no trace context — a caller ignores it, it is never an
/// error.
///
/// ```
/// use prom_kit::trace::TraceParent;
///
/// let parent = TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
/// assert!(parent.sampled());
/// assert_eq!(&parent.trace_id_hex(), b"4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(&parent.span_id_hex(), b"00f067aa0ba902b7");
///
/// // Upper-case hex, an all-zero id, trailing data on version 00, version ff: none.
/// for invalid in [
///     &b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"[..],
///     b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
///     b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
///     b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
/// ] {
///     assert_eq!(TraceParent::parse(invalid), None);
/// }
/// // A later version may carry more after the fields this one knows.
/// assert!(TraceParent::parse(b"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later").is_some());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
}

/// The length of a version `00` header: `vv-` 32 hex `-` 16 hex `-ff`.
const LENGTH: usize = 55;

impl TraceParent {
    /// Reads a `traceparent` header value; `None` unless it is valid (see the type's
    /// documentation). Leading and trailing spaces and tabs (optional whitespace around
    /// an HTTP field value) are ignored.
    pub fn parse(value: &[u8]) -> Option<Self> {
        let value = trim_whitespace(value);
        let head = value.get(..LENGTH)?;
        let version = hex_byte(head[0], head[1])?;
        if version == 0xff || head[2] != b'-' || head[35] != b'-' || head[52] != b'-' {
            return None;
        }
        // Version 00 is exactly this long; a later one may add fields after a `-`.
        match value.get(LENGTH) {
            None => {}
            Some(b'-') if version != 0 => {}
            Some(_) => return None,
        }
        let mut trace_id = [0; 16];
        hex_into(&head[3..35], &mut trace_id)?;
        let mut span_id = [0; 8];
        hex_into(&head[36..52], &mut span_id)?;
        let flags = hex_byte(head[53], head[54])?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(Self {
            trace_id,
            span_id,
            flags,
        })
    }

    /// A trace context from its parts (an OpenTelemetry span context, say); `None` if
    /// either id is all zeros.
    pub fn new(trace_id: [u8; 16], span_id: [u8; 8], sampled: bool) -> Option<Self> {
        (trace_id != [0; 16] && span_id != [0; 8]).then_some(Self {
            trace_id,
            span_id,
            flags: u8::from(sampled),
        })
    }

    /// Whether the caller sampled the trace (flag bit 0): only sampled traces are
    /// recorded by a tracing backend, so only they make useful exemplars.
    pub fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }

    /// The trace id.
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The caller's span id.
    pub fn span_id(&self) -> [u8; 8] {
        self.span_id
    }

    /// The trace id in lower-case hex, as tracing backends show it.
    pub fn trace_id_hex(&self) -> [u8; 32] {
        let mut out = [0; 32];
        write_hex(&self.trace_id, &mut out);
        out
    }

    /// The span id in lower-case hex.
    pub fn span_id_hex(&self) -> [u8; 16] {
        let mut out = [0; 16];
        write_hex(&self.span_id, &mut out);
        out
    }
}

/// The least time between two trace exemplars of one series (a route's, a gRPC
/// method's, a client's destination) unless a builder's `trace_exemplar_interval` says
/// otherwise: 100 ms, about the 90 ms Prometheus' Java client samples at. A scrape every
/// 15 s then still finds a fresh exemplar on every busy series, and a series serving
/// 10,000 requests a second takes one exemplar per 1,000 requests.
pub const DEFAULT_TRACE_EXEMPLAR_INTERVAL: std::time::Duration =
    std::time::Duration::from_millis(100);

/// What the trace exemplars' sampler measures time from.
static ORIGIN: LazyLock<quanta::Instant> = LazyLock::new(quanta::Instant::now);

/// The sampler's clock reading for a request or call that started at `start`:
/// milliseconds since [`ORIGIN`], plus one (zero means "never" in a [`TraceSampler`]).
/// No clock is read: the start was.
pub(crate) fn sampler_clock(start: Stopwatch) -> u64 {
    let since = start.started_since(*ORIGIN);
    since
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(since.subsec_millis()))
        .saturating_add(1)
}

/// One series' side of the trace exemplar sampler: when it last took a trace exemplar.
/// With an interval (`Some`, in milliseconds: trace exemplars are on), a series is
/// *due* once that long has passed; a request reads and parses its trace context only
/// then, and of the requests due at once one wins (a compare-and-swap) — so a hot
/// series pays for a trace exemplar once per interval, not per request.
#[derive(Debug, Default)]
pub(crate) struct TraceSampler {
    /// [`sampler_clock`] at the last trace exemplar; zero: never.
    last: AtomicU64,
}

impl TraceSampler {
    /// Whether the series is due a trace exemplar at `now` (read only with trace
    /// exemplars on: with them off, this is one branch).
    #[inline]
    pub(crate) fn due(&self, interval: Option<u64>, now: impl FnOnce() -> u64) -> bool {
        interval.is_some_and(|interval| {
            let last = self.last.load(Ordering::Relaxed);
            last == 0 || now().saturating_sub(last) >= interval
        })
    }

    /// Takes the series' turn at `now`, if it is still due.
    pub(crate) fn admit(&self, interval: Option<u64>, now: impl FnOnce() -> u64) -> bool {
        let Some(interval) = interval else {
            return false;
        };
        let (last, now) = (self.last.load(Ordering::Relaxed), now());
        (last == 0 || now.saturating_sub(last) >= interval)
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// The sampled trace of a request's `traceparent` header (read by `header`, only if the
/// request's series is `due` a trace exemplar); `None` otherwise.
pub(crate) fn header_trace<'h>(
    due: bool,
    header: impl FnOnce() -> Option<&'h [u8]>,
) -> Option<TraceParent> {
    if !due {
        return None;
    }
    header()
        .and_then(TraceParent::parse)
        .filter(TraceParent::sampled)
}

/// A trace's exemplar labels, `trace_id` and `span_id` in hex, written on the stack.
pub(crate) fn with_trace_labels<R>(trace: &TraceParent, f: impl FnOnce(&[(&str, &str)]) -> R) -> R {
    let (trace_id, span_id) = (trace.trace_id_hex(), trace.span_id_hex());
    f(&[
        (
            "trace_id",
            std::str::from_utf8(&trace_id).unwrap_or_default(),
        ),
        ("span_id", std::str::from_utf8(&span_id).unwrap_or_default()),
    ])
}

/// An interval as the sampler keeps it: whole milliseconds.
pub(crate) fn interval_ms(interval: std::time::Duration) -> u64 {
    u64::try_from(interval.as_millis()).unwrap_or(u64::MAX)
}

fn trim_whitespace(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// A lower-case hex digit's value.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn hex_byte(high: u8, low: u8) -> Option<u8> {
    Some((hex_digit(high)? << 4) | hex_digit(low)?)
}

/// Decodes `hex` (twice as long as `out`) into `out`.
fn hex_into(hex: &[u8], out: &mut [u8]) -> Option<()> {
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = hex_byte(pair[0], pair[1])?;
    }
    Some(())
}

fn write_hex(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (byte, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn reads_the_examples_of_the_recommendation() {
        let sampled = TraceParent::parse(VALID.as_bytes()).unwrap();
        assert!(sampled.sampled());
        assert_eq!(
            sampled.span_id(),
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        let unsampled =
            TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
        assert!(!unsampled.sampled());
        // Other flag bits are kept but do not make a trace sampled.
        let other =
            TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe").unwrap();
        assert!(!other.sampled());
        assert_eq!(
            TraceParent::parse(format!(" \t{VALID}\t ").as_bytes()),
            Some(sampled)
        );
    }

    #[test]
    fn refuses_every_malformed_field() {
        let mut invalid: Vec<String> = vec![
            String::new(),
            "00".into(),
            VALID[..54].into(),
            format!("{VALID}0"),
            format!("{VALID}-"),
            VALID.replace("00-4b", "0g-4b"),
            VALID.replacen('-', "_", 1),
            VALID.replace("-01", "-0x"),
            VALID.replace("4bf9", "4bF9"),
            VALID.replace("00f067aa0ba902b7", "0000000000000000"),
            VALID.replace(
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "00000000000000000000000000000000",
            ),
            "ff".to_owned() + &VALID[2..],
            format!("cc{}x", &VALID[2..]),
            format!("{}\u{e9}", &VALID[..54]),
        ];
        // Every byte of a valid header replaced by a byte the grammar does not allow there.
        for i in 0..LENGTH {
            let mut bytes = VALID.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'-' { b'0' } else { b'-' };
            invalid.push(String::from_utf8(bytes).unwrap());
        }
        for value in &invalid {
            assert_eq!(TraceParent::parse(value.as_bytes()), None, "{value:?}");
        }
    }

    #[test]
    fn hex_round_trips() {
        let parent = TraceParent::parse(VALID.as_bytes()).unwrap();
        let text = format!(
            "00-{}-{}-01",
            std::str::from_utf8(&parent.trace_id_hex()).unwrap(),
            std::str::from_utf8(&parent.span_id_hex()).unwrap()
        );
        assert_eq!(text, VALID);
        assert_eq!(
            TraceParent::new(parent.trace_id(), parent.span_id(), true),
            Some(parent)
        );
        assert_eq!(TraceParent::new([0; 16], parent.span_id(), true), None);
    }
}
