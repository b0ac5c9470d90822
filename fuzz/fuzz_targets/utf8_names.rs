//! A UTF-8 registry filled with arbitrary metric names, label names, label values and an
//! info metric's rendered pairs from a collector, encoded under every escaping scheme in
//! every format: never a panic; every escaped text exposition (underscores, dots,
//! values) reads back with the strict legacy reader, so a UTF-8 name can never make an
//! older scraper reject a scrape, and every `allow-utf-8` one with the strict reader of
//! Prometheus 3's quoted syntax, and no escaped label name starts with `__` (reserved);
//! escaped names are legacy names, and the `values` escaping never writes two names
//! alike.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use prom_kit::encoding::EscapingScheme;
use prom_kit::snapshot::Snapshot;
use prom_kit::{
    Collector, CollectorOutput, Counter, Descriptor, Family, Format, Gauge, MetricType,
    NameValidation, Registry,
};
use prom_kit_fuzz::{read_exposition, read_exposition_utf8, read_protobuf};

#[derive(Debug, Arbitrary)]
struct FamilyDef<'a> {
    name: &'a str,
    labels: Vec<&'a str>,
    values: Vec<&'a str>,
    counter: bool,
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    families: Vec<FamilyDef<'a>>,
    target: Vec<(&'a str, &'a str)>,
    /// A collector's info family: its name and its pairs as rendered text.
    info: Option<(&'a str, &'a str)>,
}

/// A collector writing one info family whose rendered pairs are the fuzzer's.
struct RawInfo {
    name: String,
    pairs: String,
}

impl Collector for RawInfo {
    fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
        let descriptor = Descriptor::new(&self.name, "Raw info.", MetricType::Info)?;
        out.family(&descriptor)
            .series(&[] as &[&str], Snapshot::Info(&self.pairs))
    }
}

/// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn legacy(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fuzz_target!(|input: Input<'_>| {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    for def in input.families.iter().take(8) {
        let values: Vec<&str> = def
            .labels
            .iter()
            .enumerate()
            .map(|(i, _)| def.values.get(i).copied().unwrap_or(""))
            .collect();
        if def.counter {
            let Ok(family) = Family::<Counter>::new(def.labels.iter().copied()) else {
                continue;
            };
            if registry.register(def.name, "C.", family.clone()).is_ok() {
                let _ = family.labels(&values).map(|c| c.inc());
            }
        } else {
            let Ok(family) = Family::<Gauge>::new(def.labels.iter().copied()) else {
                continue;
            };
            if registry.register(def.name, "G.", family.clone()).is_ok() {
                let _ = family.labels(&values).map(|g| g.set(1.5));
            }
        }
    }
    let _ = registry.set_target_info(input.target.iter().copied());
    if let Some((name, pairs)) = input.info {
        registry.register_collector(RawInfo {
            name: name.to_owned(),
            pairs: pairs.to_owned(),
        });
    }

    for scheme in [
        EscapingScheme::AllowUtf8,
        EscapingScheme::Underscores,
        EscapingScheme::Dots,
        EscapingScheme::Values,
    ] {
        for format in [Format::Text, Format::OpenMetrics, Format::Protobuf] {
            let mut out = Vec::new();
            // A refused collector is an error; the rest is still a valid exposition.
            let _ = registry.encode(
                prom_kit::EncodeOptions::new(format).escaping(scheme),
                &mut out,
            );
            if format == Format::Protobuf {
                // The reader holds protobuf names to the legacy rules too.
                if scheme != EscapingScheme::AllowUtf8 {
                    if let Err(why) = read_protobuf(&out) {
                        panic!("{scheme:?} protobuf: {why}");
                    }
                }
                continue;
            }
            let text = String::from_utf8(out).expect("UTF-8 exposition");
            let openmetrics = format == Format::OpenMetrics;
            let read = if scheme == EscapingScheme::AllowUtf8 {
                read_exposition_utf8(&text, openmetrics)
            } else {
                read_exposition(&text, openmetrics)
            };
            let samples = match read {
                Ok(samples) => samples,
                Err(why) => panic!("{scheme:?} {format:?}: {why}\n{text}"),
            };
            // No scheme writes an accepted label name as a reserved one (Python's
            // parser refuses the whole exposition then).
            if scheme != EscapingScheme::AllowUtf8 {
                for sample in &samples {
                    if let Some(name) = sample.labels.keys().find(|n| n.starts_with("__")) {
                        panic!("{scheme:?} {format:?}: reserved label {name:?}\n{text}");
                    }
                }
            }
        }
    }

    let names: Vec<&str> = input.families.iter().map(|f| f.name).collect();
    for (i, a) in names.iter().enumerate() {
        for scheme in [
            EscapingScheme::Underscores,
            EscapingScheme::Dots,
            EscapingScheme::Values,
        ] {
            let escaped = scheme.escape_metric_name(a);
            assert!(
                a.is_empty() || legacy(&escaped),
                "{scheme:?} {a:?} -> {escaped:?}"
            );
        }
        for b in &names[..i] {
            if a != b && !legacy(a) && !legacy(b) {
                assert_ne!(
                    EscapingScheme::Values.escape_metric_name(a),
                    EscapingScheme::Values.escape_metric_name(b),
                    "{a:?} {b:?}"
                );
            }
        }
    }
});
