//! [`RouteSeries`]: the series that the requests of one method, route and set of extra
//! label values record into — found in the families once, then kept, so that a request
//! looks nothing up in a family table.

use std::fmt;
use std::sync::{Arc, OnceLock, Weak};

use super::values::{FlightValues, SeriesValues};
use crate::trace::TraceSampler;
use crate::{Counter, Family, Gauge, Histogram};

/// The request metrics' families.
pub(super) struct Families {
    pub(super) requests: Option<Family<Counter>>,
    pub(super) duration: Family<Histogram>,
    pub(super) in_flight: Family<Gauge>,
    pub(super) request_size: Option<Family<Histogram>>,
    pub(super) response_size: Option<Family<Histogram>>,
    /// With trace exemplars on: the least time between two exemplars of one route
    /// series, in milliseconds (see [`RouteSeries::admit_trace_exemplar`]).
    pub(super) trace_exemplar_interval_ms: Option<u64>,
}

/// How many response statuses of one route keep their series at hand; requests with
/// further statuses (a route answering more than this many different ones) look theirs
/// up in the families.
const STATUS_SLOTS: usize = 8;

/// What a finished request records.
pub(super) struct Outcome<'a> {
    pub(super) status: u16,
    pub(super) elapsed_seconds: f64,
    pub(super) request_size: Option<u64>,
    pub(super) response_size: Option<u64>,
    pub(super) exemplar: Option<&'a [(&'a str, &'a str)]>,
}

/// Where a request finds the entry of another route (implemented by the route table, so
/// that an entry can lead back to its table without this module depending on it).
pub(super) trait FindRoute: Send + Sync {
    /// The entry of `method`, `route` and `extra`.
    fn series(&self, method: &'static str, route: &str, extra: &[String]) -> Arc<RouteSeries>;
    /// The route label value of requests that matched no route.
    fn unmatched_route(&self) -> &str;
    /// Whether requests matched to `route` are not recorded.
    fn is_excluded_route(&self, route: &str) -> bool;
}

/// The series of one (method, route, extra label values): the in-flight gauge, and the
/// series of each status seen, created on the first request with that status.
pub(super) struct RouteSeries {
    families: Arc<Families>,
    /// The number of the table this belongs to.
    pub(super) table_id: u64,
    /// That table, for requests that change route.
    pub(super) table: Weak<dyn FindRoute>,
    pub(super) method: &'static str,
    pub(super) route: Box<str>,
    pub(super) extra: Box<[String]>,
    /// The in-flight series of the method and extra values (shared by their routes).
    pub(super) in_flight: Option<Gauge>,
    /// Open addressing from `status % STATUS_SLOTS`: a slot is claimed once, for good,
    /// by the first status to reach it empty.
    statuses: [OnceLock<StatusSeries>; STATUS_SLOTS],
    /// When this series last took a trace exemplar.
    pub(super) trace_sampler: TraceSampler,
}

impl fmt::Debug for RouteSeries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteSeries")
            .field("method", &self.method)
            .field("route", &self.route)
            .field("extra", &self.extra)
            .finish_non_exhaustive()
    }
}

/// The series of one (method, route, status, extra label values).
struct StatusSeries {
    status: u16,
    requests: Option<Counter>,
    duration: Option<Histogram>,
    request_size: Option<Histogram>,
    response_size: Option<Histogram>,
}

impl RouteSeries {
    /// The entry of `method`, `route` and `extra` in `table` (its in-flight series
    /// found or created).
    pub(super) fn new(
        families: Arc<Families>,
        (table_id, table): (u64, Weak<dyn FindRoute>),
        method: &'static str,
        route: &str,
        extra: &[String],
    ) -> Self {
        let in_flight = families
            .in_flight
            .labels(&FlightValues { method, extra })
            .ok();
        Self {
            families,
            table_id,
            table,
            method,
            route: route.into(),
            extra: extra.into(),
            in_flight,
            statuses: Default::default(),
            trace_sampler: TraceSampler::default(),
        }
    }

    /// Whether this series is due a trace exemplar at `now` (see [`TraceSampler`]).
    #[inline]
    pub(super) fn trace_exemplar_due(&self, now: impl FnOnce() -> u64) -> bool {
        let interval = self.families.trace_exemplar_interval_ms;
        self.trace_sampler.due(interval, now)
    }

    /// Takes the series' trace exemplar turn at `now`, if it is still due.
    pub(super) fn admit_trace_exemplar(&self, now: impl FnOnce() -> u64) -> bool {
        let interval = self.families.trace_exemplar_interval_ms;
        self.trace_sampler.admit(interval, now)
    }

    /// Whether this is the entry for `method`, `route` and `extra` in table `table`.
    #[inline]
    pub(super) fn is(
        &self,
        table: u64,
        method: &'static str,
        route: &str,
        extra: &[String],
    ) -> bool {
        self.table_id == table
            && self.method == method
            && *self.route == *route
            && *self.extra == *extra
    }

    fn values<'a>(&'a self, status: Option<&'a str>) -> SeriesValues<'a> {
        SeriesValues {
            method: self.method,
            route: &self.route,
            status,
            extra: &self.extra,
        }
    }

    /// The series for `status`, if it has (or can claim) a slot.
    #[inline]
    fn status_series(&self, status: u16) -> Option<&StatusSeries> {
        let first = usize::from(status) % STATUS_SLOTS;
        (0..STATUS_SLOTS).find_map(|step| {
            let slot = &self.statuses[(first + step) % STATUS_SLOTS];
            let series = slot.get_or_init(|| self.create_status_series(status));
            (series.status == status).then_some(series)
        })
    }

    #[cold]
    fn create_status_series(&self, status: u16) -> StatusSeries {
        let mut text = itoa::Buffer::new();
        let values = self.values(Some(text.format(status)));
        let families = &*self.families;
        let histogram = |family: &Option<Family<Histogram>>| {
            family.as_ref().and_then(|f| f.labels(&values).ok())
        };
        StatusSeries {
            status,
            requests: families
                .requests
                .as_ref()
                .and_then(|f| f.labels(&values).ok()),
            duration: families.duration.labels(&values).ok(),
            request_size: histogram(&families.request_size),
            response_size: histogram(&families.response_size),
        }
    }

    /// Records a finished request.
    #[inline]
    pub(super) fn record(&self, outcome: &Outcome<'_>) {
        match self.status_series(outcome.status) {
            Some(series) => series.record(outcome),
            None => self.record_unslotted(outcome),
        }
    }

    /// Records a request whose status found no slot, through the families. The label
    /// count always matches the families', so the lookups are not errors.
    #[cold]
    fn record_unslotted(&self, outcome: &Outcome<'_>) {
        let mut text = itoa::Buffer::new();
        let values = self.values(Some(text.format(outcome.status)));
        let families = &*self.families;
        if let Some(requests) = &families.requests {
            let _ = requests.with(&values, |counter| count(counter, outcome.exemplar));
        }
        let _ = families.duration.with(&values, |histogram| {
            observe(histogram, outcome.elapsed_seconds, outcome.exemplar);
        });
        for (family, size) in [
            (&families.request_size, outcome.request_size),
            (&families.response_size, outcome.response_size),
        ] {
            if let (Some(family), Some(size)) = (family, size) {
                let _ = family.with(&values, |histogram| histogram.observe(size as f64));
            }
        }
    }
}

impl StatusSeries {
    #[inline]
    fn record(&self, outcome: &Outcome<'_>) {
        if let Some(counter) = &self.requests {
            count(counter, outcome.exemplar);
        }
        if let Some(histogram) = &self.duration {
            observe(histogram, outcome.elapsed_seconds, outcome.exemplar);
        }
        for (histogram, size) in [
            (&self.request_size, outcome.request_size),
            (&self.response_size, outcome.response_size),
        ] {
            if let (Some(histogram), Some(size)) = (histogram, size) {
                histogram.observe(size as f64);
            }
        }
    }
}

/// Counts one request, with its exemplar if it has one an exemplar can hold.
#[inline]
fn count(counter: &Counter, exemplar: Option<&[(&str, &str)]>) {
    let recorded = exemplar.is_some_and(|labels| counter.inc_by_with_exemplar(1, labels).is_ok());
    if !recorded {
        counter.inc();
    }
}

/// Observes a request's duration, with its exemplar if it has one an exemplar can hold.
#[inline]
fn observe(histogram: &Histogram, seconds: f64, exemplar: Option<&[(&str, &str)]>) {
    let recorded =
        exemplar.is_some_and(|labels| histogram.observe_with_exemplar(seconds, labels).is_ok());
    if !recorded {
        histogram.observe(seconds);
    }
}
