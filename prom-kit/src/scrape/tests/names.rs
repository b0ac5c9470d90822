//! The `name[]` filter through the handler: which families a query selects, what it
//! does with names it cannot decode, and what a query of any size costs.

use super::*;

/// A registry with a counter, a histogram, a gauge and a collector's gauge.
fn registry_for_names() -> Registry {
    struct Pool;
    impl Collector for Pool {
        fn collect(&self, out: &mut CollectorOutput<'_>) -> crate::Result<()> {
            let descriptor =
                crate::Descriptor::new("pool_size", "Pool size.", crate::MetricType::Gauge)?;
            out.family(&descriptor).gauge(&[] as &[&str], 4.0)
        }
    }
    let registry = Registry::new();
    registry.set_openmetrics_created(false);
    let jobs = crate::Counter::new();
    jobs.inc_by(3);
    registry.register("jobs", "Jobs.", jobs).unwrap();
    let latency = crate::Histogram::new(crate::Buckets::new([1.0]).unwrap());
    latency.observe(0.5);
    registry.register("lat", "Latency.", latency).unwrap();
    let queue = crate::Gauge::new();
    queue.set(2.0);
    registry.register("queue", "Queue.", queue).unwrap();
    registry.register_collector(Pool);
    registry
}

fn scrape_names(handler: &MetricsHandler, accept: Option<&str>, query: &str) -> String {
    let response = handler.handle(&ScrapeRequest {
        method: "GET",
        accept,
        accept_encoding: None,
        query: Some(query),
        scrape_timeout: None,
    });
    assert_eq!(response.status, 200);
    String::from_utf8(response.body).unwrap()
}

#[test]
fn name_parameters_select_whole_families() {
    let handler = MetricsHandler::builder()
        .own_metrics(false)
        .build(&registry_for_names())
        .unwrap();
    let jobs = "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 3\n";
    let lat = "# HELP lat Latency.\n# TYPE lat histogram\nlat_bucket{le=\"1\"} 1\nlat_bucket{le=\"+Inf\"} 1\nlat_sum 0.5\nlat_count 1\n";
    let queue = "# HELP queue Queue.\n# TYPE queue gauge\nqueue 2\n";
    let pool = "# HELP pool_size Pool size.\n# TYPE pool_size gauge\npool_size 4\n";
    for (query, expected) in [
        ("name[]=jobs_total", jobs.to_owned()),
        ("name[]=jobs", jobs.to_owned()),
        ("name%5B%5D=jobs_total&name[]=jobs_total", jobs.to_owned()),
        ("name[]=lat_bucket&name[]=queue", format!("{lat}{queue}")),
        ("name[]=queue&name[]=lat", format!("{lat}{queue}")),
        ("name[]=pool_size", pool.to_owned()),
        ("name[]=unknown", String::new()),
        ("name[]=", String::new()),
        ("other=1", format!("{jobs}{lat}{pool}{queue}")),
        ("", format!("{jobs}{lat}{pool}{queue}")),
    ] {
        assert_eq!(scrape_names(&handler, None, query), expected, "{query}");
    }
    let om = scrape_names(
        &handler,
        Some("application/openmetrics-text"),
        "name[]=jobs_total&name[]=nope",
    );
    assert_eq!(
        om,
        "# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 3\n# EOF\n"
    );
    assert_eq!(
        scrape_names(
            &handler,
            Some("application/openmetrics-text"),
            "name[]=nope"
        ),
        "# EOF\n"
    );
}

#[cfg(feature = "protobuf")]
#[test]
fn name_parameters_select_protobuf_families_too() {
    use prost::Message;
    let handler = MetricsHandler::builder()
        .own_metrics(false)
        .build(&registry_for_names())
        .unwrap();
    let response = handler.handle(&ScrapeRequest {
        method: "GET",
        accept: Some(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
        ),
        accept_encoding: None,
        query: Some("name[]=lat&name[]=pool_size&name[]=missing"),
        scrape_timeout: None,
    });
    let mut body = &response.body[..];
    let mut names = Vec::new();
    while !body.is_empty() {
        let family =
            crate::encoding::protobuf::proto::MetricFamily::decode_length_delimited(&mut body)
                .unwrap();
        names.push(family.name.unwrap_or_default());
    }
    assert_eq!(names, ["lat", "pool_size"]);
}

#[test]
fn utf8_registries_negotiate_quoted_names_through_the_handler() {
    let registry = Registry::with_name_validation(crate::NameValidation::Utf8);
    let active = crate::Gauge::new();
    active.set(5.0);
    registry
        .register("http.server.active_requests", "Active.", active)
        .unwrap();
    let handler = MetricsHandler::builder()
        .own_metrics(false)
        .build(&registry)
        .unwrap();
    // Prometheus 3.4 and later, by default.
    let prometheus_3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    let response = handler.handle(&get(Some(prometheus_3), None));
    assert_eq!(
        header(&response, "content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8")
    );
    assert_eq!(
        String::from_utf8(response.body).unwrap(),
        "# HELP \"http.server.active_requests\" Active.\n# TYPE \"http.server.active_requests\" gauge\n{\"http.server.active_requests\"} 5\n# EOF\n"
    );
    // Prometheus 2.42 gets underscores.
    let prometheus_2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let response = handler.handle(&get(Some(prometheus_2), None));
    assert_eq!(
        header(&response, "content-type"),
        Some(OPENMETRICS_CONTENT_TYPE)
    );
    assert!(
        String::from_utf8(response.body)
            .unwrap()
            .contains("\nhttp_server_active_requests 5\n")
    );
    // A name[] parameter may name the family as registered or as the scraper sees it.
    for query in [
        "name[]=http.server.active_requests",
        "name[]=http_server_active_requests",
    ] {
        let body = scrape_names(&handler, None, query);
        assert!(
            body.contains("http_server_active_requests 5"),
            "{query}: {body}"
        );
    }
}

/// The handler of [`registry_for_names`], without its own metrics.
fn names_handler() -> MetricsHandler {
    MetricsHandler::builder()
        .own_metrics(false)
        .build(&registry_for_names())
        .unwrap()
}

#[test]
fn undecodable_names_select_nothing() {
    let handler = names_handler();
    let jobs = "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 3\n";
    // Bytes that are not UTF-8 once decoded name no family: the filter stays (Go's
    // promhttp matches such a name against nothing), it does not fall away.
    for query in [
        "name[]=%ff",
        "name[]=%C3",
        "name%5B%5D=%ff%fe",
        "name[]=%ff&name[]=%C3&other=1",
        "name[]=jobs%ff",
    ] {
        assert_eq!(scrape_names(&handler, None, query), "", "{query}");
        assert_eq!(
            scrape_names(&handler, Some("application/openmetrics-text"), query),
            "# EOF\n",
            "{query}"
        );
    }
    assert_eq!(
        scrape_names(&handler, None, "name[]=%ff&name[]=jobs_total"),
        jobs
    );
    // A key that is not `name[]` once decoded is another parameter.
    assert!(scrape_names(&handler, None, "name%5B%5D%ff=jobs").contains("queue 2\n"));
}

/// A registry of `count` gauges `g0`, `g1`, … and the handler serving it.
fn many_gauges(count: usize) -> MetricsHandler {
    let registry = Registry::new();
    for i in 0..count {
        registry
            .register(&format!("g{i}"), "", crate::Gauge::new())
            .unwrap();
    }
    MetricsHandler::builder()
        .own_metrics(false)
        .build(&registry)
        .unwrap()
}

/// A query of `name[]=<prefix>0&name[]=<prefix>1…` for `count` names.
fn query_of(prefix: &str, count: usize) -> String {
    let mut query = String::new();
    for i in 0..count {
        if i > 0 {
            query.push('&');
        }
        query.push_str("name[]=");
        query.push_str(prefix);
        query.push_str(&i.to_string());
    }
    query
}

#[test]
fn name_lists_are_never_truncated() {
    let handler = many_gauges(300);
    let body = scrape_names(&handler, None, &query_of("g", 300));
    assert_eq!(body.matches("# TYPE ").count(), 300);
    let flood = format!("{}&name[]=g299", query_of("unknown", 10_000));
    assert_eq!(
        scrape_names(&handler, None, &flood),
        "# TYPE g299 gauge\ng299 0\n"
    );
}

#[test]
fn queries_past_the_bound_get_414_with_the_reason() {
    let handler = MetricsHandler::new(&registry_for_names()).unwrap();
    let mut at_bound = "name[]=jobs&name[]=".to_owned();
    at_bound.push_str(&"x".repeat(query::MAX_QUERY_BYTES - at_bound.len()));
    assert!(scrape_names(&handler, None, &at_bound).contains("jobs_total 3\n"));
    let past = format!("{at_bound}x");
    for method in ["GET", "HEAD"] {
        let response = handler.handle(&ScrapeRequest {
            method,
            query: Some(&past),
            ..ScrapeRequest::default()
        });
        assert_eq!(response.status, 414, "{method}");
        assert_eq!(
            header(&response, "content-type"),
            Some("text/plain; charset=utf-8")
        );
        let reason = String::from_utf8(response.body).unwrap();
        assert!(reason.contains("1048576 bytes"), "{reason}");
    }
    let own = handler.registry().encode_text().unwrap();
    assert!(
        own.contains("prom_kit_scrapes_total{code=\"414\"} 2\n"),
        "{own}"
    );
}

/// A scrape's cost grows linearly with the names asked for and the families served:
/// the query is untrusted input, and a list scanned per name, or per family, would
/// make it grow with their product. Four times the names and the families take less than
/// five times as long (sixteen, were it quadratic). The two sizes are timed in turns,
/// three scrapes at a time (the first warms the allocator up), and the fastest of each
/// counts: the machine is shared. Both stay well under a scheduler's time slice.
#[test]
fn name_filters_cost_linear_time() {
    let fastest = |handler: &MetricsHandler, query: &str, expected: &str| {
        (0..3)
            .map(|_| {
                let start = std::time::Instant::now();
                let body = scrape_names(handler, None, query);
                let elapsed = start.elapsed();
                assert_eq!(body, expected);
                elapsed
            })
            .min()
            .unwrap()
    };
    let (small, large) = (many_gauges(50), many_gauges(200));
    let small_query = format!("{}&name[]=g49", query_of("u", 500));
    let large_query = format!("{}&name[]=g199", query_of("u", 2_000));
    let (mut fastest_small, mut fastest_large) = (Duration::MAX, Duration::MAX);
    for _ in 0..9 {
        let time = fastest(&small, &small_query, "# TYPE g49 gauge\ng49 0\n");
        fastest_small = fastest_small.min(time);
        let time = fastest(&large, &large_query, "# TYPE g199 gauge\ng199 0\n");
        fastest_large = fastest_large.min(time);
    }
    eprintln!(
        "name filters: 500 names of 50 families {fastest_small:?}, \
         2,000 names of 200 families {fastest_large:?}"
    );
    assert!(
        fastest_large < fastest_small * 5,
        "4x the names and families took {fastest_large:?} against {fastest_small:?}"
    );
}
