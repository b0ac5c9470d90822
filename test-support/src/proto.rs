//! The `io.prometheus.client` messages of `metrics.proto` that the tests read, with the
//! field numbers of the `.proto` file; fields the tests do not read are skipped by prost.
#![allow(
    missing_docs,
    reason = "the messages and fields are those of metrics.proto, documented there"
)]

use prost::Message;

#[derive(Clone, PartialEq, Message)]
pub struct MetricFamily {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// `MetricType`: 0 counter, 1 gauge, 2 summary, 3 untyped, 4 histogram.
    #[prost(int32, optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(message, repeated, tag = "4")]
    pub metric: Vec<Metric>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Metric {
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    #[prost(message, optional, tag = "3")]
    pub counter: Option<Value>,
    #[prost(message, optional, tag = "7")]
    pub histogram: Option<Histogram>,
}

#[derive(Clone, PartialEq, Message)]
pub struct LabelPair {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `Counter` (and `Gauge`, `Untyped`): the value is field 1.
#[derive(Clone, PartialEq, Message)]
pub struct Value {
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Histogram {
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    #[prost(message, repeated, tag = "3")]
    pub bucket: Vec<Bucket>,
    #[prost(sint32, optional, tag = "5")]
    pub schema: Option<i32>,
    #[prost(uint64, optional, tag = "7")]
    pub zero_count: Option<u64>,
    #[prost(message, repeated, tag = "12")]
    pub positive_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, packed = "false", tag = "13")]
    pub positive_delta: Vec<i64>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Bucket {
    #[prost(uint64, optional, tag = "1")]
    pub cumulative_count: Option<u64>,
    #[prost(double, optional, tag = "2")]
    pub upper_bound: Option<f64>,
}

#[derive(Clone, PartialEq, Message)]
pub struct BucketSpan {
    #[prost(sint32, optional, tag = "1")]
    pub offset: Option<i32>,
    #[prost(uint32, optional, tag = "2")]
    pub length: Option<u32>,
}

/// Decodes a whole delimited scrape; checks that family names and, within a family,
/// label sets are unique.
///
/// # Panics
///
/// If the bytes are not delimited `MetricFamily` messages, or a family or series
/// repeats.
pub fn decode(mut bytes: &[u8]) -> Vec<MetricFamily> {
    let mut families: Vec<MetricFamily> = Vec::new();
    while !bytes.is_empty() {
        let family = MetricFamily::decode_length_delimited(&mut bytes)
            .unwrap_or_else(|e| panic!("not a delimited MetricFamily: {e}"));
        let name = family.name.clone().unwrap_or_default();
        assert!(
            !families.iter().any(|f| f.name == family.name),
            "family {name} twice"
        );
        let mut seen = std::collections::HashSet::new();
        for metric in &family.metric {
            let pairs: Vec<(Option<String>, Option<String>)> = metric
                .label
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect();
            assert!(seen.insert(pairs.clone()), "{name}: series {pairs:?} twice");
        }
        families.push(family);
    }
    families
}

/// The value of label `name` of `metric`.
pub fn label<'a>(metric: &'a Metric, name: &str) -> Option<&'a str> {
    metric
        .label
        .iter()
        .find(|p| p.name.as_deref() == Some(name))
        .and_then(|p| p.value.as_deref())
}
