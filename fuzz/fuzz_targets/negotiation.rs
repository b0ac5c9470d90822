//! `Accept` and `Accept-Encoding` negotiation and the `name[]` query through the
//! framework-neutral scrape handler: never a panic; the content type always names the
//! format encoded and the escaping chosen; the gzip decision agrees with a reference
//! written from RFC 9110; a gzipped body inflates to the same exposition; every body reads
//! back with the strict exposition reader, and holds the family exactly when the query
//! selects it (any number of `name[]` values; one that is not UTF-8 once decoded names
//! nothing, but the filter stays); a query string past 1 MiB gets `414`. The
//! scrape-timeout header, whatever it holds, reads as a positive timeout of at most an
//! hour, or as absent.

#![no_main]

use std::io::Read;
use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use prom_kit::adapter::ScrapeRequest;
use prom_kit::encoding::{Format, negotiate};
use prom_kit::scrape::MetricsHandler;
use prom_kit::{Counter, Registry};
use prom_kit_fuzz::{read_exposition, read_protobuf, reference_accepts_gzip};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    method: u8,
    accept: Option<&'a str>,
    accept_encoding: Option<&'a str>,
    query: Option<&'a str>,
    scrape_timeout: Option<&'a str>,
}

static HANDLER: LazyLock<MetricsHandler> = LazyLock::new(|| {
    let registry = Registry::new();
    let counter = Counter::new();
    counter.inc_by(7);
    registry
        .register("fuzzed", "Fuzzed \"help\".", counter)
        .unwrap();
    MetricsHandler::builder()
        .own_metrics(false)
        .build(&registry)
        .unwrap()
});

/// Whether `query` leaves the family `fuzzed` in the scrape: no `name[]` parameter, or
/// one naming it (decoded by a reference written from the URL standard's rules).
fn selects_fuzzed(query: Option<&str>) -> bool {
    let Some(query) = query else {
        return true;
    };
    let decode = |text: &str| -> Option<String> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let hex = (bytes[i] == b'%')
                .then(|| bytes.get(i + 1..i + 3))
                .flatten()
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (_, Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (b'+', None) => {
                    out.push(b' ');
                    i += 1;
                }
                (byte, None) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).ok()
    };
    // Every `name[]` value, however many; one that is not UTF-8 once decoded (`None`)
    // names no family, but still makes a filter.
    let names: Vec<Option<String>> = query
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key)? == "name[]").then(|| decode(value))
        })
        .collect();
    names.is_empty()
        || names
            .iter()
            .flatten()
            .any(|n| ["fuzzed", "fuzzed_total", "fuzzed_created"].contains(&n.as_str()))
}

/// The longest query string the handler reads (1 MiB); past it, `414`.
const MAX_QUERY_BYTES: usize = 1 << 20;

fuzz_target!(|input: Input<'_>| {
    let chosen = negotiate(input.accept);
    let media = chosen.format.content_type().split(';').next().unwrap();
    assert!(chosen.content_type.starts_with(media), "{chosen:?}");
    if let Some((_, scheme)) = chosen.content_type.split_once("; escaping=") {
        assert_eq!(scheme, chosen.escaping.as_param());
    }
    let method = ["GET", "HEAD", "POST", "get", "OPTIONS"][usize::from(input.method % 5)];
    let response = HANDLER.handle(&ScrapeRequest {
        method,
        accept: input.accept,
        accept_encoding: input.accept_encoding,
        query: input.query,
        scrape_timeout: input.scrape_timeout,
    });
    if let Some(timeout) = input
        .scrape_timeout
        .and_then(prom_kit::adapter::parse_scrape_timeout)
    {
        // Positive and at most an hour, whatever the header says.
        assert!(
            !timeout.is_zero() && timeout.as_secs_f64() <= 3600.0,
            "{timeout:?}"
        );
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    };
    if !method.eq_ignore_ascii_case("GET") && !method.eq_ignore_ascii_case("HEAD") {
        assert_eq!(response.status, 405);
        return;
    }
    if input.query.is_some_and(|q| q.len() > MAX_QUERY_BYTES) {
        assert_eq!(response.status, 414);
        return;
    }
    assert_eq!(response.status, 200);
    assert_eq!(header("content-type"), Some(chosen.content_type));
    let gzipped = header("content-encoding") == Some("gzip");
    assert_eq!(
        gzipped,
        input.accept_encoding.is_some_and(reference_accepts_gzip),
        "gzip decision for {:?}",
        input.accept_encoding
    );
    if method.eq_ignore_ascii_case("HEAD") {
        assert!(response.body.is_empty());
        return;
    }
    let body = if gzipped {
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(&response.body[..])
            .read_to_end(&mut inflated)
            .expect("a gzipped body inflates");
        inflated
    } else {
        response.body
    };
    match chosen.format {
        Format::Protobuf => {
            read_protobuf(&body).unwrap();
        }
        format => {
            let text = std::str::from_utf8(&body).unwrap();
            let samples = read_exposition(text, format == Format::OpenMetrics).unwrap();
            let present = samples
                .iter()
                .any(|s| s.name == "fuzzed_total" && s.value == "7");
            assert_eq!(present, selects_fuzzed(input.query), "{:?}", input.query);
        }
    }
});
