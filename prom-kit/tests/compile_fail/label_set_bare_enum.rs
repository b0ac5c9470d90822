use prom_kit::{Counter, LabelValue, TypedFamily};

#[derive(Clone, Copy, LabelValue)]
enum Method {
    Get,
    Post,
}

fn main() {
    let family: TypedFamily<Method, Counter> = TypedFamily::new().unwrap();
    family.with(&Method::Get, Counter::inc);
}
