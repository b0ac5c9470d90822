//! Encoding a [`Registry`]: every family and collector of it, in one format, with
//! names as the scraper negotiated.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;

use super::target_info::TARGET_FAMILY;
use super::{CollectorEntry, CollectorOutput, ExposedName, Registry};
use crate::descriptor::Descriptor;
use crate::encoding::{
    Drain, EscapingScheme, Exposition, FamilyWriter, Format, PendingFamily, STREAM_CHUNK,
    drain_past, write_eof,
};
use crate::error::{Error, ErrorKind, Result};

/// Which families an encoding writes: all, or those the function accepts.
type Selection<'s> = Option<&'s dyn Fn(&Descriptor) -> bool>;

/// What the async collectors gathered for this encoding; `None` for a synchronous
/// encoder, which skips them.
#[cfg(feature = "async")]
type Collection<'c> = Option<&'c super::AsyncCollection>;
/// Without async collectors there is nothing to gather.
#[cfg(not(feature = "async"))]
type Collection<'c> = Option<std::marker::PhantomData<&'c ()>>;

/// The names a selection asks for, looked up in constant time (a scrape's `name[]`
/// list is untrusted input of any length).
pub(crate) type NameSet<'n> = HashSet<Cow<'n, str>>;

/// The set of `names`, borrowed.
fn name_set<'n>(names: &[&'n str]) -> NameSet<'n> {
    names.iter().map(|n| Cow::Borrowed(*n)).collect()
}

/// Whether the family `descriptor` is one of `names`, under any name it is exposed by
/// (with its suffixes, and escaped as `escaping` writes it).
fn is_named(descriptor: &Descriptor, escaping: EscapingScheme, names: &NameSet<'_>) -> bool {
    descriptor
        .exposed_names()
        .chain(descriptor.exposed_names_escaped(escaping))
        .any(|name| names.contains(name.as_str()))
}

/// How to encode a [`Registry`]: the [`Format`], and optionally the escaping of names
/// outside the legacy set, a `name[]` filter, and (feature `async`) what the async
/// collectors gathered. A [`Format`] converts into the options of its defaults, so
/// `registry.render(Format::Text)` needs no options value.
///
/// The encoding methods are the whole set: to bytes, [`Registry::render`]; into a buffer
/// of your own (appended, reused between scrapes), [`Registry::encode`]; a `String` in
/// tests and examples, [`Registry::encode_text`] (text 0.0.4, default options). Each of
/// the first two takes these options.
///
/// ```
/// use prom_kit::encoding::EscapingScheme;
/// use prom_kit::{Counter, EncodeOptions, Format, Gauge, NameValidation, Registry};
///
/// let registry = Registry::with_name_validation(NameValidation::Utf8);
/// registry.register("jobs", "Jobs.", Counter::new())?;
/// registry.register("queue.depth", "Depth.", Gauge::new())?;
/// let options = EncodeOptions::new(Format::Text)
///     .escaping(EscapingScheme::AllowUtf8)
///     .names(&["queue.depth", "nope"]);
/// assert_eq!(String::from_utf8(registry.render(options)?).unwrap(), "\
/// ## HELP \"queue.depth\" Depth.
/// ## TYPE \"queue.depth\" gauge
/// {\"queue.depth\"} 0
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "options do nothing until passed to `Registry::encode` or `Registry::render`"]
pub struct EncodeOptions<'a> {
    format: Format,
    escaping: EscapingScheme,
    names: Option<&'a [&'a str]>,
    #[cfg(feature = "async")]
    collected: Option<&'a super::AsyncCollection>,
}

impl<'a> EncodeOptions<'a> {
    /// Every family in `format`, names outside the legacy set escaped with underscores
    /// (the default for scrapers that negotiate nothing else), async collectors reported
    /// as skipped.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            escaping: EscapingScheme::default(),
            names: None,
            #[cfg(feature = "async")]
            collected: None,
        }
    }

    /// Names outside the legacy set sent as `escaping` says: quoted as they are
    /// ([`EscapingScheme::AllowUtf8`], for Prometheus 3), or escaped
    /// ([`EscapingScheme::Underscores`] unless set). A registry in the legacy mode
    /// ([`NameValidation::Legacy`](crate::NameValidation::Legacy)) writes the same bytes
    /// under every scheme.
    pub fn escaping(mut self, escaping: EscapingScheme) -> Self {
        self.escaping = escaping;
        self
    }

    /// Only the families named in `names`, as a scrape's `name[]` parameters ask (Go's
    /// `promhttp` and Python's client answer them too). A family is named by its family
    /// name or any sample name it exposes (`http_requests`, `http_requests_total`,
    /// `latency_bucket`), as registered or as the [`escaping`](Self::escaping) writes it;
    /// a named family is written whole. Unknown names select nothing (an empty list,
    /// nothing at all); collectors run, and their families are selected the same way.
    /// Each name is looked up in constant time, so the cost grows with the families and
    /// the length of the list, never their product.
    pub fn names(mut self, names: &'a [&'a str]) -> Self {
        self.names = Some(names);
        self
    }

    /// The values a run of the async collectors gathered
    /// ([`Registry::collect_async`]), sorted in with the other families. Without them,
    /// every async collector counts as skipped: the encoding reports an
    /// [`ErrorKind::Collect`] error (after writing everything else). The collection's own
    /// failures are not repeated in the result: they are in
    /// [`AsyncCollection::failures`](super::AsyncCollection::failures).
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub fn collected(mut self, collection: &'a super::AsyncCollection) -> Self {
        self.collected = Some(collection);
        self
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// What the encoder gets from the async collectors.
    #[cfg(feature = "async")]
    fn collection(&self) -> Collection<'a> {
        self.collected
    }

    /// Without async collectors there is nothing to gather.
    #[cfg(not(feature = "async"))]
    #[expect(
        clippy::unused_self,
        reason = "the same signature as with the `async` feature, which reads the options"
    )]
    fn collection(&self) -> Collection<'a> {
        None
    }
}

impl From<Format> for EncodeOptions<'_> {
    fn from(format: Format) -> Self {
        Self::new(format)
    }
}

impl Registry {
    /// Appends the exposition of every family to `out`, as `options` say (a [`Format`]
    /// alone, or [`EncodeOptions`]). `out` is not cleared first: reuse one buffer with
    /// `clear()` between scrapes, or take a new one from [`render`](Self::render).
    ///
    /// The encoding methods are the whole set: to bytes, [`render`](Self::render); into
    /// your buffer, `encode`; a `String` in tests, [`encode_text`](Self::encode_text).
    ///
    /// No lock that metric updates take is held for longer than one shard of one family,
    /// and the registry's own lock only while the list of families is copied.
    ///
    /// ```
    /// use prom_kit::{Counter, Format, Registry};
    ///
    /// let registry = Registry::new();
    /// let jobs = Counter::new();
    /// registry.register("jobs", "Jobs.", jobs.clone())?;
    /// let mut out = Vec::new();
    /// for _ in 0..2 {
    ///     jobs.inc();
    ///     out.clear();
    ///     registry.encode(Format::Text, &mut out)?;
    /// }
    /// assert_eq!(out, b"# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 2\n");
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Collect`] if a collector (or a callback metric) failed, panicked or
    /// produced a family that clashes with another, or an async collector was skipped
    /// (for want of `EncodeOptions::collected`, feature `async`). `out` still holds a
    /// complete, valid exposition of everything else; the error names the first failure.
    pub fn encode<'a>(
        &self,
        options: impl Into<EncodeOptions<'a>>,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let options = options.into();
        let names = options.names.map(name_set);
        let is_named = |descriptor: &Descriptor| {
            names
                .as_ref()
                .is_none_or(|names| is_named(descriptor, options.escaping, names))
        };
        let select: Selection<'_> = names
            .as_ref()
            .map(|_| &is_named as &dyn Fn(&Descriptor) -> bool);
        self.encode_selected(
            options.format,
            options.escaping,
            select,
            options.collection(),
            out,
            None,
        )
    }

    /// Encodes every family as `options` say (a [`Format`] alone, or
    /// [`EncodeOptions`]) into a new buffer ([`encode`](Self::encode) appends to one the
    /// caller reuses).
    ///
    /// ```
    /// use prom_kit::{Counter, Format, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register("jobs", "Jobs.", Counter::new())?;
    /// registry.set_openmetrics_created(false);
    /// let body = String::from_utf8(registry.render(Format::OpenMetrics)?).unwrap();
    /// assert_eq!(body, "# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 0\n# EOF\n");
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode); the partial output is dropped (use `encode` to serve
    /// it anyway).
    pub fn render<'a>(&self, options: impl Into<EncodeOptions<'a>>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode(options, &mut out)?;
        Ok(out)
    }

    /// Encodes every family in the text format 0.0.4, with the default options, as a
    /// `String`: the shortcut for tests and examples (serve [`render`](Self::render) or
    /// [`encode`](Self::encode), in the format the scraper negotiated).
    ///
    /// ```
    /// use prom_kit::{Gauge, Registry};
    ///
    /// let registry = Registry::new();
    /// let depth = Gauge::new();
    /// registry.register("queue_depth", "Jobs waiting.", depth.clone())?;
    /// depth.set(3.0);
    /// assert_eq!(registry.encode_text()?, "\
    /// ## HELP queue_depth Jobs waiting.
    /// ## TYPE queue_depth gauge
    /// queue_depth 3
    /// ");
    /// # Ok::<(), prom_kit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode).
    pub fn encode_text(&self) -> Result<String> {
        let out = self.render(Format::Text)?;
        String::from_utf8(out)
            .map_err(|e| Error::with_source(ErrorKind::Collect, "non-UTF-8 output", e))
    }

    /// [`encode`](Self::encode) with the values `collection` gathered, of the families in
    /// `names` (all without; the scrape handler's names are percent-decoded, so owned
    /// where they had to be), handing the output to `drain`
    /// whenever it holds more than 256 KiB at a point where that is safe (and once at
    /// the end if `drain` is given): the scrape handler streams a gzipped body so,
    /// without holding it whole. That point is the end of a family, or, in a family
    /// whose collection cannot fail (a registered metric or family), also the point
    /// between two of its shards, or between two series past 4 MiB; a protobuf family
    /// is then sent as several `MetricFamily` messages of it, which Prometheus reads
    /// one after the other. A family that can fail (a collector's, a callback's) is
    /// drained only once complete, so its failure can still take its partial output
    /// out.
    #[cfg(feature = "scrape")]
    pub(crate) fn encode_collected_streaming(
        &self,
        format: Format,
        escaping: EscapingScheme,
        names: Option<&NameSet<'_>>,
        collection: &super::AsyncCollection,
        out: &mut Vec<u8>,
        drain: Option<Drain<'_>>,
    ) -> Result<()> {
        let is_named = |descriptor: &Descriptor| {
            names.is_none_or(|names| is_named(descriptor, escaping, names))
        };
        let select: Selection<'_> = names.map(|_| &is_named as &dyn Fn(&Descriptor) -> bool);
        self.encode_selected(format, escaping, select, Some(collection), out, drain)
    }

    /// Encodes the families `select` accepts (all without one), with the async
    /// collectors' values from `collection`, or reporting them as skipped without one.
    fn encode_selected(
        &self,
        format: Format,
        escaping: EscapingScheme,
        select: Selection<'_>,
        collection: Collection<'_>,
        out: &mut Vec<u8>,
        mut drain: Option<Drain<'_>>,
    ) -> Result<()> {
        let (mut entries, collectors, created, target_first) = {
            let state = self.shared.read();
            (
                state.families.values().cloned().collect::<Vec<_>>(),
                state.collectors.clone(),
                !state.omit_created,
                state.target_info,
            )
        };
        let (collectors, mut first_error) = self.with_gathered(collectors, collection);
        if let Some(select) = select {
            entries.retain(|entry| select(&entry.descriptor));
        }
        // `target_info` comes first, as OpenMetrics asks.
        let target_first = target_first
            && match entries
                .iter()
                .position(|e| e.descriptor.name() == TARGET_FAMILY)
            {
                Some(i) => {
                    let target = entries.remove(i);
                    entries.insert(0, target);
                    true
                }
                None => false,
            };
        let exposition = Exposition {
            format,
            escaping,
            validation: self.validation,
            created,
        };
        let mut scratch = Vec::new();
        let chunks = self.run_collectors(
            &collectors,
            exposition,
            select,
            &mut scratch,
            &mut first_error,
        );

        let mut chunks = chunks.into_iter().peekable();
        for (i, entry) in entries.iter().enumerate() {
            let name = entry.descriptor.name();
            let placed_first = target_first && i == 0;
            while let Some(chunk) = chunks.next_if(|c| !placed_first && c.0.as_str() < name) {
                out.extend_from_slice(&scratch[chunk.1]);
                drain_past(drain.as_mut(), out, STREAM_CHUNK);
            }
            let start = out.len();
            let mut pending = PendingFamily::default();
            let mut writer = FamilyWriter::new(
                out,
                &mut pending,
                exposition,
                Cow::Borrowed(name),
                &entry.descriptor,
                &entry.const_labels,
            );
            let streamed = entry.collect.never_fails() && drain.is_some();
            if let (true, Some(drain)) = (streamed, drain.as_mut()) {
                writer.stream_to(&mut **drain);
            }
            // A callback (`GaugeFn`, `CounterFn`) is user code: its panic costs its own
            // family. The families streamed run no user code (and what they drained
            // cannot be taken back): a panic there is prom-kit's own bug, passed on.
            let result = match catch_unwind(AssertUnwindSafe(|| entry.collect.collect(&mut writer)))
            {
                Ok(result) => {
                    pending.flush(out);
                    result
                }
                Err(panic) if streamed => resume_unwind(panic),
                Err(panic) => Err(Error::panicked("metric callback", &*panic)),
            };
            if let Err(error) = result {
                debug_assert!(!streamed, "a family that never fails failed");
                out.truncate(start);
                first_error.get_or_insert(Error::with_source(
                    ErrorKind::Collect,
                    format!("the family {name:?}: {error}"),
                    error,
                ));
            }
            drain_past(drain.as_mut(), out, STREAM_CHUNK);
        }
        for chunk in chunks {
            out.extend_from_slice(&scratch[chunk.1]);
            drain_past(drain.as_mut(), out, STREAM_CHUNK);
        }
        if format == Format::OpenMetrics {
            write_eof(out);
        }
        drain_past(drain.as_mut(), out, 0);
        first_error.map_or(Ok(()), Err)
    }

    /// The registry's collectors and those standing for the gathered async values, and
    /// the error of a synchronous encoder that skipped async collectors.
    #[cfg(feature = "async")]
    fn with_gathered(
        &self,
        mut collectors: Vec<Arc<CollectorEntry>>,
        collection: Collection<'_>,
    ) -> (Vec<Arc<CollectorEntry>>, Option<Error>) {
        match collection {
            Some(collection) => {
                collectors.extend(collection.gathered().iter().cloned());
                (collectors, None)
            }
            None => (
                collectors,
                self.skipped_async_collectors().into_first_error(),
            ),
        }
    }

    /// Without async collectors: the registry's collectors, no error.
    #[cfg(not(feature = "async"))]
    #[expect(
        clippy::unused_self,
        reason = "the same signature as with the `async` feature, which reads the registry"
    )]
    fn with_gathered(
        &self,
        collectors: Vec<Arc<CollectorEntry>>,
        _: Collection<'_>,
    ) -> (Vec<Arc<CollectorEntry>>, Option<Error>) {
        (collectors, None)
    }

    /// Runs every collector into `scratch`; returns each valid family's name and byte
    /// range, sorted by name, of those `select` accepts. Failures and clashes are dropped
    /// and recorded.
    fn run_collectors(
        &self,
        collectors: &[Arc<CollectorEntry>],
        exposition: Exposition,
        select: Selection<'_>,
        scratch: &mut Vec<u8>,
        first_error: &mut Option<Error>,
    ) -> Vec<(String, std::ops::Range<usize>)> {
        let mut chunks: Vec<(String, Descriptor, std::ops::Range<usize>)> = Vec::new();
        for entry in collectors {
            let start = scratch.len();
            let mut output = CollectorOutput {
                out: scratch,
                exposition,
                prefix: &entry.prefix,
                const_labels: &entry.const_labels,
                families: Vec::new(),
                pending: PendingFamily::default(),
                refusal: None,
            };
            // A panicking collector fails alone, as a returned error would; the family
            // it was writing is dropped unwritten.
            let result =
                match catch_unwind(AssertUnwindSafe(|| entry.collector.collect(&mut output))) {
                    Ok(result) => {
                        output.pending.flush(output.out);
                        result
                    }
                    Err(panic) => Err(Error::panicked("collector", &*panic)),
                };
            let families = output.families;
            // A family that could not be exposed fails the collector even if it went on.
            let result = match output.refusal {
                Some(refusal) => Err(refusal),
                None => result,
            };
            match result {
                Ok(()) => {
                    let ends: Vec<usize> = families
                        .iter()
                        .skip(1)
                        .map(|f| f.2)
                        .chain(std::iter::once(scratch.len()))
                        .collect();
                    for ((name, descriptor, begin), end) in families.into_iter().zip(ends) {
                        chunks.push((name, descriptor, begin..end));
                    }
                }
                Err(error) => {
                    scratch.truncate(start);
                    first_error.get_or_insert(Error::with_source(
                        ErrorKind::Collect,
                        format!("a collector: {error}"),
                        error,
                    ));
                }
            }
        }
        chunks.sort_by(|a, b| a.0.cmp(&b.0));
        let state = self.shared.read();
        let mut taken: HashMap<ExposedName, String> = HashMap::new();
        let mut valid = Vec::with_capacity(chunks.len());
        for (name, descriptor, range) in chunks {
            let prefixed = descriptor.renamed(&name);
            let exposed = self.exposed_names(&prefixed);
            let clash = exposed
                .iter()
                .find(|n| state.exposed.contains_key(*n) || taken.contains_key(*n))
                .map(|(_, n)| n);
            if let Some(clash) = clash {
                first_error.get_or_insert(Error::new(
                    ErrorKind::Collect,
                    format!("collector family {name:?} clashes on {clash:?}; dropped"),
                ));
                continue;
            }
            for n in exposed {
                taken.insert(n, name.clone());
            }
            if select.is_none_or(|select| select(&prefixed)) {
                valid.push((name, range));
            }
        }
        valid
    }
}

#[cfg(test)]
mod tests;
