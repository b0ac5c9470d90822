//! [`BucketCells`]: a histogram's classic bucket counts and sum, in one stripe or several.

use std::sync::atomic::Ordering;

use crate::atomic::{CachePadded, STRIPES, add_f64, thread_stripe};
use crate::sync::AtomicU64;

/// Words per cache-padded chunk (128 bytes).
const CHUNK: usize = 16;

/// The counts of a histogram's classic buckets (one per finite bound, then `+Inf`) and
/// the sum of its observations, stored as one run of words per stripe: the counts, then
/// the sum's bits.
///
/// Unstriped, there is one run. Striped, there are [`STRIPES`] runs, each starting on its
/// own 128-byte boundary; a thread updates the run it was assigned, so two cores observing
/// at once never write the same cache line, and readers add the runs up.
#[derive(Debug)]
pub(crate) struct BucketCells {
    chunks: Box<[CachePadded<[AtomicU64; CHUNK]>]>,
    /// Count cells per run (finite bounds + 1).
    buckets: usize,
    /// Words from one run to the next; 0 when unstriped.
    stride: usize,
}

impl BucketCells {
    /// Cells for `buckets` counts, striped or not.
    pub(crate) fn new(buckets: usize, striped: bool) -> Self {
        let run = buckets + 1;
        let (stride, words) = if striped {
            let stride = run.div_ceil(CHUNK) * CHUNK;
            (stride, stride * STRIPES)
        } else {
            (0, run)
        };
        let chunks = (0..words.div_ceil(CHUNK))
            .map(|_| CachePadded(std::array::from_fn(|_| AtomicU64::new(0))))
            .collect();
        Self {
            chunks,
            buckets,
            stride,
        }
    }

    #[inline]
    fn word(&self, index: usize) -> Option<&AtomicU64> {
        self.chunks
            .get(index / CHUNK)
            .map(|chunk| &chunk.0[index % CHUNK])
    }

    /// Counts one observation of `value` in bucket `index`.
    #[inline]
    pub(crate) fn observe(&self, index: usize, value: f64) {
        let base = if self.stride == 0 {
            0
        } else {
            thread_stripe() * self.stride
        };
        if let Some(count) = self.word(base + index.min(self.buckets - 1)) {
            // Release: a reader that sees this count also sees what the observer did
            // before (a histogram's native observation). The same `lock xadd` on x86.
            count.fetch_add(1, Ordering::Release);
        }
        if let Some(sum) = self.word(base + self.buckets) {
            add_f64(sum, value);
        }
    }

    /// Counts one observation in bucket `index`, leaving the sum to the caller (a
    /// histogram with native buckets keeps its sum there).
    #[inline]
    pub(crate) fn count_in(&self, index: usize) {
        let base = if self.stride == 0 {
            0
        } else {
            thread_stripe() * self.stride
        };
        if let Some(count) = self.word(base + index.min(self.buckets - 1)) {
            count.fetch_add(1, Ordering::Release);
        }
    }

    fn runs(&self) -> impl Iterator<Item = usize> {
        let runs = if self.stride == 0 { 1 } else { STRIPES };
        (0..runs).map(move |run| run * self.stride)
    }

    /// Acquire, pairing with the release of [`observe`](Self::observe)'s count.
    fn load(&self, index: usize) -> u64 {
        self.word(index).map_or(0, |w| w.load(Ordering::Acquire))
    }

    /// Appends each bucket's count, added up over the runs.
    pub(crate) fn counts_into(&self, out: &mut Vec<u64>) {
        out.extend((0..self.buckets).map(|bucket| {
            self.runs().fold(0u64, |total, base| {
                total.wrapping_add(self.load(base + bucket))
            })
        }));
    }

    /// The number of observations.
    pub(crate) fn count(&self) -> u64 {
        self.runs().fold(0u64, |total, base| {
            (0..self.buckets).fold(total, |total, bucket| {
                total.wrapping_add(self.load(base + bucket))
            })
        })
    }

    /// The sum of the observations.
    pub(crate) fn sum(&self) -> f64 {
        self.runs()
            .map(|base| f64::from_bits(self.load(base + self.buckets)))
            .sum()
    }

    /// Sets every count and the sum to zero.
    pub(crate) fn reset(&self) {
        for chunk in &self.chunks {
            for word in &chunk.0 {
                word.store(0, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(cells: &BucketCells) -> Vec<u64> {
        let mut out = Vec::new();
        cells.counts_into(&mut out);
        out
    }

    #[test]
    fn striped_and_plain_cells_add_up_the_same() {
        for striped in [false, true] {
            for buckets in [1, 12, 15, 16, 17, 40] {
                let cells = BucketCells::new(buckets, striped);
                assert_eq!(cells.stride != 0, striped);
                std::thread::scope(|scope| {
                    for t in 0..6 {
                        let cells = &cells;
                        scope.spawn(move || {
                            for i in 0..1000 {
                                cells.observe((i + t) % buckets, 0.5);
                            }
                        });
                    }
                });
                let got = counts(&cells);
                assert_eq!(got.len(), buckets);
                assert_eq!(got.iter().sum::<u64>(), 6000, "{buckets} {striped}");
                assert_eq!(cells.count(), 6000);
                assert_eq!(cells.sum(), 3000.0);
                // Every bucket got its share: 6 threads × 1000 spread round-robin.
                let expected: Vec<u64> = (0..buckets)
                    .map(|b| {
                        (0..6)
                            .map(|t| (0..1000).filter(|i| (i + t) % buckets == b).count() as u64)
                            .sum()
                    })
                    .collect();
                assert_eq!(got, expected);
                cells.reset();
                assert_eq!(cells.count(), 0);
                assert_eq!(cells.sum(), 0.0);
            }
        }
    }

    #[test]
    fn stripes_do_not_share_cache_lines() {
        let cells = BucketCells::new(12, true);
        assert_eq!(cells.stride % CHUNK, 0);
        assert_eq!(cells.chunks.len(), STRIPES);
        let plain = BucketCells::new(12, false);
        assert_eq!(plain.chunks.len(), 1);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use std::sync::Arc;

    use super::*;

    /// Striped and plain cells: a reader racing two observers sees a count that only
    /// grows and never exceeds what was observed; nothing is lost.
    #[test]
    fn loom_cells_count_every_observation() {
        for striped in [false, true] {
            let mut builder = loom::model::Builder::new();
            builder.preemption_bound = Some(2);
            builder.check(move || {
                let cells = Arc::new(BucketCells::new(2, striped));
                let observers: Vec<_> = [0, 1]
                    .into_iter()
                    .map(|bucket| {
                        let cells = Arc::clone(&cells);
                        loom::thread::spawn(move || cells.observe(bucket, 1.0))
                    })
                    .collect();
                let first = cells.count();
                let second = cells.count();
                assert!(first <= second && second <= 2);
                for observer in observers {
                    observer.join().unwrap();
                }
                assert_eq!(cells.count(), 2);
                assert_eq!(cells.sum(), 2.0);
            });
        }
    }
}
