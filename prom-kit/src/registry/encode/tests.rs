//! The streamed encoding: drained pieces that add up to the plain exposition, cut only
//! where a scrape may cut.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use crate::EncodeOptions;
use crate::encoding::{EscapingScheme, Format, STREAM_LIMIT};
use crate::{Counter, Family, Histogram, Registry};

/// The exposition of `registry` in `format`, and the pieces a streamed encoding of it
/// drained.
fn plain_and_pieces(registry: &Registry, format: Format) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut plain = Vec::new();
    registry.encode(format, &mut plain).unwrap();
    let mut pieces = Vec::new();
    let mut out = Vec::new();
    registry
        .encode_selected(
            format,
            EscapingScheme::Underscores,
            None,
            None,
            &mut out,
            Some(&mut |piece: &mut Vec<u8>| pieces.push(std::mem::take(piece))),
        )
        .unwrap();
    assert!(out.is_empty(), "everything is drained at the end");
    (plain, pieces)
}

/// One family of `series` counters with 60-odd bytes of labels each.
fn counters(series: u64) -> Family<Counter> {
    let family: Family<Counter> = Family::builder(["path", "tenant"])
        .max_series(None)
        .build()
        .unwrap();
    for i in 0..series {
        family
            .labels(&[format!("/api/v1/items/{i}/details"), format!("t{}", i % 7)])
            .unwrap()
            .inc_by(i);
    }
    family
}

/// The most one series of these tests writes (a histogram's lines).
const ONE_SERIES: usize = 2 << 10;

#[test]
fn one_large_text_family_is_streamed_in_bounded_pieces() {
    let registry = Registry::new();
    registry
        .register("small_before", "A.", Counter::new())
        .unwrap();
    registry
        .register("requests", "Requests.", counters(20_000))
        .unwrap();
    registry
        .register("small_z_after", "Z.", Counter::new())
        .unwrap();
    for format in [Format::Text, Format::OpenMetrics] {
        let (plain, pieces) = plain_and_pieces(&registry, format);
        assert!(plain.len() > 16 * STREAM_LIMIT, "{}", plain.len());
        assert_eq!(pieces.concat(), plain, "{format:?}");
        // The family was handed on while it was written, never held whole.
        assert!(
            pieces.len() > plain.len() / STREAM_LIMIT,
            "{}",
            pieces.len()
        );
        for piece in &pieces {
            assert!(piece.len() < STREAM_LIMIT + ONE_SERIES, "{}", piece.len());
            assert!(piece.ends_with(b"\n"), "cut between two lines");
        }
    }
}

#[test]
fn a_histogram_family_is_cut_between_series_only() {
    let registry = Registry::new();
    let family: Family<Histogram> = Family::new(["path"]).unwrap();
    for i in 0..3_000 {
        let histogram = family.labels(&[format!("/route/{i}")]).unwrap();
        histogram.observe(f64::from(i) / 1_000.0);
    }
    registry
        .register("latency_seconds", "Latency.", family)
        .unwrap();
    for format in [Format::Text, Format::OpenMetrics] {
        let (plain, pieces) = plain_and_pieces(&registry, format);
        assert_eq!(pieces.concat(), plain, "{format:?}");
        assert!(pieces.len() > 2, "{}", pieces.len());
        // OpenMetrics' last line comes after the family, on its own.
        for piece in pieces[1..].iter().filter(|p| p.as_slice() != b"# EOF\n") {
            let text = std::str::from_utf8(piece).unwrap();
            let first = text.lines().next().unwrap();
            assert!(
                first.starts_with("latency_seconds_bucket{") && first.contains("le=\"0.005\""),
                "a piece starts with a series' first bucket: {first}"
            );
        }
    }
}

#[cfg(feature = "protobuf")]
#[test]
fn a_large_protobuf_family_is_streamed_as_several_messages_of_it() {
    use prost::Message;

    use crate::encoding::protobuf::proto;

    /// The delimited messages of `bytes`.
    fn decode(mut bytes: &[u8]) -> Vec<proto::MetricFamily> {
        let mut families = Vec::new();
        while !bytes.is_empty() {
            families.push(proto::MetricFamily::decode_length_delimited(&mut bytes).unwrap());
        }
        families
    }

    let registry = Registry::new();
    registry.register("a_before", "A.", Counter::new()).unwrap();
    registry
        .register_with_unit("requests", "Requests.", "bytes", counters(20_000))
        .unwrap();
    registry.register("z_after", "Z.", Counter::new()).unwrap();
    let (plain, pieces) = plain_and_pieces(&registry, Format::Protobuf);
    let whole = decode(&plain);
    assert_eq!(whole.len(), 3);
    assert!(
        pieces.len() > plain.len() / STREAM_LIMIT,
        "{}",
        pieces.len()
    );
    let mut messages = Vec::new();
    for piece in &pieces {
        assert!(piece.len() < STREAM_LIMIT + ONE_SERIES, "{}", piece.len());
        // Each piece is whole messages.
        messages.extend(decode(piece));
    }
    let parts: Vec<&proto::MetricFamily> = messages
        .iter()
        .filter(|m| m.name.as_deref() == Some("requests_bytes_total"))
        .collect();
    assert!(parts.len() > 1, "{}", parts.len());
    let mut series = Vec::new();
    for part in &parts {
        assert!(!part.metric.is_empty());
        assert_eq!(
            (&part.help, part.r#type, &part.unit),
            (&whole[1].help, whole[1].r#type, &whole[1].unit)
        );
        series.extend(part.metric.iter().cloned());
    }
    // Together they are the family, series for series, in the same order.
    assert_eq!(series, whole[1].metric);
    assert_eq!(messages.first(), whole.first());
    assert_eq!(messages.last(), whole.last());
}

#[test]
fn a_family_changing_while_it_is_streamed_gives_whole_lines() {
    let registry = Registry::new();
    let family = counters(8_000);
    registry
        .register("requests", "Requests.", family.clone())
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(3));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (family, stop, start) = (family.clone(), stop.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut n = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    let values = [format!("/churn/{w}/{}", n % 500), "tx".to_owned()];
                    family.labels(&values).unwrap().inc();
                    if n % 3 == 0 {
                        family.remove(&values).unwrap();
                    }
                    n += 1;
                }
            })
        })
        .collect();
    start.wait();
    for _ in 0..20 {
        let (_, pieces) = plain_and_pieces(&registry, Format::Text);
        let body = String::from_utf8(pieces.concat()).unwrap();
        assert!(pieces.iter().all(|p| p.ends_with(b"\n")));
        let samples = body.lines().filter(|l| !l.starts_with('#'));
        let mut count = 0;
        for line in samples {
            assert!(line.starts_with("requests_total{path=\""), "{line}");
            assert!(
                line.rsplit(' ').next().unwrap().parse::<f64>().is_ok(),
                "{line}"
            );
            count += 1;
        }
        assert!(
            count >= 8_000,
            "the series never removed are all there: {count}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
}

/// A UTF-8 registry of a gauge named outside the legacy set and a counter.
fn utf8_registry() -> Registry {
    let registry = Registry::with_name_validation(crate::NameValidation::Utf8);
    registry
        .register("pool.size", "Size.", crate::Gauge::new())
        .unwrap();
    registry.register("jobs", "Jobs.", Counter::new()).unwrap();
    registry
}

fn text(registry: &Registry, options: EncodeOptions<'_>) -> String {
    String::from_utf8(registry.render(options).unwrap()).unwrap()
}

#[test]
fn a_format_alone_is_the_default_options() {
    let registry = utf8_registry();
    let plain = String::from_utf8(registry.render(Format::Text).unwrap()).unwrap();
    assert_eq!(plain, text(&registry, EncodeOptions::new(Format::Text)));
    assert_eq!(
        plain,
        text(
            &registry,
            EncodeOptions::new(Format::Text).escaping(EscapingScheme::Underscores)
        )
    );
    assert_eq!(
        plain,
        "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 0\n\
         # HELP pool_size Size.\n# TYPE pool_size gauge\npool_size 0\n"
    );
    assert_eq!(registry.encode_text().unwrap(), plain);
}

#[test]
fn names_select_as_the_chosen_escaping_writes_them() {
    let registry = utf8_registry();
    let underscores = EncodeOptions::new(Format::Text).names(&["pool_size"]);
    assert_eq!(
        text(&registry, underscores),
        "# HELP pool_size Size.\n# TYPE pool_size gauge\npool_size 0\n"
    );
    // Quoted as registered, the family is not called `pool_size`.
    let quoted = underscores.escaping(EscapingScheme::AllowUtf8);
    assert_eq!(text(&registry, quoted), "");
    assert_eq!(
        text(&registry, quoted.names(&["pool.size"])),
        "# HELP \"pool.size\" Size.\n# TYPE \"pool.size\" gauge\n{\"pool.size\"} 0\n"
    );
}

#[test]
fn an_empty_name_list_selects_nothing() {
    let registry = utf8_registry();
    let none = EncodeOptions::new(Format::OpenMetrics).names(&[]);
    assert_eq!(text(&registry, none), "# EOF\n");
}

#[test]
fn encode_appends_and_render_starts_afresh() {
    let registry = Registry::new();
    registry.register("jobs", "Jobs.", Counter::new()).unwrap();
    let mut out = b"kept\n".to_vec();
    registry.encode(Format::Text, &mut out).unwrap();
    let rendered = registry.render(Format::Text).unwrap();
    assert_eq!(out, [b"kept\n".as_slice(), &rendered].concat());
    assert_eq!(
        EncodeOptions::from(Format::OpenMetrics).format(),
        Format::OpenMetrics
    );
}
