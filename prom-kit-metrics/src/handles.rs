//! The facade's handles: each wraps one prom-kit series, so an update through a handle
//! the caller keeps is the series' own atomic operation — no lookup, no lock.

use metrics::{CounterFn, GaugeFn, HistogramFn};

/// A facade counter: `increment` is the series' `inc_by`, `absolute` its `raise_to`.
#[derive(Debug)]
pub(crate) struct CounterHandle(pub(crate) prom_kit::Counter);

impl CounterFn for CounterHandle {
    #[inline]
    fn increment(&self, value: u64) {
        self.0.inc_by(value);
    }

    #[inline]
    fn absolute(&self, value: u64) {
        self.0.raise_to(value);
    }
}

/// A facade gauge.
#[derive(Debug)]
pub(crate) struct GaugeHandle(pub(crate) prom_kit::Gauge);

impl GaugeFn for GaugeHandle {
    #[inline]
    fn increment(&self, value: f64) {
        self.0.add(value);
    }

    #[inline]
    fn decrement(&self, value: f64) {
        self.0.sub(value);
    }

    #[inline]
    fn set(&self, value: f64) {
        self.0.set(value);
    }
}

/// A facade histogram: each recorded value is one observation.
#[derive(Debug)]
pub(crate) struct HistogramHandle(pub(crate) prom_kit::Histogram);

impl HistogramFn for HistogramHandle {
    #[inline]
    fn record(&self, value: f64) {
        self.0.observe(value);
    }
}
