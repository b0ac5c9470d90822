//! Slow readers against the exporter server, measured by a counting allocator: clients
//! that request a large exposition and then read nothing must not pin a rendered body
//! each. A scrape holds its slot of the concurrent-scrape limit until its body has been
//! sent, so at most that many bodies are in memory however many readers stall.
//!
//! One `#[test]` in this binary: the allocator counts globally.

#![cfg(feature = "server")]

use std::alloc::System;
use std::time::Duration;

use prom_kit::scrape::MetricsHandler;
use prom_kit::server::Server;
use prom_kit::{Family, Gauge, Registry};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated and not yet freed, in the whole process.
fn live() -> i64 {
    let stats = ALLOCATOR.stats();
    let bytes = |n: usize| i64::try_from(n).unwrap();
    bytes(stats.bytes_allocated) - bytes(stats.bytes_deallocated)
}

/// The process's peak resident set (`VmHWM`), in MiB, for the record.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib / 1024)
}

const READERS: usize = 20;
const LIMIT: usize = 2;
const SCRAPE: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

/// A client with a small receive buffer that sends a scrape and reads only the status
/// code of the answer, then nothing more: the rest stays unread (the client may close).
async fn stalled_reader(address: std::net::SocketAddr) -> (TcpStream, u16) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(address).await.unwrap();
    stream.write_all(SCRAPE).await.unwrap();
    let mut status = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(20), stream.read_exact(&mut status))
        .await
        .expect("an answer within 20 s")
        .unwrap();
    let code = std::str::from_utf8(&status[9..12])
        .unwrap()
        .parse()
        .unwrap();
    (stream, code)
}

/// A whole scrape, read to the end; returns the status code and the body's length.
async fn full_scrape(address: std::net::SocketAddr) -> (u16, usize) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let head_end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let code = std::str::from_utf8(&response[9..12])
        .unwrap()
        .parse()
        .unwrap();
    (code, response.len() - head_end)
}

#[test]
fn stalled_readers_hold_at_most_the_scrape_limit_in_bodies() {
    // About 8 MiB of exposition: twice the largest socket send buffer, so a body cannot
    // hide in the kernel.
    let registry = Registry::new();
    let family: Family<Gauge> = Family::builder(["id", "pad"])
        .max_series(None)
        .build()
        .unwrap();
    let pad = "p".repeat(160);
    for id in 0..50_000 {
        family.labels(&[&id.to_string(), &pad]).unwrap().set(1.0);
    }
    registry.register("wide", "Wide series.", family).unwrap();
    let handler = MetricsHandler::builder()
        .max_concurrent_scrapes(LIMIT)
        .build(&registry)
        .unwrap();
    let server = Server::new(handler).start_on_thread("127.0.0.1:0").unwrap();
    let address = server.local_addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let (code, body) = full_scrape(address).await;
        assert_eq!(code, 200);
        assert!(body > 8_000_000, "{body}");
        let body = i64::try_from(body).unwrap();
        let baseline = live();
        // One after the other, each answered before the next asks.
        let mut readers = Vec::new();
        let mut peak = 0;
        for _ in 0..READERS {
            readers.push(stalled_reader(address).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
            peak = peak.max(live() - baseline);
        }
        let admitted = readers.iter().filter(|(_, code)| *code == 200).count();
        let refused = readers.iter().filter(|(_, code)| *code == 503).count();
        eprintln!(
            "{READERS} stalled readers of a {:.1} MB body, limit {LIMIT}: {admitted} answered \
             200, {refused} 503; live heap {:.1} MB above the baseline at the peak, \
             peak RSS {} MiB",
            body as f64 / 1e6,
            peak as f64 / 1e6,
            peak_rss_mib(),
        );
        assert_eq!(admitted + refused, READERS);
        assert!(
            peak < (i64::try_from(LIMIT).unwrap() + 1) * body,
            "{:.1} MB held for {READERS} stalled readers, more than {LIMIT} bodies of {:.1} MB",
            peak as f64 / 1e6,
            body as f64 / 1e6
        );
        assert_eq!(admitted, LIMIT, "the limit admits {LIMIT} at once");
        // The readers leave: their slots are free, and the bodies with them.
        drop(readers);
        let mut answered = 0;
        for _ in 0..100 {
            let (code, length) = full_scrape(address).await;
            if code == 200 {
                answered = length;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(answered > 8_000_000, "scrapes are served again");
        let left = live() - baseline;
        assert!(left < body / 2, "{:.1} MB still held", left as f64 / 1e6);
    });
    server.shutdown();
}
