//! History kept in SQLite across a restart of the server, through real WebSocket clients.

use crate::common;

use common::{answers, local, msg, start, Client};
use wirechat_protocol::{ChatMessage, Frame, History, Join};
use wirechat_server::{Config, Storage};

fn seqs(msgs: &[ChatMessage]) -> Vec<u64> {
    msgs.iter()
        .map(|m| m.seq.expect("stored messages have a seq"))
        .collect()
}

fn ids(msgs: &[ChatMessage]) -> Vec<&str> {
    msgs.iter().map(|m| m.id.as_str()).collect()
}

/// Sends a message and returns what confirmed it: the echo or an `ack`.
async fn post(client: &mut Client, id: &str) -> Frame {
    client
        .send(msg(id, "lobby", &format!("text of {id}")))
        .await;
    client.recv_until(answers(id)).await
}

#[tokio::test]
async fn a_restarted_server_keeps_its_epoch_history_and_seq() {
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        storage: Storage::Sqlite {
            data_dir: data.path().to_owned(),
        },
        // Only bounds what a resume replays: the database keeps everything.
        history_per_room: 2,
        ..local()
    };

    let first = start(config.clone()).await;
    let mut alice = Client::connect(&first).await;
    let epoch = alice.hello.epoch.clone();
    alice.join("lobby", "alice").await;
    for (i, id) in ["m1", "m2", "m3", "m4", "m5"].into_iter().enumerate() {
        match post(&mut alice, id).await {
            Frame::Msg(m) => assert_eq!(m.seq, Some(i as u64 + 1)),
            other => panic!("expected the echo of {id}, got {other:?}"),
        }
    }
    // Hanging up first spares the shutdown its wait for a close handshake.
    drop(alice);
    first.shutdown().await;

    // Alice had seen up to seq 3 when the server went away.
    let second = start(config).await;
    let mut alice = Client::connect(&second).await;
    assert_eq!(alice.hello.epoch, epoch, "a restart keeps the epoch");
    assert_eq!(second.state().epoch(), epoch);
    alice
        .send(Frame::Join(Join {
            room: "lobby".into(),
            name: "alice".into(),
            after: Some(3),
            epoch: Some(epoch),
            deltas: false,
            req: None,
        }))
        .await;
    let missed = alice.history_of("lobby").await;
    assert_eq!(ids(&missed.msgs), ["m4", "m5"]);
    assert_eq!(seqs(&missed.msgs), [4, 5]);
    assert!(missed.more, "older messages exist");
    assert!(missed.msgs.iter().all(|m| m.from == "alice"));

    // A retry of a message from before the restart is confirmed with its first seq.
    match post(&mut alice, "m1").await {
        Frame::Ack(ack) => assert_eq!((ack.room.as_str(), ack.seq), ("lobby", Some(1))),
        other => panic!("expected an ack for the retry, got {other:?}"),
    }
    match post(&mut alice, "m6").await {
        Frame::Msg(m) => assert_eq!(m.seq, Some(6), "seq continues after the restart"),
        other => panic!("expected the echo of m6, got {other:?}"),
    }

    let History { msgs, more, .. } = alice.fetch_from_start("lobby").await;
    assert_eq!(ids(&msgs), ["m1", "m2", "m3", "m4", "m5", "m6"], "m1 once");
    assert_eq!(seqs(&msgs), [1, 2, 3, 4, 5, 6]);
    assert!(!more);
    drop(alice);
    second.shutdown().await;
}

#[tokio::test]
async fn a_data_directory_that_cannot_be_created_stops_spawn_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("occupied");
    std::fs::write(&file, "a file, not a directory").unwrap();
    let err = wirechat_server::spawn(Config {
        storage: Storage::Sqlite {
            data_dir: file.join("data"),
        },
        ..local()
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("cannot create the data directory"), "{err}");
    assert!(err.contains("occupied"), "{err}");
}

#[tokio::test]
async fn memory_storage_starts_a_new_epoch_every_time() {
    let first = start(local()).await;
    let epoch = first.state().epoch().to_owned();
    first.shutdown().await;
    let second = start(local()).await;
    assert_ne!(second.state().epoch(), epoch);
}
