#[derive(prom_kit::LabelSet)]
struct Measured {
    ratio: f64,
}

fn main() {}
