//! [`Slot`]: one admitted scrape's place among the concurrent scrapes, given back when
//! dropped, and [`Admissions`], the count of places taken (with the gauge that shows
//! it, `prom_kit_scrapes_in_flight`, unless the handler's own metrics are off).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Gauge;

/// The places a handler's scrapes hold.
#[derive(Debug)]
pub(super) struct Admissions {
    in_flight: AtomicUsize,
    gauge: Option<Gauge>,
}

impl Admissions {
    /// No place taken; `gauge` shows the count.
    pub(super) fn new(gauge: Option<Gauge>) -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicUsize::new(0),
            gauge,
        })
    }

    /// Takes a place: the slot that holds it, and how many were held before.
    pub(super) fn take(self: &Arc<Self>) -> (Slot, usize) {
        let previous = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if let Some(gauge) = &self.gauge {
            gauge.inc();
        }
        (Slot(Arc::clone(self)), previous)
    }

    /// How many places are held now.
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

/// A concurrent-scrape slot, released when dropped; owned, so that an async scrape can
/// hold it across its collection and its encoding on another thread, and its response
/// until the body has been sent (see [`ScrapeBody`](crate::adapter::ScrapeBody)).
pub(super) struct Slot(Arc<Admissions>);

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Slot")
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        if let Some(gauge) = &self.0.gauge {
            gauge.dec();
        }
    }
}
