//! The README's quick start compiles and produces what it claims.

#[test]
fn readme_quick_start() -> prom_kit::Result<()> {
    use prom_kit::{Buckets, Counter, Family, Histogram, Registry};

    let registry = Registry::new();
    let requests: Family<Counter> = Family::new(["method", "status"])?;
    registry.register("http_requests", "HTTP requests served.", requests.clone())?;
    let latency = Histogram::new(Buckets::DEFAULT);
    registry.register_with_unit(
        "http_request_duration",
        "Request latency.",
        "seconds",
        latency.clone(),
    )?;

    requests.labels(&["GET", "200"])?.inc();
    latency.observe(0.042);

    let chosen = prom_kit::encoding::negotiate(Some("application/openmetrics-text"));
    let mut body = Vec::new();
    registry.encode(chosen.format, &mut body)?;

    let body = String::from_utf8(body).unwrap();
    assert_eq!(
        chosen.content_type,
        prom_kit::encoding::OPENMETRICS_CONTENT_TYPE
    );
    assert!(body.contains("http_requests_total{method=\"GET\",status=\"200\"} 1\n"));
    assert!(body.contains("http_request_duration_seconds_bucket{le=\"0.05\"} 1\n"));
    assert!(body.ends_with("# EOF\n"));
    Ok(())
}
