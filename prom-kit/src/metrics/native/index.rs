//! Bucket keys of native histograms.

use std::sync::LazyLock;

/// The lowest and highest schemas Prometheus accepts.
pub(crate) const MIN_SCHEMA: i32 = -4;
pub(crate) const MAX_SCHEMA: i32 = 8;

/// The schema whose growth factor is the largest not above `factor`, clamped to
/// −4…8 (factor ≥ 2^16 → −4; factor ≤ 1 + 2^-9 or so → 8). `None` for factors ≤ 1 or NaN.
pub(crate) fn schema_for_factor(factor: f64) -> Option<i32> {
    if factor.is_nan() || factor <= 1.0 {
        return None;
    }
    // The largest n with 2^(2^-n) <= factor: n >= -log2(log2(factor)).
    let floor = factor.log2().log2().floor();
    #[expect(
        clippy::cast_possible_truncation,
        reason = "bucket positions, keys and exponents of finite doubles fit in i32"
    )]
    Some((-floor).clamp(f64::from(MIN_SCHEMA), f64::from(MAX_SCHEMA)) as i32)
}

/// For each schema 1…8, the fractions `2^(j/2^n) / 2` for `j` in `0..2^n`, each the
/// largest double not above the exact (irrational, for `j > 0`) value, so that a double
/// lands in the upper bucket exactly when it exceeds the true boundary.
static BOUNDS: LazyLock<Vec<Vec<f64>>> = LazyLock::new(|| {
    (0..=MAX_SCHEMA)
        .map(|schema| {
            if schema == 0 {
                return vec![0.5];
            }
            let n = 1u32 << schema;
            (0..n).map(|j| floor_root_of_two(j, n) / 2.0).collect()
        })
        .collect()
});

/// For each schema 1…8, where to start looking in [`BOUNDS`]: the fraction range
/// `[0.5, 1)` cut into `2^(schema+1)` cells of equal width by the top bits of the
/// mantissa, and for each cell the number of bounds below its start. A cell is narrower
/// than the narrowest bucket (`0.25/2^n` against `0.5·(2^(1/2^n) − 1) > 0.34/2^n`), so it
/// holds at most one bound, and one comparison finds a fraction's position: a table
/// lookup instead of a binary search whose every step waits for the one before.
///
/// Each schema's bounds are kept next to its cells, so that a lookup checks one lazy
/// static, not two.
static CELL_STARTS: LazyLock<Vec<(Vec<f64>, Vec<u16>)>> = LazyLock::new(|| {
    (0..=MAX_SCHEMA)
        .map(|schema| {
            let bounds = BOUNDS[usize::try_from(schema).unwrap_or(0)].clone();
            if schema == 0 {
                return (bounds, Vec::new());
            }
            let cells = 1u32 << (schema + 1);
            let starts = (0..cells)
                .map(|cell| {
                    // The cell's first fraction: 0.5 · (1 + cell / cells), exact.
                    let start = 0.5 * (1.0 + f64::from(cell) / f64::from(cells));
                    u16::try_from(bounds.partition_point(|bound| *bound < start))
                        .unwrap_or(u16::MAX)
                })
                .collect();
            (bounds, starts)
        })
        .collect()
});

/// The number of bounds of `schema` (1…8) below `fraction` (in `[0.5, 1)`): the
/// position of its bucket within the power of two.
#[inline]
fn position(schema: i32, fraction: f64) -> usize {
    let Some((bounds, starts)) = CELL_STARTS.get(usize::try_from(schema).unwrap_or(0)) else {
        return 0;
    };
    let shift = 52 - (schema + 1);
    let cell = usize::try_from((fraction.to_bits() & ((1 << 52) - 1)) >> shift).unwrap_or(0);
    let start = starts.get(cell).map_or(0, |&s| usize::from(s));
    // At most one bound lies between the cell's start and the fraction.
    start + usize::from(bounds.get(start).is_some_and(|bound| *bound < fraction))
}

/// The largest double `c` with `c^n <= 2^j` (`1 <= c < 2`, `j < n`, `n` a power of two).
fn floor_root_of_two(j: u32, n: u32) -> f64 {
    if j == 0 {
        return 1.0;
    }
    let target = f64::from(j); // compare c^n against 2^j through log-free powers
    let mut c = 2f64.powf(target / f64::from(n));
    let above = |c: f64| power_cmp(c, n, j) == std::cmp::Ordering::Greater;
    while above(c) {
        c = f64::from_bits(c.to_bits() - 1);
    }
    loop {
        let next = f64::from_bits(c.to_bits() + 1);
        if above(next) {
            return c;
        }
        c = next;
    }
}

/// Compares `c^n` with `2^j` in double-double arithmetic (~100 bits), which separates
/// a double from an irrational boundary.
fn power_cmp(c: f64, n: u32, j: u32) -> std::cmp::Ordering {
    let (mut high, mut low) = (c, 0.0);
    let mut power = 1;
    while power < n {
        (high, low) = square(high, low);
        power *= 2;
    }
    let target = 2f64.powi(i32::try_from(j).unwrap_or(i32::MAX));
    match high.partial_cmp(&target) {
        Some(std::cmp::Ordering::Equal) | None => {
            low.partial_cmp(&0.0).unwrap_or(std::cmp::Ordering::Equal)
        }
        Some(order) => order,
    }
}

/// `(high + low)^2` as a double-double.
fn square(high: f64, low: f64) -> (f64, f64) {
    let product = high * high;
    let error = high.mul_add(high, -product);
    let low = error + 2.0 * high * low;
    let sum = product + low;
    (sum, low - (sum - product))
}

/// `frexp`: `value = fraction * 2^exponent` with `fraction` in `[0.5, 1)`, for finite,
/// non-zero, positive values (subnormals included).
#[inline]
fn frexp(value: f64) -> (f64, i32) {
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        return frexp_subnormal(value);
    }
    let fraction = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (fraction, biased - 1022)
}

/// [`frexp`] of a subnormal: scaled into the normal range first.
#[cold]
fn frexp_subnormal(value: f64) -> (f64, i32) {
    let (fraction, exponent) = frexp(value * 2f64.powi(64));
    (fraction, exponent - 64)
}

/// The key of the bucket a non-NaN value with `|value| > zero threshold` lands in at
/// `schema`, as Prometheus defines it (±Inf count in the bucket past ±`f64::MAX`).
#[inline]
pub(crate) fn bucket_key(value: f64, schema: i32) -> i32 {
    let infinite = value.is_infinite();
    let magnitude = if infinite { f64::MAX } else { value.abs() };
    let (fraction, exponent) = frexp(magnitude);
    let key = if schema > 0 {
        let length = 1i32 << schema;
        #[expect(
            clippy::cast_possible_wrap,
            clippy::cast_possible_truncation,
            reason = "a position is at most 2^8"
        )]
        let position = position(schema, fraction) as i32;
        position + (exponent - 1) * length
    } else {
        let key = if fraction == 0.5 {
            exponent - 1
        } else {
            exponent
        };
        let shift = -schema;
        (key + (1 << shift) - 1) >> shift
    };
    if infinite { key + 1 } else { key }
}

/// The upper bound of bucket `key` at `schema` (the lower bound of `key + 1`); `+Inf`
/// past the largest double.
pub(crate) fn upper_bound(key: i32, schema: i32) -> f64 {
    if schema > 0 {
        let n = 1i32 << schema;
        let bounds = &BOUNDS[usize::try_from(schema).unwrap_or(0)];
        let (exponent, j) = (key.div_euclid(n), key.rem_euclid(n));
        // bounds[j] * 2 = 2^(j/n); bucket key covers up to 2^(key/n).
        bounds[usize::try_from(j).unwrap_or(0)] * 2.0 * 2f64.powi(exponent)
    } else {
        2f64.powi(key << -schema)
    }
}

#[cfg(test)]
mod tests;
