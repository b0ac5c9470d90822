//! `TraceParent::parse` takes time linear in its input at worst (the whitespace it
//! trims) and constant in what follows a later version's fields: 4× the input costs at
//! most ~5× the time (a quadratic reader costs 16×). Each size keeps its fastest of
//! several runs of many parses.
#![cfg(feature = "http")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use prom_kit::trace::TraceParent;

const HEADER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn fastest(value: &[u8]) -> Duration {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..50 {
                black_box(TraceParent::parse(black_box(value)));
            }
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn ratio(make: impl Fn(usize) -> Vec<u8>, n: usize) -> f64 {
    let small = fastest(&make(n));
    let large = fastest(&make(4 * n));
    large.as_secs_f64() / small.as_secs_f64().max(1e-9)
}

#[test]
fn parsing_is_linear_in_surrounding_whitespace() {
    let padded = |n: usize| {
        let mut value = vec![b' '; n];
        value.extend_from_slice(HEADER.as_bytes());
        value.extend(std::iter::repeat_n(b'\t', n));
        value
    };
    assert!(TraceParent::parse(&padded(10)).is_some());
    let ratio = ratio(padded, 64 * 1024);
    assert!(
        ratio < 5.0 * 1.2,
        "4x the whitespace took {ratio:.1}x the time"
    );
}

#[test]
fn a_later_versions_extra_fields_are_not_read() {
    let extended = |n: usize| {
        let mut value = HEADER.replacen("00", "cc", 1).into_bytes();
        value.push(b'-');
        value.extend(std::iter::repeat_n(b'x', n));
        value
    };
    assert!(TraceParent::parse(&extended(10)).is_some());
    let ratio = ratio(extended, 64 * 1024);
    assert!(
        ratio < 5.0 * 1.2,
        "4x the extra fields took {ratio:.1}x the time"
    );
}
