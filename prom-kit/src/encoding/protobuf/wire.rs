//! The protobuf wire format, written straight into a buffer: keys, varints, doubles,
//! strings, and nested messages whose length is filled in once they are written.
//!
//! A nested message's length precedes it, but is known only after it. [`begin`] leaves
//! one byte for it and [`end`] fills it in; a message of 128 bytes or more needs a longer
//! varint, and `end` moves the message up to make room (a series' message is small, so
//! this is rare and short). No message is built as a struct first.

/// Wire type of varints.
const VARINT: u32 = 0;
/// Wire type of 64-bit fixed values (doubles).
const FIXED64: u32 = 1;
/// Wire type of length-delimited fields (strings, messages).
const LEN: u32 = 2;

/// Appends `value` as a varint.
#[inline]
pub(super) fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The low seven bits, with the continuation bit.
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    #[expect(clippy::cast_possible_truncation, reason = "below 0x80 here")]
    out.push(value as u8);
}

/// The number of bytes `value` takes as a varint.
#[inline]
pub(super) fn varint_len(value: u64) -> usize {
    // One byte per started group of seven bits (at least one).
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

#[inline]
fn key(out: &mut Vec<u8>, tag: u32, wire_type: u32) {
    varint(out, u64::from(tag << 3 | wire_type));
}

/// An unsigned integer field (`uint64`, `uint32`, and `int64`/`int32` as two's complement).
#[inline]
pub(super) fn uint(out: &mut Vec<u8>, tag: u32, value: u64) {
    key(out, tag, VARINT);
    varint(out, value);
}

/// A signed integer field as `int64`/`int32` encode it (negative values take ten bytes).
#[inline]
pub(super) fn int(out: &mut Vec<u8>, tag: u32, value: i64) {
    #[expect(
        clippy::cast_sign_loss,
        reason = "two's complement, as protobuf encodes it"
    )]
    uint(out, tag, value as u64);
}

/// A `sint32`/`sint64` field (zigzag).
#[inline]
pub(super) fn sint(out: &mut Vec<u8>, tag: u32, value: i64) {
    #[expect(clippy::cast_sign_loss, reason = "zigzag encoding")]
    uint(out, tag, ((value << 1) ^ (value >> 63)) as u64);
}

/// A `double` field.
#[inline]
pub(super) fn double(out: &mut Vec<u8>, tag: u32, value: f64) {
    key(out, tag, FIXED64);
    out.extend_from_slice(&value.to_le_bytes());
}

/// A `string` or `bytes` field.
#[inline]
pub(super) fn bytes(out: &mut Vec<u8>, tag: u32, value: &[u8]) {
    key(out, tag, LEN);
    varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// The bytes a `string`/`bytes` field of a one-byte tag with `len` bytes takes.
#[inline]
pub(super) fn bytes_field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// Starts a nested message field whose length is known: its key and its length.
#[inline]
pub(super) fn begin_sized(out: &mut Vec<u8>, tag: u32, len: usize) {
    key(out, tag, LEN);
    varint(out, len as u64);
}

/// Starts a nested message field: its key and a one-byte length to fill in. Returns
/// where the message starts, for [`end`].
#[inline]
pub(super) fn begin(out: &mut Vec<u8>, tag: u32) -> usize {
    key(out, tag, LEN);
    out.push(0);
    out.len()
}

/// Ends the nested message (or the delimited family) started at `start`: writes its
/// length in the byte before it, moving it up when the length needs more than one.
#[inline]
pub(super) fn end(out: &mut Vec<u8>, start: usize) {
    let len = out.len() - start;
    if let Ok(byte @ 0..0x80) = u8::try_from(len) {
        out[start - 1] = byte;
        return;
    }
    let width = varint_len(len as u64);
    out.resize(out.len() + width - 1, 0);
    out.copy_within(start..start + len, start + width - 1);
    // The length's varint, written in place (no buffer of its own).
    let mut rest = len;
    for byte in &mut out[start - 1..start - 1 + width] {
        // The low seven bits, with the continuation bit while more follow.
        *byte = u8::try_from(rest & 0x7f).unwrap_or(0) | if rest >= 0x80 { 0x80 } else { 0 };
        rest >>= 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_their_lengths() {
        for value in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            varint(&mut out, value);
            assert_eq!(out.len(), varint_len(value), "{value}");
            let mut slice = out.as_slice();
            assert_eq!(prost::encoding::decode_varint(&mut slice).unwrap(), value);
        }
    }

    #[test]
    fn nested_messages_of_every_length_class_get_their_length() {
        for len in [0usize, 1, 127, 128, 129, 16_383, 16_384, 70_000] {
            let mut out = vec![0xaa];
            let start = begin(&mut out, 7);
            out.extend(std::iter::repeat_n(0x55, len));
            end(&mut out, start);
            let mut rest = &out[1..];
            let (tag, wire_type) = prost::encoding::decode_key(&mut rest).unwrap();
            assert_eq!(
                (tag, wire_type),
                (7, prost::encoding::WireType::LengthDelimited)
            );
            let decoded =
                usize::try_from(prost::encoding::decode_varint(&mut rest).unwrap()).unwrap();
            assert_eq!(decoded, len);
            assert_eq!(rest.len(), len);
            assert!(rest.iter().all(|&b| b == 0x55));
        }
    }

    #[test]
    fn signed_encodings_match_prost() {
        for value in [
            0i64,
            1,
            -1,
            63,
            -64,
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut ours = Vec::new();
            sint(&mut ours, 3, value);
            let mut theirs = Vec::new();
            prost::encoding::sint64::encode(3, &value, &mut theirs);
            assert_eq!(ours, theirs, "sint {value}");
            let mut ours = Vec::new();
            int(&mut ours, 3, value);
            let mut theirs = Vec::new();
            prost::encoding::int64::encode(3, &value, &mut theirs);
            assert_eq!(ours, theirs, "int {value}");
        }
    }
}
