#[derive(prom_kit::LabelSet)]
struct Positional(&'static str, u16);

fn main() {}
