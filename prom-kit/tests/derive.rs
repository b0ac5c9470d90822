//! `#[derive(LabelSet)]` and `#[derive(LabelValue)]` with `TypedFamily`: names from the
//! type (renames, raw identifiers), every kind of field (string types, integers at their
//! extremes, `bool`, derived enums), the dense path chosen when every field is closed
//! and agreeing with the hashed one, hostile values escaped, expiry and the cardinality
//! guard, and concurrent lookups. The compile errors are in `tests/compile_fail`.
#![cfg(feature = "derive")]

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use prom_kit::clock::ManualClock;
use prom_kit::labels::FixedLabel;
use prom_kit::{
    Counter, ErrorKind, Family, Histogram, LabelSet, LabelValue, Registry, TypedFamily,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
    #[label(rename = "_OTHER")]
    Other,
}

#[derive(Clone, Copy, Debug, LabelValue)]
#[label(rename_all = "snake_case")]
enum Outcome {
    ClientError,
    ServerError,
    Success,
}

#[derive(Clone, Copy, Debug, LabelValue)]
enum Tier {
    Free,
    Pro,
}

/// All closed: dense.
#[derive(LabelSet)]
struct Call {
    method: Method,
    outcome: Outcome,
    cached: bool,
}

/// Open fields: hashed.
#[derive(LabelSet)]
struct Request {
    #[label(name = "http_route")]
    route: &'static str,
    code: u16,
    tenant: String,
    r#type: Cow<'static, str>,
    shard: Arc<str>,
    delta: i64,
    tier: Tier,
}

fn text(registry: &Registry) -> String {
    registry.encode_text().unwrap()
}

#[test]
fn label_value_enums_expose_their_renamed_texts() {
    assert_eq!(Method::VALUES, &["GET", "POST", "_OTHER"]);
    assert_eq!(Method::Post.as_label_value(), "POST");
    assert_eq!(FixedLabel::index(Method::Other), 2);
    assert_eq!(
        Outcome::VALUES,
        &["client_error", "server_error", "success"]
    );
    assert_eq!(Tier::VALUES, &["Free", "Pro"]);
    // They work as plain label values too.
    let family: Family<Counter> = Family::new(["method"]).unwrap();
    family.with(&(Method::Get,), Counter::inc).unwrap();
    assert_eq!(family.with(&["GET"], Counter::get).unwrap(), 1.0);
}

#[test]
fn label_sets_name_their_labels_and_choose_their_storage() {
    assert_eq!(Call::NAMES, &["method", "outcome", "cached"]);
    assert_eq!(Call::COMBINATIONS, Some(3 * 3 * 2));
    assert_eq!(
        Request::NAMES,
        &[
            "http_route",
            "code",
            "tenant",
            "type",
            "shard",
            "delta",
            "tier"
        ]
    );
    assert_eq!(Request::COMBINATIONS, None);
    let dense: TypedFamily<Call, Counter> = TypedFamily::new().unwrap();
    let hashed: TypedFamily<Request, Counter> = TypedFamily::new().unwrap();
    assert!(format!("{dense:?}").contains("dense: true"), "{dense:?}");
    assert!(format!("{hashed:?}").contains("dense: false"), "{hashed:?}");
}

#[test]
fn dense_lookups_reach_distinct_series_and_expose_them_in_order() {
    let registry = Registry::new();
    let calls: TypedFamily<Call, Counter> = TypedFamily::new().unwrap();
    registry.register("calls", "Calls.", calls.clone()).unwrap();
    let mut expected = 0.0;
    for (i, method) in [Method::Get, Method::Post, Method::Other]
        .into_iter()
        .enumerate()
    {
        for outcome in [Outcome::ClientError, Outcome::ServerError, Outcome::Success] {
            for cached in [false, true] {
                let call = Call {
                    method,
                    outcome,
                    cached,
                };
                calls.with(&call, |c| c.inc_by(i as u64 + 1));
                expected += (i + 1) as f64;
            }
        }
    }
    assert_eq!(calls.len(), 18);
    let exposition = text(&registry);
    let total: f64 = exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, expected);
    assert!(
        exposition.contains(
            "calls_total{method=\"_OTHER\",outcome=\"server_error\",cached=\"true\"} 3\n"
        )
    );
    let call = Call {
        method: Method::Get,
        outcome: Outcome::Success,
        cached: false,
    };
    assert!(calls.remove(&call));
    assert!(!calls.remove(&call));
    assert_eq!(
        calls.labels(&call).get(),
        0.0,
        "a removed dense series restarts at zero"
    );
}

#[test]
fn hashed_lookups_take_every_field_kind_and_escape_hostile_values() {
    let registry = Registry::new();
    let requests: TypedFamily<Request, Counter> = TypedFamily::new().unwrap();
    registry
        .register("requests", "Requests.", requests.clone())
        .unwrap();
    let hostile = Request {
        route: "/a\"b\\c\nd",
        code: u16::MAX,
        tenant: "\u{0}\t\u{7f}é".to_owned(),
        r#type: Cow::Borrowed(""),
        shard: Arc::from("s1"),
        delta: i64::MIN,
        tier: Tier::Pro,
    };
    requests.with(&hostile, Counter::inc);
    requests.labels(&hostile).inc();
    assert_eq!(requests.len(), 1);
    let exposition = text(&registry);
    assert!(
        exposition.contains(
            "requests_total{http_route=\"/a\\\"b\\\\c\\nd\",code=\"65535\",tenant=\"\u{0}\t\u{7f}é\",\
             type=\"\",shard=\"s1\",delta=\"-9223372036854775808\",tier=\"Pro\"} 2\n"
        ),
        "{exposition}"
    );
    assert!(requests.remove(&hostile));
    assert!(requests.is_empty());
}

#[test]
fn the_dense_and_hashed_paths_agree() {
    // The same labels, once all closed (dense) and once with an open field (hashed).
    #[derive(LabelSet)]
    struct Open {
        method: &'static str,
        outcome: Outcome,
        cached: bool,
    }
    let dense: TypedFamily<Call, Histogram> = TypedFamily::new().unwrap();
    let hashed: TypedFamily<Open, Histogram> = TypedFamily::new().unwrap();
    let (a, b) = (Registry::new(), Registry::new());
    a.register("latency", "Latency.", dense.clone()).unwrap();
    b.register("latency", "Latency.", hashed.clone()).unwrap();
    for n in 0..200u32 {
        let method = [Method::Get, Method::Post, Method::Other][(n % 3) as usize];
        let outcome =
            [Outcome::ClientError, Outcome::ServerError, Outcome::Success][(n % 7 % 3) as usize];
        let cached = n % 2 == 0;
        let value = f64::from(n) / 100.0;
        dense.with(
            &Call {
                method,
                outcome,
                cached,
            },
            |h| h.observe(value),
        );
        let open = Open {
            method: method.static_text(),
            outcome,
            cached,
        };
        hashed.with(&open, |h| h.observe(value));
    }
    // Same series, same values; the order may differ, so compare sorted lines.
    let sorted = |registry: &Registry| {
        let mut lines: Vec<String> = text(registry).lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&a), sorted(&b));
}

trait StaticText {
    fn static_text(self) -> &'static str;
}

impl StaticText for Method {
    fn static_text(self) -> &'static str {
        Method::VALUES[FixedLabel::index(self)]
    }
}

#[test]
fn typed_families_take_the_builder_options() {
    let clock = ManualClock::new();
    let requests: TypedFamily<Request, Counter> = TypedFamily::builder()
        .max_series(2)
        .expire_after(Duration::from_secs(60))
        .clock(clock.clone())
        .build()
        .unwrap();
    let request = |n: u16| Request {
        route: "/",
        code: n,
        tenant: String::new(),
        r#type: Cow::Borrowed("t"),
        shard: Arc::from("s"),
        delta: 0,
        tier: Tier::Free,
    };
    for n in 0..5 {
        requests.with(&request(n), Counter::inc);
    }
    assert_eq!(requests.len(), 3, "two series and the overflow series");
    assert_eq!(requests.sweep(), 0);
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        requests.sweep(),
        2,
        "the overflow series is held, not freed"
    );

    // Buckets reach every child.
    let latency: TypedFamily<Call, Histogram> = TypedFamily::builder()
        .options(prom_kit::Buckets::new([0.5, 1.0]).unwrap())
        .build()
        .unwrap();
    let call = Call {
        method: Method::Get,
        outcome: Outcome::Success,
        cached: true,
    };
    latency.with(&call, |h| h.observe(0.7));
    assert_eq!(latency.labels(&call).buckets().bounds(), &[0.5, 1.0]);
}

/// A hand-written label type that lists a value twice.
#[derive(Clone, Copy)]
struct Dup;
impl prom_kit::labels::LabelValue for Dup {
    fn as_label_value(&self) -> &'static str {
        "d"
    }
}
impl FixedLabel for Dup {
    const VALUES: &'static [&'static str] = &["d", "d"];
    fn index(self) -> usize {
        0
    }
}

#[derive(LabelSet)]
struct WithDup {
    dup: Dup,
}

#[test]
fn a_label_type_naming_a_value_twice_is_refused() {
    #[derive(Clone, Copy, LabelValue)]
    enum Twice {
        #[label(rename = "x")]
        A,
        #[label(rename = "y")]
        B,
    }
    #[derive(LabelSet)]
    struct Fine {
        twice: Twice,
    }
    let fine: TypedFamily<Fine, Counter> = TypedFamily::new().unwrap();
    fine.with(&Fine { twice: Twice::A }, Counter::inc);
    fine.with(&Fine { twice: Twice::B }, Counter::inc);
    assert_eq!(fine.len(), 2);
    // A hand-written label type can list a value twice; the family refuses it.
    let refused = TypedFamily::<WithDup, Counter>::new().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidValue);
}

#[test]
fn concurrent_lookups_count_every_increment() {
    let calls: TypedFamily<Call, Counter> = TypedFamily::new().unwrap();
    let requests: TypedFamily<Request, Counter> = TypedFamily::new().unwrap();
    std::thread::scope(|scope| {
        for t in 0..4u16 {
            let (calls, requests) = (&calls, &requests);
            scope.spawn(move || {
                for i in 0..5_000u16 {
                    let method = [Method::Get, Method::Post][usize::from(i % 2)];
                    calls.with(
                        &Call {
                            method,
                            outcome: Outcome::Success,
                            cached: t % 2 == 0,
                        },
                        Counter::inc,
                    );
                    let request = Request {
                        route: "/r",
                        code: i % 10,
                        tenant: format!("t{t}"),
                        r#type: Cow::Borrowed("x"),
                        shard: Arc::from("s"),
                        delta: -1,
                        tier: Tier::Free,
                    };
                    requests.with(&request, Counter::inc);
                }
            });
        }
    });
    let registry = Registry::new();
    registry.register("calls", "Calls.", calls).unwrap();
    registry
        .register("requests", "Requests.", requests)
        .unwrap();
    let total = |prefix: &str| -> f64 {
        text(&registry)
            .lines()
            .filter(|l| l.starts_with(prefix))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    assert_eq!(total("calls_total{"), 20_000.0);
    assert_eq!(total("requests_total{"), 20_000.0);
}

/// Integers and closed fields only, 64 bits or fewer in all: packed.
#[derive(LabelSet)]
struct Status {
    method: Method,
    status: u16,
}

/// Every integer kind at its extremes, and a bool: 8+16+32+1+2 bits.
#[derive(LabelSet)]
struct Signed {
    small: i8,
    medium: i16,
    large: i32,
    flag: bool,
    tier: Tier,
}

/// 65 bits: not packed.
#[derive(LabelSet)]
struct TooWide {
    id: u64,
    flag: bool,
}

#[test]
fn label_sets_of_integers_and_closed_fields_pack_into_distinct_numbers() {
    let mut seen = std::collections::HashSet::new();
    for method in [Method::Get, Method::Post, Method::Other] {
        for status in [0, 1, 200, 404, 500, u16::MAX] {
            let packed = Status { method, status }.packed().expect("28 bits pack");
            assert!(seen.insert(packed), "{method:?} {status}: {packed} taken");
        }
    }
    let mut seen = std::collections::HashSet::new();
    for small in [i8::MIN, -1, 0, 1, i8::MAX] {
        for medium in [i16::MIN, -1, 0, i16::MAX] {
            for large in [i32::MIN, -1, 0, i32::MAX] {
                for flag in [false, true] {
                    for tier in [Tier::Free, Tier::Pro] {
                        let labels = Signed {
                            small,
                            medium,
                            large,
                            flag,
                            tier,
                        };
                        assert!(seen.insert(labels.packed().expect("59 bits pack")));
                    }
                }
            }
        }
    }
    assert_eq!(TooWide { id: 1, flag: true }.packed(), None);
    let open = Request {
        route: "/",
        code: 200,
        tenant: String::new(),
        r#type: Cow::Borrowed(""),
        shard: Arc::from(""),
        delta: 0,
        tier: Tier::Free,
    };
    assert_eq!(open.packed(), None, "string fields do not pack");
}

/// How often [`Counted`] values were visited (formatted).
static VISITS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A packed label set that counts how often its values are visited: only lookups that
/// miss the per-thread cache visit them.
struct Counted(u16);

impl LabelSet for Counted {
    const NAMES: &'static [&'static str] = &["status"];

    fn visit_values<R>(&self, visitor: impl prom_kit::labels::LabelVisitor<R>) -> R {
        VISITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut buffer = prom_kit::labels::LabelBuffer::new();
        visitor.visit(&[prom_kit::labels::LabelField::text(&self.0, &mut buffer)])
    }

    fn packed(&self) -> Option<u64> {
        Some(u64::from(self.0))
    }
}

#[test]
fn integer_label_values_each_hit_the_cache_after_their_first_lookup() {
    let visits = || VISITS.load(std::sync::atomic::Ordering::Relaxed);
    let registry = Registry::new();
    let family: TypedFamily<Counted, Counter> = TypedFamily::new().unwrap();
    registry
        .register("responses", "Responses.", family.clone())
        .unwrap();
    let statuses = [200, 404, 500];
    for status in statuses {
        family.with(&Counted(status), Counter::inc);
    }
    assert_eq!(visits(), 3, "each value misses once");
    for _ in 0..10 {
        for status in statuses {
            family.with(&Counted(status), Counter::inc);
        }
    }
    assert_eq!(
        visits(),
        3,
        "200, 404 and 500 each hit after their first lookup"
    );
    let exposition = text(&registry);
    for status in statuses {
        let line = format!("responses_total{{status=\"{status}\"}} 11\n");
        assert!(exposition.contains(&line), "{line} in {exposition}");
    }
    assert_eq!(exposition.lines().count(), 5, "{exposition}");
    // A removal invalidates the entries: the lookup after it visits again, and
    // recreates the series.
    assert!(family.remove(&Counted(404)));
    family.with(&Counted(404), Counter::inc);
    assert_eq!(
        visits(),
        5,
        "the removal visits once, the lookup after it once"
    );
    assert!(text(&registry).contains("responses_total{status=\"404\"} 1\n"));
    // Another thread has its own cache: it misses once, then hits.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            family.with(&Counted(200), Counter::inc);
            family.with(&Counted(200), Counter::inc);
        });
    });
    assert_eq!(visits(), 6);
    assert!(text(&registry).contains("responses_total{status=\"200\"} 13\n"));
}

/// The packed lookup keeps the guards of the hashed path: past `max_series` new values
/// count in the overflow series (never cached as their own), and an expired series is
/// not answered from the cache but made again.
#[test]
fn packed_label_sets_keep_the_cardinality_guard_and_expiry() {
    let clock = ManualClock::new();
    let registry = Registry::new();
    let statuses: TypedFamily<Status, Counter> = TypedFamily::builder()
        .max_series(2)
        .expire_after(Duration::from_secs(60))
        .clock(clock.clone())
        .build()
        .unwrap();
    registry
        .register("statuses", "Statuses.", statuses.clone())
        .unwrap();
    let status = |status| Status {
        method: Method::Get,
        status,
    };
    for _ in 0..3 {
        for code in [200, 404, 500, 503] {
            statuses.with(&status(code), Counter::inc);
        }
    }
    assert_eq!(statuses.len(), 3, "two series and the overflow series");
    let exposition = text(&registry);
    assert!(
        exposition.contains("statuses_total{method=\"GET\",status=\"200\"} 3\n"),
        "{exposition}"
    );
    assert!(
        exposition.contains("statuses_total{method=\"GET\",status=\"404\"} 3\n"),
        "{exposition}"
    );
    assert_eq!(
        exposition.lines().filter(|l| l.ends_with(" 6")).count(),
        1,
        "500 and 503 counted together in the overflow series: {exposition}"
    );
    // 200 is kept busy, 404 goes idle and expires: its next lookup makes it anew.
    clock.advance(Duration::from_secs(30));
    statuses.with(&status(200), Counter::inc);
    clock.advance(Duration::from_secs(31));
    assert_eq!(statuses.sweep(), 1, "404 expired");
    statuses.with(&status(404), Counter::inc);
    let exposition = text(&registry);
    assert!(
        exposition.contains("statuses_total{method=\"GET\",status=\"404\"} 1\n"),
        "{exposition}"
    );
    assert!(
        exposition.contains("statuses_total{method=\"GET\",status=\"200\"} 4\n"),
        "{exposition}"
    );
}
