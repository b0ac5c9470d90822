//! Finding the real tools the tests are judged by, and running them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Set to `1` by `.ci/run`: a missing tool then fails the test instead of skipping it.
pub const REQUIRE_TOOLS_VAR: &str = "PROM_KIT_REQUIRE_TOOLS";

fn tools_required() -> bool {
    std::env::var(REQUIRE_TOOLS_VAR).is_ok_and(|v| v == "1")
}

/// Reports a missing tool: panics when tools are required, else prints why the test is
/// skipped.
///
/// # Panics
///
/// When [`REQUIRE_TOOLS_VAR`] is `1`: a test that needs the tool must not pass silently.
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

/// The path of an executable on `PATH`, or `None` after reporting it missing (with the
/// Debian `package` that provides it).
pub fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = which(name);
    if found.is_none() {
        missing(name, &format!("not on PATH (Debian package `{package}`)"));
    }
    found
}

/// A Python interpreter that can import `prometheus_client`'s parsers.
pub fn python() -> Option<PathBuf> {
    python_with(
        "prometheus_client.openmetrics.parser",
        "python3-prometheus-client",
    )
}

/// Debian's `/usr/bin/python3` (the one Debian's packages install into), or the first
/// `python3` on `PATH`, if it imports `modules` (comma-separated), which the Debian
/// `packages` provide; `None` after reporting it missing.
pub fn python_with(modules: &str, packages: &str) -> Option<PathBuf> {
    let candidates = [Some(PathBuf::from("/usr/bin/python3")), which("python3")];
    let found = first_running(candidates, &format!("import {modules}"));
    if found.is_none() {
        missing(
            &format!("python3 with {modules}"),
            &format!("no interpreter imports it (Debian packages `{packages}`)"),
        );
    }
    found
}

/// The first of the `candidates` interpreters that runs `script` successfully.
fn first_running(
    candidates: impl IntoIterator<Item = Option<PathBuf>>,
    script: &str,
) -> Option<PathBuf> {
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Names the interpreter [`python_utf8`] uses (`.ci/run` sets it to the virtual
/// environment it installs `prometheus_client` 0.26 into).
pub const PYTHON_UTF8_VAR: &str = "PROM_KIT_PYTHON_UTF8";

/// A Python interpreter whose `prometheus_client` is 0.26 or later: the first that
/// parses and escapes UTF-8 names (Debian's 0.16 does not). Looked for in
/// [`PYTHON_UTF8_VAR`], then `/usr/bin/python3` and `python3` on `PATH`; `None` after
/// reporting it missing.
pub fn python_utf8() -> Option<PathBuf> {
    let check = "import importlib.metadata as m, sys\n\
                 v = tuple(int(p) for p in m.version('prometheus_client').split('.')[:2])\n\
                 sys.exit(0 if v >= (0, 26) else 1)";
    let candidates = [
        std::env::var_os(PYTHON_UTF8_VAR).map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/python3")),
        which("python3"),
    ];
    let found = first_running(candidates, check);
    if found.is_none() {
        missing(
            "python3 with prometheus_client >= 0.26",
            &format!(
                "set {PYTHON_UTF8_VAR} to a virtual environment's python with \
                 `pip install prometheus_client==0.26.0` (.ci/run does)"
            ),
        );
    }
    found
}

/// Runs `program args` with `input` on stdin; returns (success, stdout, stderr).
///
/// # Panics
///
/// If the program cannot be started or fed: the test cannot judge anything then.
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
