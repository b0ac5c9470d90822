//! A flood of hostile unmatched requests: series and memory stay bounded.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::thread;
use std::time::{Duration, Instant};

use prom_kit::http::{OTHER_METHOD, UNMATCHED_ROUTE};

use super::exclusive;
use crate::conformance::client::{Connection, request};
use crate::conformance::samples::{
    RECORD_LIMIT, Sample, parse_exposition, poll, scrape, total, value,
};
use crate::conformance::{Adapter, AppSpec, Framework, Runtime};

const WARM_UP: usize = 2_000;
const FLOOD: usize = 20_000;
const FLOOD_CLIENTS: usize = 4;
/// The flood stops early (and the case checks it still sent enough) after this long.
const FLOOD_BUDGET: Duration = Duration::from_secs(8);
const METHODS: [&str; 7] = ["GET", "PROPFIND", "FOOBAR", "get", "POST", "DELETE", "HEAD"];
/// Kinds of path, see [`hostile_request`].
const PATH_KINDS: usize = 7;
/// The kind whose paths match the `/users/{id}` route.
const ROUTED_KIND: usize = 4;
/// Text from the hostile paths and methods that no exposition may contain.
const RAW_FRAGMENTS: [&str; 10] = [
    "/no/such", "%F0", "%00", "/long/", "..", "//double", "passwd", "deeper", "PROPFIND", "FOOBAR",
];

/// A pseudo-random 64-bit value for `i` (splitmix64).
fn noise(i: usize) -> u64 {
    let mut z = (i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The `i`-th request of the flood: one of [`METHODS`] and a path no other request uses.
/// Methods and path kinds cycle independently, so any [`METHODS`]` × `[`PATH_KINDS`]
/// consecutive requests hold every combination.
fn hostile_request(i: usize) -> (&'static str, usize, String) {
    let method = METHODS[i % METHODS.len()];
    let kind = (i / METHODS.len()) % PATH_KINDS;
    let n = noise(i);
    let path = match kind {
        0 => format!("/no/such/{i}/{n:016x}"),
        1 => format!(
            "/%F0%9F%92%A5/{i}/%00%ff%{:02X}%{:02X}/%2e%2e%2F{n}",
            n & 0xff,
            (n >> 8) & 0xff
        ),
        2 => format!("/static/../../etc/{i}/./passwd/..{n}/.."),
        3 => format!("/long/{i}/{n:x}/{}", "abcdefgh".repeat(1024)),
        ROUTED_KIND => format!("/users/{i}"),
        5 => format!("/users/{i}/deeper?q={n}&r=%22{i}%22"),
        _ => format!("//double//slash/{i}//{n}"),
    };
    (method, kind, path)
}

/// The status the router answers a [`hostile_request`] with: the route's own answer for
/// `GET` and `POST` on `/users/{id}` (and `HEAD` where it runs `GET`), the framework's
/// [`Framework::unrouted_method`] for its other methods (lowercase `get` is another method:
/// methods are case-sensitive), `404` for every other path.
fn expected_status(framework: Framework, method: &str, kind: usize) -> u16 {
    match (kind, method) {
        (ROUTED_KIND, "GET") => 200,
        (ROUTED_KIND, "HEAD") if framework.head_runs_get => 200,
        (ROUTED_KIND, "POST") => 201,
        (ROUTED_KIND, _) => framework.unrouted_method,
        _ => 404,
    }
}

/// What a flood did.
#[derive(Debug, Default)]
struct Tally {
    sent: usize,
    statuses: BTreeMap<u16, usize>,
    /// Responses other than [`expected_status`], with the request.
    unexpected: Vec<(u16, String, String)>,
    /// I/O errors (timeouts, resets), with the request.
    errors: Vec<String>,
    reconnects: usize,
}

impl Tally {
    fn merge(&mut self, other: Self) {
        self.sent += other.sent;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.unexpected.extend(other.unexpected);
        self.errors.extend(other.errors);
        self.reconnects += other.reconnects;
    }
}

/// Sends the requests `range` of [`hostile_request`] over [`FLOOD_CLIENTS`] keep-alive
/// connections in parallel, until done or `deadline`.
fn flood(addr: SocketAddr, framework: Framework, range: Range<usize>, deadline: Instant) -> Tally {
    let clients: Vec<_> = (0..FLOOD_CLIENTS)
        .map(|client| {
            let range = range.clone();
            thread::spawn(move || {
                let mut tally = Tally::default();
                let mut connection: Option<Connection> = None;
                for i in range.filter(|i| i % FLOOD_CLIENTS == client) {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let (method, kind, path) = hostile_request(i);
                    let open = connection.take().map_or_else(
                        || {
                            tally.reconnects += 1;
                            Connection::open(addr)
                        },
                        Ok,
                    );
                    let sent =
                        open.and_then(|mut open| open.send(method, &path, &[]).map(|r| (open, r)));
                    tally.sent += 1;
                    match sent {
                        Ok((open, response)) => {
                            *tally.statuses.entry(response.status).or_default() += 1;
                            if response.status != expected_status(framework, method, kind) {
                                tally
                                    .unexpected
                                    .push((response.status, method.to_owned(), path));
                            }
                            if !response.close {
                                connection = Some(open);
                            }
                        }
                        Err(error) => tally.errors.push(format!("{method} {path:.80}: {error}")),
                    }
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for client in clients {
        tally.merge(client.join().unwrap());
    }
    tally
}

/// The request-metric series a scrape holds: per family, the label sets.
fn request_series(samples: &[Sample]) -> BTreeMap<&'static str, usize> {
    let families = [
        "http_requests_total",
        "http_request_duration_seconds_count",
        "http_requests_in_flight",
    ];
    families
        .iter()
        .map(|&family| (family, samples.iter().filter(|s| s.0 == family).count()))
        .collect()
}

/// Checks a scrape after the flood: valid, and no label holding anything of a raw
/// request path or an unknown method (nor a tenant: the flood sends none).
fn check_labels_are_bounded(samples: &[Sample], text: &str) {
    let routes = ["/users/{id}", "/health", UNMATCHED_ROUTE];
    let methods = ["GET", "HEAD", "POST", "DELETE", OTHER_METHOD];
    for (name, labels, _) in samples.iter().filter(|s| s.0.starts_with("http_")) {
        for (label, value) in labels {
            match label.as_str() {
                "route" => assert!(routes.contains(&value.as_str()), "{name}: route {value:?}"),
                "method" => assert!(
                    methods.contains(&value.as_str()),
                    "{name}: method {value:?}"
                ),
                "status" => assert!(value.parse::<u16>().is_ok(), "{name}: status {value:?}"),
                "tenant" => assert_eq!(value, "none", "{name}: tenant"),
                "le" => {}
                other => panic!("{name}: unexpected label {other}"),
            }
        }
    }
    for fragment in RAW_FRAGMENTS {
        assert!(
            !text.contains(fragment),
            "the exposition contains {fragment:?}"
        );
    }
}

/// The process's resident memory in bytes (`/proc/self/statm`, pages of 4 KiB).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split(' ').nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// 22 000 requests with distinct hostile paths — percent-encoded bytes, 8 KiB paths,
/// `..` and `//` segments, query strings — and odd methods (`PROPFIND`, the made-up
/// `FOOBAR`, lowercase `get`) against the standard app, over four keep-alive
/// connections. Proves: every request gets the status the router gives it (404 for
/// unmatched paths); the request-metric families hold exactly as many series after the
/// flood as after a 2 000-request warm-up (bounded by route templates, normalized methods
/// and statuses, not by paths); no raw path or unknown method appears in any label
/// (unmatched requests are labelled `<unmatched>`, odd methods `_OTHER`); every request
/// is counted; the text and OpenMetrics expositions served over HTTP stay valid; and
/// resident memory grows by less than 32 MiB during the flood.
///
/// # Panics
///
/// When a check fails.
pub fn unmatched_request_flood_keeps_series_and_memory_bounded<A: Adapter>(runtime: Runtime) {
    let _machine = exclusive();
    let spec = AppSpec::new(runtime);
    let registry = spec.registry.clone();
    let app = A::start(spec);
    let addr = app.addr();
    let framework = A::FRAMEWORK;
    let deadline = Instant::now() + FLOOD_BUDGET;

    let mut tally = flood(addr, framework, 0..WARM_UP, deadline);
    let warm = tally.sent;
    let memory_before = resident_bytes();
    let series_before = request_series(&scrape(&registry));
    let flood_started = Instant::now();
    let flooded = flood(addr, framework, WARM_UP..WARM_UP + FLOOD, deadline);
    let flood_time = flood_started.elapsed();
    let flood_sent = flooded.sent;
    tally.merge(flooded);
    let memory_after = resident_bytes();

    // Every request is counted once its response is done.
    let samples = poll(&registry, RECORD_LIMIT, |samples| {
        total(samples, "http_requests_total") >= tally.sent as f64
    });
    let series_after = request_series(&samples);
    let growth = memory_after.saturating_sub(memory_before);
    eprintln!(
        "{} 404 flood ({runtime:?}): {} requests ({warm} warm-up, {flood_sent} flood in \
         {flood_time:?}, {:.0} requests/s), statuses {:?}, {} I/O errors, {} connections; \
         request-metric series after warm-up {series_before:?}, after flood \
         {series_after:?}; resident memory {:.1} MiB after warm-up, {:.1} MiB after flood \
         (growth {:.2} MiB)",
        A::NAME,
        tally.sent,
        flood_sent as f64 / flood_time.as_secs_f64(),
        tally.statuses,
        tally.errors.len(),
        tally.reconnects,
        memory_before as f64 / 1_048_576.0,
        memory_after as f64 / 1_048_576.0,
        growth as f64 / 1_048_576.0,
    );

    assert!(
        tally.errors.is_empty(),
        "I/O errors: {:?}",
        &tally.errors[..tally.errors.len().min(5)]
    );
    assert!(
        tally.unexpected.is_empty(),
        "{} unexpected statuses, e.g. {:?}",
        tally.unexpected.len(),
        &tally.unexpected[..tally.unexpected.len().min(5)]
    );
    assert!(
        flood_sent >= FLOOD / 4,
        "only {flood_sent} flood requests within the time budget"
    );
    assert_eq!(total(&samples, "http_requests_total"), tally.sent as f64);
    assert_eq!(
        series_after, series_before,
        "series grew with the number of distinct paths"
    );
    assert!(
        series_after.values().all(|&n| n > 0 && n <= 32),
        "{series_after:?}"
    );
    assert!(growth < 32 << 20, "resident memory grew by {growth} bytes");

    // The endpoint still serves valid expositions, in both text formats.
    let text = request(addr, "GET", "/metrics", &[]).unwrap();
    let accept = [("accept", "application/openmetrics-text;version=1.0.0")];
    let om = request(addr, "GET", "/metrics", &accept).unwrap();
    assert_eq!((text.status, om.status), (200, 200));
    let text = String::from_utf8(text.body).unwrap();
    let om = String::from_utf8(om.body).unwrap();
    check_labels_are_bounded(&parse_exposition(&text, false), &text);
    check_labels_are_bounded(&parse_exposition(&om, true), &om);
    // Unknown methods share one series per route and status (lowercase `get` is one of
    // them: see `case_variant_methods_are_labelled_other`).
    let odd_unmatched = (0..tally.sent)
        .map(hostile_request)
        .filter(|(m, k, _)| ["PROPFIND", "FOOBAR", "get"].contains(m) && *k != ROUTED_KIND)
        .count();
    assert_eq!(
        value(
            &samples,
            "http_requests_total",
            &[
                ("method", OTHER_METHOD),
                ("route", UNMATCHED_ROUTE),
                ("status", "404"),
                ("tenant", "none"),
            ]
        ),
        Some(odd_unmatched as f64),
    );
}
