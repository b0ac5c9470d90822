//! The exporter server when the process runs out of file descriptors: its accept loop
//! backs off instead of spinning, and serves again once descriptors are free. A test
//! binary of its own, because it exhausts the whole process's descriptors.

#![cfg(all(feature = "server", target_os = "linux"))]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use prom_kit::{Counter, Registry};

/// This process's user and system CPU time, in clock ticks, from `/proc/self/stat`
/// opened beforehand (no descriptor is left to open it when it matters).
fn cpu_ticks(stat_file: &mut std::fs::File) -> u64 {
    use std::io::Seek;
    let mut stat = String::new();
    stat_file.rewind().unwrap();
    stat_file.read_to_string(&mut stat).unwrap();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Sets this process's soft limit on open files.
fn set_soft_file_limit(limit: u64) {
    let hard = std::fs::read_to_string("/proc/self/limits")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(4).map(str::to_owned))
        .unwrap();
    let status = Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            &format!("--nofile={limit}:{hard}"),
        ])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success());
}

#[test]
fn accept_backs_off_when_descriptors_run_out() {
    let registry = Registry::new();
    let counter = Counter::new();
    counter.inc();
    registry.register("alive", "Alive.", counter).unwrap();
    let server = prom_kit::server::start_http_server("127.0.0.1:0", &registry).unwrap();
    let address = server.local_addr();

    // Use up every descriptor but one, which the client's socket then takes: the server
    // cannot accept its connection.
    let mut stat_file = std::fs::File::open("/proc/self/stat").unwrap();
    set_soft_file_limit(256);
    let mut hoard = Vec::new();
    while let Ok(file) = std::fs::File::open("/dev/null") {
        hoard.push(file);
    }
    assert!(!hoard.is_empty());
    hoard.pop();
    let mut client = TcpStream::connect(address).unwrap();

    // The pending connection makes every accept fail with EMFILE: measure the CPU the
    // process burns meanwhile (a spinning loop burns a whole core).
    let (ticks, wall) = (cpu_ticks(&mut stat_file), Instant::now());
    std::thread::sleep(Duration::from_millis(1500));
    let used = cpu_ticks(&mut stat_file) - ticks;
    let elapsed = wall.elapsed();
    // Clock ticks are 1/100 s on Linux: at most 20% of the time on a CPU.
    assert!(
        Duration::from_millis(used * 10) < elapsed / 5,
        "the accept loop used {used} ticks of CPU in {elapsed:?}"
    );

    // Descriptors free again: the waiting client is served.
    drop(hoard);
    set_soft_file_limit(4096);
    client
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).unwrap();
    assert!(response.contains("alive_total 1\n"), "{response}");
    server.shutdown();
}
