use std::io::Read;
use std::sync::{Arc, Mutex};

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::*;
use crate::encoding::{OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
use crate::{Collector, CollectorOutput, Counter, Error, ErrorKind, Family, Registry};

mod names;

fn get<'a>(accept: Option<&'a str>, accept_encoding: Option<&'a str>) -> ScrapeRequest<'a> {
    ScrapeRequest {
        method: "GET",
        accept,
        accept_encoding,
        query: None,
        scrape_timeout: None,
    }
}

fn header(response: &ScrapeResponse, name: &str) -> Option<&'static str> {
    response
        .headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

fn registry_with_counter() -> Registry {
    let registry = Registry::new();
    let counter = Counter::new();
    counter.inc_by(5);
    registry.register("served", "Served.", counter).unwrap();
    registry
}

#[test]
fn negotiates_the_format() {
    let handler = MetricsHandler::new(&registry_with_counter()).unwrap();
    let text = handler.handle(&get(None, None));
    assert_eq!(text.status, 200);
    assert_eq!(header(&text, "content-type"), Some(TEXT_CONTENT_TYPE));
    assert!(
        String::from_utf8(text.body)
            .unwrap()
            .contains("served_total 5\n")
    );

    let om = handler.handle(&get(
        Some("application/openmetrics-text;version=1.0.0"),
        None,
    ));
    assert_eq!(header(&om, "content-type"), Some(OPENMETRICS_CONTENT_TYPE));
    assert!(String::from_utf8(om.body).unwrap().ends_with("# EOF\n"));
}

#[test]
fn gzips_when_accepted() {
    let handler = MetricsHandler::new(&registry_with_counter()).unwrap();
    let response = handler.handle(&get(None, Some("gzip")));
    assert_eq!(header(&response, "content-encoding"), Some("gzip"));
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&response.body[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert!(decoded.contains("served_total 5\n"));

    let plain = MetricsHandler::builder()
        .gzip(false)
        .build(&registry_with_counter())
        .unwrap()
        .handle(&get(None, Some("gzip")));
    assert_eq!(header(&plain, "content-encoding"), None);
}

#[test]
fn head_and_other_methods() {
    let handler = MetricsHandler::new(&registry_with_counter()).unwrap();
    let head = handler.handle(&ScrapeRequest {
        method: "HEAD",
        ..ScrapeRequest::default()
    });
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(header(&head, "content-type"), Some(TEXT_CONTENT_TYPE));
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let response = handler.handle(&ScrapeRequest {
            method,
            ..ScrapeRequest::default()
        });
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(header(&response, "allow"), Some("GET, HEAD"));
    }
}

/// Counts how often the registry is collected.
struct CountingCollector(Arc<std::sync::atomic::AtomicUsize>);

impl Collector for CountingCollector {
    fn collect(&self, _out: &mut CollectorOutput<'_>) -> crate::Result<()> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[test]
fn head_does_not_encode_and_gets_the_get_headers() {
    let registry = registry_with_counter();
    let collected = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    registry.register_collector(CountingCollector(Arc::clone(&collected)));
    let handler = MetricsHandler::new(&registry).unwrap();
    for (accept, encoding) in [
        (None, None),
        (Some("application/openmetrics-text"), Some("gzip")),
        (Some("text/plain"), Some("gzip;q=0, *")),
    ] {
        let head = handler.handle(&ScrapeRequest {
            method: "HEAD",
            accept,
            accept_encoding: encoding,
            query: None,
            scrape_timeout: None,
        });
        assert_eq!(
            collected.load(Ordering::Relaxed),
            0,
            "HEAD encoded the registry"
        );
        let get = handler.handle(&get(accept, encoding));
        assert_eq!(collected.load(Ordering::Relaxed), 1);
        collected.store(0, Ordering::Relaxed);
        assert_eq!((head.status, head.headers), (get.status, get.headers));
        assert!(head.body.is_empty());
    }
}

#[test]
fn explicit_gzip_refusal_beats_the_wildcard() {
    let handler = MetricsHandler::new(&registry_with_counter()).unwrap();
    let response = handler.handle(&get(None, Some("gzip;q=0, *")));
    assert_eq!(header(&response, "content-encoding"), None);
    assert!(
        String::from_utf8(response.body)
            .unwrap()
            .contains("served_total 5\n")
    );
    let response = handler.handle(&get(None, Some("br, *;q=0.5")));
    assert_eq!(header(&response, "content-encoding"), Some("gzip"));
}

/// A collector that scrapes its own handler while it is being scraped, so that a second
/// scrape is in flight at the same time as the first.
struct Reentrant(Arc<Mutex<Option<(MetricsHandler, u16)>>>);

impl Collector for Reentrant {
    fn collect(&self, _out: &mut CollectorOutput<'_>) -> crate::Result<()> {
        // `try_lock`: if the limit failed, the nested scrape would collect again and
        // must not deadlock on this lock, but answer 200 and fail the assertion.
        if let Ok(mut slot) = self.0.try_lock() {
            if let Some((handler, status)) = slot.as_mut() {
                *status = handler.handle(&get(None, None)).status;
            }
        }
        Ok(())
    }
}

#[test]
fn limits_concurrent_scrapes() {
    let registry = registry_with_counter();
    let shared = Arc::new(Mutex::new(None));
    registry.register_collector(Reentrant(Arc::clone(&shared)));
    let handler = MetricsHandler::builder()
        .max_concurrent_scrapes(1)
        .build(&registry)
        .unwrap();
    *shared.lock().unwrap() = Some((handler.clone(), 0));
    // The outer scrape holds the only slot, so the nested one is refused.
    let outer = handler.handle(&get(None, None));
    assert_eq!(outer.status, 200);
    assert_eq!(shared.lock().unwrap().as_ref().unwrap().1, 503);
    // Its response holds the slot until it is dropped.
    assert_eq!(handler.inner.admissions.held(), 1);
    drop(outer);
    assert_eq!(handler.inner.admissions.held(), 0);
}

/// Issue 25, defect 14: without a setting, a handler still bounds the scrapes (and so
/// the rendered bodies) in flight; `None` opts out.
#[test]
fn scrapes_in_flight_are_bounded_by_default() {
    let registry = registry_with_counter();
    let handler = MetricsHandler::new(&registry).unwrap();
    let held: Vec<ScrapeResponse> = (0..DEFAULT_MAX_CONCURRENT_SCRAPES)
        .map(|_| handler.handle(&get(None, None)))
        .collect();
    assert!(held.iter().all(|response| response.status == 200));
    assert_eq!(handler.handle(&get(None, None)).status, 503);
    drop(held);
    assert_eq!(handler.handle(&get(None, None)).status, 200);

    let unbounded = MetricsHandler::builder()
        .own_metrics(false)
        .max_concurrent_scrapes(None)
        .build(&registry)
        .unwrap();
    let held: Vec<ScrapeResponse> = (0..4 * DEFAULT_MAX_CONCURRENT_SCRAPES)
        .map(|_| unbounded.handle(&get(None, None)))
        .collect();
    assert!(held.iter().all(|response| response.status == 200));
}

struct Failing;

impl Collector for Failing {
    fn collect(&self, _out: &mut CollectorOutput<'_>) -> crate::Result<()> {
        Err(Error::new(ErrorKind::InvalidValue, "sensor offline"))
    }
}

#[test]
fn errors_follow_the_policy_and_are_counted() {
    let registry = registry_with_counter();
    registry.register_collector(Failing);
    let failing = MetricsHandler::new(&registry).unwrap();
    let response = failing.handle(&get(None, None));
    assert_eq!(response.status, 500);
    assert!(
        String::from_utf8(response.body)
            .unwrap()
            .contains("sensor offline")
    );

    let lenient = MetricsHandler::builder()
        .own_metrics(false)
        .on_error(ScrapeErrorPolicy::Continue)
        .build(&registry)
        .unwrap();
    let response = lenient.handle(&get(None, None));
    assert_eq!(response.status, 200);
    let body = String::from_utf8(response.body).unwrap();
    assert!(body.contains("served_total 5\n"), "{body}");
    assert!(
        body.contains("prom_kit_scrapes_total{code=\"500\"} 1\n"),
        "{body}"
    );
    // Counted after encoding: this scrape sees the first one's error, not its own.
    assert!(
        body.contains("prom_kit_scrape_errors_total{cause=\"encoding\"} 1\n"),
        "{body}"
    );
    // The lenient handler keeps no metrics of its own; the first one is idle.
    assert!(body.contains("prom_kit_scrapes_in_flight 0\n"), "{body}");
}

#[test]
fn own_metrics_register_once() {
    let registry = Registry::new();
    let _first = MetricsHandler::new(&registry).unwrap();
    let err = MetricsHandler::new(&registry).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyRegistered);
    let before = registry.encode_text().unwrap();
    assert!(
        MetricsHandler::builder()
            .own_metrics(false)
            .build(&registry)
            .is_ok()
    );
    assert_eq!(registry.encode_text().unwrap(), before);
}

/// A collector that writes half a family, then fails.
struct FailsMidFamily;

impl Collector for FailsMidFamily {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> crate::Result<()> {
        let descriptor =
            crate::Descriptor::new("partial", "Half written.", crate::MetricType::Gauge)?
                .with_label_names(["i"])?;
        let mut family = out.family(&descriptor);
        for i in 0..1_000 {
            family.gauge(&[i.to_string()], f64::from(i))?;
        }
        Err(Error::new(ErrorKind::InvalidValue, "lost the rest"))
    }
}

/// A gzipped scrape is streamed through the compressor (many drains here, within
/// families too); decompressed it is exactly the plain scrape, in every format,
/// with a collector failing mid-family taken out of both.
#[test]
fn streamed_gzip_bodies_decompress_to_the_plain_body() {
    let registry = Registry::new();
    for f in 0..300 {
        let family: Family<Counter> = Family::new(["path"]).unwrap();
        for i in 0..200 {
            family
                .labels(&[format!("/a/fairly/long/path/{f}/{i}")])
                .unwrap()
                .inc_by(i);
        }
        registry
            .register(&format!("family_{f:03}"), "Help.", family)
            .unwrap();
    }
    // One family far larger than the streamed pieces: drained between its shards and
    // series.
    let big: Family<Counter> = Family::new(["path"]).unwrap();
    for i in 0..20_000 {
        big.labels(&[format!("/one/large/family/{i}")])
            .unwrap()
            .inc_by(i);
    }
    registry.register("big_family", "Help.", big).unwrap();
    registry.register_collector(FailsMidFamily);
    let handler = MetricsHandler::builder()
        .own_metrics(false)
        .on_error(ScrapeErrorPolicy::Continue)
        .build(&registry)
        .unwrap();
    for accept in [
        None,
        Some("application/openmetrics-text; version=1.0.0"),
        Some(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
        ),
    ] {
        let plain = handler.handle(&get(accept, None));
        let zipped = handler.handle(&get(accept, Some("gzip")));
        assert_eq!((plain.status, zipped.status), (200, 200));
        assert_eq!(header(&zipped, "content-encoding"), Some("gzip"));
        assert!(plain.body.len() > 1 << 20, "{}", plain.body.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped.body[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert!(!String::from_utf8_lossy(&plain.body).contains("partial"));
        #[cfg(feature = "protobuf")]
        if accept.is_some_and(|a| a.contains("protobuf")) {
            // The large family arrives as several messages of it; merged, they are the
            // plain body's families.
            let plain_families = merged_families(&plain.body);
            assert!(decoded_messages(&unzipped).len() > plain_families.len());
            assert!(merged_families(&unzipped) == plain_families);
            continue;
        }
        assert!(unzipped == plain.body, "{accept:?}");
    }
}

/// The delimited protobuf messages of a body.
#[cfg(feature = "protobuf")]
fn decoded_messages(mut body: &[u8]) -> Vec<crate::encoding::protobuf::proto::MetricFamily> {
    use prost::Message;
    let mut messages = Vec::new();
    while !body.is_empty() {
        messages.push(
            crate::encoding::protobuf::proto::MetricFamily::decode_length_delimited(&mut body)
                .unwrap(),
        );
    }
    messages
}

/// The families of a protobuf body, consecutive messages of one family merged.
#[cfg(feature = "protobuf")]
fn merged_families(body: &[u8]) -> Vec<crate::encoding::protobuf::proto::MetricFamily> {
    let mut families: Vec<crate::encoding::protobuf::proto::MetricFamily> = Vec::new();
    for message in decoded_messages(body) {
        match families.last_mut() {
            Some(last) if last.name == message.name => last.metric.extend(message.metric),
            _ => families.push(message),
        }
    }
    families
}

/// Issue 25, defect 10: a family whose label takes user input (a raw path) stops at the
/// default limit, and every scrape that exposes its overflow series counts a
/// `series_overflow` error; a family with no limit (`max_series(None)`) grows, and a
/// family below its limit counts nothing.
#[test]
fn a_family_past_the_default_limit_overflows_and_the_scrape_counts_it() {
    use crate::family::DEFAULT_MAX_SERIES;
    use crate::labels::OVERFLOW_LABEL_VALUE;

    let registry = Registry::new();
    let by_path: Family<Counter> = Family::new(["path"]).unwrap();
    let unbounded: Family<Counter> = Family::builder(["path"]).max_series(None).build().unwrap();
    registry
        .register("by_path", "By path.", by_path.clone())
        .unwrap();
    registry
        .register("unbounded", "Unbounded.", unbounded.clone())
        .unwrap();
    let handler = MetricsHandler::new(&registry).unwrap();
    let errors = |handler: &MetricsHandler| {
        let body = String::from_utf8(handler.handle(&get(None, None)).body).unwrap();
        body.lines()
            .find_map(|line| {
                line.strip_prefix("prom_kit_scrape_errors_total{cause=\"series_overflow\"} ")
            })
            .map(str::to_owned)
    };
    for i in 0..DEFAULT_MAX_SERIES {
        unbounded.labels(&[format!("/user/{i}")]).unwrap().inc();
        by_path.labels(&[format!("/user/{i}")]).unwrap().inc();
    }
    assert_eq!(errors(&handler), None, "no family is past its limit yet");
    for i in DEFAULT_MAX_SERIES..DEFAULT_MAX_SERIES + 500 {
        unbounded.labels(&[format!("/user/{i}")]).unwrap().inc();
        by_path.labels(&[format!("/user/%7{i}")]).unwrap().inc();
    }
    assert_eq!(
        by_path.len(),
        DEFAULT_MAX_SERIES + 1,
        "the limit and the overflow series"
    );
    assert_eq!(unbounded.len(), DEFAULT_MAX_SERIES + 500);
    assert_eq!(
        by_path
            .get(&[OVERFLOW_LABEL_VALUE])
            .unwrap()
            .map(|c| c.get()),
        Some(500.0)
    );
    // Counted after encoding: each scrape shows the ones before it.
    handler.handle(&get(None, None));
    assert_eq!(errors(&handler).as_deref(), Some("1"));
    assert_eq!(errors(&handler).as_deref(), Some("2"));
}
