//! Runnable example applications for prom-kit; each binary in `src/bin` is one scenario:
//!
//! | binary | what it shows |
//! |--------|---------------|
//! | `axum-app` | an axum service counting its requests (the aiohttp example's counterpart) |
//! | `actix-app` | an actix-web service exposing business gauges (the flask example's counterpart) |
//! | `basic` | the core crate alone, behind a minimal blocking listener |
//!
//! This library holds the little they share: where to listen and when to stop.

/// The address to listen on: `LISTEN_ADDR` if set, else `default`.
pub fn listen_addr(default: &str) -> String {
    std::env::var("LISTEN_ADDR").unwrap_or_else(|_| default.to_owned())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM, for a graceful shutdown.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                eprintln!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    println!("shutting down");
}
