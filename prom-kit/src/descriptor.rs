//! [`Descriptor`]: the validated name, help, unit, type and label names of a family.

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::MetricType;
use crate::name::{
    EscapingScheme, NameValidation, check_distinct_when_escaped, check_metric_name, check_unit,
};

/// What a metric family is called and what it holds; built once, validated once.
///
/// The name is the *family* name: a counter registered as `requests_total` is the family
/// `requests` (its samples are `requests_total` and `requests_created`); a unit is appended
/// as a suffix unless the name already ends with it.
///
/// ```
/// use prom_kit::{Descriptor, MetricType};
///
/// let d = Descriptor::new("request_duration", "Time spent.", MetricType::Histogram)?
///     .with_unit("seconds")?
///     .with_label_names(["route"])?;
/// assert_eq!(d.name(), "request_duration_seconds");
/// assert_eq!(Descriptor::new("hits_total", "", MetricType::Counter)?.name(), "hits");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    name: Box<str>,
    help: Box<str>,
    unit: Option<Box<str>>,
    kind: MetricType,
    label_names: Box<[Box<str>]>,
}

impl Descriptor {
    /// Describes a family without labels or unit.
    ///
    /// Names are checked here as UTF-8 names (non-empty; label names not starting with
    /// `__`), and again by the registry that exposes the family, under its
    /// [`NameValidation`]: a registry in the default legacy mode refuses
    /// `http.server.duration`. A state set's name is also the label name of its states,
    /// so it must be one, and be written alike as both by every escaping scheme: a state
    /// set named `app:mode` is refused here (`:` is allowed in family names, not in label
    /// names, and escaping would write the family `app:mode` with states labelled
    /// `app_mode`, which strict parsers refuse).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidMetricName`] if `name` is empty;
    /// [`ErrorKind::ReservedLabelName`] if a state set's name starts with `__` (or an
    /// escaping scheme writes it so); [`ErrorKind::InvalidLabelName`] if a state set's
    /// name is not written alike as a family name and as a label name.
    ///
    /// ```
    /// # use prom_kit::{Descriptor, ErrorKind, MetricType, Registry, StateSet};
    /// let error = Descriptor::new("app:mode", "", MetricType::StateSet).unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidLabelName);
    /// let error = Registry::new().register("app:mode", "", StateSet::new(["on", "off"])?).unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidLabelName);
    /// assert_eq!(Descriptor::new("", "", MetricType::Gauge).unwrap_err().kind(), ErrorKind::InvalidMetricName);
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn new(name: &str, help: &str, kind: MetricType) -> Result<Self> {
        NameValidation::Utf8.check_metric_name(name)?;
        let descriptor = Self {
            name: family_name(name, kind).into(),
            help: help.into(),
            unit: None,
            kind,
            label_names: Box::default(),
        };
        descriptor.check_state_label()?;
        Ok(descriptor)
    }

    /// A state set's family name is also the label name its states are exposed under
    /// (`mode{mode="on"} 1`), so it must be a valid label name too.
    fn check_state_label(&self) -> Result<()> {
        self.check_state_label_in(NameValidation::Utf8)
    }

    /// [`check_state_label`](Self::check_state_label) under `validation`. The name must
    /// also be escaped alike as a family name and as a label name by every scheme: a
    /// state set `a:b` is the family `a:b` but the label `a_b` with underscores (`:` is
    /// not allowed in label names), and a strict parser (Python's) refuses states whose
    /// label is not their family's name.
    fn check_state_label_in(&self, validation: NameValidation) -> Result<()> {
        if self.kind != MetricType::StateSet {
            return Ok(());
        }
        validation.check_label_name(&self.name)?;
        for scheme in crate::name::ESCAPING_SCHEMES {
            let (family, label) = (
                scheme.escape_metric_name(&self.name),
                scheme.escape_label_name(&self.name),
            );
            if family != label {
                return Err(Error::new(
                    ErrorKind::InvalidLabelName,
                    format!(
                        "state set {:?} is written {family:?} as a family but {label:?} as its states' label with {} escaping, which strict parsers refuse",
                        self.name,
                        scheme.as_param()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks the name, a state set's name as a label name, and the label names under
    /// the `validation` of the registry exposing the family.
    pub(crate) fn check_names(&self, validation: NameValidation) -> Result<()> {
        validation.check_metric_name(&self.name)?;
        self.check_state_label_in(validation)?;
        validation.check_label_names(&self.label_names)
    }

    /// A descriptor for one of prom-kit's own constant names, which are valid by
    /// construction (checked in debug builds and by the collectors' tests).
    #[cfg_attr(
        not(any(feature = "process", feature = "tokio")),
        expect(
            dead_code,
            reason = "only the built-in collectors describe constant names"
        )
    )]
    pub(crate) fn constant(name: &'static str, help: &'static str, kind: MetricType) -> Self {
        debug_assert!(check_metric_name(name).is_ok(), "{name}");
        Self {
            name: family_name(name, kind).into(),
            help: help.into(),
            unit: None,
            kind,
            label_names: Box::default(),
        }
    }

    /// The same descriptor with label names known to be valid and unreserved.
    #[cfg_attr(
        not(feature = "tokio"),
        expect(
            dead_code,
            reason = "only the tokio collector has constant label names"
        )
    )]
    pub(crate) fn with_constant_labels(mut self, names: &[&'static str]) -> Self {
        self.label_names = names.iter().map(|n| Box::from(*n)).collect();
        self
    }

    /// Sets the unit, appending `_<unit>` to the name unless it already ends with it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidUnit`] if the unit is empty or not made of name characters;
    /// for a state set, as [`new`](Self::new) for the name with the unit.
    pub fn with_unit(mut self, unit: &str) -> Result<Self> {
        check_unit(unit)?;
        let suffix = format!("_{unit}");
        if !self.name.ends_with(&suffix) {
            self.name = format!("{}{suffix}", self.name).into();
        }
        self.unit = Some(unit.into());
        self.check_state_label()?;
        Ok(self)
    }

    /// Sets the label names of the family's series.
    ///
    /// # Errors
    ///
    /// An invalid, reserved or repeated label name.
    pub fn with_label_names<S: Into<Box<str>>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        let names: Vec<Box<str>> = names.into_iter().map(Into::into).collect();
        self.kind.check_label_names(&names)?;
        self.label_names = names.into_boxed_slice();
        self.check_reserved_labels(&[])?;
        Ok(self)
    }

    /// Fails if any of the family's labels, or `extra` labels, is one the type adds
    /// itself (`le`, `quantile`, a state set's own name).
    pub(crate) fn check_reserved_labels(&self, extra: &[&str]) -> Result<()> {
        if let Some(reserved) = self.own_label() {
            let clash = self
                .label_names
                .iter()
                .map(|n| &**n)
                .chain(extra.iter().copied())
                .any(|n| n == reserved);
            if clash {
                return Err(self.kind.own_label_error(reserved));
            }
        }
        Ok(())
    }

    /// The label the family's type adds to its series: `le`, `quantile`, a state set's
    /// name.
    fn own_label(&self) -> Option<&str> {
        match self.kind {
            MetricType::StateSet => Some(&self.name),
            kind => kind.reserved_label(),
        }
    }

    /// Fails if a label of the family (its own, or one its type adds: `le`, `quantile`,
    /// a state set's name) is also one of the constant labels `const_names` of the view
    /// exposing it — in a UTF-8 registry also if an escaping scheme would write two of
    /// them alike (a state set `a.b` with a label `a_b`).
    pub(crate) fn check_with_constant_labels(
        &self,
        const_names: &[&str],
        validation: NameValidation,
    ) -> Result<()> {
        if let Some(clash) = self
            .label_names
            .iter()
            .find(|n| const_names.contains(&&***n))
        {
            return Err(Error::new(
                ErrorKind::DuplicateLabelName,
                format!("{clash:?} is a label of the family and a constant label of the view"),
            ));
        }
        self.check_reserved_labels(const_names)?;
        if validation == NameValidation::Utf8 {
            check_distinct_when_escaped(
                const_names
                    .iter()
                    .copied()
                    .chain(self.label_names.iter().map(|n| &**n))
                    .chain(self.own_label()),
            )?;
        }
        Ok(())
    }

    /// The same descriptor under `prefix_name`.
    pub(crate) fn prefixed(&self, prefix: &str) -> Result<Self> {
        let mut copy = self.clone();
        if !prefix.is_empty() {
            copy.name = format!("{prefix}_{}", self.name).into();
            NameValidation::Utf8.check_metric_name(&copy.name)?;
            copy.check_state_label()?;
        }
        Ok(copy)
    }

    /// The same descriptor with another help text.
    pub(crate) fn with_help(&self, help: &str) -> Self {
        let mut copy = self.clone();
        copy.help = help.into();
        copy
    }

    /// The same descriptor under another (already validated) name.
    pub(crate) fn renamed(&self, name: &str) -> Self {
        let mut copy = self.clone();
        copy.name = name.into();
        copy
    }

    /// The family name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The help text.
    pub fn help(&self) -> &str {
        &self.help
    }

    /// The unit, if any.
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// The family type.
    pub fn kind(&self) -> MetricType {
        self.kind
    }

    /// The label names of the family's series.
    pub fn label_names(&self) -> &[Box<str>] {
        &self.label_names
    }

    /// Every sample name the family can expose, and the family name itself: two families
    /// whose sets intersect cannot coexist in one exposition.
    pub(crate) fn exposed_names(&self) -> impl Iterator<Item = String> + '_ {
        self.exposed_names_as(&self.name)
    }

    /// [`exposed_names`](Self::exposed_names) as `scheme` writes them (the family name
    /// escaped, then the suffixes added, as every encoder does).
    pub(crate) fn exposed_names_escaped(
        &self,
        scheme: EscapingScheme,
    ) -> impl Iterator<Item = String> + '_ {
        let escaped = scheme.escape_metric_name(&self.name).into_owned();
        let names: Vec<String> = self.exposed_names_as(&escaped).collect();
        names.into_iter()
    }

    /// The exposed names of a family written as `name`.
    fn exposed_names_as<'n>(&'n self, name: &'n str) -> impl Iterator<Item = String> + 'n {
        std::iter::once(name.to_owned()).chain(
            self.kind
                .sample_suffixes()
                .iter()
                .filter(|s| !s.is_empty())
                .map(move |suffix| format!("{name}{suffix}")),
        )
    }
}

/// The family name of a metric registered as `name`: without the suffix its type adds
/// itself (`_total` for counters, `_info` for info metrics), unless that is all it is.
fn family_name(name: &str, kind: MetricType) -> &str {
    match kind.strippable_suffix() {
        Some(suffix) if name.len() > suffix.len() => name.strip_suffix(suffix).unwrap_or(name),
        _ => name,
    }
}
