use super::*;
use crate::{Counter, ErrorKind, Histogram};

fn collect(family: &Family<Counter>) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    family.for_each_series(|labels, c| out.push((labels.to_owned(), c.get())));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn lookups_share_series_across_value_types() {
    let f: Family<Counter> = Family::new(["a", "b"]).unwrap();
    f.labels(&["x", "y"]).unwrap().inc();
    f.labels(&[String::from("x"), String::from("y")])
        .unwrap()
        .inc();
    f.labels(&vec!["x", "y"]).unwrap().inc();
    f.labels(&("x", String::from("y"))).unwrap().inc();
    assert_eq!(f.len(), 1);
    assert_eq!(collect(&f), vec![(r#"a="x",b="y""#.to_owned(), 4.0)]);
}

#[test]
fn split_points_are_distinct_series() {
    let f: Family<Counter> = Family::new(["a", "b"]).unwrap();
    f.labels(&["ab", "c"]).unwrap().inc();
    f.labels(&["a", "bc"]).unwrap().inc_by(5);
    assert_eq!(f.len(), 2);
    assert_eq!(f.get(&["ab", "c"]).unwrap().unwrap().get(), 1.0);
    assert_eq!(f.get(&["a", "bc"]).unwrap().unwrap().get(), 5.0);
    assert!(f.get(&["a", "b"]).unwrap().is_none());
}

#[test]
fn arity_and_reserved_names_are_errors() {
    let f: Family<Counter> = Family::new(["a"]).unwrap();
    for bad in [&[][..], &["1", "2"][..]] {
        assert_eq!(f.labels(bad).unwrap_err().kind(), ErrorKind::LabelCount);
        assert_eq!(f.remove(bad).unwrap_err().kind(), ErrorKind::LabelCount);
    }
    assert_eq!(
        Family::<Histogram>::new(["le"]).unwrap_err().kind(),
        ErrorKind::ReservedLabelName
    );
    assert_eq!(
        Family::<Counter>::new(["a", "a"]).unwrap_err().kind(),
        ErrorKind::DuplicateLabelName
    );
    assert_eq!(
        Family::<Counter>::new([""]).unwrap_err().kind(),
        ErrorKind::InvalidLabelName
    );
    // A UTF-8 name is checked by the registry the family is registered in.
    let dashed = Family::<Counter>::new(["a-b"]).unwrap();
    assert_eq!(
        crate::Registry::new()
            .register("dashed", "", dashed)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidLabelName
    );
    assert!(f.is_empty());
}

#[test]
fn remove_keeps_the_rest_findable() {
    let f: Family<Counter> = Family::new(["k"]).unwrap();
    let keys: Vec<String> = (0..200).map(|i| format!("v{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        f.labels(&[k]).unwrap().inc_by(i as u64);
    }
    for k in keys.iter().step_by(3) {
        assert!(f.remove(&[k]).unwrap());
        assert!(!f.remove(&[k]).unwrap());
    }
    for (i, k) in keys.iter().enumerate() {
        let found = f.get(&[k]).unwrap();
        if i % 3 == 0 {
            assert!(found.is_none());
        } else {
            assert_eq!(found.unwrap().get(), i as f64);
        }
    }
    assert_eq!(f.len(), 200 - 67);
    f.clear();
    assert!(f.is_empty());
    assert!(collect(&f).is_empty());
}

#[test]
fn cardinality_guard_folds_into_overflow() {
    let f: Family<Counter> = Family::builder(["path"]).max_series(3).build().unwrap();
    for i in 0..1000 {
        f.labels(&[format!("/random/{i}")]).unwrap().inc();
    }
    assert_eq!(f.len(), 4);
    let overflow = f.get(&[OVERFLOW_LABEL_VALUE]).unwrap().unwrap();
    assert_eq!(overflow.get(), 997.0);
    // Existing series still resolve to themselves.
    f.labels(&["/random/0"]).unwrap().inc();
    assert_eq!(f.get(&["/random/0"]).unwrap().unwrap().get(), 2.0);
}

#[test]
fn freed_room_is_reused_and_the_overflow_series_is_not_counted() {
    let f: Family<Counter> = Family::builder(["path"]).max_series(3).build().unwrap();
    for i in 0..10 {
        f.with(&[format!("/p/{i}")], Counter::inc).unwrap();
    }
    assert_eq!(f.len(), 4);
    // One removal makes room for exactly one new series.
    assert!(f.remove(&["/p/0"]).unwrap());
    f.with(&["/new"], Counter::inc).unwrap();
    assert_eq!(f.get(&["/new"]).unwrap().unwrap().get(), 1.0);
    f.with(&["/newer"], Counter::inc).unwrap();
    assert!(f.get(&["/newer"]).unwrap().is_none());
    assert_eq!(f.get(&[OVERFLOW_LABEL_VALUE]).unwrap().unwrap().get(), 8.0);
    assert_eq!(f.len(), 4);
    // Removing the overflow series frees nothing for the limit; a new overflow
    // series starts from zero and is exposed.
    assert!(f.remove(&[OVERFLOW_LABEL_VALUE]).unwrap());
    f.with(&["/after"], Counter::inc).unwrap();
    assert!(f.get(&["/after"]).unwrap().is_none());
    assert_eq!(f.get(&[OVERFLOW_LABEL_VALUE]).unwrap().unwrap().get(), 1.0);
    // `clear` forgets the overflow series too.
    f.clear();
    assert_eq!(f.len(), 0);
    for i in 0..3 {
        f.with(&[format!("/q/{i}")], Counter::inc).unwrap();
    }
    assert!(f.get(&[OVERFLOW_LABEL_VALUE]).unwrap().is_none());
    f.with(&["/q/3"], Counter::inc).unwrap();
    assert_eq!(f.get(&[OVERFLOW_LABEL_VALUE]).unwrap().unwrap().get(), 1.0);
    let mut exposed = 0;
    f.for_each_series(|_, _| exposed += 1);
    assert_eq!(exposed, 4);
}

#[test]
fn a_full_family_takes_no_write_lock_for_new_combinations() {
    let f: Family<Counter> = Family::builder(["path"]).max_series(1).build().unwrap();
    f.with(&["/a"], Counter::inc).unwrap();
    f.with(&["/overflow"], Counter::inc).unwrap();
    // Hold every shard's read lock: a lookup that wanted a write lock would block.
    let guards: Vec<_> = f.inner.shards.iter().map(|s| s.read()).collect();
    let (done, finished) = std::sync::mpsc::channel();
    let family = f.clone();
    let worker = std::thread::spawn(move || {
        for i in 0..1_000 {
            family.with(&[format!("/x/{i}")], Counter::inc).unwrap();
            family.labels(&[format!("/y/{i}")]).unwrap().inc();
        }
        done.send(()).unwrap();
    });
    let answered = finished.recv_timeout(std::time::Duration::from_secs(10));
    drop(guards);
    worker.join().unwrap();
    assert!(
        answered.is_ok(),
        "a lookup on a full family waited for a write lock"
    );
    assert_eq!(
        f.get(&[OVERFLOW_LABEL_VALUE]).unwrap().unwrap().get(),
        2_001.0
    );
}

#[test]
fn cached_lookups_follow_removals_on_every_thread() {
    let f: Family<Counter> = Family::new(["k", "v"]).unwrap();
    let key = [String::from("a"), String::from("b")];
    f.with(&key, Counter::inc).unwrap();
    f.with_static(&["a", "b"], Counter::inc).unwrap();
    assert_eq!(f.with(&key, Counter::get).unwrap(), 2.0);
    // Another thread removes the series this thread has cached.
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(f.with_static(&["a", "b"], Counter::get).unwrap(), 2.0);
            assert!(f.remove(&["a", "b"]).unwrap());
        });
    });
    assert_eq!(f.with(&key, Counter::get).unwrap(), 0.0);
    assert_eq!(f.with_static(&["a", "b"], Counter::get).unwrap(), 0.0);
    f.with(&key, |c| c.inc_by(3)).unwrap();
    f.clear();
    assert_eq!(f.with_static(&["a", "b"], Counter::get).unwrap(), 0.0);
    assert_eq!(f.len(), 1);
}

#[test]
fn cached_lookups_see_changed_string_contents() {
    let f: Family<Counter> = Family::new(["k"]).unwrap();
    let mut value = String::with_capacity(8);
    value.push_str("one");
    f.with(&[&value], Counter::inc).unwrap();
    // Same buffer, same length, other text: must not hit the cached "one".
    value.clear();
    value.push_str("two");
    f.with(&[&value], |c| c.inc_by(5)).unwrap();
    assert_eq!(f.get(&["one"]).unwrap().unwrap().get(), 1.0);
    assert_eq!(f.get(&["two"]).unwrap().unwrap().get(), 5.0);
}

#[test]
fn nested_lookups_and_arity_errors() {
    let f: Family<Counter> = Family::new(["k"]).unwrap();
    let g = f.clone();
    let inner = f
        .with(&["outer"], |outer| {
            outer.inc();
            g.with(&["inner"], |c| {
                c.inc();
                c.get()
            })
        })
        .unwrap()
        .unwrap();
    assert_eq!(inner, 1.0);
    assert_eq!(f.len(), 2);
    assert_eq!(
        f.with(&["a", "b"], |_| ()).unwrap_err().kind(),
        ErrorKind::LabelCount
    );
    assert_eq!(
        f.with_static(&[], |_| ()).unwrap_err().kind(),
        ErrorKind::LabelCount
    );
    // Too many values to cache still resolve through the shared tables.
    let wide: Family<Counter> = Family::new(["a", "b", "c", "d", "e", "f", "g"]).unwrap();
    let long = "x".repeat(100);
    for _ in 0..3 {
        wide.with(&[long.as_str(); 7], Counter::inc).unwrap();
        wide.with_static(&["v"; 7], Counter::inc).unwrap();
    }
    assert_eq!(wide.get(&[long.as_str(); 7]).unwrap().unwrap().get(), 3.0);
    assert_eq!(wide.get(&["v"; 7]).unwrap().unwrap().get(), 3.0);
}

#[test]
fn overflow_answers_are_not_cached_as_the_series() {
    let f: Family<Counter> = Family::builder(["k"]).max_series(1).build().unwrap();
    f.with_static(&["a"], Counter::inc).unwrap();
    // Full: "b" counts in the overflow series, and an existing series is still found.
    f.with_static(&["b"], Counter::inc).unwrap();
    f.with_static(&["a"], Counter::inc).unwrap();
    assert_eq!(f.get(&["a"]).unwrap().unwrap().get(), 2.0);
    assert_eq!(f.get(&[OVERFLOW_LABEL_VALUE]).unwrap().unwrap().get(), 1.0);
    // Room again: "b" gets its own series, on this thread too.
    assert!(f.remove(&["a"]).unwrap());
    assert!(f.remove(&[OVERFLOW_LABEL_VALUE]).unwrap());
    f.with_static(&["b"], Counter::inc).unwrap();
    assert_eq!(f.get(&["b"]).unwrap().unwrap().get(), 1.0);
}

#[test]
fn lookups_from_thread_local_destructors_work() {
    use std::cell::RefCell;

    struct FlushOnExit(Family<Counter>);
    impl Drop for FlushOnExit {
        fn drop(&mut self) {
            self.0.with(&["exit"], Counter::inc).unwrap();
            self.0.with_static(&["exit"], Counter::inc).unwrap();
            self.0.labels(&["exit"]).unwrap().inc();
        }
    }
    thread_local! {
        static FLUSH: RefCell<Option<FlushOnExit>> = const { RefCell::new(None) };
    }
    let f: Family<Counter> = Family::new(["k"]).unwrap();
    let g = f.clone();
    std::thread::spawn(move || {
        // Used before the lookup cache, so (on Linux, where thread-locals are destroyed
        // in reverse order of first use) dropped after it: its lookups then find the
        // cache gone and take the shared tables.
        FLUSH.with(|flush| *flush.borrow_mut() = Some(FlushOnExit(g.clone())));
        g.with_static(&["exit"], Counter::inc).unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(f.get(&["exit"]).unwrap().unwrap().get(), 4.0);
}

#[test]
fn removed_handles_are_detached() {
    let f: Family<Counter> = Family::new(["k"]).unwrap();
    let old = f.labels(&["a"]).unwrap();
    old.inc();
    f.remove(&["a"]).unwrap();
    old.inc();
    assert_eq!(f.labels(&["a"]).unwrap().get(), 0.0);
}
