//! [`RegistryScope`]: the prefix and constant labels a metric-set builder puts its
//! families under, shared by the HTTP, gRPC and HTTP client builders.

use crate::Registry;
use crate::error::Result;

/// A prefix for every metric name and constant labels on every series, applied to a
/// registry view when a metric set is built.
#[derive(Debug, Default)]
pub(crate) struct RegistryScope {
    prefix: Option<String>,
    const_labels: Vec<(String, String)>,
}

impl RegistryScope {
    /// Sets the prefix.
    pub(crate) fn set_prefix(&mut self, prefix: &str) {
        self.prefix = Some(prefix.to_owned());
    }

    /// Adds a constant label.
    pub(crate) fn add_label(&mut self, name: &str, value: &str) {
        self.const_labels.push((name.to_owned(), value.to_owned()));
    }

    /// The view of `registry` the metric set `owner` (`HttpMetrics`) registers in, which
    /// a clash with one of its families names.
    ///
    /// # Errors
    ///
    /// An invalid prefix or constant label; `registry` is unchanged either way.
    pub(crate) fn apply(&self, registry: &Registry, owner: &'static str) -> Result<Registry> {
        let mut registry = registry.owned_by(owner);
        if let Some(prefix) = &self.prefix {
            registry = registry.with_prefix(prefix)?;
        }
        if !self.const_labels.is_empty() {
            registry = registry.with_labels(
                self.const_labels
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str())),
            )?;
        }
        Ok(registry)
    }
}
