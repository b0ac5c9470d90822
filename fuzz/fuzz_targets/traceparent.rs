//! `prom_kit::trace::TraceParent::parse` on arbitrary bytes: never a panic, and it
//! accepts exactly what an independent reading of the W3C Trace Context grammar accepts
//! (written here from the recommendation, field by field, on text rather than bytes);
//! an accepted header's ids read back as the hex they were written in.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prom_kit::trace::TraceParent;

fn lower_hex(field: &str, len: usize) -> bool {
    field.len() == len && field.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// The recommendation's `traceparent`, trimmed of optional whitespace: `version "-"
/// trace-id "-" parent-id "-" trace-flags`, version 00 exactly so, a later version
/// (never `ff`) possibly followed by `-` and more.
fn reference(bytes: &[u8]) -> Option<(String, String, bool)> {
    // A later version's extra fields are ignored, whatever bytes they hold; invalid
    // UTF-8 elsewhere becomes U+FFFD, which no field allows.
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_matches([' ', '\t']);
    let mut fields = text.splitn(5, '-');
    let (version, trace, parent, flags) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let rest = fields.next();
    let later_version = version != "00";
    let valid = lower_hex(version, 2)
        && version != "ff"
        && lower_hex(trace, 32)
        && lower_hex(parent, 16)
        && lower_hex(flags, 2)
        && trace.chars().any(|c| c != '0')
        && parent.chars().any(|c| c != '0')
        && (rest.is_none() || later_version);
    let sampled = u8::from_str_radix(flags, 16).ok()? & 1 == 1;
    valid.then(|| (trace.to_owned(), parent.to_owned(), sampled))
}

fuzz_target!(|bytes: &[u8]| {
    let parsed = TraceParent::parse(bytes);
    let expected = reference(bytes);
    match (&parsed, &expected) {
        (Some(parent), Some((trace, span, sampled))) => {
            assert_eq!(std::str::from_utf8(&parent.trace_id_hex()).unwrap(), trace);
            assert_eq!(std::str::from_utf8(&parent.span_id_hex()).unwrap(), span);
            assert_eq!(parent.sampled(), *sampled);
        }
        (None, None) => {}
        _ => panic!("parse {parsed:?}, reference {expected:?} for {bytes:?}"),
    }
});
