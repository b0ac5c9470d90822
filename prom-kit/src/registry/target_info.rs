//! `target_info`: the one info metric that describes the monitored target itself — the
//! place OpenTelemetry resource attributes go (`service.name`, `service.version`, …) in
//! Prometheus, and what the `info()` function of `PromQL` joins on.

use std::sync::Arc;

use super::Registry;
use crate::encoding::EscapingScheme;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::Info;
use crate::name::NameValidation;

/// The family name of `target_info` (an info family named `target`, as OpenMetrics
/// defines it).
pub(super) const TARGET_FAMILY: &str = "target";

impl Registry {
    /// Sets the target's attributes, exposed first in every scrape as one
    /// `target_info{…} 1` series (type `info` in OpenMetrics), as OpenMetrics and the
    /// OpenTelemetry–Prometheus compatibility rules describe; calling it again replaces
    /// them, and no attributes remove it. It belongs to the whole registry: no view's
    /// prefix or constant labels apply.
    ///
    /// A registry in [`NameValidation::Utf8`] keeps the attribute names as they are
    /// (`service.name`, escaped for scrapers without UTF-8); a legacy registry writes
    /// them with underscores (`service_name`), the OpenTelemetry rule.
    ///
    /// ```
    /// use prom_kit::encoding::EscapingScheme;
    /// use prom_kit::{Counter, EncodeOptions, Format, NameValidation, Registry};
    ///
    /// let registry = Registry::with_name_validation(NameValidation::Utf8);
    /// registry.register("jobs", "Jobs.", Counter::new())?;
    /// registry.set_openmetrics_created(false);
    /// registry.set_target_info([("service.name", "shop"), ("service.version", "1.4.2")])?;
    /// let options = EncodeOptions::new(Format::OpenMetrics).escaping(EscapingScheme::AllowUtf8);
    /// assert_eq!(String::from_utf8(registry.render(options)?).unwrap(), "\
    /// ## HELP target Target metadata.
    /// ## TYPE target info
    /// target_info{\"service.name\"=\"shop\",\"service.version\"=\"1.4.2\"} 1
    /// ## HELP jobs Jobs.
    /// ## TYPE jobs counter
    /// jobs_total 0
    /// ## EOF
    /// ");
    ///
    /// let legacy = Registry::new();
    /// legacy.set_target_info([("service.name", "shop")])?;
    /// assert_eq!(legacy.encode_text()?, "\
    /// ## HELP target_info Target metadata.
    /// ## TYPE target_info gauge
    /// target_info{service_name=\"shop\"} 1
    /// ");
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidLabelName`] for an empty attribute name,
    ///   [`ErrorKind::ReservedLabelName`] for one starting with `__` (in a UTF-8
    ///   registry also once escaped: `1x` is `__x` with `dots`);
    /// - [`ErrorKind::DuplicateLabelName`] for a name given twice (also once escaped:
    ///   `a.b` and `a_b` in a legacy registry);
    /// - [`ErrorKind::AlreadyRegistered`] if a family of the registry's own already uses
    ///   the name `target` or `target_info`.
    ///
    /// On error the target's attributes are unchanged.
    pub fn set_target_info<'a>(
        &self,
        attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<()> {
        let attributes: Vec<(String, &str)> = attributes
            .into_iter()
            .map(|(name, value)| {
                let name = match self.validation {
                    NameValidation::Utf8 => name.to_owned(),
                    // Escape only what needs it, so that an empty name stays an error.
                    _ if name.is_empty() => String::new(),
                    _ => EscapingScheme::Underscores
                        .escape_label_name(name)
                        .into_owned(),
                };
                (name, value)
            })
            .collect();
        let info = if attributes.is_empty() {
            None
        } else {
            Some(Info::new(attributes.iter().map(|(n, v)| (n.as_str(), *v)))?)
        };
        let root = Self {
            prefix: Arc::from(""),
            const_pairs: Arc::from(Vec::new()),
            const_text: Arc::from(""),
            ..self.clone()
        };
        {
            let state = self.shared.read();
            if !state.target_info && state.families.contains_key(TARGET_FAMILY) {
                return Err(Error::new(
                    ErrorKind::AlreadyRegistered,
                    "the family \"target\" is the registry's own, not target_info",
                ));
            }
        }
        // Checked above: the only `target` family is the one this method set.
        let previous = self.shared.read().families.get(TARGET_FAMILY).cloned();
        if previous.is_some() {
            root.unregister(TARGET_FAMILY)?;
        }
        let Some(info) = info else {
            self.shared.write().target_info = false;
            return Ok(());
        };
        match root.register(TARGET_FAMILY, "Target metadata.", info) {
            Ok(()) => {
                self.shared.write().target_info = true;
                Ok(())
            }
            Err(error) => {
                // Put the previous attributes back (they were valid there a moment ago).
                if let Some(previous) = previous {
                    let mut state = self.shared.write();
                    let exposed = root.exposed_names(&previous.descriptor);
                    for name in exposed {
                        state.exposed.insert(name, TARGET_FAMILY.to_owned());
                    }
                    state.families.insert(TARGET_FAMILY.to_owned(), previous);
                } else {
                    self.shared.write().target_info = false;
                }
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Counter, ErrorKind, Gauge, NameValidation, Registry};

    #[test]
    fn target_info_is_first_replaced_and_removed() {
        let registry = Registry::new();
        registry.register("alpha", "A.", Gauge::new()).unwrap();
        registry.register("zeta", "Z.", Counter::new()).unwrap();
        registry
            .with_prefix("app")
            .unwrap()
            .with_labels([("region", "eu")])
            .unwrap()
            .set_target_info([("service.name", "shop"), ("host", "a")])
            .unwrap();
        let text = registry.encode_text().unwrap();
        assert!(
            text.starts_with(
                "# HELP target_info Target metadata.\n# TYPE target_info gauge\ntarget_info{service_name=\"shop\",host=\"a\"} 1\n# HELP alpha"
            ),
            "{text}"
        );
        registry.set_target_info([("host", "b")]).unwrap();
        let text = registry.encode_text().unwrap();
        assert_eq!(text.matches("target_info{").count(), 1);
        assert!(text.contains("target_info{host=\"b\"} 1\n"));
        registry.set_target_info([]).unwrap();
        assert!(!registry.encode_text().unwrap().contains("target"));
    }

    #[test]
    fn bad_attributes_leave_the_target_unchanged() {
        let registry = Registry::new();
        registry.set_target_info([("host", "a")]).unwrap();
        for (attributes, kind) in [
            (vec![("", "x")], ErrorKind::InvalidLabelName),
            (vec![("__x", "x")], ErrorKind::ReservedLabelName),
            (
                vec![("a.b", "1"), ("a_b", "2")],
                ErrorKind::DuplicateLabelName,
            ),
        ] {
            assert_eq!(
                registry.set_target_info(attributes).unwrap_err().kind(),
                kind
            );
            assert!(
                registry
                    .encode_text()
                    .unwrap()
                    .contains("target_info{host=\"a\"} 1\n")
            );
        }
        // A family of the user's own named `target` is never replaced.
        let other = Registry::with_name_validation(NameValidation::Utf8);
        other.register("target", "Mine.", Gauge::new()).unwrap();
        assert_eq!(
            other.set_target_info([("a", "b")]).unwrap_err().kind(),
            ErrorKind::AlreadyRegistered
        );
        assert!(other.encode_text().unwrap().contains("# HELP target Mine."));
        // And a user's family cannot take the name once target_info has it.
        let registry = Registry::new();
        registry.set_target_info([("a", "b")]).unwrap();
        assert_eq!(
            registry
                .register("target_info", "", Gauge::new())
                .unwrap_err()
                .kind(),
            ErrorKind::AlreadyRegistered
        );
    }

    #[test]
    fn target_info_can_be_selected_by_name() {
        let registry = Registry::new();
        registry.register("jobs", "Jobs.", Counter::new()).unwrap();
        registry.set_target_info([("host", "a")]).unwrap();
        let out = registry
            .render(crate::EncodeOptions::new(crate::Format::OpenMetrics).names(&["target_info"]))
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP target Target metadata.\n# TYPE target info\ntarget_info{host=\"a\"} 1\n# EOF\n"
        );
    }
}
