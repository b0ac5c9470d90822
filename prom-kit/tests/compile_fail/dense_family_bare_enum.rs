use prom_kit::{Counter, DenseFamily, LabelValue};

#[derive(Clone, Copy, LabelValue)]
enum Method {
    Get,
    Post,
}

fn main() {
    let family: DenseFamily<Counter, Method> = DenseFamily::new(["method"]).unwrap();
    family.labels(Method::Get).inc();
}
