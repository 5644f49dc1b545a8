//! A message the server answers with `unavailable` (its store is out of reach) stays
//! pending and goes out again by itself, once, until its usual deadline.

use wirechat_protocol::{encode, error_code, feature, Ack, ErrorFrame, Frame};
use wirechat_session::{Command, Delivery, Input, Session, SessionConfig};

mod support;

use support::sent;

const T0: u64 = 1_764_000_000_000;

fn connected() -> Session {
    let config = SessionConfig {
        name: "alice".into(),
        rooms: vec!["lobby".into()],
        ..SessionConfig::default()
    };
    let mut s = Session::new(config, 3);
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s.handle(T0, support::hello(&[feature::HISTORY, feature::ACK]));
    s
}

fn unavailable(id: &str) -> Input {
    Input::Text(encode(&Frame::Error(ErrorFrame {
        code: error_code::UNAVAILABLE.into(),
        message: "the store is out of reach".into(),
        id: Some(id.into()),
        retry_after: None,
        req: None,
    })))
}

fn writes_of(commands: &[Command], id: &str) -> usize {
    sent(commands)
        .iter()
        .filter(|f| matches!(f, Frame::Msg(m) if m.id == id))
        .count()
}

fn delivery(s: &Session, id: &str) -> Option<Delivery> {
    s.room("lobby")?.get(id)?.delivery
}

/// Runs the session's timers from `from` to `to`, returning every command.
fn run_until(s: &mut Session, from: u64, to: u64) -> Vec<Command> {
    let mut out = Vec::new();
    let mut now = from;
    while now <= to {
        out.extend(s.handle(now, Input::Tick));
        now += 100;
    }
    out
}

#[test]
fn an_unavailable_message_stays_pending_and_goes_out_again_once() {
    let mut s = connected();
    let first = s.handle(
        T0 + 10,
        Input::Compose {
            id: "m1".into(),
            text: "hello".into(),
        },
    );
    assert_eq!(writes_of(&first, "m1"), 1);
    s.handle(T0 + 20, unavailable("m1"));
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));

    let later = run_until(&mut s, T0 + 20, T0 + 5_000);
    assert_eq!(writes_of(&later, "m1"), 1, "written again once");

    s.handle(
        T0 + 5_100,
        Input::Text(encode(&Frame::Ack(Ack {
            id: "m1".into(),
            room: "lobby".into(),
            seq: Some(1),
        }))),
    );
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Delivered));
    assert!(s.unconfirmed().is_empty());
}

#[test]
fn a_message_the_server_keeps_refusing_fails_at_its_usual_deadline() {
    let mut s = connected();
    s.handle(
        T0,
        Input::Compose {
            id: "m1".into(),
            text: "hello".into(),
        },
    );
    s.handle(T0, unavailable("m1"));
    let deadline = T0 + SessionConfig::default().fail_after_ms;
    let mut now = T0;
    let mut writes = 1;
    while now < deadline + 1_000 {
        let out = s.handle(now, Input::Tick);
        if writes_of(&out, "m1") > 0 {
            writes += 1;
            s.handle(now, unavailable("m1"));
        }
        now += 100;
    }
    assert!(writes > 10, "tried again and again: {writes}");
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Failed));
}
