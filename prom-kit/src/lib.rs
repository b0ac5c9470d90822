//! # prom-kit
//!
//! Fast, lock-free instrumentation for Prometheus: counters, gauges, histograms,
//! summaries, info and state set metrics, labelled families, a registry, and encoders for
//! the Prometheus text format 0.0.4 and OpenMetrics 1.0 (and protobuf, feature
//! `protobuf`).
//!
//! Declare the labels and the metrics as types (feature `derive`), register them in one
//! step, and serve what the registry renders:
//!
#![cfg_attr(feature = "derive", doc = "```")]
#![cfg_attr(not(feature = "derive"), doc = "```ignore")]
//! use prom_kit::{Counter, Histogram, LabelSet, LabelValue, Metrics, Registry, TypedFamily};
//!
//! #[derive(Clone, Copy, LabelValue)]
//! #[label(rename_all = "UPPERCASE")]
//! enum Method { Get, Post }
//!
//! /// The labels of a request: their names come from the type.
//! #[derive(LabelSet)]
//! struct Request { method: Method, status: u16 }
//!
//! #[derive(Metrics)]
//! struct HttpMetrics {
//!     /// HTTP requests served.
//!     http_requests: TypedFamily<Request, Counter>,
//!     /// Request latency.
//!     #[metric(unit = "seconds", buckets = [0.05, 0.5])]
//!     http_request_duration: Histogram,
//! }
//!
//! let registry = Registry::new();
//! let metrics = HttpMetrics::register(&registry)?; // every field, all or nothing
//! // Typed labels: no `Result`, no way to pass the wrong number of values.
//! metrics.http_requests.with(&Request { method: Method::Get, status: 200 }, Counter::inc);
//! metrics.http_request_duration.observe(0.042);
//!
//! // At /metrics: `registry.render(format)` in the format `encoding::negotiate` picks.
//! assert_eq!(registry.encode_text()?, "\
//! ## HELP http_request_duration_seconds Request latency.
//! ## TYPE http_request_duration_seconds histogram
//! http_request_duration_seconds_bucket{le=\"0.05\"} 1
//! http_request_duration_seconds_bucket{le=\"0.5\"} 1
//! http_request_duration_seconds_bucket{le=\"+Inf\"} 1
//! http_request_duration_seconds_sum 0.042
//! http_request_duration_seconds_count 1
//! ## HELP http_requests_total HTTP requests served.
//! ## TYPE http_requests_total counter
//! http_requests_total{method=\"GET\",status=\"200\"} 1
//! ");
//! # Ok::<(), prom_kit::Error>(())
//! ```
//!
//! Without the derives, the same is written by hand: label values as strings, checked at
//! run time, and each metric registered by name.
//!
//! ```
//! use prom_kit::{Counter, Family, Registry};
//!
//! let registry = Registry::new();
//! let requests: Family<Counter> = Family::new(["method", "status"])?;
//! registry.register("http_requests", "HTTP requests served.", requests.clone())?;
//! requests.labels(&["GET", "200"])?.inc();
//! assert_eq!(registry.encode_text()?, "\
//! ## HELP http_requests_total HTTP requests served.
//! ## TYPE http_requests_total counter
//! http_requests_total{method=\"GET\",status=\"200\"} 1
//! ");
//! # Ok::<(), prom_kit::Error>(())
//! ```
//!
//! ## Design
//!
//! - **Metrics** ([`Counter`], [`StripedCounter`], [`Gauge`], [`Histogram`], [`Summary`],
//!   [`StateSet`], [`Info`], [`CounterFn`], [`GaugeFn`]) are cheap cloneable handles; every update is
//!   a handful of relaxed atomic operations: no lock, no allocation. Histograms can keep
//!   classic and/or native buckets ([`metrics::NativeBuckets`]); counters and histogram
//!   buckets can carry exemplars.
//! - **Families** map label values to child metrics without allocating on a hit, and
//!   can cap their cardinality. [`Family::with`] and [`Family::with_static`] (for
//!   `&'static str` values, or values made so by [`labels::intern`]) go through a
//!   per-thread lookup cache: no lock and no reference count on a repeated lookup. Which
//!   to choose (details and measurements in [`family`]):
//!
//!   | family | a lookup | memory per series | choose it when |
//!   |--------|----------|-------------------|----------------|
//!   | [`TypedFamily`] | typed, no `Result`; dense or hashed as its label set allows | as its store | label names known in code: the default |
//!   | [`Family`] | strings at run time: a per-thread cache, else a hash and a read lock | about 100 B | label names from configuration |
//!   | [`DenseFamily`] | a tuple of enums: index arithmetic, no lock | a slot per combination, made at once | every label a closed set, no struct wanted |
//!   | [`CompactFamily`] | a hash and two read locks at every update, no handles | 41 B when values repeat across series, 83 B when each series has a value of its own | hundreds of thousands of series |
//! - **Contention**: [`StripedCounter`] and striped histograms
//!   ([`metrics::HistogramConfig::striped`]) give each group of threads its own cache
//!   line, for the few hot series many cores update at once.
//! - **The registry** ([`Registry`]) validates names, rejects clashes with typed
//!   [`Error`]s, and encodes in the [`Format`] chosen by [`encoding::negotiate`] from a
//!   scraper's `Accept` header: to bytes with [`Registry::render`], into your buffer with
//!   [`Registry::encode`] (either with [`EncodeOptions`] for escaping, a `name[]` filter
//!   or async collectors' values), as a `String` in tests with [`Registry::encode_text`].
//! - **Collectors** ([`Collector`]) produce whole families at scrape time.
//!
//! ## Architecture
//!
//! Modules in layers; a module imports only from its own layer and the layers below (the
//! test `tests/layering.rs` reads this table and the code's `crate::` paths and fails on
//! an import from a lower layer to a higher one). An observation goes down into
//! `metrics` and stops; a scrape goes registry → snapshot → encoding → scrape → adapter.
//!
//! | layer | modules | what they hold |
//! |-------|---------|----------------|
//! | 1 | `error`, `time`, `clock`, `stopwatch`, `sync`, `atomic`, `name`, `gzip`, `trace` | errors, clocks and the request timers' stopwatch, atomics, name rules, compression, W3C trace context and the trace exemplars' sampler |
//! | 2 | `labels` | label values, rendering and matching label text |
//! | 3 | `snapshot` | what a scrape reads: plain values, exemplars included |
//! | 4 | `metrics`, `family` | storage: each metric produces its snapshot |
//! | 5 | `descriptor` | a family's validated name, help, unit, type and labels |
//! | 6 | `encoding` | text, OpenMetrics, protobuf and negotiation: snapshots in, bytes out |
//! | 7 | `registry` | the families and collectors one endpoint exposes |
//! | 8 | `collectors`, `scrape`, `instrument` | standard collectors; serving scrapes; what the bundled metric sets share (naming scheme, scope, hook runner) |
//! | 9 | `http`, `http_client`, `grpc` | the bundled metric sets: HTTP server requests, HTTP client requests, gRPC calls |
//! | 10 | `adapter`, `push`, `testing` | the adapter authors' API; the Pushgateway client; test helpers and lint |
//! | 11 | `server` | the standalone exporter server |
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---------|---------|--------------|
//! | `process` | yes | [`collectors::ProcessCollector`]: `process_*` metrics from `/proc` (reports nothing off Linux) |
//! | `scrape` | no | [`scrape`]: the framework-neutral scrape handler: negotiation, gzip, `name[]`, a concurrent-scrape limit (pulls `flate2`, `http`, `http-body`; implies `async`) |
//! | `http` | no | [`http`]: the HTTP server request metrics the framework middlewares record |
//! | `http-client` | no | [`http_client`]: outgoing HTTP request metrics, and a tower layer recording them around any tower HTTP client (pulls `tower-layer`, `tower-service`, `http`) |
//! | `grpc` | no | [`grpc`]: the gRPC call metrics the gRPC adapters record |
//! | `async` | no | async collectors ([`registry::AsyncCollector`]) run within a scrape's deadline, and `cache_for` on them (pulls `tokio`, `futures-util`) |
//! | `push` | no | [`push`]: the Pushgateway client, async and blocking (pulls `hyper`, `tokio`) |
//! | `protobuf` | no | the delimited protobuf exposition ([`encoding::protobuf`]), chosen by negotiation and usable for pushes; needed for native histograms to reach Prometheus (pulls `prost`) |
//! | `push-tls` | no | `https://` gateways for [`push`], with rustls and the system's root certificates |
//! | `server` | no | [`server`]: a standalone exporter server (pulls `hyper`, `tokio`; implies `scrape`) |
//! | `derive` | no | `#[derive(LabelSet)]` on a struct of label values, `#[derive(LabelValue)]` on an enum (the `prom-kit-derive` crate) |
//! | `testing` | no | [`testing`]: a strict exposition parser, `sample_value`, `series_count`, `assert_exposition`, promlint's rules |
//! | `tokio` | no | [`collectors::TokioCollector`]: `tokio_*` runtime metrics |
//!
//! Without features beyond the default, prom-kit depends on `foldhash`, `hashbrown`,
//! `itoa`, `ryu`, `parking_lot`, `triomphe` and `quanta` (the time-stamp-counter clock the
//! request timers read) only.
//!
//! ## Stability
//!
//! Pre-1.0: minor versions may change the API. Enums that will grow are
//! `#[non_exhaustive]`; extension points that must stay closed are sealed.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// The calling crate's build facts as an [`Info`] metric, to register in one line:
/// `version` from its `Cargo.toml`, `revision` from the `GIT_REVISION` environment
/// variable at compile time (or `unknown`; pass `revision = "…"` to name it otherwise),
/// and the Rust compiler and target (see [`Info::build_info`]).
///
/// ```
/// use prom_kit::Registry;
///
/// let registry = Registry::new().with_prefix("shop")?;
/// registry.register("build", "Build facts.", prom_kit::build_info!())?;
/// registry.register("build_pinned", "Build facts.", prom_kit::build_info!(revision = "9f2c1e0"))?;
/// let text = registry.encode_text()?;
/// // The revision, the compiler's version and the target differ between builds.
/// assert!(text.contains(&format!("shop_build_info{{version=\"{}\",revision=\"", env!("CARGO_PKG_VERSION"))));
/// assert!(text.contains("shop_build_pinned_info{version=\""));
/// assert!(text.contains(",revision=\"9f2c1e0\",rustc_version=\""));
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[macro_export]
macro_rules! build_info {
    () => {
        $crate::Info::build_info(
            env!("CARGO_PKG_VERSION"),
            match option_env!("GIT_REVISION") {
                Some(revision) => revision,
                None => "unknown",
            },
        )
    };
    (revision = $revision:expr) => {
        $crate::Info::build_info(env!("CARGO_PKG_VERSION"), $revision)
    };
}

#[cfg(any(feature = "scrape", feature = "http", feature = "grpc"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "scrape", feature = "http", feature = "grpc")))
)]
pub mod adapter;
mod atomic;
pub mod clock;
#[cfg(any(feature = "process", feature = "tokio"))]
pub mod collectors;
mod descriptor;
pub mod encoding;
mod error;
pub mod family;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub mod grpc;
#[cfg(any(feature = "scrape", feature = "push"))]
mod gzip;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
#[cfg(feature = "http-client")]
#[cfg_attr(docsrs, doc(cfg(feature = "http-client")))]
pub mod http_client;
#[cfg(any(feature = "http", feature = "http-client", feature = "grpc"))]
mod instrument;
pub mod labels;
pub mod metrics;
mod name;
#[cfg(feature = "push")]
#[cfg_attr(docsrs, doc(cfg(feature = "push")))]
pub mod push;
pub mod registry;
#[cfg(feature = "scrape")]
#[cfg_attr(docsrs, doc(cfg(feature = "scrape")))]
pub mod scrape;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
pub mod snapshot;
mod stopwatch;
mod sync;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod time;
#[cfg(any(feature = "http", feature = "http-client", feature = "grpc"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "http", feature = "http-client", feature = "grpc")))
)]
pub mod trace;

#[doc(inline)]
pub use descriptor::Descriptor;
#[doc(inline)]
pub use encoding::Format;
#[doc(inline)]
pub use error::{Error, ErrorKind, Result};
#[doc(inline)]
pub use family::{CompactFamily, DenseFamily, Family, TypedFamily};
#[doc(inline)]
pub use labels::{LabelSet, LabelValue};
#[doc(inline)]
pub use metrics::{
    Buckets, Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramConfig, Info, MetricType,
    StateSet, StripedCounter, Summary,
};
#[doc(inline)]
pub use name::NameValidation;
#[doc(inline)]
pub use registry::encode::EncodeOptions;
#[doc(inline)]
pub use registry::{Collector, CollectorOutput, Registry, default_registry};

/// `#[derive(LabelSet)]`: a struct of label values as a typed label set
/// ([`labels::LabelSet`]), one label per field, for a [`TypedFamily`].
///
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
#[doc(inline)]
pub use prom_kit_derive::LabelSet;
/// `#[derive(LabelValue)]`: an enum of unit variants as a label with a closed set of
/// values ([`labels::LabelValue`] and [`labels::FixedLabel`]).
///
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
#[doc(inline)]
pub use prom_kit_derive::LabelValue;
/// `#[derive(Metrics)]`: a struct of metrics made and registered in one step, each
/// field's doc comment its HELP ([`registry::MetricField`]).
///
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
#[doc(inline)]
pub use prom_kit_derive::Metrics;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
