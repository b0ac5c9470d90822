//! Exposition encoders: the Prometheus text format 0.0.4, OpenMetrics 1.0 text, and
//! (feature `protobuf`) the delimited protobuf format.
//!
//! Encoding is pure formatting: the registry reads each series into a
//! [`Snapshot`](crate::snapshot::Snapshot) and a [`FamilyWriter`] appends its lines to a
//! reusable byte buffer, formatting numbers with `itoa` and `ryu`. Label text is rendered
//! once, when a series is created, and copied at every scrape.
//!
//! Specifications:
//! [text format 0.0.4](https://prometheus.io/docs/instrumenting/exposition_formats/),
//! [OpenMetrics 1.0](https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md).

mod exposition;
mod format_writer;
mod le;
mod negotiate;
mod number;
mod openmetrics;
#[cfg(feature = "protobuf")]
#[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
pub mod protobuf;
mod shown;
mod stream;
mod text;
mod text_lines;
mod validate;
mod writer;

pub use crate::name::EscapingScheme;
pub use negotiate::{Negotiated, negotiate};
pub use writer::FamilyWriter;

pub(crate) use exposition::{Exposition, PendingFamily};
pub(crate) use openmetrics::write_eof;
#[cfg(test)]
pub(crate) use stream::STREAM_LIMIT;
pub(crate) use stream::{Drain, STREAM_CHUNK, drain_past};

/// `Content-Type` of the Prometheus text format 0.0.4.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `Content-Type` of OpenMetrics 1.0.0 text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `Content-Type` of OpenMetrics text when a scraper asks for version 0.0.1 (the same
/// syntax as 1.0.0 for everything prom-kit writes).
pub const OPENMETRICS_0_0_1_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=0.0.1; charset=utf-8";

/// `Content-Type` of the delimited protobuf format.
#[cfg(feature = "protobuf")]
#[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// An exposition format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Text,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
    /// Delimited `io.prometheus.client.MetricFamily` protobuf messages.
    #[cfg(feature = "protobuf")]
    #[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
    Protobuf,
}

impl Format {
    /// The `Content-Type` to answer with for this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Text => TEXT_CONTENT_TYPE,
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            #[cfg(feature = "protobuf")]
            Self::Protobuf => PROTOBUF_CONTENT_TYPE,
        }
    }
}
