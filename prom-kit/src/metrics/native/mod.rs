//! Native (sparse, exponential-bucket) histogram arithmetic: schemas and bucket keys.
//!
//! A native histogram of schema `n` (−4…8) has buckets growing by the factor
//! `2^(2^-n)`; bucket `i` covers `(base^(i-1), base^i]`, negatives mirror the positives,
//! and values whose magnitude is at most the zero threshold go to the zero bucket. This
//! module computes keys without calling `log`: from the float's exponent and mantissa
//! and, for schema > 0, a precomputed table of boundaries.
//!
//! The storage, limits and exposition of native histograms build on it.

#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod index;
