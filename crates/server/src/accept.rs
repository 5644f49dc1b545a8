//! The accept loop: one HTTP/1 connection per socket, with a deadline for its request
//! headers, so a client that sends half a handshake, or drips it byte by byte, is closed
//! instead of holding a socket and a task for ever.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tower::ServiceExt;

/// How long to pause accepting after an error such as running out of file descriptors,
/// which would otherwise repeat at once.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `router` on every connection `listener` accepts until `stop` fires, then asks open
/// HTTP connections to finish their current request and close. Upgraded WebSockets are no
/// longer HTTP connections; the server closes them itself.
///
/// Each request carries the peer's address as [`ConnectInfo`].
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    mut stop: oneshot::Receiver<()>,
) -> io::Result<()> {
    let (closing, closing_rx) = watch::channel(false);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let connection = serve_one(
                    stream,
                    peer,
                    router.clone(),
                    header_timeout,
                    closing_rx.clone(),
                );
                tokio::spawn(connection);
            }
            Err(err) => {
                tracing::warn!(%err, "cannot accept a connection");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            }
        }
    }
    closing.send_replace(true);
    Ok(())
}

async fn serve_one(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    header_timeout: Duration,
    mut closing: watch::Receiver<bool>,
) {
    // Chat frames are small and latency matters more than packet count.
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut asked_to_close = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, %err, "HTTP connection ended");
                }
                return;
            }
            _ = closing.wait_for(|&closing| closing), if !asked_to_close => {
                connection.as_mut().graceful_shutdown();
                asked_to_close = true;
            }
        }
    }
}
