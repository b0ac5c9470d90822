//! The deadline of a scrape's async collectors, from the scraper's
//! `X-Prometheus-Scrape-Timeout-Seconds` header.

use std::time::Duration;

use super::MetricsHandler;

/// Assumed when a request carries no usable timeout: Prometheus's default
/// `scrape_timeout`.
pub(super) const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);
/// Kept for encoding and sending the response.
pub(super) const DEFAULT_DEADLINE_MARGIN: Duration = Duration::from_millis(250);
/// The longest timeout taken from a header; a longer one is clamped to it.
const MAX_SCRAPE_TIMEOUT: Duration = Duration::from_secs(3600);

/// Reads an `X-Prometheus-Scrape-Timeout-Seconds` value: a positive, finite decimal
/// number of seconds (Prometheus sends `10`, `0.5`), surrounded by optional whitespace;
/// longer than an hour is read as an hour. `None` for anything else — empty, zero,
/// negative, `NaN`, infinite, a list (`1, 2`), a unit (`10s`) — so the handler's
/// default applies.
///
/// ```
/// use std::time::Duration;
/// use prom_kit::adapter::parse_scrape_timeout;
///
/// assert_eq!(parse_scrape_timeout(" 0.5 "), Some(Duration::from_millis(500)));
/// assert_eq!(parse_scrape_timeout("10"), Some(Duration::from_secs(10)));
/// assert_eq!(parse_scrape_timeout("1e9"), Some(Duration::from_secs(3600)));
/// for bad in ["", "0", "-1", "NaN", "inf", "10s", "1, 2", "0x10"] {
///     assert_eq!(parse_scrape_timeout(bad), None, "{bad:?}");
/// }
/// ```
pub fn parse_scrape_timeout(value: &str) -> Option<Duration> {
    let value = value.trim_matches([' ', '\t']);
    // Digits, one point and an exponent only: no sign words (`inf`, `NaN`), no hex.
    if !value
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let seconds: f64 = value.parse().ok()?;
    if !(seconds.is_finite() && seconds > 0.0) {
        return None;
    }
    let timeout = Duration::try_from_secs_f64(seconds.min(MAX_SCRAPE_TIMEOUT.as_secs_f64()));
    timeout.ok().filter(|t| !t.is_zero())
}

impl MetricsHandler {
    /// How long the async collectors of a scrape may run: the scraper's timeout (or the
    /// default) minus the margin, but at least half the timeout.
    pub(super) fn collect_deadline(&self, header: Option<&str>) -> Duration {
        let timeout = header
            .and_then(parse_scrape_timeout)
            .unwrap_or(self.inner.default_scrape_timeout);
        timeout
            .saturating_sub(self.inner.deadline_margin)
            .max(timeout / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    #[test]
    fn odd_header_values_fall_back_to_the_default() {
        for (value, expected) in [
            ("1", Some(1000)),
            ("\t2.25\t", Some(2250)),
            ("+3", Some(3000)),
            ("1e-3", Some(1)),
            ("5E0", Some(5000)),
            ("1e-10", None),
            ("1e400", None),
            ("-0", None),
            ("0.0", None),
            ("1.2.3", None),
            ("١", None),
            ("1\u{a0}", None),
            (" ", None),
            ("infinity", None),
        ] {
            let millis = parse_scrape_timeout(value).map(|d| d.as_millis());
            assert_eq!(millis, expected, "{value:?}");
        }
    }

    #[test]
    fn the_deadline_keeps_a_margin_but_at_least_half() {
        let registry = Registry::new();
        let handler = MetricsHandler::builder()
            .own_metrics(false)
            .default_scrape_timeout(Duration::from_secs(4))
            .build(&registry)
            .unwrap();
        let ms = |header| handler.collect_deadline(header).as_millis();
        assert_eq!(ms(None), 3750);
        assert_eq!(ms(Some("1")), 750);
        assert_eq!(ms(Some("0.3")), 150, "half of it, not 50 ms");
        assert_eq!(ms(Some("garbage")), 3750);
        assert_eq!(ms(Some("86400")), 3_599_750);
    }
}
