//! Every call prom-kit makes into user code at scrape or push time is contained: a
//! panic there costs that collector's (or callback's) families, never the scrape, the
//! push or the thread. Each test panics at one boundary and checks that the other
//! families are served, and that the failure is reported and counted.
//!
//! The other boundaries are tested beside their code: async collectors (the call, the
//! future, the returned collector) in `tests/async_collectors.rs`, the middleware hooks
//! in `src/http/middleware/tests.rs` and the adapters' conformance suite, the gRPC
//! layer's exemplar hook in `prom-kit-tonic/tests/calls.rs`.
#![cfg(feature = "http")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use prom_kit::adapter::ScrapeRequest;
use prom_kit::registry::{
    AsyncCollector, AsyncCollectorExt, CollectFuture, CollectorExt, collector_fn,
};
use prom_kit::scrape::{MetricsHandler, ScrapeErrorPolicy};
use prom_kit::{
    Collector, CollectorOutput, Counter, CounterFn, Descriptor, ErrorKind, Format, GaugeFn,
    MetricType, Registry,
};

/// Writes the family `fine`.
struct Fine;

impl Collector for Fine {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let descriptor = Descriptor::new("fine", "Fine.", MetricType::Gauge)?;
        out.family(&descriptor).gauge(&[] as &[&str], 1.0)
    }
}

/// Writes part of the family `evil_partial`, then panics — on its first `panics` runs
/// only, counting them.
struct Panics {
    runs: AtomicUsize,
    panics: usize,
}

impl Panics {
    fn always() -> Self {
        Self::first(usize::MAX)
    }

    fn first(panics: usize) -> Self {
        Self {
            runs: AtomicUsize::new(0),
            panics,
        }
    }
}

impl Collector for Panics {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst);
        let descriptor = Descriptor::new("evil_partial", "Partial.", MetricType::Gauge)?
            .with_label_names(["n"])?;
        let mut family = out.family(&descriptor);
        family.gauge(&["0"], 1.0)?;
        assert!(run >= self.panics, "collector bug");
        family.gauge(&["1"], 2.0)
    }
}

/// A registry with the counter `kept_total 1` and the collector `fine`.
fn registry() -> Registry {
    let registry = Registry::new();
    let kept = Counter::new();
    kept.inc();
    registry.register("kept", "Kept.", kept).unwrap();
    registry.register_collector(Fine);
    registry
}

fn formats() -> Vec<Format> {
    #[cfg_attr(
        not(feature = "protobuf"),
        expect(unused_mut, reason = "protobuf adds a format")
    )]
    let mut formats = vec![Format::Text, Format::OpenMetrics];
    #[cfg(feature = "protobuf")]
    formats.push(Format::Protobuf);
    formats
}

/// Encodes `registry` in every format: each reports a `Collect` error naming the panic,
/// and (in the text formats) serves `kept_total` and `fine` without any `evil`.
fn assert_contained(registry: &Registry, what: &str) {
    for format in formats() {
        let mut out = Vec::new();
        let error = registry.encode(format, &mut out).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Collect, "{format:?}: {error}");
        let chain = format!("{error}: {}", std::error::Error::source(&error).unwrap());
        assert!(chain.contains(&format!("{what} panicked")), "{chain}");
        if format == Format::Text || format == Format::OpenMetrics {
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains("\nkept_total 1\n"), "{text}");
            assert!(text.contains("\nfine 1\n"), "{text}");
            assert!(!text.contains("evil"), "{text}");
        }
    }
}

/// Scrapes through a handler under each policy: `Continue` serves the rest (and the
/// next scrape shows the failure counted under `encoding`), `Fail` answers 500 with
/// the panic's message.
fn assert_scrapes_survive(registry: &Registry) {
    let get = ScrapeRequest {
        method: "GET",
        ..ScrapeRequest::default()
    };
    let lenient = MetricsHandler::builder()
        .on_error(ScrapeErrorPolicy::Continue)
        .gzip(false)
        .build(registry)
        .unwrap();
    assert_eq!(lenient.handle(&get).status, 200);
    let response = lenient.handle(&get);
    assert_eq!(response.status, 200);
    let text = String::from_utf8(response.body).unwrap();
    assert!(
        text.contains("\nkept_total 1\n") && text.contains("\nfine 1\n"),
        "{text}"
    );
    assert!(!text.contains("evil"), "{text}");
    assert!(
        text.contains("prom_kit_scrape_errors_total{cause=\"encoding\"} 1\n"),
        "{text}"
    );
    let strict = MetricsHandler::builder()
        .own_metrics(false)
        .build(registry)
        .unwrap();
    let response = strict.handle(&get);
    assert_eq!(response.status, 500);
    let body = String::from_utf8(response.body).unwrap();
    assert!(body.contains("panicked"), "{body}");
}

#[test]
fn a_panicking_collector_costs_its_own_families() {
    let registry = registry();
    registry.register_collector(Panics::always());
    assert_contained(&registry, "collector");
    assert_scrapes_survive(&registry);
}

#[test]
fn a_panicking_cached_collector_is_contained_and_tried_again() {
    let registry = registry();
    registry.register_collector(Panics::first(1).cache_for(Duration::from_secs(3600)));
    let mut out = Vec::new();
    let error = registry.encode(Format::Text, &mut out).unwrap_err();
    assert!(
        std::error::Error::source(&error)
            .unwrap()
            .to_string()
            .contains("collector panicked"),
        "{error}"
    );
    // The panicking collection was not kept, and its lock not left held.
    let text = registry.encode_text().unwrap();
    assert!(text.contains("evil_partial{n=\"1\"} 2\n"), "{text}");
}

#[test]
fn a_panicking_callback_costs_its_own_family() {
    for panicking in [
        Box::new(|registry: &Registry| {
            registry.register(
                "evil_gauge",
                "Panics.",
                GaugeFn::new(|| panic!("callback bug")),
            )
        }) as Box<dyn Fn(&Registry) -> prom_kit::Result<()>>,
        Box::new(|registry: &Registry| {
            registry.register(
                "evil_counter",
                "Panics.",
                CounterFn::new(|| panic!("callback bug")),
            )
        }),
    ] {
        let registry = registry();
        panicking(&registry).unwrap();
        assert_contained(&registry, "metric callback");
        assert_scrapes_survive(&registry);
    }
}

/// An async collector cached with `cache_for` whose collection panics the first time.
struct PanicsOnce(AtomicUsize);

impl AsyncCollector for PanicsOnce {
    fn collect(&self) -> CollectFuture<'_> {
        Box::pin(async {
            let run = self.0.fetch_add(1, Ordering::SeqCst);
            assert!(run > 0, "async collector bug");
            Ok(collector_fn(|out| {
                let descriptor = Descriptor::new("cached", "Cached.", MetricType::Gauge)?;
                out.family(&descriptor).gauge(&[] as &[&str], 5.0)
            }))
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_cached_async_collector_fails_alone_and_is_tried_again() {
    let registry = registry();
    registry.register_async_collector(
        PanicsOnce(AtomicUsize::new(0)).cache_for(Duration::from_secs(60)),
    );
    let collection = registry.collect_async(Duration::from_secs(1)).await;
    assert_eq!(collection.failures().len(), 1);
    let error = &collection.failures()[0].error;
    assert!(
        error.to_string().contains("async collector panicked"),
        "{error}"
    );
    // The cache's lock was released by the panic, and nothing was kept.
    let collection = registry.collect_async(Duration::from_secs(1)).await;
    assert!(collection.failures().is_empty(), "{collection:?}");
    let mut out = Vec::new();
    registry
        .encode(
            prom_kit::EncodeOptions::new(Format::Text).collected(&collection),
            &mut out,
        )
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("\ncached 5\n") && text.contains("\nfine 1\n"),
        "{text}"
    );
}

/// A push whose collection panics fails with a `Collect` error, on the async and the
/// blocking paths alike, and sends nothing (a PUT of the rest would delete the
/// collector's families from the group).
#[cfg(feature = "push")]
#[test]
fn a_panicking_collector_fails_the_push_with_an_error() {
    struct PanicsWhenCalled;
    impl AsyncCollector for PanicsWhenCalled {
        fn collect(&self) -> CollectFuture<'_> {
            panic!("async collector bug")
        }
    }

    let gateway = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    gateway.set_nonblocking(true).unwrap();
    let client = prom_kit::push::PushClient::builder(
        &format!("http://{}", gateway.local_addr().unwrap()),
        "batch",
    )
    .timeout(Duration::from_secs(2))
    .build()
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sync_panics = registry();
    sync_panics.register_collector(Panics::always());
    let async_panics = registry();
    async_panics.register_async_collector(PanicsWhenCalled);
    for registry in [&sync_panics, &async_panics] {
        for error in [
            runtime.block_on(client.push(registry)).unwrap_err(),
            client.push_blocking(registry).unwrap_err(),
        ] {
            assert_eq!(error.kind(), ErrorKind::Collect, "{error}");
            let chain = match std::error::Error::source(&error) {
                Some(source) => format!("{error}: {source}"),
                None => error.to_string(),
            };
            assert!(chain.contains("panicked"), "{chain}");
        }
    }
    assert_eq!(
        gateway.accept().unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "nothing was sent"
    );
}
