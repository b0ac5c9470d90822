//! A strict parser of the text expositions — Prometheus text 0.0.4 and 1.0.0, OpenMetrics
//! 1.0 — into [`Exposition`]: families with their metadata and samples. Strict like
//! Python's OpenMetrics parser: every line must be well formed, a family's lines stay
//! together, metadata comes before samples, OpenMetrics ends with `# EOF`, and each type's
//! rules hold (`rules.rs`: histogram buckets, summary quantiles, counts, groups). Names
//! outside the legacy set are read in Prometheus 3's quoted form (`{"a.b","c.d"="x"} 1`,
//! `# TYPE "a.b" counter`), which text 1.0.0 and UTF-8 OpenMetrics scrapes carry.
//! The line's pieces (names, label sets, values, exemplars) are read in `tokens.rs`.

use std::collections::HashSet;

use super::exposition::{Exposition, MetricFamily, ParseError, Sample, Syntax};
use super::rules::FamilyRules;
use super::tokens::{
    is_metric_name, parse_exemplar, parse_timestamp, parse_value, read_label_pairs,
    read_quoted_name, unescape_help,
};

/// The types `# TYPE` may name.
const TEXT_TYPES: &[&str] = &["counter", "gauge", "histogram", "summary", "untyped"];
const OPENMETRICS_TYPES: &[&str] = &[
    "counter",
    "gauge",
    "histogram",
    "gaugehistogram",
    "summary",
    "info",
    "stateset",
    "unknown",
];

/// The sample-name suffixes a family of `kind` may expose, in `syntax`.
fn suffixes(kind: Option<&str>, syntax: Syntax) -> &'static [&'static str] {
    match (kind, syntax) {
        (Some("counter"), Syntax::OpenMetrics) => &["_total", "_created"],
        (Some("histogram"), Syntax::OpenMetrics) => &["_bucket", "_count", "_sum", "_created"],
        (Some("gaugehistogram"), _) => &["_bucket", "_gcount", "_gsum"],
        (Some("summary"), Syntax::OpenMetrics) => &["", "_count", "_sum", "_created"],
        (Some("histogram"), Syntax::Text) => &["_bucket", "_count", "_sum"],
        (Some("summary"), Syntax::Text) => &["", "_count", "_sum"],
        (Some("info"), _) => &["_info"],
        _ => &[""],
    }
}

/// Parses `text` as `syntax`.
///
/// ```
/// use prom_kit::testing::{parse, Syntax};
///
/// let exposition = parse("\
/// ## TYPE jobs counter
/// ## HELP jobs Jobs run.
/// jobs_total{queue=\"mail\"} 3 # {trace_id=\"a\"} 1 1700000000.5
/// ## EOF
/// ", Syntax::OpenMetrics)?;
/// let jobs = &exposition.families[0];
/// assert_eq!((jobs.name.as_str(), jobs.kind.as_deref()), ("jobs", Some("counter")));
/// assert_eq!(jobs.samples[0].labels, [("queue".to_owned(), "mail".to_owned())]);
/// assert_eq!(jobs.samples[0].exemplar.as_ref().unwrap().timestamp, Some(1_700_000_000.5));
/// assert!(parse("jobs_total 1\n", Syntax::OpenMetrics).is_err(), "no # EOF");
/// # Ok::<(), prom_kit::testing::ParseError>(())
/// ```
///
/// # Errors
///
/// The first line that breaks the format; a rule on a whole histogram series (its `+Inf`
/// bucket, its count and sum) names the series' last line.
pub fn parse(text: &str, syntax: Syntax) -> Result<Exposition, ParseError> {
    Parser::new(syntax).run(text)
}

/// The parser's state. Every check is a set lookup, so parsing takes time linear in the
/// text.
struct Parser {
    syntax: Syntax,
    families: Vec<MetricFamily>,
    /// The names of the families so far, the current one's included.
    names: HashSet<String>,
    /// The sample names the types of the families before the current one claim
    /// (OpenMetrics: a later sample with one of them splits its family).
    claimed: HashSet<String>,
    /// The current family's rules, from its first sample on.
    rules: Option<FamilyRules>,
    /// Whether the current (last) family has had a sample yet.
    sampled: bool,
    line: usize,
}

impl Parser {
    fn new(syntax: Syntax) -> Self {
        Self {
            syntax,
            families: Vec::new(),
            names: HashSet::new(),
            claimed: HashSet::new(),
            rules: None,
            sampled: false,
            line: 0,
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line,
            message: message.into(),
        }
    }

    fn run(mut self, text: &str) -> Result<Exposition, ParseError> {
        let openmetrics = self.syntax == Syntax::OpenMetrics;
        let body = if openmetrics {
            text.strip_suffix("# EOF\n")
                .or_else(|| text.strip_suffix("# EOF"))
                .ok_or_else(|| ParseError {
                    line: text.lines().count().max(1),
                    message: "an OpenMetrics exposition ends with `# EOF`".into(),
                })?
        } else {
            text
        };
        if !body.is_empty() && !body.ends_with('\n') {
            self.line = body.lines().count();
            return Err(self.error("the last line has no newline"));
        }
        for line in body.lines() {
            self.line += 1;
            self.read_line(line)?;
        }
        self.close_family()?;
        Ok(Exposition {
            families: self.families,
        })
    }

    fn read_line(&mut self, line: &str) -> Result<(), ParseError> {
        let openmetrics = self.syntax == Syntax::OpenMetrics;
        if line.is_empty() {
            return if openmetrics {
                Err(self.error("empty line"))
            } else {
                Ok(())
            };
        }
        if let Some(comment) = line.strip_prefix('#') {
            return self.read_comment(comment);
        }
        self.read_sample(line)
    }

    fn read_comment(&mut self, comment: &str) -> Result<(), ParseError> {
        let openmetrics = self.syntax == Syntax::OpenMetrics;
        let Some(rest) = comment.strip_prefix(' ') else {
            return if openmetrics {
                Err(self.error("a comment is `# HELP`, `# TYPE`, `# UNIT` or `# EOF`"))
            } else {
                Ok(())
            };
        };
        let (keyword, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let quoted = rest.starts_with('"') && matches!(keyword, "HELP" | "TYPE" | "UNIT");
        let (name, value) = if quoted {
            // Prometheus 3: `# TYPE "name.with.dots" counter`.
            let (name, after) = read_quoted_name(rest).map_err(|e| self.error(e))?;
            let value = match after.strip_prefix(' ') {
                Some(value) => value,
                None if after.is_empty() => "",
                None => return Err(self.error("expected a space after the quoted name")),
            };
            (name, value)
        } else {
            let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
            (name.to_owned(), value)
        };
        let name = name.as_str();
        match keyword {
            "HELP" | "TYPE" | "UNIT" => {}
            "EOF" => return Err(self.error("text after `# EOF`")),
            _ if openmetrics => return Err(self.error(format!("unknown comment `# {keyword}`"))),
            _ => return Ok(()),
        }
        if keyword == "UNIT" && !openmetrics {
            return Ok(());
        }
        if !quoted && !is_metric_name(name) {
            return Err(self.error(format!("invalid metric name {name:?} in # {keyword}")));
        }
        self.family_for_metadata(name)?;
        let line = self.line;
        let fail = |message: String| ParseError { line, message };
        let family = self.current();
        match keyword {
            "HELP" => {
                if family.help.is_some() {
                    return Err(fail(format!("second # HELP for {name}")));
                }
                family.help = Some(unescape_help(value, openmetrics).map_err(fail)?);
            }
            "TYPE" => {
                let types = if openmetrics {
                    OPENMETRICS_TYPES
                } else {
                    TEXT_TYPES
                };
                if !types.contains(&value) {
                    return Err(fail(format!("unknown type {value:?}")));
                }
                if family.kind.is_some() {
                    return Err(fail(format!("second # TYPE for {name}")));
                }
                family.kind = Some(value.to_owned());
            }
            _ => {
                if family.unit.is_some() {
                    return Err(fail(format!("second # UNIT for {name}")));
                }
                if !value.is_empty() && !name.ends_with(&format!("_{value}")) {
                    return Err(fail(format!("{name} does not end with its unit {value}")));
                }
                family.unit = Some(value.to_owned());
            }
        }
        let unitless = matches!(family.kind.as_deref(), Some("info" | "stateset"));
        if unitless && family.unit.as_deref().is_some_and(|unit| !unit.is_empty()) {
            return Err(fail(format!("{name}: an info or state set has no unit")));
        }
        Ok(())
    }

    /// The family a metadata line for `name` belongs to: the current one if it is
    /// `name` and has no samples yet, else a new one (never one seen before).
    fn family_for_metadata(&mut self, name: &str) -> Result<(), ParseError> {
        if let Some(current) = self.families.last() {
            if current.name == name {
                if self.sampled {
                    return Err(self.error(format!("metadata for {name} after its samples")));
                }
                return Ok(());
            }
        }
        if self.names.contains(name) {
            return Err(self.error(format!("the lines of {name} are not together")));
        }
        self.open_family(name)
    }

    /// Ends the current family (its last checks; in OpenMetrics, the sample names it
    /// claims) and starts the family `name`.
    fn open_family(&mut self, name: &str) -> Result<(), ParseError> {
        self.close_family()?;
        self.names.insert(name.to_owned());
        self.families.push(MetricFamily {
            name: name.to_owned(),
            ..MetricFamily::default()
        });
        self.sampled = false;
        Ok(())
    }

    /// The checks only a family's end allows, and the sample names it claims.
    fn close_family(&mut self) -> Result<(), ParseError> {
        if let Some(mut rules) = self.rules.take() {
            rules.finish()?;
        }
        if self.syntax == Syntax::OpenMetrics {
            if let Some(family) = self.families.last() {
                for suffix in suffixes(family.kind.as_deref(), self.syntax) {
                    self.claimed.insert(format!("{}{suffix}", family.name));
                }
            }
        }
        Ok(())
    }

    fn current(&mut self) -> &mut MetricFamily {
        if self.families.is_empty() {
            self.families.push(MetricFamily::default());
        }
        let last = self.families.len() - 1;
        &mut self.families[last]
    }

    fn read_sample(&mut self, line: &str) -> Result<(), ParseError> {
        let openmetrics = self.syntax == Syntax::OpenMetrics;
        let (name, labels, rest) = if line.starts_with("{\"") {
            // Prometheus 3: the name quoted inside the braces, `{"a.b",c="d"} 1`.
            let (name, after) = read_quoted_name(&line[1..]).map_err(|e| self.error(e))?;
            let (labels, rest) = if let Some(rest) = after.strip_prefix('}') {
                (Vec::new(), rest)
            } else {
                let after = after
                    .strip_prefix(',')
                    .ok_or_else(|| self.error("expected , or } after the quoted name"))?;
                read_label_pairs(after).map_err(|e| self.error(e))?
            };
            (name, labels, rest)
        } else {
            let name_end = line.find(['{', ' ']).unwrap_or(line.len());
            let name = &line[..name_end];
            if !is_metric_name(name) {
                return Err(self.error(format!("invalid metric name {name:?}")));
            }
            let rest = &line[name_end..];
            match rest.strip_prefix('{') {
                Some(after) => {
                    let (labels, rest) = read_label_pairs(after).map_err(|e| self.error(e))?;
                    (name.to_owned(), labels, rest)
                }
                None => (name.to_owned(), Vec::new(), rest),
            }
        };
        let rest = rest
            .strip_prefix(' ')
            .ok_or_else(|| self.error("expected a space before the value"))?;
        let (sample_part, exemplar_part) = match rest.split_once(" # ") {
            Some((sample, exemplar)) if openmetrics => (sample, Some(exemplar)),
            Some(_) => return Err(self.error("exemplars are OpenMetrics only")),
            None => (rest, None),
        };
        let mut fields = sample_part.split(' ');
        let value = fields.next().unwrap_or("");
        let value = parse_value(value).map_err(|e| self.error(e))?;
        let timestamp = fields
            .next()
            .map(|t| parse_timestamp(t, openmetrics))
            .transpose()
            .map_err(|e| self.error(e))?;
        if fields.next().is_some() {
            return Err(self.error("text after the timestamp"));
        }
        let exemplar = exemplar_part
            .map(parse_exemplar)
            .transpose()
            .map_err(|e| self.error(e))?;
        self.place_sample(Sample {
            name,
            labels,
            value,
            timestamp,
            exemplar,
        })
    }

    /// Puts a sample into its family: the current one if the name fits its type's
    /// suffixes, else a new untyped family (never one seen before).
    fn place_sample(&mut self, sample: Sample) -> Result<(), ParseError> {
        let syntax = self.syntax;
        let belongs = self.families.last().is_some_and(|family| {
            suffixes(family.kind.as_deref(), syntax)
                .iter()
                .any(|suffix| sample.name.strip_suffix(suffix) == Some(family.name.as_str()))
        });
        if !belongs {
            let claimed = syntax == Syntax::OpenMetrics && self.claimed.contains(&sample.name);
            if claimed || self.names.contains(&sample.name) {
                return Err(self.error(format!("the lines of {} are not together", sample.name)));
            }
            self.open_family(&sample.name)?;
        }
        let line = self.line;
        let family = self.current();
        if sample.exemplar.is_some() {
            let allowed = match family.kind.as_deref() {
                Some("counter") => sample.name.ends_with("_total"),
                Some("histogram" | "gaugehistogram") => sample.name.ends_with("_bucket"),
                _ => false,
            };
            if !allowed {
                return Err(self.error("exemplars go on counter totals and histogram buckets"));
            }
        }
        let family = self.families.last_mut().ok_or_else(|| ParseError {
            line,
            message: "a sample outside a family".into(),
        })?;
        let openmetrics = syntax == Syntax::OpenMetrics;
        let rules = self
            .rules
            .get_or_insert_with(|| FamilyRules::new(family.kind.as_deref(), openmetrics));
        rules.check(&family.name, &sample, line)?;
        family.samples.push(sample);
        self.sampled = true;
        Ok(())
    }
}
