#[derive(Clone, Copy, prom_kit::LabelValue)]
enum Carries {
    Plain,
    Data(u8),
}

fn main() {}
