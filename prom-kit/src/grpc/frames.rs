//! [`GrpcFrameCounter`]: counts the messages of a gRPC body as its bytes stream past.

/// The length of a gRPC message's prefix: a compression flag and a 32-bit big-endian
/// length.
const PREFIX_LEN: usize = 5;

/// Counts the length-prefixed messages of a gRPC request or response body, fed the
/// body's data chunks in order, however the chunks split the messages (a prefix may
/// arrive a byte at a time, one chunk may end several messages). A message counts when
/// its last byte has passed; a body cut short leaves its last message uncounted, as a
/// gRPC peer would never have decoded it.
///
/// It reads only the 5-byte prefixes (the bytes are never copied or kept), so any input
/// is safe: a hostile length only makes the counter wait for bytes that never come.
///
/// ```
/// use prom_kit::adapter::GrpcFrameCounter;
///
/// // Two messages: 3 bytes, then an empty one.
/// let body = [0, 0, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 0, 0];
/// let mut counter = GrpcFrameCounter::new();
/// assert_eq!(counter.feed(&body[..6]), 0);
/// assert_eq!(counter.feed(&body[6..]), 2);
/// assert_eq!(counter.messages(), 2);
/// assert!(counter.at_boundary());
/// ```
#[derive(Clone, Debug, Default)]
pub struct GrpcFrameCounter {
    /// The bytes of the current prefix seen so far (0 to 4; 0 also between messages).
    prefix_seen: usize,
    /// The current prefix's length bytes, accumulated as they arrive.
    length: u32,
    /// Payload bytes of the current message still to come.
    payload_left: u64,
    /// Messages completed.
    messages: u64,
}

impl GrpcFrameCounter {
    /// A counter at the start of a body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of the body; returns how many messages it completed.
    pub fn feed(&mut self, mut chunk: &[u8]) -> u64 {
        let before = self.messages;
        while !chunk.is_empty() {
            if self.payload_left > 0 {
                let available = chunk.len() as u64;
                let taken = available.min(self.payload_left);
                self.payload_left -= taken;
                // `taken` ≤ `chunk.len()`, so it fits a usize.
                chunk = &chunk[usize::try_from(taken).unwrap_or(chunk.len())..];
                if self.payload_left == 0 {
                    self.messages += 1;
                }
                continue;
            }
            // Inside a prefix: byte 0 is the flag, bytes 1–4 the length.
            let byte = chunk[0];
            chunk = &chunk[1..];
            if self.prefix_seen > 0 {
                self.length = (self.length << 8) | u32::from(byte);
            }
            self.prefix_seen += 1;
            if self.prefix_seen == PREFIX_LEN {
                self.prefix_seen = 0;
                self.payload_left = u64::from(self.length);
                self.length = 0;
                if self.payload_left == 0 {
                    self.messages += 1;
                }
            }
        }
        self.messages - before
    }

    /// Messages completed so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Whether the bytes fed so far end exactly at the end of a message (or are empty).
    pub fn at_boundary(&self) -> bool {
        self.prefix_seen == 0 && self.payload_left == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: usize) -> Vec<u8> {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
        bytes.extend(std::iter::repeat_n(7u8, len));
        bytes
    }

    #[test]
    fn every_split_of_a_body_counts_the_same() {
        let body: Vec<u8> = [0, 1, 300, 0, 70_000]
            .into_iter()
            .flat_map(message)
            .collect();
        let mut whole = GrpcFrameCounter::new();
        assert_eq!(whole.feed(&body), 5);
        for chunk_len in [1, 2, 3, 4, 5, 6, 7, 299, 4096] {
            let mut counter = GrpcFrameCounter::new();
            let total: u64 = body.chunks(chunk_len).map(|c| counter.feed(c)).sum();
            assert_eq!(total, 5, "chunks of {chunk_len}");
            assert!(counter.at_boundary());
        }
    }

    #[test]
    fn a_cut_body_leaves_its_last_message_uncounted() {
        let mut counter = GrpcFrameCounter::new();
        let mut body = message(10);
        body.extend_from_slice(&[1, 0xff, 0xff, 0xff, 0xff, 1, 2]);
        assert_eq!(counter.feed(&body), 1);
        assert!(!counter.at_boundary());
        // A prefix announcing 4 GiB only waits.
        assert_eq!(counter.feed(&[0; 1000]), 0);
        let mut half_prefix = GrpcFrameCounter::new();
        assert_eq!(half_prefix.feed(&[0, 0, 0]), 0);
        assert!(!half_prefix.at_boundary());
    }
}
