//! A registry filled with arbitrary names, help texts, units, label values, float
//! values, exemplars, state sets, info pairs and collector output, encoded in every
//! format: never a panic; every text exposition reads back with the strict reader (even
//! when encoding reported an error); every label value of a live series round-trips;
//! the protobuf exposition decodes with prost and passes Prometheus' checks.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use prom_kit::metrics::{HistogramConfig, NativeBuckets};
use prom_kit::snapshot::{CounterSnapshot, HistogramSnapshot, Number, Snapshot, StateSetSnapshot};
use prom_kit::{
    Buckets, Collector, CollectorOutput, CompactFamily, Counter, Descriptor, Family, Format, Gauge,
    Histogram, Info, MetricType, Registry, StateSet, Summary,
};
use prom_kit_fuzz::{Name, read_exposition, read_protobuf};

#[derive(Debug, Arbitrary, Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    CompactCounter,
    CompactGauge,
}

#[derive(Debug, Arbitrary)]
struct FamilyDef<'a> {
    name: Name,
    help: &'a str,
    unit: Option<Name>,
    kind: Kind,
    labels: Vec<Name>,
    prefix: Option<Name>,
    constant: Option<(Name, &'a str)>,
    max_series: Option<u8>,
}

#[derive(Debug, Arbitrary)]
enum Op<'a> {
    Define(FamilyDef<'a>),
    Update {
        family: u8,
        values: Vec<&'a str>,
        amount: f64,
        exemplar: Option<Vec<(Name, &'a str)>>,
    },
    Remove {
        family: u8,
        values: Vec<&'a str>,
    },
    StateSet {
        name: Name,
        states: Vec<&'a str>,
        active: &'a str,
    },
    Info {
        name: Name,
        pairs: Vec<(Name, &'a str)>,
    },
    Collector(CollectorDef),
}

/// A collector's output, owned so that the collector can keep it.
#[derive(Debug, Arbitrary, Clone)]
struct CollectorDef {
    name: Name,
    help: String,
    kind: u8,
    labels: Vec<Name>,
    prefix: Option<Name>,
    constant: Option<(Name, String)>,
    series: Vec<CollectedSeries>,
}

#[derive(Debug, Arbitrary, Clone)]
struct CollectedSeries {
    values: Vec<String>,
    number: f64,
    counts: Vec<u64>,
    bounds: Vec<f64>,
    text: String,
    states: Vec<String>,
    active: u64,
}

impl Collector for CollectorDef {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let kind = [
            MetricType::Counter,
            MetricType::Gauge,
            MetricType::Histogram,
            MetricType::Info,
            MetricType::StateSet,
            MetricType::Unknown,
        ][usize::from(self.kind % 6)];
        let descriptor = Descriptor::new(&self.name.0, &self.help, kind)?
            .with_label_names(self.labels.iter().map(|n| n.0.as_str()))?;
        let mut family = out.family(&descriptor);
        for series in &self.series {
            let states: Vec<Box<str>> = series.states.iter().map(|s| s.as_str().into()).collect();
            let snapshot = match kind {
                MetricType::Counter => Snapshot::Counter(CounterSnapshot {
                    total: Number::Float(series.number),
                    created: None,
                    exemplar: None,
                }),
                MetricType::Gauge => Snapshot::Gauge(Number::Float(series.number)),
                MetricType::Histogram => Snapshot::Histogram(HistogramSnapshot {
                    bounds: &series.bounds,
                    counts: &series.counts,
                    sum: series.number,
                    created: None,
                    exemplars: &[],
                    native: None,
                }),
                MetricType::Info => Snapshot::Info(&series.text),
                MetricType::StateSet => Snapshot::StateSet(StateSetSnapshot {
                    states: &states,
                    active: series.active,
                }),
                _ => Snapshot::Unknown(Number::Float(series.number)),
            };
            // Errors refuse the series; some collectors go on, some give up.
            if family.series(&series.values[..], snapshot).is_err() && series.active % 2 == 0 {
                return Err(prom_kit::Error::new(
                    prom_kit::ErrorKind::Collect,
                    "gave up",
                ));
            }
        }
        Ok(())
    }
}

/// A registered family and the label values of its live series.
enum Registered {
    Counter(Family<Counter>),
    Gauge(Family<Gauge>),
    Histogram(Family<Histogram>),
    Summary(Family<Summary>),
    CompactCounter(CompactFamily<Counter>),
    CompactGauge(CompactFamily<Gauge>),
}

struct Tracked {
    family: Registered,
    label_names: Vec<String>,
    /// The full exposed family name (prefix included).
    name: String,
    live: BTreeSet<Vec<String>>,
    limited: bool,
}

/// A view of `registry` with the prefix and constant label, if they are valid.
fn view(
    registry: &Registry,
    prefix: Option<&str>,
    constant: Option<(&str, &str)>,
) -> Option<Registry> {
    let mut view = registry.clone();
    if let Some(prefix) = prefix {
        view = view.with_prefix(prefix).ok()?;
    }
    if let Some(pair) = constant {
        view = view.with_labels([pair]).ok()?;
    }
    Some(view)
}

fn define(registry: &Registry, def: &FamilyDef<'_>) -> Option<Tracked> {
    let prefix = def.prefix.as_ref().map(|p| p.0.as_str());
    let view = view(
        registry,
        prefix,
        def.constant.as_ref().map(|(n, v)| (n.0.as_str(), *v)),
    )?;
    let names = def.labels.iter().map(|n| n.0.as_str());
    let def_name = def.name.0.as_str();
    let def_unit = def.unit.as_ref().map(|u| u.0.as_str());
    // Builds `$builder` (a `Family` or `CompactFamily` builder) with the definition's limit
    // and registers it under the definition's name and unit.
    macro_rules! registered {
        ($builder:expr, $variant:ident) => {{
            let mut builder = $builder;
            if let Some(limit) = def.max_series {
                builder = builder.max_series(usize::from(limit));
            }
            let family = builder.build().ok()?;
            let registered = match def_unit {
                Some(unit) => view.register_with_unit(def_name, def.help, unit, family.clone()),
                None => view.register(def_name, def.help, family.clone()),
            };
            registered.ok()?;
            Registered::$variant(family)
        }};
    }
    macro_rules! family {
        ($metric:ty, $variant:ident, $options:expr) => {
            registered!(
                Family::<$metric>::builder(names).options($options),
                $variant
            )
        };
    }
    macro_rules! compact {
        ($metric:ty, $variant:ident) => {
            registered!(CompactFamily::<$metric>::builder(names), $variant)
        };
    }
    let family = match def.kind {
        Kind::Counter => family!(Counter, Counter, ()),
        Kind::Gauge => family!(Gauge, Gauge, ()),
        Kind::Histogram => family!(
            Histogram,
            Histogram,
            HistogramConfig::both(
                Buckets::new([0.5, 1.0, 10.0]).ok()?,
                NativeBuckets::new(1.1).ok()?
            )
        ),
        Kind::Summary => family!(Summary, Summary, ()),
        Kind::CompactCounter => compact!(Counter, CompactCounter),
        Kind::CompactGauge => compact!(Gauge, CompactGauge),
    };
    let mut name = def_name.to_owned();
    if matches!(def.kind, Kind::Counter | Kind::CompactCounter) && name.len() > "_total".len() {
        name = name.strip_suffix("_total").unwrap_or(&name).to_owned();
    }
    if let Some(unit) = def_unit {
        if !name.ends_with(&format!("_{unit}")) {
            name = format!("{name}_{unit}");
        }
    }
    if let Some(prefix) = prefix {
        name = format!("{prefix}_{name}");
    }
    Some(Tracked {
        family,
        label_names: def.labels.iter().map(|n| n.0.clone()).collect(),
        name,
        live: BTreeSet::new(),
        limited: def.max_series.is_some(),
    })
}

fn update(tracked: &mut Tracked, values: &[&str], amount: f64, exemplar: Option<&[(&str, &str)]>) {
    let ok = match &tracked.family {
        Registered::Counter(f) => f.labels(values).is_ok_and(|c| {
            let _ = c.inc_by_f64(amount);
            if let Some(exemplar) = exemplar {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "any integer amount will do: the fuzzer picks the float"
                )]
                let _ = c.inc_by_with_exemplar(amount as u64, exemplar);
            }
            true
        }),
        Registered::Gauge(f) => f.labels(values).is_ok_and(|g| {
            g.set(amount);
            true
        }),
        Registered::Histogram(f) => f.labels(values).is_ok_and(|h| {
            match exemplar {
                Some(exemplar) => {
                    let _ = h.observe_with_exemplar(amount, exemplar);
                }
                None => h.observe(amount),
            }
            true
        }),
        Registered::Summary(f) => f.labels(values).is_ok_and(|s| {
            s.observe(amount);
            true
        }),
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "any whole amount will do: the fuzzer picks the float"
        )]
        Registered::CompactCounter(f) => f.inc_by(values, amount as u64).is_ok(),
        Registered::CompactGauge(f) => f.set(values, amount).is_ok(),
    };
    if ok {
        tracked
            .live
            .insert(values.iter().map(|s| (*s).to_owned()).collect());
    }
}

fn remove(tracked: &mut Tracked, values: &[&str]) {
    let removed = match &tracked.family {
        Registered::Counter(f) => f.remove(values),
        Registered::Gauge(f) => f.remove(values),
        Registered::Histogram(f) => f.remove(values),
        Registered::Summary(f) => f.remove(values),
        Registered::CompactCounter(f) => f.remove(values),
        Registered::CompactGauge(f) => f.remove(values),
    };
    if removed.is_ok_and(|r| r) {
        let key: Vec<String> = values.iter().map(|s| (*s).to_owned()).collect();
        tracked.live.remove(&key);
    }
}

fuzz_target!(|ops: Vec<Op<'_>>| {
    let registry = Registry::new();
    let mut families: Vec<Tracked> = Vec::new();
    for op in ops.iter().take(64) {
        match op {
            Op::Define(def) => families.extend(define(&registry, def)),
            Op::Update {
                family,
                values,
                amount,
                exemplar,
            } => {
                if let Some(tracked) = families.get_mut(usize::from(*family)) {
                    let exemplar: Option<Vec<(&str, &str)>> = exemplar
                        .as_ref()
                        .map(|pairs| pairs.iter().map(|(n, v)| (n.0.as_str(), *v)).collect());
                    update(tracked, values, *amount, exemplar.as_deref());
                }
            }
            Op::Remove { family, values } => {
                if let Some(tracked) = families.get_mut(usize::from(*family)) {
                    remove(tracked, values);
                }
            }
            Op::StateSet {
                name,
                states,
                active,
            } => {
                if let Ok(set) = StateSet::new(states.iter().copied()) {
                    let _ = set.set(active);
                    let _ = registry.register(&name.0, "", set);
                }
            }
            Op::Info { name, pairs } => {
                if let Ok(info) = Info::new(pairs.iter().map(|(n, v)| (n.0.as_str(), *v))) {
                    let _ = registry.register(&name.0, "", info);
                }
            }
            Op::Collector(def) => {
                if let Some(view) = view(
                    &registry,
                    def.prefix.as_ref().map(|p| p.0.as_str()),
                    def.constant
                        .as_ref()
                        .map(|(n, v)| (n.0.as_str(), v.as_str())),
                ) {
                    view.register_collector(def.clone());
                }
            }
        }
    }

    for format in [Format::Text, Format::OpenMetrics] {
        let mut out = Vec::new();
        let _ = registry.encode(format, &mut out);
        let text = std::str::from_utf8(&out).expect("UTF-8 exposition");
        let samples = read_exposition(text, format == Format::OpenMetrics)
            .unwrap_or_else(|e| panic!("{format:?}: {e}\n{text}"));
        // Every live series of a registered family is exposed with its exact values.
        for tracked in families.iter().filter(|t| !t.limited) {
            for values in &tracked.live {
                let wanted: BTreeMap<&str, &str> = tracked
                    .label_names
                    .iter()
                    .map(String::as_str)
                    .zip(values.iter().map(String::as_str))
                    .collect();
                let found = samples.iter().any(|s| {
                    s.name.starts_with(&tracked.name)
                        && wanted
                            .iter()
                            .all(|(n, v)| s.labels.get(*n).map(String::as_str) == Some(*v))
                });
                assert!(
                    found,
                    "{format:?}: series {wanted:?} of {} missing\n{text}",
                    tracked.name
                );
            }
        }
    }
    let mut out = Vec::new();
    let _ = registry.encode(Format::Protobuf, &mut out);
    read_protobuf(&out).unwrap_or_else(|e| panic!("protobuf: {e}"));
});
