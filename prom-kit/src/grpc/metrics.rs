//! [`GrpcMetrics`]: the call metrics of a gRPC server or client, and their builder.

use crate::stopwatch::Stopwatch;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::families::GrpcFamilies;
use super::naming::{GrpcNames, GrpcSide};
use super::series::MethodSeries;
use super::tracker::GrpcCallTracker;
use super::{GrpcCode, GrpcMethods};
use crate::error::Result;
use crate::instrument::HookRunner;
use crate::instrument::NamingScheme;
use crate::instrument::RegistryScope;
use crate::metrics::HistogramConfig;
use crate::{Counter, Family, Histogram, Registry};

/// The call metrics of a gRPC server or client, named and labelled as
/// go-grpc-middleware's Prometheus provider names them (or by the OpenTelemetry RPC
/// conventions, see [`GrpcMetricsBuilder::naming`]). Create once with
/// [`server`](Self::server) or [`client`](Self::client), share (a cheap clone) with the
/// adapter's layer.
///
/// | metric (server; client: `grpc_client_*`) | type | labels |
/// |---|---|---|
/// | `grpc_server_started_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
/// | `grpc_server_handled_total` | counter | the same and `grpc_code` |
/// | `grpc_server_msg_received_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
/// | `grpc_server_msg_sent_total` | counter | the same |
/// | `grpc_server_handling_seconds` (opt-in) | histogram | the same |
///
/// ```
/// use prom_kit::grpc::{GrpcCode, GrpcMethods, GrpcMetrics, GrpcType};
/// use prom_kit::Registry;
///
/// let registry = Registry::new();
/// let metrics = GrpcMetrics::server()
///     .methods(GrpcMethods::new().method("demo.Greeter", "SayHello", GrpcType::Unary))
///     .build(&registry)?;
/// let call = metrics.start("/demo.Greeter/SayHello");
/// call.received(1);
/// call.sent(1);
/// call.finish(GrpcCode::NotFound);
/// assert_eq!(registry.encode_text()?, r#"# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.
/// ## TYPE grpc_server_handled_total counter
/// grpc_server_handled_total{grpc_type="unary",grpc_service="demo.Greeter",grpc_method="SayHello",grpc_code="NotFound"} 1
/// ## HELP grpc_server_msg_received_total Total number of RPC stream messages received on the server.
/// ## TYPE grpc_server_msg_received_total counter
/// grpc_server_msg_received_total{grpc_type="unary",grpc_service="demo.Greeter",grpc_method="SayHello"} 1
/// ## HELP grpc_server_msg_sent_total Total number of gRPC stream messages sent by the server.
/// ## TYPE grpc_server_msg_sent_total counter
/// grpc_server_msg_sent_total{grpc_type="unary",grpc_service="demo.Greeter",grpc_method="SayHello"} 1
/// ## HELP grpc_server_started_total Total number of RPCs started on the server.
/// ## TYPE grpc_server_started_total counter
/// grpc_server_started_total{grpc_type="unary",grpc_service="demo.Greeter",grpc_method="SayHello"} 1
/// "#);
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone)]
pub struct GrpcMetrics {
    inner: Arc<GrpcInner>,
}

struct GrpcInner {
    families: Arc<GrpcFamilies>,
    methods: GrpcMethods,
    /// The series of each known method, by path, and of the unknown bucket.
    series: hashbrown::HashMap<Box<str>, Arc<MethodSeries>>,
    unknown: Arc<MethodSeries>,
    side: GrpcSide,
    /// Runs the adapter's exemplar hook, counting its panics.
    hooks: HookRunner,
}

impl fmt::Debug for GrpcMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcMetrics")
            .field("side", &self.inner.side)
            .field("methods", &self.inner.methods)
            .field("handling_time", &self.inner.families.duration.is_some())
            .finish_non_exhaustive()
    }
}

impl GrpcMetrics {
    /// Starts configuring the metrics of a server (`grpc_server_*`).
    pub fn server() -> GrpcMetricsBuilder {
        GrpcMetricsBuilder::new(GrpcSide::Server)
    }

    /// Starts configuring the metrics of a client (`grpc_client_*`).
    pub fn client() -> GrpcMetricsBuilder {
        GrpcMetricsBuilder::new(GrpcSide::Client)
    }

    /// Which side these metrics describe.
    pub fn side(&self) -> GrpcSide {
        self.inner.side
    }

    /// The methods recorded under their own names.
    pub fn methods(&self) -> &GrpcMethods {
        &self.inner.methods
    }

    /// Runs an adapter's exemplar hook for one call (`hook` reads the call's request and
    /// returns the exemplar labels, for [`GrpcCallTracker::with_exemplar`]). A panic in
    /// the hook is contained: the call goes on without an exemplar, and the panic is
    /// counted in `prom_kit_hook_errors_total{hook="exemplar"}`, a family registered
    /// beside these metrics at the first panic.
    ///
    /// ```
    /// use prom_kit::grpc::GrpcMetrics;
    /// use prom_kit::Registry;
    ///
    /// let registry = Registry::new();
    /// let metrics = GrpcMetrics::server().build(&registry)?;
    /// let trace = "4bf92f35";
    /// let labels = metrics.exemplar_from(|| Some(vec![("trace_id".to_owned(), trace.to_owned())]));
    /// assert_eq!(labels.unwrap()[0].1, "4bf92f35");
    /// assert_eq!(metrics.exemplar_from(|| panic!("a bug in the hook")), None);
    /// let text = registry.encode_text()?;
    /// let panics: Vec<&str> = text.lines().filter(|l| l.starts_with("prom_kit_hook_errors_total")).collect();
    /// assert_eq!(panics, ["prom_kit_hook_errors_total{hook=\"exemplar\"} 1"]);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn exemplar_from(
        &self,
        hook: impl FnOnce() -> Option<Vec<(String, String)>>,
    ) -> Option<Vec<(String, String)>> {
        self.inner.hooks.run("exemplar", hook).flatten()
    }

    /// Starts a call to `path` (`/package.Service/Method`): counts it started and returns
    /// its tracker, which records it handled when finished — or, dropped unfinished, as
    /// [`Canceled`](GrpcCode::Canceled), the code its client sees.
    pub fn start(&self, path: &str) -> GrpcCallTracker {
        let inner = &*self.inner;
        let series = Arc::clone(inner.series.get(path).unwrap_or(&inner.unknown));
        if let Some(started) = series.started() {
            started.inc();
        }
        let received = series.received();
        let sent = series.sent();
        GrpcCallTracker {
            series,
            side: inner.side,
            start: Stopwatch::start(),
            received,
            sent,
            exemplar: None,
            trace: None,
            timeout: None,
            request_cut: matches!(inner.side, GrpcSide::Server)
                .then(|| Arc::new(AtomicBool::new(false))),
            finished: false,
        }
    }
}

/// Configures [`GrpcMetrics`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct GrpcMetricsBuilder {
    side: GrpcSide,
    naming: NamingScheme,
    methods: GrpcMethods,
    histogram: Option<HistogramConfig>,
    scope: RegistryScope,
    max_series: Option<usize>,
    preinitialize: bool,
    excluded: Vec<String>,
    trace_exemplars: bool,
    trace_exemplar_interval: std::time::Duration,
}

impl GrpcMetricsBuilder {
    fn new(side: GrpcSide) -> Self {
        Self {
            side,
            naming: NamingScheme::Classic,
            methods: GrpcMethods::new(),
            histogram: None,
            scope: RegistryScope::default(),
            max_series: Some(crate::instrument::DEFAULT_METRIC_SET_MAX_SERIES),
            preinitialize: false,
            trace_exemplars: false,
            trace_exemplar_interval: crate::trace::DEFAULT_TRACE_EXEMPLAR_INTERVAL,
            excluded: Vec::new(),
        }
    }

    /// The methods recorded under their own service and method, with their kinds; calls
    /// to any other path are recorded under [`UNKNOWN_GRPC`](super::UNKNOWN_GRPC).
    pub fn methods(mut self, methods: GrpcMethods) -> Self {
        self.methods = if self.methods.is_empty() {
            methods
        } else {
            self.methods.merge(&methods)
        };
        self
    }

    /// The naming scheme. `Classic` (the default) is go-grpc-middleware's; the
    /// OpenTelemetry schemes have one histogram, `rpc_server_call_duration_seconds` (or
    /// `rpc_client_…`; dotted names in `OpenTelemetryUtf8`), labelled `rpc_system`
    /// (`grpc`), `rpc_service`, `rpc_method` and `rpc_grpc_status_code` (the code's
    /// number), whose `_count` is the call count; it is always on.
    pub fn naming(mut self, naming: NamingScheme) -> Self {
        self.naming = naming;
        self
    }

    /// Records the call duration histogram (`grpc_server_handling_seconds`, or
    /// `grpc_client_handling_seconds`) with `config`: classic buckets (a
    /// [`Buckets`](crate::Buckets) converts; `Buckets::DEFAULT` is go-grpc-middleware's
    /// `WithServerHandlingTimeHistogram()`), native buckets or both. Off by default in
    /// the classic scheme, as in go-grpc-middleware; the OpenTelemetry schemes always
    /// have it (their default buckets are the conventions' 14). The same setting as
    /// [`HttpMetricsBuilder::duration_histogram`](crate::http::HttpMetricsBuilder::duration_histogram).
    pub fn duration_histogram(mut self, config: impl Into<HistogramConfig>) -> Self {
        self.histogram = Some(config.into());
        self
    }

    /// A prefix for every metric name.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.scope.set_prefix(prefix);
        self
    }

    /// A constant label on every series.
    pub fn const_label(mut self, name: &str, value: &str) -> Self {
        self.scope.add_label(name, value);
        self
    }

    /// The cardinality guard of every family (10 000 series by default; `None` for no limit).
    pub fn max_series(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.max_series = limit.into();
        self
    }

    /// Creates every series of every known method at zero when built — started,
    /// messages, the histogram and `handled` for each of the 17 codes — as
    /// go-grpc-middleware's `InitializeMetrics` does, so that `rate()` and `increase()`
    /// see a call's first occurrence.
    pub fn preinitialize(mut self) -> Self {
        self.preinitialize = true;
        self
    }

    /// Trace exemplars (off by default), as
    /// [`HttpMetricsBuilder::trace_exemplars`](crate::http::HttpMetricsBuilder::trace_exemplars):
    /// a call of a sampled trace (its `traceparent` metadata, read strictly) attaches
    /// its `trace_id` and `span_id` to its `handled` count and duration, at most once
    /// per method and [`trace_exemplar_interval`](Self::trace_exemplar_interval). An
    /// exemplar hook's labels take precedence.
    pub fn trace_exemplars(mut self, enabled: bool) -> Self {
        self.trace_exemplars = enabled;
        self
    }

    /// The least time between two trace exemplars of one method
    /// ([`DEFAULT_TRACE_EXEMPLAR_INTERVAL`](crate::trace::DEFAULT_TRACE_EXEMPLAR_INTERVAL)
    /// unless set).
    pub fn trace_exemplar_interval(mut self, interval: std::time::Duration) -> Self {
        self.trace_exemplar_interval = interval;
        self
    }

    /// A method whose calls are not recorded, by its full path as a request carries it
    /// (`/grpc.health.v1.Health/Check`): health checks and reflection, which would
    /// drown the application's own calls. The gRPC counterpart of
    /// [`HttpMetricsBuilder::exclude_route`](crate::http::HttpMetricsBuilder::exclude_route);
    /// a path that is not `/service/method` is refused by [`build`](Self::build).
    pub fn exclude_method(mut self, path: &str) -> Self {
        self.excluded.push(path.to_owned());
        self
    }

    /// Creates the metrics and registers them in `registry`.
    ///
    /// # Errors
    ///
    /// An invalid prefix or constant label, a name already registered, or dotted names
    /// (`OpenTelemetryUtf8`) in a registry that does not accept UTF-8 names, or an
    /// [`exclude_method`](Self::exclude_method) path that is not `/service/method`; the
    /// registry is left as it was.
    pub fn build(self, registry: &Registry) -> Result<GrpcMetrics> {
        if let Some(path) = self.excluded.iter().find(|path| !is_method_path(path)) {
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidValue,
                format!(
                    "exclude_method({path:?}): a method is excluded by its full path, \
                     `/package.Service/Method` (as in `/grpc.health.v1.Health/Check`)"
                ),
            ));
        }
        // The request timers' clock calibrates on its first reading: here, not in the
        // first request.
        crate::stopwatch::calibrate();
        let registry = self.scope.apply(registry, "GrpcMetrics")?;
        let names = GrpcNames::of(self.side, self.naming);
        let call_labels = names.call_labels;
        let with_code: Vec<&str> = call_labels
            .iter()
            .copied()
            .chain([names.code_label])
            .collect();
        let counter = |name: Option<&'static str>, labels: &[&str]| -> Result<_> {
            name.map(|_| {
                Family::<Counter>::builder(labels.iter().copied())
                    .max_series(self.max_series)
                    .build()
            })
            .transpose()
        };
        let histogram = match (names.duration_has_code, self.histogram) {
            (true, config) => Some(config.unwrap_or_else(|| {
                NamingScheme::OpenTelemetry
                    .default_duration_buckets()
                    .into()
            })),
            (false, config) => config,
        };
        let duration_labels: &[&str] = if names.duration_has_code {
            &with_code
        } else {
            &call_labels
        };
        let families = Arc::new(GrpcFamilies {
            started: counter(names.started, &call_labels)?,
            handled: counter(names.handled, &with_code)?,
            received: counter(names.received, &call_labels)?,
            sent: counter(names.sent, &call_labels)?,
            duration: histogram
                .map(|config| {
                    Family::<Histogram>::builder(duration_labels.iter().copied())
                        .options(config)
                        .max_series(self.max_series)
                        .build()
                })
                .transpose()?,
            first_label_is_kind: names.first_label_is_kind(),
            duration_has_code: names.duration_has_code,
            trace_exemplar_interval_ms: self
                .trace_exemplars
                .then(|| crate::trace::interval_ms(self.trace_exemplar_interval)),
        });
        register_all(&registry, &names, &families, self.side)?;
        let series_of = |call| Arc::new(MethodSeries::new(Arc::clone(&families), call));
        let mut series: hashbrown::HashMap<Box<str>, Arc<MethodSeries>> = self
            .methods
            .paths()
            .map(|(path, call)| (path.into(), series_of(call)))
            .collect();
        for path in &self.excluded {
            let call = self.methods.resolve(path);
            let unrecorded = MethodSeries::unrecorded(Arc::clone(&families), call);
            series.insert(path.as_str().into(), Arc::new(unrecorded));
        }
        let inner = GrpcInner {
            series,
            unknown: series_of(self.methods.resolve("")),
            families,
            methods: self.methods,
            side: self.side,
            hooks: HookRunner::new(&registry),
        };
        if self.preinitialize {
            preinitialize(&inner);
        }
        Ok(GrpcMetrics {
            inner: Arc::new(inner),
        })
    }
}

/// Registers every family of `inner`, or none of them.
fn register_all(
    registry: &Registry,
    names: &GrpcNames,
    inner: &GrpcFamilies,
    side: GrpcSide,
) -> Result<()> {
    let (started_help, handled_help, received_help, sent_help, duration_help) = match side {
        GrpcSide::Server => (
            "Total number of RPCs started on the server.",
            "Total number of RPCs completed on the server, regardless of success or failure.",
            "Total number of RPC stream messages received on the server.",
            "Total number of gRPC stream messages sent by the server.",
            "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
        ),
        GrpcSide::Client => (
            "Total number of RPCs started on the client.",
            "Total number of RPCs completed by the client, regardless of success or failure.",
            "Total number of RPC stream messages received by the client.",
            "Total number of gRPC stream messages sent by the client.",
            "Histogram of response latency (seconds) of the gRPC until it is finished by the application.",
        ),
    };
    let mut batch = registry.batch();
    for (name, family, help) in [
        (names.started, &inner.started, started_help),
        (names.handled, &inner.handled, handled_help),
        (names.received, &inner.received, received_help),
        (names.sent, &inner.sent, sent_help),
    ] {
        if let (Some(name), Some(family)) = (name, family) {
            batch.register(name, help, family.clone())?;
        }
    }
    if let Some(family) = &inner.duration {
        batch.register_with_unit(names.duration, duration_help, "seconds", family.clone())?;
    }
    batch.commit();
    Ok(())
}

/// Whether `path` is a gRPC method's path: `/service/method`, both parts non-empty.
fn is_method_path(path: &str) -> bool {
    path.strip_prefix('/')
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(service, method)| {
            !service.is_empty() && !method.is_empty() && !method.contains('/')
        })
}

/// Creates the zero series of every known method.
fn preinitialize(inner: &GrpcInner) {
    for series in inner.series.values() {
        let _ = (series.started(), series.received(), series.sent());
        for number in 0..17 {
            let code = GrpcCode::from_number(number);
            let _ = (series.handled(code), series.duration(code));
        }
    }
}

impl fmt::Debug for GrpcInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcInner")
            .field("side", &self.side)
            .finish_non_exhaustive()
    }
}
