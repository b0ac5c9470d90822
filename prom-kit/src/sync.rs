//! The synchronization primitives of the lock-free metric protocols: std's atomics and
//! `parking_lot`'s mutex normally, loom's under `--cfg loom`, so that the loom models
//! (`cargo test` with `RUSTFLAGS="--cfg loom"`, see `.ci/run`) check the very code that
//! runs in production.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::thread_local;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(not(loom))]
pub(crate) use parking_lot::{Mutex, RwLock};

/// loom's reader-writer lock with `parking_lot`'s interface (no poisoning).
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct RwLock<T>(loom::sync::RwLock<T>);

#[cfg(loom)]
impl<T> RwLock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(loom::sync::RwLock::new(value))
    }

    pub(crate) fn read(&self) -> loom::sync::RwLockReadGuard<'_, T> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> loom::sync::RwLockWriteGuard<'_, T> {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// loom's mutex with `parking_lot`'s interface (no poisoning).
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn try_lock(&self) -> Option<loom::sync::MutexGuard<'_, T>> {
        self.0.try_lock().ok()
    }
}

/// One round of waiting for other threads to finish a step: spin a little, then yield.
/// Under loom, always a yield, which tells the model checker that this thread waits.
#[inline]
pub(crate) fn wait_a_little(spins: &mut u32) {
    #[cfg(loom)]
    {
        let _ = spins;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    {
        *spins += 1;
        if *spins < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}
