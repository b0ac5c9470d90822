//! The gRPC vocabulary on arbitrary input: a `grpc-status` value always reads as one of
//! the 17 codes, and only the canonical decimal form of 0–16 reads as anything but
//! `Unknown`; a path splits into a service and a method only when it is exactly
//! `/service/method` with non-empty parts and no `/`, `?` or `#` inside them; a body's
//! message count does not depend on how its bytes are chunked, and agrees with a plain
//! reading of its length prefixes; a `grpc-timeout` is read only when well formed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prom_kit::adapter::{GrpcFrameCounter, parse_grpc_timeout};
use prom_kit::grpc::{GrpcCode, GrpcMethod};

/// The messages a body holds, read the simple way: whole prefixes and payloads only.
fn messages_in(mut body: &[u8]) -> (u64, bool) {
    let mut count = 0;
    loop {
        if body.is_empty() {
            return (count, true);
        }
        if body.len() < 5 {
            return (count, false);
        }
        let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        if body.len() - 5 < len {
            return (count, false);
        }
        body = &body[5 + len..];
        count += 1;
    }
}

fuzz_target!(|input: (&[u8], &str, &[u8], u8)| {
    let (status, path, body, chunk) = input;
    let (expected, boundary) = messages_in(body);
    let mut whole = GrpcFrameCounter::new();
    assert_eq!(whole.feed(body), expected);
    assert_eq!(whole.at_boundary(), boundary);
    let mut chunked = GrpcFrameCounter::new();
    let total: u64 = body
        .chunks(usize::from(chunk).max(1))
        .map(|c| chunked.feed(c))
        .sum();
    assert_eq!(total, expected);
    assert_eq!(chunked.messages(), expected);
    // The same bytes as a `grpc-timeout`: accepted exactly when 1–8 digits and a unit.
    let timeout = parse_grpc_timeout(status);
    let well_formed = status.split_last().is_some_and(|(unit, digits)| {
        b"HMSmun".contains(unit)
            && (1..=8).contains(&digits.len())
            && digits.iter().all(u8::is_ascii_digit)
    });
    assert_eq!(timeout.is_some(), well_formed, "{status:?}");
    if let Some(timeout) = timeout {
        assert!(timeout <= std::time::Duration::from_secs(99_999_999 * 3600));
    }
    let code = GrpcCode::from_header(status);
    assert_eq!(GrpcCode::from_number(code.number()), code);
    let digits = !status.is_empty() && status.len() <= 10 && status.iter().all(u8::is_ascii_digit);
    let number = std::str::from_utf8(status)
        .ok()
        .and_then(|s| s.parse::<u32>().ok());
    match (digits, number) {
        (true, Some(n)) if n <= 16 => assert_eq!(code.number(), n),
        _ => assert_eq!(code, GrpcCode::Unknown, "{status:?}"),
    }
    if let Some(call) = GrpcMethod::parse(path) {
        assert_eq!(format!("/{}/{}", call.service, call.method), path);
        for part in [call.service, call.method] {
            assert!(
                !part.is_empty() && !part.contains(['/', '?', '#']),
                "{path:?}"
            );
        }
    } else if let Some((service, method)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) {
        let valid = |p: &str| !p.is_empty() && !p.contains(['/', '?', '#']);
        assert!(!(valid(service) && valid(method)), "{path:?} refused");
    }
});
