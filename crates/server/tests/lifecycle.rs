//! Limits, the static frontend and shutdown: the server's edges.

use crate::common;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use wirechat_protocol::{close_code, Frame};
use wirechat_server::{Config, FlowLimits};

use common::{http_get, local, msg, start, Client, WAIT};

#[tokio::test]
async fn a_frame_over_the_limit_closes_that_socket_with_1009_only() {
    let server = start(Config {
        max_frame_bytes: 1024,
        ..local()
    })
    .await;
    let mut alice = Client::connect(&server).await;
    let mut bob = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    bob.join("lobby", "bob").await;

    bob.send(msg("big", "lobby", &"x".repeat(4000))).await;
    assert_eq!(bob.close_code().await, close_code::TOO_BIG);

    alice.presence_is("lobby", &["alice"]).await;
    alice.send(msg("m1", "lobby", "still here")).await;
    let echo = alice.recv_until(|f| matches!(f, Frame::Msg(_))).await;
    assert!(
        matches!(echo, Frame::Msg(m) if m.seq == Some(1)),
        "the big one was not stored"
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_with_4000_while_the_room_goes_on() {
    let server = start(Config {
        // About eight of the messages below, and no rate limit for the flood.
        flow: FlowLimits {
            queue_bytes: 24 * 1024,
            ..FlowLimits::unmetered()
        },
        ..local()
    })
    .await;
    let mut fast = Client::connect(&server).await;
    fast.join("lobby", "fast").await;

    // A small receive window, so the kernel cannot soak up megabytes for the client that
    // does not read.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = timeout(WAIT, socket.connect(server.addr()))
        .await
        .unwrap()
        .unwrap();
    let (mut slow, _) = timeout(
        WAIT,
        tokio_tungstenite::client_async(server.ws_url(), stream),
    )
    .await
    .unwrap()
    .unwrap();
    let join = wirechat_protocol::encode(&common::join_frame("lobby", "slow"));
    slow.send(Message::text(join)).await.unwrap();
    fast.presence_is("lobby", &["fast", "slow"]).await;

    // Talk until the slow client is dropped from the room, within a bounded count and time.
    let text = "x".repeat(3000);
    let started = Instant::now();
    let mut sent = 0u64;
    let mut slow_left = false;
    while !slow_left {
        assert!(sent < 5000, "the slow client was never closed");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "flood took too long"
        );
        sent += 1;
        let id = format!("m{sent}");
        fast.send(msg(&id, "lobby", &text)).await;
        loop {
            match fast.recv().await {
                Frame::Msg(m) if m.id == id => {
                    assert_eq!(m.seq, Some(sent), "the fast client misses nothing");
                    break;
                }
                Frame::Presence(p) if p.users == ["fast"] => slow_left = true,
                _ => {}
            }
        }
    }

    // The slow client, reading at last, finds the close code after what was sent to it.
    let mut received = 0u64;
    let code = timeout(Duration::from_secs(20), async {
        loop {
            match slow.next().await {
                Some(Ok(Message::Text(_))) => received += 1,
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("the close frame in time");
    assert_eq!(code, Some(close_code::SLOW_CONSUMER));
    assert!(received < sent, "{received} of {sent}");
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "wirechat-server-test-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_static_directory_is_served_with_index_html_at_the_root() {
    let dist = TempDir::new();
    let index = "<!doctype html><title>wirechat test page</title>";
    std::fs::write(dist.0.join("index.html"), index).unwrap();
    std::fs::write(dist.0.join("app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let server = start(Config {
        static_dir: Some(dist.0.clone()),
        ..local()
    })
    .await;

    let root = http_get(&server, "/").await;
    assert_eq!(root.status_line, "HTTP/1.1 200 OK");
    assert_eq!(root.body_text(), index);
    assert!(root
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));

    let wasm = http_get(&server, "/app_bg.wasm").await;
    assert_eq!(wasm.status_line, "HTTP/1.1 200 OK");
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));

    let missing = http_get(&server, "/nope.js").await;
    assert!(missing.status_line.starts_with("HTTP/1.1 404"));

    // The socket endpoint still works beside the files.
    Client::connect(&server).await;
}

#[tokio::test]
async fn without_a_static_directory_the_root_says_where_to_connect() {
    let server = start(local()).await;
    let root = http_get(&server, "/").await;
    assert_eq!(root.status_line, "HTTP/1.1 200 OK");
    assert!(root.body_text().contains("/ws"));
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_1001() {
    let server = start(local()).await;
    let addr = server.addr();
    let mut alice = Client::connect(&server).await;
    let mut bob = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    assert_eq!(server.state().open_connections(), 2);

    let state = server.state().clone();
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(alice.close_code().await, close_code::GOING_AWAY);
    assert_eq!(bob.close_code().await, close_code::GOING_AWAY);
    // The clients answer the close frames while reading, so shutdown completes promptly.
    let _ = timeout(Duration::from_millis(200), alice.ws.next()).await;
    let _ = timeout(Duration::from_millis(200), bob.ws.next()).await;
    timeout(WAIT, stopping)
        .await
        .expect("shutdown finishes in time")
        .unwrap();
    assert_eq!(state.open_connections(), 0);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}
