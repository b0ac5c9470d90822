//! The rules a family's type puts on its samples, checked as the parser places each one
//! (sets of keys keep every check constant-time per sample, so parsing stays linear).
//!
//! No series appears twice. OpenMetrics adds the rules Python's strict parser
//! (`prometheus_client` 0.26) enforces: the samples of one group (a series; a histogram's
//! buckets, sum, count and created time; a summary's quantiles and totals; a state set's
//! states) stay together, their timestamps all present or all absent and never going
//! back; counter-like samples are never `NaN` nor negative and counts are integers; a
//! histogram's `le` is a number (not `NaN`, `+Inf` written so), increasing to a `+Inf`
//! bucket, its bucket counts never decrease, its `_count` is the `+Inf` bucket's and comes
//! with `_sum` (and `_gcount` with `_gsum`), and there is no `_sum` beside negative
//! buckets (nor a negative `_gsum` without them); a summary's `quantile` is within
//! 0..=1 with a value not negative; a state is 0 or 1, labelled with its family's name;
//! an info sample is 1. The text format holds only `le` and `quantile` to be numbers, as
//! Go's parser does.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};

use super::exposition::{ParseError, Sample};
use super::tokens::parse_value;

/// What the rules know of a family's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Counter,
    Histogram,
    GaugeHistogram,
    Summary,
    StateSet,
    Info,
    /// A gauge, an unknown or untyped family: each series is its own group.
    Plain,
}

impl Kind {
    fn of(kind: Option<&str>) -> Self {
        match kind {
            Some("counter") => Self::Counter,
            Some("histogram") => Self::Histogram,
            Some("gaugehistogram") => Self::GaugeHistogram,
            Some("summary") => Self::Summary,
            Some("stateset") => Self::StateSet,
            Some("info") => Self::Info,
            _ => Self::Plain,
        }
    }

    fn histogram(self) -> bool {
        matches!(self, Self::Histogram | Self::GaugeHistogram)
    }
}

/// The rules' record of one family's samples so far.
#[derive(Debug)]
pub(super) struct FamilyRules {
    kind: Kind,
    openmetrics: bool,
    /// The groups seen so far, the current one included (for plain families and the text
    /// format, the series).
    seen: KeySet,
    /// The current group's key.
    group: Option<Key>,
    /// The timestamp of the current group's last sample.
    timestamp: Option<f64>,
    /// The series of the current group.
    series: KeySet,
    /// The histogram checks of the current group at its timestamp.
    histogram: Option<HistogramGroup>,
    /// Hashes the keys.
    hasher: RandomState,
}

impl FamilyRules {
    /// The rules for a family of type `kind` (as `# TYPE` names it).
    pub(super) fn new(kind: Option<&str>, openmetrics: bool) -> Self {
        Self {
            kind: Kind::of(kind),
            openmetrics,
            seen: KeySet::default(),
            group: None,
            timestamp: None,
            series: KeySet::default(),
            histogram: None,
            hasher: RandomState::new(),
        }
    }

    /// Checks `sample`, read on `line`, as the next sample of the family `family`.
    pub(super) fn check(
        &mut self,
        family: &str,
        sample: &Sample,
        line: usize,
    ) -> Result<(), ParseError> {
        let fail = |message: String| ParseError { line, message };
        let suffix = sample.name.strip_prefix(family).unwrap_or_default();
        if !self.openmetrics || self.kind == Kind::Plain {
            if self.openmetrics {
                self.sample_rules(family, suffix, sample).map_err(fail)?;
            } else {
                self.text_rules(suffix, sample).map_err(fail)?;
            }
            if !self
                .seen
                .insert(self.key(&sample.name, &sample.labels, None))
            {
                return Err(fail(format!("{} repeats a series", sample.name)));
            }
            return Ok(());
        }
        self.sample_rules(family, suffix, sample).map_err(fail)?;
        let group = match self.kind {
            Kind::Info => self.key("", &[], None),
            Kind::Summary if suffix.is_empty() => self.key("", &sample.labels, Some("quantile")),
            Kind::StateSet => self.key("", &sample.labels, Some(family)),
            kind if kind.histogram() && suffix == "_bucket" => {
                self.key("", &sample.labels, Some("le"))
            }
            _ => self.key("", &sample.labels, None),
        };
        let new_group = self.group.as_ref() != Some(&group);
        let retimed = !new_group && self.timestamp != sample.timestamp;
        if new_group {
            if self.seen.contains(&group) {
                return Err(fail(format!(
                    "the samples of one {family} series are not together"
                )));
            }
            self.seen.insert(group.clone());
            self.group = Some(group);
            self.series.clear();
        } else {
            match (self.timestamp, sample.timestamp) {
                (Some(_), None) | (None, Some(_)) => {
                    return Err(fail(format!(
                        "{}: a timestamp on only some samples of a series",
                        sample.name
                    )));
                }
                (Some(before), Some(now)) if now < before && self.kind != Kind::Info => {
                    return Err(fail(format!(
                        "{}: the timestamps of a series go back",
                        sample.name
                    )));
                }
                _ => {}
            }
        }
        self.timestamp = sample.timestamp;
        if !self
            .series
            .insert(self.key(&sample.name, &sample.labels, None))
        {
            return Err(fail(format!("{} repeats a series", sample.name)));
        }
        if self.kind.histogram() {
            if new_group || retimed {
                self.finish()?;
            }
            let group = self.histogram.get_or_insert_with(HistogramGroup::default);
            group.add(suffix, sample).map_err(fail)?;
            group.line = line;
        }
        Ok(())
    }

    /// Checks what only the family's end shows: its last histogram group is complete.
    pub(super) fn finish(&mut self) -> Result<(), ParseError> {
        match self.histogram.take() {
            Some(group) => group.check().map_err(|message| ParseError {
                line: group.line,
                message,
            }),
            None => Ok(()),
        }
    }

    /// The rules on one OpenMetrics sample by itself (`suffix`: what its name adds to
    /// the family's).
    fn sample_rules(&self, family: &str, suffix: &str, sample: &Sample) -> Result<(), String> {
        let value = sample.value;
        let name = &sample.name;
        match (self.kind, suffix) {
            (kind, "_bucket") if kind.histogram() => {
                let le = sample
                    .label("le")
                    .ok_or_else(|| format!("{name} without le"))?;
                let bound = number(le, "le")?;
                if bound.is_nan() || (bound == f64::INFINITY && le != "+Inf") {
                    return Err(format!("{name}: invalid le {le:?}"));
                }
                integral(name, value)?;
            }
            (Kind::Histogram | Kind::GaugeHistogram | Kind::Summary, "_count")
            | (Kind::GaugeHistogram, "_gcount") => integral(name, value)?,
            (Kind::Summary, "") => {
                let quantile = sample
                    .label("quantile")
                    .ok_or_else(|| format!("{name} without quantile"))?;
                if !(0.0..=1.0).contains(&number(quantile, "quantile")?) {
                    return Err(format!("{name}: quantile {quantile} outside 0..=1"));
                }
                if value < 0.0 {
                    return Err(format!("{name}: a negative quantile value"));
                }
            }
            (Kind::StateSet, _) => {
                if sample.label(family).is_none() {
                    return Err(format!("{name} without its state label {family}"));
                }
                if value != 0.0 && value != 1.0 {
                    return Err(format!("{name}: a state is 0 or 1"));
                }
            }
            (Kind::Info, _) if value != 1.0 => {
                return Err(format!("{name}: an info sample is 1"));
            }
            _ => {}
        }
        let counts = matches!(
            suffix,
            "_total" | "_sum" | "_count" | "_bucket" | "_gcount" | "_gsum"
        );
        if counts && (value.is_nan() || (value < 0.0 && suffix != "_gsum")) {
            return Err(format!("{name} counts, so it cannot be negative or NaN"));
        }
        Ok(())
    }

    /// The rules on one text-format sample by itself.
    fn text_rules(&self, suffix: &str, sample: &Sample) -> Result<(), String> {
        let name = &sample.name;
        let counts = self.kind != Kind::Plain
            && ["_total", "_count", "_bucket", "_created", "_gcount"]
                .iter()
                .any(|suffix| name.ends_with(suffix));
        if counts && (sample.value.is_nan() || sample.value < 0.0) {
            return Err(format!("{name} counts, so it cannot be negative or NaN"));
        }
        let bound = match (self.kind, suffix) {
            (Kind::Histogram, "_bucket") => "le",
            (Kind::Summary, "") => "quantile",
            _ => return Ok(()),
        };
        sample
            .label(bound)
            .map_or(Ok(()), |text| number(text, bound).map(|_| ()))
    }
}

/// One histogram group at one timestamp, as Python's parser checks it at its end.
#[derive(Debug, Default)]
struct HistogramGroup {
    /// The line of its last sample.
    line: usize,
    count: Option<f64>,
    /// The last bucket's bound and count.
    bound: Option<f64>,
    bucket: f64,
    negative_buckets: bool,
    /// The `_sum` and `_gsum` values.
    sum: Option<f64>,
    gsum: Option<f64>,
}

impl HistogramGroup {
    fn add(&mut self, suffix: &str, sample: &Sample) -> Result<(), String> {
        let value = sample.value;
        match suffix {
            "_bucket" => {
                // `sample_rules` has read `le` as a number.
                let bound = sample
                    .label("le")
                    .and_then(|le| parse_value(le).ok())
                    .unwrap_or(f64::NAN);
                self.negative_buckets |= bound < 0.0;
                if self.bound.is_some_and(|before| bound <= before) {
                    return Err(format!("{}: le not increasing", sample.name));
                }
                if value < self.bucket {
                    return Err(format!("{}: bucket counts decrease", sample.name));
                }
                self.bound = Some(bound);
                self.bucket = value;
            }
            "_count" | "_gcount" => self.count = Some(value),
            "_sum" => self.sum = Some(value),
            "_gsum" => self.gsum = Some(value),
            _ => {}
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        let (sum, gsum) = (self.sum.is_some(), self.gsum.is_some());
        let problem = if self.bound != Some(f64::INFINITY) {
            "a histogram series without its +Inf bucket"
        } else if self.count.is_some_and(|count| count != self.bucket) {
            "a histogram's count differs from its +Inf bucket"
        } else if sum && self.count.is_none() {
            "a histogram's _sum without its _count"
        } else if gsum && self.count.is_none() {
            "a histogram's _gsum without its _gcount"
        } else if !(sum || gsum) && self.count.is_some() {
            "a histogram's count without its sum"
        } else if self.negative_buckets && sum {
            "a histogram's _sum beside negative buckets"
        } else if !self.negative_buckets && self.gsum.is_some_and(|gsum| gsum < 0.0) {
            "a negative _gsum without negative buckets"
        } else {
            return Ok(());
        };
        Err(problem.to_owned())
    }
}

/// The label value `text` of the label `name` as a number.
fn number(text: &str, name: &str) -> Result<f64, String> {
    parse_value(text).map_err(|_| format!("{name} {text:?} is not a number"))
}

/// `value` as an integral count of `name`.
fn integral(name: &str, value: f64) -> Result<(), String> {
    if value.is_finite() && value.fract() == 0.0 {
        Ok(())
    } else {
        Err(format!("{name}: a count is an integer"))
    }
}

/// A name and label set as a set holds it: unambiguous bytes, and their hash computed
/// once (a set re-hashes its entries as it grows; this spares it reading every key
/// again).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Key {
    hash: u64,
    bytes: Box<[u8]>,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Hands a [`Key`]'s hash through.
#[derive(Debug, Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is called (from `Key::hash`); fold anything else in anyway.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

/// A set of [`Key`]s.
type KeySet = HashSet<Key, BuildHasherDefault<KeyHasher>>;

impl FamilyRules {
    /// The key of `name` and the label set `labels` in any order, leaving out the label
    /// `skip`: each part prefixed by its length.
    fn key(&self, name: &str, labels: &[(String, String)], skip: Option<&str>) -> Key {
        let mut pairs: Vec<&(String, String)> = labels
            .iter()
            .filter(|(n, _)| Some(n.as_str()) != skip)
            .collect();
        if !pairs.is_sorted_by(|a, b| a.0 <= b.0) {
            pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        let prefix = size_of::<usize>();
        let length: usize = pairs.iter().map(|(n, v)| n.len() + v.len()).sum();
        let mut bytes = Vec::with_capacity(name.len() + length + (1 + 2 * pairs.len()) * prefix);
        let mut push = |part: &str| {
            bytes.extend_from_slice(&part.len().to_le_bytes());
            bytes.extend_from_slice(part.as_bytes());
        };
        push(name);
        for (n, v) in pairs {
            push(n);
            push(v);
        }
        Key {
            hash: self.hasher.hash_one(&bytes),
            bytes: bytes.into_boxed_slice(),
        }
    }
}
