//! The label values of the request series, borrowed from what a request carries, so
//! that looking a series up allocates nothing.

use crate::labels::LabelValues;

/// The label values of one request series, without allocating.
pub(super) struct SeriesValues<'a> {
    pub(super) method: &'a str,
    pub(super) route: &'a str,
    pub(super) status: Option<&'a str>,
    pub(super) extra: &'a [String],
}

impl LabelValues for SeriesValues<'_> {
    fn label_count(&self) -> usize {
        2 + usize::from(self.status.is_some()) + self.extra.len()
    }

    fn label_value(&self, index: usize) -> &str {
        let fixed = 2 + usize::from(self.status.is_some());
        match (index, self.status) {
            (0, _) => self.method,
            (1, _) => self.route,
            (2, Some(status)) => status,
            _ => self.extra.get(index - fixed).map_or("", String::as_str),
        }
    }
}

/// The label values of one request's in-flight series: its method and extra label
/// values (the route is often not known yet when a request starts).
pub(super) struct FlightValues<'a> {
    pub(super) method: &'a str,
    pub(super) extra: &'a [String],
}

impl LabelValues for FlightValues<'_> {
    fn label_count(&self) -> usize {
        1 + self.extra.len()
    }

    fn label_value(&self, index: usize) -> &str {
        match index {
            0 => self.method,
            _ => self.extra.get(index - 1).map_or("", String::as_str),
        }
    }
}
