//! The invariant harness every concurrent family runs through: writers creating,
//! updating and removing series while a scraper scrapes in every format, and on every
//! scrape the invariants a scraper relies on checked:
//!
//! - the exposition is valid (prom-kit's strict parser for text and OpenMetrics, a
//!   protobuf decode for protobuf);
//! - each identity (label set) appears at most once;
//! - every series is one a writer made, and its value is one that series can have (each
//!   key counts in a pattern of its own, so a value shown under another key's labels is
//!   seen);
//! - a counter never decreases between two scrapes unless its series was removed in
//!   between;
//!
//! and once the writers have stopped, every format shows exactly what they did.
//!
//! A family takes part through [`Subject`]: keys `0..keys()`, each with its label
//! pairs, that the harness adds to and removes. Each key is written by one writer only,
//! which knows its exact value.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use prom_kit::Registry;
use prom_kit::encoding::Format;
use prom_kit::testing::{Syntax, parse};

use crate::proto;

/// The step of every addition after a key's first: keys must be fewer, so that
/// `value % STEP` names the key (see [`expected_residue`]).
pub const STEP: u64 = 1 << 16;

/// A family under test, as the harness drives it: a counter per key.
pub trait Subject: Send + Sync {
    /// How many keys (series) there are; fewer than [`STEP`].
    fn keys(&self) -> usize;
    /// The label pairs key `key`'s series is exposed with.
    fn labels(&self, key: usize) -> Vec<(String, String)>;
    /// Adds `amount` to key `key`'s counter, creating its series at zero first if it
    /// does not exist.
    fn add(&self, key: usize, amount: u64);
    /// Removes key `key`'s series. Subjects that cannot remove do nothing and say so in
    /// [`can_remove`](Self::can_remove).
    fn remove(&self, key: usize);
    /// Whether [`remove`](Self::remove) removes.
    fn can_remove(&self) -> bool {
        true
    }
    /// Whether series may disappear without a writer removing them (idle-series
    /// expiry): a counter may then start again from zero at any time.
    fn expires(&self) -> bool {
        false
    }
}

/// How long and how hard the harness runs.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// Writer threads; key `k` is written by writer `k % writers`.
    pub writers: usize,
    /// The scraper scrapes at least this many times (formats in turn)…
    pub min_scrapes: usize,
    /// …and the writers make at least this many operations each…
    pub min_operations: u64,
    /// …unless this much time has passed.
    pub max_time: Duration,
    /// One operation in this many is a removal (where the subject can remove).
    pub remove_one_in: u64,
}

impl Default for Run {
    fn default() -> Self {
        Self {
            writers: 3,
            min_scrapes: 60,
            min_operations: 20_000,
            max_time: Duration::from_secs(20),
            remove_one_in: 4,
        }
    }
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Report {
    /// Scrapes made and checked, in all formats.
    pub scrapes: usize,
    /// Additions and removals the writers made.
    pub operations: u64,
    /// Removals among them.
    pub removals: u64,
    /// The most series one scrape held.
    pub most_series: usize,
}

/// The formats scraped, in turn.
fn formats() -> [Format; 3] {
    [Format::Text, Format::OpenMetrics, Format::Protobuf]
}

/// The label value of key `key` in the subjects keyed by strings: one key in four plain,
/// the others with a quote, a newline and backslash, or non-ASCII text to escape.
pub fn label_value(key: usize) -> String {
    match key % 4 {
        0 => format!("k{key}"),
        1 => format!("quote\"{key}"),
        2 => format!("line\n{key}\\"),
        _ => format!("été {key}"),
    }
}

/// What key `key`'s value leaves when divided by [`STEP`]: its first addition is
/// `key + 1`, every later one `STEP`.
pub fn expected_residue(key: usize) -> u64 {
    key as u64 + 1
}

/// Runs `subject` (registered in `registry` as the counter family `family`) through the
/// harness; panics with the broken invariant and the scrape that broke it.
///
/// # Panics
///
/// When an invariant is broken, or a writer panics.
pub fn check(registry: &Registry, family: &str, subject: &Arc<dyn Subject>, run: Run) -> Report {
    assert!(subject.keys() < usize::try_from(STEP).expect("fits"));
    let identities: HashMap<Vec<(String, String)>, usize> = (0..subject.keys())
        .map(|key| (sorted(subject.labels(key)), key))
        .collect();
    assert_eq!(identities.len(), subject.keys(), "two keys share labels");
    let removals = Arc::new(Removals::new(subject.keys()));
    let stop = Arc::new(AtomicBool::new(false));
    let warmed_up = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + run.max_time;
    let writers: Vec<_> = (0..run.writers)
        .map(|writer| {
            let shared = Shared {
                removals: Arc::clone(&removals),
                stop: Arc::clone(&stop),
                warmed_up: Arc::clone(&warmed_up),
            };
            let subject = Arc::clone(subject);
            thread::spawn(move || write(&*subject, &shared, writer, run, deadline))
        })
        .collect();
    let mut report = Report::default();
    let mut last: HashMap<usize, (u64, u64)> = HashMap::new();
    let scraped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        while (report.scrapes < run.min_scrapes || warmed_up.load(Ordering::SeqCst) < run.writers)
            && Instant::now() < deadline
        {
            let format = formats()[report.scrapes % 3];
            let finished_before = read_counts(&removals.finished);
            let series = scrape(registry, family, format);
            let started_after = read_counts(&removals.started);
            report.most_series = report.most_series.max(series.len());
            for (labels, value) in series {
                let Some(&key) = identities.get(&labels) else {
                    panic!(
                        "{format:?} scrape {}: series {labels:?} no writer made",
                        report.scrapes
                    )
                };
                check_value(&**subject, key, value, format);
                // A decrease needs a removal that had not finished before the scrape
                // that saw the larger value began (in progress then, or later).
                if let Some((previous, finished_then)) = last.get(&key)
                    && value < *previous
                    && started_after[key] == *finished_then
                    && !subject.expires()
                {
                    panic!(
                        "{format:?} scrape {}: {labels:?} decreased from {previous} to {value} with no removal",
                        report.scrapes
                    );
                }
                last.insert(key, (value, finished_before[key]));
            }
            report.scrapes += 1;
        }
    }));
    stop.store(true, Ordering::SeqCst);
    let mut expected: HashMap<usize, u64> = HashMap::new();
    for writer in writers {
        let (values, operations, removed) = writer.join().expect("a writer panicked");
        expected.extend(values);
        report.operations += operations;
        report.removals += removed;
    }
    if let Err(panic) = scraped {
        std::panic::resume_unwind(panic);
    }
    if !subject.expires() {
        for format in formats() {
            let exposed: HashMap<usize, u64> = scrape(registry, family, format)
                .into_iter()
                .map(|(labels, value)| (identities[&labels], value))
                .collect();
            assert_eq!(
                exposed, expected,
                "{format:?}: the quiet scrape is not what the writers did"
            );
        }
    }
    report
}

/// Per key, the removals started and finished: a scrape that overlaps a removal sees it
/// started when it ends, and one that begins after it sees it finished.
struct Removals {
    started: Vec<AtomicU64>,
    finished: Vec<AtomicU64>,
}

impl Removals {
    fn new(keys: usize) -> Self {
        let counts = || (0..keys).map(|_| AtomicU64::new(0)).collect();
        Self {
            started: counts(),
            finished: counts(),
        }
    }
}

/// The counts `counts` (a [`Removals`]' `started` or `finished`) hold now.
fn read_counts(counts: &[AtomicU64]) -> Vec<u64> {
    counts
        .iter()
        .map(|count| count.load(Ordering::SeqCst))
        .collect()
}

/// What the writers and the scraper share.
struct Shared {
    /// Per key, the removals started and finished.
    removals: Arc<Removals>,
    /// Set when the scraper is done.
    stop: Arc<AtomicBool>,
    /// How many writers have made their minimum of operations.
    warmed_up: Arc<AtomicUsize>,
}

/// One writer: keys `k` with `k % writers == writer`, in a pseudo-random order, added
/// to or removed, until it has made its minimum of operations and the scraper is done
/// (or the deadline); returns the values it left, its operations and removals.
fn write(
    subject: &dyn Subject,
    shared: &Shared,
    writer: usize,
    run: Run,
    deadline: Instant,
) -> (HashMap<usize, u64>, u64, u64) {
    let mine: Vec<usize> = (writer..subject.keys()).step_by(run.writers).collect();
    let mut values: HashMap<usize, u64> = HashMap::new();
    let (mut operations, mut removed) = (0, 0);
    let mut state = (writer as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    loop {
        if operations == run.min_operations {
            shared.warmed_up.fetch_add(1, Ordering::SeqCst);
        }
        if operations >= run.min_operations && shared.stop.load(Ordering::SeqCst)
            || operations % 256 == 0 && Instant::now() >= deadline
        {
            break;
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let key = mine[usize::try_from(state % mine.len() as u64).expect("fits")];
        operations += 1;
        if subject.can_remove() && state % run.remove_one_in == 0 {
            shared.removals.started[key].fetch_add(1, Ordering::SeqCst);
            subject.remove(key);
            shared.removals.finished[key].fetch_add(1, Ordering::SeqCst);
            values.remove(&key);
            removed += 1;
        } else {
            let value = values.entry(key).or_insert(0);
            // A key's first addition names it; an expiring family may have dropped the
            // series since, which then counts from this `STEP`.
            let amount = if *value == 0 {
                expected_residue(key)
            } else {
                STEP
            };
            subject.add(key, amount);
            *value += amount;
        }
    }
    (values, operations, removed)
}

/// Checks that `value` is one key `key`'s series can have.
fn check_value(subject: &dyn Subject, key: usize, value: u64, format: Format) {
    let residue = value % STEP;
    let fine =
        value == 0 || residue == expected_residue(key) % STEP || subject.expires() && residue == 0;
    assert!(
        fine,
        "{format:?}: {:?} shows {value}, which is not a value of that series (a value under another series' labels?)",
        subject.labels(key)
    );
}

/// The series of counter family `family` in one scrape of `registry` in `format`, as
/// sorted label pairs and values.
///
/// # Panics
///
/// If the exposition is invalid, holds a series twice, or a value that is not a whole
/// counter.
pub fn scrape(
    registry: &Registry,
    family: &str,
    format: Format,
) -> Vec<(Vec<(String, String)>, u64)> {
    let mut out = Vec::new();
    registry
        .encode(format, &mut out)
        .expect("the scrape encodes");
    let series: Vec<(Vec<(String, String)>, f64)> = match format {
        Format::Protobuf => proto::decode(&out)
            .into_iter()
            .filter(|f| {
                let name = f.name.as_deref().unwrap_or_default();
                name == family || name.strip_suffix("_total") == Some(family)
            })
            .flat_map(|f| f.metric)
            .map(|metric| {
                let labels = metric
                    .label
                    .iter()
                    .map(|p| {
                        (
                            p.name.clone().unwrap_or_default(),
                            p.value.clone().unwrap_or_default(),
                        )
                    })
                    .collect();
                let value = metric
                    .counter
                    .and_then(|c| c.value)
                    .expect("a counter value");
                (labels, value)
            })
            .collect(),
        text_format => {
            let syntax = if text_format == Format::Text {
                Syntax::Text
            } else {
                Syntax::OpenMetrics
            };
            let text = String::from_utf8(out).expect("a text exposition is UTF-8");
            let exposition = parse(&text, syntax)
                .unwrap_or_else(|e| panic!("{text_format:?} exposition invalid: {e}\n{text}"));
            let total = format!("{family}_total");
            exposition
                .families
                .into_iter()
                // The text format names a counter family by its sample name.
                .filter(|f| f.name == family || f.name == total)
                .flat_map(|f| f.samples)
                .filter(|s| s.name == total)
                .map(|s| (s.labels, s.value))
                .collect()
        }
    };
    let mut seen = HashSet::new();
    series
        .into_iter()
        .map(|(labels, value)| {
            let labels = sorted(labels);
            assert!(
                seen.insert(labels.clone()),
                "{format:?}: {labels:?} twice in one scrape"
            );
            assert!(
                value >= 0.0 && value.fract() == 0.0 && value < 2f64.powi(53),
                "{format:?}: {labels:?} counter value {value}"
            );
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked whole and in range"
            )]
            let whole = value as u64;
            (labels, whole)
        })
        .collect()
}

/// `pairs` sorted by name: an identity.
fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}
