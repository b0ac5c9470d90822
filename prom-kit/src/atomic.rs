//! Lock-free `f64` storage on top of `AtomicU64`, a cache-line padding wrapper, and the
//! per-thread stripe index the contention-friendly metrics share.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::sync::AtomicU64 as SyncU64;

/// How many stripes a contention-friendly metric spreads its updates over.
pub(crate) const STRIPES: usize = 8;

static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe, picked once, round-robin over the threads that update.
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The calling thread's stripe, below [`STRIPES`].
#[inline]
pub(crate) fn thread_stripe() -> usize {
    STRIPE.with(|stripe| {
        let mut index = stripe.get();
        if index == usize::MAX {
            index = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) % STRIPES;
            stripe.set(index);
        }
        index
    })
}

/// Adds `amount` to `cell`, saturating at `u64::MAX` instead of wrapping: a counter that
/// wrapped would read as a reset to Prometheus.
///
/// The hot path stays one relaxed `fetch_add`; the value it returns tells whether the sum
/// overflowed, and only then is the cell pinned to `u64::MAX`. A reader racing with that
/// pinning may see the wrapped value for an instant; every later read sees `u64::MAX`.
#[inline]
pub(crate) fn add_saturating(cell: &AtomicU64, amount: u64) {
    let previous = cell.fetch_add(amount, Ordering::Relaxed);
    if previous.checked_add(amount).is_none() {
        saturate(cell);
    }
}

#[cold]
#[inline(never)]
fn saturate(cell: &AtomicU64) {
    cell.store(u64::MAX, Ordering::Relaxed);
}

/// Adds `delta` to the `f64` whose bits `word` holds (a compare-and-swap loop, as every
/// lock-free Prometheus client does for float sums); returns the previous value.
#[inline]
pub(crate) fn add_f64(word: &SyncU64, delta: f64) -> f64 {
    let mut current = word.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + delta).to_bits();
        match word.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(previous) => return f64::from_bits(previous),
            Err(actual) => current = actual,
        }
    }
}

/// An `f64` stored as its bit pattern in an [`AtomicU64`].
///
/// Loads and stores are single atomic operations; additions are compare-and-swap loops,
/// as every lock-free Prometheus client does for float sums.
#[derive(Debug, Default)]
pub(crate) struct AtomicF64(SyncU64);

impl AtomicF64 {
    #[cfg(not(loom))]
    pub(crate) const fn new(value: f64) -> Self {
        Self(SyncU64::new(value.to_bits()))
    }

    #[cfg(loom)]
    pub(crate) fn new(value: f64) -> Self {
        Self(SyncU64::new(value.to_bits()))
    }

    #[inline]
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    #[inline]
    pub(crate) fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` and returns the previous value.
    #[inline]
    pub(crate) fn add(&self, delta: f64) -> f64 {
        add_f64(&self.0, delta)
    }
}

/// Aligns its content to 128 bytes so that two values written by different cores never
/// share a cache line (two 64-byte lines: adjacent-line prefetchers fetch pairs).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_returns_previous_and_accumulates() {
        let a = AtomicF64::new(1.5);
        assert!((a.add(2.25) - 1.5).abs() < f64::EPSILON);
        assert!((a.get() - 3.75).abs() < f64::EPSILON);
        a.set(-0.5);
        assert!((a.get() + 0.5).abs() < f64::EPSILON);
    }

    #[test]
    fn additions_saturate_at_the_maximum() {
        let cell = AtomicU64::new(0);
        add_saturating(&cell, u64::MAX);
        assert_eq!(cell.load(Ordering::Relaxed), u64::MAX);
        add_saturating(&cell, 2);
        assert_eq!(cell.load(Ordering::Relaxed), u64::MAX);
        add_saturating(&cell, 1);
        assert_eq!(cell.load(Ordering::Relaxed), u64::MAX);
        add_saturating(&cell, 0);
        assert_eq!(cell.load(Ordering::Relaxed), u64::MAX);
        let cell = AtomicU64::new(u64::MAX - 3);
        add_saturating(&cell, 3);
        assert_eq!(cell.load(Ordering::Relaxed), u64::MAX);
        // Concurrent additions across the boundary all end at the maximum.
        let cell = AtomicU64::new(u64::MAX - 1_000);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..1_000 {
                        add_saturating(&cell, 1);
                    }
                });
            }
        });
        assert_eq!(cell.load(Ordering::Relaxed), u64::MAX);
    }

    #[test]
    fn threads_spread_over_the_stripes() {
        let seen: std::collections::HashSet<usize> = (0..STRIPES * 2)
            .map(|_| std::thread::spawn(thread_stripe).join().unwrap())
            .collect();
        assert!(seen.len() > 1, "threads all landed on one stripe: {seen:?}");
        assert!(seen.iter().all(|s| *s < STRIPES));
    }

    #[test]
    fn padded_is_128_aligned() {
        assert_eq!(std::mem::align_of::<CachePadded<u8>>(), 128);
    }
}
