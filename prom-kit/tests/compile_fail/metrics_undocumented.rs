#[derive(prom_kit::Metrics)]
struct Undocumented {
    jobs: prom_kit::Counter,
}

fn main() {}
