//! What [`parse`](super::parse) reads an exposition into: its [`Exposition`] of
//! families and samples, the [`Syntax`] it was read as, and the [`ParseError`] that
//! stops it. Plain data, shared by the parser and the type rules it applies.

use std::fmt;

use super::tokens::Exemplar;

/// Which text format to parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// The Prometheus text format (`text/plain; version=0.0.4`, and `1.0.0` with its
    /// quoted UTF-8 names).
    Text,
    /// OpenMetrics 1.0 (`application/openmetrics-text; version=1.0.0`).
    OpenMetrics,
}

/// A parsed exposition: its families in the order they appear.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exposition {
    /// The families.
    pub families: Vec<MetricFamily>,
}

/// One family: its metadata and samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricFamily {
    /// The family name (`http_requests`; for a text-format counter, as `# TYPE` names it).
    pub name: String,
    /// The type from `# TYPE` (`counter`, `gauge`, `histogram`, …), `None` without one.
    pub kind: Option<String>,
    /// The help text from `# HELP`, unescaped.
    pub help: Option<String>,
    /// The unit from `# UNIT` (OpenMetrics).
    pub unit: Option<String>,
    /// The samples, in order.
    pub samples: Vec<Sample>,
}

/// One sample line.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The sample name (`http_requests_total`).
    pub name: String,
    /// The label pairs in the order written, values unescaped.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// The timestamp as written (seconds in OpenMetrics, milliseconds in text 0.0.4).
    pub timestamp: Option<f64>,
    /// The exemplar (OpenMetrics).
    pub exemplar: Option<Exemplar>,
}

impl Sample {
    /// The value of the label `name`, if the sample has one.
    ///
    /// ```
    /// use prom_kit::testing::{Syntax, parse};
    ///
    /// let exposition = parse("jobs_total{queue=\"mail\"} 3\n", Syntax::Text)?;
    /// let sample = &exposition.families[0].samples[0];
    /// assert_eq!(sample.label("queue"), Some("mail"));
    /// assert_eq!(sample.label("le"), None);
    /// # Ok::<(), prom_kit::testing::ParseError>(())
    /// ```
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why an exposition does not parse: the line (1-based) and what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}
