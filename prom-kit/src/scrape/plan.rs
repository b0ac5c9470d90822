//! [`ScrapePlan`]: everything a scrape's request headers and query decide — the format,
//! the escaping of names, gzip and the `name[]` filter — negotiated once, before
//! anything is encoded, and followed by both the response's headers and its body.

use std::borrow::Cow;

use super::ScrapeRequest;
use super::accept_encoding::accepts_gzip;
use super::query::requested_names;
use crate::encoding::{EscapingScheme, Format, negotiate};
use crate::registry::NameSet;

/// How to answer one admitted scrape.
#[derive(Debug)]
pub(super) struct ScrapePlan {
    /// The format `Accept` chose.
    pub(super) format: Format,
    /// How names outside the legacy set are sent (`Accept`'s `escaping=`).
    pub(super) escaping: EscapingScheme,
    /// The `Content-Type` naming the format, its version and the escaping.
    pub(super) content_type: &'static str,
    /// Whether the body is gzipped (the handler allows it and `Accept-Encoding` takes it).
    pub(super) gzip: bool,
    /// The families the `name[]` parameters select; `None` without any (every family).
    /// Owned, so that the plan can go with the encoding to another thread.
    pub(super) names: Option<NameSet<'static>>,
}

impl ScrapePlan {
    /// The plan for `request`, gzipping only if `gzip_allowed`.
    pub(super) fn for_request(request: &ScrapeRequest<'_>, gzip_allowed: bool) -> Self {
        let negotiated = negotiate(request.accept);
        // No `name[]` parameter: every family; some: those named, none if no name
        // decodes (the filter never falls away).
        let names = request.query.and_then(requested_names).map(|names| {
            names
                .into_iter()
                .map(|name| Cow::Owned(name.into_owned()))
                .collect()
        });
        Self {
            format: negotiated.format,
            escaping: negotiated.escaping,
            content_type: negotiated.content_type,
            gzip: gzip_allowed && accepts_gzip(request.accept_encoding),
            names,
        }
    }

    /// The headers of a `200` answer.
    pub(super) fn headers(&self) -> Vec<(&'static str, &'static str)> {
        let mut headers = vec![
            ("content-type", self.content_type),
            ("vary", "Accept, Accept-Encoding"),
        ];
        if self.gzip {
            headers.push(("content-encoding", "gzip"));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_plan_decides_headers_and_encoding() {
        let request = ScrapeRequest {
            method: "GET",
            accept: Some("application/openmetrics-text; version=1.0.0; escaping=values"),
            accept_encoding: Some("gzip;q=0.5, *;q=0"),
            query: Some("name[]=a%20b&x=1&name[]=c"),
            scrape_timeout: None,
        };
        let plan = ScrapePlan::for_request(&request, true);
        assert_eq!(plan.format, Format::OpenMetrics);
        assert_eq!(plan.escaping, EscapingScheme::Values);
        assert!(plan.gzip);
        let mut names: Vec<_> = plan.names.iter().flatten().map(AsRef::as_ref).collect();
        names.sort_unstable();
        assert_eq!(names, ["a b", "c"]);
        assert_eq!(
            plan.headers(),
            [
                ("content-type", plan.content_type),
                ("vary", "Accept, Accept-Encoding"),
                ("content-encoding", "gzip")
            ]
        );
        // The handler's own setting wins over the scraper's wish.
        assert!(!ScrapePlan::for_request(&request, false).gzip);
        assert!(
            !ScrapePlan::for_request(&request, false)
                .headers()
                .iter()
                .any(|(k, _)| *k == "content-encoding")
        );
    }

    #[test]
    fn no_name_parameter_selects_every_family() {
        let plan = ScrapePlan::for_request(
            &ScrapeRequest {
                method: "GET",
                ..Default::default()
            },
            true,
        );
        assert!(plan.names.is_none());
        assert_eq!(plan.format, Format::Text);
        assert!(!plan.gzip, "no Accept-Encoding: no gzip");
    }
}
