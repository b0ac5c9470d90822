use prom_kit::{Counter, Family};

fn main() {
    let family: Family<Counter> = Family::new(["method"]).unwrap();
    family.labels("GET").unwrap().inc();
}
