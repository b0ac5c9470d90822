use super::*;
use crate::Registry;

fn scrape() -> std::collections::HashMap<String, f64> {
    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new());
    registry
        .encode_text()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l.split_once(' ').unwrap();
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

/// A `kB` value from `/proc/self/status`, in bytes.
fn status_bytes(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<f64>()
        .unwrap()
        * 1024.0
}

fn status_number(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    line[key.len()..].trim().parse().unwrap()
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance * expected.abs().max(1.0)
}

#[test]
fn every_metric_is_present_with_its_type() {
    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new());
    let text = registry.encode_text().unwrap();
    for (name, kind) in [
        ("process_cpu_seconds_total", "counter"),
        ("process_open_fds", "gauge"),
        ("process_max_fds", "gauge"),
        ("process_virtual_memory_bytes", "gauge"),
        ("process_virtual_memory_max_bytes", "gauge"),
        ("process_resident_memory_bytes", "gauge"),
        ("process_start_time_seconds", "gauge"),
        ("process_threads", "gauge"),
        ("process_network_receive_bytes_total", "counter"),
        ("process_network_transmit_bytes_total", "counter"),
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "{name} {kind} missing:\n{text}"
        );
    }
}

#[test]
fn values_match_independent_readings() {
    // Burn a little CPU so the counter is visibly above zero.
    let mut x = 0u64;
    for i in 0..20_000_000u64 {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    assert_ne!(std::hint::black_box(x), 1);

    let values = scrape();
    let rss = status_bytes("VmRSS:");
    assert!(
        close(values["process_resident_memory_bytes"], rss, 0.25),
        "{} vs {rss}",
        values["process_resident_memory_bytes"]
    );
    let vsize = status_bytes("VmSize:");
    assert!(
        close(values["process_virtual_memory_bytes"], vsize, 0.25),
        "{} vs {vsize}",
        values["process_virtual_memory_bytes"]
    );
    // Other tests of this binary start and stop threads meanwhile (servers, pushers,
    // stress tests), so the two readings may differ by those; the same slack as for
    // file descriptors below.
    let threads = status_number("Threads:");
    assert!(
        values["process_threads"] >= 1.0 && (values["process_threads"] - threads).abs() <= 16.0,
        "{} vs {threads}",
        values["process_threads"]
    );
    let fds = std::fs::read_dir("/proc/self/fd").unwrap().count() as f64;
    assert!(
        (values["process_open_fds"] - fds).abs() <= 16.0,
        "{} vs {fds}",
        values["process_open_fds"]
    );

    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let soft: f64 = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(values["process_max_fds"], soft);
    assert!(values["process_virtual_memory_max_bytes"] > 0.0);

    let now = crate::time::now_seconds();
    let started = values["process_start_time_seconds"];
    assert!(
        started <= now + 1.0 && started > now - 3600.0,
        "start {started}, now {now}"
    );
    let cpu = values["process_cpu_seconds_total"];
    let wall = now - started + 1.0;
    assert!(cpu > 0.0 && cpu <= wall * 64.0, "cpu {cpu} over {wall} s");
    assert!(values["process_network_receive_bytes_total"] >= 0.0);
}

#[test]
fn soft_limit_parsing() {
    let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                  Max open files            1024                 524288               files\n\
                  Max address space         unlimited            unlimited            bytes\n";
    assert_eq!(linux::soft_limit(limits, "Max open files"), Some(1024.0));
    assert_eq!(
        linux::soft_limit(limits, "Max address space"),
        Some(u64::MAX as f64)
    );
    assert_eq!(linux::soft_limit(limits, "Max locked memory"), None);
}
