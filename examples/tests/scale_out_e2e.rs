//! Beyond one machine, run for real on 127.0.0.1 with the files of `deploy/scale-out/`:
//! two replicas of each example app; an HA pair of Prometheus agents remote-writing to a
//! central Prometheus (replica label kept) and to VictoriaMetrics (replica label dropped,
//! deduplicated); an HA pair of vmagents writing to the same VictoriaMetrics; the
//! recording and alerting rules of `deploy/prometheus/rules` evaluated centrally by the
//! central Prometheus and by vmalert.
//!
//! - Both stores count every request once (no double counting from the HA pairs), the
//!   central Prometheus keeps both replicas apart, the recording rules produce their
//!   series centrally, and a forced alert fires in both evaluators.
//! - Killing one agent of the pair loses no sample in the deduplicated view.
//! - VictoriaMetrics, scraping a registry with every metric type, escapes and special
//!   values, returns the same values as Prometheus, sample for sample.

#![allow(
    clippy::doc_markdown,
    reason = "product names (VictoriaMetrics) in prose, not code"
)]

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use prom_kit::metrics::{Info, StateSet};
use prom_kit::{Buckets, Counter, Family, Gauge, Histogram, Registry, Summary};
use support::{Prometheus, request, start_app, tool};

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// A registry with every metric type, label values that need escaping or are unusual,
/// and the special values.
fn every_type() -> Registry {
    let registry = Registry::new();
    let requests: Family<Counter> = Family::new(["path", "code"]).unwrap();
    requests.labels(&["/a\\b", "200"]).unwrap().inc_by(5);
    requests.labels(&["/new\nline", "500"]).unwrap().inc_by(2);
    requests.labels(&["say \"hi\"", "404"]).unwrap().inc();
    requests.labels(&["tab\there", "201"]).unwrap().inc_by(3);
    requests.labels(&["ünïcødé ✓", "202"]).unwrap().inc_by(4);
    requests
        .labels(&[&"x".repeat(2_000), "203"])
        .unwrap()
        .inc_by(6);
    registry
        .register("so_requests", "Requests.", requests)
        .unwrap();
    let big = Counter::new();
    big.inc_by(1 << 53);
    registry
        .register("so_big", "A count at 2^53.", big)
        .unwrap();
    let values: Family<Gauge> = Family::new(["kind"]).unwrap();
    for (kind, value) in [
        ("negative", -2.5),
        ("tiny", 1e-300),
        ("huge", 1.7e308),
        ("plus_inf", f64::INFINITY),
        ("minus_inf", f64::NEG_INFINITY),
        ("zero", 0.0),
        ("third", 1.0 / 3.0),
    ] {
        values.labels(&[kind]).unwrap().set(value);
    }
    registry
        .register("so_values", "Special values.", values)
        .unwrap();
    let latency = Histogram::new(Buckets::new([0.1, 1.0, 10.0]).unwrap());
    for v in [0.05, 0.5, 0.7, 50.0] {
        latency.observe(v);
    }
    registry
        .register_with_unit("so_latency", "Latency.", "seconds", latency)
        .unwrap();
    let sizes = Summary::new();
    for v in [3.0, 4.0, 10.0] {
        sizes.observe(v);
    }
    registry.register("so_sizes", "Sizes.", sizes).unwrap();
    registry
        .register(
            "so_build",
            "Build.",
            Info::new([("version", "9.9")]).unwrap(),
        )
        .unwrap();
    let mode = StateSet::new(["idle", "busy"]).unwrap();
    mode.set("busy").unwrap();
    registry.register("so_mode", "Mode.", mode).unwrap();
    registry
}

/// Reads a deploy file and points it at this test's addresses.
fn deploy_file(name: &str, replacements: &[(&str, String)]) -> String {
    let mut text = std::fs::read_to_string(deploy().join("scale-out").join(name)).unwrap();
    for (from, to) in replacements {
        assert!(text.contains(from), "{name} has no {from}");
        text = text.replace(from, to);
    }
    text
}

/// The series of an instant query as (sorted labels without `job`/`instance`, value),
/// for comparing two stores. What depends on the exposition format each store asked for
/// is made comparable: `_created` series (OpenMetrics only) are left out, and `le` and
/// `quantile` values compared as numbers (`1.0` in OpenMetrics is `1` in text).
fn series(store: &Prometheus, expression: &str) -> BTreeMap<String, f64> {
    store
        .query(expression)
        .into_iter()
        .filter(|sample| {
            !sample["metric"]["__name__"]
                .as_str()
                .unwrap_or_default()
                .ends_with("_created")
        })
        .map(|sample| {
            let mut labels: Vec<(String, String)> = sample["metric"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(name, _)| !["job", "instance"].contains(&name.as_str()))
                .map(|(name, value)| {
                    let value = value.as_str().unwrap();
                    let value = match (name.as_str(), value.parse::<f64>()) {
                        ("le" | "quantile", Ok(number)) => format!("{number:?}"),
                        _ => value.to_owned(),
                    };
                    (name.clone(), value)
                })
                .collect();
            labels.sort();
            let value = sample["value"][1].as_str().unwrap();
            let value = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                other => other.parse().unwrap(),
            };
            (format!("{labels:?}"), value)
        })
        .collect()
}

/// Whether two stores' values agree: exactly, or (VictoriaMetrics keeps 12 significant
/// decimal digits) within a relative 1e-11.
fn agree(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan()) || ((a - b).abs() <= 1e-11 * a.abs().max(b.abs()))
}

/// The keys on which two stores' series differ, with both values.
fn differences(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|key| match (a.get(*key), b.get(*key)) {
            (Some(x), Some(y)) => !agree(*x, *y),
            _ => true,
        })
        .map(|key| format!("{key}: {:?} vs {:?}", a.get(key), b.get(key)))
        .collect()
}

/// Sends `count` requests, spread over the four apps; returns how many.
fn traffic(axum: &[SocketAddr], actix: &[SocketAddr], rounds: u32) -> u32 {
    let mut sent = 0;
    for round in 0..rounds {
        for (i, address) in axum.iter().enumerate() {
            assert_eq!(
                request(*address, "GET", &format!("/users/{round}"), &[]).status,
                200
            );
            sent += 1;
            if i == 0 {
                assert_eq!(
                    request(*address, "GET", &format!("/nope/{round}"), &[]).status,
                    404
                );
                sent += 1;
            }
        }
        for address in actix {
            let response = request(*address, "POST", "/vesionbook/v1.0/user/search", &[]);
            assert_eq!(response.status, 200);
            sent += 1;
        }
    }
    sent
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one topology, started once, checked in order"
)]
fn a_scaled_out_deployment_counts_every_request_once() {
    let (Some(prometheus), Some(victoria), Some(vmagent), Some(vmalert)) = (
        tool("prometheus", "prometheus"),
        tool("victoria-metrics", "victoria-metrics"),
        tool("vmagent", "victoria-metrics"),
        tool("vmalert", "victoria-metrics"),
    ) else {
        return;
    };
    let apps: Vec<_> = ["axum-app", "axum-app", "actix-app", "actix-app"]
        .iter()
        .map(|name| {
            let binary = match *name {
                "axum-app" => env!("CARGO_BIN_EXE_axum-app"),
                _ => env!("CARGO_BIN_EXE_actix-app"),
            };
            start_app(binary)
        })
        .collect();
    let axum = [apps[0].1, apps[1].1];
    let actix = [apps[2].1, apps[3].1];
    let every = every_type();
    let every_server = prom_kit::server::start_http_server("127.0.0.1:0", &every).unwrap();
    let every_addr = every_server.local_addr();

    let scratch = tempfile::tempdir().unwrap();
    let forced = scratch.path().join("forced.rules.yml");
    std::fs::write(
        &forced,
        "groups:\n  - name: scale-out-forced\n    interval: 1s\n    rules:\n      - alert: ScaleOutForcedAlert\n        expr: sum(http_requests_total) > 0\n        labels:\n          severity: none\n",
    )
    .unwrap();
    let rules = deploy().join("prometheus/rules/*.rules.yml");

    // The central Prometheus: the agents' receiver, the rules, and a direct scrape of
    // the every-type registry for the comparison with VictoriaMetrics.
    let central_config = scratch.path().join("central.yml");
    let central_text = deploy_file(
        "central-prometheus.yml",
        &[
            (
                "evaluation_interval: 15s",
                "evaluation_interval: 1s".to_owned(),
            ),
            (
                "../prometheus/rules/*.rules.yml",
                format!("{}\n  - {}", rules.display(), forced.display()),
            ),
        ],
    ) + &format!(
        "scrape_configs:\n  - job_name: every-type\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{every_addr}']\n"
    );
    std::fs::write(&central_config, central_text).unwrap();
    let central = Prometheus::start_with(
        &prometheus,
        "central-prometheus",
        18,
        "/-/ready",
        &|address, data| {
            vec![
                format!("--config.file={}", central_config.display()),
                format!("--storage.tsdb.path={}", data.display()),
                format!("--web.listen-address={address}"),
                "--web.enable-remote-write-receiver".to_owned(),
            ]
        },
    );

    // VictoriaMetrics: deduplicating, and scraping the every-type registry itself.
    let vm_scrape = scratch.path().join("vm-scrape.yml");
    std::fs::write(
        &vm_scrape,
        format!("scrape_configs:\n  - job_name: every-type\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{every_addr}']\n"),
    )
    .unwrap();
    let vm = Prometheus::start_with(
        &victoria,
        "victoria-metrics",
        19,
        "/health",
        &|address, data| {
            vec![
                format!("-storageDataPath={}", data.display()),
                format!("-httpListenAddr={address}"),
                "-dedup.minScrapeInterval=1s".to_owned(),
                format!("-promscrape.config={}", vm_scrape.display()),
                "-search.latencyOffset=0s".to_owned(),
                "-search.disableCache".to_owned(),
            ]
        },
    );

    // The HA pair of Prometheus agents, identical but for the replica label.
    let agent_targets = [
        (
            "[\"127.0.0.1:3000\", \"127.0.0.1:3010\"]",
            format!("['{}', '{}']", axum[0], axum[1]),
        ),
        (
            "[\"127.0.0.1:3001\", \"127.0.0.1:3011\"]",
            format!("['{}', '{}']", actix[0], actix[1]),
        ),
    ];
    let mut agents = Vec::new();
    for (replica, slot) in [("a", 20), ("b", 21)] {
        let config = scratch.path().join(format!("agent-{replica}.yml"));
        let mut replacements = vec![
            ("scrape_interval: 15s", "scrape_interval: 1s".to_owned()),
            ("replica: a", format!("replica: {replica}")),
            (
                "http://127.0.0.1:9090/api/v1/write",
                format!("http://{}/api/v1/write", central.address),
            ),
            (
                "http://127.0.0.1:8428/api/v1/write",
                format!("http://{}/api/v1/write", vm.address),
            ),
        ];
        replacements.extend(agent_targets.iter().map(|(from, to)| (*from, to.clone())));
        std::fs::write(&config, deploy_file("prometheus-agent.yml", &replacements)).unwrap();
        agents.push(Prometheus::start_with(
            &prometheus,
            &format!("agent-{replica}"),
            slot,
            "/-/ready",
            &|address, data| {
                vec![
                    format!("--config.file={}", config.display()),
                    format!("--storage.agent.path={}", data.display()),
                    format!("--web.listen-address={address}"),
                    "--enable-feature=agent".to_owned(),
                ]
            },
        ));
    }

    // The HA pair of vmagents.
    let vmagent_config = scratch.path().join("vmagent.yml");
    let mut replacements = vec![("scrape_interval: 15s", "scrape_interval: 1s".to_owned())];
    replacements.extend(agent_targets.iter().map(|(from, to)| (*from, to.clone())));
    std::fs::write(
        &vmagent_config,
        deploy_file("vmagent-scrape.yml", &replacements),
    )
    .unwrap();
    let _vmagents: Vec<_> = [22, 23]
        .into_iter()
        .map(|slot| {
            Prometheus::start_with(
                &vmagent,
                &format!("vmagent-{slot}"),
                slot,
                "/health",
                &|address, data| {
                    vec![
                        format!("-promscrape.config={}", vmagent_config.display()),
                        format!("-remoteWrite.url=http://{}/api/v1/write", vm.address),
                        "-remoteWrite.label=cluster=vmagents".to_owned(),
                        format!("-remoteWrite.tmpDataPath={}", data.display()),
                        format!("-httpListenAddr={address}"),
                        "-remoteWrite.flushInterval=200ms".to_owned(),
                    ]
                },
            )
        })
        .collect();

    // vmalert: the same rules over VictoriaMetrics, results written back to it.
    let _vmalert = Prometheus::start_with(&vmalert, "vmalert", 24, "/health", &|address, _| {
        vec![
            format!("-rule={}", rules.display()),
            format!("-rule={}", forced.display()),
            format!("-datasource.url=http://{}", vm.address),
            format!("-remoteWrite.url=http://{}", vm.address),
            "-notifier.url=http://127.0.0.1:9".to_owned(),
            "-evaluationInterval=1s".to_owned(),
            format!("-httpListenAddr={address}"),
        ]
    });

    let sent = f64::from(traffic(&axum, &actix, 5));
    let wait = Duration::from_secs(60);
    // VictoriaMetrics: each pair's requests counted once, the replica label gone.
    for cluster in ["prom-agents", "vmagents"] {
        vm.wait_for(
            &format!("sum(http_requests_total{{cluster=\"{cluster}\"}})"),
            wait,
            |v| v == sent,
        );
    }
    assert_eq!(vm.value("count(http_requests_total{replica!=\"\"})"), None);
    // The central Prometheus: both replicas, apart, each with every request.
    for replica in ["a", "b"] {
        central.wait_for(
            &format!("sum(http_requests_total{{replica=\"{replica}\"}})"),
            wait,
            |v| v == sent,
        );
    }
    assert_eq!(
        central.value("count(count by (replica) (http_requests_total))"),
        Some(2.0)
    );
    // The recording rules ran centrally, in both evaluators, and the forced alert fires.
    central.wait_for("count(job_route:http_requests:rate5m)", wait, |v| v > 0.0);
    vm.wait_for("count(job_route:http_requests:rate5m)", wait, |v| v > 0.0);
    central.wait_for(
        "count(ALERTS{alertname=\"ScaleOutForcedAlert\", alertstate=\"firing\"})",
        wait,
        |v| v == 1.0,
    );
    vm.wait_for(
        "count(ALERTS{alertname=\"ScaleOutForcedAlert\", alertstate=\"firing\"})",
        wait,
        |v| v == 1.0,
    );

    // One agent of the pair dies; the other carries on, and nothing is lost in the
    // deduplicated view.
    agents.remove(0).stop();
    let more = f64::from(traffic(&axum, &actix, 3));
    vm.wait_for(
        "sum(http_requests_total{cluster=\"prom-agents\"})",
        wait,
        |v| v == sent + more,
    );
    central.wait_for("sum(http_requests_total{replica=\"b\"})", wait, |v| {
        v == sent + more
    });
    // No gap either: the surviving agent's scrapes go on at one per second per target.
    std::thread::sleep(Duration::from_secs(3));
    vm.wait_for(
        "min(count_over_time(up{cluster=\"prom-agents\"}[10s]))",
        wait,
        |v| v >= 8.0,
    );

    // Sizing: the series one replica of each app exposes, and the samples per second one
    // agent sends for the four replicas.
    let app_series = |address: SocketAddr| {
        request(address, "GET", "/metrics", &[])
            .text()
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .count()
    };
    let (axum_series, actix_series) = (app_series(axum[0]), app_series(actix[0]));
    let per_agent = vm
        .value("sum(scrape_samples_scraped{cluster=\"prom-agents\"})")
        .unwrap_or_default();
    println!(
        "sizing: axum-app {axum_series} series, actix-app {actix_series} series per replica; \
         one agent scrapes {} series, {per_agent:.0} samples/s at a 1 s interval",
        2 * (axum_series + actix_series)
    );

    // The second scraper: VictoriaMetrics and Prometheus agree on every sample of the
    // every-type registry.
    let selector = "{job=\"every-type\", __name__=~\"so_.*\"}";
    central.wait_for(&format!("count({selector})"), wait, |v| v > 0.0);
    let expected = series(&central, selector);
    let deadline = Instant::now() + wait;
    let mismatched = loop {
        let mismatched = differences(&expected, &series(&vm, selector));
        if mismatched.is_empty() || Instant::now() > deadline {
            break mismatched;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        mismatched.is_empty(),
        "VictoriaMetrics and Prometheus disagree:\n{}",
        mismatched.join("\n")
    );
    // Exact where both keep every digit: a count at 2^53.
    assert_eq!(
        expected.get("[(\"__name__\", \"so_big_total\")]"),
        Some(&9_007_199_254_740_992.0)
    );
    println!(
        "scale-out: {sent} + {more} requests counted once in both stores; {} every-type samples agree",
        expected.len()
    );
    every_server.shutdown();
}
