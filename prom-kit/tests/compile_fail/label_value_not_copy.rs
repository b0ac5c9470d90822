#[derive(prom_kit::LabelValue)]
enum Method {
    Get,
}

fn main() {}
