//! `prom_kit::testing::parse` on arbitrary text, as both formats: never a panic; an
//! accepted exposition holds only valid names — legacy ones (checked by the fuzz crate's
//! own, independent rules) or, quoted as Prometheus 3 writes them, any non-empty text —
//! no label repeated in a sample, and every sample in a family whose name starts its own.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prom_kit::testing::{Syntax, parse};
use prom_kit_fuzz::{is_label_name, is_metric_name};

fuzz_target!(|text: &str| {
    for syntax in [Syntax::Text, Syntax::OpenMetrics] {
        let Ok(exposition) = parse(text, syntax) else {
            continue;
        };
        for family in &exposition.families {
            assert!(
                is_metric_name(&family.name) || !family.name.is_empty(),
                "{family:?}"
            );
            for sample in &family.samples {
                assert!(
                    is_metric_name(&sample.name) || !sample.name.is_empty(),
                    "{sample:?}"
                );
                assert!(sample.name.starts_with(&family.name), "{family:?}");
                for (name, _) in &sample.labels {
                    assert!(!name.is_empty(), "{sample:?}");
                    let escaped = name.contains(['"', '\\', '\n']);
                    let bare = !escaped && !text.contains(&format!("\"{name}\"="));
                    assert!(!bare || is_label_name(name), "{sample:?}");
                }
                let mut names: Vec<&str> = sample.labels.iter().map(|(n, _)| n.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                assert_eq!(
                    names.len(),
                    sample.labels.len(),
                    "a repeated label: {sample:?}"
                );
            }
        }
    }
});
