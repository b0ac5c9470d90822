//! Removing series by partial match (`remove_matching`, Go's `DeletePartialMatch`) and by
//! predicate (`retain`): exact results, typed errors, the overflow series, escaped
//! values, and removals racing lookups (cached and not) and scrapes on other threads —
//! no lookup ever answers with a removed series, and the scrape always parses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use prom_kit::labels::OVERFLOW_LABEL_VALUE;
use prom_kit::{Counter, ErrorKind, Family, Registry};

#[test]
fn removes_exactly_the_matching_series() {
    let family: Family<Counter> = Family::new(["tenant", "route"]).unwrap();
    for tenant in ["acme", "globex", "a\"c\\m\ne"] {
        for route in ["/a", "/b", ""] {
            family.labels(&[tenant, route]).unwrap().inc();
        }
    }
    assert_eq!(family.len(), 9);
    assert_eq!(family.remove_matching(&[("tenant", "acme")]).unwrap(), 3);
    assert_eq!(
        family
            .remove_matching(&[("tenant", "a\"c\\m\ne"), ("route", "")])
            .unwrap(),
        1,
        "escaped and empty values match as they were given"
    );
    assert_eq!(family.remove_matching(&[("route", "/nope")]).unwrap(), 0);
    assert_eq!(family.len(), 5);
    for (tenant, route) in [("acme", "/a"), ("a\"c\\m\ne", "")] {
        assert!(family.get(&[tenant, route]).unwrap().is_none());
    }
    assert!(family.get(&["globex", ""]).unwrap().is_some());

    assert_eq!(
        family
            .remove_matching(&[("tenants", "x")])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidLabelName
    );
    assert_eq!(
        family.remove_matching(&[]).unwrap_err().kind(),
        ErrorKind::InvalidValue
    );
    assert_eq!(family.len(), 5, "errors remove nothing");

    assert_eq!(family.retain(|values| values[1] != "/a"), 2);
    assert_eq!(family.len(), 3);
    // The removed series start afresh when looked up again.
    family.labels(&["globex", "/a"]).unwrap().inc();
    assert_eq!(family.with(&["globex", "/a"], Counter::get).unwrap(), 1.0);
}

#[test]
fn the_overflow_series_can_be_removed_and_room_is_freed() {
    let family: Family<Counter> = Family::builder(["user"]).max_series(2).build().unwrap();
    for user in ["a", "b", "c", "d"] {
        family.labels(&[user]).unwrap().inc();
    }
    assert_eq!(family.len(), 3, "two series and the overflow series");
    assert_eq!(
        family
            .remove_matching(&[("user", OVERFLOW_LABEL_VALUE)])
            .unwrap(),
        1
    );
    assert_eq!(family.remove_matching(&[("user", "a")]).unwrap(), 1);
    family.labels(&["e"]).unwrap().inc();
    assert!(
        family.get(&["e"]).unwrap().is_some(),
        "room freed by the removal"
    );
    assert_eq!(family.len(), 2);
}

#[test]
fn retain_may_look_the_family_up() {
    let family: Family<Counter> = Family::new(["k"]).unwrap();
    for k in 0..100 {
        family.labels(&[k.to_string().as_str()]).unwrap().inc();
    }
    // The predicate runs with no lock held: it can create series of the same family.
    let removed = family.retain(|values| {
        family.labels(&["created-meanwhile"]).unwrap().inc();
        values[0].len() == 1
    });
    assert_eq!(removed, 90);
    assert_eq!(family.len(), 11);
}

#[test]
fn removals_race_lookups_and_scrapes() {
    const ROUNDS: usize = 300;
    let registry = Registry::new();
    let family: Family<Counter> = Family::new(["tenant", "route"]).unwrap();
    registry
        .register("requests", "Requests.", family.clone())
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(4));
    let tenants: [&'static str; 4] = ["acme", "globex", "initech", "umbrella"];
    let routes: [&'static str; 4] = ["/a", "/b", "/c", "/d"];

    // Two threads increment every series through both lookup paths; each counts the
    // increments it made per series.
    let workers: Vec<_> = (0..2)
        .map(|worker| {
            let (family, stop, start) = (family.clone(), Arc::clone(&stop), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                let mut made = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for tenant in tenants {
                        for route in routes {
                            if worker == 0 {
                                family.with_static(&[tenant, route], Counter::inc).unwrap();
                            } else {
                                let owned = [tenant.to_owned(), route.to_owned()];
                                family.labels(&owned).unwrap().inc();
                            }
                            made += 1;
                        }
                    }
                }
                made
            })
        })
        .collect();
    let scraper = {
        let (registry, stop, start) = (registry.clone(), Arc::clone(&stop), Arc::clone(&start));
        thread::spawn(move || {
            start.wait();
            let mut scrapes = 0;
            while !stop.load(Ordering::Relaxed) {
                let text = registry.encode_text().unwrap();
                for line in text.lines().filter(|l| !l.starts_with('#')) {
                    assert!(line.starts_with("requests_total{tenant=\""), "{line}");
                }
                scrapes += 1;
            }
            scrapes
        })
    };
    start.wait();
    let mut removed = 0;
    for round in 0..ROUNDS {
        let tenant = tenants[round % tenants.len()];
        // A series only this thread uses, cached on this thread by address, and a
        // handle to it kept across the removal.
        family
            .with_static(&[tenant, "/mine"], Counter::inc)
            .unwrap();
        let held = family.labels(&[tenant, "/mine"]).unwrap();
        removed += family.remove_matching(&[("tenant", tenant)]).unwrap();
        if round % 7 == 0 {
            removed += family.retain(|values| values[1] != "/c");
        }
        // The held handle keeps working, unexposed; the cached lookup answers with a
        // fresh series, never the removed one.
        held.inc();
        assert_eq!(
            family
                .with_static(&[tenant, "/mine"], Counter::get)
                .unwrap(),
            0.0,
            "round {round}: a removed series answered a cached lookup"
        );
        assert_eq!(held.get(), 2.0);
    }
    stop.store(true, Ordering::Relaxed);
    let made: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let scrape_count = scraper.join().unwrap();
    // Every series is live and findable once more, and the family holds no strays.
    assert_eq!(
        family.remove_matching(&[("route", "/mine")]).unwrap(),
        tenants.len()
    );
    assert!(family.len() <= tenants.len() * routes.len());
    for tenant in tenants {
        for route in routes {
            family.with(&[tenant, route], Counter::inc).unwrap();
            assert!(family.get(&[tenant, route]).unwrap().is_some());
        }
    }
    assert_eq!(family.len(), tenants.len() * routes.len());
    eprintln!(
        "{ROUNDS} rounds: {removed} series removed, {made} increments, {scrape_count} scrapes"
    );
    assert!(
        removed >= ROUNDS,
        "every round removed something: {removed}"
    );
}
