use prom_kit::{CompactFamily, Counter, DenseFamily, Family, Histogram, Metrics};

#[derive(Metrics)]
struct CappedCounter {
    /// One series.
    #[metric(max_series = 100)]
    jobs: Counter,
}

#[derive(Metrics)]
struct CappedDense {
    /// Every combination.
    #[metric(labels = ["up"], max_series = 100)]
    flags: DenseFamily<Counter, (bool,)>,
}

#[derive(Metrics)]
struct ExpiringHistogram {
    /// One series.
    #[metric(expire_after = "10m")]
    latency: Histogram,
}

#[derive(Metrics)]
struct ExpiringCompact {
    /// No expiry.
    #[metric(labels = ["product"], expire_after = "10m")]
    views: CompactFamily<Counter>,
}

#[derive(Metrics)]
struct Wordy {
    /// Not a duration.
    #[metric(labels = ["user"], expire_after = "10 minutes")]
    logins: Family<Counter>,
}

#[derive(Metrics)]
struct Instant {
    /// Zero.
    #[metric(labels = ["user"], expire_after = "0s")]
    logins: Family<Counter>,
}

fn main() {}
