use prom_kit::{CompactFamily, Counter, DenseFamily, Family, Gauge, Metrics};

#[derive(Metrics)]
struct Requests {
    /// Requests, by what?
    requests: Family<Counter>,
}

#[derive(Metrics)]
struct Views {
    /// Views, by what?
    views: CompactFamily<Counter>,
}

#[derive(Metrics)]
struct Flags {
    /// Flags, by what?
    flags: DenseFamily<Gauge, (bool,)>,
}

fn main() {}
