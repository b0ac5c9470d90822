//! [`Collector`]: families produced at scrape time.

use std::borrow::Cow;

use crate::descriptor::Descriptor;
use crate::encoding::{FamilyWriter, Format, ProtoSlot, flush};
use crate::error::Result;

/// Produces whole metric families at scrape time, for values that live elsewhere (the
/// process's resource usage, a connection pool's statistics).
///
/// Each scrape calls [`collect`](Self::collect), which opens a family per
/// [`Descriptor`] and writes its series. If it returns an error, nothing it wrote is
/// exposed and the scrape reports the error (the other families are still encoded).
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
    pub(crate) format: Format,
    pub(crate) prefix: &'a str,
    pub(crate) const_labels: &'a str,
    /// Whether OpenMetrics output carries `_created` samples.
    pub(crate) created: bool,
    /// Each family written: its full name, type, and where its text starts in `out`.
    pub(crate) families: Vec<(String, Descriptor, usize)>,
    /// The family being assembled, for formats written out per family (protobuf).
    pub(crate) pending: ProtoSlot,
}

impl CollectorOutput<'_> {
    /// Starts a family; write its series through the returned writer.
    pub fn family<'w>(&'w mut self, descriptor: &'w Descriptor) -> FamilyWriter<'w> {
        // The previous family is complete once the next one starts.
        flush(&mut self.pending, self.out);
        let name = if self.prefix.is_empty() {
            descriptor.name().to_owned()
        } else {
            format!("{}_{}", self.prefix, descriptor.name())
        };
        self.families
            .push((name.clone(), descriptor.clone(), self.out.len()));
        FamilyWriter::new(
            self.out,
            &mut self.pending,
            self.format,
            Cow::Owned(name),
            descriptor,
            self.const_labels,
            self.created,
        )
    }
}
