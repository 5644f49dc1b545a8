//! Rooms, messages and history, through real WebSocket clients.

use crate::common;

use common::{join_frame, local, msg, start, Client};
use wirechat_protocol::{
    error_code, ChatMessage, ErrorFrame, Fetch, Frame, History, Join, Ping, Typing,
    HISTORY_PAGE_LIMIT,
};
use wirechat_server::{Config, FlowLimits};

fn seqs(msgs: &[ChatMessage]) -> Vec<u64> {
    msgs.iter()
        .map(|m| m.seq.expect("stored messages have a seq"))
        .collect()
}

fn only_messages(frames: &[Frame]) -> Vec<&ChatMessage> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Msg(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// Sends a message and returns the server's echo of it.
async fn post(client: &mut Client, id: &str, room: &str, text: &str) -> ChatMessage {
    client.send(msg(id, room, text)).await;
    match client
        .recv_until(|f| matches!(f, Frame::Msg(m) if m.id == id) || matches!(f, Frame::Error(_)))
        .await
    {
        Frame::Msg(m) => m,
        other => panic!("expected the echo of {id}, got {other:?}"),
    }
}

async fn expect_error(client: &mut Client) -> ErrorFrame {
    match client
        .recv_until(|f| matches!(f, Frame::Error(_) | Frame::Msg(_)))
        .await
    {
        Frame::Error(err) => err,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn hello_announces_the_server() {
    let server = start(Config {
        max_text_bytes: 123,
        ..local()
    })
    .await;
    let a = Client::connect(&server).await;
    let b = Client::connect(&server).await;
    assert!(a.hello.server.starts_with("wirechat-server/"));
    assert_eq!(a.hello.epoch, server.state().epoch());
    assert_eq!(a.hello.epoch, b.hello.epoch);
    assert_eq!(a.hello.max_text, Some(123));
    for feature in ["history", "presence", "typing", "ack", "ping"] {
        assert!(a.hello.has(feature), "{feature}");
    }
}

#[tokio::test]
async fn a_message_reaches_its_room_and_only_its_room() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    let mut bob = Client::connect(&server).await;
    let mut carol = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    bob.join("lobby", "bob").await;
    carol.join("elsewhere", "carol").await;
    alice.presence_is("lobby", &["alice", "bob"]).await;
    bob.presence_is("lobby", &["alice", "bob"]).await;
    carol.presence_is("elsewhere", &["carol"]).await;

    // The sender's echo is its confirmation: same id and ts, the joined name, a seq.
    let mut spoof = msg("m1", "lobby", "Hello");
    if let Frame::Msg(m) = &mut spoof {
        m.from = "mallory".into();
        m.seq = Some(999);
    }
    alice.send(spoof).await;
    let echo = match alice.recv_until(|f| matches!(f, Frame::Msg(_))).await {
        Frame::Msg(m) => m,
        _ => unreachable!(),
    };
    assert_eq!(
        (echo.id.as_str(), echo.from.as_str(), echo.text.as_str()),
        ("m1", "alice", "Hello")
    );
    assert_eq!(echo.seq, Some(1));
    assert_ne!(
        echo.ts.as_millis(),
        1_764_000_000_000,
        "the server's clock, not the sender's"
    );
    let at_bob = bob.recv_until(|f| matches!(f, Frame::Msg(_))).await;
    assert_eq!(at_bob, Frame::Msg(echo));

    // The broadcast finished before alice saw her echo, so carol's queue already holds
    // anything it was going to get.
    assert!(only_messages(&carol.sync().await).is_empty());

    let second = post(&mut bob, "m2", "lobby", "Hi").await;
    assert_eq!((second.from.as_str(), second.seq), ("bob", Some(2)));
    let third = post(&mut carol, "m3", "elsewhere", "Alone").await;
    assert_eq!(third.seq, Some(1), "each room counts on its own");
    assert!(only_messages(&alice.sync().await)
        .iter()
        .all(|m| m.room == "lobby"));
}

#[tokio::test]
async fn presence_follows_joins_leaves_and_hangups() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    let mut bob = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    alice.join("side", "alice").await;
    bob.join("lobby", "bob").await;
    alice.presence_is("lobby", &["alice", "bob"]).await;

    // One connection can be in several rooms, and a message goes only to the room it names.
    let in_side = post(&mut alice, "s1", "side", "side talk").await;
    assert_eq!(in_side.room, "side");
    assert!(only_messages(&bob.sync().await).is_empty());

    bob.send(Frame::Leave(wirechat_protocol::Leave {
        room: "lobby".into(),
    }))
    .await;
    alice.presence_is("lobby", &["alice"]).await;

    let mut carol = Client::connect(&server).await;
    carol.join("lobby", "carol").await;
    alice.presence_is("lobby", &["alice", "carol"]).await;
    drop(carol);
    alice.presence_is("lobby", &["alice"]).await;

    // Two guests asking for one name are two people: the second is numbered.
    let mut alice_again = Client::connect(&server).await;
    let joined = alice_again.join("lobby", "alice").await;
    assert_eq!(joined.name.as_deref(), Some("alice (2)"));
    alice_again
        .presence_is("lobby", &["alice", "alice (2)"])
        .await;
}

#[tokio::test]
async fn a_late_joiner_gets_the_recent_history() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    let empty = alice.join("lobby", "alice").await;
    assert_eq!((empty.msgs.len(), empty.more), (0, false));
    for i in 1..=3 {
        post(&mut alice, &format!("m{i}"), "lobby", &format!("text {i}")).await;
    }
    let mut bob = Client::connect(&server).await;
    let history = bob.join("lobby", "bob").await;
    assert_eq!(seqs(&history.msgs), [1, 2, 3]);
    assert_eq!(history.msgs[0].text, "text 1");
    assert_eq!(history.msgs[0].from, "alice");
    assert!(!history.more);
}

#[tokio::test]
async fn a_join_holds_at_most_the_100_newest_and_says_more_exist() {
    let server = start(Config {
        flow: FlowLimits::unmetered(),
        ..local()
    })
    .await;
    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    for i in 1..=105 {
        post(&mut alice, &format!("m{i}"), "lobby", "x").await;
    }
    let mut bob = Client::connect(&server).await;
    let history = bob.join("lobby", "bob").await;
    assert_eq!(seqs(&history.msgs), (6..=105).collect::<Vec<_>>());
    assert!(history.more);
}

#[tokio::test]
async fn a_rejoin_with_the_same_epoch_gets_only_what_it_missed() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    for i in 1..=5 {
        post(&mut alice, &format!("m{i}"), "lobby", "x").await;
    }
    let mut bob = Client::connect(&server).await;
    let epoch = bob.hello.epoch.clone();
    bob.send(Frame::Join(Join {
        room: "lobby".into(),
        name: "bob".into(),
        after: Some(3),
        epoch: Some(epoch),
        deltas: false,
        req: None,
    }))
    .await;
    assert_eq!(seqs(&bob.history_of("lobby").await.msgs), [4, 5]);

    // A cursor from another epoch means nothing here: the recent history instead.
    let mut carol = Client::connect(&server).await;
    carol
        .send(Frame::Join(Join {
            room: "lobby".into(),
            name: "carol".into(),
            after: Some(3),
            epoch: Some("an-old-epoch".into()),
            deltas: false,
            req: None,
        }))
        .await;
    assert_eq!(seqs(&carol.history_of("lobby").await.msgs), [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_retried_id_is_stored_once_and_acknowledged() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    let mut bob = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    bob.join("lobby", "bob").await;
    let first = post(&mut alice, "m1", "lobby", "once").await;

    alice.send(msg("m1", "lobby", "once")).await;
    let ack = alice
        .recv_until(|f| matches!(f, Frame::Ack(_) | Frame::Msg(_)))
        .await;
    assert_eq!(
        ack,
        Frame::Ack(wirechat_protocol::Ack {
            id: "m1".into(),
            room: "lobby".into(),
            seq: first.seq,
        })
    );
    // A retry from a new connection (after a reconnect) is recognised too.
    let mut alice_again = Client::connect(&server).await;
    alice_again.join("lobby", "alice").await;
    alice_again.send(msg("m1", "lobby", "once")).await;
    let ack = alice_again
        .recv_until(|f| matches!(f, Frame::Ack(_) | Frame::Msg(_)))
        .await;
    assert!(matches!(ack, Frame::Ack(a) if a.seq == first.seq));

    let at_bob = only_messages(&bob.sync().await)
        .into_iter()
        .map(|m| m.id.clone())
        .collect::<Vec<_>>();
    assert_eq!(at_bob, ["m1"], "others see it once");
    let mut carol = Client::connect(&server).await;
    assert_eq!(seqs(&carol.join("lobby", "carol").await.msgs), [1]);
}

#[tokio::test]
async fn refused_frames_leave_the_connection_working() {
    let server = start(Config {
        max_text_bytes: 64,
        ..local()
    })
    .await;
    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;

    alice.send(msg("long", "lobby", &"x".repeat(65))).await;
    let err = expect_error(&mut alice).await;
    assert_eq!(
        (err.code.as_str(), err.id.as_deref()),
        (error_code::TOO_LARGE, Some("long"))
    );

    alice.send_text("{\"type\":\"msg\",").await;
    assert_eq!(expect_error(&mut alice).await.code, error_code::BAD_FRAME);
    alice.send_text("[1,2,3]").await;
    assert_eq!(expect_error(&mut alice).await.code, error_code::BAD_FRAME);

    alice.send(msg("m1", "not-joined", "hi")).await;
    let err = expect_error(&mut alice).await;
    assert_eq!(
        (err.code.as_str(), err.id.as_deref()),
        (error_code::NOT_JOINED, Some("m1"))
    );

    alice.send(join_frame("lobby", "")).await;
    assert_eq!(expect_error(&mut alice).await.code, error_code::BAD_NAME);
    alice.send(join_frame(&"r".repeat(65), "alice")).await;
    assert_eq!(expect_error(&mut alice).await.code, error_code::BAD_NAME);

    // Unknown types, `here` and binary frames are ignored without a word.
    alice.send_text(r#"{"type":"reaction","emoji":"+1"}"#).await;
    alice
        .send_text(r#"{"type":"here","room":"lobby","from":"alice","ttl":30000}"#)
        .await;
    futures_util::SinkExt::send(
        &mut alice.ws,
        tokio_tungstenite::tungstenite::Message::binary(vec![0u8, 1, 2]),
    )
    .await
    .unwrap();
    assert_eq!(alice.sync().await, []);

    let ok = post(&mut alice, "m2", "lobby", &"x".repeat(20)).await;
    assert_eq!(ok.seq, Some(1), "refused messages took no seq");
}

#[tokio::test]
async fn fetch_reads_before_and_after_a_seq() {
    // 260 messages at once are over the default rate limit.
    let server = start(Config {
        flow: FlowLimits::unmetered(),
        ..local()
    })
    .await;
    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    for i in 1..=10 {
        post(&mut alice, &format!("m{i}"), "lobby", "x").await;
    }
    let mut reader = Client::connect(&server).await;
    reader.join("lobby", "reader").await;
    let fetch = |before, after, limit| {
        Frame::Fetch(Fetch {
            room: "lobby".into(),
            before,
            after,
            limit,
            req: None,
        })
    };

    reader.send(fetch(Some(8), None, Some(3))).await;
    let page: History = reader.history_of("lobby").await;
    assert_eq!((seqs(&page.msgs), page.more), (vec![5, 6, 7], true));

    reader.send(fetch(Some(3), None, Some(50))).await;
    let page = reader.history_of("lobby").await;
    assert_eq!((seqs(&page.msgs), page.more), (vec![1, 2], false));

    reader.send(fetch(None, Some(7), None)).await;
    let page = reader.history_of("lobby").await;
    assert_eq!(seqs(&page.msgs), [8, 9, 10]);

    reader.send(fetch(None, Some(2), Some(2))).await;
    let page = reader.history_of("lobby").await;
    assert_eq!(seqs(&page.msgs), [3, 4]);
    assert_eq!(
        page.latest,
        Some(10),
        "a short page says where the room stands"
    );

    reader.join("empty", "reader").await;
    reader.send(fetch(None, Some(0), None)).await;
    let empty_room = Frame::Fetch(Fetch {
        room: "empty".into(),
        before: None,
        after: Some(0),
        limit: None,
        req: None,
    });
    reader.history_of("lobby").await;
    reader.send(empty_room).await;
    assert_eq!(reader.history_of("empty").await.latest, None);

    // No limit means 50, and no request gets more than a full page.
    for i in 11..=260 {
        post(&mut alice, &format!("m{i}"), "lobby", "x").await;
    }
    reader.send(fetch(Some(261), None, None)).await;
    assert_eq!(reader.history_of("lobby").await.msgs.len(), 50);
    reader.send(fetch(None, Some(0), Some(10_000))).await;
    let page = reader.history_of("lobby").await;
    let full_page = 1..=u64::from(HISTORY_PAGE_LIMIT);
    assert_eq!(seqs(&page.msgs), full_page.collect::<Vec<_>>());
}

#[tokio::test]
async fn typing_reaches_the_others_under_the_joined_name() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    let mut bob = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    bob.join("lobby", "bob").await;
    alice.presence_is("lobby", &["alice", "bob"]).await;

    bob.send(Frame::Typing(Typing {
        room: "lobby".into(),
        from: "somebody".into(),
    }))
    .await;
    let typing = alice.recv_until(|f| matches!(f, Frame::Typing(_))).await;
    assert_eq!(
        typing,
        Frame::Typing(Typing {
            room: "lobby".into(),
            from: "bob".into(),
        })
    );
    let at_bob = bob.sync().await;
    assert!(
        !at_bob.iter().any(|f| matches!(f, Frame::Typing(_))),
        "{at_bob:?}"
    );
}

#[tokio::test]
async fn ping_is_answered_with_its_ts() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    alice.send(Frame::Ping(Ping { ts: Some(12345) })).await;
    assert_eq!(alice.recv().await, Frame::Pong(Ping { ts: Some(12345) }));
    alice.send_text(r#"{"type":"ping"}"#).await;
    assert_eq!(alice.recv().await, Frame::Pong(Ping { ts: None }));
}

/// The next `history` frame of `room`, as the text that came over the wire.
async fn history_text(client: &mut Client, room: &str) -> String {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let message = tokio::time::timeout(common::WAIT, client.ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("the socket reads");
        let Message::Text(text) = message else {
            continue;
        };
        if matches!(wirechat_protocol::decode(&text), Ok(Frame::History(h)) if h.room == room) {
            return text.to_string();
        }
    }
}

fn page_of(text: &str) -> History {
    match wirechat_protocol::decode(text) {
        Ok(Frame::History(history)) => history,
        other => panic!("expected a history page, got {other:?}"),
    }
}

#[tokio::test]
async fn history_answers_echo_the_request_id_of_their_join_or_fetch() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    alice
        .send_text(r#"{"type":"join","room":"lobby","name":"alice","req":7}"#)
        .await;
    let answer = history_text(&mut alice, "lobby").await;
    assert!(answer.ends_with(r#","req":7}"#), "{answer}");
    post(&mut alice, "m1", "lobby", "hello").await;

    alice
        .send_text(r#"{"type":"fetch","room":"lobby","after":0,"req":8}"#)
        .await;
    let answer = history_text(&mut alice, "lobby").await;
    let page = page_of(&answer);
    assert_eq!((page.req, seqs(&page.msgs)), (Some(8), vec![1]));

    // The largest id every JSON reader holds exactly comes back unchanged.
    alice
        .send_text(r#"{"type":"fetch","room":"lobby","before":2,"req":9007199254740991}"#)
        .await;
    assert_eq!(
        page_of(&history_text(&mut alice, "lobby").await).req,
        Some(wirechat_protocol::MAX_SEQ)
    );

    // A resuming join is answered like a fresh one.
    let epoch = alice.hello.epoch.clone();
    alice
        .send_text(&format!(
            r#"{{"type":"join","room":"lobby","name":"alice","after":0,"epoch":"{epoch}","req":9}}"#
        ))
        .await;
    assert_eq!(
        page_of(&history_text(&mut alice, "lobby").await).req,
        Some(9)
    );

    // Requests without an id get answers without one, as before request ids existed.
    alice
        .send_text(r#"{"type":"fetch","room":"lobby","after":0}"#)
        .await;
    let answer = history_text(&mut alice, "lobby").await;
    assert!(!answer.contains(r#""req""#), "{answer}");
    alice
        .send_text(r#"{"type":"join","room":"other","name":"alice"}"#)
        .await;
    let answer = history_text(&mut alice, "other").await;
    assert!(!answer.contains(r#""req""#), "{answer}");
}

#[tokio::test]
async fn errors_refusing_a_join_or_fetch_name_its_request_id() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    let refusals = [
        (
            r#"{"type":"fetch","room":"elsewhere","after":0,"req":5}"#,
            error_code::NOT_JOINED,
            Some(5),
        ),
        (
            r#"{"type":"join","room":" lobby","name":"alice","req":6}"#,
            error_code::BAD_NAME,
            Some(6),
        ),
        (
            r#"{"type":"fetch","room":"elsewhere","after":0}"#,
            error_code::NOT_JOINED,
            None,
        ),
    ];
    for (request, code, req) in refusals {
        alice.send_text(request).await;
        let refused = expect_error(&mut alice).await;
        assert_eq!(
            (refused.code.as_str(), refused.req),
            (code, req),
            "{request}"
        );
    }
}
