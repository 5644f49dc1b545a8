//! The SSE transport against the real server over real sockets: the same
//! frames and rules as `/ws`, with the HTTP side of ids, cursors, sizes and origins.

mod common;

use axum::body::Bytes;
use common::{join_frame, local, msg, start, Client, WAIT};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::timeout;
use wirechat_protocol::{decode, encode, Frame, Join};
use wirechat_server::{RunningServer, FEATURE_SSE};

/// Sends one request on a fresh connection and returns the response with its body unread.
async fn send_request(
    server: &RunningServer,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: String,
) -> hyper::Response<Incoming> {
    let stream = TcpStream::connect(server.addr()).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP handshake");
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", server.addr().to_string());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request.body(Full::new(Bytes::from(body))).unwrap();
    timeout(WAIT, sender.send_request(request))
        .await
        .expect("response in time")
        .expect("response")
}

/// One whole exchange: the status and the body as text.
async fn exchange(
    server: &RunningServer,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: String,
) -> (StatusCode, String) {
    let response = send_request(server, method, path, headers, body).await;
    let status = response.status();
    let body = timeout(WAIT, response.into_body().collect())
        .await
        .expect("body in time")
        .expect("body")
        .to_bytes();
    (
        status,
        String::from_utf8(body.to_vec()).expect("UTF-8 body"),
    )
}

/// A chat client on an event stream, posting its frames.
struct SseClient {
    body: Incoming,
    buffer: String,
    id: String,
}

impl SseClient {
    /// Opens a stream and reads up to the guest's `authed`, which follows `hello`.
    async fn open(server: &RunningServer) -> (Self, wirechat_protocol::Hello) {
        let response = send_request(server, "GET", "/sse", &[], String::new()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        let mut client = Self {
            body: response.into_body(),
            buffer: String::new(),
            id: String::new(),
        };
        let (kind, data) = client.next_event().await;
        assert_eq!(kind, "link", "the first event names the connection");
        let link: Value = serde_json::from_str(&data).unwrap();
        client.id = link["id"].as_str().unwrap().to_owned();
        assert_eq!(link["post"], format!("/sse/{}", client.id));
        let Frame::Hello(hello) = client.recv().await else {
            panic!("hello comes first")
        };
        assert!(matches!(client.recv().await, Frame::Authed(_)));
        (client, hello)
    }

    /// The next event's type and data; comments (keep-alives) are skipped.
    async fn next_event(&mut self) -> (String, String) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut kind, mut data) = ("message".to_owned(), Vec::new());
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        kind = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
                    }
                }
                if !data.is_empty() {
                    return (kind, data.join("\n"));
                }
                continue;
            }
            let frame = timeout(WAIT, self.body.frame())
                .await
                .expect("an event in time")
                .expect("the stream is open")
                .expect("the stream reads");
            if let Ok(bytes) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&bytes).unwrap());
            }
        }
    }

    async fn recv(&mut self) -> Frame {
        let (kind, data) = self.next_event().await;
        assert_eq!(kind, "message", "a frame, not {kind}: {data}");
        decode(&data).expect("a valid frame")
    }

    async fn recv_until(&mut self, mut wanted: impl FnMut(&Frame) -> bool) -> Frame {
        loop {
            let frame = self.recv().await;
            if wanted(&frame) {
                return frame;
            }
        }
    }

    async fn send(&self, server: &RunningServer, frame: &Frame) {
        let path = format!("/sse/{}", self.id);
        let (status, _) = exchange(server, "POST", &path, &[], encode(frame)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

fn is_history(frame: &Frame) -> bool {
    matches!(frame, Frame::History(_))
}

/// `(seq, id)` of a stored message in `room`, if `frame` is one.
fn stored(frame: &Frame) -> Option<(u64, String)> {
    match frame {
        Frame::Msg(m) => Some((m.seq.expect("a stored message has a seq"), m.id.clone())),
        _ => None,
    }
}

#[tokio::test]
async fn after_its_stream_drops_an_sse_user_resumes_with_join_after_and_misses_nothing() {
    let server = start(local()).await;
    let mut ws = Client::connect(&server).await;
    ws.join("lobby", "wes").await;
    let (mut sse, hello) = SseClient::open(&server).await;
    assert!(hello.has(FEATURE_SSE) && ws.hello.has(FEATURE_SSE));
    sse.send(&server, &join_frame("lobby", "sue")).await;
    sse.recv_until(is_history).await;
    ws.presence_is("lobby", &["sue", "wes"]).await;
    ws.send(msg("m1", "lobby", "one")).await;
    let last = stored(&sse.recv_until(|f| stored(f).is_some()).await)
        .unwrap()
        .0;
    let old_id = sse.id.clone();

    drop(sse);
    // The dropped stream ends its connection, as a closed socket does.
    ws.presence_is("lobby", &["wes"]).await;
    let (status, _) = exchange(&server, "POST", &format!("/sse/{old_id}"), &[], "{}".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old id is gone with it");
    ws.send(msg("m2", "lobby", "two")).await;
    ws.send(msg("m3", "lobby", "three")).await;
    // Both stored before the user comes back.
    ws.sync().await;

    let (mut sse, again) = SseClient::open(&server).await;
    assert_eq!(again.epoch, hello.epoch);
    sse.send(
        &server,
        &Frame::Join(Join {
            after: Some(last),
            epoch: Some(hello.epoch.clone()),
            ..match join_frame("lobby", "sue") {
                Frame::Join(join) => join,
                _ => unreachable!(),
            }
        }),
    )
    .await;
    let Frame::History(history) = sse.recv_until(is_history).await else {
        unreachable!()
    };
    let ids: Vec<&str> = history.msgs.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["m2", "m3"], "exactly what it missed");
    server.shutdown().await;
}
