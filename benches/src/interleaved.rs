//! [`Interleaved`]: variants compared in alternating batches in one process, the order
//! rotated every round, so that the machine's drift over a run (other tenants of a
//! shared VM, frequency changes) falls on all of them alike; each variant's figure is
//! the median of its batches.

use std::time::Duration;

/// Rounds run before any is recorded.
pub const WARM_UP_ROUNDS: usize = 3;

/// Medians of per-operation times from alternating batches, written where criterion
/// keeps its estimates (`target/criterion/<group>/<variant>/new/estimates.json`) so that
/// `report.py` lists them with the other groups.
#[derive(Debug)]
pub struct Interleaved {
    group: &'static str,
    names: Vec<&'static str>,
    rounds: usize,
    batch: u64,
    unit: &'static str,
    samples: Vec<Vec<f64>>,
}

impl Interleaved {
    /// A comparison of the variants `names` in `rounds` batches of `batch` operations
    /// each (plus [`WARM_UP_ROUNDS`]), timed per `unit` (`request`, `op`).
    pub fn new(
        group: &'static str,
        names: &[&'static str],
        rounds: usize,
        batch: u64,
        unit: &'static str,
    ) -> Self {
        Self {
            group,
            names: names.to_vec(),
            rounds,
            batch,
            unit,
            samples: vec![Vec::with_capacity(rounds); names.len()],
        }
    }

    /// Every round, warm-up included.
    pub fn rounds(&self) -> std::ops::Range<usize> {
        0..WARM_UP_ROUNDS + self.rounds
    }

    /// The order of the variants in round `round`: rotated every round, so that none
    /// always runs first or after the same neighbour.
    pub fn order(&self, round: usize) -> impl Iterator<Item = usize> + use<> {
        let n = self.names.len();
        (0..n).map(move |k| (k + round) % n)
    }

    /// Records a batch of `variant` that took `elapsed` (warm-up rounds are not kept).
    pub fn record(&mut self, round: usize, variant: usize, elapsed: Duration) {
        if round >= WARM_UP_ROUNDS {
            self.samples[variant].push(elapsed.as_nanos() as f64 / self.batch as f64);
        }
    }

    /// Prints the medians with their difference to the first variant, and saves them
    /// for the report.
    ///
    /// # Panics
    ///
    /// If the estimates cannot be written under `target/criterion`.
    pub fn finish(self) {
        let medians: Vec<f64> = self
            .samples
            .into_iter()
            .map(|mut samples| {
                samples.sort_by(f64::total_cmp);
                samples[samples.len() / 2]
            })
            .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion");
        println!(
            "{} (interleaved, {} batches of {} per variant)",
            self.group, self.rounds, self.batch
        );
        for (name, median) in self.names.iter().zip(&medians) {
            println!(
                "  {name:<28} {median:>9.2} ns/{}  {:>+8.2} ns",
                self.unit,
                median - medians[0]
            );
            let dir = root.join(self.group).join(name).join("new");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("estimates.json"),
                format!("{{\"median\":{{\"point_estimate\":{median}}}}}"),
            )
            .unwrap();
        }
    }
}
