//! [`Registry::get_or_register`]: register a metric, or get the handle already registered
//! under its name when it is the same metric (Go's `AlreadyRegisteredError` with its
//! `ExistingCollector`).

use super::{Register, Registry};
use crate::descriptor::Descriptor;
use crate::error::{Error, ErrorKind, Result};

impl Registry {
    /// Registers `metric` as the family `name` and returns it — or, when this view
    /// already has the family `name` with the same Rust type, help, label names,
    /// constant labels and options (bucket bounds, state names), returns a handle to the
    /// registered metric instead, so that two parts of a program (or two requests
    /// racing at start-up) share one.
    ///
    /// ```
    /// use prom_kit::{Buckets, Counter, ErrorKind, Family, Histogram, Registry};
    ///
    /// let registry = Registry::new();
    /// let first: Family<Counter> = registry.get_or_register(
    ///     "jobs", "Jobs run.", Family::new(["queue"])?,
    /// )?;
    /// first.labels(&["mail"])?.inc();
    /// let second: Family<Counter> = registry.get_or_register(
    ///     "jobs", "Jobs run.", Family::new(["queue"])?,
    /// )?;
    /// assert_eq!(second.labels(&["mail"])?.get(), 1.0, "the same family");
    ///
    /// // The same name as something else is still an error.
    /// let other = registry.get_or_register("jobs", "Jobs run.", Family::<Counter>::new(["kind"])?);
    /// assert_eq!(other.unwrap_err().kind(), ErrorKind::AlreadyRegistered);
    /// let latency = Histogram::new(Buckets::new([0.1, 1.0])?);
    /// registry.get_or_register("latency", "Latency.", latency)?;
    /// let rebucketed = Histogram::new(Buckets::new([0.5])?);
    /// let clash = registry.get_or_register("latency", "Latency.", rebucketed);
    /// assert_eq!(clash.unwrap_err().kind(), ErrorKind::AlreadyRegistered);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`register`](Self::register); [`ErrorKind::AlreadyRegistered`] names what
    /// differs when the family exists but is not the same metric.
    pub fn get_or_register<M: Register>(&self, name: &str, help: &str, metric: M) -> Result<M> {
        let descriptor = Descriptor::new(name, help, metric.metric_type())?;
        self.get_or_register_described(&descriptor, metric)
    }

    /// [`get_or_register`](Self::get_or_register) with a unit (see
    /// [`register_with_unit`](Self::register_with_unit)).
    ///
    /// # Errors
    ///
    /// As [`get_or_register`](Self::get_or_register), and
    /// [`ErrorKind::InvalidUnit`].
    pub fn get_or_register_with_unit<M: Register>(
        &self,
        name: &str,
        help: &str,
        unit: &str,
        metric: M,
    ) -> Result<M> {
        let descriptor = Descriptor::new(name, help, metric.metric_type())?.with_unit(unit)?;
        self.get_or_register_described(&descriptor, metric)
    }

    fn get_or_register_described<M: Register>(
        &self,
        descriptor: &Descriptor,
        metric: M,
    ) -> Result<M> {
        // Twice at most: a registration that loses a race finds the winner's metric.
        for _ in 0..2 {
            if let Some(existing) = self.registered_like(descriptor, &metric)? {
                return Ok(existing);
            }
            match self.register_described(descriptor, metric.clone()) {
                Err(error) if error.kind() == ErrorKind::AlreadyRegistered => {}
                registered => return registered.map(|_| metric),
            }
        }
        self.registered_like(descriptor, &metric)?.ok_or_else(|| {
            Error::new(
                ErrorKind::AlreadyRegistered,
                format!(
                    "{:?} was registered and unregistered again while this registration ran",
                    descriptor.name()
                ),
            )
        })
    }

    /// The metric registered as `descriptor` names it, if it is the same as `metric`;
    /// `None` if nothing is registered under that name; an error if something else is.
    fn registered_like<M: Register>(
        &self,
        descriptor: &Descriptor,
        metric: &M,
    ) -> Result<Option<M>> {
        let full = descriptor
            .prefixed(&self.prefix)?
            .with_label_names(metric.label_names().iter().cloned())?;
        let state = self.shared.read();
        let Some(entry) = state.families.get(full.name()) else {
            return Ok(None);
        };
        let differs = if entry.descriptor != full {
            Some("its help, unit, type or label names differ")
        } else if entry.const_labels != self.const_text {
            Some("it was registered through a view with other constant labels")
        } else if entry.options != metric.options() {
            Some("its options (buckets, states) differ")
        } else {
            None
        };
        match (differs, entry.handle.downcast_ref::<M>()) {
            (None, Some(existing)) => Ok(Some(existing.clone())),
            (differs, _) => Err(Error::new(
                ErrorKind::AlreadyRegistered,
                format!(
                    "{:?} is registered as another metric{}: {}",
                    full.name(),
                    entry
                        .owner
                        .map_or_else(String::new, |owner| format!(" by {owner}")),
                    differs.unwrap_or("its Rust type differs")
                ),
            )),
        }
    }
}
