//! The SSE and long-polling transports against the real server over real sockets: the same
//! frames and rules as `/ws`, with the HTTP side of ids, cursors, sizes and origins.

use crate::common;

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use axum::body::Bytes;
use common::{join_frame, local, msg, start, Client, WAIT};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::timeout;
use wirechat_protocol::{decode, encode, error_code, Frame, Join};
use wirechat_server::{Config, HttpTransports, RunningServer, FEATURE_LONG_POLLING, FEATURE_SSE};

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
        Self::open_with(server, &[]).await
    }

    /// As [`SseClient::open`], with these request headers.
    async fn open_with(
        server: &RunningServer,
        headers: &[(&str, String)],
    ) -> (Self, wirechat_protocol::Hello) {
        let response = send_request(server, "GET", "/sse", headers, String::new()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        assert_eq!(response.headers()["x-accel-buffering"], "no");
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

/// A chat client that long-polls for its frames and posts its own.
struct PollClient {
    id: String,
    cursor: u64,
    pending: VecDeque<Frame>,
}

impl PollClient {
    /// Opens a session; the answer carries `hello` and the guest's `authed`.
    async fn open(server: &RunningServer) -> (Self, wirechat_protocol::Hello) {
        let (mut client, hello) = Self::open_unsigned(server).await;
        assert!(matches!(client.recv(server).await, Frame::Authed(_)));
        (client, hello)
    }

    /// Opens a session and reads its `hello`, which comes first.
    async fn open_unsigned(server: &RunningServer) -> (Self, wirechat_protocol::Hello) {
        let (status, body) = exchange(server, "POST", "/poll", &[], String::new()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        let mut client = Self {
            id: answer["id"].as_str().unwrap().to_owned(),
            cursor: 0,
            pending: VecDeque::new(),
        };
        client.take(&answer);
        let Some(Frame::Hello(hello)) = client.pending.pop_front() else {
            panic!("hello comes first: {body}")
        };
        (client, hello)
    }

    fn take(&mut self, answer: &Value) {
        self.cursor = answer["cursor"].as_u64().expect("a cursor");
        for frame in answer["frames"].as_array().expect("frames") {
            self.pending
                .push_back(decode(&frame.to_string()).expect("a valid frame"));
        }
    }

    /// One `GET` after `cursor`: the status and the parsed answer.
    async fn get(&self, server: &RunningServer, cursor: u64, wait: u64) -> (StatusCode, Value) {
        let path = format!("/poll/{}?cursor={cursor}&wait={wait}", self.id);
        let (status, body) = exchange(server, "GET", &path, &[], String::new()).await;
        let answer = serde_json::from_str(&body).unwrap_or(Value::Null);
        (status, answer)
    }

    async fn recv(&mut self, server: &RunningServer) -> Frame {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return frame;
            }
            let (status, answer) = self.get(server, self.cursor, 5).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            assert!(answer["close"].is_null(), "closed: {answer}");
            self.take(&answer);
        }
    }

    async fn recv_until(
        &mut self,
        server: &RunningServer,
        mut wanted: impl FnMut(&Frame) -> bool,
    ) -> Frame {
        loop {
            let frame = self.recv(server).await;
            if wanted(&frame) {
                return frame;
            }
        }
    }

    /// Polls, taking what comes, until an answer tells the close; returns that answer.
    async fn until_closed(&mut self, server: &RunningServer) -> Value {
        for _ in 0..10 {
            let (status, answer) = self.get(server, self.cursor, 1).await;
            assert_eq!(status, StatusCode::OK);
            if !answer["close"].is_null() {
                return answer;
            }
            self.take(&answer);
        }
        panic!("no close told in ten polls");
    }

    async fn send(&self, server: &RunningServer, frame: &Frame) {
        let path = format!("/poll/{}", self.id);
        let (status, _) = exchange(server, "POST", &path, &[], encode(frame)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

/// A server with `config`, and a WebSocket user and a polling user both in `lobby`.
async fn a_socket_and_a_poller_in_the_lobby(config: Config) -> (RunningServer, Client, PollClient) {
    let server = start(config).await;
    let mut ws = Client::connect(&server).await;
    ws.join("lobby", "wes").await;
    let (mut poll, _) = PollClient::open(&server).await;
    poll.send(&server, &join_frame("lobby", "pol")).await;
    poll.recv_until(&server, is_history).await;
    ws.presence_is("lobby", &["pol", "wes"]).await;
    (server, ws, poll)
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
async fn a_websocket_an_sse_and_a_polling_user_chat_in_one_room_and_each_see_every_message_once_in_order(
) {
    let server = start(local()).await;
    let mut ws = Client::connect(&server).await;
    let (mut sse, sse_hello) = SseClient::open(&server).await;
    let (mut poll, poll_hello) = PollClient::open(&server).await;
    for hello in [&ws.hello, &sse_hello, &poll_hello] {
        assert!(hello.has(FEATURE_SSE) && hello.has(FEATURE_LONG_POLLING));
        assert_eq!(hello.epoch, server.state().epoch());
    }
    // Only a WebSocket has an opening handshake to report.
    assert!(ws.hello.handshake.is_some());
    assert_eq!(
        (&sse_hello.handshake, &poll_hello.handshake),
        (&None, &None)
    );
    ws.join("lobby", "wes").await;
    sse.send(&server, &join_frame("lobby", "sue")).await;
    sse.recv_until(is_history).await;
    poll.send(&server, &join_frame("lobby", "pol")).await;
    poll.recv_until(&server, is_history).await;

    let mut sent = HashSet::new();
    for round in 0..4 {
        let (a, b, c) = (
            format!("w{round}"),
            format!("s{round}"),
            format!("p{round}"),
        );
        ws.send(msg(&a, "lobby", "from the socket")).await;
        sse.send(&server, &msg(&b, "lobby", "from the stream"))
            .await;
        // Two frames in one request: an array is taken in order.
        let batch = format!(
            "[{},{}]",
            encode(&msg(&c, "lobby", "from polling")),
            encode(&Frame::Typing(wirechat_protocol::Typing {
                room: "lobby".into(),
                from: "pol".into(),
            }))
        );
        let path = format!("/poll/{}", poll.id);
        let (status, _) = exchange(&server, "POST", &path, &[], batch).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        sent.extend([a, b, c]);
    }
    let total = sent.len();

    let mut seen_by = Vec::new();
    let mut seen = Vec::new();
    while seen.len() < total {
        if let Some(m) = stored(&ws.recv().await) {
            seen.push(m);
        }
    }
    seen_by.push(("websocket", seen));
    let mut seen = Vec::new();
    while seen.len() < total {
        if let Some(m) = stored(&sse.recv().await) {
            seen.push(m);
        }
    }
    seen_by.push(("sse", seen));
    let mut seen = Vec::new();
    while seen.len() < total {
        if let Some(m) = stored(&poll.recv(&server).await) {
            seen.push(m);
        }
    }
    seen_by.push(("polling", seen));

    for (transport, seen) in &seen_by {
        let seqs: Vec<u64> = seen.iter().map(|(seq, _)| *seq).collect();
        let expected: Vec<u64> = (1..=total as u64).collect();
        assert_eq!(seqs, expected, "{transport}: every seq once, in order");
        let ids: HashSet<String> = seen.iter().map(|(_, id)| id.clone()).collect();
        assert_eq!(ids, sent, "{transport}: every message");
    }
    // Nothing more: a ping round trip on each shows no further message.
    let ping = Frame::Ping(wirechat_protocol::Ping { ts: Some(7) });
    assert!(ws.sync().await.iter().all(|f| stored(f).is_none()));
    sse.send(&server, &ping).await;
    let mut after = Vec::new();
    loop {
        match sse.recv().await {
            Frame::Pong(_) => break,
            frame => after.push(frame),
        }
    }
    poll.send(&server, &ping).await;
    loop {
        match poll.recv(&server).await {
            Frame::Pong(_) => break,
            frame => after.push(frame),
        }
    }
    assert!(after.iter().all(|f| stored(f).is_none()), "{after:?}");

    // A retried id is acknowledged with its seq, not stored twice, on either transport.
    let first = seen_by[1].1.iter().find(|(_, id)| id == "s0").unwrap().0;
    sse.send(&server, &msg("s0", "lobby", "again")).await;
    let ack = sse
        .recv_until(|f| matches!(f, Frame::Ack(_) | Frame::Msg(_)))
        .await;
    assert!(
        matches!(&ack, Frame::Ack(a) if a.id == "s0" && a.seq == Some(first)),
        "{ack:?}"
    );
    let first = seen_by[2].1.iter().find(|(_, id)| id == "p0").unwrap().0;
    poll.send(&server, &msg("p0", "lobby", "again")).await;
    let ack = poll
        .recv_until(&server, |f| matches!(f, Frame::Ack(_) | Frame::Msg(_)))
        .await;
    assert!(
        matches!(&ack, Frame::Ack(a) if a.id == "p0" && a.seq == Some(first)),
        "{ack:?}"
    );
    server.shutdown().await;
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

#[tokio::test]
async fn a_lost_long_poll_answer_is_sent_again_for_the_same_cursor_and_never_twice_after() {
    let server = start(local()).await;
    let mut ws = Client::connect(&server).await;
    ws.join("lobby", "wes").await;
    let (mut poll, _) = PollClient::open(&server).await;
    poll.send(&server, &join_frame("lobby", "pol")).await;
    poll.recv_until(&server, is_history).await;
    // Whatever came with the history (presence) is had: the cursor is past it.
    poll.pending.clear();

    ws.send(msg("m1", "lobby", "one")).await;
    ws.send(msg("m2", "lobby", "two")).await;
    ws.sync().await;
    let cursor = poll.cursor;
    let messages = |answer: &Value| -> Vec<String> {
        answer["frames"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["type"] == "msg")
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Until both messages are in one answer (presence may come first).
    let (mut status, mut first) = poll.get(&server, cursor, 5).await;
    for _ in 0..10 {
        if messages(&first).len() == 2 {
            break;
        }
        (status, first) = poll.get(&server, cursor, 1).await;
    }
    assert_eq!(status, StatusCode::OK);
    assert_eq!(messages(&first), ["m1", "m2"]);
    // That answer is lost on the way: the same cursor gets the same frames again.
    let (status, again) = poll.get(&server, cursor, 5).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);
    // With the new cursor they are let go: no doubles, and an empty answer at once for
    // `wait=0` (short polling).
    let next = first["cursor"].as_u64().unwrap();
    let (status, empty) = poll.get(&server, next, 0).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["frames"], serde_json::json!([]), "{empty}");
    assert_eq!(empty["cursor"].as_u64(), Some(next));
    // An answer let go of cannot be asked for again.
    let (status, _) = poll.get(&server, cursor, 0).await;
    assert_eq!(status, StatusCode::GONE);
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_posts_get_413_and_frames_over_the_rate_limit_are_refused() {
    let mut config = local();
    config.max_frame_bytes = 4 * 1024;
    config.flow.msg = wirechat_server::Rate::new(1, 2);
    let server = start(config).await;
    let (mut sse, _) = SseClient::open(&server).await;
    let (poll, _) = PollClient::open(&server).await;
    sse.send(&server, &join_frame("lobby", "sue")).await;
    sse.recv_until(is_history).await;

    let big = encode(&msg("big", "lobby", &"x".repeat(5 * 1024)));
    for path in [format!("/sse/{}", sse.id), format!("/poll/{}", poll.id)] {
        let (status, _) = exchange(&server, "POST", &path, &[], big.clone()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    // Refused, not closed: the stream goes on.
    for i in 0..4 {
        sse.send(&server, &msg(&format!("m{i}"), "lobby", "hi"))
            .await;
    }
    let refusal = sse
        .recv_until(|f| matches!(f, Frame::Error(e) if e.code == error_code::RATE_LIMITED))
        .await;
    assert!(matches!(refusal, Frame::Error(e) if e.retry_after.is_some()));
    server.shutdown().await;
}

#[tokio::test]
async fn a_polling_session_nobody_polls_is_closed_and_its_user_leaves() {
    let mut config = local();
    config.transports = HttpTransports {
        poll_wait: Duration::from_secs(1),
        poll_idle: Duration::from_secs(2),
    };
    let (server, mut ws, mut poll) = a_socket_and_a_poller_in_the_lobby(config).await;
    // Polled, it stays: three rounds past the idle limit.
    for _ in 0..3 {
        let (status, answer) = poll.get(&server, poll.cursor, 1).await;
        assert_eq!(status, StatusCode::OK);
        poll.take(&answer);
    }
    ws.send(msg("still", "lobby", "here?")).await;
    poll.recv_until(&server, |f| stored(f).is_some()).await;

    // Not polled, it goes.
    ws.presence_is("lobby", &["wes"]).await;
    let (status, _) = poll.get(&server, poll.cursor, 0).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}

#[tokio::test]
async fn a_polling_session_its_client_ends_closes_at_once_and_its_user_leaves() {
    // Idle closes wait a minute: only the client's own DELETE can end it within the test.
    let mut config = local();
    config.transports.poll_idle = Duration::from_secs(60);
    let (server, mut ws, poll) = a_socket_and_a_poller_in_the_lobby(config).await;
    let path = format!("/poll/{}", poll.id);
    let (status, _) = exchange(&server, "DELETE", &path, &[], String::new()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    ws.presence_is("lobby", &["wes"]).await;
    let (_, metrics) = exchange(&server, "GET", "/metrics", &[], String::new()).await;
    assert!(metrics.contains("wirechat_connections 1\n"), "{metrics}");
    // Gone: nothing more is taken or answered, and a second DELETE finds nothing.
    let (status, _) = poll.get(&server, poll.cursor, 0).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = exchange(&server, "DELETE", &path, &[], String::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_and_forged_ids_are_404_on_every_endpoint() {
    let server = start(local()).await;
    let (sse, _) = SseClient::open(&server).await;
    let (poll, _) = PollClient::open(&server).await;
    assert_eq!(sse.id.len(), 32, "128 random bits");
    assert_ne!(sse.id, poll.id);
    let ping = encode(&Frame::Ping(wirechat_protocol::Ping { ts: None }));
    let forge = |id: &str| {
        let last = if id.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &id[..id.len() - 1])
    };
    let ids = [
        "nope".to_owned(),
        forge(&sse.id),
        forge(&poll.id),
        // An id of one transport means nothing to the other.
        poll.id.clone(),
    ];
    for id in &ids {
        let sse_post = exchange(&server, "POST", &format!("/sse/{id}"), &[], ping.clone()).await;
        assert_eq!(sse_post.0, StatusCode::NOT_FOUND, "POST /sse/{id}");
    }
    for id in [&ids[0], &ids[1], &ids[2], &sse.id] {
        let path = format!("/poll/{id}?cursor=0&wait=0");
        let poll_get = exchange(&server, "GET", &path, &[], String::new()).await;
        assert_eq!(poll_get.0, StatusCode::NOT_FOUND, "GET {path}");
        let path = format!("/poll/{id}");
        let poll_post = exchange(&server, "POST", &path, &[], ping.clone()).await;
        assert_eq!(poll_post.0, StatusCode::NOT_FOUND, "POST {path}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn every_transport_endpoint_refuses_a_foreign_origin_and_serves_its_own() {
    let server = start(local()).await;
    let (sse, _) = SseClient::open(&server).await;
    let (poll, _) = PollClient::open(&server).await;
    let foreign = [("origin", "http://evil.example".to_owned())];
    let own = [("origin", format!("http://{}", server.addr()))];
    let ping = encode(&Frame::Ping(wirechat_protocol::Ping { ts: None }));
    let endpoints = [
        ("GET", "/sse".to_owned(), String::new()),
        ("POST", format!("/sse/{}", sse.id), ping.clone()),
        ("POST", "/poll".to_owned(), String::new()),
        (
            "GET",
            format!("/poll/{}?cursor=0&wait=0", poll.id),
            String::new(),
        ),
        ("POST", format!("/poll/{}", poll.id), ping.clone()),
    ];
    for (method, path, body) in &endpoints {
        let refused = send_request(&server, method, path, &foreign, body.clone()).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let served = send_request(&server, method, path, &own, body.clone()).await;
        assert!(
            served.status().is_success(),
            "{method} {path}: {}",
            served.status()
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn sse_and_polling_sessions_count_against_the_per_address_cap() {
    let mut config = local();
    config.max_connections_per_ip = 2;
    let server = start(config).await;
    let (_sse, _) = SseClient::open(&server).await;
    let (_poll, _) = PollClient::open(&server).await;
    for (method, path) in [("GET", "/sse"), ("POST", "/poll")] {
        let refused = send_request(&server, method, path, &[], String::new()).await;
        assert_eq!(
            refused.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{method} {path}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn identity_is_the_same_a_cookie_signs_in_an_sse_stream_and_an_auth_frame_a_poll() {
    const SECRET: &[u8] = b"a test secret that is long enough for HS256";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = |sub: &str, name: &str| {
        let claims = serde_json::json!({"sub": sub, "name": name, "iat": now, "exp": now + 60});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    };
    let mut config = local();
    config.auth = Some(wirechat_server::AuthConfig {
        cookie: Some("wc_token".into()),
        ..wirechat_server::AuthConfig::new(wirechat_server::SigningKey::Secret(SECRET.to_vec()))
    });
    let server = start(config).await;

    let cookie = [(
        "cookie",
        format!("theme=dark; wc_token={}", token("u1", "Alice")),
    )];
    let (mut sse, hello) = SseClient::open_with(&server, &cookie).await;
    assert!(hello.has(wirechat_protocol::feature::AUTH));
    sse.send(&server, &join_frame("lobby", "whoever")).await;
    let Frame::History(_) = sse.recv_until(is_history).await else {
        unreachable!()
    };

    let (mut poll, _) = PollClient::open_unsigned(&server).await;
    // Before signing in, frames are refused and the connection closed, as on a socket; so
    // the first frame is the token.
    let auth = Frame::Auth(wirechat_protocol::Auth {
        token: token("u2", "Bob"),
    });
    poll.send(&server, &auth).await;
    let authed = poll.recv(&server).await;
    assert!(
        matches!(&authed, Frame::Authed(a) if a.uid == "u2"),
        "{authed:?}"
    );
    poll.send(&server, &join_frame("lobby", "whoever")).await;
    poll.recv_until(&server, is_history).await;
    // Each is known by the token's name, whatever the join said.
    sse.recv_until(|f| matches!(f, Frame::Presence(p) if p.users == ["Alice", "Bob"]))
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_close_ends_the_stream_with_a_close_event_and_is_told_in_a_poll_answer() {
    let mut config = local();
    // Nothing said either way for a second: the server closes with 1001.
    config.flow.idle_timeout = Duration::from_secs(1);
    let server = start(config).await;
    let (mut sse, _) = SseClient::open(&server).await;
    let (mut poll, _) = PollClient::open(&server).await;
    // The poller has taken every frame when the close comes: it must still learn of it.
    let (status, answer) = poll.get(&server, poll.cursor, 0).await;
    assert_eq!(
        (status, &answer["frames"]),
        (StatusCode::OK, &serde_json::json!([]))
    );

    let (kind, data) = sse.next_event().await;
    assert_eq!(kind, "close", "{data}");
    let close: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(close["code"], 1001);
    let end = timeout(WAIT, sse.body.frame())
        .await
        .expect("the stream ends");
    assert!(end.is_none(), "nothing follows the close event");

    // The poller asks again only after its connection closed (1 s after it opened).
    tokio::time::sleep(Duration::from_secs(2)).await;

    let answer = poll.until_closed(&server).await;
    assert_eq!(answer["close"]["code"], 1001, "{answer}");
    assert_eq!(answer["cursor"].as_u64(), Some(poll.cursor));
    // The closed connection takes no more frames.
    let ping = encode(&Frame::Ping(wirechat_protocol::Ping { ts: None }));
    let (status, _) = exchange(&server, "POST", &format!("/poll/{}", poll.id), &[], ping).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}

#[tokio::test]
async fn a_poller_that_lets_frames_pile_up_is_closed_with_4000_and_nobody_else_is() {
    let mut config = local();
    config.flow.queue_bytes = 8 * 1024;
    let (server, mut ws, mut poll) = a_socket_and_a_poller_in_the_lobby(config).await;

    // About 20 KiB for a client that does not ask for any of it.
    for i in 0..40 {
        let id = format!("m{i}");
        ws.send(msg(&id, "lobby", &"x".repeat(500))).await;
        // The sender reads as it goes, so only the poller falls behind.
        ws.recv_until(|f| matches!(f, Frame::Msg(m) if m.id == id))
            .await;
    }
    // It left the room: a newcomer sees only the others.
    let mut other = Client::connect(&server).await;
    let Frame::Join(join) = join_frame("lobby", "oli") else {
        unreachable!()
    };
    // Past everything stored, so its history fits the small queue too.
    other
        .send(Frame::Join(Join {
            after: Some(40),
            epoch: Some(other.hello.epoch.clone()),
            ..join
        }))
        .await;
    other.presence_is("lobby", &["oli", "wes"]).await;
    // The poller comes back later than a close may take to write on a socket (5 s): its
    // close must not have waited for it.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let answer = poll.until_closed(&server).await;
    assert_eq!(answer["close"]["code"], 4000, "{answer}");
    let (_, metrics) = exchange(&server, "GET", "/metrics", &[], String::new()).await;
    assert!(
        metrics.contains("wirechat_closes_total{code=\"4000\"} 1"),
        "{metrics}"
    );
    // The room goes on for the others.
    ws.send(msg("after", "lobby", "still here")).await;
    ws.recv_until(|f| matches!(f, Frame::Msg(m) if m.id == "after"))
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn pages_of_an_allowed_origin_may_read_the_answers_and_others_may_not() {
    let mut config = local();
    config.allowed_origins = vec!["https://chat.example".into()];
    let server = start(config).await;
    let (poll, _) = PollClient::open(&server).await;
    let allowed = [("origin", "https://chat.example".to_owned())];
    let path = format!("/poll/{}?cursor=0&wait=0", poll.id);

    let answer = send_request(&server, "GET", &path, &allowed, String::new()).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let headers = answer.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://chat.example"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let preflight = send_request(&server, "OPTIONS", "/poll", &allowed, String::new()).await;
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert!(preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));

    // A page of another origin is refused, and told nothing it may read.
    let other = [("origin", "https://elsewhere.example".to_owned())];
    for method in ["GET", "OPTIONS"] {
        let refused = send_request(&server, method, &path, &other, String::new()).await;
        assert!(!refused.status().is_success(), "{method}");
        let headers = refused.headers();
        assert!(
            !headers.contains_key("access-control-allow-origin"),
            "{method}"
        );
    }
    server.shutdown().await;
}
