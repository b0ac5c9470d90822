//! Criterion benchmarks of prom-kit; see `benches/`.
