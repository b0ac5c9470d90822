//! Measuring whether something stalls an async runtime.

use std::time::{Duration, Instant};

/// Sleeps `ticks` times for `period` and returns the worst lateness of a wake-up: how
/// long, at most, the runtime this runs on could not run it. Spawn it next to the work
/// under test (a scrape encoded on the same runtime stalls it for the encoding's length).
pub async fn worst_lateness(ticks: u32, period: Duration) -> Duration {
    let mut worst = Duration::ZERO;
    for _ in 0..ticks {
        let before = Instant::now();
        tokio::time::sleep(period).await;
        worst = worst.max(before.elapsed().saturating_sub(period));
    }
    worst
}
