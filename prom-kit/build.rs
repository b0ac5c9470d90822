//! Records the compiler's version and the target for `Info::build_info`: a program's
//! build-info metric reports which Rust built it (Go's `goversion`, `goos`, `goarch`).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUSTC");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    // `rustc 1.85.0 (4d91de4e4 2025-02-17)` → `1.85.0`; never fails the build.
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=PROM_KIT_RUSTC_VERSION={version}");
    println!("cargo:rustc-env=PROM_KIT_TARGET={target}");
}
