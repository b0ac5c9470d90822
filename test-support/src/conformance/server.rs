//! A server under test, run by a thread of its own and stopped by its own handle.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use tokio::sync::watch;

use super::client::IO_TIMEOUT;

/// How a server is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Accept no new connection, let the requests in flight finish, then stop.
    Graceful,
    /// Stop now, dropping the requests in flight.
    Immediate,
}

/// What the server's thread is told about stopping; cheap to clone.
#[derive(Clone, Debug)]
pub struct StopSignal(watch::Receiver<Option<Stop>>);

impl StopSignal {
    /// Resolves when a stop of either kind is asked for (or the [`RunningApp`] is gone),
    /// with its kind: hand it to the framework's graceful shutdown.
    pub async fn requested(&self) -> Stop {
        let mut receiver = self.0.clone();
        match receiver.wait_for(Option::is_some).await {
            Ok(stop) => stop.unwrap_or(Stop::Immediate),
            Err(_) => Stop::Immediate,
        }
    }

    /// Resolves when the server must stop at once: on an immediate stop, or `grace`
    /// after a graceful one (for frameworks whose graceful shutdown waits without limit).
    pub async fn forced(&self, grace: Duration) {
        if self.requested().await == Stop::Graceful {
            let mut receiver = self.0.clone();
            let immediate = receiver.wait_for(|stop| *stop == Some(Stop::Immediate));
            // Either way the server stops now; an error means the app is gone.
            let _ = tokio::time::timeout(grace, immediate).await;
        }
    }
}

/// A server on 127.0.0.1 (a port of its own) run by a thread of its own. Dropped while
/// running, it is stopped at once and its thread joined; a test that fails stops its
/// server too.
#[derive(Debug)]
pub struct RunningApp {
    addr: SocketAddr,
    stop: watch::Sender<Option<Stop>>,
    /// Reports how the server's run ended.
    stopped: mpsc::Receiver<io::Result<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl RunningApp {
    /// Binds a non-blocking listener on 127.0.0.1 port 0 and calls `serve` with it on a
    /// new thread: `serve` serves requests on the listener until its [`StopSignal`] says
    /// to stop, then returns how the server ended. Connections made before the server
    /// accepts wait in the listener's backlog.
    ///
    /// # Panics
    ///
    /// If no listener can be bound or no thread started.
    pub fn serve(
        serve: impl FnOnce(TcpListener, StopSignal) -> io::Result<()> + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the listener's address");
        let (stop, signal) = watch::channel(None);
        let (stopped_tx, stopped) = mpsc::channel();
        let thread = thread::Builder::new()
            .name(format!("server {addr}"))
            .spawn(move || {
                let _ = stopped_tx.send(serve(listener, StopSignal(signal)));
            })
            .expect("a server thread");
        Self {
            addr,
            stop,
            stopped,
            thread: Some(thread),
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server gracefully (in-flight requests finish) and waits up to `limit`
    /// for it to stop; returns how it ended, or `None` if it did not stop in time.
    pub fn stop_gracefully(&mut self, limit: Duration) -> Option<io::Result<()>> {
        self.stop_and_wait(Stop::Graceful, limit)
    }

    fn stop_and_wait(&mut self, how: Stop, limit: Duration) -> Option<io::Result<()>> {
        self.stop.send_if_modified(|stop| {
            let escalates = *stop != Some(how) && *stop != Some(Stop::Immediate);
            if escalates {
                *stop = Some(how);
            }
            escalates
        });
        let outcome = match self.stopped.recv_timeout(limit) {
            Ok(outcome) => outcome,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => {
                Err(io::Error::other("the server's thread panicked"))
            }
        };
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        Some(outcome)
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop_and_wait(Stop::Immediate, IO_TIMEOUT);
        }
    }
}
