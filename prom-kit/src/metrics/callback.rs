//! Callback metrics: values read by a closure at scrape time.

use std::fmt;
use std::sync::Arc;

/// A gauge whose value is computed by a closure at every scrape.
///
/// ```
/// use prom_kit::{GaugeFn, Registry};
///
/// let registry = Registry::new();
/// registry.register("answer", "Computed at scrape time.", GaugeFn::new(|| 42.0))?;
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP answer Computed at scrape time.
/// ## TYPE answer gauge
/// answer 42
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone)]
pub struct GaugeFn(Arc<dyn Fn() -> f64 + Send + Sync>);

impl GaugeFn {
    /// Wraps `read`, called once per scrape. Should `read` panic, the scrape leaves this
    /// family out and reports an [`ErrorKind::Collect`](crate::ErrorKind::Collect)
    /// error; the other families are still encoded.
    pub fn new(read: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(read))
    }

    /// Calls the closure.
    pub fn get(&self) -> f64 {
        (self.0)()
    }
}

impl fmt::Debug for GaugeFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GaugeFn").finish_non_exhaustive()
    }
}

/// A counter whose total is read by a closure at every scrape, for totals kept elsewhere
/// (bytes a library has sent, say). The closure must return a total that never decreases.
///
/// ```
/// use prom_kit::{CounterFn, Registry};
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
///
/// let sent = Arc::new(AtomicU64::new(7));
/// let registry = Registry::new();
/// let read = Arc::clone(&sent);
/// registry.register("bytes_sent", "Bytes sent.", CounterFn::new(move || read.load(Ordering::Relaxed) as f64))?;
/// assert_eq!(registry.encode_text()?, "\
/// ## HELP bytes_sent_total Bytes sent.
/// ## TYPE bytes_sent_total counter
/// bytes_sent_total 7
/// ");
/// # Ok::<(), prom_kit::Error>(())
/// ```
#[derive(Clone)]
pub struct CounterFn(Arc<dyn Fn() -> f64 + Send + Sync>);

impl CounterFn {
    /// Wraps `read`, called once per scrape. Should `read` panic, the scrape leaves this
    /// family out and reports an [`ErrorKind::Collect`](crate::ErrorKind::Collect)
    /// error; the other families are still encoded.
    pub fn new(read: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(read))
    }

    /// Calls the closure.
    pub fn get(&self) -> f64 {
        (self.0)()
    }
}

impl fmt::Debug for CounterFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CounterFn").finish_non_exhaustive()
    }
}
