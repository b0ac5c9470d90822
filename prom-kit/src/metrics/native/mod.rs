//! Native (sparse, exponential-bucket) histograms.
//!
//! A native histogram of schema `n` (−4…8) has buckets growing by the factor
//! `2^(2^-n)`; bucket `i` covers `(base^(i-1), base^i]`, negatives mirror the positives,
//! and values whose magnitude is at most the zero threshold go to the zero bucket.
//! [`NativeBuckets`] configures one; [`Histogram::native`](crate::Histogram::native) and
//! [`HistogramConfig`](crate::metrics::HistogramConfig) create one. Prometheus stores
//! them when scraping protobuf with native histograms enabled (2.x:
//! `--enable-feature=native-histograms`; 3.x: `scrape_native_histograms: true`).

mod counts;
pub(crate) mod index;
mod sparse;

pub(crate) use counts::NativeCounts;

use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// How a histogram keeps native buckets.
///
/// ```
/// use prom_kit::metrics::NativeBuckets;
///
/// // Buckets at most 10% wide (schema 3: each 9.05% wider than the last).
/// let native = NativeBuckets::new(1.1)?.max_buckets(100)?;
/// assert_eq!(native.schema(), 3);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NativeBuckets {
    pub(crate) schema: i32,
    pub(crate) zero_threshold: f64,
    pub(crate) max_buckets: usize,
    pub(crate) min_reset_duration: Duration,
    pub(crate) max_zero_threshold: f64,
}

impl NativeBuckets {
    /// The default zero threshold, 2^-128: small enough to matter nowhere, and non-zero
    /// so that Prometheus 2.x recognizes even an empty histogram as native.
    pub const DEFAULT_ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;

    /// The default bucket limit (positive and negative together).
    pub const DEFAULT_MAX_BUCKETS: usize = 160;

    /// Native buckets whose boundaries grow by at most `factor` (the schema is the
    /// finest of −4…8 whose growth does not exceed it).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBuckets`] if `factor` is not above 1.
    pub fn new(factor: f64) -> Result<Self> {
        let schema = index::schema_for_factor(factor).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidBuckets,
                format!("native bucket factor must be above 1, got {factor}"),
            )
        })?;
        Ok(Self {
            schema,
            zero_threshold: Self::DEFAULT_ZERO_THRESHOLD,
            max_buckets: Self::DEFAULT_MAX_BUCKETS,
            min_reset_duration: Duration::ZERO,
            max_zero_threshold: 0.0,
        })
    }

    /// Observations whose magnitude is at most `threshold` count in the zero bucket.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBuckets`] for a negative or non-finite threshold.
    pub fn zero_threshold(mut self, threshold: f64) -> Result<Self> {
        if !threshold.is_finite() || threshold < 0.0 {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                format!("zero threshold {threshold}"),
            ));
        }
        self.zero_threshold = threshold;
        Ok(self)
    }

    /// At most `limit` buckets (both signs together). Beyond it the histogram is reset
    /// (if [`min_reset_duration`](Self::min_reset_duration) has passed and it has no
    /// classic buckets), else its zero bucket widened (up to
    /// [`max_zero_threshold`](Self::max_zero_threshold)), else its resolution halved.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBuckets`] for 0 or more than 32 768.
    pub fn max_buckets(mut self, limit: usize) -> Result<Self> {
        if limit == 0 || limit > 32_768 {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                format!("max buckets {limit}"),
            ));
        }
        self.max_buckets = limit;
        Ok(self)
    }

    /// How long after a reset the histogram may be reset again to stay within the bucket
    /// limit (zero, the default: never reset).
    #[must_use]
    pub fn min_reset_duration(mut self, duration: Duration) -> Self {
        self.min_reset_duration = duration;
        self
    }

    /// How far the zero bucket may widen to stay within the bucket limit (0, the
    /// default: never widen).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBuckets`] for a negative or non-finite threshold.
    pub fn max_zero_threshold(mut self, threshold: f64) -> Result<Self> {
        if !threshold.is_finite() || threshold < 0.0 {
            return Err(Error::new(
                ErrorKind::InvalidBuckets,
                format!("max zero threshold {threshold}"),
            ));
        }
        self.max_zero_threshold = threshold;
        Ok(self)
    }

    /// The initial schema.
    pub fn schema(&self) -> i32 {
        self.schema
    }
}
