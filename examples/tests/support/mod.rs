//! Helpers for end-to-end tests against real programs: processes stopped by PID on drop
//! (also when a test fails), a minimal HTTP/1.1 client, and a real Prometheus.

#![allow(
    dead_code,
    unreachable_pub,
    unused_imports,
    reason = "shared by several test binaries, each using a part (so `expect` would fail in some)"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use prom_kit_test_support::{REQUIRE_TOOLS_VAR, missing, python, python_with, tool};

/// A child process killed (by its PID) and reaped when dropped.
pub struct Process {
    pub name: String,
    child: Child,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Whether the process has exited with status 0.
    pub fn exit_success(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(status)) if status.success())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Starts an example binary on `127.0.0.1:0` and returns it with the address it printed
/// (`… listening on http://ADDR`).
pub fn start_app(binary: &str) -> (Process, SocketAddr) {
    let (process, addresses) = start_app_with(binary, &[("LISTEN_ADDR", "127.0.0.1:0")], 1);
    (process, addresses[0])
}

/// Starts an example binary with `env` and returns it with the first `count` addresses
/// it printed (`… on http://ADDR`), in order.
pub fn start_app_with(
    binary: &str,
    env: &[(&str, &str)],
    count: usize,
) -> (Process, Vec<SocketAddr>) {
    let mut child = Command::new(binary)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let process = Process {
        name: binary.to_owned(),
        child,
    };
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("http://").nth(1) {
                let address = rest.split(['/', ' ']).next().unwrap_or_default();
                let _ = sender.send(address.trim().to_owned());
            }
        }
    });
    let addresses = (0..count)
        .map(|_| {
            receiver
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("{binary} did not print its addresses"))
                .parse()
                .expect("a socket address")
        })
        .collect();
    (process, addresses)
}

/// A response from [`request`].
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole response.
pub fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    for (name, value) in headers {
        head.extend([name, ": ", value, "\r\n"]);
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// Percent-encodes a query parameter value.
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A real Prometheus on loopback, with its own storage directory, stopped on drop.
pub struct Prometheus {
    pub address: SocketAddr,
    process: Process,
    _dir: tempfile::TempDir,
}

/// Starts a server program on the first free port of the range reserved for `slot`
/// (distinct per test), waiting until `GET /-/ready` answers 200. `args` gives the
/// program's arguments for a listen address; its log goes to `dir`.
fn start_ready(
    binary: &Path,
    name: &str,
    dir: &Path,
    slot: u16,
    args: &dyn Fn(SocketAddr) -> Vec<String>,
) -> (Process, SocketAddr) {
    start_ready_at(binary, name, dir, slot, "/-/ready", args)
}

/// As [`start_ready`], waiting until `GET ready_path` answers 200 (the
/// `VictoriaMetrics` programs answer `/health`).
pub fn start_ready_at(
    binary: &Path,
    name: &str,
    dir: &Path,
    slot: u16,
    ready_path: &str,
    args: &dyn Fn(SocketAddr) -> Vec<String>,
) -> (Process, SocketAddr) {
    let log_path = dir.join(format!("{name}.log"));
    for attempt in 0..10u16 {
        let port = 39_100 + slot * 10 + attempt;
        let address: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let mut process = Process {
            name: name.to_owned(),
            child: Command::new(binary)
                .args(args(address))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log_path).expect("log file"))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {name}: {e}")),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && !process.exited() {
            if TcpStream::connect(address).is_ok()
                && request(address, "GET", ready_path, &[]).status == 200
            {
                return (process, address);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert!(
            log.contains("address already in use") || log.contains("bind: address already"),
            "{name} did not become ready on {address}:\n{log}"
        );
    }
    panic!("no free port for {name} in its range");
}

/// A real Pushgateway on loopback (in-memory), stopped on drop.
pub struct Pushgateway {
    pub address: SocketAddr,
    process: Process,
    _dir: tempfile::TempDir,
}

impl Pushgateway {
    /// Starts `prometheus-pushgateway` in the port range of `slot`.
    pub fn start(binary: &Path, slot: u16) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (process, address) = start_ready(binary, "pushgateway", dir.path(), slot, &|address| {
            vec![format!("--web.listen-address={address}")]
        });
        Self {
            address,
            process,
            _dir: dir,
        }
    }

    /// The gateway's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The gateway's own `/metrics` text.
    pub fn metrics(&self) -> String {
        request(self.address, "GET", "/metrics", &[]).text()
    }
}

impl Prometheus {
    /// Starts any server with Prometheus' query API (`VictoriaMetrics`, or Prometheus in
    /// another mode) in the port range of `slot`, ready when `GET ready_path` answers 200;
    /// `args` gets the listen address and a fresh data directory.
    pub fn start_with(
        binary: &Path,
        name: &str,
        slot: u16,
        ready_path: &str,
        args: &dyn Fn(SocketAddr, &Path) -> Vec<String>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let (process, address) =
            start_ready_at(binary, name, dir.path(), slot, ready_path, &|address| {
                args(address, &data)
            });
        Self {
            address,
            process,
            _dir: dir,
        }
    }

    /// Stops the server (by its PID) now.
    pub fn stop(self) {
        drop(self);
    }

    /// Starts `prometheus` with `config` (YAML) in the port range of `slot`, with its own
    /// storage directory.
    pub fn start(binary: &Path, config: &str, slot: u16, extra_flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write config");
        let data = dir.path().join("data");
        let (process, address) = start_ready(binary, "prometheus", dir.path(), slot, &|address| {
            let mut args = vec![
                format!("--config.file={}", config_path.display()),
                format!("--storage.tsdb.path={}", data.display()),
                format!("--web.listen-address={address}"),
            ];
            args.extend(extra_flags.iter().map(|f| (*f).to_owned()));
            args
        });
        Self {
            address,
            process,
            _dir: dir,
        }
    }

    /// Runs an instant query; returns the `data.result` array.
    pub fn query(&self, expression: &str) -> Vec<serde_json::Value> {
        let response = request(
            self.address,
            "GET",
            &format!("/api/v1/query?query={}", encode_query(expression)),
            &[],
        );
        let json: serde_json::Value = serde_json::from_slice(&response.body)
            .unwrap_or_else(|e| panic!("bad JSON from prometheus ({e}): {}", response.text()));
        assert_eq!(
            json["status"], "success",
            "query {expression} failed: {json}"
        );
        json["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The single value an instant query returns, if it returns exactly one series.
    pub fn value(&self, expression: &str) -> Option<f64> {
        let result = self.query(expression);
        match result.as_slice() {
            [one] => one["value"][1].as_str().and_then(|v| v.parse().ok()),
            _ => None,
        }
    }

    /// Polls `expression` until its single value satisfies `check`, or panics after
    /// `timeout` with the last value seen.
    pub fn wait_for(
        &self,
        expression: &str,
        timeout: Duration,
        check: impl Fn(f64) -> bool,
    ) -> f64 {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.value(expression);
            if let Some(value) = value.filter(|v| check(*v)) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "{expression}: last value {value:?} never satisfied the check"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// Runs `program args` with `input` on stdin; returns (success, stdout + stderr).
pub fn run_with_stdin(program: &Path, args: &[&str], input: &[u8]) -> (bool, String) {
    let (ok, stdout, stderr) = prom_kit_test_support::run_with_stdin(program, args, input);
    (ok, stdout + &stderr)
}
