//! [`FamilyWriter`]: the API collectors and the registry write one family through; it
//! checks what it is given (arity, types, an info metric's pairs) and hands the lines to
//! [`FormatWriter`].

use std::borrow::Cow;
use std::collections::HashSet;

use super::Format;
use super::exposition::{Exposition, PendingFamily};
use super::format_writer::FormatWriter;
use super::stream::{Drain, STREAM_CHUNK};
use super::validate::check_snapshot;
use crate::descriptor::Descriptor;
use crate::error::{Error, ErrorKind, Result};
use crate::labels::render::{check_rendered, info_identity, render_series, rendered_names};
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
    lines: FormatWriter<'a>,
    /// What snapshots borrow from, kept apart from `lines` so that a snapshot and the
    /// writing of its lines can borrow the writer at once.
    scratch: Scratch,
    /// Set when the family itself cannot be exposed: every series is refused so.
    refused: Option<ErrorKind>,
    /// For a collector's family (untrusted output), what refuses a series written twice.
    repeats: Option<Repeats<'a>>,
}

/// The series a collector's family has written, to refuse one written again, and where
/// that refusal fails the collector.
#[derive(Debug)]
struct Repeats<'a> {
    /// The identity of each series written: its label text (with an info sample's own
    /// pairs, in name order).
    seen: HashSet<Box<str>>,
    /// The collector's refusal: set by a repeat, so that its output is dropped even if
    /// it ignores the error and goes on.
    refusal: &'a mut Option<Error>,
}

/// Writes series of a [`FamilyWriter`] whose snapshots borrow its scratch storage.
pub(crate) struct SeriesSink<'w, 'a>(&'w mut FormatWriter<'a>);

impl SeriesSink<'_, '_> {
    /// Writes the lines of one series. `labels` is its rendered label text.
    pub(crate) fn write(&mut self, labels: &str, snapshot: &Snapshot<'_>) {
        self.0.write_series(labels, snapshot);
    }
}

impl<'a> FamilyWriter<'a> {
    /// Starts a family named `name` (the descriptor's name, possibly with a registry
    /// prefix) and writes its metadata lines.
    pub(crate) fn new(
        out: &'a mut Vec<u8>,
        pending: &'a mut PendingFamily,
        exposition: Exposition,
        name: Cow<'a, str>,
        descriptor: &'a Descriptor,
        const_labels: &'a str,
    ) -> Self {
        let format = exposition.format;
        let lines = FormatWriter::new(out, pending, exposition, name, descriptor, const_labels);
        Self {
            lines,
            scratch: Scratch {
                skip_exemplars: format == Format::Text,
                ..Scratch::default()
            },
            refused: None,
            repeats: None,
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
    /// [`ErrorKind::InvalidValue`] for a negative or NaN counter total, a histogram
    /// whose counts do not match its bounds, or — in a collector's family — a series
    /// already written (the same label values, and for an info sample the same pairs;
    /// the collector's whole output is then left out of the scrape, even if it goes
    /// on). Nothing is written on error.
    pub fn series<V: LabelValues + ?Sized>(
        &mut self,
        values: &V,
        snapshot: Snapshot<'_>,
    ) -> Result<()> {
        let descriptor = self.lines.descriptor;
        if let Some(kind) = self.refused {
            return Err(Error::new(
                kind,
                format!("the family {:?} was refused", self.lines.shown.name),
            ));
        }
        check_arity(descriptor.label_names(), values)?;
        check_snapshot(descriptor.kind(), &snapshot)?;
        if let Snapshot::Info(pairs) = snapshot {
            self.check_info_labels(pairs)?;
        }
        let labels = render_series(descriptor.label_names(), values);
        let Some(repeats) = &mut self.repeats else {
            self.lines.write_series(&labels, &snapshot);
            return Ok(());
        };
        let info = match snapshot {
            Snapshot::Info(pairs) => Some(info_identity(&labels, pairs)),
            _ => None,
        };
        if repeats.seen.contains(info.as_deref().unwrap_or(&labels)) {
            let name = &self.lines.shown.name;
            let repeated = || {
                Error::new(
                    ErrorKind::InvalidValue,
                    format!("the series {{{labels}}} of the family {name:?} is written twice"),
                )
            };
            repeats.refusal.get_or_insert_with(repeated);
            return Err(repeated());
        }
        self.lines.write_series(&labels, &snapshot);
        repeats
            .seen
            .insert(info.map_or(labels, String::into_boxed_str));
        Ok(())
    }

    /// Refuses a series written twice (the same label values, and an info sample's
    /// same pairs), as a collector might: the repeat is not written, and `refusal` (the
    /// collector's) is set, so that its whole output is dropped.
    pub(crate) fn refuse_repeats(&mut self, refusal: &'a mut Option<Error>) {
        self.repeats = Some(Repeats {
            seen: HashSet::new(),
            refusal,
        });
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
        let const_names: Vec<Cow<'_, str>> = rendered_names(lines.shown.raw_const_labels).collect();
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
    pub(crate) fn write_series(&mut self, labels: &str, snapshot: &Snapshot<'_>) {
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
