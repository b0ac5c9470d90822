//! `#[derive(Metrics)]`: every field made from its attribute and registered with its doc
//! comment as HELP, under a prefix or a view's labels, all or nothing; bad attributes are
//! typed errors at registration (and compile errors where the macro can tell, in
//! `tests/compile_fail`).
#![cfg(feature = "derive")]

use prom_kit::family::DEFAULT_MAX_SERIES;
use prom_kit::{
    CompactFamily, Counter, DenseFamily, ErrorKind, Family, Gauge, Histogram, LabelSet, LabelValue,
    Metrics, Registry, Summary, TypedFamily,
};

#[derive(Clone, Copy, LabelValue)]
#[label(rename_all = "lowercase")]
enum Kind {
    Standard,
    Express,
}

#[derive(LabelSet)]
struct Order {
    kind: Kind,
}

#[derive(LabelSet)]
struct Route {
    route: &'static str,
}

/// The shop's metrics.
#[derive(Metrics)]
struct ShopMetrics {
    /// Orders placed,
    /// by kind.
    orders: TypedFamily<Order, Counter>,
    /// Time to serve a request.
    #[metric(unit = "seconds", buckets = [0.01, 0.1, 1])]
    latency: TypedFamily<Route, Histogram>,
    /// Jobs waiting.
    #[metric(labels = ["queue"])]
    queue_depth: Family<Gauge>,
    /// Payment sizes.
    #[metric(name = "payment_amount", native = 1.1)]
    payments: Histogram,
    /// Replaced by the attribute.
    #[metric(help = "Carts abandoned.")]
    abandoned: Counter,
    /// Checkout time.
    checkout: Summary,
    /// Orders by kind, densely.
    #[metric(labels = ["kind"])]
    by_kind: DenseFamily<Counter, (Kind,)>,
    /// Open connections of the primary pool.
    #[metric(const_labels = [("pool", "primary"), ("zone", "eu \"1\"")])]
    connections: Gauge,
    /// Views by product, stored compactly.
    #[metric(labels = ["product"])]
    views: CompactFamily<Counter>,
}

#[test]
fn every_field_is_made_and_registered_with_its_doc_as_help() {
    let registry = Registry::new();
    let shop = ShopMetrics::register_with_prefix(&registry, "shop").unwrap();
    shop.orders.with(
        &Order {
            kind: Kind::Express,
        },
        Counter::inc,
    );
    shop.latency
        .with(&Route { route: "/cart" }, |h| h.observe(0.05));
    shop.queue_depth.with(&["mail"], |g| g.set(3.0)).unwrap();
    shop.payments.observe(12.5);
    shop.abandoned.inc();
    shop.checkout.observe(1.0);
    shop.by_kind.labels((Kind::Standard,)).inc_by(2);
    shop.connections.set(5.0);
    shop.views.inc_by(&["sku-1"], 4).unwrap();
    let text = registry.encode_text().unwrap();
    for expected in [
        "# HELP shop_orders_total Orders placed, by kind.\n",
        "shop_orders_total{kind=\"express\"} 1\n",
        "# HELP shop_latency_seconds Time to serve a request.\n",
        "shop_latency_seconds_bucket{route=\"/cart\",le=\"0.1\"} 1\n",
        "shop_queue_depth{queue=\"mail\"} 3\n",
        "shop_payment_amount_count 1\n",
        "# HELP shop_abandoned_total Carts abandoned.\n",
        "shop_checkout_count 1\n",
        "shop_by_kind_total{kind=\"standard\"} 2\n",
        "shop_connections{pool=\"primary\",zone=\"eu \\\"1\\\"\"} 5\n",
        "# HELP shop_views_total Views by product, stored compactly.\n",
        "shop_views_total{product=\"sku-1\"} 4\n",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    assert_eq!(
        shop.latency
            .labels(&Route { route: "/cart" })
            .buckets()
            .bounds(),
        &[0.01, 0.1, 1.0]
    );
}

#[test]
fn registration_is_all_or_nothing() {
    let registry = Registry::new();
    // The sixth field's name is taken: the first five go again.
    registry
        .register("checkout", "Taken.", Gauge::new())
        .unwrap();
    let error = ShopMetrics::register(&registry).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::AlreadyRegistered);
    assert_eq!(registry.encode_text().unwrap().matches("# TYPE").count(), 1);
    // Twice in one registry is an error too; in two registries it is fine.
    registry.unregister("checkout").unwrap();
    let _first = ShopMetrics::register(&registry).unwrap();
    assert!(ShopMetrics::register(&registry).is_err());
    assert!(ShopMetrics::register(&Registry::new()).is_ok());
}

/// Attributes a field's type does not take.
#[derive(Metrics)]
#[expect(dead_code, reason = "its registration fails before the struct is made")]
struct Misused {
    /// A counter with buckets.
    #[metric(buckets = [1])]
    counter: Counter,
}

/// A string family without label names, behind an alias the macro cannot see through
/// (without one it is a compile error: `tests/compile_fail`).
type Requests = Family<Counter>;

#[derive(Metrics)]
#[expect(dead_code, reason = "its registration fails before the struct is made")]
struct Unnamed {
    /// Which labels?
    family: Requests,
}

/// Invalid buckets.
#[derive(Metrics)]
#[expect(dead_code, reason = "its registration fails before the struct is made")]
struct BadBuckets {
    /// Unsorted.
    #[metric(buckets = [2, 1])]
    histogram: Histogram,
}

#[derive(Metrics)]
#[expect(dead_code, reason = "its registration fails before the struct is made")]
struct CompactWithBuckets {
    /// A compact family holds no histograms.
    #[metric(labels = ["a"], buckets = [1])]
    compact: CompactFamily<Counter>,
}

#[test]
fn attributes_a_type_cannot_take_are_typed_errors_and_register_nothing() {
    let registry = Registry::new();
    let misused = Misused::register(&registry).err().unwrap();
    assert_eq!(misused.kind(), ErrorKind::InvalidValue);
    assert!(misused.to_string().contains("`counter`"), "{misused}");
    let unnamed = Unnamed::register(&registry).err().unwrap();
    assert_eq!(unnamed.kind(), ErrorKind::LabelCount);
    assert_eq!(
        unnamed.to_string(),
        "wrong number of label values: field `family`: a string-labelled family needs \
         `#[metric(labels = [\"…\"])]` (or use a TypedFamily)"
    );
    let bad = BadBuckets::register(&registry).err().unwrap();
    assert_eq!(bad.kind(), ErrorKind::InvalidBuckets);
    let compact = CompactWithBuckets::register(&registry).err().unwrap();
    assert_eq!(compact.kind(), ErrorKind::InvalidValue);
    assert!(compact.to_string().contains("CompactFamily"), "{compact}");
    assert_eq!(registry.encode_text().unwrap(), "");
}

#[derive(LabelSet)]
struct User {
    user: String,
}

/// Families with a series cap and idle-series expiry.
#[derive(Metrics)]
struct Bounded {
    /// Logins by user, at most two users.
    #[metric(labels = ["user"], max_series = 2)]
    logins: Family<Counter>,
    /// Views by product, uncapped.
    #[metric(labels = ["product"], max_series = None)]
    views: CompactFamily<Counter>,
    /// Sessions by user, at most one.
    #[metric(max_series = 1)]
    sessions: TypedFamily<User, Gauge>,
    /// Seen recently, by user: gone 20 ms after their last change.
    #[metric(labels = ["user"], expire_after = "20ms")]
    seen: Family<Counter>,
    /// Orders by kind, hidden when idle.
    #[metric(labels = ["kind"], expire_after = "20ms")]
    orders: DenseFamily<Counter, (Kind,)>,
}

#[test]
fn max_series_caps_and_expire_after_expires() {
    let registry = Registry::new();
    let bounded = Bounded::register(&registry).unwrap();
    for user in ["ada", "bob", "cy", "dan"] {
        bounded.logins.labels(&[user]).unwrap().inc();
        bounded.sessions.labels(&User { user: user.into() }).inc();
    }
    // The cap, and the overflow series that counted the others.
    assert_eq!(bounded.logins.len(), 3);
    assert_eq!(bounded.sessions.len(), 2);
    for product in 0..=DEFAULT_MAX_SERIES {
        bounded.views.inc(&[product.to_string()]).unwrap();
    }
    assert_eq!(bounded.views.len(), DEFAULT_MAX_SERIES + 1);

    bounded.seen.labels(&["ada"]).unwrap().inc();
    bounded.orders.labels((Kind::Express,)).inc();
    let text = registry.encode_text().unwrap(); // the first sweep sees the changes
    assert!(text.contains("seen_total{user=\"ada\"} 1\n"), "{text}");
    assert!(
        text.contains("orders_total{kind=\"express\"} 1\n"),
        "{text}"
    );
    std::thread::sleep(std::time::Duration::from_millis(60));
    let text = registry.encode_text().unwrap();
    assert!(!text.contains("seen_total{"), "{text}");
    assert!(!text.contains("orders_total{"), "{text}");
    assert_eq!(bounded.seen.len(), 0);
}

/// A dense typed family (its label has a closed set of values) behind an alias.
type DenseOrders = TypedFamily<Order, Counter>;

#[derive(Metrics)]
#[expect(dead_code, reason = "its registration fails before the struct is made")]
struct CappedDenseTyped {
    /// Every combination is there already.
    #[metric(max_series = 10)]
    orders: DenseOrders,
}

#[test]
fn a_cap_on_a_dense_typed_family_is_refused_when_made() {
    let error = CappedDenseTyped::register(&Registry::new()).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::InvalidValue);
    assert_eq!(
        error.to_string(),
        "invalid value: field `orders`: a TypedFamily whose labels all have closed value \
         sets (it is dense: it holds every combination) takes no `max_series`"
    );
}
