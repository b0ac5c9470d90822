#[derive(prom_kit::LabelSet)]
struct Typo {
    #[label(rename = "route")]
    path: String,
}

fn main() {}
