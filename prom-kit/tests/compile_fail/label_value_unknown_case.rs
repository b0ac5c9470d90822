#[derive(Clone, Copy, prom_kit::LabelValue)]
#[label(rename_all = "Title Case")]
enum Method {
    Get,
}

fn main() {}
