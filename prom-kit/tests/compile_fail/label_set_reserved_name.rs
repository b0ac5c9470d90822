#[derive(prom_kit::LabelSet)]
struct Reserved {
    #[label(name = "__name__")]
    name: String,
}

fn main() {}
