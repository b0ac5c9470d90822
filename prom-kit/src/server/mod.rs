//! A small standalone exporter server, for programs without a web framework: it serves
//! a registry at `/metrics` (through the same [`MetricsHandler`] as the framework
//! adapters: negotiation, gzip, `HEAD`/`405`, scrape limit) and `/-/healthy`.
//!
//! Start it on the current tokio runtime with [`Server::start`] (or [`serve`]), or on
//! its own thread for synchronous programs with [`Server::start_on_thread`] (or
//! [`start_http_server`], like Python's function of that name). Both bind before
//! returning, so port 0 works and [`local_addr`](RunningServer::local_addr) tells the
//! port; both shut down gracefully, letting scrapes in progress finish.
//!
//! ```
//! use prom_kit::{Counter, Registry};
//!
//! let registry = Registry::new();
//! let jobs = Counter::new();
//! registry.register("jobs", "Jobs done.", jobs.clone())?;
//! let server = prom_kit::server::start_http_server("127.0.0.1:0", registry)?;
//! println!("metrics at http://{}/metrics", server.local_addr());
//! jobs.inc();
//! server.shutdown();
//! # Ok::<(), prom_kit::Error>(())
//! ```

mod service;

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use tokio::sync::watch;

use crate::error::{Error, ErrorKind, Result};
use crate::http::MetricsHandler;
use crate::registry::Registry;

/// How long a graceful shutdown waits for connections in progress.
const GRACE: Duration = Duration::from_secs(5);

/// Configures the exporter server.
#[derive(Clone, Debug)]
#[must_use = "a server does nothing until started"]
pub struct Server {
    handler: MetricsHandler,
    path: String,
}

impl Server {
    /// Serves what `handler` serves (configure scrape limits, gzip, own metrics there).
    pub fn new(handler: MetricsHandler) -> Self {
        Self {
            handler,
            path: "/metrics".to_owned(),
        }
    }

    /// Serves `registry` with a default [`MetricsHandler`].
    ///
    /// # Errors
    ///
    /// See [`MetricsHandler::new`].
    pub fn for_registry(registry: Registry) -> Result<Self> {
        Ok(Self::new(MetricsHandler::new(registry)?))
    }

    /// The path of the metrics (default `/metrics`).
    pub fn path(mut self, path: &str) -> Self {
        path.clone_into(&mut self.path);
        self
    }

    /// Binds `address` and serves on the current tokio runtime until
    /// [`RunningServer::shutdown`] (or drop).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] if the address cannot be bound, or if called outside a tokio
    /// runtime.
    pub async fn start(self, address: impl tokio::net::ToSocketAddrs) -> Result<RunningServer> {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| Error::with_source(ErrorKind::Io, "binding the metrics server", e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::with_source(ErrorKind::Io, "reading the bound address", e))?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(service::run(
            listener,
            self.handler,
            self.path,
            stopped,
            GRACE,
        ));
        Ok(RunningServer {
            local_addr,
            stop,
            task: Some(task),
        })
    }

    /// Binds `address` and serves from a thread of its own (with its own single-threaded
    /// runtime), for programs without an async runtime.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] if the address cannot be bound or the thread not started.
    pub fn start_on_thread(self, address: impl ToSocketAddrs) -> Result<ServerThread> {
        let listener = std::net::TcpListener::bind(address)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| Error::with_source(ErrorKind::Io, "binding the metrics server", e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::with_source(ErrorKind::Io, "reading the bound address", e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::with_source(ErrorKind::Io, "starting the server runtime", e))?;
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("prom-kit-server".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            service::run(listener, self.handler, self.path, stopped, GRACE).await;
                        }
                        Err(error) => {
                            eprintln!("prom-kit server: cannot use the listener: {error}");
                        }
                    }
                });
            })
            .map_err(|e| Error::with_source(ErrorKind::Io, "spawning the server thread", e))?;
        Ok(ServerThread {
            local_addr,
            stop,
            thread: Some(thread),
        })
    }
}

/// Starts a server for `registry` on the current tokio runtime.
///
/// # Errors
///
/// As [`Server::for_registry`] and [`Server::start`].
pub async fn serve(
    address: impl tokio::net::ToSocketAddrs,
    registry: Registry,
) -> Result<RunningServer> {
    Server::for_registry(registry)?.start(address).await
}

/// Starts a server for `registry` on its own thread (Python's `start_http_server`).
///
/// # Errors
///
/// As [`Server::for_registry`] and [`Server::start_on_thread`].
pub fn start_http_server(address: impl ToSocketAddrs, registry: Registry) -> Result<ServerThread> {
    Server::for_registry(registry)?.start_on_thread(address)
}

/// A server running on a tokio runtime; shuts down gracefully when told or dropped.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets connections in progress finish (up to 5 s), and returns
    /// when the server has stopped.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A server running on its own thread; shuts down gracefully when told or dropped.
#[derive(Debug)]
pub struct ServerThread {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerThread {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server gracefully and waits for its thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

#[cfg(test)]
mod tests;
