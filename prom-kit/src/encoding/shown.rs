//! [`Shown`]: a family's name and constant labels as this scraper gets them — as they
//! are, quoted (a scraper with UTF-8), or escaped (the others) — which every format
//! writes the same way.

use std::borrow::Cow;

use super::EscapingScheme;
use crate::descriptor::Descriptor;
use crate::labels::render::{render_label_name, rewrite_label_names};
use crate::name::{NameValidation, label_name_needs_quotes, metric_name_needs_quotes};
use crate::snapshot::kind::MetricType;

/// A family's names as written for one scrape.
#[derive(Debug)]
pub(super) struct Shown<'a> {
    /// The family name as registered.
    pub(super) name: Cow<'a, str>,
    /// The family name as written: escaped for scrapers without UTF-8.
    pub(super) written: Cow<'a, str>,
    /// Whether the name is written quoted (`{"a.b"} 1`), for scrapers with UTF-8.
    pub(super) quoted: bool,
    /// The scheme names are escaped by, when some may need it (a UTF-8 registry scraped
    /// without UTF-8); label texts are then rewritten.
    pub(super) escaping: Option<EscapingScheme>,
    /// The constant labels, as written.
    pub(super) const_labels: Cow<'a, str>,
    /// The constant labels as the registry view rendered them (names unescaped).
    pub(super) raw_const_labels: &'a str,
    /// A state set's name as the label name of its states, as written (empty for other
    /// types).
    pub(super) state_label: String,
}

impl<'a> Shown<'a> {
    /// The names of the family `name` (with `descriptor` and `const_labels`) as a scrape
    /// escaping by `escaping` gets them from a registry validating by `validation`.
    pub(super) fn new(
        escaping: EscapingScheme,
        validation: NameValidation,
        name: Cow<'a, str>,
        descriptor: &Descriptor,
        const_labels: &'a str,
    ) -> Self {
        // Only a UTF-8 registry holds names that need escaping.
        let escape_names =
            escaping != EscapingScheme::AllowUtf8 && validation == NameValidation::Utf8;
        let written = if escape_names {
            match escaping.escape_metric_name(&name) {
                Cow::Borrowed(_) => name.clone(),
                Cow::Owned(escaped) => Cow::Owned(escaped),
            }
        } else {
            name.clone()
        };
        let quoted = escaping == EscapingScheme::AllowUtf8 && metric_name_needs_quotes(&name);
        let written_const_labels = if escape_names {
            let mut rewritten = String::new();
            rewrite_label_names(&mut rewritten, const_labels, escaping);
            Cow::Owned(rewritten)
        } else {
            Cow::Borrowed(const_labels)
        };
        let mut shown = Shown {
            name,
            written,
            quoted,
            escaping: escape_names.then_some(escaping),
            const_labels: written_const_labels,
            raw_const_labels: const_labels,
            state_label: String::new(),
        };
        if descriptor.kind() == MetricType::StateSet {
            shown.state_label = shown.label_name(&shown.name).into_owned();
        }
        shown
    }

    /// `name` as a label name is written: quoted for scrapers with UTF-8 if it needs
    /// it, escaped for the others.
    pub(super) fn label_name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        match self.escaping {
            Some(scheme) => scheme.escape_label_name(name),
            None if label_name_needs_quotes(name) => {
                let mut quoted = String::new();
                render_label_name(&mut quoted, name);
                Cow::Owned(quoted)
            }
            None => Cow::Borrowed(name),
        }
    }

    /// The state label as the protobuf format writes it: escaped, never quoted.
    #[cfg(feature = "protobuf")]
    pub(super) fn unquoted_label_name(&self, name: &str) -> String {
        match self.escaping {
            Some(scheme) => scheme.escape_label_name(name).into_owned(),
            None => name.to_owned(),
        }
    }
}
