//! [`parse_grpc_timeout`]: the `grpc-timeout` request header.

use std::time::Duration;

/// Reads a `grpc-timeout` header value as the gRPC protocol defines it: 1 to 8 ASCII
/// digits followed by one unit — `H` hours, `M` minutes, `S` seconds, `m`
/// milliseconds, `u` microseconds, `n` nanoseconds. Anything else (a sign, whitespace,
/// a ninth digit, another unit, a missing one) is `None`: the call has no deadline the
/// metrics could rely on.
///
/// ```
/// use std::time::Duration;
/// use prom_kit::adapter::parse_grpc_timeout;
///
/// assert_eq!(parse_grpc_timeout(b"250m"), Some(Duration::from_millis(250)));
/// assert_eq!(parse_grpc_timeout(b"99999999H"), Some(Duration::from_secs(99_999_999 * 3600)));
/// for odd in [&b""[..], b"m", b"5", b"5s", b" 5S", b"-5S", b"123456789S", b"5 S", b"5SS"] {
///     assert_eq!(parse_grpc_timeout(odd), None, "{odd:?}");
/// }
/// ```
pub fn parse_grpc_timeout(value: &[u8]) -> Option<Duration> {
    let (&unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let amount = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    // At most 99 999 999 hours: about 3.6e11 seconds, far inside a Duration.
    Some(match unit {
        b'H' => Duration::from_secs(amount * 3600),
        b'M' => Duration::from_secs(amount * 60),
        b'S' => Duration::from_secs(amount),
        b'm' => Duration::from_millis(amount),
        b'u' => Duration::from_micros(amount),
        b'n' => Duration::from_nanos(amount),
        _ => return None,
    })
}
