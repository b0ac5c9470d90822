//! Arbitrary facade names, label names and values (any Unicode, control characters,
//! empty, long), through every metric type, in a legacy and a UTF-8 registry: no call
//! panics, and every exposition — text, OpenMetrics, protobuf — stays valid, whatever
//! was refused.

use metrics::{Key, Label, Recorder};
use prom_kit::testing::{Syntax, parse};
use prom_kit::{Format, NameValidation, Registry};
use prom_kit_metrics::PromKitRecorder;
use proptest::prelude::*;

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "[a-z_.:0-9-]{0,12}",
        "[\\x00-\\x1f\\x7f\"\\\\{}=,]{0,8}",
        Just(String::new()),
        Just("__name__".to_owned()),
        Just("le".to_owned()),
        Just("quantile".to_owned()),
        Just("x".repeat(70_000)),
    ]
}

#[derive(Debug, Clone)]
struct Call {
    name: String,
    labels: Vec<(String, String)>,
    kind: u8,
    value: f64,
}

fn call() -> impl Strategy<Value = Call> {
    (
        hostile_string(),
        prop::collection::vec((hostile_string(), hostile_string()), 0..4),
        0u8..3,
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0)
        ],
    )
        .prop_map(|(name, labels, kind, value)| Call {
            name,
            labels,
            kind,
            value,
        })
}

fn record(recorder: &dyn Recorder, call: &Call) {
    let labels: Vec<Label> = call
        .labels
        .iter()
        .map(|(k, v)| Label::new(k.clone(), v.clone()))
        .collect();
    let key = Key::from_parts(call.name.clone(), labels);
    let metadata = metrics::Metadata::new("hostile", metrics::Level::INFO, None);
    match call.kind {
        0 => recorder
            .register_counter(&key, &metadata)
            .increment(call.value.to_bits() >> 20),
        1 => recorder.register_gauge(&key, &metadata).set(call.value),
        _ => recorder
            .register_histogram(&key, &metadata)
            .record(call.value),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_call_leaves_every_exposition_valid(
        calls in prop::collection::vec(call(), 1..24),
        utf8 in any::<bool>(),
    ) {
        let registry = if utf8 {
            Registry::with_name_validation(NameValidation::Utf8)
        } else {
            Registry::new()
        };
        let recorder = PromKitRecorder::builder(&registry).build().unwrap();
        for call in &calls {
            record(&recorder, call);
        }
        let text = registry.encode_text().unwrap();
        parse(&text, Syntax::Text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        let openmetrics = String::from_utf8(registry.render(Format::OpenMetrics).unwrap()).unwrap();
        parse(&openmetrics, Syntax::OpenMetrics)
            .map_err(|e| TestCaseError::fail(format!("{e:?}\n{openmetrics}")))?;
        let protobuf = registry.render(Format::Protobuf).unwrap();
        prop_assert!(!prom_kit_test_support::proto::decode(&protobuf).is_empty());
    }
}
