//! One plain HTTP `GET` on a raw socket, read until its answer can be judged: how the harness
//! asks a process it started (a WebDriver, a static host) whether it is ready, without
//! depending on the client it is about to use.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `GET path` to `addr` and reads the answer until `judge` decides. `judge` sees the
/// answer so far and whether the connection has ended; it returns `None` to read on. A
/// server may keep the connection open after answering, so nothing waits for the end unless
/// `judge` does; an answer that ends undecided is an error carrying what was read.
pub(crate) async fn get_until<T>(
    addr: SocketAddr,
    path: &str,
    mut judge: impl FnMut(&str, bool) -> Option<Result<T, String>>,
) -> Result<T, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut response = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("read: {e}"))?;
        response.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&response);
        let ended = read == 0;
        if let Some(verdict) = judge(&text, ended) {
            return verdict;
        }
        if ended {
            return Err(format!("no answer to judge in {text:?}"));
        }
    }
}
