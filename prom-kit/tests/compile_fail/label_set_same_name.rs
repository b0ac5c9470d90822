#[derive(prom_kit::LabelSet)]
struct Twice {
    route: String,
    #[label(name = "route")]
    path: String,
}

fn main() {}
