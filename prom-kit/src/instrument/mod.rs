//! What the bundled metric sets ([`HttpMetrics`](crate::http::HttpMetrics),
//! [`HttpClientMetrics`](crate::http_client::HttpClientMetrics),
//! [`GrpcMetrics`](crate::grpc::GrpcMetrics)) share: the naming scheme, the registry
//! scope (prefix and constant labels) their builders apply, and the runner that
//! contains a panic in a user's hook.

#[cfg(any(feature = "http", feature = "grpc"))]
mod hooks;
mod naming;
mod scope;

#[cfg(any(feature = "http", feature = "grpc"))]
pub(crate) use hooks::HookRunner;
pub use naming::NamingScheme;
#[cfg(any(feature = "http", feature = "http-client"))]
pub use naming::OTHER_METHOD;
#[cfg(any(feature = "http", feature = "http-client"))]
pub(crate) use naming::normalize_method;
pub(crate) use scope::RegistryScope;

/// The series limit of each family of a bundled metric set unless its builder's
/// `max_series` says otherwise: room for many routes or methods, far below what would
/// hurt a scrape.
pub(crate) const DEFAULT_METRIC_SET_MAX_SERIES: usize = 10_000;
