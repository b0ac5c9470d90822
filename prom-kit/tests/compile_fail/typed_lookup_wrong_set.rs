use prom_kit::{Counter, LabelSet, TypedFamily};

#[derive(LabelSet)]
struct Route {
    route: &'static str,
}

#[derive(LabelSet)]
struct Tenant {
    tenant: &'static str,
}

fn main() {
    let family: TypedFamily<Route, Counter> = TypedFamily::new().unwrap();
    family.with(&Tenant { tenant: "acme" }, Counter::inc);
}
