//! [`FormatWriter`]: the part of a [`FamilyWriter`](super::FamilyWriter) that writes —
//! the family's names as this scraper gets them ([`Shown`]), and the format's own
//! writer: [`text`](super::text), [`openmetrics`](super::openmetrics) or (feature
//! `protobuf`) the protobuf family assembled in the [`PendingFamily`] — with its output
//! streamed to a drain when the scrape compresses its body.

use std::borrow::Cow;

use super::exposition::{Exposition, PendingFamily};
use super::shown::Shown;
use super::stream::{Drain, STREAM_LIMIT, StreamedTo, drain_past};
use super::text_lines::TextLines;
use super::{Format, openmetrics, text};
use crate::descriptor::Descriptor;
use crate::labels::render::rewrite_label_names;
use crate::name::NameValidation;
use crate::snapshot::Snapshot;

/// Which format a family is written in.
#[derive(Debug)]
enum Syntax {
    /// The text format 0.0.4.
    Text,
    /// OpenMetrics text, with `_created` samples or without.
    OpenMetrics { created: bool },
    /// Protobuf: the family is assembled in the [`PendingFamily`].
    #[cfg(feature = "protobuf")]
    Protobuf,
}

/// Writes one family's series in its scrape's format.
#[derive(Debug)]
pub(super) struct FormatWriter<'a> {
    out: &'a mut Vec<u8>,
    syntax: Syntax,
    /// The family's names as written.
    pub(super) shown: Shown<'a>,
    /// The names the registry accepts.
    pub(super) validation: NameValidation,
    pub(super) descriptor: &'a Descriptor,
    /// The reusable parts of the text formats' lines (unused in protobuf).
    lines: TextLines,
    /// A series' label text with its names escaped, when they need it.
    relabelled: String,
    /// Where a protobuf family is assembled; written out by
    /// [`PendingFamily::flush`] once complete.
    #[cfg_attr(
        not(feature = "protobuf"),
        expect(
            dead_code,
            reason = "only the protobuf format assembles whole families"
        )
    )]
    pending: &'a mut PendingFamily,
    /// Where a streamed family's output goes once it grows past
    /// [`STREAM_LIMIT`](super::stream::STREAM_LIMIT) between two series, or past
    /// [`STREAM_CHUNK`](super::stream::STREAM_CHUNK) between two shards (a protobuf
    /// family as one more message of it).
    drain: StreamedTo<'a>,
}

impl<'a> FormatWriter<'a> {
    /// Sets up the writing of the family `name` for `exposition` and writes its metadata
    /// (a protobuf family carries it in its message, assembled in `pending`).
    pub(super) fn new(
        out: &'a mut Vec<u8>,
        pending: &'a mut PendingFamily,
        exposition: Exposition,
        name: Cow<'a, str>,
        descriptor: &'a Descriptor,
        const_labels: &'a str,
    ) -> Self {
        let shown = Shown::new(
            exposition.escaping,
            exposition.validation,
            name,
            descriptor,
            const_labels,
        );
        let syntax = match exposition.format {
            Format::Text => {
                text::write_metadata(out, &shown, descriptor);
                Syntax::Text
            }
            Format::OpenMetrics => {
                openmetrics::write_metadata(out, &shown, descriptor);
                Syntax::OpenMetrics {
                    created: exposition.created,
                }
            }
            #[cfg(feature = "protobuf")]
            Format::Protobuf => {
                // Protobuf names are never quoted.
                let state_label = shown.unquoted_label_name(&shown.name);
                pending.proto = Some(super::protobuf::ProtoFamily::new(
                    out,
                    &shown.written,
                    &state_label,
                    descriptor,
                    &shown.const_labels,
                ));
                Syntax::Protobuf
            }
        };
        Self {
            lines: TextLines::new(matches!(syntax, Syntax::OpenMetrics { .. })),
            out,
            syntax,
            shown,
            validation: exposition.validation,
            descriptor,
            relabelled: String::new(),
            pending,
            drain: StreamedTo::default(),
        }
    }

    /// Streams the family's output to `drain` as it is written (a protobuf family as
    /// several messages of it).
    pub(super) fn stream_to(&mut self, drain: Drain<'a>) {
        self.drain = StreamedTo(Some(drain));
    }

    /// Writes the lines of one series. `labels` is its rendered label text.
    pub(super) fn write_series(&mut self, labels: &str, snapshot: &Snapshot<'_>) {
        let Some(scheme) = self.shown.escaping else {
            self.write_series_as_is(labels, snapshot);
            self.drain_past(STREAM_LIMIT);
            return;
        };
        // Names outside the legacy set, escaped for this scraper (labels and an info
        // metric's own pairs); the buffer is kept for the next series.
        let mut relabelled = std::mem::take(&mut self.relabelled);
        relabelled.clear();
        rewrite_label_names(&mut relabelled, labels, scheme);
        let split = relabelled.len();
        let snapshot = match *snapshot {
            Snapshot::Info(pairs) => {
                rewrite_label_names(&mut relabelled, pairs, scheme);
                Snapshot::Info(&relabelled[split..])
            }
            other => other,
        };
        self.write_series_as_is(&relabelled[..split], &snapshot);
        self.relabelled = relabelled;
        self.drain_past(STREAM_LIMIT);
    }

    /// Hands the output to the drain, if the family is streamed, once it holds at least
    /// `at_least` bytes.
    pub(super) fn drain_past(&mut self, at_least: usize) {
        #[cfg(feature = "protobuf")]
        if let (Some(proto), Some(drain)) = (self.pending.proto.as_mut(), self.drain.0.as_mut()) {
            if self.out.len() >= at_least {
                proto.hand_on(self.out, &mut **drain);
            }
            return;
        }
        drain_past(self.drain.0.as_mut(), self.out, at_least);
    }

    /// Writes the lines of one series whose label text is as it is to be written.
    #[inline]
    fn write_series_as_is(&mut self, labels: &str, snapshot: &Snapshot<'_>) {
        match self.syntax {
            Syntax::Text => {
                text::write_series(&mut self.lines, self.out, &self.shown, labels, snapshot);
            }
            Syntax::OpenMetrics { created } => {
                openmetrics::write_series(
                    &mut self.lines,
                    self.out,
                    &self.shown,
                    labels,
                    snapshot,
                    created,
                );
            }
            #[cfg(feature = "protobuf")]
            Syntax::Protobuf => {
                if let Some(proto) = self.pending.proto.as_mut() {
                    proto.add(self.out, labels, snapshot);
                }
            }
        }
    }
}
