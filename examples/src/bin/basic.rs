//! The smallest complete prom-kit program: a few metrics updated by a background worker
//! and served at `/metrics` by a minimal blocking HTTP listener (the framework adapters
//! and the standalone server replace this listener in real services).
//!
//! ```text
//! cargo run -p prom-kit-examples --bin basic
//! curl -H 'Accept: application/openmetrics-text' http://127.0.0.1:3000/metrics
//! ```
//!
//! Listens on `LISTEN_ADDR` (default `127.0.0.1:3000`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use prom_kit::encoding::negotiate;
use prom_kit::{Buckets, Counter, Family, Gauge, Histogram, Info, Registry};

fn main() -> ExitCode {
    // The error's message (`Display`), not the struct dump a `main` returning `Result`
    // prints.
    if let Err(error) = run() {
        eprintln!("basic: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    let jobs: Family<Counter> = Family::new(["queue", "outcome"])?;
    let in_progress = Gauge::new();
    let duration = Histogram::new(Buckets::exponential(0.001, 2.0, 12)?);
    registry.register(
        "jobs",
        "Jobs processed, by queue and outcome.",
        jobs.clone(),
    )?;
    registry.register(
        "jobs_in_progress",
        "Jobs being processed now.",
        in_progress.clone(),
    )?;
    registry.register_with_unit(
        "job_duration",
        "Time spent per job.",
        "seconds",
        duration.clone(),
    )?;
    registry.register(
        "build",
        "Build information.",
        Info::new([("version", env!("CARGO_PKG_VERSION"))])?,
    )?;

    thread::spawn(move || worker(&jobs, &in_progress, &duration));

    let addr = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = TcpListener::bind(&addr)?;
    println!(
        "serving metrics on http://{}/metrics",
        listener.local_addr()?
    );
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                if let Err(error) = serve(stream, &registry) {
                    eprintln!("request failed: {error}");
                }
            }
            Err(error) => eprintln!("accept failed: {error}"),
        }
    }
    Ok(())
}

/// Simulated work: a job every 50 ms, on one of two queues, occasionally failing.
fn worker(jobs: &Family<Counter>, in_progress: &Gauge, duration: &Histogram) {
    let done = [
        jobs.labels(&["email", "ok"]),
        jobs.labels(&["email", "error"]),
        jobs.labels(&["billing", "ok"]),
        jobs.labels(&["billing", "error"]),
    ];
    for n in 0u64.. {
        in_progress.inc();
        let started = Instant::now();
        thread::sleep(Duration::from_millis(5 + n % 20));
        duration.observe(started.elapsed().as_secs_f64());
        in_progress.dec();
        let index = usize::from(n % 2 == 1) * 2 + usize::from(n % 7 == 0);
        if let Some(Ok(counter)) = done.get(index) {
            counter.inc();
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Answers one HTTP/1.1 request: `GET /metrics` with content negotiation, 404 otherwise.
fn serve(stream: TcpStream, registry: &Registry) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut accept = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("accept") {
                accept = Some(value.trim().to_owned());
            }
        }
    }
    let mut stream = stream;
    if !request_line.starts_with("GET /metrics ") {
        return stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    let chosen = negotiate(accept.as_deref());
    let mut body = Vec::new();
    if let Err(error) = registry.encode(chosen.format, &mut body) {
        eprintln!("encoding error: {error}");
    }
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        chosen.content_type,
        body.len()
    )?;
    stream.write_all(&body)
}
