//! Flow limits through real sockets: history pages cut by bytes, rate limits, room caps,
//! the idle timeout and presence changes.

use crate::common;

use std::time::Duration;

use common::{join_frame, local, msg, start, Client, WAIT};
use futures_util::{SinkExt, StreamExt};
use tokio::time::{sleep, timeout, Instant};
use tokio_tungstenite::tungstenite::Message;
use wirechat_protocol::{
    close_code, decode, encode, error_code, feature, Fetch, Frame, History, Join, Leave, Ping,
    PresenceChange, Typing, HISTORY_PAGE_LIMIT, MAX_SERVER_FRAME_BYTES,
};
use wirechat_server::{Config, FlowLimits, Rate, TOO_MANY_ROOMS};

/// The next `history` frame of the client, with its size on the wire.
async fn history_with_size(client: &mut Client) -> (History, usize) {
    loop {
        let message = timeout(WAIT, client.ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("the socket reads");
        if let Message::Text(text) = message {
            if let Ok(Frame::History(history)) = decode(&text) {
                return (history, text.len());
            }
        }
    }
}

fn fetch(before: Option<u64>, after: Option<u64>) -> Frame {
    Frame::Fetch(Fetch {
        room: "big".into(),
        before,
        after,
        limit: Some(HISTORY_PAGE_LIMIT),
        req: None,
    })
}

#[tokio::test]
async fn history_pages_of_escape_heavy_text_stay_under_256_kib_and_paging_reaches_every_message() {
    let server = start(Config {
        flow: FlowLimits::unmetered(),
        ..local()
    })
    .await;
    let mut writer = Client::connect(&server).await;
    writer.join("big", "writer").await;
    // Quotes, backslashes and control characters: 4000 bytes escape to 16,000 in JSON.
    let text = "\"\\\u{1}\u{7}".repeat(1000);
    for i in 1..=200 {
        writer.send(msg(&format!("m{i}"), "big", &text)).await;
    }
    writer
        .recv_until(|f| matches!(f, Frame::Msg(m) if m.id == "m200"))
        .await;

    let mut reader = Client::connect(&server).await;
    reader.send(join_frame("big", "reader")).await;
    let (page, size) = history_with_size(&mut reader).await;
    assert!(
        size <= MAX_SERVER_FRAME_BYTES,
        "a join page of {size} bytes"
    );
    assert!(page.more, "a cut page says older messages exist");
    assert_eq!(page.msgs.last().and_then(|m| m.seq), Some(200));

    // Scrolling back reaches the first message.
    let mut seen: Vec<u64> = page.msgs.iter().filter_map(|m| m.seq).collect();
    let mut oldest = seen[0];
    let mut pages = 1;
    while oldest > 1 {
        reader.send(fetch(Some(oldest), None)).await;
        let (page, size) = history_with_size(&mut reader).await;
        assert!(size <= MAX_SERVER_FRAME_BYTES, "a page of {size} bytes");
        assert!(!page.msgs.is_empty(), "older messages are still to come");
        oldest = page.msgs[0].seq.unwrap();
        assert_eq!(page.more, oldest > 1);
        seen.extend(page.msgs.iter().filter_map(|m| m.seq));
        pages += 1;
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=200).collect::<Vec<_>>());
    assert!(pages > 10, "{pages} pages for 3.2 MB of JSON");

    // Filling a gap forwards reaches `latest`.
    let mut newest = 0;
    let mut forward = Vec::new();
    loop {
        reader.send(fetch(None, Some(newest))).await;
        let (page, size) = history_with_size(&mut reader).await;
        assert!(size <= MAX_SERVER_FRAME_BYTES, "a page of {size} bytes");
        forward.extend(page.msgs.iter().filter_map(|m| m.seq));
        newest = forward.last().copied().unwrap_or(0);
        if Some(newest) >= page.latest {
            break;
        }
    }
    assert_eq!(forward, (1..=200).collect::<Vec<_>>());
}

#[tokio::test]
async fn over_its_rate_a_msg_is_refused_with_its_id_and_a_retry_after_then_accepted() {
    let server = start(Config {
        flow: FlowLimits {
            msg: Rate::new(5, 2),
            ..FlowLimits::default()
        },
        ..local()
    })
    .await;
    let mut alice = Client::connect(&server).await;
    alice.join("lobby", "alice").await;
    for id in ["m1", "m2", "m3"] {
        alice.send(msg(id, "lobby", "hi")).await;
    }
    let refusal = alice.recv_until(|f| matches!(f, Frame::Error(_))).await;
    let Frame::Error(err) = refusal else {
        unreachable!()
    };
    assert_eq!(err.code, error_code::RATE_LIMITED);
    assert_eq!(err.id.as_deref(), Some("m3"));
    let wait = err.retry_after.expect("a retry_after");
    assert!((1..=200).contains(&wait), "retry after {wait} ms");

    sleep(Duration::from_millis(wait)).await;
    alice.send(msg("m3", "lobby", "hi")).await;
    let echo = alice
        .recv_until(|f| matches!(f, Frame::Msg(m) if m.id == "m3") || matches!(f, Frame::Error(_)))
        .await;
    assert!(
        matches!(&echo, Frame::Msg(m) if m.seq == Some(3)),
        "{echo:?}"
    );
}

#[tokio::test]
async fn a_client_that_keeps_flooding_past_its_limit_is_closed_with_1008() {
    let server = start(Config {
        flow: FlowLimits {
            typing: Rate::new(1, 1),
            abuse_after: Duration::from_millis(500),
            ..FlowLimits::default()
        },
        ..local()
    })
    .await;
    let mut flooder = Client::connect(&server).await;
    flooder.join("lobby", "flooder").await;
    let typing = encode(&Frame::Typing(Typing {
        room: "lobby".into(),
        from: "flooder".into(),
    }));
    let started = Instant::now();
    // Well past the limit, for longer than the server tolerates; it may close meanwhile.
    while started.elapsed() < Duration::from_millis(800) {
        if flooder
            .ws
            .send(Message::text(typing.clone()))
            .await
            .is_err()
        {
            break;
        }
        sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(flooder.close_code().await, close_code::POLICY);
}

#[tokio::test]
async fn a_connection_in_as_many_rooms_as_allowed_is_refused_another() {
    let server = start(Config {
        flow: FlowLimits {
            rooms_per_connection: 2,
            ..FlowLimits::default()
        },
        ..local()
    })
    .await;
    let mut alice = Client::connect(&server).await;
    alice.join("one", "alice").await;
    alice.join("two", "alice").await;
    alice.send(join_frame("three", "alice")).await;
    let refusal = alice
        .recv_until(|f| matches!(f, Frame::Error(_) | Frame::History(_)))
        .await;
    assert!(
        matches!(&refusal, Frame::Error(e) if e.code == TOO_MANY_ROOMS && e.message.contains('2')),
        "{refusal:?}"
    );
    alice.send(Frame::Leave(Leave { room: "one".into() })).await;
    assert_eq!(alice.join("three", "alice").await.room, "three");
}

#[tokio::test]
async fn an_idle_connection_is_closed_with_1001_and_one_that_pings_is_not() {
    let server = start(Config {
        flow: FlowLimits {
            idle_timeout: Duration::from_secs(1),
            ..FlowLimits::default()
        },
        ..local()
    })
    .await;
    let mut quiet = Client::connect(&server).await;
    let mut pinging = Client::connect(&server).await;
    let started = Instant::now();
    for ts in 0..8 {
        pinging.send(Frame::Ping(Ping { ts: Some(ts) })).await;
        assert_eq!(pinging.recv().await, Frame::Pong(Ping { ts: Some(ts) }));
        sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(quiet.close_code().await, close_code::GOING_AWAY);
    assert!(started.elapsed() >= Duration::from_secs(1));
    pinging.send(Frame::Ping(Ping { ts: Some(99) })).await;
    assert_eq!(pinging.recv().await, Frame::Pong(Ping { ts: Some(99) }));
}

#[tokio::test]
async fn a_client_that_asks_for_deltas_gets_one_list_then_changes_and_others_get_lists() {
    let server = start(local()).await;
    let mut alice = Client::connect(&server).await;
    assert!(alice.hello.has(feature::PRESENCE_DELTAS));
    alice
        .send(Frame::Join(Join {
            room: "lobby".into(),
            name: "alice".into(),
            after: None,
            epoch: None,
            deltas: true,
            req: None,
        }))
        .await;
    alice.presence_is("lobby", &["alice"]).await;
    let mut bob = Client::connect(&server).await;
    bob.join("lobby", "bob").await;
    bob.presence_is("lobby", &["alice", "bob"]).await;
    let mut carol = Client::connect(&server).await;
    carol.join("lobby", "carol").await;
    bob.presence_is("lobby", &["alice", "bob", "carol"]).await;
    drop(carol);
    bob.presence_is("lobby", &["alice", "bob"]).await;

    let change = |user: &str| PresenceChange {
        room: "lobby".into(),
        user: user.into(),
    };
    let seen: Vec<Frame> = alice
        .sync()
        .await
        .into_iter()
        .filter(|f| matches!(f, Frame::Presence(_) | Frame::Joined(_) | Frame::Left(_)))
        .collect();
    assert_eq!(
        seen,
        [
            Frame::Joined(change("bob")),
            Frame::Joined(change("carol")),
            Frame::Left(change("carol")),
        ]
    );
}
