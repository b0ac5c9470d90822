//! Several threads update counters and histograms while another thread encodes over and
//! over: every scrape must be internally consistent (`_count` equals the `+Inf` bucket,
//! cumulative buckets never decrease), no value may go backwards between scrapes, and the
//! final totals must be exact.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;

use prom_kit::{Buckets, Counter, Family, Histogram, Registry};

const WRITERS: usize = 4;
/// Each writer runs at least this many iterations, and on until the scraper has
/// scraped [`MIN_SCRAPES`] times while it was writing.
const ITERATIONS: u64 = 100_000;
const MIN_SCRAPES: u32 = 50;

/// `sample name + labels` → value, from one text-format scrape.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("sample line");
            (series.to_owned(), value.parse().expect("numeric value"))
        })
        .collect()
}

fn check_histogram(scrape: &HashMap<String, f64>, labels: &str) {
    let prefix = if labels.is_empty() {
        String::new()
    } else {
        format!("{labels},")
    };
    let mut previous = 0.0;
    for le in ["0.001", "0.01", "0.1", "1", "10", "+Inf"] {
        let key = format!("latency_bucket{{{prefix}le=\"{le}\"}}");
        let bucket = *scrape.get(&key).unwrap_or_else(|| panic!("{key} missing"));
        assert!(
            bucket >= previous,
            "cumulative bucket {key} decreased: {bucket} < {previous}"
        );
        previous = bucket;
    }
    let count_key = if labels.is_empty() {
        "latency_count".to_owned()
    } else {
        format!("latency_count{{{labels}}}")
    };
    assert_eq!(
        scrape[&count_key], previous,
        "_count differs from the +Inf bucket"
    );
}

#[test]
fn concurrent_updates_and_scrapes_stay_consistent() {
    let registry = Registry::new();
    let counter = Counter::new();
    let histogram = Histogram::new(Buckets::new([0.001, 0.01, 0.1, 1.0, 10.0]).unwrap());
    let family: Family<Counter> = Family::new(["worker"]).unwrap();
    registry.register("ops", "Ops.", counter.clone()).unwrap();
    registry
        .register("latency", "Latency.", histogram.clone())
        .unwrap();
    registry
        .register("per_worker", "Per worker.", family.clone())
        .unwrap();

    let done = AtomicBool::new(false);
    let scrapes_done = AtomicU32::new(0);
    let scrapes = thread::scope(|scope| {
        let scraper = scope.spawn(|| {
            let mut last: HashMap<String, f64> = HashMap::new();
            let mut scrapes = 0u32;
            loop {
                let finished = done.load(Ordering::Acquire);
                let scrape = samples(&registry.encode_text().unwrap());
                check_histogram(&scrape, "");
                for (series, value) in &scrape {
                    if let Some(before) = last.get(series) {
                        assert!(
                            value >= before,
                            "{series} went backwards: {value} < {before}"
                        );
                    }
                }
                last = scrape;
                scrapes += 1;
                scrapes_done.store(scrapes, Ordering::Relaxed);
                if finished {
                    return (scrapes, last);
                }
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (counter, histogram, family, scrapes_done) =
                    (&counter, &histogram, &family, &scrapes_done);
                scope.spawn(move || {
                    let mine = family.labels(&[w.to_string()]).unwrap();
                    let mut i = 0;
                    while i < ITERATIONS || scrapes_done.load(Ordering::Relaxed) < MIN_SCRAPES {
                        counter.inc();
                        mine.inc();
                        // Spread over every bucket: 0.0005, 0.005, 0.05, 0.5, 5, 50.
                        histogram.observe(0.0005 * 10f64.powi((i % 6) as i32));
                        if i % 1000 == 0 {
                            family
                                .labels(&[format!("transient-{w}-{}", i / 1000)])
                                .unwrap()
                                .inc();
                        }
                        i += 1;
                    }
                    i
                })
            })
            .collect();
        let iterations: Vec<u64> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        done.store(true, Ordering::Release);
        (scraper.join().unwrap(), iterations)
    });

    let ((count, last), iterations) = scrapes;
    assert!(count >= MIN_SCRAPES, "the scraper ran only {count} times");
    verify_totals(&last, &iterations, &family, &histogram);
}

/// The last scrape holds exactly what the writers did.
fn verify_totals(
    last: &HashMap<String, f64>,
    iterations: &[u64],
    family: &Family<Counter>,
    histogram: &Histogram,
) {
    let total = iterations.iter().sum::<u64>() as f64;
    assert_eq!(last["ops_total"], total);
    assert_eq!(last["latency_count"], total);
    // Replay the observations to get the exact expected buckets and sum.
    let mut expected_buckets = [0u64; 6];
    let mut expected_sum = 0.0;
    for &done in iterations {
        for i in 0..done {
            expected_buckets[(i % 6) as usize] += 1;
            expected_sum += 0.0005 * 10f64.powi((i % 6) as i32);
        }
    }
    let mut cumulative = 0;
    for (le, observed) in ["0.001", "0.01", "0.1", "1", "10", "+Inf"]
        .iter()
        .zip(expected_buckets)
    {
        cumulative += observed;
        assert_eq!(
            last[&format!("latency_bucket{{le=\"{le}\"}}")],
            cumulative as f64,
            "le={le}"
        );
    }
    for (w, &done) in iterations.iter().enumerate() {
        assert_eq!(
            last[&format!("per_worker_total{{worker=\"{w}\"}}")],
            done as f64
        );
    }
    let transient: u64 = iterations.iter().map(|done| done.div_ceil(1000)).sum();
    assert_eq!(family.len() as u64, WRITERS as u64 + transient);
    assert!(
        (histogram.sum() - expected_sum).abs() < 1e-9 * expected_sum,
        "{} vs {expected_sum}",
        histogram.sum()
    );
}
