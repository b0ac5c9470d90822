//! Helpers shared by the integration tests: finding the real tools (required in CI,
//! skipped with a printed reason elsewhere), running them, and a registry that exercises
//! every metric type, escape and special value.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "shared by several test binaries, each using a part (so `expect` would fail in some)"
)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use prom_kit::{
    Buckets, Collector, CollectorOutput, Counter, CounterFn, DenseFamily, Descriptor, Family,
    Gauge, GaugeFn, Histogram, Info, MetricType, Registry, StateSet, Summary, label_enum,
};

/// Set to `1` by `.ci/run`: a missing tool then fails the test instead of skipping it.
pub const REQUIRE_TOOLS_VAR: &str = "PROM_KIT_REQUIRE_TOOLS";

fn tools_required() -> bool {
    std::env::var(REQUIRE_TOOLS_VAR).is_ok_and(|v| v == "1")
}

/// Reports a missing tool: panics when tools are required, else prints why the test is
/// skipped.
pub fn missing(tool: &str, why: &str) {
    assert!(
        !tools_required(),
        "{tool} is required ({REQUIRE_TOOLS_VAR}=1) but unavailable: {why}"
    );
    eprintln!("SKIPPED: {tool} unavailable ({why}); set {REQUIRE_TOOLS_VAR}=1 to require it");
}

/// The path of an executable on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// `promtool`, or `None` after reporting it missing.
pub fn promtool() -> Option<PathBuf> {
    let found = which("promtool");
    if found.is_none() {
        missing("promtool", "not on PATH (Debian package `prometheus`)");
    }
    found
}

/// A Python interpreter that can import `prometheus_client`, preferring Debian's
/// `/usr/bin/python3` (the one the Debian package installs into).
pub fn python() -> Option<PathBuf> {
    let candidates = [Some(PathBuf::from("/usr/bin/python3")), which("python3")];
    let found = candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import prometheus_client.openmetrics.parser"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        missing(
            "python3 with prometheus_client",
            "no interpreter imports it (Debian package `python3-prometheus-client`)",
        );
    }
    found
}

/// Runs `program args` with `input` on stdin; returns (success, stdout, stderr).
pub fn run_with_stdin(program: &Path, args: &[&str], input: &[u8]) -> (bool, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait for child");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `promtool check metrics` on `text`: Ok with its output, or Err with the reason.
pub fn promtool_check(promtool: &Path, text: &str) -> Result<String, String> {
    let (ok, stdout, stderr) = run_with_stdin(promtool, &["check", "metrics"], text.as_bytes());
    if ok {
        Ok(format!("{stdout}{stderr}"))
    } else {
        Err(format!(
            "promtool check metrics failed:\n{stdout}{stderr}\n--- input ---\n{text}"
        ))
    }
}

/// One sample as a Python parser saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedSample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
    /// The exemplar's labels, if the sample carries one.
    pub exemplar: Option<BTreeMap<String, String>>,
}

/// One family as a Python parser saw it.
#[derive(Clone, Debug)]
pub struct ParsedFamily {
    pub name: String,
    pub kind: String,
    pub help: String,
    pub unit: String,
    pub samples: Vec<ParsedSample>,
}

const PARSE_SCRIPT: &str = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families as parse_text
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
data = sys.stdin.buffer.read().decode("utf-8")
parse = parse_openmetrics if sys.argv[1] == "openmetrics" else parse_text
out = []
for family in parse(data):
    out.append({
        "name": family.name, "type": family.type,
        "help": family.documentation or "", "unit": family.unit or "",
        "samples": [{"name": s.name, "labels": s.labels, "value": repr(float(s.value)),
                     "exemplar": dict(s.exemplar.labels) if getattr(s, "exemplar", None) else None}
                    for s in family.samples],
    })
print(json.dumps(out))
"#;

/// Parses `text` with `prometheus_client.parser` (text format) or, when `openmetrics`,
/// with the strict `prometheus_client.openmetrics.parser`.
pub fn python_parse(
    python: &Path,
    text: &str,
    openmetrics: bool,
) -> Result<Vec<ParsedFamily>, String> {
    let mode = if openmetrics { "openmetrics" } else { "text" };
    let (ok, stdout, stderr) = run_with_stdin(python, &["-c", PARSE_SCRIPT, mode], text.as_bytes());
    if !ok {
        return Err(format!(
            "python {mode} parser rejected the input:\n{stderr}\n--- input ---\n{text}"
        ));
    }
    let json: serde_json::Value =
        serde_json::from_str(&stdout).map_err(|e| format!("bad JSON {e}: {stdout}"))?;
    let families = json
        .as_array()
        .ok_or("not a list")?
        .iter()
        .map(|f| ParsedFamily {
            name: f["name"].as_str().unwrap_or_default().to_owned(),
            kind: f["type"].as_str().unwrap_or_default().to_owned(),
            help: f["help"].as_str().unwrap_or_default().to_owned(),
            unit: f["unit"].as_str().unwrap_or_default().to_owned(),
            samples: f["samples"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|s| ParsedSample {
                    name: s["name"].as_str().unwrap_or_default().to_owned(),
                    labels: s["labels"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (k.clone(), v.as_str().unwrap_or_default().to_owned())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    value: s["value"]
                        .as_str()
                        .unwrap_or("nan")
                        .parse()
                        .unwrap_or(f64::NAN),
                    exemplar: s["exemplar"].as_object().map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    }),
                })
                .collect(),
        })
        .collect();
    Ok(families)
}

/// Whether two sample values are the same, NaN included.
pub fn same_value(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Finds the sample `name{labels}` in parsed families.
pub fn find_sample<'a>(
    families: &'a [ParsedFamily],
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a ParsedSample> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| s.name == name && s.labels == wanted)
}

label_enum! {
    /// Request methods, for the dense family.
    pub enum Method { Get => "GET", Post => "POST" }
}

/// A sample name, its label pairs, and its value.
pub type ExpectedSample = (String, Vec<(String, String)>, f64);

/// A registry exercising every metric type, every escape and every special value, and
/// the samples (name, labels, value) each format must carry.
pub struct KitchenSink {
    pub registry: Registry,
    /// Samples that both formats expose identically.
    pub common: Vec<ExpectedSample>,
}

/// The `request_duration_seconds` buckets of the [`KitchenSink`]: `le` as the text
/// format writes it, as OpenMetrics writes it, and the cumulative count.
pub const KITCHEN_SINK_BUCKETS: [(&str, &str, f64); 5] = [
    ("0.01", "0.01", 1.0),
    ("0.1", "0.1", 3.0),
    ("1", "1.0", 4.0),
    ("10", "10.0", 5.0),
    ("+Inf", "+Inf", 6.0),
];

/// Label values that need escaping or are otherwise unusual.
pub const TRICKY_VALUES: &[&str] = &[
    "plain",
    "quote\"inside",
    "back\\slash",
    "new\nline",
    "",
    "ünïcödé 日本",
    "a,b=c{d}",
    "trailing\\",
    "\\n literal",
    "tab\tchar",
];

struct PoolCollector {
    descriptor: Descriptor,
}

impl Collector for PoolCollector {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let mut family = out.family(&self.descriptor);
        family.gauge(&["primary"], 4.0)?;
        family.gauge(&["replica"], 2.5)?;
        Ok(())
    }
}

fn s(v: &str) -> String {
    v.to_owned()
}

/// Builds the [`KitchenSink`].
#[expect(
    clippy::too_many_lines,
    reason = "one registry with every metric type, in one place"
)]
pub fn kitchen_sink() -> KitchenSink {
    let registry = Registry::new();
    let mut common = Vec::new();
    let mut expect = |name: &str, labels: &[(&str, &str)], value: f64| {
        common.push((
            s(name),
            labels.iter().map(|(k, v)| (s(k), s(v))).collect(),
            value,
        ));
    };

    let requests = Counter::new();
    requests.inc_by(7);
    registry
        .register(
            "requests",
            "Requests served.\nSecond line with \\ backslash and \"quotes\".",
            requests,
        )
        .unwrap();
    expect("requests_total", &[], 7.0);

    let cpu = Counter::new();
    cpu.inc_by_f64(1.5).unwrap();
    registry
        .register_with_unit("cpu", "CPU time.", "seconds", cpu)
        .unwrap();
    expect("cpu_seconds_total", &[], 1.5);

    registry
        .register(
            "bytes_sent_total",
            "Bytes sent (callback).",
            CounterFn::new(|| 1e20),
        )
        .unwrap();
    expect("bytes_sent_total", &[], 1e20);

    let temperature = Gauge::new();
    temperature.set(-3.25);
    registry
        .register_with_unit("temperature", "Room temperature.", "celsius", temperature)
        .unwrap();
    expect("temperature_celsius", &[], -3.25);

    let special: Family<Gauge> = Family::new(["kind"]).unwrap();
    for (kind, value) in [
        ("nan", f64::NAN),
        ("inf", f64::INFINITY),
        ("neg_inf", f64::NEG_INFINITY),
        ("zero", 0.0),
        ("tiny", 5e-324),
        ("huge", f64::MAX),
        ("negative_fraction", -0.000_123),
        ("big_integer", 9_007_199_254_740_992.0),
    ] {
        special.labels(&[kind]).unwrap().set(value);
        expect("special_values", &[("kind", kind)], value);
    }
    registry
        .register("special_values", "Special float values.", special)
        .unwrap();

    registry
        .register("answer", "Computed at scrape time.", GaugeFn::new(|| 42.0))
        .unwrap();
    expect("answer", &[], 42.0);

    let http: Family<Counter> = Family::new(["method", "path"]).unwrap();
    for (i, value) in TRICKY_VALUES.iter().enumerate() {
        let counter = http.labels(&["GET", value]).unwrap();
        if i == 0 {
            counter
                .inc_by_with_exemplar(1, &[("trace_id", "0af7651916cd43dd8448eb211c80319c")])
                .unwrap();
        } else {
            counter.inc_by(i as u64 + 1);
        }
        expect(
            "http_requests_total",
            &[("method", "GET"), ("path", value)],
            i as f64 + 1.0,
        );
    }
    registry
        .register("http_requests", "Requests by method and path.", http)
        .unwrap();

    let dense: DenseFamily<Counter, (Method, bool)> = DenseFamily::new(["method", "ok"]).unwrap();
    dense.labels((Method::Post, false)).inc_by(3);
    registry
        .register("dense_requests", "Requests by typed labels.", dense)
        .unwrap();
    expect(
        "dense_requests_total",
        &[("method", "POST"), ("ok", "false")],
        3.0,
    );

    let latency: Family<Histogram> = Family::builder(["route"])
        .options(Buckets::new([0.01, 0.1, 1.0, 10.0]).unwrap())
        .build()
        .unwrap();
    for v in [0.005, 0.05, 0.05, 0.5, 5.0] {
        latency.labels(&["/users/{id}"]).unwrap().observe(v);
    }
    latency
        .labels(&["/users/{id}"])
        .unwrap()
        .observe_with_exemplar(
            50.0,
            &[("trace_id", "b7ad6b7169203331"), ("span_id", "q\"uoted")],
        )
        .unwrap();
    registry
        .register_with_unit("request_duration", "Request latency.", "seconds", latency)
        .unwrap();
    let route = ("route", "/users/{id}");
    expect("request_duration_seconds_count", &[route], 6.0);
    expect("request_duration_seconds_sum", &[route], 55.605);

    let sizes = Summary::new();
    sizes.observe(100.0);
    sizes.observe(28.0);
    registry
        .register_with_unit("payload", "Payload sizes.", "bytes", sizes)
        .unwrap();
    expect("payload_bytes_count", &[], 2.0);
    expect("payload_bytes_sum", &[], 128.0);

    registry
        .register(
            "build",
            "Build facts.",
            Info::new([("version", "1.2.3"), ("commit", "abc\"def")]).unwrap(),
        )
        .unwrap();
    expect(
        "build_info",
        &[("version", "1.2.3"), ("commit", "abc\"def")],
        1.0,
    );

    let mode = StateSet::new(["idle", "busy", "draining"]).unwrap();
    mode.set("busy").unwrap();
    registry
        .register("worker_mode", "Worker mode.", mode)
        .unwrap();
    expect("worker_mode", &[("worker_mode", "idle")], 0.0);
    expect("worker_mode", &[("worker_mode", "busy")], 1.0);
    expect("worker_mode", &[("worker_mode", "draining")], 0.0);

    let sub = registry
        .with_prefix("app")
        .unwrap()
        .with_labels([("region", "eu \"west\"")])
        .unwrap();
    let jobs: Family<Counter> = Family::new(["queue"]).unwrap();
    jobs.labels(&["mail"]).unwrap().inc_by(2);
    sub.register("jobs", "Jobs run.", jobs).unwrap();
    expect(
        "app_jobs_total",
        &[("region", "eu \"west\""), ("queue", "mail")],
        2.0,
    );

    let descriptor = Descriptor::new("pool_connections", "Open connections.", MetricType::Gauge)
        .unwrap()
        .with_label_names(["pool"])
        .unwrap();
    registry.register_collector(PoolCollector { descriptor });
    expect("pool_connections", &[("pool", "primary")], 4.0);
    expect("pool_connections", &[("pool", "replica")], 2.5);

    KitchenSink { registry, common }
}
