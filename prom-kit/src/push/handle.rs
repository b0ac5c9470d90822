//! [`PushHandle`]: periodic pushing that cleans up after itself.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::PushClient;
use crate::error::{Error, ErrorKind, Result};
use crate::registry::Registry;

/// Pushes a registry periodically from a background task until shut down; then — or
/// when dropped — deletes its group from the gateway, so that a stopped job leaves no
/// stale metrics behind.
#[derive(Debug)]
pub struct PushHandle {
    client: PushClient,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    last_error: Arc<Mutex<Option<Error>>>,
}

impl PushHandle {
    pub(super) fn start(
        client: PushClient,
        registry: Registry,
        interval: Duration,
    ) -> Result<Self> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
            Error::with_source(ErrorKind::Io, "start_periodic needs a tokio runtime", e)
        })?;
        let (stop, mut stopped) = watch::channel(false);
        let last_error = Arc::new(Mutex::new(None));
        let task = runtime.spawn({
            let client = client.clone();
            let last_error = Arc::clone(&last_error);
            async move {
                let mut ticks = tokio::time::interval(interval);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = ticks.tick() => {
                            let result = client.push(&registry).await;
                            *last_error.lock() = result.err();
                        }
                        _ = stopped.changed() => {
                            // One last push, so the group holds the final values until
                            // it is deleted (or for a caller that keeps it).
                            let result = client.push(&registry).await;
                            *last_error.lock() = result.err();
                            return;
                        }
                    }
                }
            }
        });
        Ok(Self {
            client,
            stop,
            task: Some(task),
            last_error,
        })
    }

    /// The error of the most recent push, if it failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().as_ref().map(ToString::to_string)
    }

    /// Stops pushing (after one final push) and deletes the group.
    ///
    /// # Errors
    ///
    /// The delete's error.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(task) = self.task.take() {
            let _ = self.stop.send(true);
            let _ = task.await;
        }
        self.client.delete().await
    }
}

impl Drop for PushHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // Drop cannot await: delete on a private runtime, bounded by the client's
            // timeout.
            let _ = self.client.delete_blocking();
        }
    }
}
