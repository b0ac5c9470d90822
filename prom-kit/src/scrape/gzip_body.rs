//! A gzipped scrape body, compressed while it is encoded: the registry hands over its
//! output family by family (or shard by shard), so the uncompressed exposition is never
//! held whole (a single family still is, until it is complete).

use std::io::Write;

use super::plan::ScrapePlan;
use crate::Registry;
use crate::error::Result;
use crate::gzip::gzip_stream;
use crate::registry::AsyncCollection;

/// How much uncompressed output a gzipped scrape starts with room for (it drains it
/// past 256 KiB after a family or between two shards of one, and within a shard past
/// 4 MiB).
const STREAMED_CHUNK: usize = 512 << 10;

/// What [`encode_gzipped`] produced.
pub(super) struct Gzipped {
    /// The encoding's result: an error names a collector that failed (its output is
    /// left out of the body).
    pub(super) encoded: Result<()>,
    /// The compressed body, or the compressor's error.
    pub(super) body: std::io::Result<Vec<u8>>,
    /// The uncompressed size.
    pub(super) size: usize,
    /// The largest piece handed over at once, to size the next scrape's buffer.
    pub(super) largest_piece: usize,
}

/// Encodes `registry` as `plan` says through a gzip compressor. `last_size` (the last
/// uncompressed body) and `last_piece` (the last largest piece) size the buffers once
/// instead of growing them.
pub(super) fn encode_gzipped(
    registry: &Registry,
    plan: &ScrapePlan,
    collection: &AsyncCollection,
    last_size: usize,
    last_piece: usize,
) -> Gzipped {
    let mut compressor = gzip_stream(last_size / 8 + 1024);
    let (mut size, mut largest_piece) = (0, 0);
    let mut written = Ok(());
    let mut pending = Vec::with_capacity(last_piece.max(STREAMED_CHUNK) + 1024);
    let encoded = registry.encode_collected_streaming(
        plan.format,
        plan.escaping,
        plan.names.as_ref(),
        collection,
        &mut pending,
        Some(&mut |chunk: &mut Vec<u8>| {
            size += chunk.len();
            largest_piece = largest_piece.max(chunk.len());
            if written.is_ok() {
                written = compressor.write_all(chunk);
            }
            chunk.clear();
        }),
    );
    Gzipped {
        encoded,
        body: written.and_then(|()| compressor.finish()),
        size,
        largest_piece,
    }
}
