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
//! The same server, with the same time limits, connection limit and bounded graceful
//! shutdown, can serve an application instead ([`Server::for_service`];
//! `prom_kit_axum::app_server` for an axum `Router`), which frameworks' own `serve`
//! functions often leave without a header-read or idle timeout.
//!
//! ```
//! use prom_kit::{Counter, Registry};
//!
//! let registry = Registry::new();
//! let jobs = Counter::new();
//! registry.register("jobs", "Jobs done.", jobs.clone())?;
//! let server = prom_kit::server::start_http_server("127.0.0.1:0", &registry)?;
//! println!("metrics at http://{}/metrics", server.local_addr());
//! jobs.inc();
//! server.shutdown();
//! # Ok::<(), prom_kit::Error>(())
//! ```

mod body;
mod connection;
mod eviction;
mod routes;
mod service;

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use tokio::sync::watch;

use routes::{BoxError, Routes};

use crate::error::{Error, ErrorKind, Result};
use crate::registry::Registry;
use crate::scrape::MetricsHandler;

/// How long a graceful shutdown waits for requests in progress, by default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long a client has to send a complete request head, by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a keep-alive connection may wait for its next request, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How many connections are served at once, by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Configures the server: the exporter of a [`MetricsHandler`], or an application's
/// [service](Self::for_service).
///
/// Connections are bounded in time and number, so that slow or abusive clients cannot
/// exhaust the process (the limits of Go's `http.Server`):
/// - a client must send a complete request head within the
///   [header-read timeout](Self::header_read_timeout) of connecting, or of the first byte
///   after an idle spell (10 s by default; Go's `ReadHeaderTimeout`);
/// - a keep-alive connection is closed after the [idle timeout](Self::idle_timeout)
///   without a new request (90 s);
/// - a response must be read within the idle timeout of its head, so that a client that
///   stops reading cannot hold its connection;
/// - at most [`max_connections`](Self::max_connections) are open at once (512). At the
///   limit, a new client takes the place of the connection that has waited longest for a
///   complete request head (a slowloris client's, say) or, if none is, of the one idle
///   longest between keep-alive requests; a connection serving a request or sending its
///   response is never cut, and when all are, the new client waits until one closes;
/// - a shutdown closes at once the connections that have not sent a complete request and
///   gives requests in progress the [shutdown grace](Self::shutdown_grace) (5 s);
/// - accept errors (out of file descriptors, say) are retried with a back-off of 5 ms
///   doubling to 1 s, not in a busy loop; the first of a run is logged to standard error.
///
/// Scrapes are encoded on tokio's blocking pool, never on the runtime's own threads.
#[derive(Clone, Debug)]
#[must_use = "a server does nothing until started"]
pub struct Server {
    routes: Routes,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
    shutdown_grace: Duration,
    /// Made by [`for_registry`](Self::for_registry): its own metrics are the server's to
    /// take back out of the registry if the server cannot start.
    made_handler: bool,
}

impl Server {
    /// Serves what `handler` serves (configure scrape limits, gzip, own metrics there).
    pub fn new(handler: MetricsHandler) -> Self {
        Self::with_routes(Routes::Metrics {
            handler,
            path: Arc::from("/metrics"),
        })
    }

    /// Serves an application instead of metrics: every request goes to `service`, an
    /// async function from a request to a response (what hyper's `service_fn` takes),
    /// with the same time limits, connection limit and graceful shutdown. HTTP/1.1, no
    /// upgrades. A panic in `service` (or its future) answers its request with `500`.
    /// For an axum `Router`, `prom_kit_axum::app_server` does this.
    ///
    /// ```
    /// use prom_kit::server::Server;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = Server::for_service(|request: http::Request<_>| async move {
    ///     let answer = format!("you asked for {}\n", request.uri().path());
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
    ///         bytes::Bytes::from(answer),
    ///     )))
    /// })
    /// .start("127.0.0.1:0")
    /// .await?;
    /// println!("serving on http://{}", server.local_addr());
    /// server.shutdown().await;
    /// # Ok::<(), prom_kit::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn for_service<F, Fut, B, E>(service: F) -> Self
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<Response<B>, E>> + Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
        E: Into<BoxError>,
    {
        Self::with_routes(Routes::app(service))
    }

    fn with_routes(routes: Routes) -> Self {
        Self {
            routes,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            made_handler: false,
        }
    }

    /// Takes the handler's own metrics back out of its registry if this server made the
    /// handler and could not start, so that a second attempt (on another port, say) can
    /// register them again.
    fn give_back(self, error: Error) -> Error {
        if let (true, Routes::Metrics { handler, .. }) = (self.made_handler, &self.routes) {
            handler.unregister_own_metrics();
        }
        error
    }

    /// Serves `registry` with a default [`MetricsHandler`].
    ///
    /// # Errors
    ///
    /// See [`MetricsHandler::new`].
    pub fn for_registry(registry: &Registry) -> Result<Self> {
        Ok(Self {
            made_handler: true,
            ..Self::new(MetricsHandler::new(registry)?)
        })
    }

    /// The path of the metrics (default `/metrics`; no effect on a
    /// [service](Self::for_service)).
    pub fn path(mut self, path: &str) -> Self {
        if let Routes::Metrics { path: current, .. } = &mut self.routes {
            *current = Arc::from(path);
        }
        self
    }

    /// How long a client has to send a complete request head, from connecting or from
    /// the first byte of a keep-alive request ([`DEFAULT_HEADER_READ_TIMEOUT`]).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a keep-alive connection may wait for its next request, and a client may
    /// take to read a response from its head ([`DEFAULT_IDLE_TIMEOUT`]).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How many connections are open at once, at most ([`DEFAULT_MAX_CONNECTIONS`];
    /// at least 1). At the limit a new connection evicts one that is not in use (see
    /// [`Server`]).
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = limit.max(1);
        self
    }

    /// How long a shutdown waits for requests in progress ([`DEFAULT_SHUTDOWN_GRACE`]).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    fn into_parts(self) -> (Routes, service::Settings) {
        let settings = service::Settings {
            timeouts: connection::Timeouts {
                header_read: self.header_read_timeout,
                idle: self.idle_timeout,
            },
            max_connections: self.max_connections,
            grace: self.shutdown_grace,
        };
        (self.routes, settings)
    }

    /// Binds `address` and serves on the current tokio runtime until
    /// [`RunningServer::shutdown`] (or drop).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] if the address cannot be resolved or bound (the message names
    /// it: `binding the metrics server to 127.0.0.1:9090: Address already in use`), or if
    /// called outside a tokio runtime. A server made by
    /// [`for_registry`](Self::for_registry) then takes its handler's own metrics back out
    /// of the registry, so that another attempt can start.
    pub async fn start(self, address: impl tokio::net::ToSocketAddrs) -> Result<RunningServer> {
        let bound = async {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host(address)
                .await
                .map_err(resolve_error)?
                .collect();
            let listener = tokio::net::TcpListener::bind(&addresses[..])
                .await
                .map_err(|e| bind_error(&addresses, e))?;
            let local_addr = listener
                .local_addr()
                .map_err(|e| Error::with_source(ErrorKind::Io, "reading the bound address", e))?;
            Ok::<_, Error>((listener, local_addr))
        };
        let (listener, local_addr) = match bound.await {
            Ok(bound) => bound,
            Err(error) => return Err(self.give_back(error)),
        };
        let (stop, stopped) = watch::channel(false);
        let (routes, settings) = self.into_parts();
        let task = tokio::spawn(service::run(listener, routes, settings, stopped));
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
    /// [`ErrorKind::Io`] if the address cannot be resolved or bound (the message names
    /// it, as [`start`](Self::start)'s) or the thread not started; a server made by
    /// [`for_registry`](Self::for_registry) then takes its handler's own metrics back out
    /// of the registry, as `start` does.
    pub fn start_on_thread(self, address: impl ToSocketAddrs) -> Result<ServerThread> {
        let bound = (|| {
            let addresses: Vec<SocketAddr> =
                address.to_socket_addrs().map_err(resolve_error)?.collect();
            let listener = std::net::TcpListener::bind(&addresses[..])
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|e| bind_error(&addresses, e))?;
            let local_addr = listener
                .local_addr()
                .map_err(|e| Error::with_source(ErrorKind::Io, "reading the bound address", e))?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::with_source(ErrorKind::Io, "starting the server runtime", e))?;
            Ok::<_, Error>((listener, local_addr, runtime))
        })();
        let (listener, local_addr, runtime) = match bound {
            Ok(bound) => bound,
            Err(error) => return Err(self.give_back(error)),
        };
        let (stop, stopped) = watch::channel(false);
        let (routes, settings) = self.into_parts();
        let thread = std::thread::Builder::new()
            .name("prom-kit-server".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            service::run(listener, routes, settings, stopped).await;
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
    registry: &Registry,
) -> Result<RunningServer> {
    Server::for_registry(registry)?.start(address).await
}

/// Starts a server for `registry` on its own thread (Python's `start_http_server`).
///
/// # Errors
///
/// As [`Server::for_registry`] and [`Server::start_on_thread`].
pub fn start_http_server(address: impl ToSocketAddrs, registry: &Registry) -> Result<ServerThread> {
    Server::for_registry(registry)?.start_on_thread(address)
}

/// The error of a server address that does not resolve, with the cause's message.
fn resolve_error(error: std::io::Error) -> Error {
    Error::with_source(
        ErrorKind::Io,
        format!("resolving the metrics server's address: {error}"),
        error,
    )
}

/// The error of binding the server to `addresses` (what its address resolved to), naming
/// them and the cause.
fn bind_error(addresses: &[SocketAddr], error: std::io::Error) -> Error {
    let addresses: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    Error::with_source(
        ErrorKind::Io,
        format!(
            "binding the metrics server to {}: {error}",
            addresses.join(", ")
        ),
        error,
    )
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

    /// Stops accepting, closes the connections that have not sent a complete request,
    /// lets requests in progress finish (up to the shutdown grace), and returns when the
    /// server has stopped.
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
