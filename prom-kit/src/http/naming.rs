//! The names, labels and bounded label values of the request metrics.

use crate::instrument::NamingScheme;

/// The `route` value of requests that matched no route: one fixed value, so that a
/// flood of random URLs cannot create new series.
pub const UNMATCHED_ROUTE: &str = "<unmatched>";

pub(super) struct Names {
    pub(super) requests: Option<&'static str>,
    pub(super) duration: &'static str,
    pub(super) in_flight: &'static str,
    pub(super) request_size: &'static str,
    pub(super) response_size: &'static str,
    pub(super) method: &'static str,
    pub(super) route: &'static str,
    pub(super) status: &'static str,
}

impl NamingScheme {
    pub(super) fn names(self) -> Names {
        match self {
            Self::Classic => Names {
                requests: Some("http_requests"),
                duration: "http_request_duration",
                in_flight: "http_requests_in_flight",
                request_size: "http_request_size",
                response_size: "http_response_size",
                method: "method",
                route: "route",
                status: "status",
            },
            Self::OpenTelemetry => Names {
                requests: None,
                duration: "http_server_request_duration",
                in_flight: "http_server_active_requests",
                request_size: "http_server_request_body_size",
                response_size: "http_server_response_body_size",
                method: "http_request_method",
                route: "http_route",
                status: "http_response_status_code",
            },
            Self::OpenTelemetryUtf8 => Names {
                requests: None,
                duration: "http.server.request.duration",
                in_flight: "http.server.active_requests",
                request_size: "http.server.request.body.size",
                response_size: "http.server.response.body.size",
                method: "http.request.method",
                route: "http.route",
                status: "http.response.status_code",
            },
        }
    }
}
