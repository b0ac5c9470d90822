use super::*;

fn counts(h: &Histogram) -> Vec<u64> {
    let mut scratch = Scratch::default();
    match h.snapshot(&mut scratch) {
        Snapshot::Histogram(s) => s.counts.to_vec(),
        other => panic!("unexpected {other:?}"),
    }
}

/// Stops observer threads however a scraping loop ends (a failed assertion must not
/// leave a thread scope waiting for them forever).
struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn classic_counts_never_exceed_the_native_count() {
    use crate::metrics::NativeBuckets;
    for striped in [false, true] {
        let mut config = HistogramConfig::both(
            Buckets::new([0.25, 0.5, 0.75]).unwrap(),
            NativeBuckets::new(1.1).unwrap(),
        );
        if striped {
            config = config.striped(true);
        }
        let h = Histogram::with_config(config);
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (h, stop) = (&h, &stop);
                scope.spawn(move || {
                    let mut i = 0u32;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        h.observe(f64::from((i + t) % 10) / 10.0);
                        i += 1;
                    }
                });
            }
            let _stop = StopOnDrop(&stop);
            let mut scratch = Scratch::default();
            for _ in 0..2_000 {
                let Snapshot::Histogram(s) = h.snapshot(&mut scratch) else {
                    unreachable!()
                };
                let native = s.native.unwrap();
                let classic: u64 = s.counts.iter().sum();
                assert!(
                    classic <= native.count,
                    "classic total {classic} above the native count {}",
                    native.count
                );
            }
        });
    }
}

#[test]
fn bucket_scan_agrees_with_a_binary_search() {
    let values = [
        f64::NEG_INFINITY,
        -1.0,
        0.0,
        0.25,
        0.5,
        1.0,
        3.0,
        7.5,
        39.0,
        40.0,
        1e9,
        f64::INFINITY,
    ];
    for len in 0..=40 {
        let bounds: Vec<f64> = (0..len).map(|i| f64::from(i) * 0.5).collect();
        for &value in &values {
            let expected = bounds.partition_point(|&b| b < value);
            let scan = scan_bounds(&bounds);
            assert_eq!(
                bucket_index(&scan, &bounds, value),
                expected,
                "{len} {value}"
            );
        }
        let scan = scan_bounds(&bounds);
        assert_eq!(bucket_index(&scan, &bounds, f64::NAN), bounds.len());
    }
}

#[test]
fn striped_histograms_count_every_thread() {
    let config = HistogramConfig::classic(Buckets::new([1.0, 2.0]).unwrap()).striped(true);
    assert!(config.is_striped());
    let h = Histogram::with_config(config);
    std::thread::scope(|scope| {
        for t in 0..5 {
            let h = &h;
            scope.spawn(move || {
                for i in 0..300 {
                    h.observe(f64::from((i + t) % 3) + 0.5);
                }
            });
        }
    });
    assert_eq!(counts(&h), vec![500, 500, 500]);
    assert_eq!(h.count(), 1500);
    assert!((h.sum() - 1500.0 * 1.5).abs() < 1e-9);
    h.reset();
    assert_eq!(h.count(), 0);
}

#[test]
fn values_land_in_le_buckets() {
    let h = Histogram::new(Buckets::new([1.0, 2.0]).unwrap());
    for v in [
        0.5,
        1.0,
        1.5,
        2.0,
        2.5,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ] {
        h.observe(v);
    }
    // le=1: 0.5, 1.0, -Inf; le=2: 1.5, 2.0; +Inf: 2.5, +Inf, NaN
    assert_eq!(counts(&h), vec![3, 2, 3]);
    assert_eq!(h.count(), 8);
    assert!(h.sum().is_nan());
}

#[test]
fn timer_observes_once_or_never() {
    let h = Histogram::new(Buckets::DEFAULT);
    h.start_timer().discard();
    assert_eq!(h.count(), 0);
    let elapsed = h.start_timer().observe();
    assert!(elapsed >= 0.0);
    drop(h.start_timer());
    assert_eq!(h.count(), 2);
}

#[test]
fn reset_zeroes() {
    let h = Histogram::new(Buckets::DEFAULT);
    h.observe(0.2);
    h.reset();
    assert_eq!(h.count(), 0);
    assert!(h.sum().abs() < f64::EPSILON);
}
