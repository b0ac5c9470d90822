//! Gzip compression, shared by the scrape handler (responses) and the Pushgateway client
//! (request bodies).

use flate2::Compression;
use flate2::write::GzEncoder;

/// Gzips `body` at the fastest level: exposition text compresses well even there, and
/// a scrape should cost the target as little CPU as possible.
#[cfg(any(feature = "push", test))]
pub(crate) fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

/// A gzip stream at the fastest level, fed piece by piece (a scrape's body, family by
/// family), into a buffer of `capacity` to start with.
#[cfg(feature = "scrape")]
pub(crate) fn gzip_stream(capacity: usize) -> GzEncoder<Vec<u8>> {
    GzEncoder::new(Vec::with_capacity(capacity), Compression::fast())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        use std::io::Read;
        let body = b"metric 1\n".repeat(100);
        let compressed = gzip(&body).unwrap();
        assert!(compressed.len() < body.len());
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
    }
}
