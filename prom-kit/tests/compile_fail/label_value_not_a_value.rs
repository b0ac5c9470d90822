use prom_kit::{Counter, Family};

struct Tenant(u32);

fn main() {
    let family: Family<Counter> = Family::new(["tenant"]).unwrap();
    family.with(&[Tenant(1)], Counter::inc).unwrap();
}
