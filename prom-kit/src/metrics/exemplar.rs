//! [`ExemplarSlot`]: where a metric keeps its latest exemplar.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::snapshot::Exemplar;

/// Where a metric keeps its latest exemplar. Only the exemplar paths touch it, so
/// observations without exemplars cost nothing extra.
#[derive(Debug, Default)]
pub(crate) struct ExemplarSlot(Mutex<Option<Arc<Exemplar>>>);

impl ExemplarSlot {
    pub(crate) fn set(&self, exemplar: Exemplar) {
        *self.0.lock() = Some(Arc::new(exemplar));
    }

    pub(crate) fn get(&self) -> Option<Arc<Exemplar>> {
        self.0.lock().clone()
    }

    pub(crate) fn clear(&self) {
        *self.0.lock() = None;
    }
}
