//! The accept loop of the server, and the service of each connection.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::body::TrackedBody;
use super::connection::{Activity, Timeouts, WatchedStream, drive};
use super::eviction::OpenConnections;
use super::routes::{AppError, Routes};

/// What the accept loop and its connections are configured with.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    pub(super) timeouts: Timeouts,
    pub(super) max_connections: usize,
    pub(super) grace: Duration,
}

/// The largest request head accepted (a scrape's is a few hundred bytes; hyper's own
/// default is about 400 KiB).
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Accepts connections until `stopped` turns true, then closes the connections that have
/// not sent a complete request and waits up to `grace` for the others. At the connection
/// limit, a new connection evicts one that is not serving a request (see
/// [`OpenConnections::evict_one`]).
pub(super) async fn run(
    listener: TcpListener,
    routes: Routes,
    settings: Settings,
    mut stopped: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let mut open = OpenConnections::default();
    let mut connections = JoinSet::new();
    let mut backoff = AcceptBackoff::default();
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop_requested(&mut stopped) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff.reset();
                stream
            }
            Err(error) => {
                if !is_connection_error(&error) {
                    tokio::select! {
                        () = backoff.wait(&error) => {}
                        () = stop_requested(&mut stopped) => break,
                    }
                }
                continue;
            }
        };
        let permit = if let Ok(permit) = Arc::clone(&permits).try_acquire_owned() {
            permit
        } else {
            // At the limit: let the connections read what has arrived (a request head
            // completed is never cut), then evict one not using its connection.
            tokio::task::yield_now().await;
            if permits.available_permits() == 0 {
                open.evict_one();
            }
            // Its slot is free once its task has closed it; if every connection is
            // serving, wait for one to finish (Go's `netutil.LimitListener`).
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => permit,
                () = stop_requested(&mut stopped) => break,
            };
            let Ok(permit) = permit else { break };
            permit
        };
        let activity = Activity::accepted();
        open.add(&activity);
        let service = service_fn({
            let (routes, activity) = (routes.clone(), Arc::clone(&activity));
            move |request| {
                activity.serving();
                let answer = routes.answer(request);
                let activity = Arc::clone(&activity);
                async move {
                    let response = answer.await?;
                    Ok::<_, AppError>(response.map(|body| TrackedBody::new(body, activity)))
                }
            }
        });
        let io = TokioIo::new(WatchedStream::new(stream, Arc::clone(&activity)));
        let connection = http1::Builder::new()
            .header_read_timeout(None) // enforced by `drive`, idle time apart
            .max_header_size(MAX_HEADER_BYTES)
            .serve_connection(io, service);
        let driven = drive(
            Box::pin(connection),
            http1::Connection::graceful_shutdown,
            activity,
            settings.timeouts,
            stopped.clone(),
            settings.grace,
        );
        connections.spawn(async move {
            driven.await;
            drop(permit); // the slot is free once the connection is closed
        });
    }
    drop(listener);
    // Each connection saw the stop itself; give the ones finishing a request their grace.
    let _ = tokio::time::timeout(settings.grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}

/// Resolves once `stopped` holds `true` (or its sender is gone).
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Errors of one connection that `accept` reports, after which accepting goes on at once
/// (as hyper's and axum's loops do); any other error is the listener's or the process's
/// (out of file descriptors, say) and is waited out.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Go's `http.Server` back-off on accept errors: 5 ms, doubling up to 1 s, reset by the
/// next accepted connection; the first error of a run is logged to standard error.
#[derive(Debug, Default)]
struct AcceptBackoff {
    delay: Option<Duration>,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    async fn wait(&mut self, error: &std::io::Error) {
        let delay = match self.delay {
            None => {
                eprintln!("prom-kit server: accept failed ({error}); retrying with back-off");
                Self::FIRST
            }
            Some(previous) => (previous * 2).min(Self::MAX),
        };
        self.delay = Some(delay);
        tokio::time::sleep(delay).await;
    }

    fn reset(&mut self) {
        self.delay = None;
    }
}
