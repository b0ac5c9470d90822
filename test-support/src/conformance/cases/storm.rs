//! The concurrent-scrape limit: a storm of scrapes against a slow registry is limited
//! while other routes stay responsive, and a scrape holds its slot until its body is sent.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use prom_kit::{Collector, CollectorOutput, Descriptor, Family, Gauge, MetricType};

use super::{exclusive, shared};
use crate::conformance::client::{Connection, IO_TIMEOUT, request};
use crate::conformance::handlers::HEALTH;
use crate::conformance::samples::{scrape, value};
use crate::conformance::{Adapter, AppSpec, Runtime};

/// A collector that takes `delay` to collect: a registry that is slow to encode.
#[derive(Debug)]
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

/// What a storm did: the scrape statuses, failed scrapes, the number of `/health` probes
/// and the slowest probe.
type Outcome = (BTreeMap<u16, usize>, Vec<String>, usize, Duration);

/// Fires [`STORM`] scrapes at once and probes `/health` while they run.
fn storm(addr: SocketAddr) -> Outcome {
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
        assert_eq!(
            (response.status, &response.body[..]),
            (200, HEALTH.as_bytes())
        );
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
///
/// # Panics
///
/// When a check fails.
pub fn scrape_storm_is_limited_and_leaves_other_routes_responsive<A: Adapter>(runtime: Runtime) {
    let _machine = exclusive();
    let spec = AppSpec::with_scrape_limit(runtime, SCRAPE_LIMIT);
    let registry = spec.registry.clone();
    registry.register_collector(SlowCollector {
        descriptor: Descriptor::new("slow", "Slow to collect.", MetricType::Gauge).unwrap(),
        delay: Duration::from_millis(50),
    });
    let app = A::start(spec);

    let started = Instant::now();
    let (statuses, other, probes, worst_probe) = storm(app.addr());
    eprintln!(
        "{} scrape storm ({runtime:?}): {STORM} scrapes in {:?}, statuses {statuses:?} \
         (other outcomes {other:?}); /health answered {probes} times during the storm, \
         slowest {worst_probe:?}",
        A::NAME,
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
    let samples = scrape(&registry);
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
}

/// A client that asks for a large scrape (about 9 MB, twice the largest socket send
/// buffer, so the body cannot all wait in the kernel) and then stops reading, against a
/// `/metrics` limited to one scrape at a time. Proves: the stalled scrape holds its slot
/// until its body is sent — another scrape gets 503 meanwhile — and gives it back when
/// the client goes away, so slow readers never hold more rendered bodies than the limit.
///
/// # Panics
///
/// When a check fails.
pub fn a_stalled_reader_holds_its_scrape_slot<A: Adapter>(runtime: Runtime) {
    let _machine = shared();
    let spec = AppSpec::with_scrape_limit(runtime, 1);
    let wide: Family<Gauge> = Family::builder(["id", "pad"])
        .max_series(None)
        .build()
        .unwrap();
    let pad = "p".repeat(160);
    for id in 0..50_000 {
        wide.labels(&[&id.to_string(), &pad]).unwrap().set(1.0);
    }
    spec.registry
        .register("wide", "Wide series.", wide)
        .unwrap();
    let app = A::start(spec);

    let mut stalled = TcpStream::connect(app.addr()).unwrap();
    stalled.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stalled
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut status = [0u8; 12];
    stalled.read_exact(&mut status).unwrap();
    assert_eq!(&status, b"HTTP/1.1 200", "the first scrape is admitted");
    let busy = request(app.addr(), "GET", "/metrics", &[]).unwrap();
    assert_eq!(busy.status, 503, "{} while a body is unsent", A::NAME);

    drop(stalled);
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let response = request(app.addr(), "GET", "/metrics", &[]).unwrap();
        if response.status == 200 {
            assert!(response.body.len() > 8_000_000, "{}", response.body.len());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}: the slot was not given back after the reader left",
            A::NAME
        );
        thread::sleep(Duration::from_millis(50));
    }
}
