#[derive(prom_kit::LabelSet)]
struct Empty {}

fn main() {}
