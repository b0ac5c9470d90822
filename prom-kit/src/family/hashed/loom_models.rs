use super::*;
use crate::Counter;

/// The generation protocol of the per-thread lookup caches: once a removal has
/// happened, no thread's cache answers with the removed series, in any interleaving
/// of a removal with cached and uncached lookups.
#[test]
fn loom_removals_void_cached_lookups() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.max_branches = 1_000_000;
    builder.check(|| {
        let family: Family<Counter> = Family::new(["k"]).unwrap();
        // Cached on this thread.
        family.with_static(&["a"], Counter::inc).unwrap();
        let remover = {
            let family = family.clone();
            loom::thread::spawn(move || {
                assert!(family.remove(&["a"]).unwrap());
            })
        };
        // Races the removal: the cached series, or a fresh one.
        family.with_static(&["a"], Counter::inc).unwrap();
        remover.join().unwrap();
        // After the removal, a lookup reaches the exposed series, never the removed.
        family.with_static(&["a"], |c| c.inc_by(100)).unwrap();
        let exposed = family.get(&["a"]).unwrap().map_or(0.0, |c| c.get());
        assert!(exposed >= 100.0, "a cached lookup reached a removed series");
        assert!(family.len() <= 1);
    });
}
