//! Async collectors at the adapter's `/metrics`: a slow one misses the deadline the
//! scraper's `X-Prometheus-Scrape-Timeout-Seconds` sets, the scrape still answers in time
//! with everything else, and other routes stay responsive meanwhile (on one thread too).

use std::thread;
use std::time::{Duration, Instant};

use prom_kit::registry::{AsyncCollector, CollectFuture, collector_fn};
use prom_kit::{Descriptor, MetricType};

use super::exclusive;
use crate::conformance::client::Connection;
use crate::conformance::handlers::HEALTH;
use crate::conformance::{Adapter, AppSpec, Runtime};

/// A gauge `name` at 1, fetched after `delay`.
struct Fetch {
    name: &'static str,
    delay: Duration,
}

impl AsyncCollector for Fetch {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            let descriptor = Descriptor::new(self.name, "Fetched.", MetricType::Gauge)?;
            Ok(collector_fn(move |out| {
                out.family(&descriptor).gauge(&[] as &[&str], 1.0)
            }))
        })
    }
}

/// The deadline a 1 s scrape timeout leaves the async collectors (the handler's 250 ms
/// margin taken off).
const DEADLINE: Duration = Duration::from_millis(750);

/// A registry with a fast async collector and one that takes 5 s, served by the adapter
/// with the `Continue` error policy, scraped with a 1 s timeout while another client
/// requests `/health`. Proves: the scrape is answered 200 after the deadline and well
/// before the slow collector would finish, holds the fast collector's family and the
/// request metrics but not the slow family, counts
/// `prom_kit_scrape_errors_total{cause="collector_timeout"}`; and `/health` answers within
/// 250 ms while the scrape waits.
///
/// # Panics
///
/// When a check fails.
pub fn async_collectors_meet_the_scrape_deadline<A: Adapter>(runtime: Runtime) {
    let _machine = exclusive();
    let spec = AppSpec::lenient(runtime);
    spec.registry.register_async_collector(Fetch {
        name: "fast_async",
        delay: Duration::from_millis(10),
    });
    spec.registry.register_async_collector(Fetch {
        name: "slow_async",
        delay: Duration::from_secs(5),
    });
    let app = A::start(spec);
    let addr = app.addr();

    let scraper = thread::spawn(move || {
        let mut connection = Connection::open(addr).unwrap();
        let sent = Instant::now();
        let headers = [("X-Prometheus-Scrape-Timeout-Seconds", "1")];
        let response = connection.send("GET", "/metrics", &headers).unwrap();
        (response, sent.elapsed())
    });
    let mut probe = Connection::open(addr).unwrap();
    let mut slowest = Duration::ZERO;
    while !scraper.is_finished() {
        let sent = Instant::now();
        let response = probe.send("GET", "/health", &[]).unwrap();
        slowest = slowest.max(sent.elapsed());
        assert_eq!(
            (response.status, &response.body[..]),
            (200, HEALTH.as_bytes())
        );
        thread::sleep(Duration::from_millis(20));
    }
    let (response, elapsed) = scraper.join().unwrap();
    eprintln!(
        "{} async collectors ({runtime:?}): scrape answered in {elapsed:?}, slowest /health \
         meanwhile {slowest:?}",
        A::NAME
    );
    assert_eq!(response.status, 200);
    assert!(
        elapsed >= DEADLINE && elapsed < Duration::from_secs(3),
        "answered after {elapsed:?}"
    );
    let text = String::from_utf8(response.body).unwrap();
    assert!(text.contains("\nfast_async 1\n"), "{text}");
    assert!(!text.contains("slow_async"), "{text}");
    assert!(
        text.contains("prom_kit_scrape_errors_total{cause=\"collector_timeout\"} 1\n"),
        "{text}"
    );
    assert!(
        slowest < Duration::from_millis(250),
        "/health took {slowest:?}"
    );
}
