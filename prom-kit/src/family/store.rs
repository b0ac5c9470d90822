//! [`ChunkedVec`]: a vector that grows by fixed-size chunks.

/// Elements per chunk.
const CHUNK: usize = 256;

/// A vector of `T` stored in chunks of [`CHUNK`] elements, so that growing it never
/// copies the elements nor reserves room for as many again: a large family's series
/// storage stays within one chunk of its size.
#[derive(Debug)]
pub(super) struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ChunkedVec<T> {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub(super) fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// Removes the element at `index`, moving the last one into its place.
    pub(super) fn swap_remove(&mut self, index: usize) -> Option<T> {
        if index >= self.len {
            return None;
        }
        let last_chunk = self.chunks.last_mut()?;
        let last = last_chunk.pop()?;
        if last_chunk.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        if index == self.len {
            return Some(last);
        }
        let slot = self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK)?;
        Some(std::mem::replace(slot, last))
    }

    pub(super) fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_with_swap_remove() {
        let mut chunked = ChunkedVec::default();
        let mut plain = Vec::new();
        for i in 0..3 * CHUNK + 7 {
            chunked.push(i);
            plain.push(i);
        }
        let mut state = 17usize;
        while !plain.is_empty() {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let index = (state >> 33) % plain.len();
            assert_eq!(chunked.swap_remove(index), Some(plain.swap_remove(index)));
            assert_eq!(chunked.len(), plain.len());
            if plain.len() % 97 == 0 {
                assert!(chunked.iter().eq(plain.iter()));
                assert_eq!(chunked.get(plain.len()), None);
            }
        }
        assert_eq!(chunked.swap_remove(0), None);
        assert!(chunked.chunks.is_empty());
        chunked.push(5);
        assert_eq!(chunked.get(0), Some(&5));
        chunked.clear();
        assert_eq!(chunked.len(), 0);
        assert_eq!(chunked.iter().count(), 0);
    }
}
