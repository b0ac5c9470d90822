//! Criterion benchmarks of prom-kit; see `benches/`. The library holds what several
//! benches share: the exposition the encoding benchmarks measure, with its floor
//! ([`exposition`]), the requests the middleware benchmarks send ([`requests`]), and the label sets `fastmetrics` needs, written as its documentation
//! shows (it has no label-set impls for tuples or arrays).

pub mod exposition;
pub mod interleaved;
pub mod requests;

use fastmetrics::encoder::{EncodeLabelSet, LabelSetEncoder};
use fastmetrics::raw::LabelSetSchema;

/// Two labels with static values (`method`, `status`), for `fastmetrics`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FastStatic {
    /// The `method` value.
    pub method: &'static str,
    /// The `status` value.
    pub status: &'static str,
}

impl LabelSetSchema for FastStatic {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["method", "status"])
    }
}

impl EncodeLabelSet for FastStatic {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
        encoder.encode(&("method", self.method))?;
        encoder.encode(&("status", self.status))
    }
}

/// Two labels with owned values (`method`, `status`), for `fastmetrics`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FastOwned {
    /// The `method` value.
    pub method: String,
    /// The `status` value.
    pub status: String,
}

impl LabelSetSchema for FastOwned {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["method", "status"])
    }
}

impl EncodeLabelSet for FastOwned {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
        encoder.encode(&("method", self.method.as_str()))?;
        encoder.encode(&("status", self.status.as_str()))
    }
}

/// A `method` and an integer `status`, for `fastmetrics`: the shape of a typed label set
/// with an integer field.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FastStatus {
    /// The `method` value.
    pub method: &'static str,
    /// The `status` value.
    pub status: u16,
}

impl LabelSetSchema for FastStatus {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["method", "status"])
    }
}

impl EncodeLabelSet for FastStatus {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
        encoder.encode(&("method", self.method))?;
        encoder.encode(&("status", self.status))
    }
}

/// A request's `method` and `path`, for `fastmetrics` (the encoding and memory workloads).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FastRequest {
    /// The `method` value.
    pub method: &'static str,
    /// The `path` value.
    pub path: String,
}

impl LabelSetSchema for FastRequest {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["method", "path"])
    }
}

impl EncodeLabelSet for FastRequest {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
        encoder.encode(&("method", self.method))?;
        encoder.encode(&("path", self.path.as_str()))
    }
}

/// A `path` label, for `fastmetrics`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FastPath {
    /// The `path` value.
    pub path: String,
}

impl LabelSetSchema for FastPath {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["path"])
    }
}

impl EncodeLabelSet for FastPath {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
        encoder.encode(&("path", self.path.as_str()))
    }
}
