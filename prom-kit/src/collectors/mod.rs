//! Standard collectors, read at scrape time through the [`Collector`](crate::Collector)
//! trait: the process's resource usage (feature `process`, the `process_*` names of Go's
//! and Python's clients) and the tokio runtime's state (feature `tokio`, the Rust
//! counterpart of Go's `go_*` runtime metrics).
//!
//! ```
//! # #[cfg(feature = "process")] {
//! use prom_kit::collectors::ProcessCollector;
//! use prom_kit::Registry;
//!
//! let registry = Registry::new();
//! registry.register_collector(ProcessCollector::new());
//! // The values are the process's own, different at every run: only the families are
//! // known.
//! # #[cfg(target_os = "linux")]
//! assert!(registry.encode_text()?.contains("# TYPE process_cpu_seconds_total counter"));
//! # }
//! # Ok::<(), prom_kit::Error>(())
//! ```

#[cfg(feature = "process")]
mod process;
#[cfg(feature = "tokio")]
mod tokio;

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use self::tokio::TokioCollector;
#[cfg(feature = "process")]
#[cfg_attr(docsrs, doc(cfg(feature = "process")))]
pub use process::ProcessCollector;
