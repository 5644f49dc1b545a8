//! The connection driven through channels instead of a socket.

use std::time::Duration;

use axum::extract::ws::Message;
use futures_channel::mpsc;
use futures_util::StreamExt;
use tokio::time::timeout;
use wirechat_protocol::{
    close_code, decode, encode, error_code, ChatMessage, Fetch, Frame, Join, Ping, Presence,
};

use super::serve_connection;
use crate::{AppState, Appended, Config, FlowLimits, HistoryStore, Page, StoreError};

const WAIT: Duration = Duration::from_secs(5);

/// A client on the far side of two channels.
struct Client {
    to_server: mpsc::UnboundedSender<Result<Message, axum::Error>>,
    from_server: mpsc::Receiver<Message>,
}

/// Connects a client whose incoming channel holds `buffer` frames before the server's writer
/// has to wait for it to read.
fn connect_buffered(state: &AppState, buffer: usize) -> Client {
    let (to_server, server_rx) = mpsc::unbounded();
    let (server_tx, from_server) = mpsc::channel(buffer);
    tokio::spawn(serve_connection(state.clone(), server_tx, server_rx));
    Client {
        to_server,
        from_server,
    }
}

fn connect(state: &AppState) -> Client {
    connect_buffered(state, 1024)
}

impl Client {
    fn send_text(&self, text: &str) {
        self.to_server
            .unbounded_send(Ok(Message::Text(text.into())))
            .expect("server reading");
    }

    fn send(&self, frame: Frame) {
        self.send_text(&encode(&frame));
    }

    fn join(&self, room: &str, name: &str) {
        self.send(Frame::Join(Join {
            room: room.into(),
            name: name.into(),
            after: None,
            epoch: None,
            deltas: false,
            req: None,
        }));
    }

    /// The next WebSocket message, skipping heartbeat pings.
    async fn next_message(&mut self) -> Message {
        loop {
            match timeout(WAIT, self.from_server.next()).await {
                Ok(Some(Message::Ping(_))) => continue,
                Ok(Some(message)) => return message,
                Ok(None) => panic!("the server hung up"),
                Err(_) => panic!("nothing from the server within {WAIT:?}"),
            }
        }
    }

    /// The next protocol frame, skipping the guest's `authed` after `hello`, which these
    /// tests do not look at.
    async fn recv(&mut self) -> Frame {
        loop {
            match self.next_message().await {
                Message::Text(text) => match decode(&text).expect("a valid frame") {
                    Frame::Authed(_) => continue,
                    frame => return frame,
                },
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next frame that is not `history` or `presence`.
    async fn recv_event(&mut self) -> Frame {
        loop {
            match self.recv().await {
                Frame::History(_) | Frame::Presence(_) => continue,
                frame => return frame,
            }
        }
    }

    /// Reads until the close frame and returns its code.
    async fn close_code(&mut self) -> u16 {
        loop {
            if let Message::Close(frame) = self.next_message().await {
                return frame.map(|f| f.code).expect("a close code");
            }
        }
    }
}

fn state_with(config: Config) -> AppState {
    AppState::new(config).expect("a memory store opens")
}

fn msg(id: &str, room: &str, text: &str) -> Frame {
    Frame::Msg(ChatMessage {
        uid: None,
        id: id.into(),
        room: room.into(),
        from: "someone else".into(),
        text: text.into(),
        ts: wirechat_protocol::Timestamp::from_millis(7).unwrap(),
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    })
}

#[tokio::test]
async fn hello_comes_first() {
    let state = state_with(Config::default());
    let mut client = connect(&state);
    let Frame::Hello(hello) = client.recv().await else {
        panic!("hello first")
    };
    assert_eq!(hello.epoch, state.epoch());
    assert_eq!(hello.max_text, Some(Config::default().max_text_bytes));
    assert!(hello.server.starts_with("wirechat-server/"));
    for feature in ["history", "presence", "typing", "ack", "ping"] {
        assert!(hello.has(feature), "{feature}");
    }
}

#[tokio::test]
async fn a_message_is_echoed_with_the_joined_name_and_a_seq() {
    let state = state_with(Config::default());
    let mut client = connect(&state);
    client.recv().await;
    client.join("lobby", "alice");
    client.send(msg("m1", "lobby", "hi"));
    let Frame::Msg(echo) = client.recv_event().await else {
        panic!("echo")
    };
    assert_eq!(
        (echo.from.as_str(), echo.seq, echo.id.as_str()),
        ("alice", Some(1), "m1")
    );
    assert!(
        echo.ts.as_millis() > 1_700_000_000_000,
        "the server's clock, not the claimed 7"
    );
}

#[tokio::test]
async fn refusals_keep_the_connection_open() {
    let state = state_with(Config {
        max_text_bytes: 10,
        ..Config::default()
    });
    let mut client = connect(&state);
    client.recv().await;
    let expect_error = |frame: Frame, code: &str, id: Option<&str>| match frame {
        Frame::Error(err) => {
            assert_eq!(err.code, code);
            assert_eq!(err.id.as_deref(), id);
            assert!(!err.message.is_empty());
        }
        other => panic!("expected error {code}, got {other:?}"),
    };

    client.send_text("{not json");
    expect_error(client.recv().await, error_code::BAD_FRAME, None);
    client.send_text(r#"{"type":"msg","id":"m1"}"#);
    expect_error(client.recv().await, error_code::BAD_FRAME, None);
    client.send(msg("m1", "lobby", "hi"));
    expect_error(client.recv().await, error_code::NOT_JOINED, Some("m1"));
    client.join(" lobby", "alice");
    expect_error(client.recv().await, error_code::BAD_NAME, None);
    client.join("lobby", "");
    expect_error(client.recv().await, error_code::BAD_NAME, None);

    client.join("lobby", "alice");
    client.send(msg("", "lobby", "hi"));
    expect_error(client.recv_event().await, error_code::BAD_FRAME, None);
    client.send(msg(&"i".repeat(65), "lobby", "hi"));
    expect_error(client.recv_event().await, error_code::BAD_FRAME, None);
    client.send(msg("m2", "lobby", "eleven char"));
    expect_error(client.recv_event().await, error_code::TOO_LARGE, Some("m2"));

    client.send(Frame::Ping(Ping { ts: Some(42) }));
    assert_eq!(
        client.recv_event().await,
        Frame::Pong(Ping { ts: Some(42) })
    );
}

#[tokio::test]
async fn binary_and_unknown_frames_are_ignored() {
    let state = state_with(Config::default());
    let mut client = connect(&state);
    client.recv().await;
    client
        .to_server
        .unbounded_send(Ok(Message::Binary(vec![1, 2, 3].into())))
        .unwrap();
    client.send_text(r#"{"type":"reaction","emoji":"+1"}"#);
    client.send_text(r#"{"type":"here","room":"lobby","from":"a","ttl":1}"#);
    client.send(Frame::Ping(Ping { ts: None }));
    assert_eq!(client.recv().await, Frame::Pong(Ping { ts: None }));
}

#[tokio::test]
async fn a_text_over_the_frame_limit_closes_with_1009() {
    let state = state_with(Config {
        max_frame_bytes: 100,
        ..Config::default()
    });
    let mut client = connect(&state);
    client.recv().await;
    client.send(msg("m1", "lobby", &"x".repeat(200)));
    assert_eq!(client.close_code().await, close_code::TOO_BIG);
}

#[tokio::test]
async fn leaving_by_hanging_up_updates_presence() {
    let state = state_with(Config::default());
    let mut alice = connect(&state);
    let bob = connect(&state);
    alice.join("lobby", "alice");
    bob.join("lobby", "bob");
    let presence = |users: &[&str]| {
        Frame::Presence(Presence {
            room: "lobby".into(),
            users: users.iter().map(|u| u.to_string()).collect(),
            count: None,
        })
    };
    loop {
        if alice.recv().await == presence(&["alice", "bob"]) {
            break;
        }
    }
    drop(bob.to_server);
    assert_eq!(alice.recv().await, presence(&["alice"]));
    timeout(WAIT, async {
        while state.open_connections() > 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("bob's connection ends");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_with_4000_and_the_room_goes_on() {
    let state = state_with(Config {
        flow: FlowLimits {
            queue_bytes: 1000,
            ..FlowLimits::default()
        },
        ..Config::default()
    });
    let mut alice = connect(&state);
    // Bob's channel holds one frame; his writer then waits, and his queue of 1000 bytes
    // fills.
    let mut bob = connect_buffered(&state, 0);
    bob.join("lobby", "bob");
    alice.join("lobby", "alice");
    let mut last_presence = Vec::new();
    for seq in 1..=20 {
        alice.send(msg(&format!("m{seq}"), "lobby", "flood"));
        loop {
            match alice.recv().await {
                Frame::Msg(m) => {
                    assert_eq!(m.seq, Some(seq), "alice gets every message in order");
                    break;
                }
                Frame::Presence(p) => last_presence = p.users,
                _ => {}
            }
        }
    }
    assert_eq!(
        last_presence,
        ["alice"],
        "bob left the room while alice talked"
    );
    // Now that Bob reads, the close frame reaches him after what was already queued.
    assert_eq!(bob.close_code().await, close_code::SLOW_CONSUMER);
}

#[tokio::test]
async fn going_away_closes_every_socket_with_1001() {
    let state = state_with(Config::default());
    let mut alice = connect(&state);
    alice.recv().await;
    state.go_away();
    assert_eq!(alice.close_code().await, close_code::GOING_AWAY);
    // Sockets opened afterwards are told at once.
    let mut late = connect(&state);
    assert_eq!(late.close_code().await, close_code::GOING_AWAY);
}

#[tokio::test(start_paused = true)]
async fn a_quiet_client_is_pinged_and_closed_only_once_it_stops_answering() {
    use super::{HEARTBEAT, IDLE_LIMIT};
    use tokio::time::Instant;

    async fn next_raw(client: &mut Client) -> Message {
        timeout(IDLE_LIMIT * 2, client.from_server.next())
            .await
            .expect("a message in time")
            .expect("the server is still there")
    }

    // Answering pings is enough here; being idle is another rule, kept out of the way.
    let state = state_with(Config {
        flow: FlowLimits {
            idle_timeout: Duration::from_secs(3600),
            ..FlowLimits::default()
        },
        ..Config::default()
    });
    let mut client = connect(&state);
    let started = Instant::now();
    // `hello`, then the guest's `authed`.
    assert!(matches!(next_raw(&mut client).await, Message::Text(_)));
    assert!(matches!(next_raw(&mut client).await, Message::Text(_)));
    for _ in 0..3 {
        let Message::Ping(payload) = next_raw(&mut client).await else {
            panic!("a heartbeat ping")
        };
        client
            .to_server
            .unbounded_send(Ok(Message::Pong(payload)))
            .unwrap();
    }
    assert!(started.elapsed() >= HEARTBEAT * 3, "pings are spaced");

    let silent_since = Instant::now();
    loop {
        match next_raw(&mut client).await {
            Message::Ping(_) => continue,
            Message::Close(Some(frame)) => {
                assert_eq!(frame.code, close_code::NORMAL);
                break;
            }
            other => panic!("expected pings, then a close frame; got {other:?}"),
        }
    }
    assert!(
        silent_since.elapsed() >= IDLE_LIMIT,
        "closed only after the limit"
    );
}

/// A store whose every call fails, as a full disk or a damaged database would make it.
struct BrokenStore;

impl HistoryStore for BrokenStore {
    fn epoch(&self) -> &str {
        "0123456789abcdef"
    }

    fn append(&mut self, _: ChatMessage) -> Result<Appended, StoreError> {
        Err("the disk is full".into())
    }

    fn recent(&self, _: &str, _: usize) -> Result<Page, StoreError> {
        Err("the disk is gone".into())
    }

    fn after(&self, _: &str, _: u64, _: usize) -> Result<Page, StoreError> {
        Err("the disk is gone".into())
    }

    fn before(&self, _: &str, _: u64, _: usize) -> Result<Page, StoreError> {
        Err("the disk is gone".into())
    }

    fn find_by_id(&self, _: &str, _: &str) -> Result<Option<ChatMessage>, StoreError> {
        Err("the disk is gone".into())
    }

    fn latest(&self, _: &str) -> Result<Option<u64>, StoreError> {
        Err("the disk is gone".into())
    }
}

#[tokio::test]
async fn a_failing_store_is_reported_to_the_client_as_unavailable() {
    let state = AppState::with_history(Config::default(), BrokenStore);
    let mut client = connect(&state);
    client.recv().await;
    let unavailable = |frame: Frame, id: Option<&str>| match frame {
        Frame::Error(err) => {
            assert_eq!((err.code.as_str(), err.id.as_deref()), ("unavailable", id));
            assert!(!err.message.is_empty());
        }
        other => panic!("expected error unavailable, got {other:?}"),
    };

    client.join("lobby", "alice");
    unavailable(client.recv_event().await, None);
    // Joined all the same: the message reaches the store, which fails, instead of being
    // refused with not_joined.
    client.send(msg("m1", "lobby", "hi"));
    unavailable(client.recv_event().await, Some("m1"));
    client.send(Frame::Fetch(Fetch {
        room: "lobby".into(),
        before: None,
        after: Some(3),
        limit: None,
        req: None,
    }));
    unavailable(client.recv_event().await, None);
}
