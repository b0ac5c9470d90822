//! [`GrpcMethods`]: the methods a gRPC adapter records by name, and the labels of a call.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock};

use super::{GrpcMethod, GrpcType, UNKNOWN_GRPC};

/// The labels of the calls to one method: service, method and kind. Shared by every call
/// to it, so starting a call allocates none of them.
#[derive(Debug, PartialEq, Eq)]
pub struct GrpcCallLabels {
    service: Box<str>,
    method: Box<str>,
    kind: &'static str,
}

impl GrpcCallLabels {
    /// The `grpc_service` value.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The `grpc_method` value.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The `grpc_type` value ([`UNKNOWN_GRPC`] for a path no table knows).
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

/// The labels every call to an unknown path shares.
static UNKNOWN_CALL: LazyLock<Arc<GrpcCallLabels>> = LazyLock::new(|| {
    Arc::new(GrpcCallLabels {
        service: UNKNOWN_GRPC.into(),
        method: UNKNOWN_GRPC.into(),
        kind: UNKNOWN_GRPC,
    })
});

/// The methods whose calls are recorded under their own service and method, each with its
/// kind: gRPC's wire format does not say whether a call streams, so the adapter learns it
/// here (from the service's descriptors, or from the user). A path the table does not
/// hold — a method of another service, a random path a client made up — is recorded
/// under [`UNKNOWN_GRPC`] for service, method and kind: cardinality stays bounded by the
/// table.
///
/// ```
/// use prom_kit::grpc::{GrpcMethods, GrpcType, UNKNOWN_GRPC};
///
/// let methods = GrpcMethods::new()
///     .service("demo.Greeter", [("SayHello", GrpcType::Unary), ("Countdown", GrpcType::ServerStream)]);
/// let call = methods.resolve("/demo.Greeter/Countdown");
/// assert_eq!((call.service(), call.method(), call.kind()), ("demo.Greeter", "Countdown", "server_stream"));
/// let odd = methods.resolve("/demo.Greeter/Nope");
/// assert_eq!((odd.service(), odd.method(), odd.kind()), (UNKNOWN_GRPC, UNKNOWN_GRPC, UNKNOWN_GRPC));
/// ```
#[derive(Clone, Default)]
pub struct GrpcMethods {
    by_path: HashMap<Box<str>, Arc<GrpcCallLabels>>,
}

impl fmt::Debug for GrpcMethods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcMethods")
            .field("methods", &self.by_path.len())
            .finish()
    }
}

impl GrpcMethods {
    /// An empty table: every call is recorded under [`UNKNOWN_GRPC`] until methods are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one method of `service` (fully qualified: `package.Service`) with its kind.
    /// Names that cannot form a path (empty, or holding `/`, `?` or `#`) are ignored:
    /// no call could ever reach them.
    #[must_use]
    pub fn method(mut self, service: &str, method: &str, kind: GrpcType) -> Self {
        let path = format!("/{service}/{method}");
        if GrpcMethod::parse(&path).is_some() {
            let labels = GrpcCallLabels {
                service: service.into(),
                method: method.into(),
                kind: kind.name(),
            };
            self.by_path.insert(path.into(), Arc::new(labels));
        }
        self
    }

    /// Adds the methods of `service`, each with its kind.
    #[must_use]
    pub fn service<'a>(
        self,
        service: &str,
        methods: impl IntoIterator<Item = (&'a str, GrpcType)>,
    ) -> Self {
        methods.into_iter().fold(self, |table, (method, kind)| {
            table.method(service, method, kind)
        })
    }

    /// Adds every method of `other`.
    #[must_use]
    pub fn merge(mut self, other: &GrpcMethods) -> Self {
        for (path, labels) in &other.by_path {
            self.by_path.insert(path.clone(), Arc::clone(labels));
        }
        self
    }

    /// How many methods the table holds.
    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    /// Whether the table holds no method.
    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    /// Every path of the table with its labels.
    pub(super) fn paths(&self) -> impl Iterator<Item = (&str, Arc<GrpcCallLabels>)> {
        self.by_path
            .iter()
            .map(|(path, labels)| (&**path, Arc::clone(labels)))
    }

    /// The labels of every method in the table.
    pub fn calls(&self) -> impl Iterator<Item = &GrpcCallLabels> {
        self.by_path.values().map(|labels| &**labels)
    }

    /// The labels of a call to `path` (the request's `:path`): the method's own, or the
    /// shared unknown ones.
    pub fn resolve(&self, path: &str) -> Arc<GrpcCallLabels> {
        self.by_path
            .get(path)
            .map_or_else(|| Arc::clone(&UNKNOWN_CALL), Arc::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_names_are_not_added_and_later_entries_win() {
        let methods = GrpcMethods::new()
            .method("", "A", GrpcType::Unary)
            .method("s", "a/b", GrpcType::Unary)
            .method("s", "a?", GrpcType::Unary)
            .method("s", "A", GrpcType::Unary)
            .method("s", "A", GrpcType::BidiStream);
        assert_eq!(methods.len(), 1);
        assert_eq!(methods.resolve("/s/A").kind(), "bidi_stream");
        let merged = GrpcMethods::new()
            .method("t", "B", GrpcType::ClientStream)
            .merge(&methods);
        assert_eq!(merged.len(), 2);
        for odd in ["", "/", "/s/A/", "/S/A", "s/A", "/s/A?x"] {
            assert_eq!(merged.resolve(odd).service(), UNKNOWN_GRPC, "{odd:?}");
        }
    }
}
