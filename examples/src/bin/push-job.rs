//! A batch job that does its work, pushes its metrics to a Pushgateway and exits: 0 on
//! success, 1 with the gateway's error message otherwise. It uses the blocking API, as a
//! plain `main` would.
//!
//! ```text
//! PUSHGATEWAY_URL=http://127.0.0.1:9091 cargo run -p prom-kit-examples --bin push-job
//! ```
//!
//! What it pushes follows the Pushgateway advice: the facts of *this run* as gauges
//! (records processed, duration, success time), under a grouping key that includes the
//! host, replacing the previous run's group (`PUT`).

use std::process::ExitCode;
use std::time::Instant;

use prom_kit::push::PushClient;
use prom_kit::{Gauge, Registry};

fn main() -> ExitCode {
    match run() {
        Ok(records) => {
            println!("push-job: processed {records} records and pushed the metrics");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("push-job: {}", prom_kit_examples::error_text(&error));
            ExitCode::FAILURE
        }
    }
}

fn run() -> prom_kit::Result<u64> {
    let started = Instant::now();
    let registry = Registry::new();
    let processed = Gauge::new();
    let duration = Gauge::new();
    let last_success = Gauge::new();
    registry.register(
        "push_job_last_run_records",
        "Records processed by the last run.",
        processed.clone(),
    )?;
    registry.register_with_unit(
        "push_job_last_run_duration",
        "Duration of the last run.",
        "seconds",
        duration.clone(),
    )?;
    registry.register(
        "push_job_last_success_timestamp_seconds",
        "When the job last succeeded.",
        last_success.clone(),
    )?;

    // The job's work.
    let records = (1..=1000u64).filter(|n| n % 7 != 0).count() as u64;

    processed.set(records as f64);
    duration.set(started.elapsed().as_secs_f64());
    last_success.set_to_current_time();
    let gateway =
        std::env::var("PUSHGATEWAY_URL").unwrap_or_else(|_| "http://127.0.0.1:9091".to_owned());
    let job = std::env::var("PUSH_JOB").unwrap_or_else(|_| "push_job".to_owned());
    let client = PushClient::builder(&gateway, &job)
        .instance_from_hostname()
        .build()?;
    client.push_blocking(&registry)?;
    Ok(records)
}
