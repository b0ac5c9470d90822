//! [`Clock`]: where idle-series expiry and cached collectors read the time, so that tests
//! can move it by hand ([`ManualClock`]) instead of sleeping.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic time source: the system's ([`Clock::system`], the default everywhere) or
/// a [`ManualClock`] that only moves when told to.
///
/// ```
/// use std::time::Duration;
/// use prom_kit::clock::{Clock, ManualClock};
///
/// let manual = ManualClock::new();
/// let clock = Clock::from(manual.clone());
/// let start = clock.now();
/// manual.advance(Duration::from_secs(90));
/// assert_eq!(clock.now() - start, Duration::from_secs(90));
/// ```
#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<ManualClock>,
}

impl Clock {
    /// The system's monotonic clock ([`Instant::now`]).
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        self.manual
            .as_ref()
            .map_or_else(Instant::now, ManualClock::now)
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.manual {
            None => f.write_str("Clock::system()"),
            Some(manual) => manual.fmt(f),
        }
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Self {
            manual: Some(manual),
        }
    }
}

/// A clock that stands still until [`advance`](Self::advance)d; clones share one time.
/// For tests of expiry and caching that must not sleep.
#[derive(Clone)]
pub struct ManualClock {
    origin: Instant,
    /// Nanoseconds since `origin`.
    elapsed: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading the current system time until it is advanced.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            elapsed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves the time forward by `by` (saturating after about 584 years).
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .elapsed
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |elapsed| {
                Some(elapsed.saturating_add(nanos))
            });
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        let elapsed = Duration::from_nanos(self.elapsed.load(Ordering::Acquire));
        self.origin.checked_add(elapsed).unwrap_or(self.origin)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field(
                "advanced",
                &Duration::from_nanos(self.elapsed.load(Ordering::Relaxed)),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_saturates() {
        let manual = ManualClock::new();
        let clock = Clock::from(manual.clone());
        let start = clock.now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now(), start);
        manual.advance(Duration::from_millis(1500));
        assert_eq!(clock.now() - start, Duration::from_millis(1500));
        manual.advance(Duration::MAX);
        manual.advance(Duration::from_secs(1));
        assert!(clock.now() >= start);
        assert!(Clock::system().now() >= start);
        assert_eq!(format!("{:?}", Clock::system()), "Clock::system()");
    }
}
