//! # prom-kit
//!
//! Fast, lock-free instrumentation for Prometheus: counters, gauges, histograms,
//! summaries, info and state set metrics, labelled families, a registry, and encoders for
//! the Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! ```
//! use prom_kit::{Buckets, Counter, Family, Histogram, Registry};
//!
//! let registry = Registry::new();
//!
//! let requests: Family<Counter> = Family::new(["method", "status"])?;
//! registry.register("http_requests", "HTTP requests served.", requests.clone())?;
//!
//! let latency = Histogram::new(Buckets::DEFAULT);
//! registry.register_with_unit("http_request_duration", "Request latency.", "seconds", latency.clone())?;
//!
//! requests.labels(&["GET", "200"])?.inc();
//! latency.observe(0.042);
//!
//! let text = registry.encode_text()?;
//! assert!(text.contains("http_requests_total{method=\"GET\",status=\"200\"} 1\n"));
//! assert!(text.contains("http_request_duration_seconds_bucket{le=\"0.05\"} 1\n"));
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
//! - **Families** ([`Family`] for string label values, [`DenseFamily`] for
//!   fixed-cardinality enums) map label values to child metrics without allocating on a
//!   hit, and can cap their cardinality. [`Family::with`] and [`Family::with_static`]
//!   (for `&'static str` values, or values made so by [`labels::intern`]) go through a
//!   per-thread lookup cache: no lock and no reference count on a repeated lookup.
//! - **Contention**: [`StripedCounter`] and striped histograms
//!   ([`metrics::HistogramConfig::striped`]) give each group of threads its own cache
//!   line, for the few hot series many cores update at once.
//! - **The registry** ([`Registry`]) validates names, rejects clashes with typed
//!   [`Error`]s, and encodes with [`Registry::encode`] in the [`Format`] chosen by
//!   [`encoding::negotiate`] from a scraper's `Accept` header.
//! - **Collectors** ([`Collector`]) produce whole families at scrape time.
//!
//! ## Architecture
//!
//! Modules in layers; a module imports only from its own layer and the layers below (the
//! test `tests/layering.rs` reads this table and the code's `crate::` paths and fails on
//! an import from a lower layer to a higher one). An observation goes down into
//! `metrics` and stops; a scrape goes registry → snapshot → encoding → http → adapter.
//!
//! | layer | modules | what they hold |
//! |-------|---------|----------------|
//! | 1 | `error`, `time`, `clock`, `stopwatch`, `sync`, `atomic`, `name`, `gzip` | errors, clocks and the request timers' stopwatch, atomics, name rules, compression |
//! | 2 | `labels` | label values, rendering and matching label text |
//! | 3 | `snapshot` | what a scrape reads: plain values, exemplars included |
//! | 4 | `metrics`, `family` | storage: each metric produces its snapshot |
//! | 5 | `descriptor` | a family's validated name, help, unit, type and labels |
//! | 6 | `encoding` | text, OpenMetrics, protobuf and negotiation: snapshots in, bytes out |
//! | 7 | `registry` | the families and collectors one endpoint exposes |
//! | 8 | `collectors`, `http` | standard collectors; scrape handling and request metrics |
//! | 9 | `push`, `server`, `testing` | the Pushgateway client; the standalone exporter server; test helpers and lint |
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---------|---------|--------------|
//! | `process` | yes | [`collectors::ProcessCollector`]: `process_*` metrics from `/proc` (reports nothing off Linux) |
//! | `http` | no | [`http`]: the framework-neutral scrape handler and request-metric set (pulls `flate2`; implies `async`) |
//! | `http-client` | no | [`http::HttpClientLayer`]: outgoing HTTP request metrics around any tower HTTP client (implies `http`) |
//! | `async` | no | async collectors ([`registry::AsyncCollector`]) run within a scrape's deadline, and `cache_for` on them (pulls `tokio`, `futures-util`) |
//! | `push` | no | [`push`]: the Pushgateway client, async and blocking (pulls `hyper`, `tokio`) |
//! | `protobuf` | no | the delimited protobuf exposition ([`encoding::protobuf`]), chosen by negotiation and usable for pushes; needed for native histograms to reach Prometheus (pulls `prost`) |
//! | `push-tls` | no | `https://` gateways for [`push`], with rustls and the system's root certificates |
//! | `server` | no | [`server`]: a standalone exporter server (pulls `hyper`, `tokio`) |
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

mod atomic;
pub mod clock;
#[cfg(any(feature = "process", feature = "tokio"))]
pub mod collectors;
mod descriptor;
pub mod encoding;
pub mod error;
pub mod family;
#[cfg(any(feature = "http", feature = "push"))]
mod gzip;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
pub mod labels;
pub mod metrics;
mod name;
#[cfg(feature = "push")]
#[cfg_attr(docsrs, doc(cfg(feature = "push")))]
pub mod push;
pub mod registry;
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

pub use descriptor::Descriptor;
pub use encoding::Format;
pub use error::{Error, ErrorKind, Result};
pub use family::{CompactFamily, DenseFamily, Family, TypedFamily};
pub use labels::{LabelSet, LabelValue};
pub use metrics::HistogramConfig;
pub use metrics::{
    Buckets, Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramTimer, Info, MetricType,
    StateSet, StripedCounter, Summary,
};
pub use name::NameValidation;
/// `#[derive(LabelSet)]`, `#[derive(LabelValue)]` and `#[derive(Metrics)]`: see
/// [`labels::LabelSet`], [`labels::FixedLabel`] and [`registry::MetricField`].
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use prom_kit_derive::{LabelSet, LabelValue, Metrics};
pub use registry::{
    Collector, CollectorId, CollectorOutput, EncodeOptions, Registry, default_registry,
};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
