//! [`FamilyWriter`]: the API collectors and the registry write one family through; it
//! checks what it is given (arity, types, an info metric's pairs) and hands the lines to
//! [`Lines`].

use std::borrow::Cow;

use super::Format;
use super::exposition::{Exposition, ProtoSlot};
use super::lines::Lines;
use super::stream::{Drain, STREAM_CHUNK};
use super::validate::check_snapshot;
use crate::descriptor::Descriptor;
use crate::error::{Error, ErrorKind, Result};
use crate::labels::render::{check_rendered, render_series, rendered_names};
use crate::labels::{LabelValues, check_arity};
use crate::name::{NameValidation, check_distinct_when_escaped};
use crate::snapshot::{CounterSnapshot, Number, Scratch, Snapshot};

/// Writes one metric family: its `HELP`/`TYPE`(/`UNIT`) lines when created, then one
/// call per series. [`Collector`](crate::Collector)s get one from
/// [`CollectorOutput::family`](crate::CollectorOutput::family).
///
/// Samples whose type does not match the family's type, or whose label count is wrong,
/// are refused with an error and nothing is written for them.
#[derive(Debug)]
pub struct FamilyWriter<'a> {
    lines: Lines<'a>,
    /// What snapshots borrow from, kept apart from `lines` so that a snapshot and the
    /// writing of its lines can borrow the writer at once.
    scratch: Scratch,
    /// Set when the family itself cannot be exposed: every series is refused so.
    refused: Option<ErrorKind>,
}

/// Writes series of a [`FamilyWriter`] whose snapshots borrow its scratch storage.
pub(crate) struct SeriesSink<'w, 'a>(&'w mut Lines<'a>);

impl SeriesSink<'_, '_> {
    /// Writes the lines of one series. `labels` is its rendered label text.
    pub(crate) fn write(&mut self, labels: &str, snapshot: Snapshot<'_>) {
        self.0.write_series(labels, snapshot);
    }
}

impl<'a> FamilyWriter<'a> {
    /// Starts a family named `name` (the descriptor's name, possibly with a registry
    /// prefix) and writes its metadata lines.
    pub(crate) fn new(
        out: &'a mut Vec<u8>,
        slot: &'a mut ProtoSlot,
        exposition: Exposition,
        name: Cow<'a, str>,
        descriptor: &'a Descriptor,
        const_labels: &'a str,
    ) -> Self {
        let format = exposition.format;
        let lines = Lines::new(out, slot, exposition, name, descriptor, const_labels);
        Self {
            lines,
            scratch: Scratch {
                skip_exemplars: format == Format::Text,
                ..Scratch::default()
            },
            refused: None,
        }
    }

    /// The family's descriptor.
    pub fn descriptor(&self) -> &Descriptor {
        self.lines.descriptor
    }

    /// Writes a counter series with label values `values` and total `total`.
    ///
    /// # Errors
    ///
    /// As [`series`](Self::series).
    pub fn counter<V: LabelValues + ?Sized>(&mut self, values: &V, total: f64) -> Result<()> {
        self.series(
            values,
            Snapshot::Counter(CounterSnapshot {
                total: Number::Float(total),
                created: None,
                exemplar: None,
            }),
        )
    }

    /// Writes a gauge series with label values `values`.
    ///
    /// # Errors
    ///
    /// As [`series`](Self::series).
    pub fn gauge<V: LabelValues + ?Sized>(&mut self, values: &V, value: f64) -> Result<()> {
        self.series(values, Snapshot::Gauge(Number::Float(value)))
    }

    /// Writes one series of any type with label values `values`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LabelCount`] if `values` does not match the descriptor's label names,
    /// [`ErrorKind::TypeMismatch`] if the snapshot is not of the family's type, and
    /// [`ErrorKind::InvalidValue`] for a negative or NaN counter total or a histogram
    /// whose counts do not match its bounds. Nothing is written on error.
    pub fn series<V: LabelValues + ?Sized>(
        &mut self,
        values: &V,
        snapshot: Snapshot<'_>,
    ) -> Result<()> {
        let descriptor = self.lines.descriptor;
        if let Some(kind) = self.refused {
            return Err(Error::new(
                kind,
                format!("the family {:?} was refused", self.lines.name),
            ));
        }
        check_arity(descriptor.label_names(), values)?;
        check_snapshot(descriptor.kind(), &snapshot)?;
        if let Snapshot::Info(pairs) = snapshot {
            self.check_info_labels(pairs)?;
        }
        let labels = render_series(descriptor.label_names(), values);
        self.lines.write_series(&labels, snapshot);
        Ok(())
    }

    /// Refuses every series from now on with an error of `kind`: the family cannot be
    /// exposed validly (its collector's output is dropped).
    pub(crate) fn refuse(&mut self, kind: ErrorKind) {
        self.refused = Some(kind);
    }

    /// Checks an info sample's own pairs (from a collector, so untrusted): well-formed,
    /// and no name the family's labels or the constant labels already use.
    fn check_info_labels(&self, pairs: &str) -> Result<()> {
        let names = check_rendered(pairs)?;
        let lines = &self.lines;
        for name in &names {
            lines.validation.check_label_name(name)?;
        }
        let const_names: Vec<Cow<'_, str>> = rendered_names(lines.raw_const_labels).collect();
        let family = lines.descriptor.label_names();
        let taken = |name: &str| {
            family.iter().any(|n| &**n == name) || const_names.iter().any(|n| n == name)
        };
        if let Some(clash) = names.iter().find(|n| taken(n)) {
            return Err(Error::about(ErrorKind::DuplicateLabelName, clash));
        }
        if lines.validation == NameValidation::Utf8 {
            check_distinct_when_escaped(
                family
                    .iter()
                    .map(|n| &**n)
                    .chain(const_names.iter().map(|n| &**n))
                    .chain(names.iter().map(|n| &**n)),
            )?;
        }
        Ok(())
    }

    /// The writer's reusable snapshot storage, and a sink for the series read into it:
    /// apart, so that a snapshot can borrow the one while the other writes it.
    pub(crate) fn scratch_and_sink(&mut self) -> (&mut Scratch, SeriesSink<'_, 'a>) {
        (&mut self.scratch, SeriesSink(&mut self.lines))
    }

    /// Writes the lines of one series. `labels` is its rendered label text.
    pub(crate) fn write_series(&mut self, labels: &str, snapshot: Snapshot<'_>) {
        self.lines.write_series(labels, snapshot);
    }

    /// Streams this family's output to `drain` as it is written (a protobuf family as
    /// several messages of it), for a family whose collection cannot fail: what was
    /// drained cannot be taken back.
    pub(crate) fn stream_to(&mut self, drain: Drain<'a>) {
        self.lines.stream_to(drain);
    }

    /// A point where no lock is held (between two shards of a family): drains a
    /// streamed family's output once it holds [`STREAM_CHUNK`].
    pub(crate) fn between_shards(&mut self) {
        self.lines.drain_past(STREAM_CHUNK);
    }
}
