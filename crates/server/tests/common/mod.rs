//! What the integration tests share: a server on a free loopback port and a chat client.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wirechat_protocol::{
    decode, encode, feature, Authed, ChatMessage, Fetch, Frame, Hello, History, Join, Ping,
};
use wirechat_server::{spawn, Config, RunningServer};

/// Longest any single wait in these tests may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// Defaults, on a free loopback port.
pub fn local() -> Config {
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    }
}

pub async fn start(config: Config) -> RunningServer {
    spawn(config).await.expect("server starts")
}

/// A `msg` frame as a client sends it.
pub fn msg(id: &str, room: &str, text: &str) -> Frame {
    Frame::Msg(ChatMessage {
        uid: None,
        id: id.into(),
        room: room.into(),
        from: "whoever".into(),
        text: text.into(),
        ts: wirechat_protocol::Timestamp::from_millis(1_764_000_000_000).unwrap(),
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    })
}

/// Whether a frame answers the sending of message `id`: its echo, an `ack`, or an error.
pub fn answers(id: &str) -> impl FnMut(&Frame) -> bool + '_ {
    move |frame| match frame {
        Frame::Msg(m) => m.id == id,
        Frame::Ack(a) => a.id == id,
        Frame::Error(_) => true,
        _ => false,
    }
}

pub fn join_frame(room: &str, name: &str) -> Frame {
    Frame::Join(Join {
        room: room.into(),
        name: name.into(),
        after: None,
        epoch: None,
        deltas: false,
        req: None,
    })
}

/// A chat client over a real WebSocket.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub hello: Hello,
    /// Who the server says this client is: on servers that take guests, the `authed` that
    /// follows `hello`.
    pub authed: Option<Authed>,
    pings: u64,
}

impl Client {
    /// Connects and reads `hello`, which must come first.
    pub async fn connect(server: &RunningServer) -> Self {
        Self::connect_request(server.ws_url().into_client_request().unwrap()).await
    }

    pub async fn connect_request(
        request: tokio_tungstenite::tungstenite::handshake::client::Request,
    ) -> Self {
        let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("handshake in time")
            .expect("handshake succeeds");
        Self::after_handshake(ws).await
    }

    pub async fn after_handshake(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        let mut client = Self {
            ws,
            hello: Hello {
                server: String::new(),
                epoch: String::new(),
                features: Vec::new(),
                max_text: None,
                handshake: None,
            },
            authed: None,
            pings: 0,
        };
        match client.recv().await {
            Frame::Hello(hello) => client.hello = hello,
            other => panic!("expected hello first, got {other:?}"),
        }
        if !client.hello.has(feature::AUTH) {
            match client.recv().await {
                Frame::Authed(authed) => client.authed = Some(authed),
                other => panic!("expected a guest's authed after hello, got {other:?}"),
            }
        }
        client
    }

    pub async fn send_text(&mut self, text: &str) {
        timeout(WAIT, self.ws.send(Message::text(text)))
            .await
            .expect("send in time")
            .expect("send succeeds");
    }

    pub async fn send(&mut self, frame: Frame) {
        self.send_text(&encode(&frame)).await;
    }

    /// The next protocol frame, skipping WebSocket pings and pongs.
    pub async fn recv(&mut self) -> Frame {
        loop {
            let message = timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("the socket is open")
                .expect("the socket reads");
            match message {
                Message::Text(text) => return decode(&text).expect("a valid frame"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Reads frames until one matches, returning it; the others are dropped.
    pub async fn recv_until(&mut self, mut wanted: impl FnMut(&Frame) -> bool) -> Frame {
        for _ in 0..10_000 {
            let frame = self.recv().await;
            if wanted(&frame) {
                return frame;
            }
        }
        panic!("no wanted frame among 10000");
    }

    /// Joins a room and returns the history the server replied with.
    pub async fn join(&mut self, room: &str, name: &str) -> History {
        self.send(join_frame(room, name)).await;
        self.history_of(room).await
    }

    /// Fetches a joined room's stored messages from the start and returns the page.
    pub async fn fetch_from_start(&mut self, room: &str) -> History {
        self.send(Frame::Fetch(Fetch {
            room: room.into(),
            before: None,
            after: Some(0),
            limit: None,
            req: None,
        }))
        .await;
        self.history_of(room).await
    }

    pub async fn history_of(&mut self, room: &str) -> History {
        match self
            .recv_until(|f| matches!(f, Frame::History(h) if h.room == room))
            .await
        {
            Frame::History(history) => history,
            _ => unreachable!(),
        }
    }

    /// Waits for the room's presence list to be exactly `users`.
    pub async fn presence_is(&mut self, room: &str, users: &[&str]) {
        self.recv_until(|f| matches!(f, Frame::Presence(p) if p.room == room && p.users == users))
            .await;
    }

    /// Round-trips a `ping` and returns every frame that arrived before its `pong`. The
    /// server handles one connection's frames in order, so whatever it queued for this
    /// client before the ping is in the result.
    pub async fn sync(&mut self) -> Vec<Frame> {
        self.pings += 1;
        let ts = Some(self.pings);
        self.send(Frame::Ping(Ping { ts })).await;
        let mut before = Vec::new();
        loop {
            match self.recv().await {
                Frame::Pong(pong) if pong.ts == ts => return before,
                frame => before.push(frame),
            }
        }
    }

    /// Reads until the server's close frame and returns its code.
    pub async fn close_code(&mut self) -> u16 {
        loop {
            let message = timeout(WAIT, self.ws.next())
                .await
                .expect("a close frame in time");
            match message {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| u16::from(f.code)).expect("a close code")
                }
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }
}

/// An HTTP response read off a raw socket.
#[derive(Debug)]
pub struct RawResponse {
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The value of a header, its name compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` verbatim and reads the response head, plus the body when the response
/// says how long it is.
pub async fn raw_exchange(server: &RunningServer, request: &str) -> RawResponse {
    let mut stream = timeout(WAIT, TcpStream::connect(server.addr()))
        .await
        .expect("connect in time")
        .expect("connect");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let mut chunk = [0u8; 4096];
        let n = timeout(WAIT, stream.read(&mut chunk))
            .await
            .expect("response in time")
            .unwrap();
        assert!(n > 0, "connection closed before the response head ended");
        buf.extend_from_slice(&chunk[..n]);
        assert!(buf.len() < 64 * 1024, "response head too long");
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("name: value");
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect();
    let mut response = RawResponse {
        status_line,
        headers,
        body: buf[head_end + 4..].to_vec(),
    };
    if let Some(len) = response.header("content-length") {
        let len: usize = len.parse().unwrap();
        while response.body.len() < len {
            let mut chunk = [0u8; 4096];
            let n = timeout(WAIT, stream.read(&mut chunk))
                .await
                .expect("body in time")
                .unwrap();
            assert!(n > 0, "connection closed inside the body");
            response.body.extend_from_slice(&chunk[..n]);
        }
    }
    response
}

/// A plain `GET` of `path`.
pub async fn http_get(server: &RunningServer, path: &str) -> RawResponse {
    let host = server.addr();
    raw_exchange(
        server,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
    .await
}
