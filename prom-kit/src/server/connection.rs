//! One client connection of the exporter server: its time limits and its part in a
//! graceful shutdown.
//!
//! A connection is in one of four phases, told apart by watching its reads, the service
//! calls and the response bodies:
//! - **reading a request head** — from accept, or from the first byte after an idle
//!   spell — bounded by the header-read timeout (Go's `ReadHeaderTimeout`);
//! - **serving** a request — not bounded here (the handler's own work);
//! - **sending** the response body — bounded by the idle timeout, counted from the
//!   response head, so that a client that stops reading cannot hold its connection;
//! - **idle** between keep-alive requests — bounded by the idle timeout (Go's
//!   `IdleTimeout`).
//!
//! A shutdown closes at once every connection that has not sent a complete request, and
//! lets the others finish the request they are serving. At the connection limit, one that
//! is reading a head or idle may be [evicted](Activity::evict) for a new one.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// The time limits of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Timeouts {
    /// From accept (or the first byte after an idle spell) to a complete request head.
    pub(super) header_read: Duration,
    /// Between the end of one response and the first byte of the next request.
    pub(super) idle: Duration,
}

/// Where a connection is in its request cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for (the rest of) a request head since the instant given.
    ReadingHead(Instant),
    /// A request is being served.
    Serving,
    /// The response head is out and its body being sent since the instant given.
    Sending(Instant),
    /// The last response is out; no byte of the next request since the instant given.
    Idle(Instant),
    /// Evicted to make room for a new connection: to be closed at once.
    Evicted,
}

/// A connection's phase, shared by its reads, its service and its watchdog.
#[derive(Debug)]
pub(super) struct Activity {
    phase: Mutex<Phase>,
    /// Wakes the watchdog when the phase changes (its deadline may come sooner).
    changed: Notify,
}

impl Activity {
    /// A connection accepted now: it must send a complete head within the header-read
    /// timeout.
    pub(super) fn accepted() -> Arc<Self> {
        Arc::new(Self {
            phase: Mutex::new(Phase::ReadingHead(Instant::now())),
            changed: Notify::new(),
        })
    }

    /// Moves to `phase`, unless the connection is evicted (it stays so until closed).
    fn enter(&self, phase: Phase) {
        let mut current = self.phase.lock();
        if *current != Phase::Evicted {
            *current = phase;
        }
        drop(current);
        self.changed.notify_one();
    }

    /// The service was called: the request head is complete.
    pub(super) fn serving(&self) {
        self.enter(Phase::Serving);
    }

    /// The service returned its response: the body is being sent.
    pub(super) fn responded(&self) {
        self.enter(Phase::Sending(Instant::now()));
    }

    /// The response body has ended (or was dropped): the connection waits for the next
    /// request.
    pub(super) fn served(&self) {
        self.enter(Phase::Idle(Instant::now()));
    }

    /// How eager a connection is to be evicted, lowest first: one reading a request head
    /// (`0`, since the instant given), then one idle between requests (`1`); `None` for
    /// one serving or sending a response, which is never evicted.
    pub(super) fn eviction_rank(&self) -> Option<(u8, Instant)> {
        match *self.phase.lock() {
            Phase::ReadingHead(since) => Some((0, since)),
            Phase::Idle(since) => Some((1, since)),
            Phase::Serving | Phase::Sending(_) | Phase::Evicted => None,
        }
    }

    /// Marks the connection to be closed at once, if it is still reading a head or
    /// idle (checked under the same lock as the phase changes, so a request that has
    /// just begun is never cut); returns whether it was.
    pub(super) fn evict(&self) -> bool {
        let mut phase = self.phase.lock();
        if !matches!(*phase, Phase::ReadingHead(_) | Phase::Idle(_)) {
            return false;
        }
        *phase = Phase::Evicted;
        drop(phase);
        self.changed.notify_one();
        true
    }

    /// Bytes arrived: an idle connection starts its next request head.
    fn read_bytes(&self) {
        let mut phase = self.phase.lock();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::ReadingHead(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// When the connection's current phase runs out, if it can (an evicted one has run
    /// out already).
    fn deadline(&self, timeouts: Timeouts) -> Option<Instant> {
        match *self.phase.lock() {
            Phase::ReadingHead(since) => Some(since + timeouts.header_read),
            Phase::Serving => None,
            Phase::Sending(since) | Phase::Idle(since) => Some(since + timeouts.idle),
            Phase::Evicted => Some(Instant::now()),
        }
    }

    /// Whether a shutdown may let the connection finish: it is serving a request or
    /// sending its response, or idle after one (hyper then closes it at once). One still
    /// reading a head, or evicted, is cut.
    fn may_finish(&self) -> bool {
        !matches!(*self.phase.lock(), Phase::ReadingHead(_) | Phase::Evicted)
    }
}

/// A TCP stream that reports the bytes it reads to the connection's [`Activity`].
#[derive(Debug)]
pub(super) struct WatchedStream {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl WatchedStream {
    pub(super) fn new(stream: TcpStream, activity: Arc<Activity>) -> Self {
        Self { stream, activity }
    }
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_bytes();
        }
        polled
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Runs `connection` until it ends, its current phase times out, or a shutdown cuts it
/// (see [`Activity::may_finish`]); after a shutdown, a connection that may finish is told
/// so through `graceful` and gets `grace` to end.
pub(super) async fn drive<C: std::future::Future>(
    mut connection: Pin<Box<C>>,
    graceful: impl FnOnce(Pin<&mut C>),
    activity: Arc<Activity>,
    timeouts: Timeouts,
    mut stopped: watch::Receiver<bool>,
    grace: Duration,
) {
    loop {
        // Serving has no deadline of its own: look again after a header-read timeout.
        let deadline = activity
            .deadline(timeouts)
            .unwrap_or_else(|| Instant::now() + timeouts.header_read);
        tokio::select! {
            _ = connection.as_mut() => return,
            () = activity.changed.notified() => {}
            () = tokio::time::sleep_until(deadline) => {
                if activity.deadline(timeouts).is_some_and(|d| d <= Instant::now()) {
                    return; // timed out: dropping the connection closes the socket
                }
            }
            changed = stopped.changed() => {
                if changed.is_ok() && !*stopped.borrow() {
                    continue;
                }
                if !activity.may_finish() {
                    return;
                }
                graceful(connection.as_mut());
                let _ = tokio::time::timeout(grace, connection.as_mut()).await;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn phases_set_the_deadline() {
        let timeouts = Timeouts {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        };
        let start = Instant::now();
        let activity = Activity::accepted();
        assert_eq!(
            activity.deadline(timeouts),
            Some(start + timeouts.header_read)
        );
        assert!(!activity.may_finish());
        // Bytes while reading a head do not move its deadline (a trickle cannot extend it).
        tokio::time::advance(Duration::from_secs(3)).await;
        activity.read_bytes();
        assert_eq!(
            activity.deadline(timeouts),
            Some(start + timeouts.header_read)
        );
        activity.serving();
        assert_eq!(activity.deadline(timeouts), None);
        assert!(activity.may_finish());
        activity.served();
        let idle_since = Instant::now();
        assert_eq!(
            activity.deadline(timeouts),
            Some(idle_since + timeouts.idle)
        );
        assert!(activity.may_finish());
        tokio::time::advance(Duration::from_secs(5)).await;
        activity.read_bytes();
        assert_eq!(
            activity.deadline(timeouts),
            Some(idle_since + Duration::from_secs(5) + timeouts.header_read)
        );
        assert!(!activity.may_finish());
        // A response being sent is bounded by the idle timeout, from its head.
        activity.serving();
        tokio::time::advance(Duration::from_secs(2)).await;
        activity.responded();
        let sending_since = Instant::now();
        assert_eq!(
            activity.deadline(timeouts),
            Some(sending_since + timeouts.idle)
        );
        assert!(activity.may_finish());
        assert!(!activity.evict(), "a response being sent is never evicted");
    }

    #[tokio::test(start_paused = true)]
    async fn an_evicted_connection_stays_evicted() {
        let timeouts = Timeouts {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        };
        let activity = Activity::accepted();
        assert!(activity.evict());
        assert!(!activity.evict(), "once");
        // Its head completes just after: it is still to be closed at once.
        activity.serving();
        assert_eq!(activity.deadline(timeouts), Some(Instant::now()));
        assert!(!activity.may_finish());
        assert_eq!(activity.eviction_rank(), None);
    }
}
