//! Escaping is checked against every scheme when a name is accepted: for generated UTF-8
//! metric and label names (families of every shape, a view's constant labels, target
//! info), whatever a UTF-8 registry accepts is written by `underscores`, `dots` and
//! `values` as legacy names that no scraper refuses — no label name starting with `__`
//! (reserved for Prometheus), no two labels of a series alike, no two families alike.
//! The same generated names are compared with Python's escaping in `utf8_python.rs`.
#![cfg(feature = "testing")]

use std::collections::BTreeSet;

use prom_kit::encoding::EscapingScheme;
use prom_kit::metrics::StateNames;
use prom_kit::testing::{Syntax, parse};
use prom_kit::{
    Buckets, Counter, Family, Format, Gauge, Histogram, NameValidation, Registry, StateSet,
};
use proptest::prelude::*;

const SCHEMES: [EscapingScheme; 3] = [
    EscapingScheme::Underscores,
    EscapingScheme::Dots,
    EscapingScheme::Values,
];

/// Names made of the characters escaping treats differently (legacy letters and digits,
/// `_`, `.`, `:`, the characters the formats quote, beyond ASCII), and arbitrary ones.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(
            prop_oneof![
                Just("a"), Just("Z"), Just("U"), Just("_"), Just("_"), Just("."), Just("-"),
                Just(":"), Just("9"), Just("é"), Just("花"), Just("🔥"), Just(" "), Just("\""),
                Just("{"), Just("le"), Just("name"), Just("_dot_"),
            ],
            1..7,
        )
        .prop_map(|parts| parts.concat()),
        1 => "\\PC{1,6}",
    ]
}

/// A family to register: its name, its shape, its label names.
#[derive(Debug, Clone)]
struct FamilyDef {
    name: String,
    shape: u8,
    labels: Vec<String>,
}

fn family_def() -> impl Strategy<Value = FamilyDef> {
    (
        name(),
        0u8..4,
        proptest::collection::vec(name(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(name, shape, mut labels, echo)| {
            // A label spelt like the name with `.` and `_` swapped: what a state set's
            // own label (its name) may be written like.
            if echo {
                labels.push(
                    name.chars()
                        .map(|c| match c {
                            '.' => '_',
                            '_' => '.',
                            c => c,
                        })
                        .collect(),
                );
            }
            FamilyDef {
                name,
                shape,
                labels,
            }
        })
}

/// Registers `def` through `view` as a gauge, counter, state set or histogram family;
/// `false` if refused.
fn register(view: &Registry, def: &FamilyDef) -> bool {
    let labels = def.labels.iter().map(String::as_str);
    let values: Vec<&str> = def.labels.iter().map(|_| "v").collect();
    match def.shape {
        0 => Family::<Gauge>::new(labels)
            .and_then(|f| {
                view.register(&def.name, "", f.clone())?;
                f.labels(&values).map(|g| g.set(1.0))
            })
            .is_ok(),
        1 => Family::<Counter>::new(labels)
            .and_then(|f| {
                view.register(&def.name, "", f.clone())?;
                f.labels(&values).map(|c| c.inc())
            })
            .is_ok(),
        2 => {
            let template = StateSet::new(["on", "off"]).unwrap();
            Family::<StateSet>::builder(labels)
                .options(StateNames::from_template(&template))
                .build()
                .and_then(|f| {
                    view.register(&def.name, "", f.clone())?;
                    f.labels(&values).map(drop)
                })
                .is_ok()
        }
        _ => Family::<Histogram>::builder(labels)
            .options(Buckets::new([1.0]).unwrap())
            .build()
            .and_then(|f| {
                view.register(&def.name, "", f.clone())?;
                f.labels(&values).map(|h| h.observe(0.5))
            })
            .is_ok(),
    }
}

/// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`.
fn legacy_label(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn legacy_metric(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Checks what every scheme writes of `registry`: every family once, every label name a
/// legacy one, not reserved, not repeated within its series.
fn check_escaped_expositions(registry: &Registry) -> Result<(), TestCaseError> {
    for scheme in SCHEMES {
        for (format, syntax) in [
            (Format::Text, Syntax::Text),
            (Format::OpenMetrics, Syntax::OpenMetrics),
        ] {
            let mut out = Vec::new();
            registry
                .encode(
                    prom_kit::EncodeOptions::new(format).escaping(scheme),
                    &mut out,
                )
                .unwrap();
            let text = String::from_utf8(out).unwrap();
            let exposition = parse(&text, syntax)
                .map_err(|e| TestCaseError::fail(format!("{scheme:?} {e}:\n{text}")))?;
            let mut families = BTreeSet::new();
            for family in &exposition.families {
                prop_assert!(
                    families.insert(family.name.as_str()),
                    "{scheme:?}: family {:?} written twice:\n{text}",
                    family.name
                );
                for sample in &family.samples {
                    prop_assert!(legacy_metric(&sample.name), "{scheme:?} {:?}", sample.name);
                    let mut names = BTreeSet::new();
                    for (label, _) in &sample.labels {
                        prop_assert!(legacy_label(label), "{scheme:?} label {label:?}");
                        prop_assert!(
                            !label.starts_with("__"),
                            "{scheme:?}: reserved label {label:?} in\n{text}"
                        );
                        prop_assert!(
                            names.insert(label.as_str()),
                            "{scheme:?}: label {label:?} twice in a series of\n{text}"
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every label name accepted is written by every scheme as a legacy, unreserved name.
    #[test]
    fn accepted_label_names_escape_to_unreserved_legacy_names(names in proptest::collection::vec(name(), 1..4)) {
        let Ok(family) = Family::<Gauge>::new(names.iter().map(String::as_str)) else {
            return Ok(());
        };
        for scheme in SCHEMES {
            let escaped: BTreeSet<String> =
                names.iter().map(|n| scheme.escape_label_name(n).into_owned()).collect();
            prop_assert_eq!(escaped.len(), names.len(), "{:?} {:?}", scheme, names);
            for name in &escaped {
                prop_assert!(legacy_label(name) && !name.starts_with("__"), "{:?} {:?}", scheme, name);
            }
        }
        drop(family);
    }

    /// Whatever a UTF-8 registry accepts (families of every shape, through a view with
    /// constant labels, target info), every scheme writes as a valid exposition without
    /// reserved, repeated or clashing names.
    #[test]
    fn accepted_registries_escape_without_reserved_or_clashing_names(
        defs in proptest::collection::vec(family_def(), 1..7),
        constant in proptest::collection::vec(name(), 0..2),
        target in proptest::collection::vec(name(), 0..3),
    ) {
        let registry = Registry::with_name_validation(NameValidation::Utf8);
        let view = registry
            .with_labels(constant.iter().map(|n| (n.as_str(), "c")))
            .unwrap_or_else(|_| registry.clone());
        for def in &defs {
            register(&view, def);
        }
        let _ = registry.set_target_info(target.iter().map(|n| (n.as_str(), "t")));
        check_escaped_expositions(&registry)?;
    }
}

/// Seeds the property tests cannot be relied on to hit: a state set whose name is
/// written like one of its family's labels, or like a constant label.
#[test]
fn state_set_names_clashing_with_labels_once_escaped_are_refused() {
    let registry = Registry::with_name_validation(NameValidation::Utf8);
    for (name, labels, constant) in [
        ("a.b", vec!["a_b"], None),
        ("a_b", vec!["a.b"], None),
        ("a.b", vec![], Some("a-b")),
        ("mode", vec!["x"], Some("mode")),
    ] {
        let view = match constant {
            Some(c) => registry.with_labels([(c, "c")]).unwrap(),
            None => registry.clone(),
        };
        let def = FamilyDef {
            name: name.into(),
            shape: 2,
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        };
        assert!(!register(&view, &def), "{name} {labels:?} {constant:?}");
    }
    check_escaped_expositions(&registry).unwrap();
}
