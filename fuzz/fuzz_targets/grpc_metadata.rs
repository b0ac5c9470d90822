//! The gRPC vocabulary on arbitrary input: a `grpc-status` value always reads as one of
//! the 17 codes, and only the canonical decimal form of 0–16 reads as anything but
//! `Unknown`; a path splits into a service and a method only when it is exactly
//! `/service/method` with non-empty parts and no `/`, `?` or `#` inside them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prom_kit::http::{GrpcCode, GrpcMethod};

fuzz_target!(|input: (&[u8], &str)| {
    let (status, path) = input;
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
