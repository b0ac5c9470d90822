//! [`Register`]: what [`Registry::register`](crate::Registry::register) accepts, and how
//! each of those is read at scrape time.

use crate::encoding::FamilyWriter;
use crate::error::Result;
use crate::family::{
    CompactFamily, CompactMetric, DenseFamily, DenseTable, Family, TypedFamily, TypedStore, Visit,
};
use crate::labels::{FixedLabelSet, LabelSet};
use crate::metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, Info, Metric, MetricType, StateSet,
    StripedCounter, Summary,
};
use crate::snapshot::{CounterSnapshot, Number, Snapshot};

pub(crate) mod sealed {
    use super::{FamilyWriter, MetricType};

    /// The scrape-time side of a registered metric.
    pub trait Collect: Send + Sync + 'static {
        /// Writes every series.
        fn collect(&self, writer: &mut FamilyWriter<'_>) -> crate::Result<()>;

        /// Whether `collect` always succeeds: its output may then be streamed (handed
        /// on) before the family is complete.
        fn never_fails(&self) -> bool {
            false
        }

        /// Whether the family holds its overflow series: it has reached its
        /// `max_series` and new label values are folded into that one series.
        fn overflowed(&self) -> bool {
            false
        }
    }

    /// Keeps [`Register`](super::Register) implementable only inside prom-kit.
    pub trait Registrable: Clone + Send + Sync + 'static {
        /// The family type.
        fn metric_type(&self) -> MetricType;
        /// What the metric's children are made from (bucket bounds, state names), as
        /// text to compare: two registrations of the same name match only with equal
        /// options.
        fn options(&self) -> String {
            String::new()
        }
        /// The label names of the series (not counting those the type adds itself).
        fn label_names(&self) -> &[Box<str>];
        /// The value read at scrape time.
        fn into_collect(self) -> Box<dyn Collect>;
    }
}

use sealed::{Collect, Registrable};

/// Something that can be registered as one metric family: [`Counter`],
/// [`StripedCounter`], [`Gauge`],
/// [`Histogram`], [`Summary`], [`StateSet`], [`Info`], [`CounterFn`], [`GaugeFn`],
/// a [`Family`], [`DenseFamily`] or [`TypedFamily`] of the
/// first five, and a [`CompactFamily`] of counters or gauges.
///
/// Sealed. For families computed at scrape time, implement
/// [`Collector`](crate::Collector) instead.
pub trait Register: Registrable {}

impl<T: Registrable> Register for T {}

macro_rules! register_single {
    ($($metric:ty),+) => {$(
        impl Registrable for $metric {
            fn metric_type(&self) -> MetricType {
                <$metric as Metric>::TYPE
            }
            fn label_names(&self) -> &[Box<str>] {
                &[]
            }
            fn options(&self) -> String {
                single_options(self)
            }
            fn into_collect(self) -> Box<dyn Collect> {
                Box::new(self)
            }
        }

        impl Collect for $metric {
            fn collect(&self, writer: &mut FamilyWriter<'_>) -> Result<()> {
                write_metric(writer, "", self);
                Ok(())
            }
        }
    )+};
}

register_single!(Counter, Gauge, Histogram, Summary, StateSet, StripedCounter);

/// The options of a single metric: a histogram's configuration, a state set's states.
fn single_options(metric: &dyn std::any::Any) -> String {
    if let Some(histogram) = metric.downcast_ref::<Histogram>() {
        format!("{:?}", histogram.config())
    } else if let Some(states) = metric.downcast_ref::<StateSet>() {
        format!("{:?}", states.states())
    } else {
        String::new()
    }
}

impl<M: Metric> Registrable for Family<M> {
    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
    fn options(&self) -> String {
        format!("{:?}", self.options())
    }
    fn label_names(&self) -> &[Box<str>] {
        Family::label_names(self)
    }
    fn into_collect(self) -> Box<dyn Collect> {
        Box::new(self)
    }
}

impl<M: Metric> Collect for Family<M> {
    fn collect(&self, writer: &mut FamilyWriter<'_>) -> Result<()> {
        self.sweep();
        self.for_each_exposed(|visit| match visit {
            Visit::Series(labels, metric) => write_metric(writer, labels, metric),
            Visit::ShardDone => writer.between_shards(),
        });
        Ok(())
    }

    fn never_fails(&self) -> bool {
        true
    }

    fn overflowed(&self) -> bool {
        self.has_overflow_series()
    }
}

impl<M: Metric, L: FixedLabelSet + 'static> Registrable for DenseFamily<M, L> {
    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
    fn options(&self) -> String {
        format!("{:?}", self.table().options())
    }
    fn label_names(&self) -> &[Box<str>] {
        DenseFamily::label_names(self)
    }
    fn into_collect(self) -> Box<dyn Collect> {
        Box::new(self.table().clone())
    }
}

impl<M: Metric> Collect for DenseTable<M> {
    fn collect(&self, writer: &mut FamilyWriter<'_>) -> Result<()> {
        self.sweep();
        self.for_each_series(|labels, metric| write_metric(writer, labels, metric));
        Ok(())
    }

    fn never_fails(&self) -> bool {
        true
    }
}

impl<L: LabelSet + 'static, M: Metric> Registrable for TypedFamily<L, M> {
    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
    fn options(&self) -> String {
        match self.store() {
            TypedStore::Dense(table) => format!("{:?}", table.options()),
            TypedStore::Hashed(family) => format!("{:?}", family.options()),
        }
    }
    fn label_names(&self) -> &[Box<str>] {
        TypedFamily::label_names(self)
    }
    fn into_collect(self) -> Box<dyn Collect> {
        match self.store() {
            TypedStore::Dense(table) => Box::new(table.clone()),
            TypedStore::Hashed(family) => Box::new(family.clone()),
        }
    }
}

impl<M: CompactMetric> Registrable for CompactFamily<M> {
    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
    fn label_names(&self) -> &[Box<str>] {
        CompactFamily::label_names(self)
    }
    fn into_collect(self) -> Box<dyn Collect> {
        Box::new(self)
    }
}

impl<M: CompactMetric> Collect for CompactFamily<M> {
    fn collect(&self, writer: &mut FamilyWriter<'_>) -> Result<()> {
        self.for_each_series(|visit| match visit {
            Visit::Series(labels, &word) => writer.write_series(labels, &M::snapshot(word)),
            Visit::ShardDone => writer.between_shards(),
        });
        Ok(())
    }

    fn never_fails(&self) -> bool {
        true
    }

    fn overflowed(&self) -> bool {
        self.has_overflow_series()
    }
}

impl Registrable for Info {
    fn metric_type(&self) -> MetricType {
        MetricType::Info
    }
    fn label_names(&self) -> &[Box<str>] {
        Info::label_names(self)
    }
    fn into_collect(self) -> Box<dyn Collect> {
        Box::new(self)
    }
}

impl Collect for Info {
    fn collect(&self, writer: &mut FamilyWriter<'_>) -> Result<()> {
        writer.write_series("", &Snapshot::Info(self.rendered()));
        Ok(())
    }
}

impl Registrable for GaugeFn {
    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }
    fn label_names(&self) -> &[Box<str>] {
        &[]
    }
    fn into_collect(self) -> Box<dyn Collect> {
        Box::new(self)
    }
}

impl Collect for GaugeFn {
    fn collect(&self, writer: &mut FamilyWriter<'_>) -> Result<()> {
        writer.write_series("", &Snapshot::Gauge(Number::Float(self.get())));
        Ok(())
    }
}

impl Registrable for CounterFn {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
    fn label_names(&self) -> &[Box<str>] {
        &[]
    }
    fn into_collect(self) -> Box<dyn Collect> {
        Box::new(self)
    }
}

impl Collect for CounterFn {
    fn collect(&self, writer: &mut FamilyWriter<'_>) -> Result<()> {
        // `series` refuses a negative or NaN total, which no counter can have.
        writer.series(
            &(),
            Snapshot::Counter(CounterSnapshot {
                total: Number::Float(self.get()),
                created: None,
                exemplar: None,
            }),
        )
    }
}

/// Reads `metric` into the writer's scratch storage and writes it as the series with
/// rendered label text `labels`: the one place where a metric becomes a snapshot.
fn write_metric<M: Metric>(writer: &mut FamilyWriter<'_>, labels: &str, metric: &M) {
    let (scratch, mut sink) = writer.scratch_and_sink();
    sink.write(labels, &metric.snapshot(scratch));
}
