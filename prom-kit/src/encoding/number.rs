//! Number formatting as both text formats require it.

use crate::snapshot::Number;

/// Integral floats below this magnitude (2^63) are printed as integers, without
/// exponent or fraction: each of them converts to `i64` exactly.
const INTEGER_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// Appends a sample value.
#[inline]
pub(crate) fn write_number(out: &mut Vec<u8>, value: Number) {
    match value {
        Number::Unsigned(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Number::Signed(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Number::Float(v) => write_float(out, v),
    }
}

/// Appends a float: `NaN`, `+Inf`, `-Inf`, integral values as integers, the rest in the
/// shortest form that parses back to the same value.
#[inline]
pub(crate) fn write_float(out: &mut Vec<u8>, value: f64) {
    if let Some(special) = special(value) {
        out.extend_from_slice(special.as_bytes());
    } else if let Some(integer) = as_integer(value) {
        out.extend_from_slice(itoa::Buffer::new().format(integer).as_bytes());
    } else if let Some(millis) = as_millis(value) {
        write_millis(out, millis);
    } else {
        out.extend_from_slice(ryu::Buffer::new().format_finite(value).as_bytes());
    }
}

/// Appends a bucket bound for `le` exactly as Go's client writes it, so that series
/// keep the same identity whichever client exposed them: Go's `%g` with the shortest
/// round-trip digits (`0.005`, `1`, `1e+06`), and in OpenMetrics a `.0` appended when that
/// has neither a point nor an exponent (`1.0`, its canonical form).
pub(crate) fn write_bound(out: &mut Vec<u8>, bound: f64, openmetrics: bool) {
    if let Some(special) = special(bound) {
        out.extend_from_slice(special.as_bytes());
        return;
    }
    let start = out.len();
    write_go_shortest(out, bound);
    if openmetrics && !out[start..].iter().any(|&b| b == b'.' || b == b'e') {
        out.extend_from_slice(b".0");
    }
}

/// Go's `strconv.FormatFloat(value, 'g', -1, 64)` for a finite value: exponent form when
/// the decimal exponent is below -4 or at least 6, with at least two exponent digits.
fn write_go_shortest(out: &mut Vec<u8>, value: f64) {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value);
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    // Collect the significant digits and where the decimal point falls among them.
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
    #[expect(
        clippy::cast_possible_wrap,
        clippy::cast_possible_truncation,
        reason = "the value was checked to be integral and within the target type's range"
    )]
    let mut point = whole.len() as i32 + exponent;
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading);
    #[expect(
        clippy::cast_possible_wrap,
        clippy::cast_possible_truncation,
        reason = "the value was checked to be integral and within the target type's range"
    )]
    {
        point -= leading as i32;
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        out.push(b'0');
        return;
    }
    if negative {
        out.push(b'-');
    }
    let exp = point - 1;
    if !(-4..6).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(itoa::Buffer::new().format(magnitude).as_bytes());
    } else if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
        out.extend_from_slice(&digits);
    } else {
        let point = point.unsigned_abs() as usize;
        if digits.len() <= point {
            out.extend_from_slice(&digits);
            out.extend(std::iter::repeat_n(b'0', point - digits.len()));
        } else {
            out.extend_from_slice(&digits[..point]);
            out.push(b'.');
            out.extend_from_slice(&digits[point..]);
        }
    }
}

fn special(value: f64) -> Option<&'static str> {
    if value.is_nan() {
        Some("NaN")
    } else if value == f64::INFINITY {
        Some("+Inf")
    } else if value == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "the value was checked to be integral and within the target type's range"
)]
fn as_integer(value: f64) -> Option<i64> {
    (value.fract() == 0.0 && value.abs() < INTEGER_LIMIT).then_some(value as i64)
}

/// Positive values below this with at most three decimals take the integer path of
/// [`write_millis`]: below it one float step is far smaller than a thousandth, so the
/// three-decimal text is the unique shortest one that reads back as the value.
const MILLIS_LIMIT: f64 = 1e12;

/// `value` in thousandths, if it is exactly the float nearest to a number with at most
/// three decimals (created timestamps, which prom-kit keeps to the millisecond).
#[inline]
fn as_millis(value: f64) -> Option<u64> {
    if !(value > 0.0 && value < MILLIS_LIMIT) {
        return None;
    }
    let millis = (value * 1000.0).round();
    // Both operands are exact, so the division rounds once: equal means `value` is the
    // float nearest to `millis / 1000`.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "the value was checked to be integral and within the target type's range"
    )]
    (millis / 1000.0 == value).then_some(millis as u64)
}

/// Appends `millis / 1000` in decimal without trailing zeros — the text ryu's shortest
/// form gives for such values, at the cost of two integer conversions.
fn write_millis(out: &mut Vec<u8>, millis: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(millis / 1000).as_bytes());
    let fraction = millis % 1000;
    if fraction != 0 {
        let digits = [
            b'0' + (fraction / 100) as u8,
            b'0' + (fraction / 10 % 10) as u8,
            b'0' + (fraction % 10) as u8,
        ];
        let used = if digits[2] != b'0' {
            3
        } else if digits[1] != b'0' {
            2
        } else {
            1
        };
        out.push(b'.');
        out.extend_from_slice(&digits[..used]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn millisecond_values_print_as_ryu_does() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut checked = 0;
        for _ in 0..20_000 {
            // Thousandths across the whole fast range, and near its edges.
            let millis = match next() % 3 {
                0 => next() % 1_000_000_000_000_000,
                1 => next() % 100_000,
                _ => 999_999_999_999_000 + next() % 1000,
            };
            let value = millis as f64 / 1000.0;
            let expected = if value.fract() == 0.0 {
                format!("{}", millis / 1000)
            } else {
                ryu::Buffer::new().format_finite(value).to_owned()
            };
            assert_eq!(float(value), expected, "{millis}");
            checked += usize::from(as_millis(value).is_some());
        }
        assert!(checked > 10_000, "{checked}");
        // Not millisecond values: ryu's text.
        assert_eq!(float(0.0005), "0.0005");
        assert_eq!(float(1_764_000_000.123_456_7), "1764000000.1234567");
        assert_eq!(float(2e12 + 0.5), "2000000000000.5");
        assert_eq!(float(-1.25), "-1.25");
        assert_eq!(float(1_764_000_000.12), "1764000000.12");
    }

    fn bound(v: f64, om: bool) -> String {
        let mut out = Vec::new();
        write_bound(&mut out, v, om);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats() {
        assert_eq!(float(0.0), "0");
        assert_eq!(float(-0.0), "0");
        assert_eq!(float(3.0), "3");
        assert_eq!(float(-42.0), "-42");
        assert_eq!(float(1e14), "100000000000000");
        assert_eq!(float(9_007_199_254_740_992.0), "9007199254740992");
        assert_eq!(float(-9e18), "-9000000000000000000");
        assert_eq!(float(1e20), "1e20");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(-2.5e-7), "-2.5e-7");
        assert_eq!(float(1_732_432_000.125), "1732432000.125");
        assert_eq!(float(f64::NAN), "NaN");
        assert_eq!(float(f64::INFINITY), "+Inf");
        assert_eq!(float(f64::NEG_INFINITY), "-Inf");
        for v in [0.1, 1e-300, f64::MAX, f64::MIN_POSITIVE, 123.456, 5e-324] {
            assert_eq!(float(v).parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn integers() {
        let mut out = Vec::new();
        write_number(&mut out, Number::Unsigned(u64::MAX));
        out.push(b' ');
        write_number(&mut out, Number::Signed(-5));
        assert_eq!(out, b"18446744073709551615 -5");
    }

    #[test]
    fn bounds_match_go() {
        // (value, Go's FormatFloat(v, 'g', -1, 64), Go's OpenMetrics form)
        let cases = [
            (1.0, "1", "1.0"),
            (0.0, "0", "0.0"),
            (0.005, "0.005", "0.005"),
            (2.5, "2.5", "2.5"),
            (-3.0, "-3", "-3.0"),
            (100_000.0, "100000", "100000.0"),
            (1e6, "1e+06", "1e+06"),
            (1_234_567.0, "1.234567e+06", "1.234567e+06"),
            (0.0001, "0.0001", "0.0001"),
            (0.00001, "1e-05", "1e-05"),
            (1.5e-7, "1.5e-07", "1.5e-07"),
            (1e21, "1e+21", "1e+21"),
            (1e100, "1e+100", "1e+100"),
            (123.456, "123.456", "123.456"),
            (f64::INFINITY, "+Inf", "+Inf"),
        ];
        for (value, text, openmetrics) in cases {
            assert_eq!(bound(value, false), text, "{value}");
            assert_eq!(bound(value, true), openmetrics, "{value}");
        }
    }
}
