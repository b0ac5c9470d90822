//! [`Registry`]: the set of metric families one endpoint exposes.
//!
//! The ways to register are the whole set, each for its own job:
//!
//! | to | use |
//! |----|-----|
//! | register a metric or family you made | [`Registry::register`]; [`register_with_unit`](Registry::register_with_unit) adds a unit (`_seconds`, `# UNIT`) |
//! | register where another part of the program may have registered the same metric first | [`Registry::get_or_register`] (and `_with_unit`): the handle already registered if it is the same metric, an error otherwise |
//! | make and register a struct of metrics, each field's doc comment its HELP | `#[derive(Metrics)]` (feature `derive`; each field a [`MetricField`]), all or nothing |
//! | write families at scrape time, from state kept elsewhere | [`Registry::register_collector`] with a [`Collector`]; `register_async_collector` with an `AsyncCollector` (feature `async`) for values that need I/O, run within the scrape's deadline |
//! | register several families as one step | [`Registry::batch`]: a [`RegistrationBatch`] undoes its registrations unless committed |
//!
//! And to encode: to bytes, [`Registry::render`]; into your buffer,
//! [`Registry::encode`]; a `String` in tests, [`Registry::encode_text`] — the first two
//! with a [`Format`](crate::Format) or [`EncodeOptions`](crate::EncodeOptions).

mod all_or_nothing;
#[cfg(feature = "async")]
mod async_collector;
mod cached;
mod collector;
pub(crate) mod encode;
mod get_or_register;
mod metric_field;
mod register;
mod target_info;

pub use all_or_nothing::RegistrationBatch;
#[cfg(feature = "async")]
pub use async_collector::{
    AsyncCollection, AsyncCollector, AsyncFailure, AsyncFailureCause, CollectFuture, collector_fn,
};
#[cfg(feature = "async")]
pub use cached::{AsyncCollectorExt, CachedAsync};
pub use cached::{Cached, CollectorExt};
pub use collector::{Collector, CollectorOutput};
#[cfg(feature = "scrape")]
pub(crate) use encode::NameSet;
pub use metric_field::{ChildOptions, FieldOptions, MetricField};
pub use register::Register;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, LazyLock};

use parking_lot::RwLock;

use crate::descriptor::Descriptor;
use crate::encoding::EscapingScheme;
use crate::error::{Error, ErrorKind, Result};
use crate::labels::render::render_pairs;
use crate::name::{ESCAPING_SCHEMES, NameValidation};
use register::sealed::Collect;

/// A set of metric families, encoded together at every scrape.
///
/// | to | use |
/// |----|-----|
/// | register a metric or family | [`register`](Self::register) ([`register_with_unit`](Self::register_with_unit) with a unit) |
/// | get the metric already registered under the name, or register this one | [`get_or_register`](Self::get_or_register) |
/// | register a struct of metrics | `#[derive(Metrics)]` (feature `derive`) |
/// | write families at scrape time | [`register_collector`](Self::register_collector); `register_async_collector` (feature `async`) |
/// | register several families, all or nothing | [`batch`](Self::batch) |
/// | encode | [`render`](Self::render) (to bytes), [`encode`](Self::encode) (into your buffer), [`encode_text`](Self::encode_text) (a `String`, for tests) |
///
/// Registration validates the name, the label names and the help; it fails with a typed
/// error, leaving the registry unchanged, when the name or any sample name the family
/// exposes (`x_total`, `x_bucket`, …) is already taken. Encoding writes families sorted by
/// name, each family's lines together, in the same order at every scrape.
///
/// A `Registry` is a cheap handle: clones share the same families.
/// [`with_prefix`](Self::with_prefix) and [`with_labels`](Self::with_labels) return views
/// that register into the same families under a name prefix and with constant labels
/// (as Go's `WrapRegistererWith`); encoding any view encodes everything.
///
/// ```
/// use prom_kit::{Counter, Gauge, Registry};
///
/// let registry = Registry::new();
/// let app = registry.with_prefix("myapp")?.with_labels([("region", "eu")])?;
/// let jobs = Counter::new();
/// app.register("jobs", "Jobs run.", jobs.clone())?;
/// jobs.inc();
/// // A gauge named like the counter's sample clashes with it.
/// let clash = app.register("jobs_total", "Oops.", Gauge::new()).unwrap_err();
/// assert_eq!(clash.kind(), prom_kit::ErrorKind::AlreadyRegistered);
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP myapp_jobs_total Jobs run.
/// ## TYPE myapp_jobs_total counter
/// myapp_jobs_total{region=\"eu\"} 1
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone)]
pub struct Registry {
    shared: Arc<RwLock<State>>,
    prefix: Arc<str>,
    const_pairs: Arc<[(Box<str>, Box<str>)]>,
    const_text: Arc<str>,
    validation: NameValidation,
    /// What registers through this view, when it is one of prom-kit's metric sets
    /// (`HttpMetrics`): named by the error of a registration that finds a name taken.
    owner: Option<&'static str>,
}

#[derive(Default)]
struct State {
    families: BTreeMap<String, Arc<Entry>>,
    /// Every family name and sample name taken, as registered (`None`) and, in a UTF-8
    /// registry, as each escaping scheme writes it, mapped to the family that took it.
    exposed: HashMap<ExposedName, String>,
    collectors: Vec<Arc<CollectorEntry>>,
    #[cfg(feature = "async")]
    async_collectors: Vec<Arc<async_collector::AsyncEntry>>,
    next_collector_id: u64,
    /// Set by [`Registry::set_openmetrics_created`]`(false)`.
    omit_created: bool,
    /// Whether the family `target` is the one [`Registry::set_target_info`] set.
    target_info: bool,
}

impl State {
    /// A new id for a collector of either kind.
    fn take_collector_id(&mut self) -> u64 {
        let id = self.next_collector_id;
        self.next_collector_id += 1;
        id
    }
}

/// A name a family exposes, as registered (`None`) or as an escaping scheme writes it.
type ExposedName = (Option<EscapingScheme>, String);

#[derive(Clone)]
struct Entry {
    descriptor: Descriptor,
    const_labels: Arc<str>,
    collect: Arc<dyn Collect>,
    /// A handle to the metric as registered, for `get_or_register`.
    handle: Arc<dyn std::any::Any + Send + Sync>,
    /// What its children are made from (see `Registrable::options`).
    options: String,
    /// The metric set that registered it, if one of prom-kit's did (see `Registry::owner`).
    owner: Option<&'static str>,
}

struct CollectorEntry {
    id: u64,
    prefix: Arc<str>,
    const_labels: Arc<str>,
    collector: Box<dyn Collector>,
}

/// Identifies a registered [`Collector`], for [`Registry::unregister_collector`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CollectorId(u64);

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.read();
        f.debug_struct("Registry")
            .field("prefix", &self.prefix)
            .field("const_labels", &self.const_pairs)
            .field("families", &state.families.keys().collect::<Vec<_>>())
            .field("collectors", &state.collectors.len())
            .finish_non_exhaustive()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

static DEFAULT_REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

/// The process-wide default registry, for programs that want one without passing it
/// around. Nothing in prom-kit uses it implicitly.
pub fn default_registry() -> &'static Registry {
    &DEFAULT_REGISTRY
}

impl Registry {
    /// Creates an empty registry that accepts legacy names only
    /// ([`NameValidation::Legacy`]).
    pub fn new() -> Self {
        Self::with_name_validation(NameValidation::Legacy)
    }

    /// Creates an empty registry that accepts the names `validation` allows; its views
    /// ([`with_prefix`](Self::with_prefix), [`with_labels`](Self::with_labels)) accept
    /// the same. A registry in [`NameValidation::Utf8`] exposes names outside the legacy
    /// set as they are to scrapers that negotiate UTF-8 (Prometheus 3), and escaped to
    /// the others (see [`EscapingScheme`]).
    ///
    /// ```
    /// use prom_kit::encoding::EscapingScheme;
    /// use prom_kit::{EncodeOptions, Format, Gauge, NameValidation, Registry};
    ///
    /// let registry = Registry::with_name_validation(NameValidation::Utf8);
    /// let temperature = Gauge::new();
    /// registry.register("room.temperature", "Room temperature.", temperature.clone())?;
    /// temperature.set(21.5);
    ///
    /// let utf8 = EncodeOptions::new(Format::Text).escaping(EscapingScheme::AllowUtf8);
    /// assert_eq!(String::from_utf8(registry.render(utf8)?).unwrap(), "\
    /// ## HELP \"room.temperature\" Room temperature.
    /// ## TYPE \"room.temperature\" gauge
    /// {\"room.temperature\"} 21.5
    /// ");
    /// // Scrapers that do not negotiate UTF-8 get underscores.
    /// assert_eq!(registry.encode_text()?, "\
    /// ## HELP room_temperature Room temperature.
    /// ## TYPE room_temperature gauge
    /// room_temperature 21.5
    /// ");
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn with_name_validation(validation: NameValidation) -> Self {
        Self {
            shared: Arc::default(),
            prefix: Arc::from(""),
            const_pairs: Arc::from(Vec::new()),
            const_text: Arc::from(""),
            validation,
            owner: None,
        }
    }

    /// The same view, registering on behalf of `owner` (one of prom-kit's metric sets,
    /// `HttpMetrics`): a registration that finds a name taken by one of its families says
    /// so.
    #[cfg_attr(
        not(any(
            feature = "scrape",
            feature = "http",
            feature = "http-client",
            feature = "grpc"
        )),
        expect(
            dead_code,
            reason = "only the scrape handler and the bundled metric sets register as owners"
        )
    )]
    pub(crate) fn owned_by(&self, owner: &'static str) -> Self {
        Self {
            owner: Some(owner),
            ..self.clone()
        }
    }

    /// The names this registry accepts.
    pub fn name_validation(&self) -> NameValidation {
        self.validation
    }

    /// A view that registers into this registry with `prefix_` in front of every name
    /// (after this view's own prefix, if any).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidMetricName`] if the prefix is not a valid metric name (under
    /// the registry's [`NameValidation`]).
    pub fn with_prefix(&self, prefix: &str) -> Result<Self> {
        self.validation.check_metric_name(prefix)?;
        let prefix = if self.prefix.is_empty() {
            prefix.to_owned()
        } else {
            format!("{}_{prefix}", self.prefix)
        };
        Ok(Self {
            prefix: prefix.into(),
            ..self.clone()
        })
    }

    /// A view that registers into this registry with constant labels added to every
    /// series (after this view's own constant labels, if any).
    ///
    /// # Errors
    ///
    /// An invalid, reserved or repeated label name (also against this view's labels).
    pub fn with_labels<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self> {
        let mut all: Vec<(Box<str>, Box<str>)> = self.const_pairs.to_vec();
        all.extend(pairs.into_iter().map(|(n, v)| (n.into(), v.into())));
        let names: Vec<&str> = all.iter().map(|(n, _)| &**n).collect();
        self.validation.check_label_names(&names)?;
        let mut text = String::new();
        render_pairs(&mut text, all.iter().map(|(n, v)| (&**n, &**v)));
        Ok(Self {
            const_pairs: all.into(),
            const_text: text.into(),
            ..self.clone()
        })
    }

    /// Registers `metric` as the family `name`.
    ///
    /// Counters and info metrics may be named with or without their `_total` / `_info`
    /// suffix; the family name drops it and the samples carry it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidMetricName`], a label name clash with this view's constant
    /// labels or with a label the type adds ([`ErrorKind::DuplicateLabelName`],
    /// [`ErrorKind::ReservedLabelName`]), or [`ErrorKind::AlreadyRegistered`]. On error
    /// the registry is unchanged.
    pub fn register(&self, name: &str, help: &str, metric: impl Register) -> Result<()> {
        let descriptor = Descriptor::new(name, help, metric.metric_type())?;
        self.register_described(&descriptor, metric).map(drop)
    }

    /// Registers `metric` as the family `name` with a unit, appended to the name as
    /// `_<unit>` unless already there and announced by `# UNIT` in OpenMetrics.
    ///
    /// ```
    /// # use prom_kit::{Format, Gauge, Registry};
    /// let registry = Registry::new();
    /// registry.register_with_unit("temperature", "Room temperature.", "celsius", Gauge::new())?;
    /// let body = registry.render(Format::OpenMetrics)?;
    /// assert_eq!(String::from_utf8(body).unwrap(), "\
    /// ## HELP temperature_celsius Room temperature.
    /// ## TYPE temperature_celsius gauge
    /// ## UNIT temperature_celsius celsius
    /// temperature_celsius 0
    /// ## EOF
    /// ");
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`register`](Self::register), and [`ErrorKind::InvalidUnit`].
    pub fn register_with_unit(
        &self,
        name: &str,
        help: &str,
        unit: &str,
        metric: impl Register,
    ) -> Result<()> {
        let descriptor = Descriptor::new(name, help, metric.metric_type())?.with_unit(unit)?;
        self.register_described(&descriptor, metric).map(drop)
    }

    /// Registers `metric` as `descriptor` (prefixed by this view) says; returns the
    /// family's full name.
    fn register_described(&self, descriptor: &Descriptor, metric: impl Register) -> Result<String> {
        let descriptor = descriptor
            .prefixed(&self.prefix)?
            .with_label_names(metric.label_names().iter().cloned())?;
        descriptor.check_names(self.validation)?;
        let const_names: Vec<&str> = self.const_pairs.iter().map(|(n, _)| &**n).collect();
        descriptor.check_with_constant_labels(&const_names, self.validation)?;

        let mut state = self.shared.write();
        let exposed = self.exposed_names(&descriptor);
        if let Some(((scheme, name), family)) = exposed
            .iter()
            .find_map(|n| state.exposed.get(n).map(|family| (n, family)))
        {
            let written = match scheme {
                Some(scheme) => format!(" (as {} writes it)", scheme.as_param()),
                None => String::new(),
            };
            let owner = match state.families.get(family).and_then(|entry| entry.owner) {
                Some(owner) => format!(" registered by {owner}"),
                None => String::new(),
            };
            return Err(Error::new(
                ErrorKind::AlreadyRegistered,
                format!(
                    "{name:?}{written} is taken by the family {family:?}{owner}; to share one \
                     metric between two registrations, use Registry::get_or_register"
                ),
            ));
        }
        let family = descriptor.name().to_owned();
        for name in exposed {
            state.exposed.insert(name, family.clone());
        }
        let entry = Entry {
            descriptor,
            const_labels: Arc::clone(&self.const_text),
            handle: Arc::new(metric.clone()),
            options: metric.options(),
            collect: Arc::from(metric.into_collect()),
            owner: self.owner,
        };
        state.families.insert(family.clone(), Arc::new(entry));
        Ok(family)
    }

    /// Starts registering several families as one step (see [`RegistrationBatch`]).
    pub fn batch(&self) -> RegistrationBatch<'_> {
        RegistrationBatch::new(self)
    }

    /// Whether `other` is a view of the same registry (shares its families).
    fn same_registry(&self, other: &Registry) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Removes the family with this full name, if it is there.
    fn remove_family(&self, family: &str) {
        let mut state = self.shared.write();
        if state.families.remove(family).is_some() {
            state.exposed.retain(|_, owner| owner != family);
        }
    }

    /// Every name `descriptor` exposes, and in a UTF-8 registry also as each escaping
    /// scheme writes it.
    fn exposed_names(&self, descriptor: &Descriptor) -> Vec<ExposedName> {
        let mut names: Vec<ExposedName> = descriptor.exposed_names().map(|n| (None, n)).collect();
        if self.validation == NameValidation::Utf8 {
            for scheme in ESCAPING_SCHEMES {
                names.extend(
                    descriptor
                        .exposed_names_escaped(scheme)
                        .map(|n| (Some(scheme), n)),
                );
            }
        }
        names
    }

    /// Removes the family registered as `name` through this view (with or without a
    /// counter's `_total` or an info's `_info` suffix).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotRegistered`] if no such family exists.
    pub fn unregister(&self, name: &str) -> Result<()> {
        let mut state = self.shared.write();
        let key = self.registered_family(&state, name)?;
        state.families.remove(&key);
        state.exposed.retain(|_, owner| *owner != key);
        Ok(())
    }

    /// Replaces the HELP text of the family registered as `name` through this view (with
    /// or without a counter's `_total` or an info's `_info` suffix), from the next scrape
    /// on. For descriptions that arrive after the metric is in use, as the `metrics`
    /// facade's `describe_*` calls may; the series and their values are untouched.
    ///
    /// ```
    /// # use prom_kit::{Counter, Registry};
    /// let registry = Registry::new();
    /// registry.register("jobs", "", Counter::new())?;
    /// registry.set_help("jobs_total", "Jobs run.")?;
    /// assert_eq!(
    ///     registry.encode_text()?,
    ///     "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 0\n"
    /// );
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotRegistered`] if no such family exists.
    pub fn set_help(&self, name: &str, help: &str) -> Result<()> {
        let mut state = self.shared.write();
        let key = self.registered_family(&state, name)?;
        if let Some(entry) = state.families.get_mut(&key) {
            let mut updated = Entry::clone(entry);
            updated.descriptor = updated.descriptor.with_help(help);
            *entry = Arc::new(updated);
        }
        Ok(())
    }

    /// The key in `families` of the family registered as `name` through this view.
    fn registered_family(&self, state: &State, name: &str) -> Result<String> {
        let full = if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}_{name}", self.prefix)
        };
        [
            Some(full.as_str()),
            full.strip_suffix("_total"),
            full.strip_suffix("_info"),
        ]
        .into_iter()
        .flatten()
        .find(|k| state.families.contains_key(*k))
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotRegistered,
                format!("no family {full:?} is registered through this view"),
            )
        })
    }

    /// Registers a [`Collector`], called at every scrape.
    pub fn register_collector(&self, collector: impl Collector) -> CollectorId {
        let mut state = self.shared.write();
        let id = state.take_collector_id();
        state.collectors.push(Arc::new(CollectorEntry {
            id,
            prefix: Arc::clone(&self.prefix),
            const_labels: Arc::clone(&self.const_text),
            collector: Box::new(collector),
        }));
        CollectorId(id)
    }

    /// Removes a collector; returns whether it was registered.
    pub fn unregister_collector(&self, id: CollectorId) -> bool {
        let mut state = self.shared.write();
        let before = state.collectors.len();
        state.collectors.retain(|c| c.id != id.0);
        let removed = state.collectors.len() != before;
        #[cfg(feature = "async")]
        let removed = {
            let before = state.async_collectors.len();
            state.async_collectors.retain(|c| c.id != id.0);
            removed || state.async_collectors.len() != before
        };
        removed
    }

    /// Whether OpenMetrics expositions carry `<name>_created` samples (the time each
    /// counter, histogram and summary series started); on by default, as in Python's
    /// client. Prometheus before 2.50 stores each of them as a series of its own, which
    /// nearly doubles the series of a counter-heavy target; Go's client leaves them out by
    /// default for that reason. Applies to this registry and every view of it
    /// ([`with_prefix`](Self::with_prefix), [`with_labels`](Self::with_labels)). The
    /// protobuf format always carries the created timestamps, as fields, not series.
    ///
    /// ```
    /// use prom_kit::{Counter, Format, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register("jobs", "Jobs run.", Counter::new())?;
    /// let openmetrics = || registry.render(Format::OpenMetrics).map(|b| String::from_utf8(b).unwrap());
    /// // The created timestamp is the time the counter was made: not known here.
    /// assert!(openmetrics()?.contains("\njobs_created "));
    /// registry.set_openmetrics_created(false);
    /// assert_eq!(
    ///     openmetrics()?,
    ///     "# HELP jobs Jobs run.\n# TYPE jobs counter\njobs_total 0\n# EOF\n"
    /// );
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn set_openmetrics_created(&self, enabled: bool) {
        self.shared.write().omit_created = !enabled;
    }

    /// Whether a registered family holds its overflow series (it has reached its
    /// `max_series`): what the scrape handler counts as a `series_overflow` error.
    #[cfg(feature = "scrape")]
    pub(crate) fn any_family_overflowed(&self) -> bool {
        let families: Vec<Arc<Entry>> = self.shared.read().families.values().cloned().collect();
        families.iter().any(|entry| entry.collect.overflowed())
    }
}
