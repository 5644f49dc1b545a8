//! Generated frames, valid in shape and extreme in value (`wirechat_protocol::generate`),
//! against decode and against the session. Properties: nothing panics, whatever decodes is
//! within the limits of PROTOCOL.md, and the session keeps one entry per message id, with
//! its memory bounded by the ids it was sent.

use proptest::prelude::*;
use std::collections::HashSet;
use wirechat_protocol::generate::{self, Rng};
use wirechat_protocol::{
    decode, decode_received, validate_name, validate_room, ChatMessage, Frame, Timestamp,
    MAX_ID_BYTES, MAX_PRESENCE_USERS, MAX_SEQ, MAX_TEXT_BYTES_LIMIT,
};
use wirechat_session::{Input, Session, SessionConfig};

const T0: u64 = 1_764_000_000_000;

fn frames(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| generate::frame(&mut rng)).collect()
}

/// The limits, checked apart from the code that enforces them.
fn assert_message_within_limits(msg: &ChatMessage) {
    assert!((1..=MAX_ID_BYTES).contains(&msg.id.len()), "{msg:?}");
    assert!(validate_room(&msg.room).is_ok(), "{msg:?}");
    assert!(validate_name(&msg.from).is_ok(), "{msg:?}");
    assert!(msg.text.len() <= MAX_TEXT_BYTES_LIMIT);
    assert!(msg.ts <= Timestamp::MAX);
    assert!(msg.seq.is_none_or(|s| s <= MAX_SEQ), "{msg:?}");
}

fn assert_within_limits(frame: &Frame) {
    let seq_ok = |s: Option<u64>| s.is_none_or(|s| s <= MAX_SEQ);
    match frame {
        Frame::Msg(msg) => assert_message_within_limits(msg),
        Frame::History(h) => {
            h.msgs.iter().for_each(assert_message_within_limits);
            assert!(seq_ok(h.latest));
        }
        Frame::Ack(a) => assert!(seq_ok(a.seq) && a.id.len() <= MAX_ID_BYTES),
        Frame::Presence(p) => {
            assert!(p.users.len() <= MAX_PRESENCE_USERS);
            assert!(p.users.iter().all(|u| validate_name(u).is_ok()), "{p:?}");
        }
        Frame::Here(h) => assert!(validate_name(&h.from).is_ok(), "{h:?}"),
        Frame::Typing(t) => assert!(validate_name(&t.from).is_ok(), "{t:?}"),
        Frame::Join(j) => assert!(seq_ok(j.after)),
        Frame::Fetch(f) => assert!(seq_ok(f.before) && seq_ok(f.after)),
        _ => {}
    }
}

/// A session that joined the lobby on a full server (`relay` false) or took the server for
/// a plain relay.
fn joined_session(relay: bool) -> Session {
    let mut s = Session::new(
        SessionConfig {
            name: "alice".into(),
            ..SessionConfig::default()
        },
        7,
    );
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    if relay {
        s.handle(T0 + 10_000, Input::Tick);
    } else {
        s.handle(
            T0,
            Input::Text(r#"{"type":"hello","epoch":"e1","features":["history","ack","presence","typing","ping"]}"#.into()),
        );
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn decode_never_panics_and_keeps_values_within_limits(seed in any::<u64>()) {
        for text in frames(seed, 200) {
            if let Ok(frame) = decode(&text) {
                assert_within_limits(&frame);
            }
            if let Ok(received) = decode_received(&text, Timestamp::saturating_from_millis(T0)) {
                assert_within_limits(&received.frame);
            }
        }
    }

    #[test]
    fn sessions_take_any_frames_once_per_id_in_bounded_memory(
        seed in any::<u64>(),
        relay in any::<bool>(),
    ) {
        let mut session = joined_session(relay);
        let mut now = T0 + 20_000;
        let mut own = 0;
        for (i, text) in frames(seed, 250).into_iter().enumerate() {
            now += 37;
            session.handle(now, Input::Text(text));
            if i % 50 == 0 {
                session.handle(now, Input::Compose { id: format!("own{i}"), text: "hi".into() });
                own += 1;
                session.handle(now, Input::Tick);
            }
        }
        let log = session.room("lobby").expect("joined");
        let ids: Vec<&str> = log.entries().iter().map(|e| e.msg.id.as_str()).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        prop_assert_eq!(unique.len(), ids.len(), "an id shown twice: {:?}", ids);
        // The generator draws ids from 40 names and one long id, plus this user's own.
        prop_assert!(ids.len() <= 41 + own, "{} entries", ids.len());
        // About a hundred messages went in: some must have been taken, or nothing was tested.
        prop_assert!(ids.len() > own, "no generated message was stored");
        for entry in log.entries() {
            assert_message_within_limits(&entry.msg);
        }
        prop_assert!(session.online("lobby").len() <= MAX_PRESENCE_USERS);
    }
}
