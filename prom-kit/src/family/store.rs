//! [`SeriesStore`]: a shard's series — label text and metric — in fixed-size chunks.

use crate::metrics::Metric;

/// Series per chunk.
const CHUNK: usize = 256;

/// How many metrics a scrape reads ahead at once (see
/// [`SeriesStore::for_each_warmed`]).
const WARM_GROUP: usize = 8;

/// A chunk's text is compacted when more than this many of its bytes are unreferenced
/// and they outnumber the referenced ones.
const MIN_GARBAGE: usize = 256;

/// The series of one shard, in positions `0..len`: each one's rendered label text and
/// metric.
///
/// Series live in chunks of [`CHUNK`]; each chunk keeps its series' label texts back to
/// back in one string, and a series refers to its text by offset and length. So a series
/// costs its text, two `u32`s and its metric handle — no allocation of its own, no
/// pointer-and-length pair — and growing never copies series nor reserves room for as
/// many again. Removal moves the last series into the freed position (as
/// `Vec::swap_remove` does) and compacts a chunk's text once most of it is unreferenced.
#[derive(Debug)]
pub(super) struct SeriesStore<M> {
    chunks: Vec<Chunk<M>>,
    len: usize,
}

#[derive(Debug)]
struct Chunk<M> {
    entries: Vec<Entry<M>>,
    text: String,
    /// Bytes of `text` that no entry refers to.
    garbage: usize,
}

#[derive(Debug)]
struct Entry<M> {
    start: u32,
    len: u32,
    metric: M,
}

impl<M> Default for SeriesStore<M> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<M> Chunk<M> {
    fn new() -> Self {
        Self {
            entries: Vec::with_capacity(CHUNK),
            text: String::new(),
            garbage: 0,
        }
    }

    fn labels(&self, entry: &Entry<M>) -> &str {
        let start = entry.start as usize;
        self.text
            .get(start..start + entry.len as usize)
            .unwrap_or("")
    }

    /// Appends `labels` to the text; `None` if the text would outgrow `u32` offsets.
    fn append(&mut self, labels: &str) -> Option<(u32, u32)> {
        let start = u32::try_from(self.text.len()).ok()?;
        let len = u32::try_from(labels.len()).ok()?;
        start.checked_add(len)?;
        self.text.push_str(labels);
        Some((start, len))
    }

    /// Forgets the text of a removed entry.
    fn release(&mut self, start: u32, len: u32) {
        if (start + len) as usize == self.text.len() {
            self.text.truncate(start as usize);
        } else {
            self.garbage += len as usize;
        }
        if self.garbage > MIN_GARBAGE && self.garbage * 2 > self.text.len() {
            self.compact();
        }
    }

    /// Rewrites the text with only the referenced parts, exactly sized.
    fn compact(&mut self) {
        let mut text = String::with_capacity(self.text.len() - self.garbage);
        for entry in &mut self.entries {
            let start = entry.start as usize;
            let labels = self
                .text
                .get(start..start + entry.len as usize)
                .unwrap_or("");
            // Never longer than before, so the offsets still fit.
            #[expect(
                clippy::cast_possible_truncation,
                reason = "positions are kept below 2^32 (see `insert`)"
            )]
            {
                entry.start = text.len() as u32;
            }
            text.push_str(labels);
        }
        self.text = text;
        self.garbage = 0;
    }
}

impl<M> SeriesStore<M> {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The label text and metric at `index`.
    pub(super) fn get(&self, index: usize) -> Option<(&str, &M)> {
        let chunk = self.chunks.get(index / CHUNK)?;
        let entry = chunk.entries.get(index % CHUNK)?;
        Some((chunk.labels(entry), &entry.metric))
    }

    /// Adds a series at position `len`; gives `metric` back if its text cannot be stored
    /// (a chunk's text past 4 GiB).
    pub(super) fn push(&mut self, labels: &str, metric: M) -> Result<(), M> {
        if self.chunks.last().is_none_or(|c| c.entries.len() == CHUNK) {
            if let Some(full) = self.chunks.last_mut() {
                full.text.shrink_to_fit();
            }
            self.chunks.push(Chunk::new());
        }
        let Some(chunk) = self.chunks.last_mut() else {
            return Err(metric);
        };
        let Some((start, len)) = chunk.append(labels) else {
            return Err(metric);
        };
        chunk.entries.push(Entry { start, len, metric });
        self.len += 1;
        Ok(())
    }

    /// Removes the series at `index`, moving the last one into its place.
    pub(super) fn swap_remove(&mut self, index: usize) -> Option<M> {
        if index >= self.len {
            return None;
        }
        let last_index = self.chunks.len().checked_sub(1)?;
        let last_chunk = self.chunks.last_mut()?;
        let last = last_chunk.entries.pop()?;
        self.len -= 1;
        let target_chunk = index / CHUNK;
        if index == self.len {
            last_chunk.release(last.start, last.len);
            if last_chunk.entries.is_empty() {
                self.chunks.pop();
            }
            return Some(last.metric);
        }
        let moved = if target_chunk == last_index {
            // Same chunk: the text stays where it is.
            last
        } else {
            // The text moves to the chunk the series moves to.
            let labels = last_chunk.labels(&last).to_owned();
            last_chunk.release(last.start, last.len);
            if last_chunk.entries.is_empty() {
                self.chunks.pop();
            }
            let chunk = self.chunks.get_mut(target_chunk)?;
            let (start, len) = chunk.append(&labels)?;
            Entry {
                start,
                len,
                metric: last.metric,
            }
        };
        let chunk = self.chunks.get_mut(target_chunk)?;
        let slot = chunk.entries.get_mut(index % CHUNK)?;
        let removed = std::mem::replace(slot, moved);
        chunk.release(removed.start, removed.len);
        Some(removed.metric)
    }

    pub(super) fn clear(&mut self) {
        self.chunks = Vec::new();
        self.len = 0;
    }

    /// Gives back the room the list of chunks has beyond its chunks.
    pub(super) fn shrink_to_fit(&mut self) {
        self.chunks.shrink_to_fit();
    }

    /// Calls `visit` with every series' position, label text and metric, in position
    /// order, reading each group of [`WARM_GROUP`] metrics once before visiting them: a
    /// scrape of metrics that are out of the cache then waits for one miss per group,
    /// the group's loads overlapping, instead of one per series.
    pub(super) fn for_each_warmed(&self, mut visit: impl FnMut(usize, &str, &M))
    where
        M: Metric,
    {
        let mut position = 0;
        for chunk in &self.chunks {
            for group in chunk.entries.chunks(WARM_GROUP) {
                let warmth = group
                    .iter()
                    .fold(0_u64, |acc, entry| acc ^ entry.metric.warm());
                std::hint::black_box(warmth);
                for entry in group {
                    visit(position, chunk.labels(entry), &entry.metric);
                    position += 1;
                }
            }
        }
    }

    /// Every series' label text and metric, in position order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &M)> {
        self.chunks.iter().flat_map(|chunk| {
            chunk
                .entries
                .iter()
                .map(move |entry| (chunk.labels(entry), &entry.metric))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(i: usize) -> String {
        format!("k=\"{}\"", "v".repeat(i % 40))
    }

    #[test]
    fn behaves_like_a_vec_with_swap_remove() {
        let mut store = SeriesStore::default();
        let mut plain: Vec<(String, usize)> = Vec::new();
        for i in 0..3 * CHUNK + 7 {
            store.push(&text(i), i).unwrap();
            plain.push((text(i), i));
        }
        let mut state = 17usize;
        let mut next = 10_000;
        while !plain.is_empty() {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let index = (state >> 33) % plain.len();
            assert_eq!(store.swap_remove(index), Some(plain.swap_remove(index).1));
            // Now and then a new series joins, so chunks fill and empty in turn.
            if state % 5 == 0 {
                store.push(&text(next), next).unwrap();
                plain.push((text(next), next));
                next += 1;
            }
            assert_eq!(store.len(), plain.len());
            if plain.len() % 37 == 0 {
                let got: Vec<(&str, &usize)> = store.iter().collect();
                let expected: Vec<(&str, &usize)> =
                    plain.iter().map(|(t, m)| (t.as_str(), m)).collect();
                assert_eq!(got, expected);
                for (i, (t, m)) in plain.iter().enumerate() {
                    assert_eq!(store.get(i), Some((t.as_str(), m)));
                }
                assert_eq!(store.get(plain.len()), None);
            }
        }
        assert_eq!(store.swap_remove(0), None);
        assert!(store.chunks.is_empty());
        store.push("a=\"b\"", 5).unwrap();
        assert_eq!(store.get(0), Some(("a=\"b\"", &5)));
        store.clear();
        assert_eq!(store.len(), 0);
        assert_eq!(store.iter().count(), 0);
    }

    #[test]
    fn removals_do_not_grow_the_text_without_bound() {
        let mut store = SeriesStore::default();
        for i in 0..CHUNK {
            store.push(&text(i), i).unwrap();
        }
        let full = store.chunks[0].text.len();
        // Remove and re-add the same number of series many times over.
        for round in 0..50 {
            for i in 0..CHUNK / 2 {
                store.swap_remove(i);
            }
            for i in 0..CHUNK / 2 {
                store.push(&text(i + round), i).unwrap();
            }
            let chunk = &store.chunks[0];
            assert!(
                chunk.text.len() <= 3 * full,
                "{} > 3 × {full}",
                chunk.text.len()
            );
            let referenced: usize = chunk.entries.iter().map(|e| e.len as usize).sum();
            assert_eq!(referenced + chunk.garbage, chunk.text.len());
        }
    }
}
