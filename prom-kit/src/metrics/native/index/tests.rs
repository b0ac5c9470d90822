// Integer and float conversions here are deliberate: exact big-integer arithmetic and
// bit-level float stepping.
#![expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "exact big-integer arithmetic and bit-level float stepping convert deliberately"
)]

use super::*;

fn next_up(x: f64) -> f64 {
    if x >= 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

#[test]
fn schemas_from_growth_factors() {
    assert_eq!(schema_for_factor(1.1), Some(3)); // 2^(1/8) = 1.0905 <= 1.1 < 2^(1/4)
    assert_eq!(schema_for_factor(2.0), Some(0));
    assert_eq!(schema_for_factor(4.0), Some(-1));
    assert_eq!(schema_for_factor(1.000_01), Some(8));
    assert_eq!(schema_for_factor(65_536.0), Some(-4));
    assert_eq!(schema_for_factor(1e300), Some(-4));
    for bad in [1.0, 0.5, -2.0, f64::NAN] {
        assert_eq!(schema_for_factor(bad), None);
    }
}

/// Bit length of a little-endian big integer.
fn bit_length(limbs: &[u64]) -> u32 {
    limbs.iter().rposition(|&l| l != 0).map_or(0, |i| {
        u32::try_from(i).unwrap() * 64 + (64 - limbs[i].leading_zeros())
    })
}

fn multiply(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &y) in b.iter().enumerate() {
            let t = u128::from(out[i + j]) + u128::from(x) * u128::from(y) + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        out[i + b.len()] = carry as u64;
    }
    out
}

/// Exactly, with integers: is `c^n` below `2^j`, for `c` in `[1, 2)`?
fn power_below_power_of_two(c: f64, n: u32, j: u32) -> bool {
    let mantissa = (c.to_bits() & ((1 << 52) - 1)) | (1 << 52); // c = mantissa * 2^-52
    let mut power = vec![1u64];
    for _ in 0..n {
        power = multiply(&power, &[mantissa]);
    }
    // c^n < 2^j  <=>  mantissa^n < 2^(j + 52 n)
    bit_length(&power) <= j + 52 * n
}

#[test]
fn boundary_tables_hold_the_largest_double_below_each_exact_boundary() {
    // Checked with exact integer arithmetic, independently of the table's own method.
    for schema in 1..=5 {
        let n = 1u32 << schema;
        for j in 1..n {
            let c = BOUNDS[schema as usize][j as usize] * 2.0;
            assert!(
                power_below_power_of_two(c, n, j),
                "schema {schema} j {j}: {c} is above 2^({j}/{n})"
            );
            assert!(
                !power_below_power_of_two(next_up(c), n, j),
                "schema {schema} j {j}: {c} is not the largest double below 2^({j}/{n})"
            );
        }
    }
    // And for every schema, within an ulp of the libm value.
    for schema in 1..=MAX_SCHEMA {
        let n = 1u32 << schema;
        for (j, bound) in BOUNDS[schema as usize].iter().enumerate() {
            let reference = 2f64.powf(j as f64 / f64::from(n)) / 2.0;
            let ulps = (bound.to_bits() as i64 - reference.to_bits() as i64).abs();
            assert!(ulps <= 1, "schema {schema} j {j}: {bound} vs {reference}");
        }
    }
    // sqrt(2)/2 = 0.70710678118654752..., whose largest double below is ...475.
    assert_eq!(BOUNDS[1][1], 0.707_106_781_186_547_5);
}

#[test]
fn exact_boundaries_belong_to_the_lower_bucket() {
    for schema in MIN_SCHEMA..=MAX_SCHEMA {
        for key in -300..300 {
            let bound = upper_bound(key, schema);
            if !bound.is_finite() || bound == 0.0 {
                continue;
            }
            assert_eq!(
                bucket_key(bound, schema),
                key,
                "schema {schema}: {bound} (upper bound of {key})"
            );
            assert_eq!(
                bucket_key(next_up(bound), schema),
                key + 1,
                "schema {schema}: just above {bound}"
            );
            assert_eq!(
                bucket_key(-bound, schema),
                key,
                "negatives mirror the positives"
            );
        }
    }
}

#[test]
fn keys_match_logarithms_away_from_boundaries() {
    // Independent: key = ceil(log2(|v|) * 2^schema), wherever that is not within
    // rounding distance of an integer.
    let mut value = 1.234e-200f64;
    while value < 1e200 {
        for schema in MIN_SCHEMA..=MAX_SCHEMA {
            let scaled = value.log2() * 2f64.powi(schema);
            if (scaled - scaled.round()).abs() < 1e-6 {
                continue;
            }
            let expected = scaled.ceil() as i32;
            assert_eq!(
                bucket_key(value, schema),
                expected,
                "{value} at schema {schema}"
            );
            assert_eq!(bucket_key(-value, schema), expected);
        }
        value *= 1.37;
    }
}

#[test]
fn special_values() {
    for schema in MIN_SCHEMA..=MAX_SCHEMA {
        let max_key = bucket_key(f64::MAX, schema);
        assert_eq!(bucket_key(f64::INFINITY, schema), max_key + 1);
        assert_eq!(bucket_key(f64::NEG_INFINITY, schema), max_key + 1);
        assert_eq!(
            bucket_key(1.0, schema),
            0,
            "1 is the upper bound of bucket 0"
        );
        // 2^-1022 is a boundary of every schema: key = -1022 * 2^schema, rounded up.
        let expected = if schema >= 0 {
            -1022 << schema
        } else {
            -(1022 >> -schema)
        };
        assert_eq!(
            bucket_key(f64::MIN_POSITIVE, schema),
            expected,
            "schema {schema}"
        );
    }
    // Subnormals: 2^-1074 sits exactly on a boundary of schema 0.
    assert_eq!(bucket_key(5e-324, 0), -1074);
    assert_eq!(bucket_key(5e-324, 3), -1074 * 8);
    assert_eq!(bucket_key(1.5e-323, 0), -1072); // 3 * 2^-1074 in (2^-1073, 2^-1072]
    assert_eq!(frexp(5e-324), (0.5, -1073));
}

/// The cell table gives every fraction the position a binary search over the bounds
/// gives: at every bound, the doubles next to it, and a spread of others, at every
/// schema.
#[test]
fn cell_lookup_matches_a_binary_search() {
    for schema in 1..=MAX_SCHEMA {
        let bounds = &BOUNDS[schema as usize];
        let search = |fraction: f64| bounds.partition_point(|bound| *bound < fraction);
        let mut fractions: Vec<f64> = Vec::new();
        for &bound in bounds {
            for step in -3i64..=3 {
                let near = f64::from_bits(bound.to_bits().wrapping_add_signed(step));
                if (0.5..1.0).contains(&near) {
                    fractions.push(near);
                }
            }
        }
        // Cell starts and the doubles around them.
        let cells = 1u32 << (schema + 1);
        for cell in 0..cells {
            let start = 0.5 * (1.0 + f64::from(cell) / f64::from(cells));
            for step in -2i64..=2 {
                let near = f64::from_bits(start.to_bits().wrapping_add_signed(step));
                if (0.5..1.0).contains(&near) {
                    fractions.push(near);
                }
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            fractions.push(f64::from_bits((state >> 12) | (1022 << 52)));
        }
        fractions.push(f64::from_bits(1.0f64.to_bits() - 1));
        for fraction in fractions {
            assert_eq!(
                position(schema, fraction),
                search(fraction),
                "schema {schema}, fraction {fraction:e}"
            );
        }
    }
}
