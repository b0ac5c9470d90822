#[derive(prom_kit::Metrics)]
struct Holds {
    /// Not a metric.
    name: String,
}

fn main() {}
