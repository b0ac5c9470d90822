//! Property tests: for arbitrary label values and help strings, the exposition always
//! passes the real parsers (promtool, Python's text and strict OpenMetrics parsers) and
//! they read back exactly the values and help that were recorded.

mod support;

use prom_kit::{Counter, Family, Gauge, Registry};
use proptest::prelude::*;
use support::{find_sample, promtool, promtool_check, python, python_parse};

/// Arbitrary Unicode text, biased towards the characters that need escaping.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just('\\'),
                Just('"'),
                Just('\n'),
                Just(','),
                Just('='),
                Just('{'),
                Just('}'),
                Just(' '),
                Just('#'),
                Just('\t'),
                Just('é'),
                Just('日'),
                Just('n'),
                Just('a'),
            ],
            0..12
        )
        .prop_map(|chars| chars.into_iter().collect()),
    ]
}

fn build(help: &str, series: &[(String, String, u64)], gauge_value: f64) -> Registry {
    let registry = Registry::new();
    let family: Family<Counter> = Family::new(["first", "second"]).unwrap();
    for (a, b, n) in series {
        family.labels(&[a, b]).unwrap().inc_by(*n);
    }
    registry.register("prop_events", help, family).unwrap();
    let gauge = Gauge::new();
    gauge.set(gauge_value);
    registry.register("prop_level", help, gauge).unwrap();
    registry
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_labels_and_help_round_trip(
        // Never empty: promtool lints a family without help (covered elsewhere).
        help in tricky_string().prop_map(|h| format!("Help: {h}")),
        series in proptest::collection::vec((tricky_string(), tricky_string(), 0u64..1_000_000), 1..6),
        gauge_value in any::<f64>(),
    ) {
        let (Some(python), Some(promtool)) = (python(), promtool()) else { return Ok(()) };
        // Later duplicates of a label pair add to the same series.
        let mut expected: Vec<(String, String, u64)> = Vec::new();
        for (a, b, n) in &series {
            match expected.iter_mut().find(|(x, y, _)| x == a && y == b) {
                Some(entry) => entry.2 += n,
                None => expected.push((a.clone(), b.clone(), *n)),
            }
        }
        let registry = build(&help, &series, gauge_value);
        let text = registry.encode_text().unwrap();
        promtool_check(&promtool, &text).map_err(TestCaseError::fail)?;
        for openmetrics in [false, true] {
            let exposition = if openmetrics { String::from_utf8(registry.render(prom_kit::Format::OpenMetrics).unwrap()).unwrap() } else { text.clone() };
            let families = python_parse(&python, &exposition, openmetrics).map_err(TestCaseError::fail)?;
            for (a, b, n) in &expected {
                let sample = find_sample(&families, "prop_events_total", &[("first", a), ("second", b)])
                    .ok_or_else(|| TestCaseError::fail(format!("series {a:?},{b:?} missing in\n{exposition}")))?;
                prop_assert_eq!(sample.value, *n as f64);
            }
            let level = find_sample(&families, "prop_level", &[])
                .ok_or_else(|| TestCaseError::fail("gauge missing"))?;
            prop_assert!(support::same_value(level.value, gauge_value), "{} vs {}", level.value, gauge_value);
            // The text format ignores trailing whitespace on a line (and Python's text
            // parser strips whatever `str.strip` calls whitespace), so a help text's
            // trailing blanks cannot survive it; OpenMetrics keeps them.
            let expected_help = if openmetrics {
                help.as_str()
            } else {
                // (`\n` is written as an escape, so it is not trailing whitespace.)
                help.trim_end_matches(|c: char| c != '\n' && (c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)))
            };
            for family in &families {
                prop_assert_eq!(&family.help, expected_help, "help of {}", family.name);
            }
        }
    }
}
