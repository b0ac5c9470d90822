//! [`app_server`]: an axum [`Router`] served by prom-kit's server, with the time limits
//! that `axum::serve` leaves out.

use axum::Router;
use prom_kit::server::Server;
use tower_service::Service;

/// A prom-kit [`Server`] serving `app` (HTTP/1.1), with what `axum::serve` leaves out:
/// a header-read timeout (10 s) and an idle timeout (90 s) on every connection, a
/// connection limit (512) at which connections waiting for a request head or idle make
/// room for new ones, and a graceful shutdown that closes idle and half-sent connections
/// at once and gives requests in progress a grace period (5 s), not forever. Change them
/// with the [`Server`] builder; start it with [`Server::start`], and stop it with
/// [`RunningServer::shutdown`](prom_kit::server::RunningServer::shutdown) when the
/// program is told to stop.
///
/// ```
/// use std::time::Duration;
/// use axum::{routing::get, Router};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let app: Router = Router::new().route("/", get(|| async { "hello" }));
/// let server = prom_kit_axum::app_server(app)
///     .shutdown_grace(Duration::from_secs(10))
///     .start("127.0.0.1:0")
///     .await?;
/// println!("listening on http://{}", server.local_addr());
/// // … until SIGTERM or Ctrl-C (`tokio::signal`), then:
/// server.shutdown().await;
/// # Ok::<(), prom_kit::Error>(())
/// # }).unwrap();
/// ```
pub fn app_server(app: Router) -> Server {
    Server::for_service(move |request| {
        // A `Router` is always ready: `call` needs no `poll_ready` first.
        let mut router = app.clone();
        router.call(request)
    })
}
