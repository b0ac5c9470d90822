//! Streamed output: a scrape that compresses its body hands the encoded output over in
//! pieces instead of holding it whole.

/// Takes the output written so far (and leaves it empty), for a scrape that streams its
/// body through a compressor.
pub(crate) type Drain<'d> = &'d mut dyn FnMut(&mut Vec<u8>);

/// How much output a streamed scrape gathers before it drains it where that is cheap:
/// after a family, or between two shards of one, with no lock held.
#[cfg(not(test))]
pub(crate) const STREAM_CHUNK: usize = 256 << 10;
/// Smaller in the crate's tests, so that they reach both drain points with small
/// registries.
#[cfg(test)]
pub(crate) const STREAM_CHUNK: usize = 16 << 10;

/// How much output a streamed family may gather before it is drained between two of
/// its series, under the shard's read lock (only a shard holding more text than this
/// gets there): the bound on the uncompressed output a streamed scrape holds, whatever
/// the size of its families.
#[cfg(not(test))]
pub(crate) const STREAM_LIMIT: usize = 4 << 20;
/// Smaller in the crate's tests (see [`STREAM_CHUNK`]).
#[cfg(test)]
pub(crate) const STREAM_LIMIT: usize = 64 << 10;

/// Hands `out` to `drain`, if there is one, once it holds at least `at_least` bytes
/// (and any at all).
pub(crate) fn drain_past(drain: Option<&mut Drain<'_>>, out: &mut Vec<u8>, at_least: usize) {
    if let Some(drain) = drain {
        if !out.is_empty() && out.len() >= at_least {
            drain(out);
        }
    }
}

/// A family's drain, when its output is streamed (none when it is held whole).
#[derive(Default)]
pub(crate) struct StreamedTo<'d>(pub(crate) Option<Drain<'d>>);

impl std::fmt::Debug for StreamedTo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "streamed"
        } else {
            "held whole"
        })
    }
}
