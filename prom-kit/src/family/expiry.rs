//! Idle-series expiry: what a family configured with
//! [`expire_after`](super::FamilyBuilder::expire_after) remembers of each series, and the
//! rule that decides, at each sweep, whether a series is live, hidden or freed.
//!
//! Nothing is recorded when a series is updated. A sweep (every scrape of the family, or
//! an explicit `sweep()`) reads each series' *activity* — a number that changes with
//! every update that changes the value (a counter's total, a histogram's count) — and
//! compares it with the one the previous sweep read: if it changed, the series was
//! updated since. A series whose activity has not changed for the time to live is idle:
//! - if nothing but the family refers to it, it is removed and its memory freed (a later
//!   lookup creates it afresh, from zero);
//! - if a handle is still held (by the caller, or by a thread's lookup cache), it stays
//!   in the family but is left out of the exposition, and comes back — with its value,
//!   no update lost — at the first sweep after an update changes it.

use std::time::{Duration, Instant};

use crate::clock::Clock;

/// A family's expiry settings.
#[derive(Clone, Debug)]
pub(crate) struct Expiry {
    ttl_ms: u64,
    clock: Clock,
    /// The times in [`Watch`]es are milliseconds since this.
    origin: Instant,
}

/// What a sweep remembers of one series.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Watch {
    activity: u64,
    /// When `activity` was last seen to change, in milliseconds since the origin.
    changed_ms: u64,
    hidden: bool,
}

/// What a sweep decides for one series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Exposed.
    Live,
    /// Idle but still referred to: kept, not exposed.
    Hidden,
    /// Idle and referred to by nothing else: to be removed.
    Free,
}

impl Expiry {
    /// Expiry after `ttl` of no change, timed by `clock`.
    pub(crate) fn new(ttl: Duration, clock: Clock) -> Self {
        let origin = clock.now();
        Self {
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1),
            clock,
            origin,
        }
    }

    /// The current time, in milliseconds since the origin.
    pub(crate) fn now_ms(&self) -> u64 {
        let elapsed = self.clock.now().saturating_duration_since(self.origin);
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
    }

    /// The watch of a series created now with `activity`.
    pub(crate) fn watch(&self, activity: u64) -> Watch {
        Watch {
            activity,
            changed_ms: self.now_ms(),
            hidden: false,
        }
    }

    /// Updates `watch` with the series' current `activity` at `now_ms`, and decides.
    /// `shared` tells whether a handle other than the family's refers to the series.
    pub(crate) fn judge(
        &self,
        watch: &mut Watch,
        activity: u64,
        shared: bool,
        now_ms: u64,
    ) -> Verdict {
        if activity != watch.activity {
            *watch = Watch {
                activity,
                changed_ms: now_ms,
                hidden: false,
            };
            return Verdict::Live;
        }
        if now_ms.saturating_sub(watch.changed_ms) < self.ttl_ms {
            return if watch.hidden {
                Verdict::Hidden
            } else {
                Verdict::Live
            };
        }
        watch.hidden = true;
        if shared {
            Verdict::Hidden
        } else {
            Verdict::Free
        }
    }
}

impl Watch {
    /// Whether the last sweep left this series out of the exposition.
    pub(crate) fn is_hidden(self) -> bool {
        self.hidden
    }

    /// Forgets any idleness: the series was just reset or re-created.
    pub(crate) fn restart(&mut self, activity: u64, now_ms: u64) {
        *self = Watch {
            activity,
            changed_ms: now_ms,
            hidden: false,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn a_series_is_idle_only_after_a_whole_ttl_without_change() {
        let manual = ManualClock::new();
        let expiry = Expiry::new(Duration::from_secs(60), manual.clone().into());
        let mut watch = expiry.watch(0);
        manual.advance(Duration::from_secs(59));
        assert_eq!(
            expiry.judge(&mut watch, 0, false, expiry.now_ms()),
            Verdict::Live
        );
        // An update at 59 s restarts the wait.
        assert_eq!(
            expiry.judge(&mut watch, 1, false, expiry.now_ms()),
            Verdict::Live
        );
        manual.advance(Duration::from_secs(59));
        assert_eq!(
            expiry.judge(&mut watch, 1, false, expiry.now_ms()),
            Verdict::Live
        );
        manual.advance(Duration::from_secs(1));
        assert_eq!(
            expiry.judge(&mut watch, 1, true, expiry.now_ms()),
            Verdict::Hidden
        );
        assert!(watch.is_hidden());
        // Still idle: hidden until referred to by nothing, then freed.
        assert_eq!(
            expiry.judge(&mut watch, 1, true, expiry.now_ms()),
            Verdict::Hidden
        );
        assert_eq!(
            expiry.judge(&mut watch, 1, false, expiry.now_ms()),
            Verdict::Free
        );
        // An update through a held handle brings it back.
        let mut watch = expiry.watch(1);
        manual.advance(Duration::from_secs(120));
        assert_eq!(
            expiry.judge(&mut watch, 1, true, expiry.now_ms()),
            Verdict::Hidden
        );
        assert_eq!(
            expiry.judge(&mut watch, 2, true, expiry.now_ms()),
            Verdict::Live
        );
        assert!(!watch.is_hidden());
    }

    #[test]
    fn extreme_ttls_neither_overflow_nor_expire_at_once() {
        let manual = ManualClock::new();
        let forever = Expiry::new(Duration::MAX, manual.clone().into());
        let instant = Expiry::new(Duration::from_nanos(1), manual.clone().into());
        let (mut long, mut short) = (forever.watch(0), instant.watch(0));
        assert_eq!(
            instant.judge(&mut short, 0, false, instant.now_ms()),
            Verdict::Live
        );
        manual.advance(Duration::from_secs(10 * 365 * 86_400));
        assert_eq!(
            forever.judge(&mut long, 0, false, forever.now_ms()),
            Verdict::Live
        );
        assert_eq!(
            instant.judge(&mut short, 0, false, instant.now_ms()),
            Verdict::Free
        );
    }
}
