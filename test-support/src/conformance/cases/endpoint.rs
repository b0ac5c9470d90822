//! The metrics endpoint: negotiation, compression and methods; large scrapes off the
//! server's threads.

use std::io::Read;
use std::thread;
use std::time::Duration;

use prom_kit::encoding::{OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
use prom_kit::{Counter, Family};

use super::{exclusive, shared};
use crate::conformance::client::request;
use crate::conformance::samples::{RECORD_LIMIT, poll, value};
use crate::conformance::{Adapter, AppSpec, Runtime};

/// `/metrics` answers the text format by default, OpenMetrics gzipped to a scraper that
/// asks for both, `HEAD` with the headers and no body, and `POST` with 405 and
/// `Allow: GET, HEAD`.
///
/// # Panics
///
/// When a check fails.
pub fn metrics_endpoint_negotiates_compresses_and_restricts_methods<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let app = A::start(AppSpec::new(runtime));
    let addr = app.addr();

    let response = request(addr, "GET", "/metrics", &[]).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some(TEXT_CONTENT_TYPE));
    assert!(
        String::from_utf8(response.body)
            .unwrap()
            .contains("# TYPE http_requests_total counter")
    );

    let accept = "application/openmetrics-text;version=1.0.0,text/plain;q=0.5";
    let headers = [("accept", accept), ("accept-encoding", "gzip")];
    let response = request(addr, "GET", "/metrics", &headers).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some(OPENMETRICS_CONTENT_TYPE)
    );
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&response.body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");

    let head = request(addr, "HEAD", "/metrics", &[]).unwrap();
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(head.header("content-type"), Some(TEXT_CONTENT_TYPE));

    let post = request(addr, "POST", "/metrics", &[]).unwrap();
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}

/// The series of the registry the large-scrape case serves.
const LARGE: usize = 200_000;
/// The lateness the large-scrape case tolerates: a wide margin both ways on a loaded
/// 2-core machine (a scrape encoded inline takes about 0.5 s in a debug build).
const LATENESS_LIMIT: Duration = Duration::from_millis(150);

/// Three scrapes of 200k series (OpenMetrics, gzipped) do not stall the server's
/// runtime: `/lateness`, a ticker run as a request on that runtime, stays on time while
/// the registry is encoded and gzipped. On [`Runtime::SingleThread`] the ticker shares
/// the one thread with every request.
///
/// # Panics
///
/// When a check fails.
pub fn large_scrapes_do_not_stall_the_server<A: Adapter>(runtime: Runtime) {
    let _machine = exclusive();
    let family: Family<Counter> = Family::builder(["id"]).max_series(None).build().unwrap();
    for i in 0..LARGE {
        family.with(&[i.to_string()], Counter::inc).unwrap();
    }
    let spec = AppSpec::new(runtime);
    let registry = spec.registry.clone();
    let app = A::start(spec);
    let addr = app.addr();
    let ticker = thread::spawn(move || request(addr, "GET", "/lateness", &[]));
    // The ticker runs once its request is in flight; the large family is registered
    // only then, so that polling for it stays cheap.
    let in_flight = [("method", "GET"), ("tenant", "none")];
    let samples = poll(&registry, RECORD_LIMIT, |samples| {
        value(samples, "http_requests_in_flight", &in_flight) == Some(1.0)
    });
    assert_eq!(
        value(&samples, "http_requests_in_flight", &in_flight),
        Some(1.0)
    );
    registry.register("items", "Items.", family).unwrap();
    // Sleep between scrapes, so that the ticker is waiting on its timer whenever a
    // scrape runs.
    thread::sleep(Duration::from_millis(20));
    let headers = [
        ("accept", "application/openmetrics-text"),
        ("accept-encoding", "gzip"),
    ];
    let mut sizes = Vec::new();
    for _ in 0..3 {
        thread::sleep(Duration::from_millis(10));
        let response = request(addr, "GET", "/metrics", &headers).unwrap();
        assert_eq!(response.status, 200);
        assert!(response.body.len() > LARGE, "{}", response.body.len());
        sizes.push(response.body.len());
    }
    let lateness = ticker.join().unwrap().unwrap();
    assert_eq!(lateness.status, 200);
    let worst = Duration::from_micros(String::from_utf8(lateness.body).unwrap().parse().unwrap());
    eprintln!(
        "{} large scrapes ({runtime:?}): 3 scrapes of {LARGE} series, gzipped {sizes:?} bytes; \
         the ticker on the server's runtime was at worst {worst:?} late",
        A::NAME
    );
    assert!(worst < LATENESS_LIMIT, "the ticker was {worst:?} late");
}

/// On a UTF-8 registry, `/metrics` answers a Prometheus 3 scraper with the names as they
/// are (quoted) and names the scheme in the `Content-Type`, any other scraper with
/// underscores; `name[]` parameters, raw or percent-encoded and any number of them,
/// limit the scrape to the families named (none, when no name is known or decodes).
///
/// # Panics
///
/// When a check fails.
pub fn metrics_endpoint_negotiates_utf8_names_and_filters_by_name<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let spec = AppSpec::utf8(runtime);
    let orders: Family<Counter> = Family::new(["order.kind"]).unwrap();
    spec.registry
        .register("shop.orders", "Orders.", orders.clone())
        .unwrap();
    orders.labels(&["express"]).unwrap().inc();
    let registry = spec.registry.clone();
    let app = A::start(spec);
    let addr = app.addr();
    assert_eq!(request(addr, "GET", "/users/7", &[]).unwrap().status, 200);
    // The request is recorded when its response body ends, just after the client read it.
    let deadline = std::time::Instant::now() + RECORD_LIMIT;
    while !registry_text(&registry).contains("http_server_request_duration_seconds_count{") {
        assert!(
            std::time::Instant::now() < deadline,
            "the request was never recorded"
        );
        thread::sleep(Duration::from_millis(2));
    }

    let prometheus_3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    let response = request(addr, "GET", "/metrics", &[("accept", prometheus_3)]).unwrap();
    assert_eq!(
        response.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8")
    );
    let text = String::from_utf8(response.body).unwrap();
    for needle in [
        "{\"shop.orders_total\",\"order.kind\"=\"express\"} 1\n",
        "{\"http.server.request.duration_seconds_count\",\"http.request.method\"=\"GET\",\"http.route\"=\"/users/{id}\",\"http.response.status_code\"=\"200\",tenant=\"none\"} 1\n",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }

    let plain = String::from_utf8(request(addr, "GET", "/metrics", &[]).unwrap().body).unwrap();
    assert!(
        plain.contains("shop_orders_total{order_kind=\"express\"} 1\n"),
        "{plain}"
    );
    assert!(!plain.contains("{\""), "{plain}");

    for query in [
        "/metrics?name[]=shop_orders_total",
        "/metrics?name%5B%5D=shop.orders&name[]=missing",
    ] {
        let body = String::from_utf8(request(addr, "GET", query, &[]).unwrap().body).unwrap();
        assert!(!body.is_empty(), "{query}");
        assert!(
            body.lines().all(|line| line.contains("shop_orders")),
            "{query}:\n{body}"
        );
    }
    // Unknown names, and names that are not UTF-8 once decoded, select nothing: the
    // filter never falls away.
    for query in [
        "/metrics?name[]=missing",
        "/metrics?name[]=%ff",
        "/metrics?name%5B%5D=%C3&other=1",
    ] {
        let none = request(addr, "GET", query, &[]).unwrap();
        assert_eq!((none.status, none.body.len()), (200, 0), "{query}");
    }
    // Any number of names is read (2,000 here, 35 KB: within what every server in
    // front reads of a request head).
    let mut many = String::from("/metrics?");
    for i in 0..2_000 {
        many.push_str("name[]=unknown");
        many.push_str(&i.to_string());
        many.push('&');
    }
    many.push_str("name[]=shop_orders_total");
    let body = String::from_utf8(request(addr, "GET", &many, &[]).unwrap().body).unwrap();
    assert!(
        body.contains("shop_orders_total{order_kind=\"express\"} 1\n")
            && body.lines().all(|line| line.contains("shop_orders")),
        "{body}"
    );
}

/// The registry's text exposition.
fn registry_text(registry: &prom_kit::Registry) -> String {
    registry.encode_text().unwrap()
}
