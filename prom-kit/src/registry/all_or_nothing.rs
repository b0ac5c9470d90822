//! [`RegisterAll`]: registering several families as one step.

use super::{Register, Registry};
use crate::error::Result;

/// Registers families one by one; unless [`commit`](Self::commit)ted, the ones registered
/// so far are unregistered again when it is dropped (an error part-way through leaves
/// the registry as it was).
pub(crate) struct RegisterAll<'a> {
    registry: &'a Registry,
    names: Vec<String>,
}

impl<'a> RegisterAll<'a> {
    pub(crate) fn new(registry: &'a Registry) -> Self {
        Self {
            registry,
            names: Vec::new(),
        }
    }

    /// Registers `metric` as `name` (with `unit`, if any).
    pub(crate) fn add(
        &mut self,
        name: &str,
        unit: Option<&str>,
        help: &str,
        metric: impl Register,
    ) -> Result<()> {
        match unit {
            Some(unit) => self.registry.register_with_unit(name, help, unit, metric)?,
            None => self.registry.register(name, help, metric)?,
        }
        self.names
            .push(unit.map_or_else(|| name.to_owned(), |unit| format!("{name}_{unit}")));
        Ok(())
    }

    /// Keeps everything registered.
    pub(crate) fn commit(mut self) {
        self.names.clear();
    }
}

impl Drop for RegisterAll<'_> {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = self.registry.unregister(name);
        }
    }
}
