#[derive(Clone, Copy, prom_kit::LabelValue)]
enum Nothing {}

fn main() {}
