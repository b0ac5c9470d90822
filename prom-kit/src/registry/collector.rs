//! [`Collector`]: families produced at scrape time.

use std::borrow::Cow;

use crate::descriptor::Descriptor;
use crate::encoding::{Exposition, FamilyWriter, PendingFamily};
use crate::error::{Error, Result};
use crate::labels::render::rendered_names;

/// Produces whole metric families at scrape time, for values that live elsewhere (the
/// process's resource usage, a connection pool's statistics).
///
/// Each scrape calls [`collect`](Self::collect), which opens a family per
/// [`Descriptor`] and writes its series. If it returns an error or panics, nothing it
/// wrote is exposed and the scrape reports the error (the other families are still
/// encoded); a panic is contained unless the program is built with `panic = "abort"`.
///
/// ```
/// use prom_kit::{Collector, CollectorOutput, Descriptor, MetricType, Registry};
///
/// struct Pool { descriptor: Descriptor }
///
/// impl Collector for Pool {
///     fn collect(&self, out: &mut CollectorOutput<'_>) -> prom_kit::Result<()> {
///         let mut family = out.family(&self.descriptor);
///         family.gauge(&["primary"], 4.0)?;
///         family.gauge(&["replica"], 2.0)?;
///         Ok(())
///     }
/// }
///
/// let registry = Registry::new();
/// let descriptor = Descriptor::new("pool_connections", "Open connections.", MetricType::Gauge)?
///     .with_label_names(["pool"])?;
/// registry.register_collector(Pool { descriptor });
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP pool_connections Open connections.
/// ## TYPE pool_connections gauge
/// pool_connections{pool=\"primary\"} 4
/// pool_connections{pool=\"replica\"} 2
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
pub trait Collector: Send + Sync + 'static {
    /// Writes the collector's families for one scrape.
    ///
    /// # Errors
    ///
    /// Whatever prevents the collector from producing consistent output; the scrape
    /// then omits everything this call wrote.
    fn collect(&self, out: &mut CollectorOutput<'_>) -> Result<()>;
}

/// Where a [`Collector`] writes its families during a scrape.
#[derive(Debug)]
pub struct CollectorOutput<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    /// How this scrape is written.
    pub(crate) exposition: Exposition,
    pub(crate) prefix: &'a str,
    pub(crate) const_labels: &'a str,
    /// Each family written: its full name, type, and where its text starts in `out`.
    pub(crate) families: Vec<(String, Descriptor, usize)>,
    /// The family being assembled, for formats written out per family (protobuf).
    pub(crate) pending: PendingFamily,
    /// Why a family of this collector could not be exposed, if one could not.
    pub(crate) refusal: Option<Error>,
}

impl CollectorOutput<'_> {
    /// Starts a family; write its series through the returned writer.
    ///
    /// A family that cannot be exposed where this collector is registered — a name the
    /// registry's [`NameValidation`](crate::NameValidation) does not accept, a label name
    /// that one of the registry view's constant labels already uses, or a state set whose
    /// prefixed name is no valid label name — refuses every series, and the collector's
    /// whole output is then left out of the scrape with an
    /// [`ErrorKind::Collect`](crate::ErrorKind::Collect) error. So is the output of a
    /// collector that writes one series of a family twice (see
    /// [`FamilyWriter::series`]).
    pub fn family<'w>(&'w mut self, descriptor: &'w Descriptor) -> FamilyWriter<'w> {
        // The previous family is complete once the next one starts.
        self.pending.flush(self.out);
        let checked = descriptor
            .prefixed(self.prefix)
            .and_then(|full| full.check_names(self.exposition.validation).map(|()| full))
            .and_then(|full| self.check_const_labels(&full).map(|()| full));
        let name = match &checked {
            Ok(full) => full.name().to_owned(),
            Err(_) => format!("{}_{}", self.prefix, descriptor.name()),
        };
        self.families
            .push((name.clone(), descriptor.clone(), self.out.len()));
        let refused = checked.err().map(|error| {
            let kind = error.kind();
            self.refusal.get_or_insert(error);
            kind
        });
        let mut writer = FamilyWriter::new(
            self.out,
            &mut self.pending,
            self.exposition,
            Cow::Owned(name),
            descriptor,
            self.const_labels,
        );
        if let Some(kind) = refused {
            writer.refuse(kind);
        }
        writer.refuse_repeats(&mut self.refusal);
        writer
    }

    /// Fails if a label of the family (its own, or the one a type adds: `le`,
    /// `quantile`, a state set's name) is also one of the constant labels.
    fn check_const_labels(&self, descriptor: &Descriptor) -> Result<()> {
        let const_names: Vec<Cow<'_, str>> = rendered_names(self.const_labels).collect();
        let const_names: Vec<&str> = const_names.iter().map(|n| &**n).collect();
        descriptor.check_with_constant_labels(&const_names, self.exposition.validation)
    }
}
