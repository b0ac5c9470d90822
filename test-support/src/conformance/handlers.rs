//! The standard app's handlers, framework-neutral: an adapter mounts them as they are
//! (async functions of no argument answering text) or wraps their output in its
//! framework's response type.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

use super::Gate;

/// The body of `GET /users/{id}`.
pub const USER: &str = "a user";
/// The body of the error `/fails` answers 400 with.
pub const FAILS: &str = "bad";
/// The body of `/wait` once released.
pub const RELEASED: &str = "released";
/// The body of `/slow`.
pub const DONE: &str = "done";
/// The body of `/health`.
pub const HEALTH: &str = "ok";
/// How long `/slow` takes.
pub const SLOW: Duration = Duration::from_millis(300);
/// The chunks `/stream` sends, [`CHUNK`] bytes each, [`CHUNK_DELAY`] apart.
pub const CHUNKS: usize = 3;
/// The size of a `/stream` chunk.
pub const CHUNK: usize = 1000;
/// The delay before each `/stream` chunk.
pub const CHUNK_DELAY: Duration = Duration::from_millis(100);
/// The ticks `/lateness` sleeps for, [`TICK`] each.
pub const TICKS: u32 = 150;
/// The length of a `/lateness` tick.
pub const TICK: Duration = Duration::from_millis(5);

/// `/wait`: answers [`RELEASED`] once `gate` opens.
pub async fn wait(gate: Gate) -> &'static str {
    gate.wait().await;
    RELEASED
}

/// `/stream`: the body, [`CHUNKS`] chunks of [`CHUNK`] bytes, each after [`CHUNK_DELAY`].
pub fn stream() -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    futures_util::stream::unfold(0, |sent| async move {
        if sent == CHUNKS {
            return None;
        }
        tokio::time::sleep(CHUNK_DELAY).await;
        Some((Ok(Bytes::from(vec![b'x'; CHUNK])), sent + 1))
    })
}

/// `/slow`: answers [`DONE`] after [`SLOW`].
pub async fn slow() -> &'static str {
    tokio::time::sleep(SLOW).await;
    DONE
}

/// `/lateness`: sleeps [`TICKS`] times for [`TICK`] on the runtime that runs the request
/// and answers the worst lateness of a wake-up, in whole microseconds: how long, at most,
/// that runtime could not run it (see [`worst_lateness`](crate::worst_lateness)).
pub async fn lateness() -> String {
    crate::worst_lateness(TICKS, TICK)
        .await
        .as_micros()
        .to_string()
}
