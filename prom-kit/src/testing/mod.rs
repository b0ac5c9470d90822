//! Testing instrumentation (feature `testing`): what Go's `testutil` and `promlint`, and
//! Python's `get_sample_value`, give their users.
//!
//! - [`parse`]: a strict parser of the text expositions (text 0.0.4, OpenMetrics 1.0)
//!   into families, samples, labels, exemplars and timestamps, holding OpenMetrics
//!   histograms, summaries, state sets and info to their rules as Python's strict parser
//!   does, in time linear in the text;
//! - [`sample_value`] and [`series_count`]: read one value, count a family's series;
//! - [`assert_exposition`] / [`compare_exposition`]: a registry's exposition against an
//!   expected text, independent of family and series order, with a readable diff (Go's
//!   `CollectAndCompare`);
//! - [`lint`] and [`Registry::lint`]: promlint's rules.
//!
//! ```
//! use prom_kit::testing::{assert_exposition, sample_value, series_count};
//! use prom_kit::{Counter, Family, Registry};
//!
//! let registry = Registry::new();
//! let jobs: Family<Counter> = Family::new(["queue"])?;
//! registry.register("jobs", "Jobs run.", jobs.clone())?;
//! jobs.labels(&["mail"])?.inc_by(2);
//! jobs.labels(&["billing"])?.inc();
//! assert_eq!(sample_value(&registry, "jobs_total", &[("queue", "mail")]), Some(2.0));
//! assert_eq!(series_count(&registry, "jobs_total"), 2);
//! assert_exposition(&registry, "\
//! ## TYPE jobs_total counter
//! ## HELP jobs_total Jobs run.
//! jobs_total{queue=\"billing\"} 1
//! jobs_total{queue=\"mail\"} 2
//! ");
//! # Ok::<(), prom_kit::Error>(())
//! ```

mod exposition;
mod lint;
mod parse;
mod rules;
mod tokens;

pub use exposition::{Exposition, MetricFamily, ParseError, Sample, Syntax};
pub use lint::{Problem, lint};
pub use parse::parse;
pub use tokens::Exemplar;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::Registry;

/// The registry's text exposition, parsed; the error names the line the parser refused
/// (which would be a prom-kit bug).
fn scraped(registry: &Registry) -> Result<Exposition, String> {
    let mut out = Vec::new();
    // A failing collector still leaves a valid exposition of the rest.
    let _ = registry.encode(crate::Format::Text, &mut out);
    let text = String::from_utf8_lossy(&out);
    parse(&text, Syntax::Text).map_err(|e| format!("unparseable exposition ({e}):\n{text}"))
}

/// The value of the sample `name` whose labels are exactly `labels` (in any order), as
/// a scrape would see it now; `None` if there is none (Python's `get_sample_value`).
pub fn sample_value(registry: &Registry, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    // A sample whose every label is one of `labels`, as many as them, has exactly them
    // (its names are distinct): one look-up per label, not a scan of `labels`.
    let wanted: HashMap<&str, &str> = labels.iter().copied().collect();
    scraped(registry)
        .ok()?
        .families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && s.labels
                    .iter()
                    .all(|(n, v)| wanted.get(n.as_str()) == Some(&v.as_str()))
        })
        .map(|s| s.value)
}

/// The number of series of the family `family` (as the text format names it:
/// `jobs_total`, `latency_seconds`): its distinct label sets, a histogram's or summary's
/// `le` and `quantile` not counted (Go's `CollectAndCount`).
pub fn series_count(registry: &Registry, family: &str) -> usize {
    let Ok(exposition) = scraped(registry) else {
        return 0;
    };
    let Some(family) = exposition.families.iter().find(|f| f.name == family) else {
        return 0;
    };
    let mut sets: Vec<Vec<(String, String)>> = family
        .samples
        .iter()
        .map(|s| {
            let mut labels: Vec<(String, String)> = s
                .labels
                .iter()
                .filter(|(n, _)| n != "le" && n != "quantile")
                .cloned()
                .collect();
            labels.sort();
            labels
        })
        .collect();
    sets.sort();
    sets.dedup();
    sets.len()
}

/// The lines of an exposition in a canonical order: each family's metadata then its
/// samples with sorted labels, families by name, samples sorted.
fn canonical(exposition: &Exposition) -> Vec<String> {
    let mut families: Vec<&MetricFamily> = exposition.families.iter().collect();
    families.sort_by(|a, b| a.name.cmp(&b.name));
    let mut lines = Vec::new();
    for family in families {
        if let Some(help) = &family.help {
            lines.push(format!("# HELP {} {help:?}", family.name));
        }
        if let Some(kind) = &family.kind {
            lines.push(format!("# TYPE {} {kind}", family.name));
        }
        let mut samples: Vec<String> = family
            .samples
            .iter()
            .map(|s| {
                let mut labels = s.labels.clone();
                labels.sort();
                let mut line = s.name.clone();
                if !labels.is_empty() {
                    line.push('{');
                    for (i, (n, v)) in labels.iter().enumerate() {
                        let comma = if i == 0 { "" } else { "," };
                        let _ = write!(line, "{comma}{n}={v:?}");
                    }
                    line.push('}');
                }
                let _ = write!(line, " {}", s.value);
                line
            })
            .collect();
        samples.sort();
        lines.extend(samples);
    }
    lines
}

/// Compares the registry's text exposition with `expected` (text format 0.0.4),
/// independent of the order of families and of series within them; with `names`, only
/// those families (by their text-format name) are compared. The `Err` is a readable
/// diff: lines only expected, lines only exposed.
///
/// # Errors
///
/// The diff, or why `expected` does not parse.
pub fn compare_exposition(
    registry: &Registry,
    expected: &str,
    names: Option<&[&str]>,
) -> Result<(), String> {
    let expected = parse(expected, Syntax::Text).map_err(|e| format!("expected text: {e}"))?;
    let mut actual = scraped(registry)?;
    if let Some(names) = names {
        actual.families.retain(|f| names.contains(&f.name.as_str()));
    }
    let (expected, actual) = (canonical(&expected), canonical(&actual));
    if expected == actual {
        return Ok(());
    }
    let (expected_set, actual_set): (HashSet<&String>, HashSet<&String>) =
        (expected.iter().collect(), actual.iter().collect());
    let mut diff = String::from("the exposition differs from the expected text:\n");
    for line in expected.iter().filter(|l| !actual_set.contains(l)) {
        let _ = writeln!(diff, "- {line}");
    }
    for line in actual.iter().filter(|l| !expected_set.contains(l)) {
        let _ = writeln!(diff, "+ {line}");
    }
    Err(diff)
}

/// [`compare_exposition`] of every family, panicking with the diff.
///
/// # Panics
///
/// When the exposition differs from `expected`.
#[track_caller]
pub fn assert_exposition(registry: &Registry, expected: &str) {
    if let Err(diff) = compare_exposition(registry, expected, None) {
        panic!("{diff}");
    }
}

impl Registry {
    /// Checks every family this registry exposes (collectors' included) against Go's
    /// `promlint` rules (see [`lint`]).
    ///
    /// ```
    /// use prom_kit::{Gauge, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register("queue_gauge", "Jobs waiting.", Gauge::new())?;
    /// let problems = registry.lint();
    /// assert_eq!(problems[0].text, "metric name should not include type 'gauge'");
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    pub fn lint(&self) -> Vec<Problem> {
        match scraped(self) {
            Ok(exposition) => lint(&exposition),
            Err(error) => vec![Problem {
                metric: String::new(),
                text: error,
            }],
        }
    }
}
