//! Identity: tokens as the first frame, renewal before `exp`, refused tokens never offered
//! again, failures that back off, rooms a token may not use, guests told apart by `uid`.

use proptest::prelude::*;
use wirechat_protocol::{
    close_code, decode, encode, error_code, feature, Authed, ChatMessage, ErrorFrame, Frame,
    History, Presence, Timestamp,
};
use wirechat_session::{
    ClosedReason, Command, Delivery, Input, Session, SessionConfig, SignInProblem, Status,
};

use crate::support;

use support::sent;

const T0: u64 = 1_764_000_000_000;

fn hello(auth: bool) -> Input {
    let mut features = vec![feature::HISTORY, feature::PRESENCE];
    if auth {
        features.push(feature::AUTH);
    }
    support::hello(&features)
}

fn authed(uid: &str, name: &str, exp: Option<u64>, resume: Option<&str>) -> Input {
    Input::Text(encode(&Frame::Authed(Authed {
        uid: uid.into(),
        name: name.into(),
        exp,
        resume: resume.map(Into::into),
    })))
}

fn error(code: &str, req: Option<u64>) -> Input {
    Input::Text(encode(&Frame::Error(ErrorFrame {
        code: code.into(),
        message: String::new(),
        id: None,
        retry_after: None,
        req,
    })))
}

fn closed(code: u16) -> Input {
    Input::Closed {
        code,
        reason: String::new(),
    }
}

fn opened() -> Input {
    Input::Opened {
        protocol: String::new(),
    }
}

fn tokens_sent(commands: &[Command]) -> Vec<String> {
    sent(commands)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Auth(a) => Some(a.token),
            _ => None,
        })
        .collect()
}

fn joins(commands: &[Command]) -> Vec<(String, Option<u64>)> {
    sent(commands)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Join(j) => Some((j.room, j.req)),
            _ => None,
        })
        .collect()
}

fn asks(commands: &[Command]) -> bool {
    commands.contains(&Command::NeedToken)
}

fn session(has_tokens: bool, rooms: &[&str]) -> Session {
    Session::new(
        SessionConfig {
            name: "alice".into(),
            rooms: rooms.iter().map(|r| (*r).to_owned()).collect(),
            has_tokens,
            ..SessionConfig::default()
        },
        11,
    )
}

fn msg(id: &str, from: &str, uid: &str, seq: u64) -> ChatMessage {
    ChatMessage {
        uid: Some(uid.into()),
        id: id.into(),
        room: "lobby".into(),
        from: from.into(),
        text: "hi".into(),
        ts: Timestamp::saturating_from_millis(T0),
        seq: Some(seq),
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

/// The problem and retry time of a session whose sign-in failed.
fn sign_in_failure(s: &Session) -> (SignInProblem, u64) {
    match s.status() {
        Status::SignInFailed { problem, at } => (problem, at),
        other => panic!("{other:?}"),
    }
}

/// When a session waiting to reconnect tries again.
fn reconnect_time(s: &Session) -> u64 {
    match s.status() {
        Status::Reconnecting { at } => at,
        other => panic!("{other:?}"),
    }
}

/// A session signed in with `t1` (exp one hour on) and joined to its rooms.
fn signed_in(rooms: &[&str]) -> (Session, Vec<Command>) {
    let mut s = session(true, rooms);
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    s.handle(T0, hello(true));
    s.handle(T0 + 5, Input::Token(Ok("t1".into())));
    let out = s.handle(T0 + 10, authed("u1", "Alice", Some(T0 + 3_600_000), None));
    (s, out)
}

#[test]
fn the_token_goes_first_and_rooms_are_joined_only_after_authed() {
    let mut s = session(true, &["lobby"]);
    s.handle(T0, Input::Start);
    let out = s.handle(T0, opened());
    assert!(sent(&out).is_empty(), "nothing before the hello: {out:?}");
    let out = s.handle(T0 + 1, hello(true));
    assert!(asks(&out), "the app is asked for a token");
    assert!(sent(&out).is_empty());
    let out = s.handle(T0 + 5, Input::Token(Ok("t1".into())));
    assert_eq!(tokens_sent(&out), ["t1"]);
    assert!(joins(&out).is_empty(), "no join before authed");
    assert_eq!(s.status(), Status::Connecting, "not signed in yet");
    let out = s.handle(T0 + 10, authed("u1", "Alice", Some(T0 + 3_600_000), None));
    assert_eq!(joins(&out).len(), 1);
    assert_eq!(s.signed_in_as(), Some("Alice"));
    assert_eq!(s.name(), "Alice");
    assert_eq!(s.status(), Status::Connected);
}

#[test]
fn own_messages_are_recognised_by_uid_not_by_name() {
    let (mut s, _) = signed_in(&["lobby"]);
    s.handle(
        T0 + 20,
        Input::Text(encode(&Frame::Msg(msg("a", "Alice", "u2", 1)))),
    );
    s.handle(
        T0 + 30,
        Input::Text(encode(&Frame::Msg(msg("b", "Someone", "u1", 2)))),
    );
    let log = s.room("lobby").expect("joined");
    assert_eq!(log.get("a").and_then(|e| e.delivery), None, "another Alice");
    assert_eq!(
        log.get("b").and_then(|e| e.delivery),
        Some(Delivery::Delivered),
        "this user's message from another tab"
    );
}

#[test]
fn two_guests_with_one_name_are_told_apart() {
    let mut s = session(false, &["lobby"]);
    s.handle(T0, Input::Start);
    let out = s.handle(T0, opened());
    let req = joins(&out)[0].1;
    s.handle(T0, hello(false));
    s.handle(T0, authed("guest-2", "", None, None));
    s.handle(
        T0 + 1,
        Input::Text(encode(&Frame::History(History {
            room: "lobby".into(),
            msgs: vec![msg("old", "alice", "guest-1", 1)],
            more: false,
            latest: Some(1),
            name: Some("alice (2)".into()),
            req,
            read: None,
        }))),
    );
    s.handle(
        T0 + 2,
        Input::Text(encode(&Frame::Presence(Presence {
            room: "lobby".into(),
            users: vec!["alice".into(), "alice (2)".into()],
            count: None,
        }))),
    );
    s.handle(
        T0 + 3,
        Input::Text(encode(&Frame::Msg(msg("new", "alice", "guest-1", 2)))),
    );
    let log = s.room("lobby").expect("joined");
    assert!(log.entries().iter().all(|e| e.delivery.is_none()));
    assert_eq!(s.name_in("lobby"), "alice (2)");
    assert_eq!(s.online("lobby"), ["alice", "alice (2)"]);
    assert_eq!(s.signed_in_as(), None, "a guest is not signed in");
}

#[test]
fn the_token_is_renewed_on_the_open_connection_before_it_expires() {
    let mut s = session(true, &["lobby"]);
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    s.handle(T0, hello(true));
    s.handle(T0, Input::Token(Ok("t1".into())));
    s.handle(T0, authed("u1", "Alice", Some(T0 + 10_000), None));
    // Half of a ten-second life: early enough to renew, late enough not to hammer.
    assert!(!asks(&s.handle(T0 + 4_999, Input::Tick)));
    let out = s.handle(T0 + 5_000, Input::Tick);
    assert!(asks(&out));
    let out = s.handle(T0 + 5_100, Input::Token(Ok("t2".into())));
    assert_eq!(tokens_sent(&out), ["t2"]);
    assert!(!out
        .iter()
        .any(|c| matches!(c, Command::Connect { .. } | Command::Close { .. })));
    s.handle(T0 + 5_200, authed("u1", "Alice", Some(T0 + 15_100), None));
    assert_eq!(s.status(), Status::Connected);
    // The next renewal follows the new expiry.
    assert!(!asks(&s.handle(T0 + 10_000, Input::Tick)));
    assert!(asks(&s.handle(T0 + 10_150, Input::Tick)));
}

#[test]
fn a_refused_token_is_never_sent_again_and_the_retry_waits() {
    let mut s = session(true, &["lobby"]);
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    s.handle(T0, hello(true));
    s.handle(T0, Input::Token(Ok("bad".into())));
    s.handle(T0 + 1, error(error_code::UNAUTHORIZED, None));
    s.handle(T0 + 2, closed(close_code::UNAUTHORIZED));
    let (problem, at) = sign_in_failure(&s);
    assert_eq!(problem, SignInProblem::Refused);
    assert!(at >= T0 + 2 + 250, "waits at least half the first backoff");
    let out = s.handle(at, Input::Tick);
    assert!(out.iter().any(|c| matches!(c, Command::Connect { .. })));
    s.handle(at, opened());
    let out = s.handle(at, hello(true));
    assert!(
        asks(&out),
        "a fresh token is asked for, the refused one is not reused"
    );
    let out = s.handle(at + 1, Input::Token(Ok("bad".into())));
    assert!(tokens_sent(&out).is_empty(), "the refused token stays home");
    let (problem, next) = sign_in_failure(&s);
    assert_eq!(problem, SignInProblem::SameToken);
    assert!(next >= at + 1 + 500, "the second wait is longer");
}

#[test]
fn a_failing_token_provider_says_why_and_backs_off_then_recovers() {
    let mut s = session(true, &["lobby"]);
    s.handle(T0, Input::Start);
    let mut now = T0;
    let mut last_wait = 0;
    for round in 0..5 {
        s.handle(now, opened());
        assert!(asks(&s.handle(now, hello(true))), "round {round}");
        let out = s.handle(now + 1, Input::Token(Err("HTTP 500".into())));
        assert!(out.iter().any(|c| matches!(c, Command::Close { .. })));
        let (problem, at) = sign_in_failure(&s);
        assert_eq!(problem, SignInProblem::NoToken("HTTP 500".into()));
        let wait = at - (now + 1);
        assert!(wait >= 250 << round, "round {round} waits {wait}");
        assert!(wait >= last_wait / 2);
        last_wait = wait;
        now = at;
        assert!(s
            .handle(now, Input::Tick)
            .iter()
            .any(|c| matches!(c, Command::Connect { .. })));
    }
    s.handle(now, opened());
    s.handle(now, hello(true));
    s.handle(now + 1, Input::Token(Ok("good".into())));
    let out = s.handle(now + 2, authed("u1", "Alice", Some(now + 3_600_000), None));
    assert_eq!(joins(&out).len(), 1);
    assert_eq!(s.sign_in_problem(), None);
    assert_eq!(s.status(), Status::Connected);
}

#[test]
fn an_app_without_tokens_stops_at_a_server_that_requires_one() {
    let mut s = session(false, &["lobby"]);
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    let out = s.handle(T0, hello(true));
    assert!(!asks(&out));
    assert_eq!(
        s.status(),
        Status::Closed {
            reason: ClosedReason::SignInRequired
        }
    );
    assert!(!s
        .handle(T0 + 600_000, Input::Tick)
        .iter()
        .any(|c| matches!(c, Command::Connect { .. })));
}

#[test]
fn a_forbidden_room_is_marked_and_the_others_keep_working() {
    let (mut s, out) = signed_in(&["lobby", "secret"]);
    let secret_req = joins(&out)
        .into_iter()
        .find(|(r, _)| r == "secret")
        .and_then(|(_, req)| req);
    s.handle(T0 + 20, error(error_code::FORBIDDEN, secret_req));
    assert!(s.forbidden("secret"));
    assert!(!s.forbidden("lobby"));
    s.handle(
        T0 + 30,
        Input::Text(encode(&Frame::Msg(msg("a", "Bob", "u2", 1)))),
    );
    assert_eq!(s.room("lobby").map(|l| l.len()), Some(1));
    // After a reconnect the refused room is not asked for again.
    s.handle(T0 + 40, closed(close_code::ABNORMAL));
    let at = reconnect_time(&s);
    s.handle(at, Input::Tick);
    s.handle(at, opened());
    s.handle(at, hello(true));
    let out = s.handle(at + 1, authed("u1", "Alice", Some(T0 + 3_600_000), None));
    let rooms: Vec<String> = joins(&out).into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        rooms,
        ["lobby"],
        "the accepted token was reused, no new ask"
    );
}

#[test]
fn a_guest_keeps_its_resume_token_and_sends_it_first_but_never_to_a_token_server() {
    let mut s = session(false, &["lobby"]);
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    s.handle(T0, hello(false));
    let out = s.handle(T0, authed("guest-1", "", None, Some("r1")));
    assert!(out.contains(&Command::KeepResume("r1".into())));
    s.handle(T0 + 1, closed(close_code::ABNORMAL));
    let at = reconnect_time(&s);
    s.handle(at, Input::Tick);
    let out = s.handle(at, opened());
    assert!(sent(&out).is_empty(), "the resume token must go first");
    let out = s.handle(at, hello(false));
    let frames = sent(&out);
    assert!(
        matches!(&frames[0], Frame::Auth(a) if a.token == "r1"),
        "{frames:?}"
    );
    assert!(matches!(frames[1], Frame::Join(_)));

    // The same guest later meets a server that wants real tokens: the resume token stays home.
    s.handle(at + 1, closed(close_code::ABNORMAL));
    let at = reconnect_time(&s);
    s.handle(at, Input::Tick);
    s.handle(at, opened());
    let out = s.handle(at, hello(true));
    assert!(tokens_sent(&out).is_empty());
}

/// Something that may happen to a signed-in session, generated.
#[derive(Debug, Clone)]
enum Event {
    /// Time passes (ms), then a tick.
    Wait(u64),
    /// The app answers a pending request with a new token, a token used before, or an error.
    AnswerNew,
    AnswerOld(usize),
    AnswerErr,
    /// The server accepts what it was sent, with this life (ms).
    Accept(u64),
    /// The server refuses what it was sent (or the identity expired) and closes with 4001.
    Refuse,
    /// The link drops.
    Drop,
    /// The socket opens and the server greets.
    Open,
}

fn event() -> impl Strategy<Value = Event> {
    // Weighted towards what leads to a second sign-in: reopening, and old tokens offered.
    prop_oneof![
        3 => (0u64..40_000).prop_map(Event::Wait),
        2 => Just(Event::AnswerNew),
        3 => (0usize..4).prop_map(Event::AnswerOld),
        1 => Just(Event::AnswerErr),
        2 => (0u64..120_000).prop_map(Event::Accept),
        2 => Just(Event::Refuse),
        1 => Just(Event::Drop),
        3 => Just(Event::Open),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the server and the app do: a token the server refused, or one known to have
    /// expired, is never sent; failed sign-ins never make the session ask for tokens faster
    /// than its backoff.
    #[test]
    fn no_refused_or_expired_token_is_sent_and_asks_back_off(
        events in prop::collection::vec(event(), 1..80)
    ) {
        let mut s = session(true, &["lobby"]);
        let mut now = T0;
        let mut minted: Vec<String> = Vec::new();
        let mut refused: Vec<String> = Vec::new();
        // Tokens with the expiry the server announced for them.
        let mut expiry: Vec<(String, u64)> = Vec::new();
        let mut in_flight: Option<String> = None;
        let mut last_ok: Option<String> = None;
        let mut open = false;
        // A socket is opening (the session asked to connect).
        let mut connecting = false;
        // Asks since the last accepted token, with the time of the last one.
        let mut failed_asks: u32 = 0;
        let mut last_ask: Option<u64> = None;
        let mut out = s.handle(now, Input::Start);
        for e in events {
            match e {
                Event::Wait(ms) => {
                    now += ms;
                    out.extend(s.handle(now, Input::Tick));
                }
                Event::AnswerNew => {
                    let token = format!("t{}", minted.len());
                    minted.push(token.clone());
                    out.extend(s.handle(now, Input::Token(Ok(token))));
                }
                Event::AnswerOld(i) => {
                    if let Some(token) = minted.get(i).cloned() {
                        out.extend(s.handle(now, Input::Token(Ok(token))));
                    }
                }
                Event::AnswerErr => out.extend(s.handle(now, Input::Token(Err("down".into())))),
                Event::Accept(life) => {
                    if let Some(token) = in_flight.take() {
                        // A token's `exp` is part of it: accepted again, it announces the same.
                        let exp = match expiry.iter().find(|(t, _)| *t == token) {
                            Some((_, exp)) => *exp,
                            None => {
                                expiry.push((token.clone(), now + life));
                                now + life
                            }
                        };
                        last_ok = Some(token);
                        failed_asks = 0;
                        out.extend(s.handle(now, authed("u1", "Alice", Some(exp), None)));
                    }
                }
                Event::Refuse => {
                    if open {
                        if let Some(token) = in_flight.take().or(last_ok.take()) {
                            refused.push(token);
                        }
                        out.extend(s.handle(now, error(error_code::UNAUTHORIZED, None)));
                        out.extend(s.handle(now, closed(close_code::UNAUTHORIZED)));
                        open = false;
                    }
                }
                Event::Drop => {
                    if open {
                        in_flight = None;
                        out.extend(s.handle(now, closed(close_code::ABNORMAL)));
                        open = false;
                    }
                }
                Event::Open => {
                    if connecting {
                        connecting = false;
                        out.extend(s.handle(now, opened()));
                        out.extend(s.handle(now, hello(true)));
                        open = true;
                        last_ok = None;
                    }
                }
            }
            for command in out.drain(..) {
                match command {
                    Command::Send(text) => {
                        if let Ok(Frame::Auth(a)) = decode(&text) {
                            prop_assert!(open, "auth only on an open socket");
                            prop_assert!(!refused.contains(&a.token), "refused {} sent", a.token);
                            let expired = expiry.iter().any(|(t, exp)| *t == a.token && *exp <= now);
                            prop_assert!(!expired, "expired {} sent at {now}", a.token);
                            in_flight = Some(a.token);
                        }
                    }
                    Command::NeedToken => {
                        if let Some(at) = last_ask {
                            if failed_asks > 0 {
                                let floor = 250u64 << (failed_asks - 1).min(6);
                                prop_assert!(
                                    now - at >= floor.min(12_500),
                                    "ask {failed_asks} after {} ms", now - at
                                );
                            }
                        }
                        failed_asks += 1;
                        last_ask = Some(now);
                    }
                    Command::Close { .. } => {
                        open = false;
                        connecting = false;
                    }
                    Command::Connect { .. } => connecting = true,
                    _ => {}
                }
            }
        }
    }
}
