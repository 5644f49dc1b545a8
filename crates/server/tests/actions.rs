//! Message actions over real sockets: edits, deletes, reactions, read positions and search,
//! on a server that keeps history in SQLite.

use crate::common;

use common::{local, start, Client};
use tempfile::TempDir;
use wirechat_protocol::{
    error_code, feature, Auth, ChatMessage, Delete, Edit, ErrorFrame, Frame, React, Read, Results,
    Search, Timestamp,
};
use wirechat_server::{Config, FlowLimits, Rate, RunningServer, Storage};

fn sqlite(data: &TempDir) -> Config {
    Config {
        storage: Storage::Sqlite {
            data_dir: data.path().to_owned(),
        },
        ..local()
    }
}

fn message(id: &str, room: &str, text: &str, reply_to: Option<&str>) -> Frame {
    Frame::Msg(ChatMessage {
        uid: None,
        id: id.into(),
        room: room.into(),
        from: "whoever".into(),
        text: text.into(),
        ts: Timestamp::EPOCH,
        seq: None,
        reply_to: reply_to.map(str::to_owned),
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    })
}

/// Posts a message and waits for its echo.
async fn post(client: &mut Client, id: &str, room: &str, text: &str) -> ChatMessage {
    client.send(message(id, room, text, None)).await;
    match client.recv_until(common::answers(id)).await {
        Frame::Msg(msg) => msg,
        other => panic!("expected the echo of {id}, got {other:?}"),
    }
}

fn edit(room: &str, id: &str, text: &str) -> Frame {
    Frame::Edit(Edit {
        room: room.into(),
        id: id.into(),
        text: text.into(),
        from: None,
        uid: None,
        ts: None,
    })
}

fn delete(room: &str, id: &str) -> Frame {
    Frame::Delete(Delete {
        room: room.into(),
        id: id.into(),
        from: None,
        uid: None,
        ts: None,
    })
}

fn react(room: &str, id: &str, emoji: &str, on: bool) -> Frame {
    Frame::React(React {
        room: room.into(),
        id: id.into(),
        emoji: emoji.into(),
        on,
        from: None,
        uid: None,
    })
}

fn search(room: &str, q: &str, req: u64) -> Frame {
    Frame::Search(Search {
        room: room.into(),
        q: q.into(),
        req: Some(req),
    })
}

/// The `error` among `frames`, if there is one.
fn error_in(frames: &[Frame]) -> Option<&ErrorFrame> {
    frames.iter().find_map(|f| match f {
        Frame::Error(e) => Some(e),
        _ => None,
    })
}

async fn results(client: &mut Client, room: &str, q: &str, req: u64) -> Frame {
    client.send(search(room, q, req)).await;
    client
        .recv_until(|f| match f {
            Frame::Results(r) => r.req == Some(req),
            Frame::Error(e) => e.req == Some(req) || e.code == error_code::BAD_FRAME,
            _ => false,
        })
        .await
}

fn texts(results: &Results) -> Vec<&str> {
    results.msgs.iter().map(|m| m.text.as_str()).collect()
}

async fn two_in_lobby(server: &RunningServer) -> (Client, Client) {
    let mut alice = Client::connect(server).await;
    alice.join("lobby", "alice").await;
    let mut bob = Client::connect(server).await;
    bob.join("lobby", "bob").await;
    (alice, bob)
}

#[tokio::test]
async fn each_action_reaches_another_client() {
    let data = tempfile::tempdir().unwrap();
    each_action_reaches_another_client_on(sqlite(&data)).await;
    each_action_reaches_another_client_on(local()).await;
}

async fn each_action_reaches_another_client_on(config: Config) {
    let server = start(config).await;
    let (mut alice, mut bob) = two_in_lobby(&server).await;
    assert!(alice.hello.has(feature::ACTIONS) && alice.hello.has(feature::SEARCH));
    let alice_uid = alice.authed.clone().unwrap().uid;

    post(&mut alice, "m1", "lobby", "helo").await;
    bob.send(message("m2", "lobby", "hi!", Some("m1"))).await;
    let Frame::Msg(reply) = alice.recv_until(common::answers("m2")).await else {
        panic!("the reply")
    };
    assert_eq!(reply.reply_to.as_deref(), Some("m1"));

    alice.send(edit("lobby", "m1", "hello")).await;
    let Frame::Edit(edited) = bob.recv_until(|f| matches!(f, Frame::Edit(_))).await else {
        unreachable!()
    };
    assert_eq!(
        (
            edited.id.as_str(),
            edited.text.as_str(),
            edited.from.as_deref()
        ),
        ("m1", "hello", Some("alice"))
    );
    assert_eq!(edited.uid.as_deref(), Some(alice_uid.as_str()));
    assert!(edited.ts.is_some());

    bob.send(react("lobby", "m1", "👍", true)).await;
    let Frame::React(reacted) = alice.recv_until(|f| matches!(f, Frame::React(_))).await else {
        unreachable!()
    };
    assert_eq!(
        (reacted.emoji.as_str(), reacted.on, reacted.from.as_deref()),
        ("👍", true, Some("bob"))
    );

    alice.send(delete("lobby", "m1")).await;
    let Frame::Delete(deleted) = bob.recv_until(|f| matches!(f, Frame::Delete(_))).await else {
        unreachable!()
    };
    assert_eq!(
        (deleted.id.as_str(), deleted.from.as_deref()),
        ("m1", Some("alice"))
    );
}

#[tokio::test]
async fn a_non_author_cannot_edit_or_delete() {
    let data = tempfile::tempdir().unwrap();
    a_non_author_cannot_edit_or_delete_on(sqlite(&data)).await;
    a_non_author_cannot_edit_or_delete_on(local()).await;
}

async fn a_non_author_cannot_edit_or_delete_on(config: Config) {
    let server = start(config).await;
    let (mut alice, mut bob) = two_in_lobby(&server).await;
    post(&mut alice, "m1", "lobby", "mine").await;

    for frame in [edit("lobby", "m1", "yours now"), delete("lobby", "m1")] {
        bob.send(frame).await;
        let answers = bob.sync().await;
        let refused = error_in(&answers).expect("an error");
        assert_eq!(
            (refused.code.as_str(), refused.id.as_deref()),
            (error_code::FORBIDDEN, Some("m1"))
        );
    }
    // Nothing reached the author, and the message is as it was.
    let seen = alice.sync().await;
    assert!(
        !seen
            .iter()
            .any(|f| matches!(f, Frame::Edit(_) | Frame::Delete(_))),
        "{seen:?}"
    );
    let history = alice.fetch_from_start("lobby").await;
    assert_eq!(history.msgs[0].text, "mine");
    assert_eq!(
        (history.msgs[0].edited, history.msgs[0].deleted),
        (None, None)
    );

    bob.send(edit("lobby", "nope", "x")).await;
    let answers = bob.sync().await;
    assert_eq!(error_in(&answers).unwrap().code, error_code::NOT_FOUND);
}

#[tokio::test]
async fn history_after_reconnect_shows_edits_tombstones_and_reactions() {
    let data = tempfile::tempdir().unwrap();
    let config = sqlite(&data);
    let server = start(config.clone()).await;
    let (mut alice, mut bob) = two_in_lobby(&server).await;
    let mut carol = Client::connect(&server).await;
    carol.join("lobby", "carol").await;
    post(&mut alice, "a", "lobby", "first draft").await;
    post(&mut alice, "b", "lobby", "xylophonesecret").await;
    alice.send(edit("lobby", "a", "final text")).await;
    alice.send(delete("lobby", "b")).await;
    bob.send(react("lobby", "a", "👍", true)).await;
    // On and off and on again, twice: one reaction per user.
    for on in [true, true, false, true] {
        carol.send(react("lobby", "a", "👍", on)).await;
    }
    carol.send(react("lobby", "a", "🎉", true)).await;
    carol.send(react("lobby", "b", "🎉", true)).await;
    let refused = carol.sync().await;
    assert_eq!(
        error_in(&refused).map(|e| e.code.as_str()),
        Some(error_code::NOT_FOUND),
        "a tombstone takes no reactions"
    );
    bob.sync().await;
    alice.sync().await;
    drop((alice, bob, carol));
    server.shutdown().await;

    let server = start(config).await;
    let mut again = Client::connect(&server).await;
    let history = again.join("lobby", "dave").await;
    let [a, b] = &history.msgs[..] else {
        panic!("two messages, got {:?}", history.msgs)
    };
    assert_eq!(a.text, "final text");
    assert!(a.edited.is_some() && a.deleted.is_none());
    let reactions: Vec<(&str, u64, Vec<&str>)> = a
        .reactions
        .iter()
        .map(|r| {
            (
                r.emoji.as_str(),
                r.count,
                r.users.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        reactions,
        [("👍", 2, vec!["bob", "carol"]), ("🎉", 1, vec!["carol"])]
    );
    assert_eq!((b.text.as_str(), b.deleted.is_some()), ("", true));
    assert!(b.reactions.is_empty());
    drop(again);
    server.shutdown().await;

    // Removed from storage, not hidden: no file of the data directory holds the text.
    for entry in std::fs::read_dir(data.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(15).any(|w| w == b"xylophonesecret"),
            "{} still holds the deleted text",
            path.display()
        );
    }
}

#[tokio::test]
async fn the_read_position_survives_a_reconnect_and_reaches_other_tabs() {
    let data = tempfile::tempdir().unwrap();
    the_read_position_survives_a_reconnect_and_reaches_other_tabs_on(sqlite(&data)).await;
    the_read_position_survives_a_reconnect_and_reaches_other_tabs_on(local()).await;
}

async fn the_read_position_survives_a_reconnect_and_reaches_other_tabs_on(config: Config) {
    let server = start(config).await;
    let mut alice = Client::connect(&server).await;
    let resume = alice
        .authed
        .clone()
        .unwrap()
        .resume
        .expect("a resume token");
    let first = alice.join("lobby", "alice").await;
    assert_eq!(first.read, None);
    for id in ["m1", "m2", "m3"] {
        post(&mut alice, id, "lobby", id).await;
    }
    let mut tab = Client::connect(&server).await;
    tab.send(Frame::Auth(Auth {
        token: resume.clone(),
    }))
    .await;
    tab.recv_until(|f| matches!(f, Frame::Authed(_))).await;
    tab.join("lobby", "alice").await;

    alice
        .send(Frame::Read(Read {
            room: "lobby".into(),
            seq: 2,
        }))
        .await;
    let Frame::Read(read) = tab.recv_until(|f| matches!(f, Frame::Read(_))).await else {
        unreachable!()
    };
    assert_eq!(read.seq, 2);
    // Lower positions never move it back; higher ones stop at the newest message.
    for seq in [1, (1 << 53) - 1] {
        alice
            .send(Frame::Read(Read {
                room: "lobby".into(),
                seq,
            }))
            .await;
    }
    alice.sync().await;
    drop((alice, tab));

    let mut back = Client::connect(&server).await;
    back.send(Frame::Auth(Auth { token: resume })).await;
    back.recv_until(|f| matches!(f, Frame::Authed(_))).await;
    let history = back.join("lobby", "alice").await;
    assert_eq!(history.read, Some(3));

    let mut stranger = Client::connect(&server).await;
    assert_eq!(stranger.join("lobby", "zed").await.read, None);
}

#[tokio::test]
async fn search_finds_words_in_the_asked_room_only() {
    let data = tempfile::tempdir().unwrap();
    search_finds_words_in_the_asked_room_only_on(sqlite(&data)).await;
    search_finds_words_in_the_asked_room_only_on(local()).await;
}

async fn search_finds_words_in_the_asked_room_only_on(config: Config) {
    let server = start(config).await;
    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    alice.join("dev", "alice").await;
    post(&mut alice, "l1", "lobby", "Lunch on Friday?").await;
    post(&mut alice, "l2", "lobby", "no lunch today").await;
    post(&mut alice, "l3", "lobby", "typo lnch").await;
    post(&mut alice, "l4", "lobby", "gone lunch").await;
    post(&mut alice, "d1", "dev", "lunch in dev").await;
    alice.send(edit("lobby", "l3", "fixed lunch")).await;
    alice.send(delete("lobby", "l4")).await;
    alice.sync().await;

    let Frame::Results(found) = results(&mut alice, "lobby", "LUNCH", 1).await else {
        panic!("results")
    };
    assert_eq!(
        texts(&found),
        ["Lunch on Friday?", "no lunch today", "fixed lunch"]
    );
    let Frame::Results(found) = results(&mut alice, "lobby", "friday lunch", 2).await else {
        panic!("results")
    };
    assert_eq!(texts(&found), ["Lunch on Friday?"]);
    let Frame::Results(found) = results(&mut alice, "lobby", "lnch", 3).await else {
        panic!("results")
    };
    assert!(
        found.msgs.is_empty(),
        "the text before the edit is not found"
    );

    let mut bob = Client::connect(&server).await;
    bob.join("lobby", "bob").await;
    let Frame::Error(refused) = results(&mut bob, "dev", "lunch", 4).await else {
        panic!("a room not joined is not searched")
    };
    assert_eq!(refused.code, error_code::NOT_JOINED);
}

#[tokio::test]
async fn hostile_queries_get_results_or_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    hostile_queries_get_results_or_a_clear_error_on(sqlite(&data)).await;
    hostile_queries_get_results_or_a_clear_error_on(local()).await;
}

async fn hostile_queries_get_results_or_a_clear_error_on(config: Config) {
    let server = start(config).await;
    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    post(
        &mut alice,
        "m1",
        "lobby",
        "quote \"this\" and star* NEAR here",
    )
    .await;
    let long = "lunch ".repeat(40);
    let hostile = [
        "\"",
        "\"\"",
        "*",
        "this*",
        "NEAR(quote here)",
        "NEAR",
        "quote OR",
        "AND",
        "text:quote",
        "^quote",
        "(",
        "\u{0}",
        "'; DROP TABLE messages; --",
        "\"this\"",
        long.as_str(),
    ];
    for (req, q) in hostile.iter().enumerate() {
        match results(&mut alice, "lobby", q, req as u64).await {
            Frame::Results(_) => {}
            other => panic!("{q:?} got {other:?}"),
        }
    }
    let Frame::Results(found) = results(&mut alice, "lobby", "\"this\" NEAR", 99).await else {
        panic!("results")
    };
    assert_eq!(found.msgs.len(), 1, "syntax is searched for as words");

    // Past the query limit: refused as a frame, and the connection goes on.
    let Frame::Error(refused) = results(&mut alice, "lobby", &"x".repeat(10_240), 100).await else {
        panic!("an error")
    };
    assert_eq!(refused.code, error_code::BAD_FRAME);
    let Frame::Results(found) = results(&mut alice, "lobby", "quote", 101).await else {
        panic!("results")
    };
    assert_eq!(found.msgs.len(), 1);
}

#[tokio::test]
async fn actions_count_against_the_message_rate_limit_and_edits_against_its_length() {
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        max_text_bytes: 100,
        flow: FlowLimits {
            msg: Rate {
                per_second: 1,
                burst: 3,
            },
            ..FlowLimits::default()
        },
        ..sqlite(&data)
    };
    let server = start(config).await;
    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    post(&mut alice, "m1", "lobby", "hi").await;
    alice.send(edit("lobby", "m1", &"x".repeat(101))).await;
    let answers = alice.sync().await;
    assert_eq!(error_in(&answers).unwrap().code, error_code::TOO_LARGE);
    alice.send(react("lobby", "m1", "👍", true)).await;
    alice.send(react("lobby", "m1", "👍", false)).await;
    let answers = alice.sync().await;
    assert_eq!(
        error_in(&answers).map(|e| e.code.as_str()),
        Some(error_code::RATE_LIMITED)
    );
}
