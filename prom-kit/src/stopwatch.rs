//! [`Stopwatch`]: how long a request, a call or a timed block took.
//!
//! Every instrumented request reads the clock twice, so the clock is a good part of what
//! the middleware costs. `quanta` reads the CPU's time-stamp counter where it is
//! invariant (x86-64 with `constant_tsc`/`nonstop_tsc`), scaled to nanoseconds — two
//! readings take about 20 ns on the benchmark machine, against 54 ns for two
//! `Instant::now()` through the vDSO (`7_middleware_breakdown` in `benches/`) — and falls
//! back to the system's monotonic clock elsewhere. Its first reading calibrates the
//! counter against the system clock (a few milliseconds of spinning, at most 200 ms);
//! [`calibrate`] lets the builders pay that at start-up instead of the first request.

use std::time::Duration;

/// A started stopwatch (`Copy`; reading it does not stop it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stopwatch(quanta::Instant);

impl Stopwatch {
    /// Starts measuring now.
    #[inline]
    pub(crate) fn start() -> Self {
        Self(quanta::Instant::now())
    }

    /// The time since [`start`](Self::start) (never negative).
    #[inline]
    pub(crate) fn elapsed(self) -> Duration {
        quanta::Instant::now().saturating_duration_since(self.0)
    }

    /// The time since [`start`](Self::start), in seconds.
    /// When it started, as time since `origin` (zero if before it).
    #[cfg(any(feature = "http", feature = "http-client", feature = "grpc"))]
    #[inline]
    pub(crate) fn started_since(self, origin: quanta::Instant) -> Duration {
        self.0.saturating_duration_since(origin)
    }

    #[inline]
    pub(crate) fn elapsed_seconds(self) -> f64 {
        self.elapsed().as_secs_f64()
    }
}

/// Calibrates the clock now, if it is not yet (see the module documentation).
#[cfg(any(feature = "http", feature = "http-client", feature = "grpc"))]
pub(crate) fn calibrate() {
    let _ = quanta::Instant::now();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_sleep_against_the_system_clock() {
        let _ = Stopwatch::start();
        // Two system-clock intervals bracket the stopwatch's: one started before it and
        // read after it, one started after it and read before it. Preemption anywhere
        // widens the bracket instead of failing the test.
        let outer = std::time::Instant::now();
        let stopwatch = Stopwatch::start();
        let inner = std::time::Instant::now();
        std::thread::sleep(Duration::from_millis(30));
        let low = inner.elapsed();
        let measured = stopwatch.elapsed();
        let high = outer.elapsed();
        assert!(measured >= Duration::from_millis(29), "{measured:?}");
        // Calibration error (parts per million) and the counter's rounding: 1 ms of slack.
        let slack = Duration::from_millis(1);
        assert!(
            measured + slack >= low && measured <= high + slack,
            "{low:?} <= {measured:?} <= {high:?}"
        );
    }

    #[test]
    fn readings_never_go_backwards_across_threads() {
        let start = Stopwatch::start();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut last = Duration::ZERO;
                    for _ in 0..10_000 {
                        let now = start.elapsed();
                        assert!(now >= last);
                        last = now;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    }
}
