//! [`StateSet`]: a set of named boolean states.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{MAX_STATES, Metric, MetricType};
use crate::error::{Error, ErrorKind, Result};
use crate::snapshot::{Scratch, Snapshot, StateSetSnapshot};

/// A state set: a fixed list of named states, each on or off, exposed as one series per
/// state labelled with the family's own name (`mode{mode="idle"} 1`).
///
/// Use [`set`](Self::set) for "exactly one state is active" (an enum) and
/// [`set_active`](Self::set_active) to switch states independently (flags).
///
/// ```
/// use prom_kit::{Registry, StateSet};
///
/// let registry = Registry::new();
/// let mode = StateSet::new(["idle", "busy"])?;
/// registry.register("mode", "Worker mode.", mode.clone())?;
/// mode.set("busy")?;
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP mode Worker mode.
/// ## TYPE mode gauge
/// mode{mode=\"idle\"} 0
/// mode{mode=\"busy\"} 1
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct StateSet {
    states: Arc<[Box<str>]>,
    active: Arc<AtomicU64>,
}

impl StateSet {
    /// Changes with every change of state (see `Sealed::activity`).
    pub(crate) fn activity(&self) -> u64 {
        self.active.load(Ordering::Relaxed)
    }

    /// Whether another handle refers to this state set.
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.active) > 1
    }

    /// Creates a state set with every state off.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`] if there are no states, more than [`MAX_STATES`], or a
    /// state name repeats.
    pub fn new<S: Into<Box<str>>>(states: impl IntoIterator<Item = S>) -> Result<Self> {
        let states: Vec<Box<str>> = states.into_iter().map(Into::into).collect();
        if states.is_empty() || states.len() > MAX_STATES {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "a state set needs 1 to {MAX_STATES} states, got {}",
                    states.len()
                ),
            ));
        }
        for (i, state) in states.iter().enumerate() {
            if states[..i].contains(state) {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("state {state:?} listed twice"),
                ));
            }
        }
        Ok(Self {
            states: states.into(),
            active: Arc::new(AtomicU64::new(0)),
        })
    }

    fn bit(&self, state: &str) -> Result<u64> {
        self.states
            .iter()
            .position(|s| &**s == state)
            .map(|i| 1 << i)
            .ok_or_else(|| Error::new(ErrorKind::InvalidValue, format!("unknown state {state:?}")))
    }

    /// Makes `state` the only active state.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`] if `state` is not one of the states.
    pub fn set(&self, state: &str) -> Result<()> {
        let bit = self.bit(state)?;
        self.active.store(bit, Ordering::Relaxed);
        Ok(())
    }

    /// Turns one state on or off, leaving the others as they are.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`] if `state` is not one of the states.
    pub fn set_active(&self, state: &str, active: bool) -> Result<()> {
        let bit = self.bit(state)?;
        if active {
            self.active.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.active.fetch_and(!bit, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Whether `state` is active (`false` for unknown states).
    pub fn is_active(&self, state: &str) -> bool {
        self.bit(state)
            .is_ok_and(|bit| self.active.load(Ordering::Relaxed) & bit != 0)
    }

    /// The state names, in declaration order.
    pub fn states(&self) -> &[Box<str>] {
        &self.states
    }
}

/// The state names a family of state sets gives each child.
#[derive(Clone, Debug, Default)]
pub struct StateNames(pub(crate) Option<StateSet>);

impl Metric for StateSet {
    const TYPE: MetricType = MetricType::StateSet;
    type Options = StateNames;

    fn from_options(options: &StateNames) -> Self {
        match &options.0 {
            Some(template) => Self {
                states: Arc::clone(&template.states),
                active: Arc::new(AtomicU64::new(0)),
            },
            None => Self {
                states: Arc::from(Vec::new()),
                active: Arc::new(AtomicU64::new(0)),
            },
        }
    }

    fn check_options(options: &StateNames) -> Result<()> {
        if options.0.is_some() {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::InvalidValue,
                "a state set family needs its state names: .options(StateNames::from_template(&set))",
            ))
        }
    }

    fn reset(&self) {
        self.active.store(0, Ordering::Relaxed);
    }

    fn snapshot<'a>(&'a self, _scratch: &'a mut Scratch) -> Snapshot<'a> {
        Snapshot::StateSet(StateSetSnapshot {
            states: &self.states,
            active: self.active.load(Ordering::Relaxed),
        })
    }
}

impl StateNames {
    /// The state names every child of a state set family gets, taken from `template`.
    pub fn from_template(template: &StateSet) -> Self {
        Self(Some(template.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_and_flags() {
        let s = StateSet::new(["a", "b", "c"]).unwrap();
        s.set("b").unwrap();
        assert!(s.is_active("b") && !s.is_active("a"));
        s.set_active("c", true).unwrap();
        assert!(s.is_active("b") && s.is_active("c"));
        s.set_active("b", false).unwrap();
        assert!(!s.is_active("b") && s.is_active("c"));
        s.set("a").unwrap();
        assert!(s.is_active("a") && !s.is_active("c"));
        assert_eq!(s.set("zzz").unwrap_err().kind(), ErrorKind::InvalidValue);
    }

    #[test]
    fn families_need_state_names() {
        let err = crate::Family::<StateSet>::new(["host"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        let template = StateSet::new(["up", "down"]).unwrap();
        let family = crate::Family::<StateSet>::builder(["host"])
            .options(StateNames::from_template(&template))
            .build()
            .unwrap();
        let child = family.labels(&["a"]).unwrap();
        child.set("down").unwrap();
        assert_eq!(child.states().len(), 2);
        assert!(
            !template.is_active("down"),
            "children do not share the template's state"
        );
    }

    #[test]
    fn rejects_bad_state_lists() {
        assert!(StateSet::new(Vec::<String>::new()).is_err());
        assert!(StateSet::new(["a", "a"]).is_err());
        assert!(StateSet::new((0..65).map(|i| i.to_string())).is_err());
        assert!(StateSet::new((0..64).map(|i| i.to_string())).is_ok());
    }
}
