//! What one scrape shares across its families ([`Exposition`]), the protobuf family
//! being assembled ([`ProtoSlot`]), and the closing of an exposition.

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

/// Holds a family being assembled in the protobuf format (nothing without the feature).
#[cfg(feature = "protobuf")]
pub(crate) type ProtoSlot = Option<super::protobuf::ProtoFamily>;
/// Holds a family being assembled in the protobuf format (nothing without the feature).
#[cfg(not(feature = "protobuf"))]
#[derive(Debug, Default)]
pub(crate) struct ProtoSlot(());

/// Writes out the protobuf family assembled in `slot`, if any.
pub(crate) fn flush(slot: &mut ProtoSlot, out: &mut Vec<u8>) {
    #[cfg(feature = "protobuf")]
    if let Some(family) = slot.take() {
        family.write(out);
    }
    #[cfg(not(feature = "protobuf"))]
    let _ = (slot, out);
}

/// Appends the OpenMetrics terminator.
pub(crate) fn write_eof(out: &mut Vec<u8>) {
    out.extend_from_slice(b"# EOF\n");
}
