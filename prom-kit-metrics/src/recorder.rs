//! [`PromKitRecorder`]: the `metrics::Recorder` that writes into a prom-kit registry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use metrics::{Key, KeyName, Metadata, SharedString, Unit};
use parking_lot::RwLock;
use prom_kit::{Counter, Family, Gauge, Histogram, Registry};

use crate::builder::{MetricSettings, RecorderBuilder};
use crate::handles::{CounterHandle, GaugeHandle, HistogramHandle};
use crate::names;
use crate::refusal::{Cause, Refusals};
use crate::series::{Entry, Handle, Handles, Kind};

/// A `metrics` recorder writing into a prom-kit [`Registry`]: every facade metric is a
/// family of that registry, served by whatever serves the registry.
///
/// Made by [`PromKitRecorder::builder`]; installed globally by
/// [`RecorderBuilder::install`], or used for a scope with
/// [`metrics::with_local_recorder`].
///
/// ```
/// use prom_kit::Registry;
/// use prom_kit_metrics::PromKitRecorder;
///
/// let registry = Registry::new();
/// let recorder = PromKitRecorder::builder(&registry).build()?;
/// metrics::with_local_recorder(&recorder, || {
///     metrics::describe_counter!("jobs_total", "Jobs run.");
///     metrics::counter!("jobs_total", "queue" => "mail").increment(2);
///     metrics::gauge!("queue_depth").set(7.0);
/// });
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP jobs_total Jobs run.
/// ## TYPE jobs_total counter
/// jobs_total{queue=\"mail\"} 2
/// ## HELP queue_depth queue_depth
/// ## TYPE queue_depth gauge
/// queue_depth 7
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PromKitRecorder {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    handles: Handles,
    /// Whether any metric expires idle series (the handle table is then swept).
    any_expiring: AtomicBool,
    metrics: RwLock<Metrics>,
    refusals: Refusals,
    builder: RecorderBuilder,
    /// The collector that releases unused handles, unregistered with the recorder.
    release: OnceLock<prom_kit::registry::CollectorId>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(id) = self.release.get() {
            self.builder.registry().unregister_collector(*id);
        }
    }
}

/// The facade metrics made so far, and what `describe_*` said.
#[derive(Debug, Default)]
struct Metrics {
    /// By exposed name (facade names that sanitise alike share one).
    by_name: HashMap<String, Arc<FacadeMetric>>,
    /// The same, by the facade names seen: a key's first call finds its metric without
    /// sanitising the name again.
    by_facade_name: HashMap<String, Arc<FacadeMetric>>,
    /// Exposed names the registry refused, with why.
    refused: HashMap<String, Cause>,
    /// The same, by the facade names seen.
    refused_facade_names: HashMap<String, Cause>,
    /// HELP text and unit by facade name, as described.
    described: HashMap<String, (Option<Unit>, SharedString)>,
}

#[derive(Debug)]
enum Store {
    Counter(Family<Counter>),
    Gauge(Family<Gauge>),
    Histogram(Family<Histogram>),
}

impl Store {
    fn kind(&self) -> Kind {
        match self {
            Self::Counter(_) => Kind::Counter,
            Self::Gauge(_) => Kind::Gauge,
            Self::Histogram(_) => Kind::Histogram,
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Counter(family) => family.len(),
            Self::Gauge(family) => family.len(),
            Self::Histogram(family) => family.len(),
        }
    }

    /// The series of `values`: found, made, or — the family full — its overflow series.
    fn series(&self, values: &[&str]) -> prom_kit::Result<Series> {
        Ok(match self {
            Self::Counter(family) => Series::Counter(family.labels(values)?),
            Self::Gauge(family) => Series::Gauge(family.labels(values)?),
            Self::Histogram(family) => Series::Histogram(family.labels(values)?),
        })
    }

    /// The series of `values` if the family holds one (never the overflow series).
    fn existing(&self, values: &[&str]) -> Option<Series> {
        let found = match self {
            Self::Counter(family) => family.get(values).map(|s| s.map(Series::Counter)),
            Self::Gauge(family) => family.get(values).map(|s| s.map(Series::Gauge)),
            Self::Histogram(family) => family.get(values).map(|s| s.map(Series::Histogram)),
        };
        found.ok().flatten()
    }
}

/// A series of one of the facade's types, before it is wrapped in a handle.
enum Series {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
}

impl Series {
    fn into_handle(self) -> Handle {
        match self {
            Self::Counter(counter) => Handle::Counter(Arc::new(CounterHandle(counter))),
            Self::Gauge(gauge) => Handle::Gauge(Arc::new(GaugeHandle(gauge))),
            Self::Histogram(histogram) => Handle::Histogram(Arc::new(HistogramHandle(histogram))),
        }
    }
}

/// One facade metric: the family its series live in.
#[derive(Debug)]
struct FacadeMetric {
    /// The name it is registered under.
    name: String,
    /// Its label names, sanitised, in the order the first key gave them.
    label_names: Vec<String>,
    store: Store,
    settings: MetricSettings,
    /// The handle of the overflow series, shared by every key past `max_series`.
    overflow: OnceLock<Handle>,
}

impl PromKitRecorder {
    /// Starts configuring a recorder writing into `registry` (a [`Registry`], or a view
    /// of one with a prefix or constant labels).
    pub fn builder(registry: &Registry) -> RecorderBuilder {
        RecorderBuilder::new(registry)
    }

    pub(crate) fn new(builder: RecorderBuilder) -> Self {
        let registry = builder.registry().clone();
        let shared = Arc::new(Shared {
            handles: Handles::new(),
            any_expiring: AtomicBool::new(false),
            metrics: RwLock::new(Metrics::default()),
            refusals: Refusals::new(&registry),
            builder,
            release: OnceLock::new(),
        });
        // At each scrape, before the families sweep their idle series: forget the
        // handles only the table keeps, so that those series can be freed.
        let weak: Weak<Shared> = Arc::downgrade(&shared);
        let id = registry.register_collector(ReleaseUnused(weak));
        let _ = shared.release.set(id);
        Self { shared }
    }

    /// The registry the recorder writes into.
    pub fn registry(&self) -> &Registry {
        self.shared.builder.registry()
    }

    fn handle(&self, key: &Key, kind: Kind) -> Option<Handle> {
        match self.shared.handles.get(key) {
            Some(handle) if handle.kind() == kind => Some(handle),
            _ => self.make_handle(key, kind),
        }
    }

    /// The first call of `key`, or of a key whose handle is not remembered (past
    /// `max_series`, or released for expiry).
    #[cold]
    fn make_handle(&self, key: &Key, kind: Kind) -> Option<Handle> {
        let shared = &*self.shared;
        let metric = match self.metric(key, kind) {
            Ok(metric) => metric,
            Err((cause, why)) => {
                shared.refusals.report(key.name(), cause, &why);
                return None;
            }
        };
        if metric.store.kind() != kind {
            let why = Why::Type {
                is: metric.store.kind(),
                asked: kind,
            };
            shared.refusals.report(key.name(), Cause::Type, &why);
            return None;
        }
        let validation = self.registry().name_validation();
        let made = with_values_in_order(key, &metric.label_names, validation, |values| {
            let full = metric
                .settings
                .max_series
                .is_some_and(|limit| metric.store.len() >= limit);
            if full && metric.store.existing(values).is_none() {
                // Past the limit: the overflow series, shared and never remembered per
                // key, so that new label values cost no memory.
                if let Some(handle) = metric.overflow.get() {
                    return Ok::<_, prom_kit::Error>((handle.clone(), false));
                }
            }
            let found = metric.store.series(values)?;
            // Whether `found` is the key's own series or the overflow one is told by the
            // family after the lookup (other threads may fill or free it meanwhile): a
            // key the family holds now gets its own series, looked up again; one it does
            // not hold got the overflow series.
            Ok(match metric.store.existing(values) {
                Some(series) => (series.into_handle(), true),
                None => (
                    metric.overflow.get_or_init(|| found.into_handle()).clone(),
                    false,
                ),
            })
        });
        match made {
            Ok(Ok((handle, true))) => {
                let expiring = metric.settings.expire_after.is_some();
                Some(shared.handles.insert(key, Entry { handle, expiring }))
            }
            Ok(Ok((handle, false))) => Some(handle),
            Ok(Err(error)) => {
                shared
                    .refusals
                    .report(key.name(), Cause::of(error.kind()), &error);
                None
            }
            Err(()) => {
                let why = Why::LabelNames {
                    key,
                    label_names: &metric.label_names,
                };
                shared.refusals.report(key.name(), Cause::LabelNames, &why);
                None
            }
        }
    }

    /// The facade metric `key` names, made (and registered) on its first use.
    fn metric(&self, key: &Key, kind: Kind) -> Result<Arc<FacadeMetric>, (Cause, Why<'static>)> {
        {
            let metrics = self.shared.metrics.read();
            if let Some(metric) = metrics.by_facade_name.get(key.name()) {
                return Ok(Arc::clone(metric));
            }
            if let Some(cause) = metrics.refused_facade_names.get(key.name()) {
                return Err((*cause, Why::RefusedBefore));
            }
        }
        let registry = self.registry();
        let validation = registry.name_validation();
        let mut metrics = self.shared.metrics.write();
        let name = names::metric_name(key.name(), validation);
        if let Some(metric) = metrics.by_name.get(&name) {
            let metric = Arc::clone(metric);
            metrics
                .by_facade_name
                .insert(key.name().to_owned(), Arc::clone(&metric));
            return Ok(metric);
        }
        if let Some(&cause) = metrics.refused.get(&name) {
            metrics
                .refused_facade_names
                .insert(key.name().to_owned(), cause);
            return Err((cause, Why::RefusedBefore));
        }
        let label_names: Vec<String> = key
            .labels()
            .map(|label| names::label_name(label.key(), validation))
            .collect();
        let settings = self.shared.builder.settings(key.name());
        let store = make_store(kind, &label_names, &settings)
            .map_err(|error| (Cause::of(error.kind()), Why::Error(error)))?;
        let (unit, help) = metrics
            .described
            .get(key.name())
            .map_or((None, None), |(unit, help)| (*unit, Some(help.to_string())));
        let help = help.unwrap_or_else(|| key.name().to_owned());
        if let Err(error) = register(registry, &name, &help, unit, &store) {
            let cause = Cause::of(error.kind());
            metrics.refused.insert(name, cause);
            metrics
                .refused_facade_names
                .insert(key.name().to_owned(), cause);
            return Err((cause, Why::Error(error)));
        }
        if settings.expire_after.is_some() {
            self.shared.any_expiring.store(true, Ordering::Relaxed);
        }
        let metric = Arc::new(FacadeMetric {
            name: name.clone(),
            label_names,
            store,
            settings,
            overflow: OnceLock::new(),
        });
        metrics.by_name.insert(name, Arc::clone(&metric));
        metrics
            .by_facade_name
            .insert(key.name().to_owned(), Arc::clone(&metric));
        Ok(metric)
    }

    fn describe(&self, key: &KeyName, unit: Option<Unit>, description: SharedString) {
        let mut metrics = self.shared.metrics.write();
        let name = names::metric_name(key.as_str(), self.registry().name_validation());
        if let Some(metric) = metrics.by_name.get(&name) {
            // Already in use: the HELP changes from the next scrape (a unit cannot
            // change a registered family).
            if let Err(error) = self.registry().set_help(&metric.name, &description) {
                eprintln!("prom-kit-metrics: cannot describe {name:?}: {error}");
            }
        }
        metrics
            .described
            .insert(key.as_str().to_owned(), (unit, description));
    }
}

/// Writes no family: at each scrape, lets expiring series go (see
/// [`Handles::release_unused`]).
struct ReleaseUnused(Weak<Shared>);

impl prom_kit::Collector for ReleaseUnused {
    fn collect(&self, _: &mut prom_kit::CollectorOutput<'_>) -> prom_kit::Result<()> {
        if let Some(shared) = self.0.upgrade() {
            if shared.any_expiring.load(Ordering::Relaxed) {
                shared.handles.release_unused();
            }
        }
        Ok(())
    }
}

/// Why a call was refused, written only when it is logged (a refused call repeated
/// formats nothing).
enum Why<'a> {
    Error(prom_kit::Error),
    RefusedBefore,
    Type {
        is: Kind,
        asked: Kind,
    },
    LabelNames {
        key: &'a Key,
        label_names: &'a [String],
    },
}

impl std::fmt::Display for Why<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Error(error) => error.fmt(f),
            Self::RefusedBefore => f.write_str("the registry refused its name"),
            Self::Type { is, asked } => write!(f, "it is a {is:?}, not a {asked:?}"),
            Self::LabelNames { key, label_names } => {
                let given: Vec<&str> = key.labels().map(metrics::Label::key).collect();
                write!(
                    f,
                    "labels {given:?} where the metric was first used with {label_names:?}"
                )
            }
        }
    }
}

/// The most labels a key's values are ordered for on the stack.
const STACK_LABELS: usize = 8;

/// Calls `f` with the values of `key`'s labels in the order of `label_names` (the
/// metric's), or returns why its label names are not those. Allocates nothing for keys
/// of up to [`STACK_LABELS`] labels.
fn with_values_in_order<R>(
    key: &Key,
    label_names: &[String],
    validation: prom_kit::NameValidation,
    f: impl FnOnce(&[&str]) -> R,
) -> Result<R, ()> {
    let matches = key.labels().len() == label_names.len()
        && label_names.iter().enumerate().all(|(i, name)| {
            // Each name once: none of the key's earlier labels is this one.
            key.labels()
                .filter(|label| names::label_name_is(label.key(), name, validation))
                .count()
                == 1
                && label_names[..i].iter().all(|earlier| earlier != name)
        });
    if !matches {
        return Err(());
    }
    let value_of = |name: &String| {
        key.labels()
            .find(|label| names::label_name_is(label.key(), name, validation))
            .map_or("", metrics::Label::value)
    };
    if label_names.len() <= STACK_LABELS {
        let mut values = [""; STACK_LABELS];
        for (slot, name) in values.iter_mut().zip(label_names) {
            *slot = value_of(name);
        }
        Ok(f(&values[..label_names.len()]))
    } else {
        let values: Vec<&str> = label_names.iter().map(value_of).collect();
        Ok(f(&values))
    }
}

fn make_store(
    kind: Kind,
    label_names: &[String],
    settings: &MetricSettings,
) -> prom_kit::Result<Store> {
    let names = label_names.iter().map(String::as_str);
    Ok(match kind {
        Kind::Counter => Store::Counter(configured(Family::builder(names), settings).build()?),
        Kind::Gauge => Store::Gauge(configured(Family::builder(names), settings).build()?),
        Kind::Histogram => Store::Histogram(
            configured(Family::builder(names), settings)
                .options(settings.histogram.clone())
                .build()?,
        ),
    })
}

fn configured<M: prom_kit::metrics::Metric>(
    builder: prom_kit::family::FamilyBuilder<M>,
    settings: &MetricSettings,
) -> prom_kit::family::FamilyBuilder<M> {
    let builder = builder.max_series(settings.max_series);
    match settings.expire_after {
        Some(ttl) => builder.expire_after(ttl),
        None => builder,
    }
}

/// Registers `store` as `name`; with `unit` when the name ends with it (a unit never
/// renames a facade metric: its name must not depend on whether `describe_*` came first).
fn register(
    registry: &Registry,
    name: &str,
    help: &str,
    unit: Option<Unit>,
    store: &Store,
) -> prom_kit::Result<()> {
    let base = match store {
        Store::Counter(_) => name.strip_suffix("_total").unwrap_or(name),
        _ => name,
    };
    let unit = unit.map(|unit| unit.as_str()).filter(|unit| {
        base.strip_suffix(unit)
            .is_some_and(|rest| rest.ends_with('_'))
    });
    match (store, unit) {
        (Store::Counter(family), Some(unit)) => {
            registry.register_with_unit(name, help, unit, family.clone())
        }
        (Store::Gauge(family), Some(unit)) => {
            registry.register_with_unit(name, help, unit, family.clone())
        }
        (Store::Histogram(family), Some(unit)) => {
            registry.register_with_unit(name, help, unit, family.clone())
        }
        (Store::Counter(family), None) => registry.register(name, help, family.clone()),
        (Store::Gauge(family), None) => registry.register(name, help, family.clone()),
        (Store::Histogram(family), None) => registry.register(name, help, family.clone()),
    }
}

impl metrics::Recorder for PromKitRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(&key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(&key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(&key, unit, description);
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Counter {
        match self.handle(key, Kind::Counter) {
            Some(Handle::Counter(handle)) => metrics::Counter::from_arc(handle),
            _ => metrics::Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Gauge {
        match self.handle(key, Kind::Gauge) {
            Some(Handle::Gauge(handle)) => metrics::Gauge::from_arc(handle),
            _ => metrics::Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Histogram {
        match self.handle(key, Kind::Histogram) {
            Some(Handle::Histogram(handle)) => metrics::Histogram::from_arc(handle),
            _ => metrics::Histogram::noop(),
        }
    }
}
