//! [`Echo`]: the echo service's behaviour.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Code, Request, Response, Status, Streaming};

use super::generated::echo_server::Echo as EchoApi;
use super::{EchoReply, EchoRequest};

/// The service's full name, as the call paths carry it.
pub const ECHO_SERVICE: &str = "promkit.test.Echo";

/// The echo service: each request's `code`, `delay_ms` and `count` say how its call
/// ends (see [`EchoRequest`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Echo;

type ReplyStream = Pin<Box<dyn Stream<Item = Result<EchoReply, Status>> + Send>>;

fn status_of(request: &EchoRequest) -> Option<Status> {
    (request.code != 0).then(|| Status::new(Code::from(request.code), "the request asked for it"))
}

async fn delay(request: &EchoRequest) {
    if request.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(request.delay_ms)).await;
    }
}

#[tonic::async_trait]
impl EchoApi for Echo {
    async fn unary(&self, request: Request<EchoRequest>) -> Result<Response<EchoReply>, Status> {
        let request = request.into_inner();
        delay(&request).await;
        match status_of(&request) {
            Some(status) => Err(status),
            None => Ok(Response::new(EchoReply {
                message: request.message,
                index: 0,
            })),
        }
    }

    async fn client_stream(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<EchoReply>, Status> {
        let mut stream = request.into_inner();
        let mut received = 0u32;
        while let Some(request) = stream.message().await? {
            received += 1;
            delay(&request).await;
            if let Some(status) = status_of(&request) {
                return Err(status);
            }
        }
        Ok(Response::new(EchoReply {
            message: received.to_string(),
            index: 0,
        }))
    }

    type ServerStreamStream = ReplyStream;

    async fn server_stream(
        &self,
        request: Request<EchoRequest>,
    ) -> Result<Response<ReplyStream>, Status> {
        let request = request.into_inner();
        let replies = futures_util::stream::unfold(0u32, move |index| {
            let request = request.clone();
            async move {
                if index > request.count {
                    return None;
                }
                if index == request.count {
                    // After the last reply: the requested status, or the end.
                    return status_of(&request).map(|status| (Err(status), index + 1));
                }
                delay(&request).await;
                let reply = EchoReply {
                    message: request.message.clone(),
                    index,
                };
                Some((Ok(reply), index + 1))
            }
        });
        Ok(Response::new(Box::pin(replies)))
    }

    type BidiStream = ReplyStream;

    async fn bidi(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<ReplyStream>, Status> {
        let requests = request.into_inner();
        let replies = requests
            .enumerate()
            .then(|(index, request)| async move {
                let request = request?;
                delay(&request).await;
                match status_of(&request) {
                    Some(status) => Err(status),
                    None => Ok(EchoReply {
                        message: request.message,
                        index: u32::try_from(index).unwrap_or(u32::MAX),
                    }),
                }
            })
            // A status ends the stream, as a real service would.
            .scan(false, |ended, reply| {
                let item = (!*ended).then(|| {
                    *ended = reply.is_err();
                    reply
                });
                async move { item }
            });
        Ok(Response::new(Box::pin(replies)))
    }
}

/// A listener on an ephemeral port of 127.0.0.1, as a stream for tonic's
/// `serve_with_incoming*`, and its address.
///
/// # Panics
///
/// If the loopback interface cannot be bound (a broken test machine).
pub async fn bind_loopback() -> (TcpListenerStream, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    (TcpListenerStream::new(listener), addr)
}
