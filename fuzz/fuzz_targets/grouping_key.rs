//! The Pushgateway grouping key in the URL path: no input panics the builder, and every
//! job and grouping value the builder takes decodes back, as the gateway decodes it
//! (percent-decoding, or URL-safe base64 for `@base64` names), to exactly what was given.

#![no_main]

use arbitrary::Arbitrary;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use libfuzzer_sys::fuzz_target;
use prom_kit::push::PushClient;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    job: &'a str,
    labels: Vec<(&'a str, &'a str)>,
}

/// Decodes one `name[@base64]/value` pair of the path as the gateway does.
fn decode(name: &str, value: &str) -> (String, String) {
    if let Some(name) = name.strip_suffix("@base64") {
        let bytes = if value == "=" {
            Vec::new()
        } else {
            URL_SAFE.decode(value).expect("valid base64")
        };
        return (name.to_owned(), String::from_utf8(bytes).expect("UTF-8"));
    }
    let mut bytes = Vec::new();
    let raw = value.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap();
            bytes.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    (name.to_owned(), String::from_utf8(bytes).expect("UTF-8"))
}

fuzz_target!(|input: Input<'_>| {
    let mut builder = PushClient::builder("http://127.0.0.1:9091", input.job);
    if input.job.is_empty() {
        assert!(builder.build().is_err());
        return;
    }
    let mut expected = std::collections::BTreeMap::new();
    for (name, value) in &input.labels {
        let next = builder.clone().grouping(name, value);
        if next.clone().build().is_ok() {
            builder = next;
            expected.insert((*name).to_owned(), (*value).to_owned());
        }
    }
    let client = builder.build().expect("a valid key builds");
    let url = client.url();
    let path = url.strip_prefix("http://127.0.0.1:9091/metrics/").unwrap();
    let segments: Vec<&str> = path.split('/').collect();
    assert_eq!(segments.len() % 2, 0, "{url}");
    for segment in &segments {
        assert!(*segment != "." && *segment != "..", "{url}");
        assert!(segment.bytes().all(|b| b.is_ascii_graphic()), "{url}");
    }
    let mut pairs = segments.chunks(2).map(|p| decode(p[0], p[1]));
    assert_eq!(pairs.next(), Some(("job".to_owned(), input.job.to_owned())));
    let decoded: std::collections::BTreeMap<String, String> = pairs.collect();
    assert_eq!(decoded, expected, "{url}");
});
