//! Number formatting as both text formats require it.

use crate::snapshot::Number;

/// Integral floats below this magnitude are printed as integers (no exponent, no
/// fraction); they are exactly representable, so nothing is lost.
const INTEGER_LIMIT: f64 = 1e15;

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
    } else {
        out.extend_from_slice(ryu::Buffer::new().format_finite(value).as_bytes());
    }
}

/// Appends a bucket bound for `le`: like [`write_float`], but OpenMetrics' canonical form
/// keeps `.0` on integral bounds (`1.0`), as Go's client writes them.
pub(crate) fn write_bound(out: &mut Vec<u8>, bound: f64, openmetrics: bool) {
    match as_integer(bound) {
        Some(integer) if openmetrics => {
            out.extend_from_slice(itoa::Buffer::new().format(integer).as_bytes());
            out.extend_from_slice(b".0");
        }
        _ => write_float(out, bound),
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

#[allow(clippy::cast_possible_truncation)]
fn as_integer(value: f64) -> Option<i64> {
    (value.fract() == 0.0 && value.abs() < INTEGER_LIMIT).then_some(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, v);
        String::from_utf8(out).unwrap()
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
    fn bounds() {
        assert_eq!(bound(1.0, false), "1");
        assert_eq!(bound(1.0, true), "1.0");
        assert_eq!(bound(0.005, true), "0.005");
        assert_eq!(bound(2.5, false), "2.5");
    }
}
