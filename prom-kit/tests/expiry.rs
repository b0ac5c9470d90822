//! Idle-series expiry (`FamilyBuilder::expire_after`) with a manual clock, so no test
//! sleeps: idle series leave the exposition and are freed, a held handle (the caller's,
//! or a thread's lookup cache) keeps its series hidden but never loses an update, a freed
//! counter restarts from zero with a new created timestamp, the overflow series and
//! `max_series` work with expiry, dense families hide and show series again, and sweeps
//! racing lookups, updates, removals and scrapes on other threads never let a lookup
//! answer with a freed series.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use prom_kit::clock::ManualClock;
use prom_kit::labels::OVERFLOW_LABEL_VALUE;
use prom_kit::{
    Counter, DenseFamily, ErrorKind, Family, Format, Gauge, Histogram, Registry, Summary,
};

const TTL: Duration = Duration::from_secs(300);

fn expiring<M: prom_kit::metrics::Metric>(clock: &ManualClock, names: &[&str]) -> Family<M> {
    Family::builder(names.iter().copied())
        .expire_after(TTL)
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// A sweep sees a change only when it compares values, so each test sweeps (as a scrape
/// would) after its updates, before the clock moves on.
fn exposed(registry: &Registry) -> String {
    registry.encode_text().unwrap()
}

/// The sample lines of the text exposition (an empty family keeps its HELP and TYPE).
fn samples(registry: &Registry) -> String {
    let mut out = String::new();
    for line in exposed(registry).lines().filter(|l| !l.starts_with('#')) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn openmetrics(registry: &Registry) -> String {
    let mut out = Vec::new();
    registry.encode(Format::OpenMetrics, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn idle_series_leave_the_exposition_and_are_freed() {
    let clock = ManualClock::new();
    let family: Family<Counter> = expiring(&clock, &["user"]);
    let registry = Registry::new();
    registry
        .register("logins", "Logins.", family.clone())
        .unwrap();
    for user in ["ada", "bob", "cy"] {
        family.labels(&[user]).unwrap().inc();
    }
    assert_eq!(family.sweep(), 0);
    clock.advance(Duration::from_secs(299));
    family.labels(&["bob"]).unwrap().inc();
    assert_eq!(family.sweep(), 0, "nothing is idle for a whole TTL yet");
    clock.advance(Duration::from_secs(1));
    assert_eq!(samples(&registry), "logins_total{user=\"bob\"} 2\n");
    assert_eq!(
        family.len(),
        1,
        "the idle series are freed, not just hidden"
    );
    assert!(family.get(&["ada"]).unwrap().is_none());
    // A freed counter comes back from zero.
    family.labels(&["ada"]).unwrap().inc();
    assert_eq!(family.with(&["ada"], Counter::get).unwrap(), 1.0);
    assert_eq!(family.sweep(), 0);
    clock.advance(TTL);
    assert_eq!(family.sweep(), 2);
    assert!(family.is_empty());
    assert_eq!(samples(&registry), "");
}

#[test]
fn a_freed_counter_restarts_with_a_new_created_timestamp() {
    let clock = ManualClock::new();
    let family: Family<Counter> = expiring(&clock, &["user"]);
    let registry = Registry::new();
    registry
        .register("logins", "Logins.", family.clone())
        .unwrap();
    family.labels(&["ada"]).unwrap().inc_by(5);
    let created = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("logins_created{user=\"ada\"} "))
            .map(str::to_owned)
    };
    let first = created(&openmetrics(&registry)).unwrap();
    clock.advance(TTL);
    assert_eq!(family.sweep(), 1);
    // The created timestamp has millisecond resolution.
    thread::sleep(Duration::from_millis(5));
    family.labels(&["ada"]).unwrap().inc();
    let om = openmetrics(&registry);
    assert!(om.contains("logins_total{user=\"ada\"} 1\n"), "{om}");
    let second = created(&om).unwrap();
    assert!(
        second.parse::<f64>().unwrap() > first.parse::<f64>().unwrap(),
        "{first} then {second}: rate() must see a reset"
    );
}

#[test]
fn a_held_handle_hides_its_series_and_never_loses_an_update() {
    let clock = ManualClock::new();
    let family: Family<Gauge> = expiring(&clock, &["queue"]);
    let registry = Registry::new();
    registry
        .register("depth", "Queue depth.", family.clone())
        .unwrap();
    let held = family.labels(&["mail"]).unwrap();
    held.set(3.0);
    assert_eq!(family.sweep(), 0);
    clock.advance(TTL);
    assert_eq!(family.sweep(), 0, "a held series is not freed");
    assert_eq!(family.len(), 1);
    assert_eq!(samples(&registry), "", "but it is hidden");
    // Setting the same value is no change: still hidden.
    held.set(3.0);
    assert_eq!(samples(&registry), "");
    held.set(4.0);
    assert!(exposed(&registry).contains("depth{queue=\"mail\"} 4\n"));
    assert_eq!(family.len(), 1);
    // Hidden again, and then freed once the handle is gone.
    clock.advance(TTL);
    assert_eq!(samples(&registry), "");
    drop(held);
    // This thread looked "mail" up, but a sweep forgets the sweeping thread's cached
    // lookups of the family.
    clock.advance(TTL);
    assert_eq!(family.sweep(), 1);
    assert!(family.get(&["mail"]).unwrap().is_none(), "freed at last");
}

#[test]
fn a_thread_lookup_cache_keeps_a_series_until_the_thread_is_gone() {
    let clock = ManualClock::new();
    let family: Family<Counter> = expiring(&clock, &["route"]);
    let registry = Registry::new();
    registry.register("hits", "Hits.", family.clone()).unwrap();
    let (go, done) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let worker = {
        let (family, go, done) = (family.clone(), go.clone(), done.clone());
        thread::spawn(move || {
            family.with_static(&["/a"], Counter::inc).unwrap();
            go.wait();
            done.wait();
            // The cached entry answers; the series is the family's own, not a copy.
            family.with_static(&["/a"], Counter::inc).unwrap();
        })
    };
    go.wait();
    assert_eq!(family.sweep(), 0);
    clock.advance(TTL);
    assert_eq!(family.sweep(), 0, "the worker's cache still refers to /a");
    assert_eq!(samples(&registry), "");
    done.wait();
    worker.join().unwrap();
    assert!(exposed(&registry).contains("hits_total{route=\"/a\"} 2\n"));
    clock.advance(TTL);
    assert_eq!(family.sweep(), 1, "the worker and its cache are gone");
}

#[test]
fn every_metric_type_counts_as_updated_by_its_own_changes() {
    let clock = ManualClock::new();
    let histograms: Family<Histogram> = expiring(&clock, &["k"]);
    let summaries: Family<Summary> = expiring(&clock, &["k"]);
    let gauges: Family<Gauge> = expiring(&clock, &["k"]);
    histograms.labels(&["a"]).unwrap().observe(0.0);
    summaries.labels(&["a"]).unwrap().observe(0.0);
    gauges.labels(&["a"]).unwrap().set(f64::NAN);
    let sweep_all = || [histograms.sweep(), summaries.sweep(), gauges.sweep()];
    assert_eq!(sweep_all(), [0, 0, 0]);
    clock.advance(TTL / 2);
    // Observing zero still counts; a NaN gauge set to NaN again is no change.
    histograms.labels(&["a"]).unwrap().observe(0.0);
    summaries.labels(&["a"]).unwrap().observe(0.0);
    gauges.labels(&["a"]).unwrap().set(f64::NAN);
    let sweep_all = || [histograms.sweep(), summaries.sweep(), gauges.sweep()];
    assert_eq!(sweep_all(), [0, 0, 0]);
    assert_eq!(sweep_all(), [0, 0, 0]);
    clock.advance(TTL / 2);
    assert_eq!(sweep_all(), [0, 0, 1]);
}

#[test]
fn expiry_respects_max_series_and_the_overflow_series() {
    let clock = ManualClock::new();
    let family: Family<Counter> = Family::builder(["user"])
        .max_series(2)
        .expire_after(TTL)
        .clock(clock.clone())
        .build()
        .unwrap();
    for user in ["a", "b", "c", "d"] {
        family.labels(&[user]).unwrap().inc();
    }
    assert_eq!(family.len(), 3, "two series and the overflow series");
    assert_eq!(family.sweep(), 0);
    clock.advance(TTL);
    // The overflow series is held by the family itself: hidden, never freed.
    assert_eq!(family.sweep(), 2);
    assert_eq!(family.len(), 1);
    // The freed room takes new combinations again.
    family.labels(&["e"]).unwrap().inc();
    family.labels(&["f"]).unwrap().inc();
    family.labels(&["g"]).unwrap().inc();
    assert_eq!(
        family.with(&[OVERFLOW_LABEL_VALUE], Counter::get).unwrap(),
        3.0,
        "the hidden overflow series kept counting and shows again"
    );
    assert!(family.get(&["e"]).unwrap().is_some() && family.get(&["f"]).unwrap().is_some());
}

#[test]
fn a_zero_ttl_is_refused_and_families_without_expiry_never_sweep() {
    let zero = Family::<Counter>::builder(["a"])
        .expire_after(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(zero.kind(), ErrorKind::InvalidValue);
    let plain: Family<Counter> = Family::new(["a"]).unwrap();
    plain.labels(&["x"]).unwrap().inc();
    assert_eq!(plain.sweep(), 0);
    assert_eq!(plain.len(), 1);
    // A TTL so long it cannot be represented in milliseconds never expires anything.
    let clock = ManualClock::new();
    let forever: Family<Counter> = Family::builder(["a"])
        .expire_after(Duration::MAX)
        .clock(clock.clone())
        .build()
        .unwrap();
    forever.labels(&["x"]).unwrap().inc();
    assert_eq!(forever.sweep(), 0);
    clock.advance(Duration::from_secs(100 * 365 * 86_400));
    assert_eq!(forever.sweep(), 0);
}

/// Outcomes.
#[derive(Clone, Copy, prom_kit_derive::LabelValue)]
#[label(rename_all = "lowercase")]
enum Outcome {
    Ok,
    Failed,
}

#[test]
fn dense_families_hide_idle_series_and_show_them_again() {
    let clock = ManualClock::new();
    let family: DenseFamily<Counter, (Outcome,)> = Family::builder(["outcome"])
        .expire_after(TTL)
        .clock(clock.clone())
        .build_dense()
        .unwrap();
    let registry = Registry::new();
    registry
        .register("calls", "Calls.", family.clone())
        .unwrap();
    let failed = family.labels((Outcome::Failed,)).clone();
    failed.inc();
    family.labels((Outcome::Ok,)).inc();
    assert_eq!(family.sweep(), 0);
    clock.advance(TTL);
    assert_eq!(samples(&registry), "");
    failed.inc();
    assert!(exposed(&registry).contains("calls_total{outcome=\"failed\"} 2\n"));
    // A removed series stays removed although its reset changed its value.
    assert!(family.remove((Outcome::Failed,)));
    assert_eq!(samples(&registry), "");
    clock.advance(TTL);
    family.clear();
    assert_eq!(family.sweep(), 0);
    assert!(family.is_empty());
}

/// Workers look series up (cached and not), update them, keep one handle for the whole
/// run and remove some; a sweeper advances the clock, sweeps and scrapes. No lookup may
/// answer with a freed series, no update through the kept handles may be lost, and once
/// the workers are gone every series can be freed.
#[test]
fn sweeps_race_lookups_updates_removals_and_scrapes() {
    const WORKERS: usize = 4;
    const ROUNDS: usize = 3_000;
    let clock = ManualClock::new();
    let family: Family<Counter> = expiring(&clock, &["worker", "key"]);
    let registry = Registry::new();
    registry.register("ops", "Ops.", family.clone()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let sweeps = Arc::new(AtomicU64::new(0));
    let sweeper = {
        let (family, registry, clock, stop, sweeps) = (
            family.clone(),
            registry.clone(),
            clock.clone(),
            stop.clone(),
            sweeps.clone(),
        );
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                clock.advance(TTL / 3);
                family.sweep();
                let text = registry.encode_text().unwrap();
                assert!(text.is_empty() || text.starts_with("# HELP ops_total Ops.\n"));
                sweeps.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let family = family.clone();
            thread::spawn(move || {
                let me = w.to_string();
                let kept = family.labels(&[me.as_str(), "kept"]).unwrap();
                for round in 0..ROUNDS {
                    let key = format!("k{}", round % 300);
                    family
                        .with(&[me.as_str(), key.as_str()], Counter::inc)
                        .unwrap();
                    // The series just updated is in this thread's cache: it cannot have
                    // been freed, and a lookup reaches the family's own series.
                    let seen = family.get(&[me.as_str(), key.as_str()]).unwrap();
                    assert!(seen.is_some_and(|c| c.get() >= 1.0), "{me}/{key}");
                    kept.inc();
                    if round % 97 == 0 {
                        let pairs = [("worker", me.as_str()), ("key", key.as_str())];
                        assert_eq!(family.remove_matching(&pairs).unwrap(), 1);
                    }
                }
                kept
            })
        })
        .collect();
    let kept: Vec<Counter> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    stop.store(true, Ordering::Relaxed);
    sweeper.join().unwrap();
    assert!(sweeps.load(Ordering::Relaxed) > 0);
    for (w, handle) in kept.iter().enumerate() {
        assert_eq!(handle.get(), ROUNDS as f64, "worker {w}: no update lost");
        // Maybe hidden by now, as idle; exposed again, with every update, after one more.
        handle.inc();
        let text = exposed(&registry);
        let line = format!("ops_total{{worker=\"{w}\",key=\"kept\"}} {}\n", ROUNDS + 1);
        assert!(text.contains(&line), "{text}");
    }
    drop(kept);
    clock.advance(TTL);
    family.sweep();
    clock.advance(TTL);
    family.sweep();
    // This thread looked up nothing; the workers and their caches are gone.
    assert!(family.is_empty(), "{} series left", family.len());
}
