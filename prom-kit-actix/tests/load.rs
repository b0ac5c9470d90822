//! Load and hostile-traffic tests of the actix-web adapter over real sockets on
//! 127.0.0.1: a flood of unmatched requests with odd paths and methods, a storm of
//! concurrent scrapes against a slow registry, and a graceful shutdown with requests in
//! flight.
//!
//! Each server is a real `HttpServer` with two workers, run by a thread of its own (as
//! actix-server's own `TestServer` does), and stopped when its guard drops, also when a
//! test fails. The client is a minimal HTTP/1.1 client over `std::net::TcpStream` with
//! read and write timeouts, run on blocking threads. Every test bounds its requests in
//! number and in time and prints its figures with `eprintln!` (see them with
//! `--nocapture`).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use prom_kit::http::{HttpMetrics, MetricsHandler, OTHER_METHOD, UNMATCHED_ROUTE};
use prom_kit::{Collector, CollectorOutput, Descriptor, MetricType, Registry};
use prom_kit_actix::{Metrics, metrics_resource};

/// Read, write and connect timeout of every client socket: a stuck server fails the test
/// instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// The server.

/// Starts a [`Server`] with two workers for the app factory `$app` (a `move ||` closure
/// building an `App`, called once per worker); a graceful stop waits up to
/// `$shutdown_timeout` seconds for requests in flight.
macro_rules! serve {
    ($shutdown_timeout:expr, $app:expr) => {{
        let app = $app;
        Server::start(move |listener| {
            Ok(HttpServer::new(app)
                .workers(2)
                .disable_signals()
                .shutdown_timeout($shutdown_timeout)
                .listen(listener)?
                .run())
        })
    }};
}

/// An actix-web `HttpServer` with two workers on 127.0.0.1 (a port of its own), run by a
/// thread of its own. Dropped while running, it is stopped (not gracefully) and its
/// thread joined.
struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
    /// Reports the end of the server's `run` future.
    stopped: mpsc::Receiver<io::Result<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Starts the server `run` makes from a listener on 127.0.0.1 (see [`serve!`]); the
    /// server runs in a `System` on a thread of its own.
    fn start(
        run: impl FnOnce(std::net::TcpListener) -> io::Result<actix_web::dev::Server> + Send + 'static,
    ) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (started_tx, started) = mpsc::channel();
        let (stopped_tx, stopped) = mpsc::channel();
        let thread = thread::spawn(move || {
            let outcome = actix_web::rt::System::new().block_on(async move {
                let server = run(listener)?;
                let _ = started_tx.send(server.handle());
                server.await
            });
            let _ = stopped_tx.send(outcome);
        });
        let handle = started
            .recv_timeout(IO_TIMEOUT)
            .expect("the server did not start");
        Self {
            addr,
            handle,
            stopped,
            thread: Some(thread),
        }
    }

    /// Stops the server (gracefully: in-flight requests finish) and waits up to `limit`
    /// for it to stop; returns how it ended, or `None` if it did not stop in time.
    fn stop_gracefully(&mut self, limit: Duration) -> Option<io::Result<()>> {
        drop(self.handle.stop(true));
        let outcome = self.stopped.recv_timeout(limit).ok();
        if outcome.is_some() {
            if let Some(thread) = self.thread.take() {
                thread.join().unwrap();
            }
        }
        outcome
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            // Sends the command at once; the server's thread carries it out.
            drop(self.handle.stop(false));
            let _ = self.stopped.recv_timeout(IO_TIMEOUT);
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The client.

/// What the client reads of a response.
#[derive(Debug)]
struct Response {
    status: u16,
    body: Vec<u8>,
    /// Whether the server closes the connection after it.
    close: bool,
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// One HTTP/1.1 connection, kept alive from request to request.
struct Connection {
    stream: BufReader<TcpStream>,
}

impl Connection {
    fn open(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
        })
    }

    /// Sends `method target` with `headers` and reads the whole response.
    fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> io::Result<Response> {
        let mut head = format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
        for (name, value) in headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        head.push_str("\r\n");
        self.stream.get_mut().write_all(head.as_bytes())?;
        self.read_response(method == "HEAD")
    }

    fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.stream.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let trimmed = line
            .strip_suffix("\r\n")
            .ok_or_else(|| invalid(format!("line without CRLF: {line:?}")))?;
        Ok(trimmed.to_owned())
    }

    fn read_response(&mut self, head_only: bool) -> io::Result<Response> {
        let status_line = self.line()?;
        let status: u16 = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| invalid(format!("status line {status_line:?}")))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            let line = self.line()?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| invalid(format!("header {line:?}")))?;
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => {
                    length = Some(value.parse::<usize>().map_err(|e| invalid(e.to_string()))?);
                }
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if head_only || status == 204 || status == 304 {
            // No body.
        } else if chunked {
            loop {
                let size_line = self.line()?;
                let size =
                    usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|e| invalid(format!("chunk size {size_line:?}: {e}")))?;
                if size == 0 {
                    while !self.line()?.is_empty() {}
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.stream.read_exact(&mut body[start..])?;
                if !self.line()?.is_empty() {
                    return Err(invalid("chunk without CRLF"));
                }
            }
        } else if let Some(length) = length {
            body.resize(length, 0);
            self.stream.read_exact(&mut body)?;
        } else {
            self.stream.read_to_end(&mut body)?;
            close = true;
        }
        Ok(Response {
            status,
            body,
            close,
        })
    }
}

/// One request on a connection of its own.
fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> io::Result<Response> {
    Connection::open(addr)?.send(method, target, headers)
}

/// Runs blocking client code off the test's runtime thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    actix_web::rt::task::spawn_blocking(f).await.unwrap()
}

// ---------------------------------------------------------------------------------------
// The exposition.

/// One sample line: name, label pairs (values unescaped), value.
type Sample = (String, Vec<(String, String)>, f64);

/// Parses one scrape strictly: only `# HELP`, `# TYPE` (and in OpenMetrics `# UNIT`)
/// comments, every other line a well-formed sample, no series twice, and OpenMetrics
/// ending in `# EOF`.
fn parse_exposition(text: &str, openmetrics: bool) -> Vec<Sample> {
    let body = if openmetrics {
        text.strip_suffix("# EOF\n")
            .unwrap_or_else(|| panic!("OpenMetrics without a final `# EOF`: {text}"))
    } else {
        text
    };
    assert!(body.is_empty() || body.ends_with('\n'), "cut short: {text}");
    let mut seen = HashSet::new();
    let mut samples = Vec::new();
    for line in body.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let kind = comment.split(' ').next().unwrap_or("");
            assert!(
                matches!(kind, "HELP" | "TYPE") || (openmetrics && kind == "UNIT"),
                "unexpected comment {line:?}"
            );
            continue;
        }
        let sample = parse_sample(line).unwrap_or_else(|e| panic!("malformed line {line:?}: {e}"));
        assert!(
            seen.insert((sample.0.clone(), sample.1.clone())),
            "series twice: {line}"
        );
        samples.push(sample);
    }
    samples
}

/// `name{labels} value [timestamp]` (exemplars are not expected here).
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .ok_or("no value")?;
    let (name, mut rest) = line.split_at(name_end);
    if name.is_empty() {
        return Err("no name".into());
    }
    let mut labels = Vec::new();
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = inner.strip_prefix('}') {
                rest = after;
                break;
            }
            let (label, after) = inner.split_once("=\"").ok_or("no `=\"`")?;
            if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("label name {label:?}"));
            }
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().ok_or("unterminated value")? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        other => return Err(format!("escape \\{other}")),
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.push((label.to_owned(), value));
            inner = &after[end + 1..];
            inner = inner.strip_prefix(',').unwrap_or(inner);
        }
    }
    let rest = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let mut tokens = rest.split(' ');
    let value = match tokens.next().unwrap_or("") {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        token => token.parse().map_err(|e| format!("value {token:?}: {e}"))?,
    };
    if let Some(timestamp) = tokens.next() {
        timestamp
            .parse::<f64>()
            .map_err(|e| format!("timestamp {timestamp:?}: {e}"))?;
    }
    if tokens.next().is_some() {
        return Err("trailing text".into());
    }
    Ok((name.to_owned(), labels, value))
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

/// The sum of the values of the samples named `name`.
fn total(samples: &[Sample], name: &str) -> f64 {
    samples.iter().filter(|s| s.0 == name).map(|s| s.2).sum()
}

/// The value of the sample `name` with exactly `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| {
            n == name
                && l.len() == labels.len()
                && l.iter().zip(labels).all(|(a, b)| a.0 == b.0 && a.1 == b.1)
        })
        .map(|s| s.2)
}

/// The process's resident memory in bytes (`/proc/self/statm`, pages of 4 KiB).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split(' ').nth(1).unwrap().parse().unwrap();
    pages * 4096
}

// ---------------------------------------------------------------------------------------
// a) A flood of unmatched requests.

const WARM_UP: usize = 2_000;
const FLOOD: usize = 20_000;
const FLOOD_CLIENTS: usize = 4;
/// The flood stops early (and the test checks it still sent enough) after this long.
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

/// The status actix-web answers [`hostile_request`]s with: the route's own answer for
/// `GET` on `/users/{id}`; `404` for every other method there (`App::route` with
/// `web::get()` guards the route, and a request no route's guard admits is not found —
/// `HEAD` and lowercase `get` included, methods being case-sensitive) and for every other
/// path.
fn expected_status(method: &str, kind: usize) -> u16 {
    match (kind, method) {
        (ROUTED_KIND, "GET") => 200,
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
fn flood(addr: SocketAddr, range: Range<usize>, deadline: Instant) -> Tally {
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
                            if response.status != expected_status(method, kind) {
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

/// The app factory of the flood: two routes, the metrics endpoint, the middleware.
macro_rules! flood_app {
    ($registry:expr) => {{
        let metrics = HttpMetrics::builder()
            .exclude_path("/metrics")
            .build($registry)
            .unwrap();
        let handler = MetricsHandler::new($registry.clone()).unwrap();
        move || {
            App::new()
                .wrap(Metrics::new(metrics.clone()))
                .service(metrics_resource("/metrics", handler.clone()))
                .route(
                    "/users/{id}",
                    web::get().to(|| async { HttpResponse::Ok().body("a user") }),
                )
                .route(
                    "/health",
                    web::get().to(|| async { HttpResponse::Ok().body("ok") }),
                )
        }
    }};
}

/// Checks a scrape after the flood: valid, and no label holding anything of a raw
/// request path or an unknown method.
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

/// 22 000 requests with distinct hostile paths — percent-encoded bytes, 8 KiB paths,
/// `..` and `//` segments, query strings — and odd methods (`PROPFIND`, the made-up
/// `FOOBAR`, lowercase `get`) against an app with two routes, over four keep-alive
/// connections. Proves: every request gets the status the router gives it (404 for
/// unmatched paths); the request-metric families hold exactly as many series after the
/// flood as after a 2 000-request warm-up (bounded by route patterns, normalized methods
/// and statuses, not by paths); no raw path or unknown method appears in any label
/// (unmatched requests are labelled `<unmatched>`, odd methods `_OTHER`); every request
/// is counted; the text and OpenMetrics expositions served over HTTP stay valid; and
/// resident memory grows by less than 32 MiB during the flood.
#[actix_web::test]
async fn unmatched_request_flood_keeps_series_and_memory_bounded() {
    let registry = Registry::new();
    let server = serve!(5, flood_app!(&registry));
    let addr = server.addr;
    let started = Instant::now();
    let deadline = started + FLOOD_BUDGET;

    let mut tally = blocking(move || flood(addr, 0..WARM_UP, deadline)).await;
    let warm = tally.sent;
    let memory_before = resident_bytes();
    let series_before = request_series(&parse_exposition(&registry.encode_text().unwrap(), false));
    let flood_started = Instant::now();
    let flooded = blocking(move || flood(addr, WARM_UP..WARM_UP + FLOOD, deadline)).await;
    let flood_time = flood_started.elapsed();
    let flood_sent = flooded.sent;
    tally.merge(flooded);
    let memory_after = resident_bytes();

    // Every request is counted once its response is done; the server may finish the
    // last bodies just after the client has read them, so poll briefly.
    let counted_deadline = Instant::now() + Duration::from_secs(5);
    let samples = loop {
        let samples = parse_exposition(&registry.encode_text().unwrap(), false);
        let counted = total(&samples, "http_requests_total");
        if counted >= tally.sent as f64 || Instant::now() >= counted_deadline {
            break samples;
        }
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    };
    let series_after = request_series(&samples);
    let growth = memory_after.saturating_sub(memory_before);
    eprintln!(
        "actix 404 flood: {} requests ({warm} warm-up, {flood_sent} flood in {flood_time:?}, \
         {:.0} requests/s), statuses {:?}, {} I/O errors, {} connections; request-metric \
         series after warm-up {series_before:?}, after flood {series_after:?}; resident \
         memory {:.1} MiB after warm-up, {:.1} MiB after flood (growth {:.2} MiB)",
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
    let (text, om) = blocking(move || {
        let text = request(addr, "GET", "/metrics", &[]).unwrap();
        let om = request(
            addr,
            "GET",
            "/metrics",
            &[("accept", "application/openmetrics-text;version=1.0.0")],
        )
        .unwrap();
        (text, om)
    })
    .await;
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
                ("status", "404")
            ]
        ),
        Some(odd_unmatched as f64),
    );
    drop(server);
}

/// A request with the method `get` — not `GET`: methods are case-sensitive (RFC 9110
/// §9.1), and actix-web answers it 404 on a `web::get()` route — must be labelled
/// `_OTHER`, as the OpenTelemetry convention that `OTHER_METHOD` follows requires (the
/// value "MUST match a known HTTP method name exactly"), so that `method="GET"` series
/// count real `GET`s only.
///
/// A regression test: `normalize_method` used to compare case-insensitively.
#[actix_web::test]
async fn case_variant_methods_are_labelled_other() {
    let registry = Registry::new();
    let server = serve!(5, flood_app!(&registry));
    let addr = server.addr;
    let response = blocking(move || request(addr, "get", "/users/1", &[]).unwrap()).await;
    assert_eq!(response.status, 404);
    let deadline = Instant::now() + Duration::from_secs(5);
    let samples = loop {
        let samples = parse_exposition(&registry.encode_text().unwrap(), false);
        if total(&samples, "http_requests_total") >= 1.0 || Instant::now() >= deadline {
            break samples;
        }
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    };
    let recorded: Vec<_> = samples
        .iter()
        .filter(|s| s.0 == "http_requests_total")
        .collect();
    assert_eq!(
        value(
            &samples,
            "http_requests_total",
            &[
                ("method", OTHER_METHOD),
                ("route", "/users/{id}"),
                ("status", "404")
            ]
        ),
        Some(1.0),
        "recorded as {recorded:?}"
    );
    drop(server);
}

// ---------------------------------------------------------------------------------------
// b) A storm of scrapes.

/// A collector that takes `delay` to collect: a registry that is slow to encode.
struct SlowCollector {
    descriptor: Descriptor,
    delay: Duration,
}

impl Collector for SlowCollector {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        thread::sleep(self.delay);
        out.family(&self.descriptor).gauge(&[] as &[&str], 1.0)
    }
}

const STORM: usize = 200;
const SCRAPE_LIMIT: usize = 2;
const PROBE_LIMIT: Duration = Duration::from_millis(500);

/// Fires [`STORM`] scrapes at once and probes `/health` while they run; returns the
/// scrape statuses, failed scrapes, the number of probes and the slowest probe.
fn storm(addr: SocketAddr) -> (BTreeMap<u16, usize>, Vec<String>, usize, Duration) {
    let start = Arc::new(Barrier::new(STORM + 1));
    let running = Arc::new(AtomicUsize::new(STORM));
    let scrapers: Vec<_> = (0..STORM)
        .map(|_| {
            let (start, running) = (Arc::clone(&start), Arc::clone(&running));
            thread::spawn(move || {
                let connection = Connection::open(addr);
                start.wait();
                let outcome = connection.and_then(|mut c| c.send("GET", "/metrics", &[]));
                running.fetch_sub(1, Ordering::Release);
                outcome.map(|r| r.status).map_err(|e| e.to_string())
            })
        })
        .collect();
    let mut probe = Connection::open(addr).unwrap();
    start.wait();
    let (mut probes, mut worst) = (0, Duration::ZERO);
    let probe_deadline = Instant::now() + IO_TIMEOUT;
    while running.load(Ordering::Acquire) > 0 && Instant::now() < probe_deadline {
        let sent = Instant::now();
        let response = probe.send("GET", "/health", &[]).unwrap();
        worst = worst.max(sent.elapsed());
        assert_eq!((response.status, &response.body[..]), (200, &b"ok"[..]));
        probes += 1;
    }
    let mut statuses = BTreeMap::new();
    let mut other = Vec::new();
    for scraper in scrapers {
        match scraper.join().unwrap() {
            Ok(status) => *statuses.entry(status).or_default() += 1,
            Err(error) => other.push(error),
        }
    }
    (statuses, other, probes, worst)
}

/// 200 scrapes at once (each on its own connection, released together) against a
/// `/metrics` limited to 2 concurrent scrapes whose registry takes 50 ms to encode, while
/// another client keeps requesting `/health`. Proves: every scrape is answered 200 or
/// 503, with at least one of each; the handler's own `prom_kit_scrapes_total` counts
/// exactly the 200s and 503s the clients saw; and `/health` keeps answering within
/// 500 ms all through the storm.
#[actix_web::test]
async fn scrape_storm_is_limited_and_leaves_other_routes_responsive() {
    let registry = Registry::new();
    registry.register_collector(SlowCollector {
        descriptor: Descriptor::new("slow", "Slow to collect.", MetricType::Gauge).unwrap(),
        delay: Duration::from_millis(50),
    });
    let handler = MetricsHandler::builder(registry.clone())
        .max_concurrent_scrapes(SCRAPE_LIMIT)
        .build()
        .unwrap();
    let server = serve!(5, move || {
        App::new()
            .service(metrics_resource("/metrics", handler.clone()))
            .route(
                "/health",
                web::get().to(|| async { HttpResponse::Ok().body("ok") }),
            )
    });
    let addr = server.addr;

    let started = Instant::now();
    let (statuses, other, probes, worst_probe) = blocking(move || storm(addr)).await;
    eprintln!(
        "actix scrape storm: {STORM} scrapes in {:?}, statuses {statuses:?} (other outcomes \
         {other:?}); /health answered {probes} times during the storm, slowest {worst_probe:?}",
        started.elapsed()
    );
    assert!(other.is_empty(), "{other:?}");
    assert_eq!(statuses.values().sum::<usize>(), STORM);
    assert!(
        statuses.keys().all(|s| [200, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.get(&503).is_some_and(|&n| n > 0), "{statuses:?}");
    assert!(statuses.get(&200).is_some_and(|&n| n > 0), "{statuses:?}");
    assert!(probes > 0, "/health was not requested during the storm");
    assert!(worst_probe < PROBE_LIMIT, "/health took {worst_probe:?}");
    let samples = parse_exposition(&registry.encode_text().unwrap(), false);
    for code in [200, 503] {
        assert_eq!(
            value(
                &samples,
                "prom_kit_scrapes_total",
                &[("code", &code.to_string())]
            ),
            Some(statuses[&code] as f64),
            "scrapes counted with code {code}"
        );
    }
    drop(server);
}

// ---------------------------------------------------------------------------------------
// c) Shutdown with requests in flight.

const IN_FLIGHT: usize = 8;
const SLOW: Duration = Duration::from_millis(300);

/// Eight requests to a route that takes 300 ms are in flight (the in-flight gauge shows
/// all eight) when a graceful stop begins. Proves: every one of them completes with 200
/// and its full body; the server stops within 2 s of the stop command; it accepts no
/// connection afterwards; and the metrics record all eight requests and none left in
/// flight.
#[actix_web::test]
async fn graceful_shutdown_completes_requests_in_flight() {
    let registry = Registry::new();
    let metrics = HttpMetrics::builder().build(&registry).unwrap();
    let mut server = serve!(5, move || {
        App::new().wrap(Metrics::new(metrics.clone())).route(
            "/slow",
            web::get().to(|| async {
                actix_web::rt::time::sleep(SLOW).await;
                HttpResponse::Ok().body("done")
            }),
        )
    });
    let addr = server.addr;
    // Spawned now (a `blocking` future would only start when awaited).
    let clients: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            actix_web::rt::task::spawn_blocking(move || {
                request(addr, "GET", "/slow", &[]).map(|r| (r.status, r.body))
            })
        })
        .collect();
    let in_flight = [("method", "GET"), ("route", "/slow")];
    let gauge = || {
        let samples = parse_exposition(&registry.encode_text().unwrap(), false);
        value(&samples, "http_requests_in_flight", &in_flight)
    };
    let wait_deadline = Instant::now() + Duration::from_secs(5);
    while gauge() != Some(IN_FLIGHT as f64) {
        assert!(Instant::now() < wait_deadline, "in flight: {:?}", gauge());
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }

    let shutdown_started = Instant::now();
    let stopped = blocking(move || {
        let stopped = server.stop_gracefully(Duration::from_secs(2));
        (server, stopped)
    });
    let mut outcomes = Vec::new();
    for client in clients {
        outcomes.push(client.await.unwrap());
    }
    let answered_after = shutdown_started.elapsed();
    let (server, stopped) = stopped.await;
    let stopped_after = shutdown_started.elapsed();
    let refused = blocking(move || TcpStream::connect_timeout(&addr, IO_TIMEOUT).is_err()).await;
    let samples = parse_exposition(&registry.encode_text().unwrap(), false);
    let recorded = value(
        &samples,
        "http_requests_total",
        &[("method", "GET"), ("route", "/slow"), ("status", "200")],
    );
    eprintln!(
        "actix graceful shutdown: {IN_FLIGHT} requests in flight; all answered \
         {answered_after:?} and server stopped {stopped_after:?} after the stop command; \
         outcomes {:?}; recorded {recorded:?}",
        outcomes
            .iter()
            .map(|o| o.as_ref().map(|(s, _)| *s).map_err(ToString::to_string))
            .collect::<Vec<_>>()
    );
    for outcome in outcomes {
        let (status, body) = outcome.expect("an in-flight request failed");
        assert_eq!((status, &body[..]), (200, &b"done"[..]));
    }
    assert!(
        matches!(stopped, Some(Ok(()))),
        "the server did not stop cleanly within 2 s: {stopped:?}"
    );
    assert!(refused, "the stopped server still accepts connections");
    assert_eq!(recorded, Some(IN_FLIGHT as f64));
    assert_eq!(
        value(&samples, "http_requests_in_flight", &in_flight),
        Some(0.0)
    );
    drop(server);
}
