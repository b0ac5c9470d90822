//! [`PushHandle`]: periodic pushing that cleans up after itself.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::{PushClient, private_runtime};
use crate::error::{Error, ErrorKind, Result};
use crate::registry::Registry;

/// Pushes a registry periodically from a thread of its own until shut down; then — or
/// when dropped — deletes its group from the gateway, so that a stopped job leaves no
/// stale metrics behind.
///
/// The pushes run on the handle's own single-threaded runtime with connections of their
/// own, never on the caller's runtime: dropping the handle from a current-thread runtime
/// (whose only thread is then busy dropping) still deletes the group at once. A push in
/// flight is answered (or times out) before the final `DELETE` is sent, and the runtime
/// that sent it is gone by then, so no `PUT` of the handle can recreate the group after
/// it. Dropping the handle therefore blocks for at most two of the client's timeouts.
#[derive(Debug)]
pub struct PushHandle {
    stop: Option<oneshot::Sender<Stop>>,
    deleted: Option<oneshot::Receiver<Result<()>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    last_error: Arc<Mutex<Option<Error>>>,
}

/// How the pushing thread is told to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// One final push, then delete the group ([`PushHandle::shutdown`]).
    PushThenDelete,
    /// Delete the group at once (drop).
    Delete,
}

impl PushHandle {
    pub(super) fn start(
        client: &PushClient,
        registry: Registry,
        interval: Duration,
    ) -> Result<Self> {
        let (stop, stopped) = oneshot::channel();
        let (report, deleted) = oneshot::channel();
        let last_error = Arc::new(Mutex::new(None));
        let thread = std::thread::Builder::new()
            .name("prom-kit-push".to_owned())
            .spawn({
                let client = client.clone();
                let last_error = Arc::clone(&last_error);
                move || {
                    let result =
                        push_until_stopped(&client, &registry, interval, stopped, &last_error);
                    let _ = report.send(result);
                }
            })
            .map_err(|e| Error::with_source(ErrorKind::Io, "spawning the push thread", e))?;
        Ok(Self {
            stop: Some(stop),
            deleted: Some(deleted),
            thread: Some(thread),
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
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(Stop::PushThenDelete);
        }
        let result = match self.deleted.take() {
            Some(deleted) => deleted.await.unwrap_or_else(|_| {
                Err(Error::new(
                    ErrorKind::Transport,
                    "the push thread ended early",
                ))
            }),
            None => Ok(()),
        };
        // The thread has reported, so it is ending: nothing to wait for.
        self.thread.take();
        result
    }
}

impl Drop for PushHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(Stop::Delete);
        }
        // Blocks at most for the push in flight and the delete, each bounded by the
        // client's timeout; the thread needs nothing from the caller's runtime.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The pushing thread: pushes every `interval` on a runtime of its own until told to
/// stop, then drops that runtime (ending every exchange it started) and deletes the
/// group on a fresh one.
fn push_until_stopped(
    client: &PushClient,
    registry: &Registry,
    interval: Duration,
    mut stopped: oneshot::Receiver<Stop>,
    last_error: &Mutex<Option<Error>>,
) -> Result<()> {
    {
        let runtime = private_runtime()?;
        let client = client.with_own_connections()?;
        runtime.block_on(async {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let stop = loop {
                tokio::select! {
                    stop = &mut stopped => break stop.unwrap_or(Stop::Delete),
                    _ = ticks.tick() => {
                        // A push in flight is answered (or times out) before a stop is
                        // seen: a gateway that answered has applied it, so it cannot
                        // recreate the group after the delete.
                        *last_error.lock() = client.push(registry).await.err();
                    }
                }
            };
            if stop == Stop::PushThenDelete {
                // The group holds the final values until it is deleted.
                *last_error.lock() = client.push(registry).await.err();
            }
        });
        // The runtime drops here, and with it every exchange and connection it served.
    }
    let runtime = private_runtime()?;
    let client = client.with_own_connections()?;
    runtime.block_on(client.delete())
}
