//! What an operator relies on, through real sockets: `/healthz`, `/metrics`, and retention
//! trimming the SQLite history while `seq` numbering and resume go on.

use crate::common;

use std::time::{Duration, Instant};

use common::{http_get, local, msg, start, Client, WAIT};
use wirechat_protocol::{close_code, Frame, Join};
use wirechat_server::{Config, Retention, RunningServer, Storage};

/// The value of an unlabelled or labelled sample line `name value` in `/metrics`.
async fn sample(server: &RunningServer, name: &str) -> Option<u64> {
    let response = http_get(server, "/metrics").await;
    let text = response.body_text();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Polls `/metrics` until `name` has `value`.
async fn sample_becomes(server: &RunningServer, name: &str, value: u64) {
    let started = Instant::now();
    loop {
        let seen = sample(server, name).await;
        if seen == Some(value) {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "{name} stayed at {seen:?}, not {value}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn post(client: &mut Client, id: &str) -> Frame {
    client.send(msg(id, "lobby", "hello")).await;
    client
        .recv_until(|f| matches!(f, Frame::Msg(m) if m.id == id) || matches!(f, Frame::Error(_)))
        .await
}

#[tokio::test]
async fn healthz_answers_ok() {
    let server = start(local()).await;
    let response = http_get(&server, "/healthz").await;
    assert!(response.status_line.contains("200"), "{response:?}");
    assert_eq!(response.body_text(), "ok\n");
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_count_connections_rooms_messages_and_closes_by_code() {
    let server = start(local()).await;
    let response = http_get(&server, "/metrics").await;
    assert!(response.status_line.contains("200"));
    assert!(response
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")));
    assert!(response
        .body_text()
        .contains("# TYPE wirechat_messages_stored_total counter"));

    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    for id in ["m1", "m2", "m3"] {
        assert!(matches!(post(&mut alice, id).await, Frame::Msg(_)));
    }
    sample_becomes(&server, "wirechat_connections", 1).await;
    sample_becomes(&server, "wirechat_rooms", 1).await;
    sample_becomes(&server, "wirechat_messages_stored_total", 3).await;

    // A frame over the limit closes the socket with 1009, which is counted.
    alice.send_text(&"x".repeat(128 * 1024)).await;
    assert_eq!(alice.close_code().await, close_code::TOO_BIG);
    sample_becomes(&server, "wirechat_closes_total{code=\"1009\"}", 1).await;
    sample_becomes(&server, "wirechat_connections", 0).await;
    sample_becomes(&server, "wirechat_rooms", 0).await;
    server.shutdown().await;
}

/// Regression: nothing was ever deleted, so a busy room grew its database without bound.
#[tokio::test]
async fn retention_keeps_the_newest_messages_and_numbering_and_resume_go_on() {
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        storage: Storage::Sqlite {
            data_dir: data.path().to_owned(),
        },
        retention: Retention {
            max_messages: Some(5),
            max_age: None,
            interval: Duration::from_millis(50),
        },
        ..local()
    };
    let server = start(config).await;
    let mut alice = Client::connect(&server).await;
    let epoch = alice.hello.epoch.clone();
    alice.join("lobby", "alice").await;
    for i in 1..=12 {
        assert!(matches!(
            post(&mut alice, &format!("m{i}")).await,
            Frame::Msg(_)
        ));
    }

    // Within a few intervals only the newest five are left.
    let started = Instant::now();
    let kept = loop {
        let page = alice.fetch_from_start("lobby").await;
        let seqs: Vec<u64> = page.msgs.iter().filter_map(|m| m.seq).collect();
        if seqs.len() == 5 || started.elapsed() > WAIT {
            break seqs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(kept, [8, 9, 10, 11, 12]);

    match post(&mut alice, "m13").await {
        Frame::Msg(m) => assert_eq!(m.seq, Some(13), "numbering goes on"),
        other => panic!("{other:?}"),
    }

    // A client that had seen up to seq 2 resumes with what is left.
    let mut bob = Client::connect(&server).await;
    bob.send(Frame::Join(Join {
        room: "lobby".into(),
        name: "bob".into(),
        after: Some(2),
        epoch: Some(epoch),
        deltas: false,
        req: None,
    }))
    .await;
    let missed = bob.history_of("lobby").await;
    let seqs: Vec<u64> = missed.msgs.iter().filter_map(|m| m.seq).collect();
    // 8 or 9 first, depending on whether retention has run since m13.
    assert!(seqs.first().is_some_and(|&first| first >= 8), "{seqs:?}");
    assert!(seqs.ends_with(&[11, 12, 13]), "{seqs:?}");
    server.shutdown().await;
}
