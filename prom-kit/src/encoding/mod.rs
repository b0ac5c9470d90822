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
//!
//! ## Each metric type in each format
//!
//! One family of every type — counter, gauge, histogram, summary, info, state set, and
//! a collector's family of unknown type — in the text format 0.0.4 (`text.rs`): counters
//! are named by their `_total` sample, info metrics and state sets are gauges, the unknown
//! type is `untyped`, no `UNIT` lines, no exemplars:
//!
//! ```
//! use prom_kit::snapshot::{Number, Snapshot};
//! use prom_kit::{Buckets, Collector, CollectorOutput, Counter, Descriptor, Format, Gauge};
//! use prom_kit::{Histogram, Info, MetricType, Registry, StateSet, Summary};
//!
//! /// A collector's reading of unknown type.
//! struct Temperature;
//! impl Collector for Temperature {
//!     fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
//!         let reading = Descriptor::new("legacy_temperature", "A reading of unknown type.", MetricType::Unknown)?;
//!         out.family(&reading).series(&[] as &[&str], Snapshot::Unknown(Number::Float(21.5)))
//!     }
//! }
//!
//! let registry = Registry::new();
//! registry.set_openmetrics_created(false); // no `_created` samples, for a fixed output
//! let requests = Counter::new();
//! requests.inc_by(3);
//! registry.register("requests", "Requests served.", requests)?;
//! let depth = Gauge::new();
//! depth.set(-2.5);
//! registry.register("queue_depth", "Jobs waiting.", depth)?;
//! let latency = Histogram::new(Buckets::new([0.1, 1.0])?);
//! latency.observe(0.05);
//! latency.observe(0.5);
//! registry.register_with_unit("latency", "Time taken, \"end to end\".", "seconds", latency)?;
//! let sizes = Summary::new();
//! sizes.observe(10.0);
//! sizes.observe(30.0);
//! registry.register_with_unit("payload", "Payload sizes.", "bytes", sizes)?;
//! registry.register("build", "Build facts.", Info::new([("version", "1.2.0")])?)?;
//! let mode = StateSet::new(["idle", "busy"])?;
//! mode.set("busy")?;
//! registry.register("mode", "Worker mode.", mode)?;
//! registry.register_collector(Temperature);
//!
//! assert_eq!(registry.encode_text()?, "\
//! ## HELP build_info Build facts.
//! ## TYPE build_info gauge
//! build_info{version=\"1.2.0\"} 1
//! ## HELP latency_seconds Time taken, \"end to end\".
//! ## TYPE latency_seconds histogram
//! latency_seconds_bucket{le=\"0.1\"} 1
//! latency_seconds_bucket{le=\"1\"} 2
//! latency_seconds_bucket{le=\"+Inf\"} 2
//! latency_seconds_sum 0.55
//! latency_seconds_count 2
//! ## HELP legacy_temperature A reading of unknown type.
//! ## TYPE legacy_temperature untyped
//! legacy_temperature 21.5
//! ## HELP mode Worker mode.
//! ## TYPE mode gauge
//! mode{mode=\"idle\"} 0
//! mode{mode=\"busy\"} 1
//! ## HELP payload_bytes Payload sizes.
//! ## TYPE payload_bytes summary
//! payload_bytes_sum 40
//! payload_bytes_count 2
//! ## HELP queue_depth Jobs waiting.
//! ## TYPE queue_depth gauge
//! queue_depth -2.5
//! ## HELP requests_total Requests served.
//! ## TYPE requests_total counter
//! requests_total 3
//!");
//! # Ok::<(), prom_kit::Error>(())
//! ```
//!
//! The same registry in OpenMetrics 1.0 (`openmetrics.rs`): families are named without
//! their suffixes, `UNIT` lines, `info`, `stateset` and `unknown` types, `"` escaped in
//! `HELP`, bucket bounds as floats (`1.0`), and the `# EOF` terminator; counters carry
//! `_created` samples and exemplars unless turned off:
//!
//! ```
//! # use prom_kit::snapshot::{Number, Snapshot};
//! # use prom_kit::{Buckets, Collector, CollectorOutput, Counter, Descriptor, Format, Gauge};
//! # use prom_kit::{Histogram, Info, MetricType, Registry, StateSet, Summary};
//! #
//! # /// A collector's reading of unknown type.
//! # struct Temperature;
//! # impl Collector for Temperature {
//! #     fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
//! #         let reading = Descriptor::new("legacy_temperature", "A reading of unknown type.", MetricType::Unknown)?;
//! #         out.family(&reading).series(&[] as &[&str], Snapshot::Unknown(Number::Float(21.5)))
//! #     }
//! # }
//! #
//! # let registry = Registry::new();
//! # registry.set_openmetrics_created(false); // no `_created` samples, for a fixed output
//! # let requests = Counter::new();
//! # requests.inc_by(3);
//! # registry.register("requests", "Requests served.", requests)?;
//! # let depth = Gauge::new();
//! # depth.set(-2.5);
//! # registry.register("queue_depth", "Jobs waiting.", depth)?;
//! # let latency = Histogram::new(Buckets::new([0.1, 1.0])?);
//! # latency.observe(0.05);
//! # latency.observe(0.5);
//! # registry.register_with_unit("latency", "Time taken, \"end to end\".", "seconds", latency)?;
//! # let sizes = Summary::new();
//! # sizes.observe(10.0);
//! # sizes.observe(30.0);
//! # registry.register_with_unit("payload", "Payload sizes.", "bytes", sizes)?;
//! # registry.register("build", "Build facts.", Info::new([("version", "1.2.0")])?)?;
//! # let mode = StateSet::new(["idle", "busy"])?;
//! # mode.set("busy")?;
//! # registry.register("mode", "Worker mode.", mode)?;
//! # registry.register_collector(Temperature);
//! #
//! let text = String::from_utf8(registry.render(Format::OpenMetrics)?).unwrap();
//! assert_eq!(text, "\
//! ## HELP build Build facts.
//! ## TYPE build info
//! build_info{version=\"1.2.0\"} 1
//! ## HELP latency_seconds Time taken, \\\"end to end\\\".
//! ## TYPE latency_seconds histogram
//! ## UNIT latency_seconds seconds
//! latency_seconds_bucket{le=\"0.1\"} 1
//! latency_seconds_bucket{le=\"1.0\"} 2
//! latency_seconds_bucket{le=\"+Inf\"} 2
//! latency_seconds_sum 0.55
//! latency_seconds_count 2
//! ## HELP legacy_temperature A reading of unknown type.
//! ## TYPE legacy_temperature unknown
//! legacy_temperature 21.5
//! ## HELP mode Worker mode.
//! ## TYPE mode stateset
//! mode{mode=\"idle\"} 0
//! mode{mode=\"busy\"} 1
//! ## HELP payload_bytes Payload sizes.
//! ## TYPE payload_bytes summary
//! ## UNIT payload_bytes bytes
//! payload_bytes_sum 40
//! payload_bytes_count 2
//! ## HELP queue_depth Jobs waiting.
//! ## TYPE queue_depth gauge
//! queue_depth -2.5
//! ## HELP requests Requests served.
//! ## TYPE requests counter
//! requests_total 3
//! ## EOF
//!");
//! # Ok::<(), prom_kit::Error>(())
//! ```

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
