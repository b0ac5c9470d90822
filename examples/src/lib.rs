//! Runnable example applications for prom-kit; each binary in `src/bin` is one scenario.
