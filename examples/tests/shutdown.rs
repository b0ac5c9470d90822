//! The example apps log where they listen and exit cleanly on SIGTERM and SIGINT.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{request, start_app};

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
