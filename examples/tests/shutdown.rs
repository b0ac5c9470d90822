//! The example apps log where they listen and exit cleanly on SIGTERM and SIGINT, within
//! their shutdown grace even with a client holding a connection open.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{request, start_app, start_app_with};

fn stops_cleanly_on(binary: &str, signal: &str) {
    let (mut process, address) = start_app(binary);
    assert_eq!(
        request(address, "GET", "/", &[]).status,
        200,
        "{binary} serves"
    );
    let status = Command::new("kill")
        .args([signal, &process.pid().to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("run kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while !process.exited() {
        assert!(Instant::now() < deadline, "{binary} ignored {signal}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        process.exit_success(),
        "{binary} exited with an error after {signal}"
    );
}

#[cfg(unix)]
#[test]
fn axum_app_stops_on_sigterm_and_sigint() {
    stops_cleanly_on(env!("CARGO_BIN_EXE_axum-app"), "-TERM");
    stops_cleanly_on(env!("CARGO_BIN_EXE_axum-app"), "-INT");
}

#[cfg(unix)]
#[test]
fn actix_app_stops_on_sigterm_and_sigint() {
    stops_cleanly_on(env!("CARGO_BIN_EXE_actix-app"), "-TERM");
    stops_cleanly_on(env!("CARGO_BIN_EXE_actix-app"), "-INT");
}

/// The shutdown grace the apps are given here (`SHUTDOWN_GRACE`, seconds), and the time
/// allowed on top of it to exit.
const GRACE: Duration = Duration::from_secs(1);
const MARGIN: Duration = Duration::from_secs(5);

/// SIGTERM while a client holds a connection on which it sent half a request head (and
/// another idles after a request): the app neither waits for them nor hangs, and exits
/// cleanly within its grace.
#[cfg(unix)]
#[test]
fn axum_app_exits_within_the_grace_with_a_partial_head_open() {
    let binary = env!("CARGO_BIN_EXE_axum-app");
    let (mut process, addresses) = start_app_with(
        binary,
        &[("LISTEN_ADDR", "127.0.0.1:0"), ("SHUTDOWN_GRACE", "1")],
        1,
    );
    let address = addresses[0];
    let mut partial = TcpStream::connect(address).expect("connect");
    partial
        .write_all(b"GET /users/7 HTTP/1.1\r\nHost: x\r\n")
        .expect("send half a head");
    let mut idle = TcpStream::connect(address).expect("connect");
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send a request");
    // Served after both were accepted: the app holds them when it is told to stop.
    assert_eq!(request(address, "GET", "/", &[]).status, 200);
    let status = Command::new("kill")
        .args(["-TERM", &process.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let signalled = Instant::now();
    while !process.exited() {
        assert!(
            signalled.elapsed() < GRACE + MARGIN,
            "axum-app still runs {:?} after SIGTERM, with a partial request head open",
            signalled.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(process.exit_success(), "axum-app exited with an error");
    drop((partial, idle));
}
