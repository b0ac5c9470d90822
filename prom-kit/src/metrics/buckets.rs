//! [`Buckets`]: validated histogram bucket bounds.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};

/// The upper bounds of a histogram's finite buckets: finite, strictly ascending, at least
/// one. The `+Inf` bucket is implicit. Cheap to clone: every series of a family shares one
/// list.
///
/// ```
/// use prom_kit::{Buckets, ErrorKind};
///
/// assert_eq!(Buckets::linear(1.0, 2.0, 3)?.bounds(), &[1.0, 3.0, 5.0]);
/// assert_eq!(Buckets::exponential(1.0, 10.0, 3)?.bounds(), &[1.0, 10.0, 100.0]);
/// assert_eq!(Buckets::new([0.1, 0.5, f64::INFINITY])?.bounds(), &[0.1, 0.5]);
/// assert_eq!(Buckets::new([0.5, 0.1]).unwrap_err().kind(), ErrorKind::InvalidBuckets);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets(Bounds);

#[derive(Clone, Debug, PartialEq)]
enum Bounds {
    Static(&'static [f64]),
    Shared(Arc<[f64]>),
}

impl Buckets {
    /// Prometheus' default buckets, tuned for request latencies in seconds:
    /// 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10.
    pub const DEFAULT: Self = Self(Bounds::Static(&[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ]));

    /// Buckets from an explicit list of upper bounds. A trailing `+Inf` is accepted and
    /// dropped (it is always implied).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBuckets`] if the list is empty, not strictly ascending, or holds
    /// a NaN or infinite bound other than a trailing `+Inf`.
    pub fn new(bounds: impl Into<Vec<f64>>) -> Result<Self> {
        let mut bounds = bounds.into();
        if bounds.last() == Some(&f64::INFINITY) {
            bounds.pop();
        }
        Self::from_finite(bounds)
    }

    /// Validates bounds that must all be finite (generated ones: an overflow to `+Inf`
    /// is an error there, not an implicit bucket).
    fn from_finite(bounds: Vec<f64>) -> Result<Self> {
        if bounds.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                "no finite bucket bound",
            ));
        }
        if let Some(bad) = bounds.iter().find(|b| !b.is_finite()) {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                format!("bound {bad} is not finite"),
            ));
        }
        if let Some((before, after)) = bounds
            .windows(2)
            .map(|pair| (pair[0], pair[1]))
            .find(|(before, after)| before >= after)
        {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                format!("bounds must be strictly ascending, got {before} before {after}"),
            ));
        }
        Ok(Self(Bounds::Shared(bounds.into())))
    }

    /// `count` buckets starting at `start`, each `width` wider than the last.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBuckets`] if `count` is zero, `width` is not positive, or a
    /// bound is not finite.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self> {
        if count == 0 || width.is_nan() || width <= 0.0 {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                format!("linear buckets need count > 0 and width > 0, got {count} and {width}"),
            ));
        }
        Self::from_finite((0..count).map(|i| start + width * i as f64).collect())
    }

    /// `count` buckets starting at `start`, each `factor` times the last.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBuckets`] if `count` is zero, `start` is not positive,
    /// `factor` is not above 1, or a bound is not finite.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self> {
        if count == 0 || start.is_nan() || start <= 0.0 || factor.is_nan() || factor <= 1.0 {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                format!(
                    "exponential buckets need count > 0, start > 0 and factor > 1, \
                     got {count}, {start} and {factor}"
                ),
            ));
        }
        let mut bounds = Vec::with_capacity(count);
        let mut bound = start;
        for _ in 0..count {
            bounds.push(bound);
            bound *= factor;
        }
        Self::from_finite(bounds)
    }

    /// `count` exponentially spaced buckets from `min` to `max` inclusive.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBuckets`] if `count` is below 2 or not `0 < min < max`.
    pub fn exponential_range(min: f64, max: f64, count: usize) -> Result<Self> {
        if count < 2 || min.is_nan() || min <= 0.0 || max.is_nan() || max <= min {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                format!(
                    "exponential range needs count >= 2 and 0 < min < max, \
                     got {count}, {min} and {max}"
                ),
            ));
        }
        let factor = (max / min).powf(1.0 / (count - 1) as f64);
        Self::exponential(min, factor, count)
    }

    /// No finite bucket: only the implicit `+Inf` one (native-only histograms).
    pub(crate) const NONE: Self = Self(Bounds::Static(&[]));

    /// The finite upper bounds, ascending.
    pub fn bounds(&self) -> &[f64] {
        match &self.0 {
            Bounds::Static(bounds) => bounds,
            Bounds::Shared(bounds) => bounds,
        }
    }
}

impl Default for Buckets {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_invalid_lists() {
        let cases: [&[f64]; 7] = [
            &[],
            &[f64::INFINITY],
            &[1.0, 1.0],
            &[2.0, 1.0],
            &[f64::NAN],
            &[f64::NEG_INFINITY, 1.0],
            &[1.0, f64::INFINITY, 2.0],
        ];
        for bounds in cases {
            assert_eq!(
                Buckets::new(bounds).unwrap_err().kind(),
                ErrorKind::InvalidBuckets,
                "{bounds:?}"
            );
        }
    }

    #[test]
    fn rejects_invalid_generators() {
        for result in [
            Buckets::linear(0.0, 1.0, 0),
            Buckets::linear(0.0, 0.0, 3),
            Buckets::linear(0.0, f64::NAN, 3),
            Buckets::linear(f64::MAX, f64::MAX, 3),
            Buckets::exponential(0.0, 2.0, 3),
            Buckets::exponential(1.0, 1.0, 3),
            Buckets::exponential(1.0, 2.0, 0),
            Buckets::exponential(1.0, 1e300, 3),
            Buckets::exponential_range(1.0, 1.0, 3),
            Buckets::exponential_range(1.0, 10.0, 1),
        ] {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidBuckets);
        }
    }

    #[test]
    fn generators() {
        let range = Buckets::exponential_range(1.0, 1000.0, 4).unwrap();
        let expected = [1.0, 10.0, 100.0, 1000.0];
        for (got, want) in range.bounds().iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
        assert_eq!(Buckets::DEFAULT.bounds().len(), 11);
        assert_eq!(Buckets::default(), Buckets::DEFAULT);
    }
}
