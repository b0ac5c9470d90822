//! Facade calls the registry cannot take: why, and how each is reported — the counter
//! `prom_kit_facade_errors_total{cause}` and one log line per metric and cause.

use std::collections::HashMap;
use std::sync::OnceLock;

use parking_lot::RwLock;
use prom_kit::{Counter, ErrorKind, Family, Registry};

/// Why a facade call was refused (its handle then does nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Cause {
    /// The name is no valid metric name (empty).
    Name,
    /// The name is taken in the registry: by a metric registered natively, or by a facade
    /// metric whose exposed names clash with it.
    NameTaken,
    /// The facade name was first used as another metric type.
    Type,
    /// A label name is empty, reserved (`le` on a histogram) or repeated once sanitised.
    LabelName,
    /// The key's label names differ from those the metric was first used with.
    LabelNames,
}

impl Cause {
    /// The value of the error counter's `cause` label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::NameTaken => "name_taken",
            Self::Type => "type",
            Self::LabelName => "label_name",
            Self::LabelNames => "label_names",
        }
    }

    /// The cause of a registry or family error.
    pub(crate) fn of(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::AlreadyRegistered | ErrorKind::LabelClash => Self::NameTaken,
            ErrorKind::InvalidLabelName
            | ErrorKind::ReservedLabelName
            | ErrorKind::DuplicateLabelName
            | ErrorKind::LabelCount => Self::LabelName,
            _ => Self::Name,
        }
    }
}

/// Reports the first refusal of each metric and cause: counted once, logged once.
#[derive(Debug)]
pub(crate) struct Refusals {
    registry: Registry,
    /// `prom_kit_facade_errors_total`, registered at the first refusal (every cause at
    /// zero then), so that a registry with no refusal shows no empty family.
    errors: OnceLock<Option<Family<Counter>>>,
    /// The causes reported for each facade name, as bits (`1 << cause`).
    reported: RwLock<HashMap<String, u8>>,
}

/// How many facade names the reports are remembered for; past that, a refused call of
/// another name is counted at each call and not logged, so that a dependency making
/// names without bound cannot grow this map without bound.
const MAX_REMEMBERED: usize = 1_000;

const CAUSES: [Cause; 5] = [
    Cause::Name,
    Cause::NameTaken,
    Cause::Type,
    Cause::LabelName,
    Cause::LabelNames,
];

impl Refusals {
    pub(crate) fn new(registry: &Registry) -> Self {
        Self {
            registry: registry.clone(),
            errors: OnceLock::new(),
            reported: RwLock::new(HashMap::new()),
        }
    }

    fn errors(&self) -> Option<&Family<Counter>> {
        self.errors
            .get_or_init(|| {
                // Shared by every recorder writing into this registry.
                let errors = Family::new(["cause"]).and_then(|family| {
                    self.registry.get_or_register(
                        "prom_kit_facade_errors",
                        "Calls of the `metrics` facade refused, by cause (the call's handle does nothing).",
                        family,
                    )
                });
                match errors {
                    Ok(errors) => {
                        for cause in CAUSES {
                            let _ = errors.labels(&[cause.label()]);
                        }
                        Some(errors)
                    }
                    Err(error) => {
                        eprintln!(
                            "prom-kit-metrics: cannot register prom_kit_facade_errors_total: {error}"
                        );
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Reports that a call of the facade metric `name` was refused for `cause`, `why`
    /// saying why: the first time for this name and cause, the error counter counts it
    /// and a line is logged; later, nothing (a refused call costs two lookups under read
    /// locks, and formats nothing).
    pub(crate) fn report(&self, name: &str, cause: Cause, why: &dyn std::fmt::Display) {
        let bit = 1u8 << (cause as u8);
        if self
            .reported
            .read()
            .get(name)
            .is_some_and(|bits| bits & bit != 0)
        {
            return;
        }
        let first = {
            let mut reported = self.reported.write();
            if let Some(bits) = reported.get_mut(name) {
                let first = *bits & bit == 0;
                *bits |= bit;
                first
            } else if reported.len() < MAX_REMEMBERED {
                reported.insert(name.to_owned(), bit);
                true
            } else {
                if let Some(counter) = self.errors().and_then(|e| e.labels(&[cause.label()]).ok()) {
                    counter.inc();
                }
                return;
            }
        };
        if first {
            if let Some(counter) = self.errors().and_then(|e| e.labels(&[cause.label()]).ok()) {
                counter.inc();
            }
            eprintln!(
                "prom-kit-metrics: facade metric {name:?} refused ({}): {why}; its calls do nothing",
                cause.label()
            );
        }
    }
}
