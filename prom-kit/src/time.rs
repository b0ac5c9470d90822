//! The wall-clock readings that metrics record (created timestamps, exemplar times).

/// Seconds since the Unix epoch, now, to the millisecond: the resolution Prometheus
/// stores timestamps in, and one the encoders print quickly (`1764000000.123`). Used for
/// created timestamps and exemplar times.
pub(crate) fn timestamp_now() -> f64 {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    // Exact below 2^53 milliseconds (the year 287396).
    millis as f64 / 1000.0
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
