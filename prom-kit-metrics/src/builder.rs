//! [`RecorderBuilder`]: the registry a recorder writes into, and per-metric settings
//! chosen by [`Matcher`]s on the facade names.

use std::time::Duration;

use prom_kit::family::DEFAULT_MAX_SERIES;
use prom_kit::{Buckets, Error, ErrorKind, HistogramConfig, Registry, Result};

use crate::recorder::PromKitRecorder;

/// Selects facade metrics by the name the code records under (before any sanitising).
///
/// Where several matchers of one setting match a name, the most specific wins: a
/// [`Full`](Self::Full) match, else the longest matching [`Prefix`](Self::Prefix), else
/// the longest matching [`Suffix`](Self::Suffix).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Matcher {
    /// The whole name.
    Full(String),
    /// Names starting with this.
    Prefix(String),
    /// Names ending with this.
    Suffix(String),
}

impl Matcher {
    /// How specific a match of `name` is (higher wins), or `None` if it does not match.
    fn rank(&self, name: &str) -> Option<(u8, usize)> {
        match self {
            Self::Full(full) => (name == full).then_some((2, full.len())),
            Self::Prefix(prefix) => name
                .starts_with(prefix.as_str())
                .then_some((1, prefix.len())),
            Self::Suffix(suffix) => name.ends_with(suffix.as_str()).then_some((0, suffix.len())),
        }
    }
}

/// Settings by matcher; the most specific match wins, later additions among equals.
#[derive(Clone, Debug)]
struct Rules<T>(Vec<(Matcher, T)>);

impl<T> Default for Rules<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> Rules<T> {
    fn find(&self, name: &str) -> Option<&T> {
        self.0
            .iter()
            .filter_map(|(matcher, value)| matcher.rank(name).map(|rank| (rank, value)))
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, value)| value)
    }
}

/// What a facade metric is made with, from the matchers that match its name.
#[derive(Clone, Debug)]
pub(crate) struct MetricSettings {
    pub(crate) histogram: HistogramConfig,
    pub(crate) max_series: Option<usize>,
    pub(crate) expire_after: Option<Duration>,
}

/// Configures a [`PromKitRecorder`]: the [`Registry`] (or registry view) it writes into,
/// histogram buckets, cardinality limits and idle expiry per metric.
///
/// ```
/// use std::time::Duration;
/// use prom_kit::metrics::native::NativeBuckets;
/// use prom_kit::{Buckets, HistogramConfig, Registry};
/// use prom_kit_metrics::{Matcher, PromKitRecorder};
///
/// let registry = Registry::new();
/// let recorder = PromKitRecorder::builder(&registry)
///     .histogram(Matcher::Suffix("_seconds".into()), Buckets::exponential(0.001, 2.0, 12)?)
///     .histogram(Matcher::Prefix("db_".into()), HistogramConfig::native(NativeBuckets::new(1.1)?))
///     .max_series(Matcher::Prefix("tenant_".into()), 500)
///     .expire_after(Matcher::Prefix("tenant_".into()), Duration::from_secs(600))
///     .build()?;
/// metrics::with_local_recorder(&recorder, || {
///     metrics::histogram!("request_duration_seconds").record(0.004);
/// });
/// assert!(registry.encode_text()?.contains("request_duration_seconds_bucket{le=\"0.004\"} 1\n"));
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` or `install` is called"]
pub struct RecorderBuilder {
    registry: Registry,
    default_histogram: HistogramConfig,
    histograms: Rules<HistogramConfig>,
    default_max_series: Option<usize>,
    max_series: Rules<Option<usize>>,
    expire_after: Rules<Duration>,
}

impl RecorderBuilder {
    pub(crate) fn new(registry: &Registry) -> Self {
        Self {
            registry: registry.clone(),
            default_histogram: HistogramConfig::classic(Buckets::default()),
            histograms: Rules::default(),
            default_max_series: Some(DEFAULT_MAX_SERIES),
            max_series: Rules::default(),
            expire_after: Rules::default(),
        }
    }

    /// How histograms whose name no [`histogram`](Self::histogram) matcher matches are
    /// made: prom-kit's default classic buckets (5 ms to 10 s) unless set.
    pub fn default_histogram(mut self, config: impl Into<HistogramConfig>) -> Self {
        self.default_histogram = config.into();
        self
    }

    /// The buckets of the histograms `matcher` selects: classic [`Buckets`], native
    /// buckets, or both ([`HistogramConfig`]).
    pub fn histogram(mut self, matcher: Matcher, config: impl Into<HistogramConfig>) -> Self {
        self.histograms.0.push((matcher, config.into()));
        self
    }

    /// The cardinality limit of metrics no [`max_series`](Self::max_series) matcher
    /// matches: prom-kit's [`DEFAULT_MAX_SERIES`] (2,000 series per metric) unless set;
    /// `None` for no limit.
    pub fn default_max_series(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.default_max_series = limit.into();
        self
    }

    /// The cardinality limit of the metrics `matcher` selects: past `limit` series, new
    /// label values all go to one overflow series (see
    /// [`FamilyBuilder::max_series`](prom_kit::family::FamilyBuilder::max_series)).
    pub fn max_series(mut self, matcher: Matcher, limit: impl Into<Option<usize>>) -> Self {
        self.max_series.0.push((matcher, limit.into()));
        self
    }

    /// Idle-series expiry for the metrics `matcher` selects: a series not updated for
    /// `ttl` leaves the exposition and is freed (see
    /// [`FamilyBuilder::expire_after`](prom_kit::family::FamilyBuilder::expire_after)).
    pub fn expire_after(mut self, matcher: Matcher, ttl: Duration) -> Self {
        self.expire_after.0.push((matcher, ttl));
        self
    }

    /// Makes the recorder, to install yourself or to use for a scope with
    /// [`metrics::with_local_recorder`] (tests).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`] for an expiry time of zero.
    pub fn build(self) -> Result<PromKitRecorder> {
        if self.expire_after.0.iter().any(|(_, ttl)| ttl.is_zero()) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "an expiry time of zero would drop every series at once",
            ));
        }
        Ok(PromKitRecorder::new(self))
    }

    /// Makes the recorder and installs it as the process's global `metrics` recorder.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), and [`ErrorKind::AlreadyRegistered`] if a global
    /// recorder is installed already (the facade allows one per process).
    pub fn install(self) -> Result<()> {
        metrics::set_global_recorder(self.build()?).map_err(|_| {
            Error::new(
                ErrorKind::AlreadyRegistered,
                "a global `metrics` recorder is installed already (one per process)",
            )
        })
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The settings of the facade metric `name`.
    pub(crate) fn settings(&self, name: &str) -> MetricSettings {
        MetricSettings {
            histogram: self
                .histograms
                .find(name)
                .unwrap_or(&self.default_histogram)
                .clone(),
            max_series: *self
                .max_series
                .find(name)
                .unwrap_or(&self.default_max_series),
            expire_after: self.expire_after.find(name).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_matcher_wins() {
        let rules = Rules(vec![
            (Matcher::Suffix("_seconds".into()), 1),
            (Matcher::Prefix("http".into()), 2),
            (Matcher::Prefix("http_server".into()), 3),
            (Matcher::Full("http_server_seconds".into()), 4),
            (Matcher::Suffix("_bytes".into()), 5),
            (Matcher::Suffix("body_bytes".into()), 6),
        ]);
        assert_eq!(rules.find("http_server_seconds"), Some(&4));
        assert_eq!(rules.find("http_server_other_seconds"), Some(&3));
        assert_eq!(rules.find("http_client_seconds"), Some(&2));
        assert_eq!(rules.find("db_seconds"), Some(&1));
        assert_eq!(rules.find("request_body_bytes"), Some(&6));
        assert_eq!(rules.find("response_bytes"), Some(&5));
        assert_eq!(rules.find("other"), None);
    }
}
