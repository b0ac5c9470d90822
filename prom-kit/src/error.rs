//! The crate's one error type.
//!
//! Every fallible operation returns [`Error`]; match on [`Error::kind`] to tell the cases
//! apart. The message (`Display`) names the offending input (a name, a value, an address)
//! and the rule it breaks or what to do instead, and includes the message of its
//! underlying cause, if any: print it with `{error}`. The cause itself stays available
//! through [`std::error::Error::source`], to match on (an [`std::io::ErrorKind`], a
//! gateway's answer).

use std::fmt;

/// What went wrong, in a form a caller can match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A metric name is empty, or does not match `[a-zA-Z_:][a-zA-Z0-9_:]*` where legacy
    /// names are required (see [`NameValidation`](crate::NameValidation)).
    InvalidMetricName,
    /// A label name is empty, or does not match `[a-zA-Z_][a-zA-Z0-9_]*` where legacy
    /// names are required (see [`NameValidation`](crate::NameValidation)).
    InvalidLabelName,
    /// A label name is reserved: it starts with `__` (in a UTF-8 registry, also once an
    /// escaping scheme writes it: `1x` is `__x` with `dots`), or it is `le` on a
    /// histogram, `quantile` on a summary, or the family's own name on a state set.
    ReservedLabelName,
    /// The same label name appears twice in one label set.
    DuplicateLabelName,
    /// The number of label values differs from the number of label names.
    LabelCount,
    /// A unit is not a valid metric name suffix.
    InvalidUnit,
    /// A metric with this name, or one whose exposed series names overlap it, is already
    /// registered.
    AlreadyRegistered,
    /// No metric with this name is registered.
    NotRegistered,
    /// Histogram bucket bounds are empty, unsorted, duplicated or not finite.
    InvalidBuckets,
    /// A value is not allowed here (a negative or NaN counter increment, for instance).
    InvalidValue,
    /// A fixed-cardinality label set has too many combinations to store densely.
    TooManySeries,
    /// A collector wrote a sample whose type does not match its family's type.
    TypeMismatch,
    /// A collector failed while producing its families at scrape time.
    Collect,
    /// A pushed metric carries a label that the push's grouping key also sets (`job`
    /// or a grouping label).
    LabelClash,
    /// A network exchange failed or timed out; the cause is the source.
    Transport,
    /// The remote end (a Pushgateway) refused the request; the source is a
    /// `push::GatewayResponse` with its status and body.
    Rejected,
    /// An I/O operation (binding a listener) failed; the cause is the source.
    Io,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            Self::InvalidMetricName => "invalid metric name",
            Self::InvalidLabelName => "invalid label name",
            Self::ReservedLabelName => "reserved label name",
            Self::DuplicateLabelName => "duplicate label name",
            Self::LabelCount => "wrong number of label values",
            Self::InvalidUnit => "invalid unit",
            Self::AlreadyRegistered => "metric already registered",
            Self::NotRegistered => "metric not registered",
            Self::InvalidBuckets => "invalid histogram buckets",
            Self::InvalidValue => "invalid value",
            Self::TooManySeries => "too many series",
            Self::TypeMismatch => "sample type does not match the family type",
            Self::Collect => "collector failed",
            Self::LabelClash => "label clashes with the grouping key",
            Self::Transport => "transport error",
            Self::Rejected => "request rejected",
            Self::Io => "I/O error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The error type of every fallible prom-kit operation.
///
/// ```
/// use prom_kit::{ErrorKind, Registry, Counter};
///
/// let registry = Registry::new();
/// let err = registry.register("bad-name", "help", Counter::new()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidMetricName);
/// assert_eq!(
///     err.to_string(),
///     "invalid metric name: \"bad-name\" does not match [a-zA-Z_:][a-zA-Z0-9_:]* \
///      (legacy name validation; a registry made with NameValidation::Utf8 accepts it)"
/// );
/// ```
pub struct Error {
    kind: ErrorKind,
    context: Box<str>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// Creates an error of `kind` about the input described by `context`.
    pub fn new(kind: ErrorKind, context: impl Into<Box<str>>) -> Self {
        Self {
            kind,
            context: context.into(),
            source: None,
        }
    }

    /// Creates an error of `kind` caused by `source`.
    pub fn with_source(
        kind: ErrorKind,
        context: impl Into<Box<str>>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            kind,
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// An error about a named input, quoted in the message.
    pub(crate) fn about(kind: ErrorKind, input: &str) -> Self {
        Self::new(kind, format!("{input:?}"))
    }

    /// The error standing for a panic of user code (`what`: "collector", "async
    /// collector"), with the panic's message: the call is contained, and fails alone.
    pub(crate) fn panicked(what: &str, payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        Self::new(ErrorKind::Collect, format!("{what} panicked: {message}"))
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The input the error is about (a quoted name, a value, a count).
    pub fn context(&self) -> &str {
        &self.context
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("context", &self.context);
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.context.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.context)
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The result type of prom-kit's fallible operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
