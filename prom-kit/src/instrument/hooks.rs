//! [`HookRunner`]: calls the application's hooks (a middleware's extra-labels and
//! exemplar hooks, a gRPC layer's exemplar hook) on a request, so that a hook's panic
//! costs only what the hook would have added: the request is served and recorded
//! without it, and the panic counted.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use crate::{Counter, Family, Registry};

/// The family counting hook panics, by hook.
const NAME: &str = "prom_kit_hook_errors";
/// Its help; the same for every metric set, so that they share one family.
const HELP: &str = "Calls into the application's request hooks that panicked, by hook (extra_labels, exemplar); the request was served and recorded without the hook's output.";

/// Runs hooks for one metric set, and counts their panics in
/// `prom_kit_hook_errors_total{hook}` of the registry view the set registered in. The
/// family is registered at the first panic, so that an application whose hooks never
/// panic exposes nothing more.
#[derive(Debug)]
pub(crate) struct HookRunner {
    registry: Registry,
    /// The family, once a panic registered it (`None` if its name is taken otherwise).
    errors: OnceLock<Option<Family<Counter>>>,
}

impl HookRunner {
    /// Counts hook panics in `registry` (the view the metric set registered in).
    pub(crate) fn new(registry: &Registry) -> Self {
        Self {
            registry: registry.clone(),
            errors: OnceLock::new(),
        }
    }

    /// Calls `call`, the hook named `hook`; `None` if it panicked (counted).
    pub(crate) fn run<T>(&self, hook: &'static str, call: impl FnOnce() -> T) -> Option<T> {
        // Nothing the hook could have left half-changed is read afterwards: its output
        // is dropped, the request it read is only read.
        let value = catch_unwind(AssertUnwindSafe(call)).ok();
        if value.is_none() {
            self.count(hook);
        }
        value
    }

    /// Counts one panic of `hook`.
    fn count(&self, hook: &'static str) {
        let errors = self.errors.get_or_init(|| {
            let family = Family::<Counter>::new(["hook"]).ok()?;
            self.registry.get_or_register(NAME, HELP, family).ok()
        });
        if let Some(counter) = errors.as_ref().and_then(|f| f.labels(&[hook]).ok()) {
            counter.inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_are_counted_by_hook_in_one_shared_family() {
        let registry = Registry::new();
        let (first, second) = (HookRunner::new(&registry), HookRunner::new(&registry));
        assert_eq!(first.run("exemplar", || 7), Some(7));
        assert_eq!(registry.encode_text().unwrap(), "", "nothing until a panic");
        assert_eq!(first.run("exemplar", || -> u8 { panic!("hook bug") }), None);
        assert_eq!(
            second.run("extra_labels", || -> u8 { panic!("hook bug") }),
            None
        );
        assert_eq!(
            second.run("exemplar", || -> u8 { panic!("hook bug") }),
            None
        );
        let text = registry.encode_text().unwrap();
        assert!(
            text.contains("prom_kit_hook_errors_total{hook=\"exemplar\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("prom_kit_hook_errors_total{hook=\"extra_labels\"} 1\n"),
            "{text}"
        );
    }

    #[test]
    fn a_taken_name_leaves_panics_uncounted_but_contained() {
        let registry = Registry::new();
        registry
            .register(NAME, "Someone else's.", crate::Gauge::new())
            .unwrap();
        let runner = HookRunner::new(&registry);
        assert_eq!(
            runner.run("exemplar", || -> u8 { panic!("hook bug") }),
            None
        );
        assert!(!registry.encode_text().unwrap().contains("hook=\""));
    }
}
