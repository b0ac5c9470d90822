#[derive(prom_kit::Metrics)]
struct Typo {
    /// Jobs.
    #[metric(bucket = [1])]
    latency: prom_kit::Histogram,
}

fn main() {}
