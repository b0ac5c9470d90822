//! The native histogram bucket index against an exact reference: each observed value
//! lands in the bucket `k` with `2^((k-1)/2^s) < |v| <= 2^(k/2^s)` at schema `s`, decided
//! here with big-integer arithmetic (no floating-point rounding); ±Inf land one past
//! `f64::MAX`'s bucket, values within the zero threshold in the zero bucket, NaN nowhere.

#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use num_bigint::BigUint;
use prom_kit::Histogram;
use prom_kit::metrics::{Metric, NativeBuckets};
use prom_kit::snapshot::{Scratch, Snapshot};

#[derive(Debug, Arbitrary)]
struct Input {
    schema: u8,
    values: Vec<u64>,
}

/// `value = mantissa * 2^exponent` exactly, for finite positive values.
fn decompose(value: f64) -> (u64, i64) {
    let bits = value.to_bits();
    let biased = i64::try_from((bits >> 52) & 0x7ff).unwrap();
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    }
}

/// Whether `value <= 2^(key / 2^schema)`, exactly.
fn at_most_bound(value: f64, key: i64, schema: i32) -> bool {
    let (mantissa, exponent) = decompose(value);
    let mantissa = BigUint::from(mantissa);
    if schema >= 0 {
        // value^n <= 2^key  <=>  m^n * 2^(e*n) <= 2^key
        let n = 1u32 << schema;
        let lhs = mantissa.pow(n);
        let shift = exponent * i64::from(n) - key;
        compare_shifted(&lhs, shift)
    } else {
        // value <= 2^(key*d)  <=>  m * 2^e <= 2^(key*d)
        let d = 1i64 << -schema;
        compare_shifted(&mantissa, exponent - key * d)
    }
}

/// Whether `lhs * 2^shift <= 1`.
fn compare_shifted(lhs: &BigUint, shift: i64) -> bool {
    let one = BigUint::from(1u8);
    if shift >= 0 {
        (lhs << usize::try_from(shift).unwrap()) <= one
    } else {
        *lhs <= (one << usize::try_from(-shift).unwrap())
    }
}

/// The exact bucket key of a finite positive value.
fn reference_key(value: f64, schema: i32) -> i32 {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a first guess only: the loop below corrects it exactly"
    )]
    let mut key = (value.log2() * 2f64.powi(schema)).ceil() as i64;
    while !at_most_bound(value, key, schema) {
        key += 1;
    }
    while at_most_bound(value, key - 1, schema) {
        key -= 1;
    }
    i32::try_from(key).unwrap()
}

fuzz_target!(|input: Input| {
    let schema = i32::from(input.schema % 13) - 4;
    // The factor of that schema, nudged up so the schema chosen for it is this one.
    let factor = 2f64.powf(2f64.powi(-schema)) * (1.0 + 1e-12);
    let Ok(native) = NativeBuckets::new(factor) else {
        return;
    };
    let histogram = Histogram::native(native);
    let values: Vec<f64> = input
        .values
        .iter()
        .take(16)
        .map(|b| f64::from_bits(*b))
        .collect();
    for value in &values {
        histogram.observe(*value);
    }
    let mut scratch = Scratch::default();
    let Snapshot::Histogram(snapshot) = histogram.snapshot(&mut scratch) else {
        panic!("a histogram snapshot");
    };
    let native = snapshot.native.expect("native buckets");
    assert_eq!(native.count, values.len() as u64);
    let schema = native.schema;
    let (mut positive, mut negative) = (BTreeMap::new(), BTreeMap::new());
    let mut zero = 0;
    for value in values.iter().filter(|v| !v.is_nan()) {
        if value.abs() <= native.zero_threshold {
            zero += 1;
            continue;
        }
        let key = if value.is_infinite() {
            reference_key(f64::MAX, schema) + 1
        } else {
            reference_key(value.abs(), schema)
        };
        let side = if *value > 0.0 {
            &mut positive
        } else {
            &mut negative
        };
        *side.entry(key).or_insert(0u64) += 1;
    }
    assert_eq!(native.zero_count, zero);
    assert_eq!(
        native.positive.iter().copied().collect::<BTreeMap<_, _>>(),
        positive,
        "schema {schema}, {values:?}"
    );
    assert_eq!(
        native.negative.iter().copied().collect::<BTreeMap<_, _>>(),
        negative,
        "schema {schema}, {values:?}"
    );
});
