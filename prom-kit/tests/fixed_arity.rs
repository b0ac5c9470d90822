//! `Family::fixed_arity`: the label count checked once, lookups by arrays that cannot
//! fail, sharing series with the family (removal and the lookup cache included), also for
//! a family without labels and for values with every control character.

use prom_kit::{Counter, ErrorKind, Family, Gauge};

#[test]
fn array_lookups_share_the_familys_series() {
    let family: Family<Counter> = Family::new(["method", "path"]).unwrap();
    let fixed = family.clone().fixed_arity::<2>().unwrap();
    let hostile: String = (0u8..32).map(char::from).collect();
    for _ in 0..3 {
        fixed.with(&["GET", hostile.as_str()], Counter::inc);
        fixed.labels(&[String::from("GET"), hostile.clone()]).inc();
    }
    assert_eq!(
        family
            .with(&["GET", hostile.as_str()], Counter::get)
            .unwrap(),
        6.0
    );
    // A removal through the family reaches the cached lookups of the fixed view.
    assert!(family.remove(&["GET", hostile.as_str()]).unwrap());
    fixed.with(&["GET", hostile.as_str()], Counter::inc);
    assert_eq!(
        family
            .with(&["GET", hostile.as_str()], Counter::get)
            .unwrap(),
        1.0
    );
    assert_eq!(fixed.family().len(), 1);
}

#[test]
fn the_count_is_checked_once() {
    let plain: Family<Gauge> = Family::new(Vec::<&str>::new()).unwrap();
    let none = plain.fixed_arity::<0>().unwrap();
    none.with(&[] as &[&str; 0], |g| g.set(2.0));
    assert_eq!(none.labels(&[] as &[&str; 0]).get(), 2.0);
    let three: Family<Gauge> = Family::new(["a", "b", "c"]).unwrap();
    let error = three.fixed_arity::<2>().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LabelCount);
    assert!(error.to_string().contains("a, b, c"), "{error}");
}
