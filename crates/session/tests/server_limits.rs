//! What a session does with a server's presence changes (`presence_deltas`) and with
//! `rate_limited` refusals, driven by frames as the reference server sends them.

use wirechat_protocol::{encode, error_code, feature, ErrorFrame, Frame, Presence, PresenceChange};
use wirechat_session::{Command, Delivery, Input, Session, SessionConfig};

use crate::support;

use support::{hello, sent};

const T0: u64 = 1_764_000_000_000;

/// A session named alice, connected to a server with `features`; returns it and what it sent.
fn connected(features: &[&str]) -> (Session, Vec<Frame>) {
    let mut s = Session::new(
        SessionConfig {
            name: "alice".into(),
            ..SessionConfig::default()
        },
        5,
    );
    s.handle(T0, Input::Start);
    let mut out = s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    out.extend(s.handle(T0, hello(features)));
    (s, sent(&out))
}

fn joined_with_deltas(frames: &[Frame]) -> Vec<bool> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Join(j) => Some(j.deltas),
            _ => None,
        })
        .collect()
}

fn presence(users: &[&str], count: Option<u64>) -> Input {
    Input::Text(encode(&Frame::Presence(Presence {
        room: "lobby".into(),
        users: users.iter().map(|u| (*u).to_owned()).collect(),
        count,
    })))
}

fn change(joined: bool, room: &str, user: &str) -> Input {
    let body = PresenceChange {
        room: room.into(),
        user: user.into(),
    };
    Input::Text(encode(&if joined {
        Frame::Joined(body)
    } else {
        Frame::Left(body)
    }))
}

#[test]
fn joins_ask_for_changes_unless_the_server_said_it_has_none() {
    let (mut s, frames) = connected(&[feature::PRESENCE, feature::PRESENCE_DELTAS]);
    assert_eq!(joined_with_deltas(&frames), [true]);
    let later = sent(&s.handle(T0 + 10, Input::JoinRoom("dev".into())));
    assert_eq!(joined_with_deltas(&later), [true]);

    let (mut s, _) = connected(&[feature::PRESENCE]);
    let later = sent(&s.handle(T0 + 10, Input::JoinRoom("dev".into())));
    assert_eq!(joined_with_deltas(&later), [false]);
}

#[test]
fn joined_and_left_apply_on_top_of_the_last_snapshot() {
    let (mut s, _) = connected(&[feature::PRESENCE, feature::PRESENCE_DELTAS]);
    s.handle(T0, presence(&["alice", "bob"], None));
    let before = s.revision();
    s.handle(T0 + 1, change(true, "lobby", "carol"));
    assert!(s.revision() > before, "the UI re-reads");
    s.handle(T0 + 2, change(false, "lobby", "bob"));
    assert_eq!(s.online("lobby"), ["alice", "carol"]);
    assert_eq!(s.online_count("lobby"), 2);
    // Changes for a room this client is not in change nothing.
    s.handle(T0 + 3, change(true, "elsewhere", "dan"));
    assert!(s.online("elsewhere").len() <= 1);
    assert_eq!(s.online("lobby"), ["alice", "carol"]);
    // A new snapshot (after a reconnect, say) replaces what the changes built.
    s.handle(T0 + 4, presence(&["alice", "erin"], None));
    assert_eq!(s.online("lobby"), ["alice", "erin"]);
}

#[test]
fn a_snapshot_cut_short_shows_the_room_total() {
    let (mut s, _) = connected(&[feature::PRESENCE, feature::PRESENCE_DELTAS]);
    s.handle(T0, presence(&["alice", "bob", "carol"], Some(1_200)));
    assert_eq!(s.online_count("lobby"), 1_200);
    s.handle(T0 + 1, change(true, "lobby", "dan"));
    s.handle(T0 + 2, change(false, "lobby", "someone-not-listed"));
    assert_eq!(s.online_count("lobby"), 1_200);
    s.handle(T0 + 3, change(false, "lobby", "bob"));
    assert_eq!(s.online_count("lobby"), 1_199);
    assert_eq!(s.online("lobby"), ["alice", "carol", "dan"]);
}

fn rate_limited(id: Option<&str>, retry_after: Option<u64>) -> Input {
    Input::Text(encode(&Frame::Error(ErrorFrame {
        code: error_code::RATE_LIMITED.into(),
        message: "slow down".into(),
        id: id.map(str::to_owned),
        retry_after,
        req: None,
    })))
}

fn delivery(s: &Session, id: &str) -> Option<Delivery> {
    s.room("lobby")?.get(id)?.delivery
}

fn compose(s: &mut Session, now: u64, id: &str) -> Vec<Frame> {
    sent(&s.handle(
        now,
        Input::Compose {
            id: id.into(),
            text: format!("text of {id}"),
        },
    ))
}

fn msg_ids(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Msg(m) => Some(m.id.clone()),
            _ => None,
        })
        .collect()
}

fn server_features() -> Vec<&'static str> {
    vec![
        feature::HISTORY,
        feature::ACK,
        feature::TYPING,
        feature::PING,
    ]
}

#[test]
fn a_refused_message_stays_pending_and_goes_out_again_after_retry_after() {
    let (mut s, _) = connected(&server_features());
    assert_eq!(msg_ids(&compose(&mut s, T0 + 100, "m1")), ["m1"]);
    let refused = s.handle(T0 + 110, rate_limited(Some("m1"), Some(2_000)));
    assert!(
        refused.contains(&Command::WakeAt(T0 + 2_110)),
        "{refused:?}"
    );
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));
    assert_eq!(s.rate_limited_until(), Some(T0 + 2_110));
    assert!(s.stats().last_server_error.is_some());

    // Held back meanwhile: a new message and typing wait.
    assert!(msg_ids(&compose(&mut s, T0 + 500, "m2")).is_empty());
    assert!(sent(&s.handle(T0 + 600, Input::Typing)).is_empty());
    assert!(msg_ids(&sent(&s.handle(T0 + 1_000, Input::Tick))).is_empty());

    // After the wait both go out, in the order written, and nothing failed.
    let out = sent(&s.handle(T0 + 2_110, Input::Tick));
    assert_eq!(msg_ids(&out), ["m1", "m2"]);
    assert_eq!(s.rate_limited_until(), None);
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));
    let typing = sent(&s.handle(T0 + 2_200, Input::Typing));
    assert!(matches!(typing[..], [Frame::Typing(_)]), "{typing:?}");
}

#[test]
fn a_message_refused_for_a_long_time_never_becomes_failed() {
    let (mut s, _) = connected(&server_features());
    compose(&mut s, T0, "m1");
    let mut now = T0;
    // Refused again and again, for longer than the usual failure deadline.
    for _ in 0..10 {
        now += 10;
        s.handle(now, rate_limited(Some("m1"), Some(20_000)));
        now += 20_000;
        let out = sent(&s.handle(now, Input::Tick));
        assert_eq!(msg_ids(&out), ["m1"], "resent at {}", now - T0);
        assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));
    }
    // Accepted at last.
    let mut echo = s.unconfirmed()[0].clone();
    echo.seq = Some(1);
    s.handle(now + 5, Input::Text(encode(&Frame::Msg(echo))));
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Delivered));
}

#[test]
fn a_server_cannot_hold_the_client_back_for_ever() {
    let (mut s, _) = connected(&server_features());
    s.handle(T0, rate_limited(None, Some(u64::MAX)));
    let until = s.rate_limited_until().expect("rate limited");
    assert!(until <= T0 + 60_000, "{}", until - T0);
    // Without a retry_after, a short default wait.
    let (mut s, _) = connected(&server_features());
    s.handle(T0, rate_limited(None, None));
    assert!(s
        .rate_limited_until()
        .is_some_and(|u| u > T0 && u <= T0 + 5_000));
}

#[test]
fn other_errors_still_fail_the_message() {
    let (mut s, _) = connected(&server_features());
    compose(&mut s, T0, "m1");
    s.handle(
        T0 + 10,
        Input::Text(encode(&Frame::Error(ErrorFrame {
            code: error_code::TOO_LARGE.into(),
            message: "too long".into(),
            id: Some("m1".into()),
            retry_after: None,
            req: None,
        }))),
    );
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Failed));
    assert_eq!(s.rate_limited_until(), None);
}
