//! The link figures the connection inspector shows: frames and bytes both ways,
//! reconnects, round trips from pings, and the last closes.

use wirechat_protocol::{close_code, decode, encode, Frame, Ping};
use wirechat_session::{Command, Input, SeenClose, Session, SessionConfig, CLOSES_KEPT};

const HELLO: &str =
    r#"{"type":"hello","server":"t","epoch":"e1","features":["history","ack","presence","ping"]}"#;

fn open(session: &mut Session, now: u64) {
    session.handle(
        now,
        Input::Opened {
            protocol: String::new(),
        },
    );
    session.handle(now + 1, Input::Text(HELLO.into()));
}

fn open_session() -> Session {
    let config = SessionConfig {
        name: "ann".into(),
        ..SessionConfig::default()
    };
    let mut session = Session::new(config, 7);
    session.handle(0, Input::Start);
    open(&mut session, 1);
    session
}

/// Closes the link with `code` and opens it again once the session asks to.
fn close_and_reopen(session: &mut Session, now: u64, code: u16) -> u64 {
    session.handle(
        now,
        Input::Closed {
            code,
            reason: format!("reason {code}"),
        },
    );
    // Far past any backoff: the retry is due.
    let later = now + 1_000_000;
    let commands = session.handle(later, Input::Tick);
    assert!(commands
        .iter()
        .any(|c| matches!(c, Command::Connect { .. })));
    open(session, later + 1);
    later + 2
}

fn sent(commands: &[Command]) -> Vec<&str> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Send(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn frames_and_bytes_are_counted_both_ways() {
    let mut session = open_session();
    let before = session.link_figures().clone();
    assert_eq!(before.frames_in, 1, "the hello");
    assert_eq!(before.bytes_in, HELLO.len() as u64);
    let before_out = (before.frames_out, before.bytes_out);

    let commands = session.handle(
        10,
        Input::Compose {
            id: "m1".into(),
            text: "hi".into(),
        },
    );
    let out = sent(&commands);
    assert_eq!(out.len(), 1, "the message goes out");
    let figures = session.link_figures();
    assert_eq!(figures.frames_out, before_out.0 + 1);
    assert_eq!(figures.bytes_out, before_out.1 + out[0].len() as u64);

    let typing = r#"{"type":"typing","room":"lobby","from":"bob"}"#;
    session.handle(11, Input::Text(typing.into()));
    let figures = session.link_figures();
    assert_eq!(figures.frames_in, 2);
    assert_eq!(figures.bytes_in, (HELLO.len() + typing.len()) as u64);
}

#[test]
fn reconnects_count_connections_after_the_first() {
    let mut session = open_session();
    assert_eq!(session.link_figures().reconnects, 0);
    let now = close_and_reopen(&mut session, 100, close_code::ABNORMAL);
    assert_eq!(session.link_figures().reconnects, 1);
    close_and_reopen(&mut session, now, close_code::GOING_AWAY);
    assert_eq!(session.link_figures().reconnects, 2);
}

#[test]
fn a_pong_echoing_the_ping_gives_the_round_trip_and_a_smoothed_one() {
    let mut session = open_session();
    let commands = session.handle(1_000, Input::Visible);
    let ping = decode(sent(&commands)[0]).unwrap();
    assert_eq!(ping, Frame::Ping(Ping { ts: Some(1_000) }));
    session.handle(
        1_080,
        Input::Text(encode(&Frame::Pong(Ping { ts: Some(1_000) }))),
    );
    assert_eq!(session.link_figures().rtt_ms, Some(80));
    assert_eq!(session.link_figures().smoothed_rtt_ms, Some(80));

    session.handle(2_000, Input::Visible);
    session.handle(
        2_160,
        Input::Text(encode(&Frame::Pong(Ping { ts: Some(2_000) }))),
    );
    assert_eq!(session.link_figures().rtt_ms, Some(160));
    assert_eq!(session.link_figures().smoothed_rtt_ms, Some(90));
}

#[test]
fn a_pong_that_echoes_no_ping_of_ours_measures_nothing() {
    let mut session = open_session();
    session.handle(1_000, Input::Visible);
    session.handle(
        1_050,
        Input::Text(encode(&Frame::Pong(Ping { ts: Some(3) }))),
    );
    session.handle(1_060, Input::Text(encode(&Frame::Pong(Ping { ts: None }))));
    assert_eq!(session.link_figures().rtt_ms, None);
    assert_eq!(session.link_figures().smoothed_rtt_ms, None);
}

#[test]
fn the_last_closes_are_kept_newest_first_and_bounded() {
    let mut session = open_session();
    let codes = [
        close_code::ABNORMAL,
        close_code::GOING_AWAY,
        close_code::SLOW_CONSUMER,
        close_code::INTERNAL_ERROR,
        close_code::TOO_BIG,
        close_code::NORMAL,
        close_code::ABNORMAL,
    ];
    let mut now = 100;
    for code in codes {
        now = close_and_reopen(&mut session, now, code);
    }
    let closes = &session.link_figures().closes;
    assert_eq!(closes.len(), CLOSES_KEPT);
    let expected: Vec<SeenClose> = codes
        .iter()
        .rev()
        .take(CLOSES_KEPT)
        .map(|&code| SeenClose {
            code,
            reason: format!("reason {code}"),
        })
        .collect();
    assert_eq!(*closes, expected);
}

/// The view re-reads the figures only when their revision moves, so it has to move with
/// every change: frames either way, pongs, closes and opens.
#[test]
fn the_revision_moves_with_every_change_of_the_figures() {
    let mut session = open_session();
    let mut last = session.link_figures().revision();
    let mut moved = |session: &Session, what: &str| {
        let now = session.link_figures().revision();
        assert!(now > last, "{what} did not move the revision");
        last = now;
    };
    session.handle(
        10,
        Input::Compose {
            id: "m1".into(),
            text: "hi".into(),
        },
    );
    moved(&session, "a frame out");
    session.handle(
        11,
        Input::Text(r#"{"type":"typing","room":"lobby","from":"bob"}"#.into()),
    );
    moved(&session, "a frame in");
    let ping = sent(&session.handle(1_000, Input::Visible))[0].to_owned();
    moved(&session, "a ping");
    let ts = match decode(&ping).unwrap() {
        Frame::Ping(ping) => ping.ts,
        other => panic!("{other:?}"),
    };
    let before_pong = session.link_figures().clone();
    session.handle(1_050, Input::Text(encode(&Frame::Pong(Ping { ts }))));
    assert_ne!(session.link_figures().rtt_ms, before_pong.rtt_ms);
    moved(&session, "a pong");
    close_and_reopen(&mut session, 2_000, close_code::GOING_AWAY);
    moved(&session, "a close and an open");
}
