//! prom-kit as the backend of the [`metrics`] facade: what libraries record with
//! `metrics::counter!`, `gauge!` and `histogram!` lands in a prom-kit [`Registry`], so one
//! `/metrics` endpoint serves the application's own prom-kit metrics and everything its
//! dependencies record through the facade.
//!
//! ```
//! use prom_kit::{Counter, Registry};
//! use prom_kit_metrics::PromKitRecorder;
//!
//! let registry = Registry::new();
//! // The application's own metric…
//! let orders = Counter::new();
//! registry.register("orders", "Orders placed.", orders.clone())?;
//! // …and a recorder for the facade, writing into the same registry. A service calls
//! // `PromKitRecorder::builder(&registry).install()?` once at start instead.
//! let recorder = PromKitRecorder::builder(&registry).build()?;
//! metrics::with_local_recorder(&recorder, || {
//!     // What a dependency records.
//!     metrics::counter!("cache.hits", "cache" => "users").increment(3);
//! });
//! orders.inc();
//! assert_eq!(registry.encode_text()?, "\
//! ## HELP cache_hits_total cache.hits
//! ## TYPE cache_hits_total counter
//! cache_hits_total{cache=\"users\"} 3
//! ## HELP orders_total Orders placed.
//! ## TYPE orders_total counter
//! orders_total 1
//! ");
//! # Ok::<(), prom_kit::Error>(())
//! ```
//!
//! # How facade metrics are exposed
//!
//! - **Types.** A facade counter is a prom-kit [`Counter`](prom_kit::Counter) family
//!   (`increment` adds, `absolute` raises the total, never lowering it), a gauge a
//!   [`Gauge`](prom_kit::Gauge) family, a histogram a
//!   [`Histogram`](prom_kit::Histogram) family whose buckets — classic, native, or both —
//!   are chosen per name by [`RecorderBuilder::histogram`] (prom-kit's default classic
//!   buckets otherwise).
//! - **Handles.** The facade asks the recorder for a handle at every macro call. The
//!   first call of a key makes the series and its handle; later calls find the handle by
//!   the key's precomputed hash under one shard's read lock; an update through a handle
//!   is the series' own atomic operation.
//! - **Names.** In a registry made with [`NameValidation::Utf8`](prom_kit::NameValidation),
//!   facade names are kept as written (`http.server.duration`). In a legacy registry (the
//!   default) every character outside `[a-zA-Z0-9_:]` (label names: `[a-zA-Z0-9_]`) and a
//!   leading digit become `_`; names that sanitise alike are one metric. In both, a label
//!   name starting with `__` (reserved for Prometheus) has those underscores shortened to
//!   one. A counter is exposed as `<name>_total` (the suffix is not doubled).
//! - **Labels.** A metric's label names are those of its first key, in that order; a key
//!   of the same metric with other label names is refused (as Go's `client_golang` and
//!   Python's `prometheus_client` refuse them). Values are escaped by prom-kit's encoders.
//! - **HELP and unit.** `describe_*` sets the HELP text, also after the first sample
//!   (from the next scrape); without one, the HELP is the facade name. A unit is kept
//!   (OpenMetrics' `# UNIT`) when the name already ends with it and the description came
//!   before the first sample; it never renames a metric.
//! - **Bounds.** Each metric has prom-kit's cardinality guard
//!   ([`RecorderBuilder::max_series`], 2,000 series unless set, then one overflow series)
//!   and optionally idle expiry ([`RecorderBuilder::expire_after`]).
//!
//! # Refused calls
//!
//! A facade call the registry cannot take — a name registered natively or by another
//! facade type, an invalid or reserved label name, label names that differ from the
//! metric's — gets a handle that does nothing: never a panic, never a corrupted
//! registry. The first refusal of each facade name and cause counts in
//! `prom_kit_facade_errors_total{cause}` (`name`, `name_taken`, `type`, `label_name`,
//! `label_names`; the family appears with the first refusal, every cause at zero) and
//! is logged to standard error; repeated, a refused call costs two lookups under read
//! locks and reports nothing more.
//!
//! # Differences from `metrics-exporter-prometheus`
//!
//! The tests record generated calls through both recorders and compare the parsed
//! expositions (`tests/differential.rs`); these are the differences, each on purpose:
//!
//! - **Counters end in `_total`**, as OpenMetrics requires and Prometheus' naming
//!   conventions ask; the exporter adds the suffix only with its recommended naming.
//! - **Histograms are histograms.** Without configured buckets the exporter turns them
//!   into summaries (quantiles computed in the process, which cannot be aggregated);
//!   here they get prom-kit's default buckets, or native buckets by matcher.
//! - **Label values are written exactly.** The exporter drops a backslash that comes
//!   before `\` or `"` (it takes it for an escape); prom-kit escapes every value, and
//!   each reads back as recorded.
//! - **Infinities are spelled `+Inf` and `-Inf`**, as the text format says; the exporter
//!   writes Rust's `inf`, which only lenient parsers accept.
//! - **Keys that sanitise alike are one series.** The exporter keeps counting both
//!   but writes only one of them (`a.b` and `a_b` each incremented once show `a_b 1`);
//!   here they are one metric and one series (`a_b_total 2`).
//! - **Label names starting with `__`** (reserved for Prometheus) are shortened to one
//!   `_`; the exporter passes them on, into a namespace Prometheus reserves for itself.
//! - **One set of label names per metric**, as `client_golang` and `prometheus_client`
//!   require; the exporter mixes series with different label names in one family.
//! - **Units never rename a metric**; the exporter appends the unit with its
//!   recommended naming, so the name depends on whether `describe_*` came first.
//! - **Bounds and expiry per metric**: a cardinality limit by default (2,000 series,
//!   then an overflow series) and idle expiry by matcher; the exporter has no limit and
//!   one idle timeout for all.
//! - **HELP without a description** is the facade name (the exporter writes none).
//! - **The matchers select by the name as recorded** (before sanitising), the most
//!   specific first; the exporter matches the sanitised name, the first in its own order.

mod builder;
mod handles;
mod names;
mod recorder;
mod refusal;
mod series;

pub use builder::{Matcher, RecorderBuilder};
pub use recorder::PromKitRecorder;

#[cfg(doc)]
use prom_kit::Registry;
