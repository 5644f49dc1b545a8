use super::*;
use wirechat_protocol::{decode, Ack, Fetch, Handshake, Hello, Here, History, Join, Ping};

const T0: u64 = 1_764_000_000_000;

fn hello(epoch: &str) -> String {
    encode(&Frame::Hello(Hello {
        server: "test".into(),
        epoch: epoch.into(),
        features: vec![
            feature::HISTORY.into(),
            feature::ACK.into(),
            feature::PING.into(),
            feature::PRESENCE.into(),
        ],
        max_text: Some(100),
        handshake: None,
    }))
}

fn msg(id: &str, from: &str, seq: Option<u64>) -> ChatMessage {
    ChatMessage {
        uid: None,
        id: id.into(),
        room: "lobby".into(),
        from: from.into(),
        text: format!("text of {id}"),
        ts: Timestamp::saturating_from_millis(T0),
        seq,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

/// The reply to a join in an empty room.
fn empty_history() -> String {
    encode(&Frame::History(History {
        name: None,
        room: "lobby".into(),
        msgs: vec![],
        more: false,
        latest: None,
        req: None,
        read: None,
    }))
}

fn text(m: &ChatMessage) -> Input {
    Input::Text(encode(&Frame::Msg(m.clone())))
}

fn sent_frames(cmds: &[Command]) -> Vec<Frame> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Send(t) => Some(decode(t).unwrap()),
            _ => None,
        })
        .collect()
}

fn session() -> Session {
    Session::new(
        SessionConfig {
            name: "alice".into(),
            ..SessionConfig::default()
        },
        42,
    )
}

/// A session connected to a full server with epoch `e1`.
fn connected() -> Session {
    let mut s = session();
    assert!(matches!(
        s.handle(T0, Input::Start)[0],
        Command::Connect { .. }
    ));
    s.handle(
        T0,
        Input::Opened {
            protocol: "chat".into(),
        },
    );
    s.handle(T0, Input::Text(hello("e1")));
    s
}

fn ids(s: &Session) -> Vec<String> {
    s.room("lobby")
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.msg.id.clone())
        .collect()
}

fn delivery(s: &Session, id: &str) -> Option<Delivery> {
    s.room("lobby").unwrap().get(id).unwrap().delivery
}

#[test]
fn opening_joins_the_rooms_and_hello_makes_a_full_server() {
    let mut s = session();
    assert_eq!(s.status(), Status::Connecting);
    s.handle(T0, Input::Start);
    let cmds = s.handle(
        T0,
        Input::Opened {
            protocol: "chat".into(),
        },
    );
    assert_eq!(
        sent_frames(&cmds),
        vec![Frame::Join(Join {
            room: "lobby".into(),
            name: "alice".into(),
            after: None,
            epoch: None,
            deltas: true,
            req: Some(0),
        })]
    );
    assert_eq!(s.status(), Status::Connected);
    assert_eq!(s.protocol(), "chat");
    s.handle(T0, Input::Text(hello("e1")));
    assert!(matches!(s.mode(), ServerMode::Full(_)));
    assert_eq!(s.max_text_bytes(), 100);
}

#[test]
fn the_handshake_hello_reports_lasts_until_the_next_connection() {
    let mut s = session();
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Opened {
            protocol: "chat".into(),
        },
    );
    assert_eq!(s.handshake(), None);
    let handshake = Handshake {
        key: "dGhlIHNhbXBsZSBub25jZQ==".into(),
        accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
    };
    let Frame::Hello(mut reported) = decode(&hello("e1")).unwrap() else {
        panic!("hello")
    };
    reported.handshake = Some(handshake.clone());
    s.handle(T0, Input::Text(encode(&Frame::Hello(reported))));
    assert_eq!(s.handshake(), Some(&handshake));
    // The next connection makes a handshake of its own.
    s.handle(
        T0 + 1,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    s.handle(T0 + 2, Input::RetryNow);
    assert_eq!(s.handshake(), None);
}

#[test]
fn own_message_is_pending_until_echoed_then_delivered() {
    let mut s = connected();
    let cmds = s.handle(
        T0 + 1,
        Input::Compose {
            id: "m1".into(),
            text: "hi".into(),
        },
    );
    let frames = sent_frames(&cmds);
    let Frame::Msg(sent) = &frames[0] else {
        panic!("a msg frame, got {frames:?}")
    };
    assert_eq!((sent.from.as_str(), sent.text.as_str()), ("alice", "hi"));
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));
    let echo = ChatMessage {
        seq: Some(1),
        ..sent.clone()
    };
    s.handle(T0 + 2, text(&echo));
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Delivered));
    s.handle(T0 + 3, text(&echo));
    assert_eq!(ids(&s), ["m1"], "a repeated echo is not shown twice");
}

#[test]
fn blank_and_oversized_texts_are_not_sent() {
    let mut s = connected();
    for t in ["", "   ", "\n\t", &"x".repeat(101)] {
        let cmds = s.handle(
            T0,
            Input::Compose {
                id: "b".into(),
                text: t.into(),
            },
        );
        assert!(sent_frames(&cmds).is_empty(), "{t:?} must not be sent");
    }
    assert!(ids(&s).is_empty());
}

#[test]
fn messages_typed_while_disconnected_go_out_on_open_and_again_after_a_drop() {
    let mut s = session();
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Compose {
            id: "m1".into(),
            text: "early".into(),
        },
    );
    let cmds = s.handle(
        T0 + 5,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert!(matches!(sent_frames(&cmds)[1], Frame::Msg(ref m) if m.id == "m1"));
    // The link drops before the server confirms: the message must go out again.
    s.handle(
        T0 + 6,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    let Status::Reconnecting { at } = s.status() else {
        panic!("reconnecting, got {:?}", s.status())
    };
    assert!(at <= T0 + 6 + 500);
    assert!(matches!(
        s.handle(at, Input::Tick)[0],
        Command::Connect { .. }
    ));
    let cmds = s.handle(
        at + 1,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert!(matches!(sent_frames(&cmds)[1], Frame::Msg(ref m) if m.id == "m1"));
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));
}

#[test]
fn retried_duplicate_is_confirmed_by_ack() {
    let mut s = connected();
    s.handle(
        T0,
        Input::Compose {
            id: "m1".into(),
            text: "x".into(),
        },
    );
    s.handle(
        T0,
        Input::Text(encode(&Frame::Ack(Ack {
            id: "m1".into(),
            room: "lobby".into(),
            seq: Some(9),
        }))),
    );
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Delivered));
    assert_eq!(s.room("lobby").unwrap().get("m1").unwrap().msg.seq, Some(9));
}

#[test]
fn unconfirmed_messages_fail_after_the_deadline_and_can_be_retried_or_deleted() {
    let mut s = connected();
    for id in ["m1", "m2"] {
        s.handle(
            T0,
            Input::Compose {
                id: id.into(),
                text: "x".into(),
            },
        );
    }
    // The link stays alive (the server answers pings) but never confirms.
    s.handle(T0 + 59_000, Input::Text(r#"{"type":"pong"}"#.into()));
    s.handle(T0 + 60_000, Input::Tick);
    assert_eq!(s.status(), Status::Connected);
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Failed));
    let cmds = s.handle(T0 + 60_001, Input::RetryMessage("m1".into()));
    assert!(matches!(sent_frames(&cmds)[0], Frame::Msg(ref m) if m.id == "m1"));
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));
    s.handle(T0 + 60_002, Input::DeleteMessage("m2".into()));
    assert_eq!(ids(&s), ["m1"]);
}

#[test]
fn resume_after_reconnect_asks_for_what_was_missed() {
    let mut s = connected();
    s.handle(
        T0,
        Input::Text(encode(&Frame::History(History {
            name: None,
            room: "lobby".into(),
            msgs: vec![msg("a", "bob", Some(4)), msg("b", "bob", Some(5))],
            more: true,
            latest: None,
            req: None,
            read: None,
        }))),
    );
    s.handle(
        T0,
        Input::Closed {
            code: 1001,
            reason: "restart".into(),
        },
    );
    s.handle(T0, Input::RetryNow);
    let cmds = s.handle(
        T0 + 1,
        Input::Opened {
            protocol: "chat".into(),
        },
    );
    assert_eq!(
        sent_frames(&cmds)[0],
        Frame::Join(Join {
            room: "lobby".into(),
            name: "alice".into(),
            after: Some(5),
            epoch: Some("e1".into()),
            deltas: true,
            req: Some(1),
        })
    );
}

#[test]
fn a_seq_gap_triggers_a_fetch() {
    let mut s = connected();
    s.handle(T0, Input::Text(empty_history()));
    s.handle(T0, text(&msg("a", "bob", Some(1))));
    let cmds = s.handle(T0, text(&msg("c", "bob", Some(3))));
    assert_eq!(
        sent_frames(&cmds),
        vec![Frame::Fetch(Fetch {
            room: "lobby".into(),
            before: None,
            after: Some(1),
            limit: Some(200),
            req: Some(1),
        })]
    );
}

#[test]
fn a_gap_is_fetched_once_and_skipped_when_the_server_cannot_fill_it() {
    let mut s = connected();
    s.handle(T0, Input::Text(empty_history()));
    s.handle(T0, text(&msg("a", "bob", Some(1))));
    let first = s.handle(T0, text(&msg("c", "bob", Some(5))));
    assert_eq!(sent_frames(&first).len(), 1);
    let again = s.handle(T0, text(&msg("d", "bob", Some(6))));
    assert!(
        sent_frames(&again).is_empty(),
        "one fetch per gap: {again:?}"
    );
    // The server trimmed seqs 2-4: its answer brings nothing older.
    let answer = s.handle(
        T0,
        Input::Text(encode(&Frame::History(History {
            name: None,
            room: "lobby".into(),
            msgs: vec![],
            more: false,
            latest: None,
            req: None,
            read: None,
        }))),
    );
    assert!(sent_frames(&answer).is_empty(), "no fetch loop: {answer:?}");
    assert_eq!(s.room("lobby").unwrap().resume_after(), Some(6));
}

#[test]
fn a_new_epoch_keeps_old_messages_first_and_shows_none_twice() {
    let mut s = connected();
    s.handle(T0, text(&msg("a", "bob", Some(7))));
    s.handle(
        T0,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    s.handle(T0, Input::RetryNow);
    s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s.handle(T0, Input::Text(hello("e2")));
    // The restarted server replays "a" under a new number, then a new message.
    s.handle(T0, text(&msg("a", "bob", Some(1))));
    s.handle(T0, text(&msg("b", "bob", Some(2))));
    assert_eq!(ids(&s), ["a", "b"]);
}

#[test]
fn close_codes_that_forbid_retry_stop_reconnecting() {
    let mut s = connected();
    let cmds = s.handle(
        T0,
        Input::Closed {
            code: close_code::POLICY,
            reason: "origin".into(),
        },
    );
    assert!(!cmds.iter().any(|c| matches!(c, Command::Connect { .. })));
    assert_eq!(
        s.status(),
        Status::Closed {
            reason: ClosedReason::ServerSaid("origin".into())
        }
    );
    assert!(!s
        .handle(T0 + 100_000, Input::Tick)
        .iter()
        .any(|c| matches!(c, Command::Connect { .. })));
}

#[test]
fn a_deliberate_stop_never_reconnects() {
    let mut s = connected();
    let cmds = s.handle(T0, Input::Stop);
    assert!(matches!(cmds[0], Command::Close { code: 1000, .. }));
    s.handle(
        T0,
        Input::Closed {
            code: 1000,
            reason: String::new(),
        },
    );
    assert!(!s
        .handle(T0 + 100_000, Input::Tick)
        .iter()
        .any(|c| matches!(c, Command::Connect { .. })));
    assert_eq!(
        s.status(),
        Status::Closed {
            reason: ClosedReason::Deliberate
        }
    );
}

#[test]
fn a_refusal_without_words_is_reported_by_its_code() {
    let mut s = connected();
    s.handle(
        T0,
        Input::Closed {
            code: close_code::POLICY,
            reason: String::new(),
        },
    );
    assert_eq!(
        s.status(),
        Status::Closed {
            reason: ClosedReason::ServerRefused {
                code: close_code::POLICY
            }
        }
    );
}

#[test]
fn offline_waits_and_online_connects_at_once() {
    let mut s = connected();
    s.handle(T0, Input::Offline);
    s.handle(
        T0,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    assert_eq!(s.status(), Status::Offline);
    assert!(!s
        .handle(T0 + 100_000, Input::Tick)
        .iter()
        .any(|c| matches!(c, Command::Connect { .. })));
    assert!(matches!(
        s.handle(T0 + 100_001, Input::Online)[0],
        Command::Connect { .. }
    ));
}

#[test]
fn a_silent_link_to_a_pinging_server_is_probed_then_replaced() {
    let mut s = connected();
    let cmds = s.handle(T0 + 10_000, Input::Tick);
    assert!(matches!(sent_frames(&cmds)[0], Frame::Ping(_)));
    let cmds = s.handle(T0 + 25_000, Input::Tick);
    assert!(matches!(cmds[0], Command::Close { .. }));
    assert!(matches!(s.status(), Status::Reconnecting { .. }));
}

#[test]
fn without_hello_the_server_is_a_relay_and_silence_is_not_death() {
    let mut s = session();
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s.handle(
        T0 + 1,
        Input::Compose {
            id: "m1".into(),
            text: "x".into(),
        },
    );
    s.handle(T0 + 2_500, Input::Tick);
    assert_eq!(s.mode(), &ServerMode::Relay);
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Sent));
    let cmds = s.handle(T0 + 600_000, Input::Tick);
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Command::Close { .. } | Command::Connect { .. })),
        "no closes, no reconnects: {cmds:?}"
    );
    assert!(
        sent_frames(&cmds)
            .iter()
            .all(|f| matches!(f, Frame::Here(_))),
        "only presence announcements, no pings: {cmds:?}"
    );
    assert_eq!(s.status(), Status::Connected);
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Sent));
    // A relay that does echo upgrades the message to delivered.
    let mut echo = msg("m1", "alice", None);
    echo.text = "x".into();
    s.handle(T0 + 600_001, text(&echo));
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Delivered));
}

#[test]
fn malformed_frames_are_counted_and_chat_goes_on() {
    let mut s = connected();
    for bad in ["nope", "[]", "{}", r#"{"type":"msg","id":1}"#] {
        s.handle(T0, Input::Text(bad.into()));
    }
    s.handle(T0, Input::Binary);
    s.handle(T0, Input::Text(r#"{"type":"sparkle"}"#.into()));
    assert_eq!(s.stats().dropped, 5);
    assert_eq!(s.stats().ignored, 1);
    s.handle(T0, text(&msg("a", "bob", Some(1))));
    assert_eq!(ids(&s), ["a"]);
}

#[test]
fn messages_for_rooms_not_joined_are_ignored() {
    let mut s = connected();
    let mut other = msg("x", "bob", Some(1));
    other.room = "elsewhere".into();
    s.handle(T0, text(&other));
    assert!(s.room("elsewhere").is_none());
    assert!(ids(&s).is_empty());
}

#[test]
fn backoff_grows_and_resets_after_a_hello() {
    let mut s = connected();
    let mut ceilings = Vec::new();
    let mut now = T0;
    for _ in 0..8 {
        s.handle(
            now,
            Input::Closed {
                code: 1006,
                reason: String::new(),
            },
        );
        let Status::Reconnecting { at } = s.status() else {
            panic!("reconnecting")
        };
        ceilings.push(at - now);
        now = at;
        s.handle(now, Input::Tick);
    }
    let bounds = [500, 1000, 2000, 4000, 8000, 16_000, 25_000, 25_000];
    for (delay, bound) in ceilings.iter().zip(bounds) {
        assert!(*delay <= bound, "{delay} > {bound}");
    }
    s.handle(
        now,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s.handle(now, Input::Text(hello("e1")));
    s.handle(
        now,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    let Status::Reconnecting { at } = s.status() else {
        panic!("reconnecting")
    };
    assert!(at - now <= 500);
}

#[test]
fn wake_requests_follow_the_nearest_deadline() {
    let mut s = session();
    let cmds = s.handle(T0, Input::Start);
    assert!(cmds.contains(&Command::WakeAt(T0 + 10_000)), "{cmds:?}");
    let cmds = s.handle(
        T0 + 10,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert!(cmds.contains(&Command::WakeAt(T0 + 10 + 2_500)), "{cmds:?}");
}

#[test]
fn unconfirmed_messages_survive_a_reload() {
    let mut s = session();
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Compose {
            id: "m1".into(),
            text: "typed offline".into(),
        },
    );
    let saved = s.unconfirmed();
    assert_eq!(saved.len(), 1);
    let mut reloaded = session();
    reloaded.adopt_unconfirmed(T0 + 1, saved);
    reloaded.handle(T0 + 1, Input::Start);
    let cmds = reloaded.handle(
        T0 + 2,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert!(matches!(sent_frames(&cmds)[1], Frame::Msg(ref m) if m.id == "m1"));
}

fn relay_session() -> Session {
    let mut s = session();
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s
}

#[test]
fn on_a_relay_presence_is_announced_periodically_and_peers_expire() {
    let mut s = relay_session();
    let cmds = s.handle(T0 + 2_500, Input::Tick);
    let mut sent = sent_frames(&cmds);
    // Taking the server for a relay also asks the room for missed messages.
    sent.retain(|f| !matches!(f, Frame::Catchup(_)));
    assert_eq!(
        sent,
        vec![Frame::Here(Here {
            room: "lobby".into(),
            from: "alice".into(),
            ttl: 40_000,
        })]
    );
    assert!(sent_frames(&s.handle(T0 + 10_000, Input::Tick)).is_empty());
    assert_eq!(sent_frames(&s.handle(T0 + 17_500, Input::Tick)).len(), 1);

    let here = |from: &str, ttl: u64| {
        Input::Text(encode(&Frame::Here(Here {
            room: "lobby".into(),
            from: from.into(),
            ttl,
        })))
    };
    s.handle(T0 + 18_000, here("bob", 30_000));
    s.handle(T0 + 18_000, here("alice", 30_000));
    // An absurd ttl is capped: nobody stays online forever.
    s.handle(T0 + 18_000, here("carol", u64::MAX));
    assert_eq!(s.online("lobby"), ["alice", "bob", "carol"]);
    s.handle(T0 + 48_000, Input::Tick);
    assert_eq!(s.online("lobby"), ["alice", "carol"]);
    s.handle(T0 + 58_000, Input::Tick);
    assert_eq!(s.online("lobby"), ["alice"]);
}

#[test]
fn the_servers_presence_list_is_shown_as_is() {
    let mut s = connected();
    s.handle(
        T0,
        Input::Text(r#"{"type":"presence","room":"lobby","users":["bob","alice"]}"#.into()),
    );
    assert_eq!(s.online("lobby"), ["alice", "bob"]);
}

#[test]
fn typing_is_throttled_shown_and_expires() {
    let mut s = relay_session();
    s.handle(T0 + 2_500, Input::Tick);
    let first = s.handle(T0 + 3_000, Input::Typing);
    assert!(matches!(sent_frames(&first)[..], [Frame::Typing(_)]));
    assert!(sent_frames(&s.handle(T0 + 4_000, Input::Typing)).is_empty());
    assert_eq!(sent_frames(&s.handle(T0 + 6_000, Input::Typing)).len(), 1);

    let typing = |from: &str| {
        Input::Text(format!(
            r#"{{"type":"typing","room":"lobby","from":"{from}"}}"#
        ))
    };
    s.handle(T0 + 7_000, typing("bob"));
    s.handle(T0 + 7_000, typing("alice"));
    s.handle(T0 + 7_000, typing("dan"));
    assert_eq!(s.typing("lobby"), ["bob", "dan"]);
    // bob's message ends his indicator; dan's times out.
    s.handle(T0 + 8_000, text(&msg("b1", "bob", None)));
    assert_eq!(s.typing("lobby"), ["dan"]);
    s.handle(T0 + 13_000, Input::Tick);
    assert!(s.typing("lobby").is_empty());
}

#[test]
fn typing_is_not_sent_to_a_server_without_the_feature() {
    let mut s = session();
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s.handle(
        T0,
        Input::Text(r#"{"type":"hello","epoch":"e","features":["history"]}"#.into()),
    );
    assert!(sent_frames(&s.handle(T0, Input::Typing)).is_empty());
}

#[test]
fn a_server_slow_to_say_hello_gets_the_relayed_messages_again() {
    let mut s = relay_session();
    s.handle(
        T0 + 1,
        Input::Compose {
            id: "m1".into(),
            text: "x".into(),
        },
    );
    s.handle(T0 + 2_500, Input::Tick);
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Sent));
    let cmds = s.handle(T0 + 3_000, Input::Text(hello("e1")));
    assert!(
        sent_frames(&cmds)
            .iter()
            .any(|f| matches!(f, Frame::Msg(m) if m.id == "m1")),
        "resent once the server turns out to confirm: {cmds:?}"
    );
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));
}

fn in_room(id: &str, room: &str, seq: u64) -> Input {
    text(&ChatMessage {
        room: room.into(),
        ..msg(id, "bob", Some(seq))
    })
}

#[test]
fn several_rooms_share_one_connection_with_unread_counts() {
    let mut s = connected();
    let cmds = s.handle(T0, Input::JoinRoom("dev".into()));
    assert!(matches!(&sent_frames(&cmds)[..], [Frame::Join(j)] if j.room == "dev"));
    assert_eq!(s.joined_rooms().collect::<Vec<_>>(), ["dev", "lobby"]);
    // History that comes with the join is the room's past, not unread news.
    s.handle(
        T0,
        Input::Text(encode(&Frame::History(History {
            name: None,
            room: "dev".into(),
            msgs: vec![ChatMessage {
                room: "dev".into(),
                ..msg("old", "bob", Some(1))
            }],
            more: false,
            latest: None,
            req: None,
            read: None,
        }))),
    );
    assert_eq!(s.unread("dev"), 0);
    s.handle(T0, in_room("d2", "dev", 2));
    s.handle(T0, in_room("d3", "dev", 3));
    s.handle(T0, in_room("l1", "lobby", 1));
    assert_eq!((s.unread("dev"), s.unread("lobby")), (2, 0));
    s.handle(T0, Input::SwitchRoom("dev".into()));
    assert_eq!(s.current_room(), "dev");
    assert_eq!(s.unread("dev"), 0);
    let cmds = s.handle(
        T0,
        Input::Compose {
            id: "mine".into(),
            text: "in dev".into(),
        },
    );
    assert!(matches!(&sent_frames(&cmds)[..], [Frame::Msg(m)] if m.room == "dev"));
}

#[test]
fn mentions_of_this_user_in_another_room_are_counted_until_it_is_opened() {
    let mut s = connected();
    s.handle(T0, Input::JoinRoom("dev".into()));
    let said = |id: &str, from: &str, seq: u64, text: &str| {
        Input::Text(encode(&Frame::Msg(ChatMessage {
            room: "dev".into(),
            text: text.into(),
            ..msg(id, from, Some(seq))
        })))
    };
    s.handle(T0, said("d1", "bob", 1, "@Alice look at this"));
    s.handle(
        T0,
        said("d2", "bob", 2, "no mention, @alicia is someone else"),
    );
    s.handle(T0, said("d3", "bob", 3, "mail alice@example.com"));
    // Another tab of this user mentioning itself is no news.
    s.handle(T0, said("d4", "alice", 4, "@alice note to self"));
    assert_eq!((s.unread("dev"), s.unread_mentions("dev")), (4, 1));
    let log = s.room("dev").unwrap();
    let marked: Vec<&str> = log
        .entries()
        .iter()
        .filter(|e| s.mentions_me("dev", e))
        .map(|e| e.msg.id.as_str())
        .collect();
    assert_eq!(marked, ["d1"]);
    s.handle(T0, Input::SwitchRoom("dev".into()));
    assert_eq!((s.unread("dev"), s.unread_mentions("dev")), (0, 0));
    // In the room shown a mention is marked, not counted.
    s.handle(T0, said("d5", "bob", 5, "@alice again"));
    assert_eq!(s.unread_mentions("dev"), 0);
    assert!(s.mentions_me("dev", s.room("dev").unwrap().get("d5").unwrap()));
}

#[test]
fn an_edit_or_a_deletion_of_an_unread_message_recounts_its_mention() {
    let mut s = connected();
    s.handle(T0, Input::JoinRoom("dev".into()));
    let said = |id: &str, seq: u64, text: &str| {
        Input::Text(encode(&Frame::Msg(ChatMessage {
            room: "dev".into(),
            text: text.into(),
            ..msg(id, "bob", Some(seq))
        })))
    };
    let edited = |id: &str, text: &str| {
        Input::Text(format!(
            r#"{{"type":"edit","room":"dev","id":"{id}","text":"{text}","from":"bob"}}"#
        ))
    };
    s.handle(T0, said("d1", 1, "hello"));
    s.handle(T0, said("d2", 2, "@alice look"));
    assert_eq!(s.unread_mentions("dev"), 1);
    s.handle(T0, edited("d1", "hello @alice"));
    assert_eq!(s.unread_mentions("dev"), 2, "an edit that adds a mention");
    s.handle(T0, edited("d1", "hello @alice, fixed the typo"));
    assert_eq!(s.unread_mentions("dev"), 2, "still the one mention");
    s.handle(T0, edited("d2", "look"));
    assert_eq!(s.unread_mentions("dev"), 1, "an edit that takes it out");
    s.handle(
        T0,
        Input::Text(r#"{"type":"delete","room":"dev","id":"d1","from":"bob"}"#.into()),
    );
    assert_eq!(s.unread_mentions("dev"), 0, "a deleted mention");
}

#[test]
fn leaving_a_room_tells_the_server_and_the_last_room_stays() {
    let mut s = connected();
    s.handle(T0, Input::JoinRoom("dev".into()));
    s.handle(T0, Input::SwitchRoom("dev".into()));
    let cmds = s.handle(T0, Input::LeaveRoom("dev".into()));
    assert!(matches!(&sent_frames(&cmds)[..], [Frame::Leave(l)] if l.room == "dev"));
    assert_eq!(s.current_room(), "lobby");
    s.handle(T0, in_room("late", "dev", 4));
    assert!(
        s.room("dev").is_none(),
        "messages of a left room are ignored"
    );
    assert!(sent_frames(&s.handle(T0, Input::LeaveRoom("lobby".into()))).is_empty());
    assert_eq!(s.joined_rooms().collect::<Vec<_>>(), ["lobby"]);
}

#[test]
fn older_history_is_loaded_once_at_a_time_and_only_while_more_exists() {
    let mut s = connected();
    s.handle(
        T0,
        Input::Text(encode(&Frame::History(History {
            name: None,
            room: "lobby".into(),
            msgs: vec![msg("m50", "bob", Some(50)), msg("m51", "bob", Some(51))],
            more: true,
            latest: Some(51),
            req: None,
            read: None,
        }))),
    );
    let cmds = s.handle(T0, Input::LoadOlder);
    assert_eq!(
        sent_frames(&cmds),
        vec![Frame::Fetch(Fetch {
            room: "lobby".into(),
            before: Some(50),
            after: None,
            limit: Some(200),
            req: Some(1),
        })]
    );
    assert!(s.loading_older("lobby"));
    assert!(
        sent_frames(&s.handle(T0, Input::LoadOlder)).is_empty(),
        "one at a time"
    );
    s.handle(
        T0,
        Input::Text(encode(&Frame::History(History {
            name: None,
            room: "lobby".into(),
            msgs: vec![msg("m48", "bob", Some(48)), msg("m49", "bob", Some(49))],
            more: false,
            latest: Some(51),
            req: None,
            read: None,
        }))),
    );
    assert_eq!(ids(&s), ["m48", "m49", "m50", "m51"]);
    assert!(!s.loading_older("lobby"));
    assert!(
        sent_frames(&s.handle(T0, Input::LoadOlder)).is_empty(),
        "nothing older left"
    );
    assert_eq!(s.room("lobby").unwrap().gap_after(), None);
}

#[test]
fn own_messages_from_history_read_as_delivered() {
    let mut s = connected();
    s.handle(
        T0,
        Input::Text(encode(&Frame::History(History {
            name: None,
            room: "lobby".into(),
            msgs: vec![
                msg("before-reload", "alice", Some(1)),
                msg("b", "bob", Some(2)),
            ],
            more: false,
            latest: Some(2),
            req: None,
            read: None,
        }))),
    );
    assert_eq!(delivery(&s, "before-reload"), Some(Delivery::Delivered));
    assert_eq!(delivery(&s, "b"), None);
}

fn closes(cmds: &[Command]) -> bool {
    cmds.iter().any(|c| matches!(c, Command::Close { .. }))
}

fn pings(cmds: &[Command]) -> bool {
    sent_frames(cmds)
        .iter()
        .any(|f| matches!(f, Frame::Ping(_)))
}

/// Regression: a background tab's timers are throttled, so a tick may come a minute after the
/// last one. The link was not probed in that minute, so its silence says nothing: the late
/// tick probes it instead of declaring it dead.
#[test]
fn a_late_tick_in_a_throttled_tab_probes_a_silent_link_instead_of_dropping_it() {
    let mut s = connected();
    let late = s.handle(T0 + 60_000, Input::Tick);
    assert!(!closes(&late), "{late:?}");
    assert!(pings(&late));
    assert_eq!(s.status(), Status::Connected);
    // The answer comes; the next tick, late again, finds a healthy link.
    s.handle(
        T0 + 60_100,
        Input::Text(encode(&Frame::Pong(Ping { ts: None }))),
    );
    let later = s.handle(T0 + 120_000, Input::Tick);
    assert!(!closes(&later), "{later:?}");
    assert_eq!(s.status(), Status::Connected);
}

/// A frame that came a second before a late tick keeps the link alive too.
#[test]
fn a_frame_just_before_a_late_tick_keeps_the_link() {
    let mut s = connected();
    s.handle(T0 + 10_000, Input::Tick);
    s.handle(T0 + 59_000, text(&msg("m1", "bob", Some(1))));
    let late = s.handle(T0 + 60_000, Input::Tick);
    assert!(!closes(&late), "{late:?}");
    assert_eq!(s.status(), Status::Connected);
}

/// A probe that goes unanswered still ends the link, whether the tick comes on time or late.
#[test]
fn an_unanswered_probe_ends_the_link() {
    let config = SessionConfig::default();
    let grace = config.dead_after_ms - config.ping_after_ms;
    for tick_after in [grace, 60_000] {
        let mut s = connected();
        assert!(pings(&s.handle(T0 + 60_000, Input::Tick)));
        let dead = s.handle(T0 + 60_000 + tick_after, Input::Tick);
        assert!(closes(&dead), "{dead:?}");
        assert!(matches!(s.status(), Status::Reconnecting { .. }));
    }
}

/// Whether `cmds` open a socket, and offering the subprotocols or not.
fn connect_offers(cmds: &[Command]) -> Option<bool> {
    cmds.iter().find_map(|c| match c {
        Command::Connect {
            offer_protocols, ..
        } => Some(*offer_protocols),
        _ => None,
    })
}

fn failed_to_open() -> Input {
    Input::Closed {
        code: 1006,
        reason: String::new(),
    }
}

#[test]
fn an_attempt_that_never_opened_is_retried_with_the_other_subprotocol_choice() {
    let mut s = session();
    assert_eq!(connect_offers(&s.handle(T0, Input::Start)), Some(true));
    s.handle(T0 + 10, failed_to_open());
    assert_eq!(
        connect_offers(&s.handle(T0 + 10, Input::RetryNow)),
        Some(false)
    );
    s.handle(T0 + 20, failed_to_open());
    assert_eq!(
        connect_offers(&s.handle(T0 + 20, Input::RetryNow)),
        Some(true)
    );
}

#[test]
fn a_socket_that_opened_keeps_its_subprotocol_choice() {
    let mut s = session();
    s.handle(T0, Input::Start);
    s.handle(T0 + 10, failed_to_open());
    s.handle(T0 + 10, Input::RetryNow);
    s.handle(
        T0 + 20,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s.handle(T0 + 30, failed_to_open());
    assert_eq!(
        connect_offers(&s.handle(T0 + 30, Input::RetryNow)),
        Some(false)
    );
}

fn history(msgs: Vec<ChatMessage>, more: bool, latest: Option<u64>, req: Option<u64>) -> Input {
    Input::Text(encode(&Frame::History(History {
        name: None,
        room: "lobby".into(),
        msgs,
        more,
        latest,
        req,
        read: None,
    })))
}

/// The `req` of the last `join` or `fetch` in `cmds`.
fn last_req(cmds: &[Command]) -> Option<u64> {
    sent_frames(cmds).iter().rev().find_map(|f| match f {
        Frame::Join(j) => j.req,
        Frame::Fetch(f) => f.req,
        _ => None,
    })
}

/// Regression: an older page asked for on a socket that dropped never comes, and the room
/// stayed "loading older messages" for good, refusing to ask again.
#[test]
fn an_older_page_lost_with_its_socket_is_asked_for_again() {
    let mut s = connected();
    let page = vec![msg("m50", "bob", Some(50)), msg("m51", "bob", Some(51))];
    s.handle(T0, history(page, true, Some(51), None));
    assert!(!sent_frames(&s.handle(T0, Input::LoadOlder)).is_empty());
    s.handle(T0 + 1, failed_to_open());
    s.handle(T0 + 1, Input::RetryNow);
    s.handle(
        T0 + 2,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s.handle(T0 + 2, Input::Text(hello("e1")));
    s.handle(T0 + 3, history(vec![], false, Some(51), None));
    assert!(!s.loading_older("lobby"));
    let again = sent_frames(&s.handle(T0 + 4, Input::LoadOlder));
    assert!(
        matches!(&again[..], [Frame::Fetch(f)] if f.before == Some(50)),
        "{again:?}"
    );
}

/// With request ids echoed, a join's answer is not taken for the answer to a gap fetch
/// sent after it: the gap stays asked for until its own answer comes.
#[test]
fn an_echoed_request_id_tells_a_join_reply_from_a_gap_answer() {
    let mut s = connected();
    let join = last_req(&s.handle(T0, Input::RetryNow));
    assert_eq!(join, None, "no join before the socket opens");
    let join = last_req(&s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    ));
    s.handle(T0, Input::Text(hello("e1")));
    // A live message arrives before the join's answer, which starts the room at seq 1.
    s.handle(
        T0 + 1,
        history(vec![msg("a", "bob", Some(1))], false, None, join),
    );
    let gap = last_req(&s.handle(T0 + 2, text(&msg("c", "bob", Some(3)))));
    assert!(gap.is_some_and(|g| Some(g) != join));
    // An answer to the join sent again on this socket (a duplicate) leaves the gap asked.
    s.handle(T0 + 3, history(vec![], false, None, join));
    assert_eq!(s.room("lobby").unwrap().gap_after(), Some(1));
    // The gap's own answer fills it.
    s.handle(
        T0 + 4,
        history(vec![msg("b", "bob", Some(2))], false, None, gap),
    );
    assert_eq!(ids(&s), ["a", "b", "c"]);
    assert_eq!(s.room("lobby").unwrap().gap_after(), None);
}
