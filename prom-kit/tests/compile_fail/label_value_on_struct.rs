#[derive(prom_kit::LabelValue)]
struct NotAnEnum {
    text: String,
}

fn main() {}
