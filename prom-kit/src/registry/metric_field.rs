//! [`MetricField`]: how `#[derive(Metrics)]` makes each field of a metrics struct from
//! its `#[metric(…)]` attribute ([`FieldOptions`]).

use std::time::Duration;

use super::Register;
use crate::error::{Error, ErrorKind, Result};
use crate::family::{
    CompactFamily, CompactMetric, DenseFamily, Family, FamilyBuilder, TypedFamily,
};
use crate::labels::{FixedLabelSet, LabelSet};
use crate::metrics::{
    Buckets, Counter, Gauge, Histogram, HistogramConfig, Metric, NativeBuckets, StateNames,
    StripedCounter, Summary,
};

/// What a field's `#[metric(…)]` attribute says about how to make it.
#[derive(Clone, Copy, Debug, Default)]
pub struct FieldOptions<'a> {
    /// The field's name, for error messages.
    pub field: &'a str,
    /// `labels = ["…", …]`: the label names of a [`Family`] or [`DenseFamily`].
    pub labels: Option<&'a [&'a str]>,
    /// `buckets = [0.1, …]`: classic histogram bucket bounds.
    pub buckets: Option<&'a [f64]>,
    /// `native = 1.1`: the growth factor of native histogram buckets.
    pub native: Option<f64>,
    /// `max_series = 10_000` (or `None` for no cap): the series cap of a [`Family`], a
    /// hashed [`TypedFamily`] or a [`CompactFamily`] (see
    /// [`FamilyBuilder::max_series`]); `None` without the attribute, which leaves
    /// [`DEFAULT_MAX_SERIES`](crate::family::DEFAULT_MAX_SERIES).
    pub max_series: Option<Option<usize>>,
    /// `expire_after = "10m"`: the idle-series expiry of a [`Family`], [`DenseFamily`] or
    /// [`TypedFamily`] (see [`FamilyBuilder::expire_after`]).
    pub expire_after: Option<Duration>,
}

impl FieldOptions<'_> {
    /// Fails if `what` was given for a field whose type does not take it.
    fn refuse(&self, given: bool, what: &str, type_name: &str) -> Result<()> {
        if given {
            Err(Error::new(
                ErrorKind::InvalidValue,
                format!("field `{}`: a {type_name} takes no `{what}`", self.field),
            ))
        } else {
            Ok(())
        }
    }

    /// The histogram configuration `buckets` and `native` describe (the default buckets
    /// without either).
    fn histogram_config(&self) -> Result<HistogramConfig> {
        let classic = self.buckets.map(|b| Buckets::new(b.to_vec())).transpose()?;
        let native = self.native.map(NativeBuckets::new).transpose()?;
        Ok(match (classic, native) {
            (Some(classic), Some(native)) => HistogramConfig::both(classic, native),
            (None, Some(native)) => HistogramConfig::native(native),
            (Some(classic), None) => HistogramConfig::classic(classic),
            (None, None) => HistogramConfig::default(),
        })
    }

    /// Fails if the field has `max_series` or `expire_after`: `what` has one series.
    fn refuse_family_options(&self, what: &str) -> Result<()> {
        self.refuse(self.max_series.is_some(), "max_series", what)?;
        self.refuse(self.expire_after.is_some(), "expire_after", what)
    }

    /// `builder` with the field's `max_series` and `expire_after`, where given.
    fn configure<M: Metric>(&self, mut builder: FamilyBuilder<M>) -> FamilyBuilder<M> {
        if let Some(limit) = self.max_series {
            builder = builder.max_series(limit);
        }
        if let Some(ttl) = self.expire_after {
            builder = builder.expire_after(ttl);
        }
        builder
    }

    /// The label names of a family field, which it must have.
    fn label_names(&self) -> Result<&[&str]> {
        self.labels.ok_or_else(|| {
            Error::new(
                ErrorKind::LabelCount,
                format!(
                    "field `{}`: a string-labelled family needs `#[metric(labels = [\"…\"])]` (or use a TypedFamily)",
                    self.field
                ),
            )
        })
    }
}

/// A metric type that `#[derive(Metrics)]` can make from a field's attribute: every
/// metric type but [`StateSet`](crate::StateSet) (whose states have no attribute), and
/// families of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of a `#[derive(Metrics)]` struct",
    label = "not a metric",
    note = "fields are metrics (Counter, Gauge, Histogram, Summary, StripedCounter) or families of them (Family, DenseFamily, TypedFamily, CompactFamily)"
)]
pub trait MetricField: Register + Sized {
    /// Makes the metric.
    ///
    /// # Errors
    ///
    /// An option the type does not take, a family without label names, invalid buckets.
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self>;
}

/// What a family's children are made from, from a field's attribute.
pub trait ChildOptions: Sized {
    /// The options.
    ///
    /// # Errors
    ///
    /// As [`MetricField::from_field_options`].
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self>;
}

impl ChildOptions for () {
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
        options.refuse(options.buckets.is_some(), "buckets", "family of this type")?;
        options.refuse(options.native.is_some(), "native", "family of this type")
    }
}

impl ChildOptions for HistogramConfig {
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
        options.histogram_config()
    }
}

impl ChildOptions for StateNames {
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
        Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "field `{}`: state set families are made by hand (their states have no attribute)",
                options.field
            ),
        ))
    }
}

macro_rules! plain_fields {
    ($($type:ident),+) => {$(
        impl MetricField for $type {
            fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
                let name = stringify!($type);
                options.refuse(options.labels.is_some(), "labels", name)?;
                options.refuse(options.buckets.is_some(), "buckets", name)?;
                options.refuse(options.native.is_some(), "native", name)?;
                options.refuse_family_options(name)?;
                Ok($type::new())
            }
        }
    )+};
}

plain_fields!(Counter, Gauge, Summary, StripedCounter);

impl MetricField for Histogram {
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
        options.refuse(options.labels.is_some(), "labels", "Histogram")?;
        options.refuse_family_options("Histogram")?;
        Ok(Histogram::with_config(options.histogram_config()?))
    }
}

impl<M: Metric> MetricField for Family<M>
where
    M::Options: ChildOptions,
{
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
        options
            .configure(Family::builder(options.label_names()?.iter().copied()))
            .options(M::Options::from_field_options(options)?)
            .build()
    }
}

impl<M: CompactMetric> MetricField for CompactFamily<M> {
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
        let what = "CompactFamily";
        options.refuse(options.buckets.is_some(), "buckets", what)?;
        options.refuse(options.native.is_some(), "native", what)?;
        options.refuse(
            options.expire_after.is_some(),
            "expire_after",
            "CompactFamily (it has no idle-series expiry)",
        )?;
        let mut builder = CompactFamily::builder(options.label_names()?.iter().copied());
        if let Some(limit) = options.max_series {
            builder = builder.max_series(limit);
        }
        builder.build()
    }
}

impl<M: Metric, L: FixedLabelSet + 'static> MetricField for DenseFamily<M, L>
where
    M::Options: ChildOptions,
{
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
        options.refuse(
            options.max_series.is_some(),
            "max_series",
            "DenseFamily (it holds every combination of its label types)",
        )?;
        options
            .configure(Family::builder(options.label_names()?.iter().copied()))
            .options(M::Options::from_field_options(options)?)
            .build_dense()
    }
}

impl<L: LabelSet + 'static, M: Metric> MetricField for TypedFamily<L, M>
where
    M::Options: ChildOptions,
{
    fn from_field_options(options: &FieldOptions<'_>) -> Result<Self> {
        options.refuse(
            options.labels.is_some(),
            "labels",
            "TypedFamily (its label set names them)",
        )?;
        options.refuse(
            options.max_series.is_some() && L::COMBINATIONS.is_some(),
            "max_series",
            "TypedFamily whose labels all have closed value sets (it is dense: it holds \
             every combination)",
        )?;
        let mut builder = TypedFamily::builder().options(M::Options::from_field_options(options)?);
        if let Some(limit) = options.max_series {
            builder = builder.max_series(limit);
        }
        if let Some(ttl) = options.expire_after {
            builder = builder.expire_after(ttl);
        }
        builder.build()
    }
}
