//! [`RegistrationBatch`]: registering several families as one step.

use super::{Register, Registry};
use crate::descriptor::Descriptor;
use crate::error::Result;

/// Registers families one by one as one step: unless [`commit`](Self::commit)ted, the
/// ones registered so far are unregistered again when the batch is dropped, so an error
/// part-way through (a name already taken) leaves the registry as it was. Made by
/// [`Registry::batch`]; `#[derive(Metrics)]` registers through one.
///
/// ```
/// use prom_kit::{Counter, ErrorKind, Gauge, Registry};
///
/// let registry = Registry::new();
/// registry.register("taken", "Taken.", Gauge::new())?;
/// let mut batch = registry.batch();
/// batch.register("jobs", "Jobs.", Counter::new())?;
/// let error = batch.register("taken", "Oops.", Gauge::new()).unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::AlreadyRegistered);
/// drop(batch); // not committed: `jobs` goes again
/// assert_eq!(registry.encode_text()?, "# HELP taken Taken.\n# TYPE taken gauge\ntaken 0\n");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a batch unregisters everything it registered unless committed"]
pub struct RegistrationBatch<'a> {
    registry: &'a Registry,
    /// The families registered so far, by their full names.
    families: Vec<String>,
}

impl<'a> RegistrationBatch<'a> {
    pub(super) fn new(registry: &'a Registry) -> Self {
        Self {
            registry,
            families: Vec::new(),
        }
    }

    /// Registers `metric` as the family `name` (see [`Registry::register`]).
    ///
    /// # Errors
    ///
    /// As [`Registry::register`]; the batch's earlier registrations stay until it is
    /// dropped or committed.
    pub fn register(&mut self, name: &str, help: &str, metric: impl Register) -> Result<()> {
        let descriptor = Descriptor::new(name, help, metric.metric_type())?;
        self.add(&descriptor, metric)
    }

    /// Registers `metric` as the family `name` with a unit (see
    /// [`Registry::register_with_unit`]).
    ///
    /// # Errors
    ///
    /// As [`Registry::register_with_unit`].
    pub fn register_with_unit(
        &mut self,
        name: &str,
        help: &str,
        unit: &str,
        metric: impl Register,
    ) -> Result<()> {
        let descriptor = Descriptor::new(name, help, metric.metric_type())?.with_unit(unit)?;
        self.add(&descriptor, metric)
    }

    /// Registers `metric` through `view` — another view of the batch's registry (a
    /// prefix, constant labels) — undone with the rest unless committed.
    ///
    /// ```
    /// use prom_kit::{Gauge, Registry};
    ///
    /// let registry = Registry::new();
    /// let mut batch = registry.batch();
    /// let primary = registry.with_labels([("pool", "primary")])?;
    /// batch.register_through(&primary, "connections", "Open connections.", None, Gauge::new())?;
    /// batch.commit();
    /// assert_eq!(registry.encode_text()?, "\
    /// ## HELP connections Open connections.
    /// ## TYPE connections gauge
    /// connections{pool=\"primary\"} 0
    /// ");
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`register`](Self::register) (or
    /// [`register_with_unit`](Self::register_with_unit) with a unit), and
    /// [`ErrorKind::InvalidValue`](crate::ErrorKind::InvalidValue) if `view` is not a view
    /// of the batch's registry.
    pub fn register_through(
        &mut self,
        view: &Registry,
        name: &str,
        help: &str,
        unit: Option<&str>,
        metric: impl Register,
    ) -> Result<()> {
        if !self.registry.same_registry(view) {
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidValue,
                "the view belongs to another registry than the batch",
            ));
        }
        let mut descriptor = Descriptor::new(name, help, metric.metric_type())?;
        if let Some(unit) = unit {
            descriptor = descriptor.with_unit(unit)?;
        }
        let family = view.register_described(&descriptor, metric)?;
        self.families.push(family);
        Ok(())
    }

    fn add(&mut self, descriptor: &Descriptor, metric: impl Register) -> Result<()> {
        let family = self.registry.register_described(descriptor, metric)?;
        self.families.push(family);
        Ok(())
    }

    /// Keeps everything registered.
    pub fn commit(mut self) {
        self.families.clear();
    }
}

impl Drop for RegistrationBatch<'_> {
    fn drop(&mut self) {
        for family in &self.families {
            self.registry.remove_family(family);
        }
    }
}
