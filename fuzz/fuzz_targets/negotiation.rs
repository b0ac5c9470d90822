//! `Accept` and `Accept-Encoding` negotiation through the framework-neutral scrape
//! handler: never a panic; the content type always names the format encoded; the gzip
//! decision agrees with a reference written from RFC 9110; a gzipped body inflates to
//! the same exposition; every body reads back with the strict exposition reader.

#![no_main]

use std::io::Read;
use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use prom_kit::encoding::{Format, negotiate};
use prom_kit::http::{MetricsHandler, ScrapeRequest};
use prom_kit::{Counter, Registry};
use prom_kit_fuzz::{read_exposition, read_protobuf, reference_accepts_gzip};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    method: u8,
    accept: Option<&'a str>,
    accept_encoding: Option<&'a str>,
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

fuzz_target!(|input: Input<'_>| {
    let chosen = negotiate(input.accept);
    assert_eq!(chosen.content_type, chosen.format.content_type());
    let method = ["GET", "HEAD", "POST", "get", "OPTIONS"][usize::from(input.method % 5)];
    let response = HANDLER.handle(&ScrapeRequest {
        method,
        accept: input.accept,
        accept_encoding: input.accept_encoding,
    });
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
            assert!(
                samples
                    .iter()
                    .any(|s| s.name == "fuzzed_total" && s.value == "7")
            );
        }
    }
});
