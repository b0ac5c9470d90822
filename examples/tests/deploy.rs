//! The deployment kit in `deploy/`, validated with the real tools: the Kubernetes
//! manifests against the Prometheus Operator CRD schemas and their cross-references,
//! the Prometheus configuration and rules with `promtool` (including the rule unit
//! tests), the Alertmanager configuration with `amtool`, and every Grafana panel's query
//! against a real Prometheus that has scraped the example apps.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{Prometheus, python_with, request, run_with_stdin, start_app, start_app_with, tool};

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// Runs `program args` in `dir`; returns (success, stdout + stderr).
fn run(program: &Path, args: &[&str], dir: &Path) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tool");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn the_grpc_prometheus_rule_validates_and_equals_the_rule_file() {
    let Some(python) = python_with("yaml, jsonschema", "python3-yaml python3-jsonschema") else {
        return;
    };
    let dir = deploy().join("kubernetes");
    let (ok, report) = run(
        &python,
        &[
            "validate.py",
            "--crds",
            "crds",
            "--rules",
            "../prometheus/rules/prom-kit-grpc.rules.yml",
            "prometheusrule-grpc.yaml",
        ],
        &dir,
    );
    assert!(
        ok && report.contains("OK: 1 documents (PrometheusRule)"),
        "{report}"
    );
    // The HTTP PrometheusRule is not the gRPC rule file.
    let (ok, report) = run(
        &python,
        &[
            "validate.py",
            "--crds",
            "crds",
            "--rules",
            "../prometheus/rules/prom-kit-grpc.rules.yml",
            "prometheusrule.yaml",
        ],
        &dir,
    );
    assert!(!ok, "{report}");
}

#[test]
fn kubernetes_manifests_validate_against_the_operator_crds() {
    let Some(python) = python_with("yaml, jsonschema", "python3-yaml python3-jsonschema") else {
        return;
    };
    let dir = deploy().join("kubernetes");
    let validate = |manifests: &[&str]| {
        let mut args = vec![
            "validate.py",
            "--crds",
            "crds",
            "--rules",
            "../prometheus/rules/prom-kit-http.rules.yml",
        ];
        args.extend(manifests);
        run(&python, &args, &dir)
    };
    let (ok, report) = validate(&["app.yaml", "servicemonitor.yaml", "prometheusrule.yaml"]);
    assert!(ok, "{report}");
    assert!(
        report.contains(
            "OK: 5 documents (Deployment, Namespace, PrometheusRule, Service, ServiceMonitor)"
        ),
        "{report}"
    );

    // The validator is not vacuous: each classic mistake is caught.
    let scratch = tempfile::tempdir().unwrap();
    let servicemonitor = std::fs::read_to_string(dir.join("servicemonitor.yaml")).unwrap();
    let app = std::fs::read_to_string(dir.join("app.yaml")).unwrap();
    let cases = [
        (
            "servicemonitor.yaml",
            servicemonitor.replace("- port: http", "- port: 3000"),
            "is not of type 'string'",
        ),
        (
            "servicemonitor.yaml",
            servicemonitor.replace("- port: http", "- port: web"),
            "is not a port name of Service/axum-app",
        ),
        (
            "servicemonitor.yaml",
            servicemonitor.replace("    k8s-app: axum-app\n", ""),
            "no k8s-app label",
        ),
        (
            "servicemonitor.yaml",
            servicemonitor.replace("app.kubernetes.io/name: axum-app", "app: axum"),
            "match no Service's labels",
        ),
        (
            "servicemonitor.yaml",
            servicemonitor.replace("- prom-kit-demo", "- default"),
            "match no Service's labels",
        ),
        (
            "servicemonitor.yaml",
            servicemonitor.replace("interval: 15s", "intervall: 15s"),
            "unknown field",
        ),
        (
            "app.yaml",
            app.replace("    - name: http\n      port: 3000", "    - port: 3000"),
            "has no name",
        ),
    ];
    for (file, broken, expected) in cases {
        let (other, text) = if file == "app.yaml" {
            ("servicemonitor.yaml", broken.as_str())
        } else {
            ("app.yaml", broken.as_str())
        };
        std::fs::write(scratch.path().join(file), text).unwrap();
        std::fs::copy(dir.join(other), scratch.path().join(other)).unwrap();
        let (ok, report) = run(
            &python,
            &[
                dir.join("validate.py").to_str().unwrap(),
                "--crds",
                dir.join("crds").to_str().unwrap(),
                scratch.path().join("app.yaml").to_str().unwrap(),
                scratch.path().join("servicemonitor.yaml").to_str().unwrap(),
            ],
            scratch.path(),
        );
        assert!(
            !ok && report.contains(expected),
            "expected {expected:?} for a broken {file}:\n{report}"
        );
    }
}

#[test]
fn prometheus_config_rules_and_alertmanager_config_pass_the_real_tools() {
    let Some(promtool) = tool("promtool", "prometheus") else {
        return;
    };
    let dir = deploy().join("prometheus");
    let (ok, report) = run(&promtool, &["check", "config", "prometheus.yml"], &dir);
    assert!(
        ok && report.contains("SUCCESS: 2 rule files found"),
        "{report}"
    );
    let (ok, report) = run(
        &promtool,
        &["check", "rules", "rules/prom-kit-http.rules.yml"],
        &dir,
    );
    assert!(ok && report.contains("SUCCESS: 10 rules found"), "{report}");
    let (ok, report) = run(
        &promtool,
        &["test", "rules", "tests/prom-kit-http.rules.test.yml"],
        &dir,
    );
    assert!(ok && report.contains("SUCCESS"), "{report}");
    let (ok, report) = run(
        &promtool,
        &["check", "rules", "rules/prom-kit-grpc.rules.yml"],
        &dir,
    );
    assert!(ok && report.contains("SUCCESS: 9 rules found"), "{report}");
    let (ok, report) = run(
        &promtool,
        &["test", "rules", "tests/prom-kit-grpc.rules.test.yml"],
        &dir,
    );
    assert!(ok && report.contains("SUCCESS"), "{report}");
    if let Some(amtool) = tool("amtool", "prometheus-alertmanager") {
        let (ok, report) = run(
            &amtool,
            &["check-config", "alertmanager.yml"],
            &deploy().join("alertmanager"),
        );
        assert!(ok && report.contains("SUCCESS"), "{report}");
    }
}

/// Every `expr` of every panel of a dashboard, with its panel title.
fn panel_queries(dashboard: &serde_json::Value) -> Vec<(String, String)> {
    dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|panel| {
            let title = panel["title"].as_str().unwrap_or_default().to_owned();
            panel["targets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |t| {
                    (
                        title.clone(),
                        t["expr"].as_str().unwrap_or_default().to_owned(),
                    )
                })
        })
        .collect()
}

fn check_structure(dashboard: &serde_json::Value, variables: &[&str]) {
    assert!(dashboard["uid"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(
        dashboard["schemaVersion"].as_u64().unwrap_or(0) >= 36,
        "Grafana 10+ schema"
    );
    let names: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(names, variables);
    assert_eq!(dashboard["templating"]["list"][0]["type"], "datasource");
    for panel in dashboard["panels"].as_array().unwrap() {
        assert_eq!(
            panel["datasource"]["uid"], "${datasource}",
            "{}",
            panel["title"]
        );
        assert!(panel["gridPos"]["w"].as_u64().is_some());
        for target in panel["targets"].as_array().unwrap() {
            assert_eq!(target["datasource"]["uid"], "${datasource}");
        }
    }
}

/// Substitutes the dashboard variables as Grafana would for the given selections.
fn substitute(expression: &str, job: &str) -> String {
    expression
        .replace("$__rate_interval", "30s")
        .replace("$job", job)
        .replace("$route", ".*")
        .replace("$project", ".*")
        .replace("$service", ".*")
}

#[test]
fn dashboard_queries_run_against_a_real_prometheus() {
    let http: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy().join("grafana/prom-kit-http.json")).unwrap(),
    )
    .unwrap();
    let business: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy().join("grafana/prom-kit-face-search.json")).unwrap(),
    )
    .unwrap();
    check_structure(&http, &["datasource", "job", "route"]);
    check_structure(&business, &["datasource", "job", "project"]);
    let grpc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy().join("grafana/prom-kit-grpc.json")).unwrap(),
    )
    .unwrap();
    check_structure(&grpc, &["datasource", "job", "service"]);

    let Some(prometheus_binary) = tool("prometheus", "prometheus") else {
        return;
    };
    let (_axum_process, axum) = start_app(env!("CARGO_BIN_EXE_axum-app"));
    let (_actix_process, actix) = start_app(env!("CARGO_BIN_EXE_actix-app"));
    let grpc_binary = env!("CARGO_BIN_EXE_grpc-app");
    let (_grpc_process, grpc_addresses) = start_app_with(
        grpc_binary,
        &[
            ("LISTEN_ADDR", "127.0.0.1:0"),
            ("METRICS_ADDR", "127.0.0.1:0"),
        ],
        2,
    );
    let (grpc_calls, grpc_metrics) = (grpc_addresses[0], grpc_addresses[1]);
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\
         - job_name: axum-app\n  static_configs:\n  - targets: ['{axum}']\n\
         - job_name: actix-app\n  static_configs:\n  - targets: ['{actix}']\n\
         - job_name: grpc-app\n  static_configs:\n  - targets: ['{grpc_metrics}']\n"
    );
    let prometheus = Prometheus::start(&prometheus_binary, &config, 1, &[]);
    // Traffic over a few scrapes, so that rates have two samples to work with.
    for round in 0..6 {
        for id in 0..5 {
            request(axum, "GET", &format!("/users/{id}"), &[]);
        }
        request(axum, "GET", &format!("/missing/{round}"), &[]);
        request(actix, "POST", "/vesionbook/v1.0/user/search", &[]);
        let calls = Command::new(grpc_binary)
            .args(["client", &format!("http://{grpc_calls}"), "3"])
            .output()
            .expect("run the gRPC client");
        assert!(calls.status.success());
        std::thread::sleep(Duration::from_millis(600));
    }
    prometheus.wait_for("count(up == 1)", Duration::from_secs(30), |v| v == 3.0);
    // Rates need two scrapes after the traffic; wait for a few.
    prometheus.wait_for(
        "min(count_over_time(up[30s]))",
        Duration::from_secs(30),
        |v| v >= 4.0,
    );

    let mut empty = Vec::new();
    for (dashboard, job) in [
        (&http, "axum-app|actix-app"),
        (&business, "actix-app"),
        (&grpc, "grpc-app"),
    ] {
        for (title, expression) in panel_queries(dashboard) {
            let query = substitute(&expression, job);
            assert!(!query.contains('$'), "unsubstituted variable in {query}");
            // `query` panics unless Prometheus accepts the expression.
            if prometheus.query(&query).is_empty() {
                empty.push(format!("{title}: {query}"));
            }
        }
    }
    // Every panel has data: the apps ran, had traffic, and expose process metrics.
    assert!(
        empty.is_empty(),
        "panels without data:\n{}",
        empty.join("\n")
    );
}

/// The manifests of `path` as one JSON array, converted by Python's YAML parser.
fn manifests_as_json(python: &Path, path: &Path) -> String {
    let script = "import sys, yaml, json\nprint(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))";
    let (ok, output) = run(python, &["-c", script, path.to_str().unwrap()], &deploy());
    assert!(ok, "{output}");
    output
}

/// Runs the `PrometheusAgent` schema validator on `json` (it finds the schemas through
/// `PROM_KIT_K8S_MODELS`, inherited from this process); returns (success, report).
fn validate_agent(node: &Path, json: &str) -> (bool, String) {
    let script = deploy().join("scale-out/kubernetes/validate-agent.mjs");
    run_with_stdin(node, &[script.to_str().unwrap()], json.as_bytes())
}

#[test]
fn the_agent_manifest_validates_against_the_operator_schema_and_selects_the_apps() {
    let Some(python) = python_with("yaml", "python3-yaml") else {
        return;
    };
    let Some(node) = tool("node", "nodejs") else {
        return;
    };
    if std::env::var_os("PROM_KIT_K8S_MODELS").is_none() {
        support::missing(
            "PROM_KIT_K8S_MODELS",
            "the kubernetes-models schemas (.ci/run installs them with npm)",
        );
        return;
    }
    let agent_path = deploy().join("scale-out/kubernetes/prometheus-agent.yaml");
    let json = manifests_as_json(&python, &agent_path);
    let (ok, report) = validate_agent(&node, &json);
    assert!(ok && report.contains("OK: 1 PrometheusAgent"), "{report}");
    // The validator is not vacuous.
    let agent: serde_json::Value = serde_json::from_str(&json).unwrap();
    for (broken, expected) in [
        (
            json.replace("\"replicas\": 2", "\"replicas\": \"two\""),
            "must be integer",
        ),
        (
            json.replace("\"url\": \"http://victoria", "\"urll\": \"http://victoria"),
            "required property",
        ),
    ] {
        assert_ne!(broken, json, "the mutation applies");
        let (ok, report) = validate_agent(&node, &broken);
        assert!(!ok && report.contains(expected), "{expected}: {report}");
    }
    // It selects the apps' ServiceMonitor: its labels and its namespace.
    let monitor: serde_json::Value = serde_json::from_str(&manifests_as_json(
        &python,
        &deploy().join("kubernetes/servicemonitor.yaml"),
    ))
    .unwrap();
    let monitor = &monitor[0];
    let spec = &agent[0]["spec"];
    for (name, value) in spec["serviceMonitorSelector"]["matchLabels"]
        .as_object()
        .unwrap()
    {
        assert_eq!(&monitor["metadata"]["labels"][name], value, "label {name}");
    }
    assert_eq!(
        spec["serviceMonitorNamespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        monitor["metadata"]["namespace"]
    );
    // The deduplicating store never sees the replica label.
    let replica = spec["replicaExternalLabelName"].as_str().unwrap();
    let vm = spec["remoteWrite"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "victoria-metrics")
        .unwrap();
    assert_eq!(vm["writeRelabelConfigs"][0]["action"], "labeldrop");
    assert_eq!(vm["writeRelabelConfigs"][0]["regex"], replica);
}
