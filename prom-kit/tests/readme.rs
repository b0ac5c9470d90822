//! The README's snippets (quick start, hot paths, series lifecycle, async collectors)
//! compile and produce what they claim.

#[cfg(feature = "derive")]
#[test]
fn readme_quick_start() -> prom_kit::Result<()> {
    use prom_kit::{Counter, Histogram, LabelSet, LabelValue, Metrics, Registry, TypedFamily};

    #[derive(Clone, Copy, LabelValue)]
    #[label(rename_all = "UPPERCASE")]
    enum Method {
        Get,
        #[expect(dead_code, reason = "as in the README")]
        Post,
    }

    #[derive(LabelSet)]
    struct Request {
        method: Method,
        status: u16,
    }

    #[derive(Metrics)]
    struct ShopMetrics {
        /// HTTP requests served.
        http_requests: TypedFamily<Request, Counter>,
        /// Request latency.
        #[metric(unit = "seconds")]
        http_request_duration: Histogram,
    }

    let registry = Registry::new();
    let metrics = ShopMetrics::register(&registry)?;
    metrics.http_requests.with(
        &Request {
            method: Method::Get,
            status: 200,
        },
        Counter::inc,
    );
    metrics.http_request_duration.observe(0.042);

    let chosen = prom_kit::encoding::negotiate(Some("application/openmetrics-text"));
    let body = registry.render(chosen.format)?;

    let body = String::from_utf8(body).unwrap();
    assert_eq!(
        chosen.content_type,
        prom_kit::encoding::OPENMETRICS_CONTENT_TYPE
    );
    assert!(body.contains("# HELP http_requests HTTP requests served.\n"));
    assert!(body.contains("http_requests_total{method=\"GET\",status=\"200\"} 1\n"));
    assert!(body.contains("http_request_duration_seconds_bucket{le=\"0.05\"} 1\n"));
    assert!(body.ends_with("# EOF\n"));
    Ok(())
}

#[cfg(feature = "derive")]
#[test]
fn readme_hot_paths() -> prom_kit::Result<()> {
    use prom_kit::metrics::HistogramConfig;
    use prom_kit::{
        Buckets, Counter, DenseFamily, Family, Histogram, LabelValue, Registry, StripedCounter,
    };

    let requests: Family<Counter> = Family::new(["method", "status"])?;
    requests.labels(&["GET", "200"])?.inc();
    let method = String::from("POST");
    requests.with(&[method.as_str(), "201"], Counter::inc)?;
    let status = prom_kit::labels::intern(&503.to_string());
    requests.with_static(&["GET", status], Counter::inc)?;

    #[expect(clippy::items_after_statements, reason = "as in the README")]
    #[derive(Clone, Copy, LabelValue)]
    #[label(rename_all = "UPPERCASE")]
    enum Method {
        Get,
        #[expect(dead_code, reason = "as in the README")]
        Post,
    }
    let by_method: DenseFamily<Counter, (Method,)> = DenseFamily::new(["method"])?;
    by_method.labels((Method::Get,)).inc();

    let served = StripedCounter::new();
    served.inc();
    let latency = Histogram::with_config(HistogramConfig::classic(Buckets::DEFAULT).striped(true));
    latency.observe(0.042);

    let registry = Registry::new();
    registry.register("requests", "Requests.", requests)?;
    registry.register("by_method", "Requests by method.", by_method)?;
    registry.register("served", "Served.", served)?;
    registry.register("latency_seconds", "Latency.", latency)?;
    let text = registry.encode_text()?;
    for line in [
        "requests_total{method=\"GET\",status=\"200\"} 1\n",
        "requests_total{method=\"POST\",status=\"201\"} 1\n",
        "requests_total{method=\"GET\",status=\"503\"} 1\n",
        "by_method_total{method=\"GET\"} 1\n",
        "served_total 1\n",
        "latency_seconds_bucket{le=\"0.05\"} 1\n",
        "latency_seconds_count 1\n",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    // Combinations never touched are not exposed.
    assert!(!text.contains("POST\"} 0"), "{text}");
    Ok(())
}

#[test]
fn readme_series_lifecycle() -> prom_kit::Result<()> {
    use prom_kit::{Counter, Family};
    use std::time::Duration;

    let requests: Family<Counter> = Family::builder(["tenant", "route"])
        .expire_after(Duration::from_secs(15 * 60))
        .build()?;
    requests.labels(&["acme", "/cart"])?.inc();
    requests.labels(&["globex", "/cart"])?.inc();
    assert_eq!(requests.remove_matching(&[("tenant", "acme")])?, 1);
    assert_eq!(requests.retain(|values| values[1] != "/cart"), 1);
    assert!(requests.is_empty());
    Ok(())
}

#[cfg(feature = "async")]
#[tokio::test(start_paused = true)]
async fn readme_async_collectors() -> prom_kit::Result<()> {
    use prom_kit::registry::{AsyncCollector, AsyncCollectorExt, CollectFuture, collector_fn};
    use prom_kit::{Descriptor, MetricType, Registry};
    use std::time::Duration;

    struct QueueDepth {
        descriptor: Descriptor,
    }

    impl AsyncCollector for QueueDepth {
        fn collect(&self) -> CollectFuture<'_> {
            Box::pin(async move {
                let depth = 12.0;
                let descriptor = self.descriptor.clone();
                Ok(collector_fn(move |out| {
                    out.family(&descriptor).gauge(&["mail"], depth)?;
                    Ok(())
                }))
            })
        }
    }

    let registry = Registry::new();
    let descriptor = Descriptor::new("queue_depth", "Jobs waiting.", MetricType::Gauge)?
        .with_label_names(["queue"])?;
    registry.register_async_collector(QueueDepth { descriptor }.cache_for(Duration::from_secs(30)));
    let collection = registry.collect_async(Duration::from_secs(1)).await;
    let mut out = Vec::new();
    registry.encode(
        prom_kit::EncodeOptions::new(prom_kit::Format::Text).collected(&collection),
        &mut out,
    )?;
    assert!(
        String::from_utf8(out)
            .unwrap()
            .ends_with("queue_depth{queue=\"mail\"} 12\n")
    );
    Ok(())
}
