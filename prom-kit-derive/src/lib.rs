//! Derive macros for prom-kit, re-exported by `prom-kit` with its `derive` feature (use
//! them as `prom_kit::LabelSet` and `prom_kit::LabelValue`; the generated code names the
//! `prom_kit` crate).
//!
//! - `#[derive(LabelValue)]` on an enum of unit variants: a label with a closed set of
//!   values (`LabelValue` and `FixedLabel`), each variant exposed as its name,
//!   `#[label(rename = "…")]`, or as `#[label(rename_all = "…")]` on the enum says.
//! - `#[derive(LabelSet)]` on a struct with named fields: a typed label set, one label
//!   per field, named after the field or `#[label(name = "…")]`.
//!
//! - `#[derive(Metrics)]` on a struct of metrics: `register(&registry)` makes and
//!   registers every field as one step, each field's doc comment its HELP.
//!
//! Where the attributes are in `attrs.rs`, the enum derive in `label_value.rs`, the
//! label set derive in `label_set.rs`, the metrics derive in `metrics.rs`.

mod attrs;
mod label_set;
mod label_value;
mod metrics;

use proc_macro::TokenStream;

/// Implements `prom_kit::labels::LabelValue` and `prom_kit::labels::FixedLabel` for an
/// enum of unit variants (which must also be `Clone` and `Copy`).
///
/// - `#[label(rename = "…")]` on a variant sets its text;
/// - `#[label(rename_all = "…")]` on the enum converts the variant names: `lowercase`,
///   `UPPERCASE`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `camelCase`,
///   `PascalCase`.
///
/// Two variants with the same text, a variant with fields, and an empty or generic enum
/// are compile errors.
///
/// ```
/// use prom_kit::{Counter, DenseFamily, LabelValue, Registry};
///
/// #[derive(Clone, Copy, LabelValue)]
/// #[label(rename_all = "snake_case")]
/// enum Outcome {
///     Delivered,
///     #[label(rename = "bounced_hard")]
///     Bounced,
///     RetryLater,
/// }
///
/// let registry = Registry::new();
/// let mails: DenseFamily<Counter, (Outcome,)> = DenseFamily::new(["outcome"])?;
/// registry.register("mails", "Mails by outcome.", mails.clone())?;
/// mails.labels((Outcome::RetryLater,)).inc();
/// mails.labels((Outcome::Bounced,)).inc_by(2);
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP mails_total Mails by outcome.
/// ## TYPE mails_total counter
/// mails_total{outcome=\"bounced_hard\"} 2
/// mails_total{outcome=\"retry_later\"} 1
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    label_value::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `prom_kit::labels::LabelSet` for a struct with named fields: each field is
/// a label, named after the field (`r#type` is `type`) or `#[label(name = "…")]`, its
/// type a `prom_kit::labels::LabelField` (string types, integers, `bool`, enums deriving
/// `LabelValue`). When every field has a closed set of values, a family keyed by the set
/// is dense.
///
/// A struct without fields, a tuple struct, an enum, a name that is empty or starts with
/// `__`, and two fields with the same name are compile errors.
///
/// ```
/// use prom_kit::{Counter, LabelSet, LabelValue, Registry, TypedFamily};
///
/// #[derive(Clone, Copy, LabelValue)]
/// #[label(rename_all = "UPPERCASE")]
/// enum Method { Get, Post }
///
/// #[derive(LabelSet)]
/// struct Request {
///     method: Method,
///     #[label(name = "http_route")]
///     route: &'static str,
///     status: u16,
/// }
///
/// let registry = Registry::new();
/// let requests: TypedFamily<Request, Counter> = TypedFamily::new()?;
/// registry.register("requests", "Requests.", requests.clone())?;
/// let request = Request { method: Method::Post, route: "/cart", status: 201 };
/// requests.with(&request, Counter::inc); // no Result: the labels are typed
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP requests_total Requests.
/// ## TYPE requests_total counter
/// requests_total{method=\"POST\",http_route=\"/cart\",status=\"201\"} 1
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    label_set::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Adds `register(&Registry) -> prom_kit::Result<Self>` and
/// `register_with_prefix(&Registry, &str)` to a struct whose fields are metrics: each
/// field is made (`prom_kit::registry::MetricField`) and registered under its name, its
/// doc comment the HELP, all as one step (on an error none stays registered).
///
/// `#[metric(…)]` on a field: `name = "…"`, `help = "…"` (instead of the doc comment),
/// `unit = "seconds"`, `labels = ["…", …]` (a string-labelled `Family` or
/// `CompactFamily`, or a `DenseFamily`; a `TypedFamily` takes its
/// names from its label set), `buckets = [0.1, …]` and `native = 1.1` (histograms, and
/// families of them), `const_labels = [("pool", "primary")]` (labels every series of the
/// field carries), and for families:
///
/// - `max_series = 10_000` (or `None` for no cap): the series cap of a `Family`,
///   `CompactFamily` or hashed `TypedFamily` (the builders'
///   `max_series`; `prom_kit::family::DEFAULT_MAX_SERIES` without it);
/// - `expire_after = "10m"`: idle-series expiry of a `Family`,
///   `DenseFamily` or `TypedFamily` (the builders' `expire_after`), a duration written as
///   Prometheus writes them: `<integer><unit>` pairs, the units `ms`, `s`, `m`, `h`, `d`
///   (`"30s"`, `"1h30m"`, `"500ms"`).
///
/// Compile errors, each pointing at the attribute or type: a field without a doc comment
/// or `help`; an unknown key; a `Family`, `CompactFamily` or
/// `DenseFamily` field without `labels`; `max_series` or `expire_after` on a single metric; `max_series` on
/// a `DenseFamily`; `expire_after` on a `CompactFamily` or with a malformed or zero
/// duration. The macro knows the types by name: behind a type alias, the same misuses
/// are typed errors of `register` instead (as is `max_series` on a `TypedFamily` whose
/// labels all have closed value sets, which is dense).
///
/// ```
/// use prom_kit::{Counter, Family, Gauge, Histogram, Metrics, Registry};
///
/// #[derive(Metrics)]
/// struct Worker {
///     /// Jobs run.
///     jobs: Counter,
///     /// Jobs waiting, by queue.
///     #[metric(labels = ["queue"])]
///     backlog: Family<Gauge>,
///     /// Time per job.
///     #[metric(unit = "seconds", buckets = [0.5, 5])]
///     job_duration: Histogram,
/// }
///
/// let registry = Registry::new();
/// let worker = Worker::register_with_prefix(&registry, "worker")?;
/// worker.jobs.inc();
/// worker.backlog.labels(&["mail"])?.set(4.0);
/// worker.job_duration.observe(1.2);
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP worker_backlog Jobs waiting, by queue.
/// ## TYPE worker_backlog gauge
/// worker_backlog{queue=\"mail\"} 4
/// ## HELP worker_job_duration_seconds Time per job.
/// ## TYPE worker_job_duration_seconds histogram
/// worker_job_duration_seconds_bucket{le=\"0.5\"} 0
/// worker_job_duration_seconds_bucket{le=\"5\"} 1
/// worker_job_duration_seconds_bucket{le=\"+Inf\"} 1
/// worker_job_duration_seconds_sum 1.2
/// worker_job_duration_seconds_count 1
/// ## HELP worker_jobs_total Jobs run.
/// ## TYPE worker_jobs_total counter
/// worker_jobs_total 1
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
///
/// A series cap and idle-series expiry:
///
/// ```
/// use prom_kit::{Counter, Family, Metrics, Registry};
///
/// #[derive(Metrics)]
/// struct Logins {
///     /// Logins by user: at most 2 users, each gone 10 minutes after their last login.
///     #[metric(labels = ["user"], max_series = 2, expire_after = "10m")]
///     logins: Family<Counter>,
/// }
///
/// let registry = Registry::new();
/// let metrics = Logins::register(&registry)?;
/// for user in ["ada", "bob", "cy"] {
///     metrics.logins.labels(&[user])?.inc();
/// }
/// let text = registry.encode_text()?;
/// let mut lines: Vec<&str> = text.lines().collect();
/// lines.sort_unstable(); // series come in hash order
/// assert_eq!(lines, [
///     "# HELP logins_total Logins by user: at most 2 users, each gone 10 minutes after their last login.",
///     "# TYPE logins_total counter",
///     "logins_total{user=\"__overflow__\"} 1",
///     "logins_total{user=\"ada\"} 1",
///     "logins_total{user=\"bob\"} 1",
/// ]);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[proc_macro_derive(Metrics, attributes(metric))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    metrics::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
