//! Async collectors through `MetricsHandler::handle_async` (the path of the axum and
//! actix endpoints and the standalone server) and through the synchronous encoders:
//! deadlines from `X-Prometheus-Scrape-Timeout-Seconds` respected on a paused clock, the
//! other families still present, failures, panics and timeouts counted by cause and
//! handled by the error policy, collectors run concurrently, views' prefixes and labels
//! applied, and `cache_for` answering concurrent scrapes with one collection — on a
//! current-thread and a multi-thread runtime.
#![cfg(feature = "http")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use prom_kit::adapter::{OwnedScrapeRequest, ScrapeResponse};
use prom_kit::clock::ManualClock;
use prom_kit::registry::{
    AsyncCollector, AsyncCollectorExt, CollectFuture, Collector, CollectorExt, CollectorOutput,
    collector_fn,
};
use prom_kit::scrape::{MetricsHandler, ScrapeErrorPolicy};
use prom_kit::{Counter, Descriptor, ErrorKind, MetricType, Registry};
use tokio::time::Instant;

/// A gauge family `name` with value `value`, fetched after `delay`; counts its runs.
struct Fetch {
    name: &'static str,
    value: f64,
    delay: Duration,
    runs: Arc<AtomicUsize>,
}

impl Fetch {
    fn new(name: &'static str, value: f64, delay: Duration) -> Self {
        Self {
            name,
            value,
            delay,
            runs: Arc::new(AtomicUsize::new(0)),
        }
    }
}

impl AsyncCollector for Fetch {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async move {
            self.runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            let descriptor = Descriptor::new(self.name, "Fetched.", MetricType::Gauge)?;
            let value = self.value;
            Ok(collector_fn(move |out| {
                out.family(&descriptor).gauge(&[] as &[&str], value)?;
                Ok(())
            }))
        })
    }
}

struct Failing;

impl AsyncCollector for Failing {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async {
            Err(prom_kit::Error::new(
                ErrorKind::Collect,
                "the database is down",
            ))
        })
    }
}

struct Panicking;

impl AsyncCollector for Panicking {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async { panic!("collector bug") })
    }
}

/// Panics in `collect` itself, before it returns a future.
struct PanicsWhenCalled;

impl AsyncCollector for PanicsWhenCalled {
    fn collect(&self) -> CollectFuture<'_> {
        panic!("collector bug before the future")
    }
}

/// Gathers fine, but the collector it returns panics while it is encoded.
struct PanicsWhenEncoded;

impl AsyncCollector for PanicsWhenEncoded {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async { Ok(collector_fn(|_| panic!("collector bug while encoding"))) })
    }
}

fn get(timeout: Option<&str>) -> OwnedScrapeRequest {
    OwnedScrapeRequest {
        method: "GET".into(),
        scrape_timeout: timeout.map(str::to_owned),
        ..OwnedScrapeRequest::default()
    }
}

fn body(response: &ScrapeResponse) -> String {
    String::from_utf8(response.body.clone()).unwrap()
}

fn registry_with_sync_family() -> Registry {
    let registry = Registry::new();
    let jobs = Counter::new();
    jobs.inc_by(7);
    registry.register("jobs", "Jobs.", jobs).unwrap();
    registry
}

fn handler(registry: &Registry, policy: ScrapeErrorPolicy) -> MetricsHandler {
    MetricsHandler::builder()
        .on_error(policy)
        .gzip(false)
        .build(registry)
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_slow_collector_misses_the_deadline_alone() {
    let registry = registry_with_sync_family();
    registry.register_async_collector(Fetch::new("fast", 1.0, Duration::from_millis(100)));
    registry.register_async_collector(Fetch::new("slow", 2.0, Duration::from_secs(3)));
    let handler = handler(&registry, ScrapeErrorPolicy::Continue);
    let start = Instant::now();
    let response = handler.handle_async(get(Some("1"))).await;
    // The deadline is the timeout less the 250 ms margin, on tokio's paused clock.
    assert_eq!(start.elapsed(), Duration::from_millis(750));
    assert_eq!(response.status, 200);
    let text = body(&response);
    assert!(text.contains("\nfast 1\n"), "{text}");
    assert!(!text.contains("slow"), "{text}");
    assert!(text.contains("jobs_total 7\n"), "{text}");
    assert!(
        text.contains("prom_kit_scrape_errors_total{cause=\"collector_timeout\"} 1\n"),
        "the error is counted before the encoding, so this scrape shows it: {text}"
    );
    // Without the header, the default timeout (10 s) lets it finish.
    let start = Instant::now();
    let response = handler.handle_async(get(None)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert!(body(&response).contains("\nslow 2\n"));
}

#[tokio::test(start_paused = true)]
async fn collectors_run_concurrently() {
    let registry = Registry::new();
    let collectors: Vec<Fetch> = ["a", "b", "c", "d"]
        .into_iter()
        .map(|name| Fetch::new(name, 1.0, Duration::from_millis(500)))
        .collect();
    let runs: Vec<_> = collectors.iter().map(|c| Arc::clone(&c.runs)).collect();
    for collector in collectors {
        registry.register_async_collector(collector);
    }
    let start = Instant::now();
    let collection = registry.collect_async(Duration::from_secs(5)).await;
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(500),
        "not 4 × 500 ms"
    );
    assert!(collection.failures().is_empty());
    assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) == 1));
    let mut out = Vec::new();
    registry
        .encode(
            prom_kit::EncodeOptions::new(prom_kit::Format::Text)
                .names(&["b", "d"])
                .collected(&collection),
            &mut out,
        )
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["b 1", "d 1"],
        "name[] selects among the gathered families too"
    );
}

#[tokio::test(start_paused = true)]
async fn failures_and_panics_are_counted_and_follow_the_policy() {
    let registry = registry_with_sync_family();
    registry.register_async_collector(Failing);
    registry.register_async_collector(Panicking);
    registry.register_async_collector(Fetch::new("fine", 3.0, Duration::ZERO));
    let lenient = handler(&registry, ScrapeErrorPolicy::Continue);
    let response = lenient.handle_async(get(Some("5"))).await;
    assert_eq!(response.status, 200);
    let text = body(&response);
    assert!(
        text.contains("\nfine 3\n") && text.contains("jobs_total 7\n"),
        "{text}"
    );
    assert!(
        text.contains("prom_kit_scrape_errors_total{cause=\"collector_error\"} 2\n"),
        "{text}"
    );

    let strict_registry = registry_with_sync_family();
    strict_registry.register_async_collector(Failing);
    let strict = handler(&strict_registry, ScrapeErrorPolicy::Fail);
    let response = strict.handle_async(get(Some("5"))).await;
    assert_eq!(response.status, 500);
    assert!(
        body(&response).contains("the database is down"),
        "{}",
        body(&response)
    );
}

/// Issue 25, defect 2: a panic in `AsyncCollector::collect()` before it returns its
/// future costs that collector, not the scrape.
#[tokio::test(start_paused = true)]
async fn a_panic_before_the_future_is_returned_fails_that_collector_alone() {
    let registry = registry_with_sync_family();
    registry.register_async_collector(PanicsWhenCalled);
    registry.register_async_collector(Fetch::new("fine", 3.0, Duration::ZERO));
    let lenient = handler(&registry, ScrapeErrorPolicy::Continue);
    let response = lenient.handle_async(get(Some("5"))).await;
    assert_eq!(response.status, 200);
    let text = body(&response);
    assert!(
        text.contains("\nfine 3\n") && text.contains("jobs_total 7\n"),
        "{text}"
    );
    assert!(
        text.contains("prom_kit_scrape_errors_total{cause=\"collector_error\"} 1\n"),
        "{text}"
    );
    let collection = registry.collect_async(Duration::from_secs(1)).await;
    let failure = &collection.failures()[0];
    assert_eq!(failure.cause, prom_kit::registry::AsyncFailureCause::Failed);
    assert!(
        failure.error.to_string().contains("panicked"),
        "{}",
        failure.error
    );
}

/// Issue 25, defect 3: the collector an async collector returns panics while it is
/// encoded: under `Continue` its families are dropped and the failure counted, as for
/// any failing collector, and every other family is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_returned_collector_is_dropped_and_counted() {
    let registry = registry_with_sync_family();
    registry.register_async_collector(PanicsWhenEncoded);
    registry.register_async_collector(Fetch::new("fine", 3.0, Duration::ZERO));
    let lenient = handler(&registry, ScrapeErrorPolicy::Continue);
    let first = lenient.handle_async(get(Some("5"))).await;
    assert_eq!(first.status, 200, "{}", body(&first));
    let text = body(&first);
    assert!(
        text.contains("\nfine 3\n") && text.contains("jobs_total 7\n"),
        "{text}"
    );
    // Counted after the encoding, like a failing synchronous collector: the next
    // scrape shows it.
    let text = body(&lenient.handle_async(get(Some("5"))).await);
    assert!(
        text.contains("prom_kit_scrape_errors_total{cause=\"encoding\"} 1\n"),
        "{text}"
    );
    let strict_registry = registry_with_sync_family();
    strict_registry.register_async_collector(PanicsWhenEncoded);
    let strict = handler(&strict_registry, ScrapeErrorPolicy::Fail);
    let response = strict.handle_async(get(Some("5"))).await;
    assert_eq!(response.status, 500);
    assert!(body(&response).contains("panicked"), "{}", body(&response));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_thread_runtime_keeps_the_real_deadline() {
    let registry = registry_with_sync_family();
    registry.register_async_collector(Fetch::new("slow", 2.0, Duration::from_secs(30)));
    let handler = handler(&registry, ScrapeErrorPolicy::Continue);
    let start = std::time::Instant::now();
    // 0.2 s less the margin would be nothing; half of it is kept.
    let response = handler.handle_async(get(Some("0.2"))).await;
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(response.status, 200);
    assert!(!body(&response).contains("slow"));
}

#[test]
fn synchronous_encoders_skip_async_collectors_and_say_so() {
    let registry = registry_with_sync_family();
    let id = registry.register_async_collector(Fetch::new("never", 1.0, Duration::ZERO));
    let mut out = Vec::new();
    let error = registry
        .encode(prom_kit::Format::Text, &mut out)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Collect);
    assert!(error.to_string().contains("skipped"), "{error}");
    assert!(String::from_utf8(out).unwrap().contains("jobs_total 7\n"));

    let lenient = handler(&registry, ScrapeErrorPolicy::Continue);
    let response = lenient.handle(&get(None).as_request());
    assert_eq!(response.status, 200);
    assert!(
        body(&response).contains("prom_kit_scrape_errors_total{cause=\"collector_skipped\"} 1\n")
    );
    assert!(registry.unregister_collector(id));
    assert!(!registry.has_async_collectors());
    assert!(registry.encode_text().is_ok());
}

#[tokio::test(start_paused = true)]
async fn views_prefix_and_label_async_output_and_collisions_are_refused() {
    let registry = Registry::new();
    let view = registry
        .with_prefix("shop")
        .unwrap()
        .with_labels([("region", "eu")])
        .unwrap();
    view.register_async_collector(Fetch::new("pool_idle", 4.0, Duration::ZERO));
    // A gathered family clashing with a registered one is left out, and reported.
    registry
        .register("shop_pool_idle", "Taken.", prom_kit::Gauge::new())
        .unwrap();
    let collection = registry.collect_async(Duration::from_secs(1)).await;
    let mut out = Vec::new();
    let error = registry
        .encode(
            prom_kit::EncodeOptions::new(prom_kit::Format::Text).collected(&collection),
            &mut out,
        )
        .unwrap_err();
    assert!(error.to_string().contains("clashes"), "{error}");
    registry.unregister("shop_pool_idle").unwrap();
    let collection = registry.collect_async(Duration::from_secs(1)).await;
    let mut out = Vec::new();
    registry
        .encode(
            prom_kit::EncodeOptions::new(prom_kit::Format::Text).collected(&collection),
            &mut out,
        )
        .unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("shop_pool_idle{region=\"eu\"} 4\n")
    );
}

#[tokio::test(start_paused = true)]
async fn cached_async_collectors_serve_concurrent_scrapes_with_one_collection() {
    let clock = ManualClock::new();
    let fetch = Fetch::new("expensive", 5.0, Duration::from_millis(300));
    let runs = Arc::clone(&fetch.runs);
    let registry = Registry::new();
    registry.register_async_collector(
        fetch
            .cache_for(Duration::from_secs(30))
            .clock(clock.clone()),
    );
    let handler = handler(&registry, ScrapeErrorPolicy::Fail);
    let scrapes: Vec<_> = (0..8)
        .map(|_| {
            let handler = handler.clone();
            tokio::spawn(async move { handler.handle_async(get(Some("10"))).await })
        })
        .collect();
    for scrape in scrapes {
        let response = scrape.await.unwrap();
        assert_eq!(response.status, 200);
        assert!(body(&response).contains("\nexpensive 5\n"));
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "concurrent scrapes share one run"
    );
    handler.handle_async(get(Some("10"))).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    clock.advance(Duration::from_secs(30));
    handler.handle_async(get(Some("10"))).await;
    assert_eq!(runs.load(Ordering::SeqCst), 2, "a new window, a new run");
}

#[tokio::test(start_paused = true)]
async fn a_cached_collection_cut_short_by_the_deadline_is_not_kept() {
    let fetch = Fetch::new("late", 1.0, Duration::from_secs(2));
    let runs = Arc::clone(&fetch.runs);
    let registry = Registry::new();
    registry.register_async_collector(fetch.cache_for(Duration::from_secs(60)));
    let handler = handler(&registry, ScrapeErrorPolicy::Continue);
    let cut = handler.handle_async(get(Some("1"))).await;
    assert!(!body(&cut).contains("late 1"));
    let full = handler.handle_async(get(Some("5"))).await;
    assert!(body(&full).contains("\nlate 1\n"));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// A synchronous collector that takes a while and counts its runs.
struct SlowSync {
    runs: Arc<AtomicUsize>,
    descriptor: Descriptor,
}

impl Collector for SlowSync {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        std::thread::sleep(Duration::from_millis(50));
        out.family(&self.descriptor)
            .gauge(&[] as &[&str], run as f64)?;
        Ok(())
    }
}

#[test]
fn cached_collectors_serve_concurrent_scrapes_with_one_collection_per_format() {
    let runs = Arc::new(AtomicUsize::new(0));
    let registry = Registry::new();
    let descriptor = Descriptor::new("costly", "Costly.", MetricType::Gauge).unwrap();
    registry.register_collector(
        SlowSync {
            runs: Arc::clone(&runs),
            descriptor,
        }
        .cache_for(Duration::from_secs(3600)),
    );
    let texts: Vec<String> = std::thread::scope(|scope| {
        let scrapes: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| registry.encode_text().unwrap()))
            .collect();
        scrapes.into_iter().map(|s| s.join().unwrap()).collect()
    });
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(texts.iter().all(|t| t.ends_with("costly 1\n")), "{texts:?}");
    let openmetrics =
        String::from_utf8(registry.render(prom_kit::Format::OpenMetrics).unwrap()).unwrap();
    assert!(openmetrics.contains("costly 2\n"), "{openmetrics}");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "another format, another collection"
    );
    assert!(registry.encode_text().unwrap().ends_with("costly 1\n"));
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body) and answers 200.
#[cfg(feature = "push")]
fn one_push(listener: &std::net::TcpListener) -> String {
    use std::io::{Read, Write};
    let (mut stream, _) = listener.accept().unwrap();
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).unwrap();
        request.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&request).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length || n == 0 {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .unwrap();
                return text;
            }
        }
    }
}

#[cfg(feature = "push")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_run_async_collectors_and_refuse_to_push_without_them() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let gateway = std::thread::spawn(move || one_push(&listener));
    let registry = registry_with_sync_family();
    registry.register_async_collector(Fetch::new("batch_rows", 9.0, Duration::from_millis(10)));
    let client = prom_kit::push::PushClient::builder(&url, "batch")
        .gzip(false)
        .build()
        .unwrap();
    client.push(&registry).await.unwrap();
    let request = gateway.join().unwrap();
    assert!(request.contains("\nbatch_rows 9\n"), "{request}");
    assert!(request.contains("jobs_total 7\n"), "{request}");

    // A late collector fails the push before anything is sent: a PUT of the rest would
    // delete its families from the group.
    registry.register_async_collector(Fetch::new("late", 1.0, Duration::from_secs(60)));
    let impatient = prom_kit::push::PushClient::builder(&url, "batch")
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = impatient.push(&registry).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Collect, "{error}");
    assert!(error.to_string().contains("deadline"), "{error}");
}

#[test]
fn outside_a_tokio_runtime_async_collectors_are_skipped_not_a_panic() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    let registry = registry_with_sync_family();
    registry.register_async_collector(Fetch::new("never", 1.0, Duration::ZERO));
    let mut cx = Context::from_waker(Waker::noop());
    let mut collecting = pin!(registry.collect_async(Duration::from_secs(1)));
    let Poll::Ready(collection) = collecting.as_mut().poll(&mut cx) else {
        panic!("no runtime, so nothing to wait for");
    };
    assert_eq!(
        collection.failures()[0].cause,
        prom_kit::registry::AsyncFailureCause::Skipped
    );
    let handler = handler(&registry, ScrapeErrorPolicy::Continue);
    let mut scraping = pin!(handler.handle_async(get(Some("1"))));
    let Poll::Ready(response) = scraping.as_mut().poll(&mut cx) else {
        panic!("encoded on the calling thread");
    };
    assert_eq!(response.status, 200);
    let text = body(&response);
    assert!(text.contains("jobs_total 7\n"), "{text}");
    assert!(
        text.contains("prom_kit_scrape_errors_total{cause=\"collector_skipped\"} 1\n"),
        "{text}"
    );
}
