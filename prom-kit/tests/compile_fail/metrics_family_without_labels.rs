use prom_kit::family::FixedArityFamily;
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

#[derive(Metrics)]
struct Calls {
    /// Calls, by what?
    calls: FixedArityFamily<Counter, 2>,
}

#[derive(Metrics)]
struct Miscounted {
    /// Two labels named, three expected.
    #[metric(labels = ["method", "status"])]
    calls: FixedArityFamily<Counter, 3>,
}

fn main() {}
