//! Runnable example applications for prom-kit; each binary in `src/bin` is one scenario:
//!
//! | binary | what it shows |
//! |--------|---------------|
//! | `axum-app` | an axum service counting its requests (the aiohttp example's counterpart) |
//! | `actix-app` | an actix-web service exposing business gauges (the flask example's counterpart) |
//! | `basic` | the core crate alone, behind a minimal blocking listener |
//! | `grpc-app` | a tonic gRPC service (unary and server-streaming) with go-grpc-middleware's metrics, and a client mode |
//!
//! This library holds the little they share: where to listen, when to stop, and how long
//! requests in progress get to finish then.

pub mod greeter;

/// The address to listen on: `LISTEN_ADDR` if set, else `default`.
pub fn listen_addr(default: &str) -> String {
    std::env::var("LISTEN_ADDR").unwrap_or_else(|_| default.to_owned())
}

/// The address to serve metrics on when the app's main listener speaks another
/// protocol: `METRICS_ADDR` if set, else `default`.
pub fn metrics_addr(default: &str) -> String {
    std::env::var("METRICS_ADDR").unwrap_or_else(|_| default.to_owned())
}

/// How long requests (or calls) in progress get to finish once the app is told to stop:
/// `SHUTDOWN_GRACE` in seconds (`5`, `0.5`) if set to a positive number, else 5 s.
pub fn shutdown_grace() -> std::time::Duration {
    std::env::var("SHUTDOWN_GRACE")
        .ok()
        .and_then(|seconds| seconds.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .and_then(|seconds| std::time::Duration::try_from_secs_f64(seconds).ok())
        .unwrap_or(prom_kit::server::DEFAULT_SHUTDOWN_GRACE)
}

/// Listens for Ctrl-C (SIGINT) and SIGTERM from now on, and returns what completes on the
/// first of them, for a graceful shutdown. Call it (inside the runtime) before announcing
/// that the app listens: a signal that arrives after the announcement is then never
/// missed, however soon.
///
/// # Errors
///
/// If the signal handlers cannot be installed.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
        println!("shutting down");
    })
}

/// A `main`'s result as its exit status: on an error, prints `program: ` and the error's
/// message ([`error_text`]) to stderr and exits with status 1. (A `main` that returns the
/// `Result` itself would print the error's `Debug` form, a struct dump, instead.)
pub fn exit_status(
    program: &str,
    result: Result<(), Box<dyn std::error::Error>>,
) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{program}: {}", error_text(&*error));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error's message for a person: its `Display` — which for prom-kit's errors already
/// includes the cause (`binding the metrics server to 127.0.0.1:9100: Address already in
/// use (os error 98)`) — followed by the messages of its causes it does not include, as
/// other libraries' errors need (tonic's `transport error` says why only in its source).
pub fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let causes: Vec<String> = std::iter::successors(error.source(), |cause| cause.source())
        .map(ToString::to_string)
        .collect();
    // A message that includes its innermost cause's says everything already.
    if causes
        .last()
        .is_some_and(|innermost| text.contains(innermost.as_str()))
    {
        return text;
    }
    for cause in causes {
        if !text.contains(cause.as_str()) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
