//! [`Exclusions`]: the request paths and route templates an [`HttpMetrics`](super::HttpMetrics)
//! does not record, and the check that keeps a route template out of the paths.

use crate::error::{Error, ErrorKind, Result};

/// Paths (matched exactly against the request path) and route templates (matched
/// exactly against the route the framework matched) that are not recorded.
#[derive(Debug, Default)]
pub(super) struct Exclusions {
    paths: Vec<Box<str>>,
    routes: Vec<Box<str>>,
}

impl Exclusions {
    /// The exclusions; a path that looks like a route template is refused, since no
    /// request path would ever equal it.
    pub(super) fn new(paths: Vec<String>, routes: Vec<String>) -> Result<Self> {
        if let Some(path) = paths.iter().find(|path| looks_like_template(path)) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "exclude_path({path:?}) looks like a route template, which no request \
                     path equals: use exclude_route({path:?}) to leave out every request \
                     matched to that route"
                ),
            ));
        }
        Ok(Self {
            paths: paths.into_iter().map(String::into_boxed_str).collect(),
            routes: routes.into_iter().map(String::into_boxed_str).collect(),
        })
    }

    /// Whether requests matched to `route` are left out.
    pub(super) fn contains_route(&self, route: &str) -> bool {
        self.routes.iter().any(|r| **r == *route)
    }

    /// Whether a request to `path`, matched to `route`, is left out.
    pub(super) fn contains(&self, path: &str, route: Option<&str>) -> bool {
        self.paths.iter().any(|p| **p == *path)
            || route.is_some_and(|route| self.contains_route(route))
    }
}

/// Whether `path` has a route template's syntax: a `{…}` parameter (axum 0.8, actix,
/// matchit), or a segment starting with `:` or `*` (axum 0.7, express-style). A colon
/// within a segment (`/v1/models/m:predict`) is a plain path.
fn looks_like_template(path: &str) -> bool {
    path.contains(['{', '}'])
        || path
            .split('/')
            .any(|segment| segment.starts_with(':') || segment.starts_with('*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_refused_as_paths_with_the_fix_named() {
        for template in [
            "/internal/{id}",
            "/files/{*rest}",
            "/users/:id",
            "/static/*path",
            "/{tenant}",
        ] {
            let error = Exclusions::new(vec![template.to_owned()], Vec::new()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidValue, "{template}");
            assert_eq!(
                error
                    .to_string()
                    .matches(&format!("exclude_route({template:?})"))
                    .count(),
                1,
                "{error}"
            );
        }
        for path in [
            "/metrics",
            "/health",
            "/v1/models/m:predict",
            "/",
            "",
            "/a*b",
        ] {
            assert!(
                Exclusions::new(vec![path.to_owned()], Vec::new()).is_ok(),
                "{path}"
            );
        }
    }

    #[test]
    fn paths_match_the_path_and_routes_the_route() {
        let excluded = Exclusions::new(
            vec!["/metrics".to_owned()],
            vec!["/internal/{id}".to_owned()],
        )
        .unwrap();
        assert!(excluded.contains("/metrics", None));
        assert!(excluded.contains("/metrics", Some("/metrics")));
        assert!(excluded.contains("/internal/7", Some("/internal/{id}")));
        assert!(
            !excluded.contains("/internal/{id}", None),
            "a route is not a path"
        );
        assert!(!excluded.contains("/internal/7", None));
        assert!(!excluded.contains("/metrics/", Some("/metrics/")));
    }
}
