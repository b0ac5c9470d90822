//! What one scrape shares across its families ([`Exposition`]), a family a format
//! assembles before writing it out whole ([`PendingFamily`]), and the closing of an
//! exposition.

use super::{EscapingScheme, Format};
use crate::name::NameValidation;

/// How one scrape is written: what every family of it shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exposition {
    /// The format.
    pub(crate) format: Format,
    /// How names outside the legacy set are sent.
    pub(crate) escaping: EscapingScheme,
    /// The names the registry accepts (collector output is checked against it).
    pub(crate) validation: NameValidation,
    /// Whether OpenMetrics output carries `_created` samples.
    pub(crate) created: bool,
}

/// A family that its format assembles whole before writing it out (a protobuf
/// `MetricFamily` message; the text formats write as they go and leave it empty). The
/// registry keeps one per family being written and [`flush`](Self::flush)es it when the
/// family is complete, knowing nothing of the format.
#[derive(Debug, Default)]
pub(crate) struct PendingFamily {
    #[cfg(feature = "protobuf")]
    pub(super) proto: Option<super::protobuf::ProtoFamily>,
}

impl PendingFamily {
    /// Writes out the family assembled here, if any, and empties it.
    #[cfg_attr(
        not(feature = "protobuf"),
        expect(clippy::unused_self, reason = "only protobuf families are assembled")
    )]
    pub(crate) fn flush(&mut self, out: &mut Vec<u8>) {
        #[cfg(feature = "protobuf")]
        if let Some(family) = self.proto.take() {
            family.write(out);
        }
        #[cfg(not(feature = "protobuf"))]
        let _ = out;
    }
}
