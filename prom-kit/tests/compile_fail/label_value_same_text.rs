#[derive(Clone, Copy, prom_kit::LabelValue)]
#[label(rename_all = "lowercase")]
enum Clash {
    Get,
    #[label(rename = "get")]
    Fetch,
}

fn main() {}
